"""Transfers to level 2 in the panel, end to end with two advisors: level 1 (n1.demo, Léa Dubois) prepares the
transfer on a breakdown call (the checklist, the handover, its text), level 2 (n2.demo, Karim Benali) gets it
warm with the whole handover and acknowledges or declines it, or takes a cold one from the basket later, with
the copilot conversation where level 1 left it; level 1 hears of every step at once.

The stack's database is shared by the session: each test calls from a customer of its own (ids 960 and up,
numbers 06 12 00 09 6x).
"""

import json
import re
from datetime import date

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from websockets.sync.client import connect

from copilot_cli.simulate import ws_url
from crm_core.core.db import transaction
from crm_core.models import Customer, Line
from tests.conftest import RunningStack
from tests.web_widget.panel import BRIDGE, contrast_failures, docs_screenshot, inject_call, open_panel, traces

pytestmark = [pytest.mark.browser, pytest.mark.integration]

BREAKDOWN = "ma box ne marche plus, toujours pas d'internet depuis hier"
TICKS = ("identity_checked", "line_diagnosed", "box_restarted")


def breakdown_customer(stack: RunningStack, customer_id: int, first_name: str, last_name: str) -> str:
    """A customer of the test's own with a mobile line (she calls from it) and a box; returns the number."""
    number = f"+336120009{customer_id % 100:02d}"
    with transaction(stack.sessions) as s:
        s.add(Customer(id=customer_id, civility="Mme", first_name=first_name, last_name=last_name,
                       birth_date=date(1985, 6, 7), email=f"{first_name.lower()}.{customer_id}@exemple.fr",
                       contact_phone=number, address_line="5 rue du Transfert", postcode="69003", city="Lyon"))
        s.flush()
        s.add(Line(customer_id=customer_id, number=number, kind="mobile", offer_code="MOBILE_2H",
                   activation_date=date(2024, 1, 10)))
        s.add(Line(customer_id=customer_id, number=f"+33972009{customer_id % 1000:03d}", kind="fixed",
                   offer_code="BOX_FIBRE_1G", activation_date=date(2023, 5, 2)))
    return f"06 12 00 09 {customer_id % 100:02d}"


def breakdown_call(browser: Browser, pages: list[Page], stack: RunningStack,
                   customer: tuple[int, str, str]) -> tuple[Page, str]:
    caller = breakdown_customer(stack, *customer)
    page = open_panel(browser, pages, stack, "n1.demo")
    call_id = inject_call(stack, caller, BREAKDOWN, "n1.demo")
    expect(page.get_by_test_id("customer-name")).to_have_text(f"Mme {customer[1]} {customer[2]}")
    expect(page.get_by_test_id("journey")).to_have_text("Je suis en panne")
    return page, call_id


def open_form(page: Page) -> Locator:
    page.get_by_test_id("transfer-open").click()
    form = page.get_by_test_id("transfer-form")
    expect(page.get_by_test_id("transfer-team")).to_be_focused()
    return form


def tick_all(page: Page) -> None:
    """Ticks the blocking prerequisites the trace does not show done; each tick drafts the handover again."""
    for code in TICKS:
        if page.get_by_test_id(f"transfer-prereq-{code}").is_disabled():
            continue  # done during the call: the trace shows it
        page.get_by_test_id(f"transfer-prereq-{code}").check()
        expect(page.get_by_test_id(f"transfer-prereq-line-{code}")).to_contain_text("coché par vous")
    expect(page.get_by_test_id("transfer-blocked")).to_be_hidden()


def sent_card(page: Page, call_id: str) -> Locator:
    return page.locator(f'[data-testid="transfer-status"][data-call="{call_id}"]')


def offer_of(page: Page, call_id: str) -> Locator:
    """Level 2's offer card for the call."""
    return page.locator(f'[data-testid="transfer-offer"][data-call="{call_id}"]')


