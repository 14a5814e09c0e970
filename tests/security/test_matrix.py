"""Generated matrix: every operation of ``/openapi.json`` × every seeded profile × no token, and every
panel message × a foreign call. Each answer has the expected status, and no body carries a value of a 360°
field the profile may not read (canaries from the demo customers, after edits that put them in traces).

Writes are sent with a stale version (or an unknown id) so that an allowed profile gets 409 (or 404/422)
after the habilitation check, and a forbidden one 403 before it: the matrix changes no data.
"""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from assistant.copilot.app import create_app
from assistant.copilot.settings import CopilotSettings
from copilot_cli.stack import free_port
from crm_core.core.db import create_schema, make_engine, session_factory, transaction
from crm_core.seed import seed_reference
from crm_core.seed.organisation import ADVISORS
from crm_core.services import fields
from crm_core.services.habilitations import PROFILES
from crm_core.transfers import routing as transfer_routing
from tests.factories import auth, present_call

LOGINS = [login for login, *_ in ADVISORS]
PROFILE_OF = {login: profile for login, _name, profile, *_ in ADVISORS}
CALL = "matrix-call"  # presented to n1.demo (CCO-LYON); sup.demo supervises that centre
CALL_OWNERS = {"n1.demo", "sup.demo"}
CUSTOMER = 2  # M. Lefèvre: guardianship, collection, unpaid invoices
NEW_IBAN = "FR1420041010050500013M02606"

# What each 360° field would give away about customer 2 (after the edits of the fixture)
CANARIES: dict[str, tuple[str, ...]] = {
    "guardianship": ("Anne Lefèvre", "rue de Siam", "anne.lefevre@"),
    "payment_method": ("2606",),
    "collection": ("Dossier ouvert le", "58,40 € dus"),
    "collection_events": ("Relance pour deux factures",),
    "invoice_history": ("FAC-0002",),
    "payer_quality": ("impayé en cours",),
}

