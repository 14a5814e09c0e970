"""The trainer's console in the browser, as a newcomer does the loop: an advisor corrects a journey in the panel,
the trainer finds the reason in the inbox, accepts it, trains a candidate, compares it with production,
publishes it (the next call pops the corrected journey), then rolls back. And what must never happen: another
profile reading the inbox, a caller's words read as HTML or shown with their phone number.

The stack is shared by the test session: whatever happens here, it is left on its repository model.
"""

import re
import time
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.conftest import RunningStack
from tests.factories import auth
from tests.web_widget.panel import (
    contrast_failures,
    docs_screenshot,
    expect_refused,
    inject_call,
    new_page,
    open_panel,
    traces,
)
from tests.web_widget.test_panel_journeys import switch_journey
from tests.web_widget.test_panel_transfers import end_call

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.timeout(900)]  # trains a real candidate

UNKNOWN = "07 00 00 00 00"  # no customer: the pop shows the NLU's journey, no situation re-ranks it
# The repository's model hesitates on it (« Hors périmètre » 0.44, then « Je n'arrive pas à utiliser » 0.30):
# the caller asks how to use the box's parental control, a feature of ours that works.
REASON = "je voudrais bloquer internet pour les enfants la nuit"
PREDICTED = "Hors périmètre"
USAGE_HELP = "Je n'arrive pas à utiliser"
WIDE = {"width": 1280, "height": 900}
TRAINER = auth("trainer.demo")
TRAINING_S = 480  # a candidate trains and is scored in about 2 minutes here


def console(browser: Browser, pages: list[Page], stack: RunningStack, login: str = "trainer.demo") -> Page:
    return new_page(browser, pages, f"{stack.url}/trainer?advisor={login}", WIDE)


def inbox_loaded(page: Page) -> None:
    """The inbox's list as the last request (« Filtrer », a tab) answered it."""
    expect(page.get_by_test_id("inbox-list")).not_to_have_attribute("aria-busy", "true")
    expect(page.get_by_test_id("group").or_(page.get_by_test_id("inbox-empty")).first).to_be_visible()


def group_of(page: Page, text: str, timeout_s: float = 20) -> Locator:
    """The inbox group whose (editable) sentence is ``text``; « Filtrer » reloads the list while it is not there
    (the traces are written in the background)."""
    deadline = time.monotonic() + timeout_s
    while True:
        inbox_loaded(page)
        texts = page.get_by_test_id("group-text").evaluate_all("nodes => nodes.map((n) => n.value)")
        if text in texts:
            group_id = page.get_by_test_id("group").nth(texts.index(text)).get_attribute("data-group-id")
            return page.locator(f'[data-testid="group"][data-group-id="{group_id}"]')
        assert time.monotonic() < deadline, f"« {text} » is not in the inbox: {texts}"
        page.wait_for_timeout(500)
        page.get_by_role("button", name="Filtrer").click()


