"""The side panel in Debian's chromium (Playwright, never a downloaded browser) against the real stack.

The stack's database is shared by the whole session: a test's pops go to the advisor the call is presented
to (its pages are closed after it), the edit tests here change customer 3 only, and the journeys' tests
(test_panel_journeys.py) write only what no other test reads.
"""

import uuid
from datetime import date
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from crm_core.core.db import transaction
from crm_core.core.security import issue_token
from crm_core.models import Customer, Line, TraceEvent
from tests.conftest import RunningStack
from tests.web_widget.panel import docs_screenshot, inject_call, new_page, open_panel

pytestmark = [pytest.mark.browser, pytest.mark.integration]

DOCS_SCREENSHOT = "panel.png"  # the README's
ALL_BLOCKS = ["identification", "commercial", "offers", "billing", "alerts", "equipment"]


def blocks_shown(page: Page) -> list[str]:
    return page.locator("#view360 > details.block").evaluate_all("nodes => nodes.map(n => n.dataset.block)")


def email_of(stack: RunningStack, customer_id: int) -> str | None:
    with stack.sessions() as s:
        return s.get(Customer, customer_id).email


def test_an_answered_call_shows_the_customer_360_view_and_the_journey(browser: Browser, pages: list[Page],
                                                                       stack: RunningStack) -> None:
    page = open_panel(browser, pages, stack, "n1.demo")
    inject_call(stack, "07 12 34 56 78",
                "bonjour alors voilà on déménage à Marseille le mois prochain et on voudrait garder la box", "n1.demo")
    expect(page.get_by_test_id("customer-name")).to_have_text("Mme Camille Martin")
    expect(page.get_by_test_id("journey")).to_have_text("Je déménage")
    expect(page.get_by_test_id("act-move_address")).to_have_text("Enregistrer le déménagement")
    # the full 360° view, blocks in the seed's order, indispensable fields first and visible
    expect(page.get_by_test_id("block-equipment")).to_be_visible()
    assert blocks_shown(page) == ALL_BLOCKS
    orders = page.get_by_test_id("field-orders")
    expect(orders).to_be_visible()
    expect(orders).to_contain_text("Commandes en cours")
    expect(orders).to_contain_text("WEB-2611-0042")
    expect(orders).to_have_class("field prio-indispensable")
    expect(page.get_by_test_id("flag-order-late")).to_contain_text("WEB-2611-0042 en retard")
    expect(page.get_by_test_id("block-offers")).to_contain_text("engagé jusqu'au 01/09/2027")
    expect(page.get_by_test_id("field-email")).to_contain_text("camille.martin@exemple.fr")
    priorities = page.locator("[data-testid=block-commercial] .field").evaluate_all(
        "nodes => nodes.map(n => n.className.replace('field prio-', ''))")
    assert priorities == sorted(priorities, key=["indispensable", "important", "secondary"].index)
    # secondary fields are collapsed until asked for
    expect(page.get_by_test_id("field-interests")).to_be_hidden()
    page.get_by_test_id("secondary-commercial").locator("summary").click()
    expect(page.get_by_test_id("field-interests")).to_contain_text("séries TV")
    page.get_by_test_id("secondary-commercial").locator("summary").click()
    # n1 may edit contact data and the payment method, not the identity
    expect(page.get_by_test_id("edit-email")).to_be_visible()
    expect(page.get_by_test_id("edit-postal_address")).to_be_visible()
    expect(page.get_by_test_id("edit-payment_method")).to_be_visible()
    expect(page.get_by_test_id("edit-birth_date")).to_have_count(0)
    # the chat
    page.get_by_test_id("chat-input").fill("quelle est la date de fin d'engagement ?")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.get_by_test_id("chat-log")).to_contain_text("Box Fibre 2 Gb/s + TV (09 72 12 34 56)", timeout=30_000)
    page.get_by_test_id("chat-input").fill("")
    # the whole panel at once: a viewport as tall as the page puts the sticky chat at its natural place
    page.set_viewport_size({"width": 460, "height": page.evaluate("document.documentElement.scrollHeight")})
    docs_screenshot(page, DOCS_SCREENSHOT)
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_an_unknown_number_offers_a_search_that_attaches_the_customer(browser: Browser, pages: list[Page],
                                                                      stack: RunningStack) -> None:
    page = open_panel(browser, pages, stack, "n1.grenoble")
    inject_call(stack, "07 00 00 00 00", "je veux résilier mon forfait", "n1.grenoble")
    expect(page.get_by_test_id("unknown")).to_contain_text("Client non identifié")
    expect(page.get_by_test_id("journey")).to_have_text("Je résilie")
    page.get_by_test_id("search-input").fill("Zzzz")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.get_by_test_id("search-results")).to_have_text("Aucun client trouvé.")
    page.get_by_test_id("search-input").fill("Lefèvre")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.get_by_test_id("search-results")).to_contain_text("07 98 76 54 32")
    # namesakes told apart: the city and the birth date when the API gives them
    expect(page.get_by_test_id("search-results")).to_contain_text("Brest · né(e) le 02/11/1947")
    page.get_by_test_id("search-results").get_by_text("M. Jean-Pierre Lefèvre").click()
    expect(page.get_by_test_id("customer-name")).to_have_text("M. Jean-Pierre Lefèvre")
    expect(page.get_by_test_id("unknown")).to_be_hidden()
    # what needs care is flagged on top: the guardianship and the unpaid balance
    expect(page.get_by_test_id("flag-guardianship")).to_contain_text("Sous tutelle")
    expect(page.get_by_test_id("flag-balance")).to_contain_text("58,40 € dû")
    assert blocks_shown(page) == ALL_BLOCKS
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_search_by_line_number_and_more_results(browser: Browser, pages: list[Page], stack: RunningStack) -> None:
    page = open_panel(browser, pages, stack, "avsc.demo")
    inject_call(stack, "07 00 00 00 00", "bonjour", "avsc.demo")
    expect(page.get_by_test_id("unknown")).to_be_visible()
    page.get_by_test_id("search-input").fill("07 55 44 33 22")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.get_by_test_id("search-results")).to_contain_text("Mme Sophie Nguyen")
    expect(page.get_by_test_id("search-more")).to_be_hidden()
    # a name twelve customers share: ten at a time, then the next page on demand
    with transaction(stack.sessions) as s:
        for n in range(12):
            s.add(Customer(id=910 + n, civility="Mme", first_name=f"Page{n}", last_name=f"Zpagination{n:02d}",
                           address_line="1 rue de la Paix", postcode="75002", city="Paris"))
    prefix, count = "zpagination", 12
    page.get_by_test_id("search-input").fill(prefix)
    page.get_by_role("button", name="Rechercher").click()
    expect(page.get_by_test_id("search-results").locator("li")).to_have_count(10)
    page.get_by_test_id("search-more").click()
    expect(page.get_by_test_id("search-results").locator("li")).to_have_count(count)
    expect(page.get_by_test_id("search-results")).to_contain_text("Mme Page11 Zpagination11")
    expect(page.get_by_test_id("search-results")).to_contain_text("aucune ligne")
    expect(page.get_by_test_id("search-more")).to_be_hidden()


