"""Journeys end to end in the panel: a call, its pop, an act done from the panel (open, preview, confirm), the
360° view updated at once and the act traced on the call; and what a new advisor trips over (a second call,
focus, shortcuts, a ward's edits, contrast, a wide screen, profiles without calls).

The stack's database is shared by the whole session: a test that writes makes its own customer (ids 940 and
up, numbers 06 12 00 09 4x) or writes what no other test reads (Camille's box line is terminated here only).
"""

from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import quote

import httpx
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from crm_core.core.db import transaction
from crm_core.core.security import issue_token
from crm_core.models import Account, Customer, CustomerEvent, Guardianship, Interaction, Invoice, Line, PaymentMethod
from tests.conftest import RunningStack
from tests.web_widget.panel import contrast_failures, docs_screenshot, inject_call, new_page, open_panel, traces

VALID_IBAN = "FR76 3000 4000 0312 3456 7890 143"


def own_customer(stack: RunningStack, customer_id: int, civility: str, first_name: str, last_name: str, *,
                 payment: str | None = None, guardianship: str | None = None) -> str:
    """A customer of the test's own with one mobile line; returns the number the caller calls from."""
    number = f"+336120009{customer_id % 100:02d}"
    with transaction(stack.sessions) as s:
        s.add(Customer(id=customer_id, civility=civility, first_name=first_name, last_name=last_name,
                       birth_date=date(1988, 3, 4), email=f"{first_name.lower()}.{customer_id}@exemple.fr",
                       contact_phone=number, address_line="2 rue du Test", postcode="75002", city="Paris"))
        s.flush()
        s.add(Line(customer_id=customer_id, number=number, kind="mobile", offer_code="MOBILE_2H",
                   activation_date=date(2024, 1, 10)))
        if payment:
            account = Account(customer_id=customer_id, number=f"CPT0000{customer_id}", payment_channel=payment)
            s.add(account)
            s.flush()
            s.add(PaymentMethod(account_id=account.id, kind=payment, holder=f"{first_name} {last_name}"))
        if guardianship:
            s.add(Guardianship(customer_id=customer_id, kind=guardianship, guardian_name="M. Paul Curateur",
                               guardian_phone="+33611223399"))
    return f"06 12 00 09 {customer_id % 100:02d}"


def own_call(browser: Browser, pages: list[Page], stack: RunningStack, advisor: str, reason: str,
             customer: tuple[int, str, str, str], **extra: str) -> tuple[Page, str]:
    """A call from a customer of the test's own (id, civility, first and last name), popped to ``advisor``."""
    caller = own_customer(stack, *customer, **extra)
    page = open_panel(browser, pages, stack, advisor)
    call_id = inject_call(stack, caller, reason, advisor)
    expect(page.get_by_test_id("customer-name")).to_have_text(" ".join(customer[1:]))
    return page, call_id


def switch_journey(page: Page, journey: str) -> None:
    page.get_by_test_id("journey-switch").click()
    expect(page.get_by_test_id("journey-select")).to_be_focused()
    page.get_by_test_id("journey-select").select_option(journey)
    page.get_by_test_id("journey-apply").click()


def preview_and_confirm(page: Page) -> None:
    page.get_by_test_id("act-preview").click()
    expect(page.get_by_test_id("act-confirm")).to_be_visible()
    page.get_by_test_id("act-confirm").click()


def act_done_on(stack: RunningStack, call_id: str, act: str, actor: str, customer_id: int) -> None:
    """The act is traced once, on the call, by the advisor, for the customer."""
    done = [t for t in traces(stack, call_id, "act.done") if (t.data or {}).get("act") == act]
    assert len(done) == 1, [t.data for t in done]
    assert (done[0].actor, done[0].customer_id) == (actor, customer_id)