def models(stack: RunningStack) -> dict:
    r = httpx.get(f"{stack.url}/api/trainer/models", headers=TRAINER, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def production(stack: RunningStack) -> dict:
    return models(stack)["production"]


@pytest.fixture
def repository_model(stack: RunningStack) -> Iterator[dict]:
    """The model in production before the test (the repository's); put back whatever the test did, and stop a
    training it left running (one at a time: the next test's would be refused)."""
    before = production(stack)
    assert before["source"] == "repository", before
    yield before
    for model in models(stack)["models"]:
        if model["status"] == "training":
            httpx.post(f"{stack.url}/api/trainer/models/{model['id']}/cancel", headers=TRAINER, timeout=30)
    current = production(stack)
    while current["id"] != before["id"]:
        r = httpx.post(f"{stack.url}/api/trainer/models/{current['id']}/rollback", headers=TRAINER, timeout=120)
        assert r.status_code == 200, r.text
        current = production(stack)


def test_another_profile_is_refused_in_french_and_sees_no_inbox(browser: Browser, pages: list[Page],
                                                               stack: RunningStack) -> None:
    page = console(browser, pages, stack, "n1.demo")
    expect_refused(page, "n1.demo", "Cette console est réservée aux entraîneurs du chatbot (habilitation nlu:curate).",
                   ("inbox", "examples", "models", "tab-inbox", "production"))
    expect(page.get_by_test_id("group")).to_have_count(0)
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_a_reason_with_html_and_a_phone_number_shows_as_masked_text(browser: Browser, pages: list[Page],
                                                                    stack: RunningStack) -> None:
    reason = "ma box affiche <img src=x onerror=alert(1)> rappelez-moi au 06 12 34 56 78"
    call_id = inject_call(stack, UNKNOWN, reason, "n1.demo")
    r = httpx.post(f"{stack.url}/api/calls/{call_id}/journey", json={"journey": "usage_help"},
                   headers=auth("n1.demo") | {"X-Call-Id": call_id}, timeout=10)
    assert r.status_code == 200, r.text
    traces(stack, call_id, "nlu.corrected", at_least=1)
    end_call(stack, call_id)

    page = console(browser, pages, stack)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    since = page.get_by_test_id("f-since")  # dates are typed the French way, checked before anything is asked
    since.fill("31/02/2026")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_test_id("filters-error")).to_have_text(
        "Date invalide : « 31/02/2026 ». Écrivez-la jj/mm/aaaa, par exemple 01/12/2026.")
    expect(since).to_be_focused()
    since.fill("01/01/2020")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_test_id("filters-error")).to_be_hidden()
    masked = "ma box affiche <img src=x onerror=alert(1)> rappelez-moi au ‹téléphone›"
    group = group_of(page, masked)
    expect(group.get_by_test_id("group-count")).to_have_text("1 appel")
    expect(group).to_contain_text("corrigé ×1")
    expect(group).to_contain_text(f"→ conseiller : {USAGE_HELP} ×1")
    expect(page.locator("#inbox img")).to_have_count(0)  # text, never markup
    expect(page.get_by_test_id("inbox")).not_to_contain_text("06 12 34 56 78")
    assert "06 12 34 56 78" not in page.content()
    group.get_by_test_id("group-reject").click()  # noise: it leaves the inbox, nothing learnt
    expect(page.get_by_test_id("notice")).to_have_text("Groupe rejeté : il quitte la boîte de réception.")
    expect(group).to_have_count(0)
    page.reload()
    inbox_loaded(page)
    assert masked not in page.get_by_test_id("group-text").evaluate_all("nodes => nodes.map((n) => n.value)")
    assert dialogs == [] and page.js_errors == []  # type: ignore[attr-defined]