def test_customer_supplied_strings_are_shown_as_text_never_run(browser: Browser, pages: list[Page],
                                                               stack: RunningStack) -> None:
    hostile = '<img src=x onerror="window.__pwned=1">'
    with transaction(stack.sessions) as s:
        s.add(Customer(id=900, civility="M.", first_name="<script>window.__pwned=2</script>", last_name=hostile,
                       birth_date=date(1990, 1, 1), email="x@exemple.fr", address_line="<b>1 rue</b>",
                       postcode="75001", city="Paris", interests=['<img src=z onerror="window.__pwned=4">']))
        s.flush()
        s.add(Line(customer_id=900, number="+33611223344", kind="mobile", offer_code="MOBILE_2H",
                   activation_date=date(2025, 1, 1)))
    page = open_panel(browser, pages, stack, "sup.demo")
    inject_call(stack, "06 11 22 33 44", '<img src=y onerror="window.__pwned=3"> ma facture', "sup.demo")
    expect(page.get_by_test_id("customer-name")).to_contain_text(hostile)
    expect(page.get_by_test_id("field-postal_address")).to_contain_text("<b>1 rue</b>, 75001 Paris")
    page.get_by_test_id("secondary-commercial").locator("summary").click()
    expect(page.get_by_test_id("field-interests")).to_contain_text("<img src=z")
    expect(page.get_by_test_id("reason")).to_contain_text("<img src=y")
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#customer img, #customer script, #reason img, #customer b").count() == 0
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_the_email_is_edited_in_place_with_french_errors_next_to_the_field(browser: Browser, pages: list[Page],
                                                                           stack: RunningStack) -> None:
    page = open_panel(browser, pages, stack, "collection.demo")
    call_id = inject_call(stack, "07 55 44 33 22", "je voudrais changer mon adresse mail", "collection.demo")
    expect(page.get_by_test_id("customer-name")).to_have_text("Mme Sophie Nguyen")
    field = page.get_by_test_id("field-email")
    before = email_of(stack, 3)
    expect(field).to_contain_text(before or "—")
    # an invalid address: the French error shows next to the field, nothing is written
    page.get_by_test_id("edit-email").click()
    page.get_by_test_id("input-email").fill("sophie.nguyen@")
    page.get_by_test_id("save-email").click()
    error = page.get_by_test_id("form-email").get_by_test_id("error-email")
    expect(error).to_have_text("Adresse e-mail invalide (exemple : prenom.nom@exemple.fr).")
    expect(page.get_by_test_id("input-email")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("form-error-email")).to_contain_text("Rien n'a été enregistré")
    assert email_of(stack, 3) == before
    page.get_by_role("button", name="Annuler").click()
    expect(field).to_contain_text(before or "—")
    # a valid one: shown at once in the view
    new = f"sophie.{uuid.uuid4().hex[:6]}@exemple.fr"
    page.get_by_test_id("edit-email").click()
    page.get_by_test_id("input-email").fill(new)
    page.get_by_test_id("input-email").press("Enter")
    expect(page.get_by_test_id("field-email")).to_contain_text(new)
    expect(page.get_by_test_id("form-email")).to_have_count(0)
    expect(page.get_by_test_id("view-notice")).to_contain_text("modification enregistrée")
    assert email_of(stack, 3) == new
    # the edit is traced on the call it was made during (X-Call-Id)
    with stack.sessions() as s:
        trace = s.scalars(select(TraceEvent).where(TraceEvent.name == "customer.updated",
                                                   TraceEvent.customer_id == 3, TraceEvent.actor == "collection.demo")
                          .order_by(TraceEvent.id.desc())).first()
    assert trace is not None and trace.call_id == call_id
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_an_edit_based_on_a_stale_view_is_refused_and_the_view_reloaded(browser: Browser, pages: list[Page],
                                                                        stack: RunningStack) -> None:
    page = open_panel(browser, pages, stack, "n1.demo")
    inject_call(stack, "07 55 44 33 22", "je déménage", "n1.demo")
    expect(page.get_by_test_id("customer-name")).to_have_text("Mme Sophie Nguyen")
    page.get_by_test_id("edit-postal_address").click()
    page.get_by_test_id("input-city").fill("Paris 19e")
    # meanwhile a colleague changes the customer
    headers = {"Authorization": f"Bearer {issue_token('sup.demo')}"}
    city = f"Paris-{uuid.uuid4().hex[:4]}"
    r = httpx.patch(f"{stack.url}/api/customers/3", json={"city": city}, headers=headers)
    assert r.status_code == 200, r.text
    page.get_by_test_id("save-postal_address").click()
    expect(page.get_by_test_id("view-notice")).to_contain_text("modifié entre-temps")
    expect(page.get_by_test_id("field-postal_address")).to_contain_text(city)  # reloaded: the colleague's change
    with stack.sessions() as s:
        assert s.get(Customer, 3).city == city