# -- journeys: an act from the panel, end to end ------------------------------------------------------------
def test_terminate_a_box_line_preview_confirm_and_trace(browser: Browser, pages: list[Page],
                                                        stack: RunningStack) -> None:
    page = open_panel(browser, pages, stack, "n1.demo")
    call_id = inject_call(stack, "07 12 34 56 78", "je veux résilier ma box", "n1.demo")
    expect(page.get_by_test_id("customer-name")).to_have_text("Mme Camille Martin")
    expect(page.get_by_test_id("journey")).to_have_text("Je résilie")
    act = page.get_by_test_id("act-register_termination")
    act.click()
    line = page.get_by_test_id("act-input-line")
    expect(line).to_be_focused()  # the form's first input
    line.select_option("2")  # the box, not the mobile line she calls from
    expect(page.get_by_test_id("act-input-termination_date")).to_have_value("2026-12-01")
    page.get_by_test_id("act-input-reason").fill("départ à l'étranger")
    page.get_by_test_id("act-preview").click()
    expect(page.get_by_test_id("act-changes")).to_contain_text(
        "Ligne 09 72 12 34 56 : active → résiliée au 01/12/2026")
    expect(page.get_by_test_id("act-warnings")).to_contain_text("fidélisation")
    expect(page.get_by_test_id("act-details")).to_contain_text("Frais")
    with stack.sessions() as s:  # a preview writes nothing
        assert s.scalar(select(CustomerEvent).where(CustomerEvent.line_id == 2)) is None
    assert contrast_failures(page) == []
    docs_screenshot(page, "panel-terminate.png", full_page=False)
    page.get_by_test_id("act-confirm").click()
    expect(page.get_by_test_id("act-summary")).to_contain_text(
        "Résiliation de la ligne 09 72 12 34 56 programmée au 01/12/2026")
    expect(act).to_be_focused()  # back to the act's button, the result shown below it
    expect(page.get_by_test_id("field-ongoing_events")).to_contain_text("Résiliation programmée")
    with stack.sessions() as s:
        event = s.scalar(select(CustomerEvent).where(CustomerEvent.line_id == 2,
                                                     CustomerEvent.kind == "scheduled_termination"))
        assert event is not None and event.customer_id == 1 and event.due_on == date(2026, 12, 1)
    act_done_on(stack, call_id, "register_termination", "n1.demo", 1)
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_the_termination_of_an_electronic_tag_line_is_refused_and_writes_nothing(
        browser: Browser, pages: list[Page], stack: RunningStack) -> None:
    page = open_panel(browser, pages, stack, "n1.grenoble")
    call_id = inject_call(stack, "07 11 22 33 44", "je veux résilier ma ligne", "n1.grenoble")
    expect(page.get_by_test_id("customer-name")).to_have_text("M. Kévin Moreau")
    expect(page.get_by_test_id("flag-complaint-compensated")).to_contain_text("déjà dédommagée 2 fois")
    page.get_by_test_id("act-register_termination").click()
    expect(page.get_by_test_id("act-input-line")).to_have_value("6")  # the line he calls from
    page.get_by_test_id("act-preview").click()
    expect(page.get_by_test_id("act-error-line")).to_contain_text("bracelet électronique")
    expect(page.get_by_test_id("act-input-line")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("act-error")).to_contain_text("Rien n'a été enregistré")
    expect(page.get_by_test_id("act-confirm")).to_have_count(0)
    page.get_by_test_id("act-cancel").click()
    expect(page.get_by_test_id("act-panel")).to_be_hidden()
    expect(page.get_by_test_id("act-register_termination")).to_be_focused()
    with stack.sessions() as s:
        assert s.scalar(select(CustomerEvent).where(CustomerEvent.customer_id == 4,
                                                    CustomerEvent.kind == "scheduled_termination")) is None
    assert [t.data["act"] for t in traces(stack, call_id, "act.refused")] == ["register_termination"]
    assert [t.data["stage"] for t in traces(stack, call_id, "act.cancelled", at_least=1)] == ["form"]
    assert traces(stack, call_id, "act.done") == []
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_contact_details_after_a_journey_switch(browser: Browser, pages: list[Page], stack: RunningStack) -> None:
    page, call_id = own_call(browser, pages, stack, "n1.demo", "bonjour j'appelle pour un renseignement",
                             (940, "Mme", "Alice", "Contact"))
    # the advisor says what the call is about: the pop follows with that journey's acts
    switch_journey(page, "manage_account")
    expect(page.get_by_test_id("journey")).to_have_text("Je consulte ou modifie mon compte")
    expect(page.get_by_test_id("journey-corrected")).to_be_visible()
    assert [t.data["journey"] for t in traces(stack, call_id, "nlu.corrected", at_least=1)] == ["manage_account"]
    page.get_by_test_id("act-update_contact_details").click()
    email = page.get_by_test_id("act-input-email")
    expect(email).to_be_focused()
    email.fill("alice@")  # invalid: the French message next to the input, nothing written
    page.get_by_test_id("act-preview").click()
    expect(page.get_by_test_id("act-error-email")).to_contain_text("Adresse e-mail invalide")
    expect(email).to_be_focused()
    email.fill("alice.nouvelle@exemple.fr")
    page.get_by_test_id("act-preview").click()
    expect(page.get_by_test_id("act-changes")).to_contain_text(
        "E-mail : alice.940@exemple.fr → alice.nouvelle@exemple.fr")
    page.get_by_test_id("act-confirm").click()
    expect(page.get_by_test_id("act-summary")).to_contain_text("Coordonnées du client mises à jour")
    expect(page.get_by_test_id("field-email")).to_contain_text("alice.nouvelle@exemple.fr")
    with stack.sessions() as s:
        assert s.get(Customer, 940).email == "alice.nouvelle@exemple.fr"
    act_done_on(stack, call_id, "update_contact_details", "n1.demo", 940)
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_payment_method_to_direct_debit_for_a_customer_under_curatorship(browser: Browser, pages: list[Page],
                                                                         stack: RunningStack) -> None:
    page, call_id = own_call(browser, pages, stack, "collection.demo",
                             "je voudrais payer ma facture par prélèvement maintenant",
                             (941, "M.", "Bruno", "Paiement"), payment="card", guardianship="curatelle")
    expect(page.get_by_test_id("journey")).to_have_text("Je suis facturé, je paye")
    page.get_by_test_id("act-change_payment_method").click()
    expect(page.get_by_test_id("act-guardianship-warning")).to_contain_text("curatelle")
    page.get_by_test_id("act-input-kind").select_option("direct_debit")
    page.get_by_test_id("act-input-iban").fill(VALID_IBAN)
    expect(page.get_by_test_id("act-input-holder")).to_have_value("Bruno Paiement")
    page.get_by_test_id("act-preview").click()
    changes = page.get_by_test_id("act-changes")
    expect(changes).to_contain_text("Moyen de paiement")
    expect(changes).to_contain_text("Prélèvement")
    warnings = page.get_by_test_id("act-warnings")
    expect(warnings).to_contain_text("curateur")
    expect(warnings).to_contain_text("mandat de prélèvement SEPA")
    assert contrast_failures(page) == []
    docs_screenshot(page, "panel-payment.png", full_page=False)
    page.get_by_test_id("act-confirm").click()
    expect(page.get_by_test_id("act-summary")).to_contain_text("Nouveau moyen de paiement : prélèvement")
    expect(page.get_by_test_id("field-payment_method")).to_contain_text("Prélèvement")
    with stack.sessions() as s:
        account = s.scalar(select(Account).where(Account.customer_id == 941))
        active = [m for m in account.payment_methods if m.active]
        assert [(m.kind, m.iban) for m in active] == [("direct_debit", VALID_IBAN.replace(" ", ""))]
        assert account.payment_channel == "direct_debit"
    act_done_on(stack, call_id, "change_payment_method", "collection.demo", 941)
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_a_move_is_recorded_with_the_new_address(browser: Browser, pages: list[Page], stack: RunningStack) -> None:
    page, call_id = own_call(browser, pages, stack, "n1.demo", "bonjour je déménage à Marseille le mois prochain",
                             (942, "Mme", "Chloé", "Demenage"))
    expect(page.get_by_test_id("journey")).to_have_text("Je déménage")
    page.get_by_test_id("act-move_address").click()
    expect(page.get_by_test_id("act-input-address_line")).to_be_focused()
    page.get_by_test_id("act-input-address_line").fill("5 rue de la République")
    page.get_by_test_id("act-input-postcode").fill("13001")
    page.get_by_test_id("act-input-city").fill("Marseille")
    page.get_by_test_id("act-input-move_date").fill("2026-12-20")
    page.get_by_test_id("act-preview").click()
    expect(page.get_by_test_id("act-changes")).to_contain_text("5 rue de la République, 13001 Marseille")
    page.get_by_test_id("act-confirm").click()
    expect(page.get_by_test_id("act-summary")).to_contain_text("Déménagement : nouvelle adresse")
    expect(page.get_by_test_id("field-postal_address")).to_contain_text("5 rue de la République, 13001 Marseille")
    with stack.sessions() as s:
        customer = s.get(Customer, 942)
        assert (customer.address_line, customer.postcode, customer.city) == ("5 rue de la République", "13001",
                                                                             "Marseille")
    act_done_on(stack, call_id, "move_address", "n1.demo", 942)
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_a_confirmation_on_a_stale_version_is_refused_and_previewed_again(browser: Browser, pages: list[Page],
                                                                          stack: RunningStack) -> None:
    page, call_id = own_call(browser, pages, stack, "n1.demo", "je voudrais changer mon numéro de contact",
                             (945, "Mme", "Flore", "Perime"))
    switch_journey(page, "manage_account")
    page.get_by_test_id("act-update_contact_details").click()
    page.get_by_test_id("act-input-contact_phone").fill("06 98 76 54 45")
    page.get_by_test_id("act-preview").click()
    expect(page.get_by_test_id("act-confirm")).to_be_visible()
    # meanwhile a colleague changes the customer
    r = httpx.patch(f"{stack.url}/api/customers/945", json={"city": "Lyon"},
                    headers={"Authorization": f"Bearer {issue_token('sup.demo')}"})
    assert r.status_code == 200, r.text
    page.get_by_test_id("act-confirm").click()
    expect(page.get_by_test_id("act-outcome-error")).to_contain_text("modifié entre-temps")
    expect(page.get_by_test_id("act-outcome-error")).to_contain_text("confirmez à nouveau")
    expect(page.get_by_test_id("field-postal_address")).to_contain_text("Lyon")  # the view reloaded
    with stack.sessions() as s:
        assert s.get(Customer, 945).contact_phone == "+33612000945"
    page.get_by_test_id("act-confirm").click()  # on the current version
    expect(page.get_by_test_id("act-summary")).to_contain_text("Coordonnées du client mises à jour")
    expect(page.get_by_test_id("field-phones")).to_contain_text("06 98 76 54 45")
    act_done_on(stack, call_id, "update_contact_details", "n1.demo", 945)
    assert page.js_errors == []  # type: ignore[attr-defined]