def test_an_example_is_added_with_its_entities_marked_in_the_sentence(browser: Browser, pages: list[Page],
                                                                      stack: RunningStack) -> None:
    page = console(browser, pages, stack)
    page.get_by_test_id("tab-examples").click()
    text = "je veux passer à la fibre dans ma maison de Vannes"
    box = page.get_by_test_id("example-text")
    box.fill(text)
    page.get_by_test_id("entity-mark").click()  # nothing selected: said, nothing marked
    expect(page.get_by_test_id("example-error")).to_contain_text("Sélectionnez d'abord")
    for word, kind in (("fibre", "offer"), (" Vannes", "city")):  # the selection's spaces are left out
        start = text.index(word)
        box.evaluate("(node, [a, b]) => node.setSelectionRange(a, b)", [start, start + len(word)])
        page.get_by_test_id("entity-kind").select_option(kind)
        page.get_by_test_id("entity-mark").click()
    expect(page.get_by_test_id("entity")).to_have_text(["offre : « fibre »×", "ville : « Vannes »×"])
    page.get_by_test_id("example-journey").select_option("change_offer")
    page.get_by_test_id("example-add").click()
    expect(page.get_by_test_id("notice")).to_contain_text("ajouté")
    expect(page.get_by_test_id("entity")).to_have_count(0)
    made = next(e for e in httpx.get(f"{stack.url}/api/trainer/examples", headers=TRAINER, timeout=10).json()
                if e["text"] == text)
    assert [(text[e["start"]:e["end"]], e["entity"]) for e in made["entities"]] == [("fibre", "offer"),
                                                                                     ("Vannes", "city")]
    r = httpx.delete(f"{stack.url}/api/trainer/examples/{made['id']}", headers=TRAINER, timeout=10)
    assert r.status_code == 204  # the other tests' candidates train without it
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_a_correction_becomes_a_published_model_then_is_rolled_back(browser: Browser, pages: list[Page],
                                                                   stack: RunningStack,
                                                                   repository_model: dict) -> None:
    published_before = len(models(stack)["history"])  # the stack is shared: other tests may have published
    # 1. n1.demo's call: the NLU hesitates, the advisor says what the caller wants
    n1 = open_panel(browser, pages, stack, "n1.demo")
    call_id = inject_call(stack, UNKNOWN, REASON, "n1.demo")
    expect(n1.get_by_test_id("reason")).to_have_text(f"« {REASON} »")
    expect(n1.get_by_test_id("journey")).to_have_text(PREDICTED)
    expect(n1.get_by_test_id("nlu-warning")).to_have_text("Motif incertain : à confirmer avec l'appelant.")
    switch_journey(n1, "usage_help")
    expect(n1.get_by_test_id("journey")).to_have_text(USAGE_HELP)
    expect(n1.get_by_test_id("journey-corrected")).to_be_visible()
    traces(stack, call_id, "nlu.corrected", at_least=1)
    end_call(stack, call_id)
    expect(n1.get_by_test_id("call-state")).to_have_text("Terminé")

    # 2. the trainer's inbox: the reason, masked, its count, « corrigé », the NLU's guess and the advisor's label
    page = console(browser, pages, stack)
    expect(page.get_by_test_id("advisor")).to_contain_text("trainer.demo · Entraîneur du chatbot")
    in_production = f"Modèle en production : n° {repository_model['id']} (dépôt)"
    expect(page.get_by_test_id("production")).to_have_text(in_production)
    group = group_of(page, REASON)
    expect(group.get_by_test_id("group-count")).to_have_text("1 appel")
    expect(group).to_contain_text("corrigé ×1")
    expect(group).to_contain_text("NLU incertain ×1")
    expect(group).to_contain_text(re.compile(rf"NLU : {PREDICTED} \(\d+,\d %\)"))
    expect(group).to_contain_text(f"→ conseiller : {USAGE_HELP} ×1")
    expect(group.get_by_test_id("group-journey")).to_have_value("usage_help")  # the advisor's label, suggested
    assert contrast_failures(page) == []
    docs_screenshot(page, "trainer-inbox.png", full_page=False)
    group.get_by_test_id("group-accept").click()
    expect(page.get_by_test_id("notice")).to_contain_text(f"ajouté (« {USAGE_HELP} »)")
    expect(group).to_have_count(0)

    # 3. the example is curated
    page.get_by_test_id("tab-examples").click()
    example = page.get_by_test_id("example").filter(has_text=REASON)
    expect(example).to_have_count(1)
    expect(example.get_by_role("combobox")).to_have_value("usage_help")
    expect(example).to_contain_text("v1")
    expect(example).to_contain_text("trainer.demo")

    # 4. a candidate trained in the background: the bar and the step follow it
    page.get_by_test_id("tab-models").click()
    page.get_by_test_id("train-note").fill("contrôle parental la nuit")
    page.get_by_test_id("train").click()
    expect(page.get_by_test_id("notice")).to_contain_text("en entraînement : le modèle en production continue")
    expect(page.get_by_test_id("training")).to_be_visible()
    expect(page.get_by_test_id("training-step")).to_contain_text("Candidat n°")
    bar, comparison = page.get_by_test_id("training-bar"), page.get_by_test_id("comparison")
    progress: list[float] = []
    steps: set[str] = set()
    deadline = time.monotonic() + TRAINING_S
    while not comparison.is_visible():
        assert time.monotonic() < deadline, f"still training after {TRAINING_S} s: {sorted(steps)}"
        if page.get_by_test_id("training").is_visible():
            progress.append(float(bar.evaluate("b => b.value")))
            steps.add(page.get_by_test_id("training-step").inner_text())
        assert "failed" not in (page.get_by_test_id("training").get_attribute("class") or ""), steps
        page.wait_for_timeout(500)
    assert progress == sorted(progress) and len(set(progress)) >= 3, progress  # it moves, only forward
    assert any(0 < p < 1 for p in progress), progress
    assert len(steps) >= 2 and all(re.match(r"Candidat n° \d+ : \S", s) for s in steps), steps
    expect(page.get_by_test_id("training")).to_be_hidden()
    expect(page.get_by_test_id("notice")).to_contain_text("prêt")

    # 5. the comparison with production: sets A, B, C, the per-journey chart, the confusion matrix
    candidate = page.get_by_test_id("model").first
    candidate_id = int(candidate.get_attribute("data-model-id") or 0)
    assert candidate_id > repository_model["id"]
    expect(candidate).to_contain_text("contrôle parental la nuit")
    expect(candidate).to_contain_text("Prêt")
    expect(comparison.get_by_role("heading", level=2)).to_have_text(
        f"Modèle n° {candidate_id} comparé avec le modèle en production (n° {repository_model['id']})")
    for name, blind in (("A", False), ("B", True), ("C", True)):
        card = comparison.get_by_test_id(f"set-{name}")
        expect(card).to_contain_text(re.compile(rf"Jeu {name} \(\d+ motifs{', à l.aveugle' if blind else ''}\)"))
        expect(card).to_contain_text(re.compile(r"production : \d+,\d %"))
        expect(card).to_contain_text(re.compile(r"F1 macro : \d+,\d %"))
        expect(card).to_contain_text(re.compile(r"\d+ motifs? mieux classés?, \d+ moins bien"))
    chart = comparison.locator("svg.bar-svg")
    expect(chart.locator("rect")).to_have_count(11)  # one bar per journey
    expect(chart.locator("text").first).to_be_visible()
    expect(comparison.get_by_test_id("confusion").locator("tr")).to_have_count(12)  # a head and 11 journeys
    expect(comparison.get_by_test_id("better")).to_be_visible()  # set A: its sentences, set B and C: never
    assert contrast_failures(page) == []
    docs_screenshot(page, "trainer-comparison.png")
    for name in ("B", "C"):
        comparison.get_by_test_id(f"detail-{name}").click()
        expect(comparison).to_contain_text(f"Jeu {name} à l'aveugle")
        expect(comparison.get_by_test_id("better")).to_have_count(0)
        expect(comparison.get_by_test_id("worse")).to_have_count(0)
        expect(comparison).not_to_contain_text("«")  # no sentence of theirs, anywhere
        expect(comparison.get_by_test_id("confusion")).to_be_visible()
    comparison.get_by_test_id("detail-A").click()
    expect(comparison.get_by_test_id("better")).to_be_visible()

    # 6. publication (forced, with a reason, when the page says the candidate does worse on a set)
    publish = comparison.get_by_test_id("publish")
    forced = publish.inner_text() == "Publier quand même"
    if forced:
        expect(comparison.get_by_test_id("publish-area")).to_contain_text("la publication doit être forcée")
        publish.click()  # without a reason: refused in French, nothing published
        expect(comparison.get_by_test_id("publish-error")).not_to_be_empty()
        assert production(stack)["id"] == repository_model["id"]
        comparison.get_by_test_id("force-reason").fill("Correction des conseillers : contrôle parental")
        publish.click()
    else:
        expect(publish).to_have_text("Publier")
        publish.click()
    expect(page.get_by_test_id("notice")).to_contain_text(f"Modèle n° {candidate_id} publié", timeout=120_000)
    expect(page.get_by_test_id("production")).to_have_text(f"Modèle en production : n° {candidate_id} (candidat)")
    expect(candidate).to_contain_text("En production")
    row = page.get_by_test_id("publication").first
    expect(row).to_contain_text(f"n° {candidate_id}")
    expect(row).to_contain_text("Publication forcée" if forced else "Publication")
    expect(row).to_contain_text("trainer.demo")
    if forced:
        expect(row).to_contain_text("Correction des conseillers : contrôle parental")
    expect(comparison.get_by_test_id("publish-area")).to_contain_text("Ce modèle est en production.")

    # 7. the next call with that reason pops the corrected journey, with no correction
    again = inject_call(stack, UNKNOWN, REASON, "n1.demo")
    expect(n1.get_by_test_id("journey")).to_have_text(USAGE_HELP)
    expect(n1.get_by_test_id("journey-corrected")).to_be_hidden()
    end_call(stack, again)

    # 8. back to the model before, in the page
    comparison.get_by_test_id("rollback").click()
    expect(page.get_by_test_id("notice")).to_contain_text(f"Retour au modèle n° {repository_model['id']}",
                                                          timeout=120_000)
    expect(page.get_by_test_id("notice")).to_be_focused()  # the button is gone with the comparison
    expect(page.get_by_test_id("production")).to_have_text(in_production)
    expect(comparison).to_be_hidden()
    expect(candidate).to_contain_text("Prêt")  # it may be published again
    expect(page.get_by_test_id("publication").first).to_contain_text("Retour arrière")
    # what was there, then the candidate's publication and the rollback
    expect(page.get_by_test_id("publication")).to_have_count(published_before + 2)
    assert contrast_failures(page) == []
    docs_screenshot(page, "trainer-history.png")
    assert production(stack)["id"] == repository_model["id"]
    assert page.js_errors == [] and n1.js_errors == []  # type: ignore[attr-defined]