# (method, path template) → (permission needed, status when allowed); None: any signed-in advisor.
# "owner": the advisor the call is presented to or a supervisor of their centre. "public": no token needed.
EXPECTED: dict[tuple[str, str], tuple[str | None, int]] = {
    ("GET", "/health"): ("public", 503),  # Rasa and the action server are down here
    ("POST", "/api/dev/token"): ("public", 200),
    ("GET", "/api/me"): (None, 200),
    ("POST", "/api/session/renew"): (None, 200),
    ("GET", "/api/profiles"): ("admin:habilitations", 200),
    ("POST", "/api/pack-loans"): ("admin:habilitations", 422),
    ("DELETE", "/api/pack-loans/{loan_id}"): ("admin:habilitations", 404),
    ("GET", "/api/customers"): ("customer:search", 200),
    ("GET", "/api/customers/{customer_id}/view360"): ("customer:read", 200),
    ("GET", "/api/customers/{customer_id}/traces"): ("trace:read", 200),
    ("PATCH", "/api/customers/{customer_id}"): ("act:edit_contact", 409),
    ("PUT", "/api/customers/{customer_id}/payment-method"): ("act:edit_payment_method", 409),
    ("POST", "/api/customers/{customer_id}/lines/{line_id}/options"): ("act:edit_options", 409),
    ("DELETE", "/api/customers/{customer_id}/lines/{line_id}/options/{option_code}"): ("act:edit_options", 409),
    ("PUT", "/api/customers/{customer_id}/guardianship"): ("act:edit_guardianship", 409),
    ("DELETE", "/api/customers/{customer_id}/guardianship"): ("act:edit_guardianship", 409),
    ("GET", "/api/calls/unassigned"): ("call:supervise", 200),
    ("GET", "/api/calls/{call_id}/conversation"): ("owner", 503),  # allowed, then Rasa is down here
    ("POST", "/api/calls/{call_id}/journey"): ("owner", 200),
    ("GET", "/api/acts"): (None, 200),
    ("GET", "/api/journeys"): (None, 200),
    # the act of the path is register_termination (act:terminate), on the call's customer 2's mobile line: sent on
    # the call (X-Call-Id), so only its owners get past the call check, then only with act:terminate
    ("POST", "/api/acts/{code}/open"): ("owner+act:terminate", 200),
    ("POST", "/api/acts/{code}/preview"): ("owner+act:terminate", 200),  # nothing written
    ("POST", "/api/acts/{code}/execute"): ("owner+act:terminate", 409),  # stale version
    ("POST", "/api/acts/{code}/cancel"): ("owner+act:terminate", 204),
    # transfers: the draft is a read; the request stops at the blocking prerequisite (identity not ticked), so
    # nothing is written; the level-2 steps on an unknown transfer answer 404 after the habilitation check
    ("GET", "/api/calls/{call_id}/transfer"): ("owner+transfer:request", 200),
    ("POST", "/api/calls/{call_id}/transfer"): ("owner+transfer:request", 409),
    ("GET", "/api/transfers"): (None, 200),
    ("GET", "/api/transfers/{transfer_id}"): (None, 404),
    ("POST", "/api/transfers/{transfer_id}/ack"): ("transfer:receive", 404),
    ("POST", "/api/transfers/{transfer_id}/decline"): ("transfer:receive", 404),
    ("POST", "/api/transfers/{transfer_id}/pickup"): ("transfer:receive", 404),
    ("POST", "/api/transfers/{transfer_id}/close"): ("transfer:receive", 404),
    ("POST", "/api/transfers/{transfer_id}/cancel"): ("transfer:request", 404),
    ("GET", "/api/baskets"): (None, 200),
    ("GET", "/api/baskets/{basket_code}/transfers"): ("receiver:n2", 200),  # a receiving profile of the N2 team
    # the trainer's console: reads answer, writes are refused after the check (unknown ids, invalid bodies)
    ("GET", "/api/trainer/inbox"): ("nlu:curate", 200),
    ("POST", "/api/trainer/inbox/{inbox_id}/reject"): ("nlu:curate", 404),
    ("POST", "/api/trainer/examples"): ("nlu:curate", 422),
    ("GET", "/api/trainer/examples"): ("nlu:curate", 200),
    ("GET", "/api/trainer/examples/{example_id}"): ("nlu:curate", 404),
    ("PATCH", "/api/trainer/examples/{example_id}"): ("nlu:curate", 404),
    ("DELETE", "/api/trainer/examples/{example_id}"): ("nlu:curate", 404),
    ("POST", "/api/trainer/models"): ("nlu:curate", 422),
    ("GET", "/api/trainer/models"): ("nlu:curate", 200),
    ("GET", "/api/trainer/models/{model_id}"): ("nlu:curate", 404),
    ("POST", "/api/trainer/models/{model_id}/cancel"): ("nlu:curate", 404),
    ("POST", "/api/trainer/models/{model_id}/publish"): ("nlu:curate", 404),
    ("POST", "/api/trainer/models/{model_id}/rollback"): ("nlu:curate", 404),
    # the steering: any profile with figures (kpi:region, kpi:team, kpi:own); the call's timeline answers those whose
    # scope holds the call (n1.demo's: n1.demo, their team leader, their region's supervisor), 404 to the others
    ("GET", "/api/kpis"): ("kpi", 200),
    ("GET", "/api/kpis/definitions"): ("kpi", 200),
    ("GET", "/api/kpis/compare"): ("kpi", 422),  # no centre given
    ("GET", "/api/kpis/acts"): ("kpi", 200),
    ("GET", "/api/kpis/calls"): ("kpi", 200),
    ("GET", "/api/kpis/calls.csv"): ("kpi", 200),
    ("GET", "/api/kpis/calls/{call_id}/timeline"): ("kpi+call", 200),
    ("GET", "/api/kpis/live"): ("kpi", 200),
}
KPI_CALL_READERS = {"n1.demo", "lead.demo", "sup.demo"}
STALE = 999_999
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/dev/token"): {"login": "n1.demo"},
    ("POST", "/api/pack-loans"): {"pack_code": "no_such_pack", "profile_code": "n1_customer_contact", "days": 1},
    ("PATCH", "/api/customers/{customer_id}"): {"email": "x@exemple.fr", "version": STALE},
    ("PUT", "/api/customers/{customer_id}/payment-method"): {"kind": "direct_debit", "iban": NEW_IBAN,
                                                             "holder": "Jean-Pierre Lefèvre", "version": STALE},
    ("POST", "/api/customers/{customer_id}/lines/{line_id}/options"): {"option_code": "OPT_ROAMING", "version": STALE},
    ("PUT", "/api/customers/{customer_id}/guardianship"): {"kind": "tutelle", "guardian_name": "M. Test",
                                                           "version": STALE},
    ("POST", "/api/calls/{call_id}/journey"): {"journey": "terminate"},
    ("POST", "/api/acts/{code}/open"): {"customer_id": CUSTOMER},
    ("POST", "/api/acts/{code}/preview"): {"customer_id": CUSTOMER,
                                           "params": {"line": "3", "termination_date": "2026-12-15"}},
    ("POST", "/api/acts/{code}/execute"): {"customer_id": CUSTOMER, "version": STALE,
                                           "params": {"line": "3", "termination_date": "2026-12-15"}},
    ("POST", "/api/acts/{code}/cancel"): {"customer_id": CUSTOMER, "stage": "preview"},
    ("POST", "/api/calls/{call_id}/transfer"): {"mode": "warm", "to": "n2"},
    ("POST", "/api/transfers/{transfer_id}/decline"): {"reason": "Pas pour notre équipe"},
    ("POST", "/api/transfers/{transfer_id}/close"): {"outcome": "resolved"},
    ("POST", "/api/trainer/examples"): {"text": "ma box ne marche plus", "journey": "no_such_journey"},
    ("PATCH", "/api/trainer/examples/{example_id}"): {"journey": "move"},
    ("POST", "/api/trainer/models"): {"note": "x" * 300},
}
PATH_VALUES = {"customer_id": str(CUSTOMER), "line_id": "3", "option_code": "OPT_ROAMING", "loan_id": "999999",
               "call_id": CALL, "code": "register_termination", "transfer_id": "999999", "basket_code": "N2-TECH",
               "inbox_id": "0123456789abcdef", "example_id": "999999", "model_id": "999999"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The app on its own seeded SQLite CRM, Rasa down; customer 2 edited by a supervisor so that the
    traces hold a new guardian and a new IBAN; one call presented to n1.demo."""
    path: Path = tmp_path_factory.mktemp("matrix") / "crm.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    create_schema(engine)
    sessions: sessionmaker[Session] = session_factory(engine)
    with transaction(sessions) as s:
        seed_reference(s)
    closed = free_port()
    settings = CopilotSettings(rasa_url=f"http://127.0.0.1:{closed}", actions_url=f"http://127.0.0.1:{closed}",
                               nlu_timeout_s=0.3, health_timeout_s=0.3, chat_timeout_s=0.3)
    with TestClient(create_app(settings, engine=engine)) as c:
        sup = auth("sup.demo")
        guardian = {"kind": "tutelle", "guardian_name": "Mme Anne Lefèvre (fille)", "guardian_phone": "06 11 22 33 00",
                    "guardian_email": "anne.lefevre@exemple.fr",
                    "guardian_address": "8 rue de Siam, 29200 Brest"}
        assert c.put(f"/api/customers/{CUSTOMER}/guardianship", json=guardian, headers=sup).status_code == 200
        method = {"kind": "direct_debit", "iban": NEW_IBAN, "holder": "Jean-Pierre Lefèvre"}
        assert c.put(f"/api/customers/{CUSTOMER}/payment-method", json=method, headers=sup).status_code == 200
        present_call(c, CALL, "n1.demo", "07 98 76 54 32", f"je change de banque, mon IBAN est {NEW_IBAN}")
        c.app.state.calls.flush_traces()  # type: ignore[attr-defined]
        c.app.state.projector.catch_up()  # type: ignore[attr-defined]  # the call is in the steering's facts
        yield c
    engine.dispose()


def operations(client: TestClient) -> list[tuple[str, str]]:
    spec = client.get("/openapi.json").json()
    return sorted((method.upper(), path) for path, item in spec["paths"].items() for method in item
                  if method in ("get", "post", "put", "patch", "delete"))


def allowed(login: str, needed: str | None) -> bool:
    if needed in (None, "public"):
        return True
    if needed == "owner":
        return login in CALL_OWNERS
    if needed.startswith("owner+"):
        return login in CALL_OWNERS and allowed(login, needed.removeprefix("owner+"))
    if needed in ("kpi", "kpi+call"):
        return bool({"kpi:region", "kpi:team", "kpi:own"} & PROFILES[PROFILE_OF[login]][1])
    if needed.startswith("receiver:"):
        team = transfer_routing.load().teams[needed.removeprefix("receiver:")]
        return PROFILE_OF[login] in team.receivers and allowed(login, "transfer:receive")
    return needed in PROFILES[PROFILE_OF[login]][1]


def call(client: TestClient, method: str, template: str, headers: dict[str, str]) -> Any:
    url = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m.group(1)], template)
    if template.endswith("/options/{option_code}") or template.endswith("/guardianship") and method == "DELETE":
        headers = headers | {"If-Match": f'"{STALE}"'}
    if template.startswith("/api/acts/{code}/") and "Authorization" in headers:
        headers = headers | {"X-Call-Id": CALL}
    return client.request(method, url, json=BODIES.get((method, template)), headers=headers)


def restricted_canaries(login: str) -> list[str]:
    permissions = PROFILES[PROFILE_OF[login]][1]
    return [c for name, canaries in CANARIES.items() if not fields.can_see(permissions, name) for c in canaries]


def test_the_matrix_covers_every_operation_of_the_api(client: TestClient) -> None:
    assert set(operations(client)) == set(EXPECTED), "add the new operation to EXPECTED (and BODIES)"


def test_a_supervisor_does_see_every_canary(client: TestClient) -> None:
    """The canaries are really in the outputs: the absence checks below can fail."""
    bodies = "".join(call(client, "GET", t, auth("sup.demo")).text for t in (
        "/api/customers/{customer_id}/view360", "/api/customers/{customer_id}/traces"))
    for canaries in CANARIES.values():
        for canary in canaries:
            assert canary in bodies, canary


@pytest.mark.parametrize("login", LOGINS)
def test_every_operation_answers_each_profile_as_expected_and_leaks_nothing(client: TestClient, login: str) -> None:
    hidden = restricted_canaries(login)
    for method, template in operations(client):
        needed, status = EXPECTED[(method, template)]
        r = call(client, method, template, auth(login))
        expected = status if allowed(login, needed) else 403
        if needed == "kpi+call" and expected == 200 and login not in KPI_CALL_READERS:
            expected = 404
        assert r.status_code == expected, (login, method, template, r.status_code, r.text[:300])
        if r.status_code >= 400 and template != "/health":  # /health answers its own Health body
            assert r.headers["content-type"] == "application/problem+json", (method, template)
        for canary in hidden:
            assert canary not in r.text, (login, method, template, canary)


def test_without_a_token_only_the_public_operations_answer(client: TestClient) -> None:
    for method, template in operations(client):
        needed, status = EXPECTED[(method, template)]
        r = call(client, method, template, {})
        if needed == "public":
            assert r.status_code == status, (method, template)
        else:
            assert r.status_code == 401, (method, template, r.status_code)
            assert r.headers["www-authenticate"] == "Bearer"
        for canaries in CANARIES.values():
            for canary in canaries:
                assert canary not in r.text, (method, template, canary)


PANEL_MESSAGES: dict[str, dict[str, Any]] = {
    "chat": {"type": "chat", "call_id": CALL, "text": "quelle est la date de fin d'engagement ?"},
    "attach_customer": {"type": "attach_customer", "call_id": CALL, "customer_id": 1},
}


@pytest.mark.parametrize("kind", sorted(PANEL_MESSAGES))
@pytest.mark.parametrize("login", sorted(set(LOGINS) - CALL_OWNERS))
def test_every_panel_message_on_a_foreign_call_is_refused_and_reveals_nothing(client: TestClient, login: str,
                                                                              kind: str) -> None:
    from crm_core.core.security import issue_token

    with client.websocket_connect(f"/ws/panel?token={issue_token(login)}") as panel:
        assert panel.receive_json()["type"] == "hello"
        panel.send_json(PANEL_MESSAGES[kind])
        frame = panel.receive_json()
        assert frame == {"type": "error", "call_id": CALL,
                         "detail": "Cet appel ne vous est pas attribué : action refusée."}
        panel.send_json({"type": "renew", "token": issue_token("n1.demo")})  # nor by borrowing the owner's token
        assert panel.receive_json()["detail"].startswith("Renouvellement refusé")
    assert client.app.state.calls.calls[CALL].customer.id == CUSTOMER  # type: ignore[attr-defined]