def test_an_unknown_caller_becomes_a_customer_attached_to_the_call(browser: Browser, pages: list[Page],
                                                                   stack: RunningStack) -> None:
    page = open_panel(browser, pages, stack, "n1.grenoble")
    call_id = inject_call(stack, "07 00 00 09 43", "bonjour je voudrais devenir client chez vous", "n1.grenoble")
    expect(page.get_by_test_id("unknown")).to_be_visible()
    expect(page.get_by_test_id("journey")).to_have_text("Je deviens client")
    # acts about a customer wait for one; creating the customer does not
    expect(page.get_by_test_id("act-recommend_offers")).to_be_disabled()
    expect(page.get_by_test_id("acts-note")).to_contain_text("identifiez d'abord le client")
    page.get_by_test_id("act-create_customer").click()
    expect(page.get_by_test_id("act-input-contact_phone")).to_have_value("07 00 00 09 43")  # from the call
    page.get_by_test_id("act-input-civility").select_option("Mme")
    page.get_by_test_id("act-input-first_name").fill("Zoé")
    page.get_by_test_id("act-input-last_name").fill("Nouvelle")
    page.get_by_test_id("act-input-birth_date").fill("1992-05-17")
    page.get_by_test_id("act-input-address_line").fill("9 rue Neuve")
    page.get_by_test_id("act-input-postcode").fill("69003")
    page.get_by_test_id("act-input-city").fill("Lyon")
    preview_and_confirm(page)
    expect(page.get_by_test_id("act-summary")).to_contain_text("créée pour Mme Zoé Nouvelle")
    # the new customer is the caller: attached to the call, the 360° view follows
    expect(page.get_by_test_id("customer-name")).to_have_text("Mme Zoé Nouvelle")
    expect(page.get_by_test_id("unknown")).to_be_hidden()
    expect(page.get_by_test_id("act-recommend_offers")).to_be_enabled()
    with stack.sessions() as s:
        created = s.scalar(select(Customer).where(Customer.last_name == "Nouvelle", Customer.first_name == "Zoé"))
        assert created is not None and created.contact_phone == "+33700000943"
    act_done_on(stack, call_id, "create_customer", "n1.grenoble", created.id)
    assert page.js_errors == []  # type: ignore[attr-defined]