def test_a_profile_sees_only_the_blocks_it_may(browser: Browser, pages: list[Page], stack: RunningStack) -> None:
    page = open_panel(browser, pages, stack, "n2.demo")
    inject_call(stack, "07 11 22 33 44", "ma ligne ne marche plus", "n2.demo")
    expect(page.get_by_test_id("customer-name")).to_have_text("M. Kévin Moreau")
    expect(page.get_by_test_id("block-identification")).to_be_visible()
    assert blocks_shown(page) == ["identification", "offers", "alerts", "equipment"]
    expect(page.get_by_test_id("customer")).not_to_contain_text("Facturation")
    expect(page.get_by_test_id("block-billing")).to_have_count(0)
    expect(page.get_by_test_id("field-guardianship")).to_have_count(0)
    expect(page.get_by_test_id("flag-electronic_tag")).to_contain_text("bracelet électronique")
    # edits offered follow the permissions: contact yes, payment method and options no
    expect(page.get_by_test_id("edit-email")).to_be_visible()
    expect(page.get_by_test_id("edit-payment_method")).to_have_count(0)
    expect(page.get_by_test_id("edit-offers_options")).to_have_count(0)


def test_sign_in_failures_are_explained_in_french(browser: Browser, pages: list[Page], stack: RunningStack) -> None:
    page = new_page(browser, pages, f"{stack.url}/?advisor=inconnu.demo")
    # the same words for a login that does not exist as for a bad token: errors do not list logins
    expect(page.get_by_test_id("auth-error")).to_contain_text(
        "Connexion impossible : Jeton d'authentification invalide")
    expect(page.get_by_test_id("connection")).to_have_text("Non connecté")
    page = new_page(browser, pages, f"{stack.url}/#token=pas-un-jeton")
    expect(page.get_by_test_id("auth-error")).to_contain_text("Jeton d'authentification invalide")
    expect(page.get_by_test_id("connection")).to_have_text("Non connecté")
    # a token from the portal (OIDC in production) is used as is and leaves the address bar
    page = new_page(browser, pages, f"{stack.url}/#token={quote(issue_token('avsc.demo'))}")
    expect(page.get_by_test_id("connection")).to_have_text("Connecté")
    expect(page.get_by_test_id("advisor")).to_contain_text("avsc.demo")
    assert "token" not in page.url


def test_the_panel_renews_its_token_before_it_expires_and_stays_connected(browser: Browser, pages: list[Page],
                                                                         stack: RunningStack) -> None:
    """The socket closes at the token's expiry: a panel that renews it in time keeps receiving its calls."""
    from datetime import timedelta

    short = issue_token("avsc.demo", ttl=timedelta(seconds=4))
    page = new_page(browser, pages, f"{stack.url}/#token={quote(short)}")
    expect(page.get_by_test_id("connection")).to_have_text("Connecté")
    page.wait_for_timeout(6000)  # past the first token's expiry
    inject_call(stack, "07 11 22 33 44", "ma ligne ne marche plus", "avsc.demo")
    expect(page.get_by_test_id("customer-name")).to_have_text("M. Kévin Moreau")
    expect(page.get_by_test_id("auth-error")).to_be_hidden()
    with stack.sessions() as s:
        renewed = s.scalars(select(TraceEvent).where(TraceEvent.name == "session.renewed",
                                                     TraceEvent.actor == "avsc.demo")).all()
    assert len(renewed) >= 2  # the API's new token, and the socket's renewal with it
