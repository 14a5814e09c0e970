# The two commands of the README: `make run` and `make test`. Everything else is what they build.
SHELL := /bin/bash
.DEFAULT_GOAL := help
BUILD := .build
VENV := .venv
RASA_VENV := .venv-rasa
WEB_LIBS := web_widget/node_modules/.package-lock.json
COPILOT := $(VENV)/bin/copilot
PYTEST_ARGS ?=

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(VENV)/.installed: pyproject.toml requirements/app.lock
	@py=$$(scripts/find-python 3.11+) && { [ -x $(VENV)/bin/python ] || $$py -m venv $(VENV); }
	$(VENV)/bin/python -m pip install -q --disable-pip-version-check -r requirements/app.lock
	$(VENV)/bin/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

$(RASA_VENV)/.installed: requirements/rasa.lock
	@py=$$(scripts/find-python 3.10) && { [ -x $(RASA_VENV)/bin/python ] || $$py -m venv $(RASA_VENV); }
	@echo "installing the Rasa runtime (rasa 3.6.21, Python 3.10): a few minutes the first time"
	$(RASA_VENV)/bin/python -m pip install -q --disable-pip-version-check -r requirements/rasa.lock
	@touch $@

$(BUILD)/debian.installed: scripts/install-debian-packages
	@mkdir -p $(BUILD)
	scripts/install-debian-packages
	@touch $@

# The pages' browser library (Chart.js, pinned by web_widget/package-lock.json); the stamp is npm's own record of
# node_modules. Without npm the steering page shows its tables without charts: said here, retried at the next build.
$(WEB_LIBS): web_widget/package.json web_widget/package-lock.json | $(BUILD)/debian.installed
	@if command -v npm >/dev/null; then \
		npm ci --prefix web_widget --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm is missing: the steering page will show its tables without charts (install Node.js and npm)"; fi

app-runtime: $(VENV)/.installed  ## the app runtime (.venv, Python 3.11+)
rasa-runtime: $(RASA_VENV)/.installed  ## the Rasa runtime (.venv-rasa, Python 3.10)
debian: $(BUILD)/debian.installed  ## Debian packages (chromium for the browser tests, SIPp and baresip for the SIP tests, npm)
web-libs: $(WEB_LIBS)  ## the pages' browser library (Chart.js, from the npm registry)
build: app-runtime rasa-runtime debian web-libs  ## everything to install
	@$(COPILOT) nlu train

model: app-runtime rasa-runtime  ## train the Rasa model if the assistant's data or config changed
	@$(COPILOT) nlu train

run: build  ## build what is missing, then run the whole stack on the embedded SQLite CRM
	@$(COPILOT) run

test: build  ## build what is missing, then run the whole suite (no test collected is a failure)
	@echo "== tests in the Rasa runtime (nlu/ components) =="
	@PYTHONPATH=$(CURDIR) $(RASA_VENV)/bin/python -m pytest -c tests/nlu/pytest-rasa.ini tests/nlu -q; status=$$?; \
	if [ $$status -ne 0 ]; then echo "Rasa-runtime tests failed (status $$status)" >&2; exit 1; fi
	@echo "== tests in the app runtime =="
	@$(VENV)/bin/python -m pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$status

lint: app-runtime  ## ruff
	$(VENV)/bin/ruff check .

clean:  ## remove build outputs (venvs, models, databases)
	rm -rf $(BUILD) $(VENV) $(RASA_VENV) web_widget/node_modules

.PHONY: help app-runtime rasa-runtime debian web-libs build model run test lint clean