# -- what a new advisor trips over ----------------------------------------------------------------------------
def test_a_pop_for_another_call_waits_for_the_advisor_to_switch(browser: Browser, pages: list[Page],
                                                                stack: RunningStack) -> None:
    page = open_panel(browser, pages, stack, "avsc.demo")
    inject_call(stack, "07 55 44 33 22", "ma box n'est toujours pas installée", "avsc.demo")
    expect(page.get_by_test_id("customer-name")).to_have_text("Mme Sophie Nguyen")
    expect(page.get_by_test_id("flag-order-today")).to_contain_text("WEB-2611-0107")
    page.get_by_test_id("chat-input").fill("sa commande en est où ?")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.get_by_test_id("chat-log")).to_contain_text("sa commande en est où ?")
    page.get_by_test_id("secondary-commercial").locator("summary").click()
    page.get_by_test_id("block-offers").scroll_into_view_if_needed()
    # a second call presented meanwhile: the current one stays, with what the advisor was doing
    inject_call(stack, "07 11 22 33 44", "ma ligne ne marche plus", "avsc.demo")
    banner = page.get_by_test_id("incoming-call")
    expect(banner).to_contain_text("Nouvel appel de M. Kévin Moreau (07 11 22 33 44)")
    expect(banner).to_be_in_viewport()  # even with the page scrolled down
    expect(page.get_by_test_id("customer-name")).to_have_text("Mme Sophie Nguyen")
    expect(page.get_by_test_id("chat-log")).to_contain_text("sa commande en est où ?")
    expect(page.get_by_test_id("field-interests")).to_be_visible()
    page.get_by_test_id("incoming-switch").click()
    expect(page.get_by_test_id("customer-name")).to_have_text("M. Kévin Moreau")
    expect(page.get_by_test_id("chat-log")).not_to_contain_text("sa commande")
    expect(banner).to_have_count(0)
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_keyboard_shortcuts_focus_and_a_wards_edits(browser: Browser, pages: list[Page], stack: RunningStack) -> None:
    page = open_panel(browser, pages, stack, "collection.demo")
    inject_call(stack, "07 98 76 54 32", "je voudrais changer mon adresse mail", "collection.demo")
    expect(page.get_by_test_id("customer-name")).to_have_text("M. Jean-Pierre Lefèvre")
    chat = page.get_by_test_id("chat-input")
    expect(chat).to_have_attribute("placeholder", "ex. : fin d'engagement ? (Alt+C ou /)")
    # the skip link is the first Tab stop
    page.locator("body").focus()
    page.keyboard.press("Tab")
    skip = page.get_by_test_id("skip-to-chat")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(chat).to_be_focused()
    # « / » outside an input, Alt+C anywhere
    page.get_by_test_id("customer-name").click()
    page.keyboard.press("/")
    expect(chat).to_be_focused()
    expect(chat).to_have_value("")
    page.get_by_test_id("edit-email").focus()
    page.keyboard.press("Alt+KeyC")
    expect(chat).to_be_focused()
    # a ward's contacts and payment method: the guardianship is said in the edit form; focus comes back
    page.get_by_test_id("edit-email").click()
    expect(page.get_by_test_id("guardianship-warning-email")).to_contain_text("Sous tutelle")
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("edit-email")).to_be_focused()
    page.get_by_test_id("edit-payment_method").click()
    expect(page.get_by_test_id("guardianship-warning-payment_method")).to_contain_text("Sous tutelle")
    page.get_by_test_id("form-payment_method").get_by_role("button", name="Annuler").click()
    expect(page.get_by_test_id("edit-payment_method")).to_be_focused()
    # after a save too
    page.get_by_test_id("edit-phones").click()
    page.get_by_test_id("input-contact_phone").fill("06 11 22 33 98")
    page.get_by_test_id("save-phones").click()
    expect(page.get_by_test_id("form-phones")).to_have_count(0)
    expect(page.get_by_test_id("edit-phones")).to_be_focused()
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_on_a_wide_screen_the_panel_uses_two_columns(browser: Browser, pages: list[Page],
                                                     stack: RunningStack) -> None:
    page = open_panel(browser, pages, stack, "sup.demo", viewport={"width": 1440, "height": 900})
    inject_call(stack, "07 12 34 56 78", "je voudrais changer de forfait", "sup.demo")
    expect(page.get_by_test_id("customer-name")).to_have_text("Mme Camille Martin")
    expect(page.get_by_test_id("block-equipment")).to_be_visible()
    journey = page.get_by_test_id("journey-card").bounding_box()
    customer = page.get_by_test_id("customer-card").bounding_box()
    chat = page.get_by_test_id("chat-card").bounding_box()
    assert customer["x"] >= journey["x"] + journey["width"]  # the 360° view beside the call
    assert chat["x"] == journey["x"]
    assert customer["x"] + customer["width"] > 1200  # the whole width is used
    expect(page.get_by_test_id("flag-order-late")).to_contain_text("WEB-2611-0042")
    assert contrast_failures(page) == []
    docs_screenshot(page, "panel-wide.png", full_page=False)
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_trainer_and_admin_get_their_own_space_not_the_call_screen(browser: Browser, pages: list[Page],
                                                                   stack: RunningStack) -> None:
    for login, title in (("trainer.demo", "Espace entraîneur"), ("admin.demo", "Espace administrateur")):
        page = open_panel(browser, pages, stack, login)
        expect(page.get_by_test_id("workspace-title")).to_have_text(title)
        expect(page.get_by_test_id("workspace-links").locator('a[href="/docs"]')).to_have_count(1)
        expect(page.get_by_test_id("idle")).to_be_hidden()
        inject_call(stack, "07 12 34 56 78", "je déménage", login)
        page.wait_for_timeout(1500)
        expect(page.get_by_test_id("call-card")).to_be_hidden()
        expect(page.get_by_test_id("search-input")).to_be_hidden()
        expect(page.get_by_text("Client non identifié")).to_be_hidden()
        assert page.js_errors == []  # type: ignore[attr-defined]