def end_call(stack: RunningStack, call_id: str) -> None:
    with connect(ws_url(stack.url, "/ws/bridge"), additional_headers=BRIDGE) as bridge:
        bridge.send(json.dumps({"call_id": call_id, "event": "ended"}))
        assert json.loads(bridge.recv(10))["type"] == "ack"


def test_a_warm_transfer_acknowledged_then_closed_by_level_2(browser: Browser, pages: list[Page],
                                                            stack: RunningStack) -> None:
    n2 = open_panel(browser, pages, stack, "n2.demo")
    expect(n2.get_by_test_id("transfers-area")).to_be_visible()
    n1, call_id = breakdown_call(browser, pages, stack, (960, "Inès", "Panne"))
    expect(n2.get_by_test_id("transfer-open")).to_be_hidden()  # level 2 receives, it does not send

    # the advisor checks the box line first: the checklist and the handover take it from the call's trace
    n1.get_by_test_id("act-diagnose_line").click()
    n1.get_by_test_id("act-input-line").select_option(label="Box Fibre 1 Gb/s — 09 72 00 99 60")
    n1.get_by_test_id("act-run").click()
    expect(n1.get_by_test_id("act-summary")).to_contain_text("Ligne 09 72 00 99 60 (Box Fibre 1 Gb/s) : active.")

    form = open_form(n1)
    diagnosed = n1.get_by_test_id("transfer-prereq-line_diagnosed")
    expect(diagnosed).to_be_checked()
    expect(diagnosed).to_be_disabled()
    expect(n1.get_by_test_id("transfer-prereq-line-line_diagnosed")).to_contain_text(
        "Voir l'état de la ligne et du matériel à")
    team = n1.get_by_test_id("transfer-team")
    expect(team.locator("option:checked")).to_have_text("Support technique N2 (N2-TECH) — proposé")
    expect(n1.get_by_test_id("transfer-mode-warm")).to_be_checked()
    identified = n1.get_by_test_id("transfer-prereq-customer_identified")
    expect(identified).to_be_checked()
    expect(identified).to_be_disabled()  # done: the trace shows it, with its evidence
    expect(n1.get_by_test_id("transfer-prereq-line-box_restarted")).to_contain_text("bloquant")
    expect(n1.get_by_test_id("transfer-blocked")).to_contain_text("Box redémarrée")
    expect(n1.get_by_test_id("transfer-handover-reason")).to_contain_text("pas d'internet depuis hier")
    expect(form.get_by_test_id("transfer-text")).to_have_value(re.compile("Transfert vers Support technique N2"))

    # sent too early: the French refusal, and the checklist as the server checked it
    n1.get_by_test_id("transfer-send").click()
    expect(n1.get_by_test_id("transfer-error")).to_contain_text("prérequis bloquant")
    expect(n1.get_by_test_id("transfer-error")).to_contain_text("Identité vérifiée")
    assert traces(stack, call_id, "transfer.requested") == []

    tick_all(n1)
    text = n1.get_by_test_id("transfer-text")
    text.fill(text.input_value() + "\nClient joignable sur son mobile toute la journée.")
    assert contrast_failures(n1) == []
    docs_screenshot(n1, "panel-transfer-n1.png", full_page=False)
    n1.get_by_test_id("transfer-send").click()

    card = sent_card(n1, call_id)
    expect(card).to_contain_text("En attente d'accusé de réception — Support technique N2")
    expect(card).to_be_focused()
    expect(n1.get_by_test_id("transfer-form")).to_have_count(0)
    expect(n1.get_by_test_id("transfer-open")).to_be_hidden()  # one open transfer per call

    # level 2: the offer with its whole handover, flags first
    offer = offer_of(n2, call_id)
    expect(offer).to_contain_text("Mme Inès Panne")
    handover = offer.locator(".handover")
    expect(handover.locator("> *").first).to_contain_text("Client mécontent")  # the flags come first
    expect(offer).to_contain_text("« ma box ne marche plus, toujours pas d'internet depuis hier")
    expect(offer).to_contain_text("Box Fibre 1 Gb/s")  # a fact of the 360°: her lines and offers
    expect(offer).to_contain_text("Ligne 09 72 00 99 60 (Box Fibre 1 Gb/s) : active.")  # the diagnosis, as done
    expect(offer).to_contain_text("Client joignable sur son mobile toute la journée.")  # level 1's text
    expect(n2.get_by_test_id("basket-N2-TECH")).to_contain_text("1 en attente")
    assert contrast_failures(n2) == []
    docs_screenshot(n2, "panel-transfer-n2.png")

    offer.get_by_test_id("transfer-ack").click()
    taken = n2.get_by_test_id("transfer-taken")
    expect(taken).to_be_focused()
    expect(n2.get_by_test_id("transfer-offer")).to_have_count(0)
    expect(n2.get_by_test_id("customer-name")).to_have_text("Mme Inès Panne")  # the call's pop, for level 2
    expect(card).to_contain_text("Pris en charge par Karim Benali")
    expect(card.get_by_test_id("transfer-withdraw")).to_have_count(0)

    taken.get_by_test_id("transfer-close").click()  # no outcome chosen
    expect(taken.get_by_test_id("transfer-close-error")).to_have_text("Choisissez le résultat.")
    taken.get_by_test_id("transfer-outcome").select_option(label="Intervention technicien programmée")
    taken.get_by_test_id("transfer-note").fill("Technicien jeudi 3 décembre, 8 h-12 h.")
    taken.get_by_test_id("transfer-close").click()
    expect(n2.get_by_test_id("transfer-closed")).to_contain_text("Intervention technicien programmée")

    result = card.get_by_test_id("transfer-result")
    expect(result).to_have_text("Résultat du niveau 2 : Intervention technicien programmée — "
                                "Technicien jeudi 3 décembre, 8 h-12 h.")
    for name in ("transfer.requested", "transfer.acknowledged", "transfer.closed"):
        assert len(traces(stack, call_id, name, at_least=1)) == 1, name
    closed = traces(stack, call_id, "transfer.closed")[0]
    assert (closed.actor, closed.data["outcome"]) == ("n2.demo", "technician")
    assert traces(stack, call_id, "transfer.requested")[0].data["edited"] is True
    assert n1.js_errors == [] and n2.js_errors == []  # type: ignore[attr-defined]


