"""Property-based fuzzing of the CRM API from its own ``/openapi.json`` (schemathesis).

Every operation, mutating ones included, is called with generated requests, valid and invalid ones. Each response
must pass the schemathesis checks: no 5xx, status code, content type, headers and body as documented, invalid input
rejected, 405 with ``Allow``, no answer without credentials... The app runs in-process (ASGI) on a fresh SQLite
database with the demo data; PostgreSQL is covered by the other API tests. Two passes: a supervisor (the widest
customer permissions) on every operation, then a smaller one as the administrator on the habilitation routes.

A failure prints the request that reproduces it as a curl command. Run alone with:
    .venv/bin/python -m pytest tests/crm_core/api/test_openapi_fuzz.py -q
"""

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from assistant.copilot.app import create_app
from assistant.copilot.settings import CopilotSettings
from copilot_cli.stack import free_port
from tests.factories import auth

# Seeded demo data, so that generated requests also reach existing rows (edits, removals...), not only 404s.
KNOWN_PATH_VALUES = {"customer_id": [1, 2, 3, 4], "line_id": [1, 2, 3, 4, 5, 6], "loan_id": [1, 2],
                     "option_code": ["OPT_DATA_EU", "OPT_TV_SPORT", "OPT_INTERNATIONAL", "OPT_CLOUD", "MOBILE_100G"]}
KNOWN_BODY_VALUES = {"option_code": KNOWN_PATH_VALUES["option_code"],
                     "pack_code": ["collection_tools", "technical_support", "guardianship_desk"],
                     "profile_code": ["n1_customer_contact", "supervisor", "admin", "trainer"]}

# Bounded and reproducible: the same requests on every run (about a minute in all on SQLite).
FUZZ = settings(max_examples=50, derandomize=True, database=None, deadline=None, print_blob=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                       HealthCheck.function_scoped_fixture])

CONFIG = {
    # Unknown query parameters and headers are ignored, as is usual in HTTP (the routes do not forbid them); with
    # this on, schemathesis expects a 4xx for `?foo=1`. It also stops extra *body* properties from being generated:
    # the body models forbid them (extra="forbid"), which test_edits checks.
    "generation": {"allow-extra-parameters": False},
    # The OpenAPI schema carries types only: French formats (e-mail, phone, IBAN, postcode...) and opaque
    # pagination cursors are checked by the services, which answer 422 / 400 by design for schema-valid values.
    # This check would fail on all of them; `request_validation_agrees_with_schema` below replaces it.
    "checks": {"positive_data_acceptance": {"enabled": False}},
}


def _app(engine: Engine | None = None) -> FastAPI:
    closed = free_port()  # Rasa and the action server are down: /health reports it
    return create_app(CopilotSettings(rasa_url=f"http://127.0.0.1:{closed}", actions_url=f"http://127.0.0.1:{closed}"),
                      engine=engine)


class _CurrentApp:
    """The ASGI app schemathesis calls: it forwards to the app of the running test, which has its own database.

    schemathesis keeps the lifespan of an app it has called for the rest of the process, so it gets this stable
    stand-in, whose lifespan does nothing; the real app's lifespan is run by the fixture, for each test."""

    app: Any = None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await self.app(scope, receive, send)


CURRENT = _CurrentApp()
CURRENT.app = _app()  # serves /openapi.json at import, which needs neither the lifespan nor a database


def _valid(name: str, value: Any) -> bool:
    if name == "option_code":
        return isinstance(value, str) and len(value) <= 40
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 2**31 - 1


def _schema(login: str) -> Any:
    """The schema the app serves, its requests made as ``login``.

    It is loaded at import, so that schemathesis makes one test of each operation; the other way,
    `schemathesis.pytest.from_fixture`, breaks on pytest 9 (it sets `Function._nodeid`, which pytest 9 removed)."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", CURRENT, config=SchemathesisConfig.from_dict(CONFIG))

    @schema.auth()
    class _Bearer:  # through schemathesis, so that its "no credentials" cases really go without them
        def get(self, _case: Any, _ctx: Any) -> str:
            return auth(login)["Authorization"]

        def set(self, case: Any, data: str, _ctx: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": data}

    @schema.hook
    def flatmap_path_parameters(_ctx: Any, path_parameters: dict[str, Any] | None) -> st.SearchStrategy:
        # Valid ids are swapped for seeded ones half of the time; invalid ones (negative cases) are kept as they are.
        if not path_parameters:
            return st.just(path_parameters)
        swaps = {name: st.sampled_from(KNOWN_PATH_VALUES[name]) | st.just(value)
                 for name, value in path_parameters.items() if name in KNOWN_PATH_VALUES and _valid(name, value)}
        return st.fixed_dictionaries(swaps).map(lambda new: {**path_parameters, **new})

    @schema.hook
    def flatmap_body(_ctx: Any, body: Any) -> st.SearchStrategy:
        if not isinstance(body, dict):
            return st.just(body)
        swaps = {key: st.sampled_from(codes) | st.just(body[key]) for key, codes in KNOWN_BODY_VALUES.items()
                 if isinstance(body.get(key), str) and len(body[key]) <= 40}
        return st.fixed_dictionaries(swaps).map(lambda new: {**body, **new})

    return schema


def request_validation_agrees_with_schema(_ctx: Any, response: Any, case: schemathesis.Case) -> None:
    """A request valid for the schema is never refused by FastAPI's own request validation.

    The services may refuse it (422 "Modification refusée", 400 bad cursor): that is their job. But a 422 from the
    request validator means the published schema and the models disagree."""
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code not in (400, 422):
        return
    body = response.json()
    assert body.get("detail") != "La requête contient des données invalides.", f"schema-valid request refused: {body}"
    assert response.status_code != 400 or "Curseur" in body.get("detail", ""), f"unexpected 400: {body}"


def _call(case: schemathesis.Case) -> None:
    # /health answers 503 by design when Rasa or the action server is down, as here: that is its job, not a
    # server error. Whether the 503 and its body are documented is still checked (status_code_conformance...).
    excluded = [not_a_server_error] if case.operation.path == "/health" else []
    case.call_and_validate(excluded_checks=excluded, additional_checks=[request_validation_agrees_with_schema])


@pytest.fixture
def crm_app(sqlite_sessions: sessionmaker[Session]) -> Iterator[FastAPI]:
    """The app on a fresh SQLite database with the demo data (shared by the operations of one test)."""
    with TestClient(_app(sqlite_sessions.kw["bind"])) as client:  # runs the lifespan, like the `api` fixture
        CURRENT.app = client.app
        yield client.app
    CURRENT.app = None


supervisor = _schema("sup.demo")
administrator = _schema("admin.demo").include(tag="habilitations")


@supervisor.parametrize()
@FUZZ
def test_every_operation_as_a_supervisor(case: schemathesis.Case, crm_app: FastAPI) -> None:
    _call(case)


@administrator.parametrize()
@settings(FUZZ, max_examples=25)
def test_habilitation_routes_as_an_administrator(case: schemathesis.Case, crm_app: FastAPI) -> None:
    _call(case)