def test_an_act_ordered_in_the_chat_is_confirmed_with_a_button(browser: Browser, pages: list[Page],
                                                               stack: RunningStack) -> None:
    page, call_id = own_call(browser, pages, stack, "n1.demo", "je voudrais changer mon adresse mail",
                             (943, "Mme", "Diane", "Chat"))
    chat = page.get_by_test_id("chat-input")
    chat.fill("c'est quoi son mail ?")
    chat.press("Enter")
    expect(page.get_by_test_id("chat-answer")).to_contain_text("diane.943@exemple.fr", timeout=30_000)
    chat.fill("change son mail en diane.nouvelle@exemple.fr")
    chat.press("Enter")
    preview = page.get_by_test_id("chat-act-preview")
    expect(preview).to_contain_text("diane.943@exemple.fr → diane.nouvelle@exemple.fr", timeout=30_000)
    with stack.sessions() as s:  # nothing is written before « oui »
        assert s.get(Customer, 943).email == "diane.943@exemple.fr"
    preview.get_by_test_id("chat-act-confirm").click()
    expect(preview.get_by_test_id("chat-act-confirm")).to_be_disabled()
    expect(page.get_by_test_id("chat-log")).to_contain_text("oui")
    expect(page.get_by_test_id("chat-act-done")).to_contain_text("Coordonnées du client mises à jour",
                                                                 timeout=30_000)
    expect(page.get_by_test_id("field-email")).to_contain_text("diane.nouvelle@exemple.fr")  # the 360° reloaded
    with stack.sessions() as s:
        assert s.get(Customer, 943).email == "diane.nouvelle@exemple.fr"
    act_done_on(stack, call_id, "update_contact_details", "n1.demo", 943)
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_the_copilots_question_is_answered_with_a_button_and_the_act_dropped(browser: Browser, pages: list[Page],
                                                                             stack: RunningStack) -> None:
    caller = own_customer(stack, 944, "M.", "Émile", "Question", payment="transfer")
    with transaction(stack.sessions) as s:
        account = s.scalar(select(Account).where(Account.customer_id == 944))
        s.add(Invoice(account_id=account.id, number="FAC-0944-1", issued_on=date(2026, 11, 5),
                      due_on=date(2026, 11, 5), amount=Decimal("19.99"), status="paid"))
    page = open_panel(browser, pages, stack, "n1.demo")
    call_id = inject_call(stack, caller, "je n'ai pas reçu ma facture", "n1.demo")
    expect(page.get_by_test_id("customer-name")).to_have_text("M. Émile Question")
    chat = page.get_by_test_id("chat-input")
    chat.fill("envoie-lui un duplicata de sa facture")
    chat.press("Enter")
    question = page.get_by_test_id("chat-act-question")
    expect(question).to_contain_text("Il me faut : envoi.", timeout=30_000)
    expect(question.get_by_test_id("chat-choice-2")).to_have_text("Par courrier")
    question.get_by_test_id("chat-choice-1").click()  # « 1 »: by e-mail
    preview = page.get_by_test_id("chat-act-preview")
    expect(preview).to_contain_text("FAC-0944-1", timeout=30_000)
    expect(preview).to_contain_text("par e-mail à émile.944@exemple.fr")
    preview.get_by_test_id("chat-act-cancel").click()  # « non »
    expect(page.get_by_test_id("chat-log")).to_contain_text("je n'ai rien modifié", timeout=30_000)
    with stack.sessions() as s:
        assert s.scalars(select(Interaction).where(Interaction.customer_id == 944)).all() == []
    assert traces(stack, call_id, "act.done") == []
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_a_token_renewal_leaves_an_open_edit_alone(browser: Browser, pages: list[Page], stack: RunningStack) -> None:
    short = issue_token("n1.grenoble", ttl=timedelta(seconds=4))
    page = new_page(browser, pages, f"{stack.url}/#token={quote(short)}")
    expect(page.get_by_test_id("connection")).to_have_text("Connecté")
    inject_call(stack, "07 55 44 33 22", "je voudrais changer mon adresse mail", "n1.grenoble")
    expect(page.get_by_test_id("customer-name")).to_have_text("Mme Sophie Nguyen")
    page.get_by_test_id("edit-email").click()
    page.get_by_test_id("input-email").fill("en.cours@exemple.fr")
    page.wait_for_timeout(6000)  # past the first token's expiry: renewed, same permissions
    expect(page.get_by_test_id("input-email")).to_have_value("en.cours@exemple.fr")
    expect(page.get_by_test_id("input-email")).to_be_focused()
    expect(page.get_by_test_id("auth-error")).to_be_hidden()
    assert page.js_errors == []  # type: ignore[attr-defined]