def test_a_warm_transfer_declined_with_a_reason(browser: Browser, pages: list[Page], stack: RunningStack) -> None:
    n2 = open_panel(browser, pages, stack, "n2.demo")
    n1, call_id = breakdown_call(browser, pages, stack, (961, "Jeanne", "Refus"))
    open_form(n1)
    n1.keyboard.press("Escape")  # Échap closes the form, the focus goes back to its button
    expect(n1.get_by_test_id("transfer-form")).to_have_count(0)
    expect(n1.get_by_test_id("transfer-open")).to_be_focused()
    open_form(n1)
    tick_all(n1)
    n1.get_by_test_id("transfer-send").click()
    card = sent_card(n1, call_id)
    expect(card).to_contain_text("En attente d'accusé de réception")

    offer = offer_of(n2, call_id)
    expect(offer).to_contain_text("Mme Jeanne Refus")
    offer.get_by_test_id("transfer-decline").click()
    reason = offer.get_by_test_id("transfer-decline-reason")
    expect(reason).to_be_focused()
    offer.get_by_test_id("transfer-decline-confirm").click()  # a reason is required
    expect(offer.get_by_test_id("transfer-decline-error")).to_contain_text("motif du refus")
    reason.fill("Panne collective en cours à Lyon 3e : rappeler le client après 18 h")
    offer.get_by_test_id("transfer-decline-confirm").click()
    expect(n2.get_by_test_id("transfer-offer")).to_have_count(0)

    expect(card.get_by_test_id("transfer-state")).to_have_text(
        "Refusé par Karim Benali : Panne collective en cours à Lyon 3e : rappeler le client après 18 h")
    declined = traces(stack, call_id, "transfer.declined", at_least=1)
    assert [t.actor for t in declined] == ["n2.demo"]
    card.get_by_test_id("transfer-again").click()  # level 1 may transfer the call again
    expect(n1.get_by_test_id("transfer-team")).to_be_focused()
    tick_all(n1)
    n1.get_by_test_id("transfer-mode-cold").check()
    n1.get_by_test_id("transfer-send").click()
    again = sent_card(n1, call_id).first  # the newest card comes first
    expect(again).to_contain_text("En corbeille N2-TECH")
    waiting = n2.locator(f'[data-testid="basket-item"][data-call="{call_id}"]')
    expect(waiting).to_contain_text("Mme Jeanne Refus")  # the basket follows at once
    again.get_by_test_id("transfer-withdraw").click()  # withdrawn while nobody has taken it
    expect(again.get_by_test_id("transfer-state")).to_have_text("Transfert annulé")
    expect(waiting).to_have_count(0)
    assert [t.data["outcome"] for t in traces(stack, call_id, "transfer.closed", at_least=1)] == ["cancelled"]
    assert n1.js_errors == [] and n2.js_errors == []  # type: ignore[attr-defined]


