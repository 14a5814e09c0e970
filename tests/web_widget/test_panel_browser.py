"""The side panel in Debian's chromium (Playwright, never a downloaded browser) against the real stack."""

import json
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from websockets.sync.client import connect

from copilot_cli.simulate import ws_url
from crm_core.core.db import transaction
from crm_core.models import Customer, Line
from tests.conftest import RunningStack

pytestmark = [pytest.mark.browser, pytest.mark.integration]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "img" / "panel.png"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    assert executable, "Debian's chromium is missing: `make debian` installs it"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def open_panel(browser: Browser, stack: RunningStack, advisor: str) -> Page:
    page = browser.new_page(viewport={"width": 460, "height": 900}, locale="fr-FR")
    page.goto(f"{stack.url}/?advisor={advisor}")
    expect(page.get_by_test_id("connection")).to_have_text("Connecté")
    return page


def inject_call(stack: RunningStack, call_id: str, caller: str, reason: str, agent: str) -> None:
    with connect(ws_url(stack.url, "/ws/bridge")) as bridge:
        for event in ({"event": "offered", "caller_number": caller, "reason_transcript": reason, "agent": agent},
                      {"event": "answered"}):
            bridge.send(json.dumps({"call_id": call_id, **event}))
            assert json.loads(bridge.recv(10))["type"] == "ack"


def test_an_answered_call_shows_the_customer_and_the_journey(browser: Browser, stack: RunningStack) -> None:
    page = open_panel(browser, stack, "n1.browser")
    inject_call(stack, "browser-1", "07 12 34 56 78",
                "bonjour alors voilà on déménage à Marseille le mois prochain et on voudrait garder la box",
                "n1.browser")
    expect(page.get_by_test_id("customer")).to_contain_text("Mme Camille Martin")
    expect(page.get_by_test_id("journey")).to_have_text("Je déménage")
    expect(page.get_by_test_id("acts")).to_contain_text("Mettre à jour l'adresse postale")
    expect(page.get_by_test_id("lines")).to_contain_text("01/09/2027")
    page.get_by_test_id("chat-input").fill("quelle est la date de fin d'engagement ?")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.get_by_test_id("chat-log")).to_contain_text("Box Fibre 2 Gb/s + TV (09 72 12 34 56)", timeout=30_000)
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    page.close()


def test_an_unknown_number_offers_a_search_that_attaches_the_customer(browser: Browser, stack: RunningStack) -> None:
    page = open_panel(browser, stack, "n1.unknown")
    inject_call(stack, "browser-2", "07 00 00 00 00", "je veux résilier mon forfait", "n1.unknown")
    expect(page.get_by_test_id("unknown")).to_contain_text("Client non identifié")
    expect(page.get_by_test_id("journey")).to_have_text("Je résilie")
    page.get_by_test_id("search-input").fill("Lefèvre")
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_test_id("search-results").get_by_text("M. Jean-Pierre Lefèvre").click()
    expect(page.get_by_test_id("customer")).to_contain_text("M. Jean-Pierre Lefèvre")
    expect(page.get_by_test_id("unknown")).to_be_hidden()
    page.close()


def test_customer_supplied_strings_are_shown_as_text_never_run(browser: Browser, stack: RunningStack) -> None:
    hostile = '<img src=x onerror="window.__pwned=1">'
    with transaction(stack.sessions) as s:
        s.add(Customer(id=900, civility="M.", first_name="<script>window.__pwned=2</script>", last_name=hostile,
                       birth_date=date(1990, 1, 1), email="x@exemple.fr", address_line="<b>1 rue</b>",
                       postcode="75001", city="Paris"))
        s.flush()
        s.add(Line(customer_id=900, number="+33611223344", kind="mobile", offer_code="MOBILE_2H",
                   activation_date=date(2025, 1, 1)))
    page = open_panel(browser, stack, "n1.xss")
    inject_call(stack, "browser-3", "06 11 22 33 44", '<img src=y onerror="window.__pwned=3"> ma facture', "n1.xss")
    expect(page.get_by_test_id("customer")).to_contain_text(hostile)
    expect(page.get_by_test_id("reason")).to_contain_text("<img src=y")
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#customer img, #customer script, #reason img, #customer b").count() == 0
    page.close()