def test_a_cold_transfer_taken_from_the_basket_after_the_call_ended(browser: Browser, pages: list[Page],
                                                                   stack: RunningStack) -> None:
    n1, call_id = breakdown_call(browser, pages, stack, (962, "Lise", "Froid"))
    chat = n1.get_by_test_id("chat-input")
    chat.fill("c'est quoi son mail ?")
    chat.press("Enter")
    expect(n1.get_by_test_id("chat-answer")).to_contain_text("lise.962@exemple.fr", timeout=30_000)

    open_form(n1)
    tick_all(n1)
    n1.get_by_test_id("transfer-mode-cold").check()
    n1.get_by_test_id("transfer-send").click()
    card = sent_card(n1, call_id)
    expect(card).to_contain_text("En corbeille N2-TECH")
    expect(card.get_by_test_id("transfer-withdraw")).to_be_visible()
    end_call(stack, call_id)
    expect(n1.get_by_test_id("call-state")).to_have_text("Terminé")
    n1.reload()  # the transfers sent and still open come back with the panel
    expect(n1.get_by_test_id("connection")).to_have_text("Connecté")
    expect(card).to_contain_text("En corbeille N2-TECH")

    # later, level 2 opens its panel: the transfer waits in the basket, with its age
    n2 = open_panel(browser, pages, stack, "n2.demo")
    item = n2.locator(f'[data-testid="basket-item"][data-call="{call_id}"]')
    expect(item).to_contain_text("Mme Lise Froid")
    expect(item.get_by_test_id("basket-age")).to_contain_text("il y a")
    item.get_by_test_id("basket-take").click()
    taken = n2.get_by_test_id("transfer-taken")
    expect(taken).to_be_focused()
    conversation = taken.get_by_test_id("transfer-conversation")
    expect(conversation).to_contain_text("Conversation avec le copilote")
    expect(conversation).to_contain_text("c'est quoi son mail ?")
    expect(conversation).to_contain_text("lise.962@exemple.fr")
    expect(item).to_have_count(0)
    expect(card).to_contain_text("Pris en charge par Karim Benali")

    # the call is live again for level 2: the chat goes on on the same conversation
    expect(n2.get_by_test_id("customer-name")).to_have_text("Mme Lise Froid")
    chat2 = n2.get_by_test_id("chat-input")
    chat2.fill("c'est quoi son mail ?")
    chat2.press("Enter")
    expect(n2.get_by_test_id("chat-log").get_by_test_id("chat-answer")).to_contain_text(
        "lise.962@exemple.fr", timeout=30_000)
    assert [t.actor for t in traces(stack, call_id, "transfer.picked_up", at_least=1)] == ["n2.demo"]
    assert [t.actor for t in traces(stack, call_id, "chat.asked", at_least=2)] == ["n1.demo", "n2.demo"]
    assert n1.js_errors == [] and n2.js_errors == []  # type: ignore[attr-defined]
