"""The acts' API: the catalogue, a form filled from the call, preview then execution, refusals that write
nothing, and the journey switch. In-process app on SQLite and PostgreSQL; Rasa is down (not needed)."""


from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm_core.acts.catalogue import ACTS, JOURNEY_CODES
from crm_core.models import Customer, CustomerEvent, TraceEvent
from tests.factories import auth, present_and_look_up

N1 = auth("n1.demo")


def _on_call(client: TestClient, call_id: str = "call-acts", number: str = "07 12 34 56 78",
             reason: str | None = None) -> dict[str, str]:
    """A call presented to n1.demo, once the copilot has looked its number up (as the panel acts after the pop)."""
    present_and_look_up(client, call_id, "n1.demo", number, reason)
    return N1 | {"X-Call-Id": call_id}


def _names(sessions: sessionmaker[Session], call_id: str) -> list[str]:
    with sessions() as s:
        return list(s.scalars(select(TraceEvent.name).where(TraceEvent.call_id == call_id).order_by(TraceEvent.id)))


def test_the_catalogue_lists_every_act_with_its_permission_and_parameters(api: TestClient) -> None:
    acts = api.get("/api/acts", headers=N1).json()
    assert {a["code"] for a in acts} == set(ACTS)
    termination = next(a for a in acts if a["code"] == "register_termination")
    assert termination["permission"] == "act:terminate" and termination["writes"] is True
    assert termination["allowed"] is True
    assert {"name": "termination_date", "type": "date", "label": "Date de résiliation", "required": True} in \
        termination["params"]
    for journey in JOURNEY_CODES:
        assert api.get("/api/acts", params={"journey": journey}, headers=N1).json(), journey
    collection = {a["code"]: a["allowed"] for a in api.get("/api/acts", headers=auth("collection.demo")).json()}
    assert collection["grant_payment_extension"] is True and collection["register_termination"] is False


def test_the_form_is_filled_from_the_call(api: TestClient, sessions: sessionmaker[Session]) -> None:
    headers = _on_call(api)
    form = api.post("/api/acts/register_termination/open", json={"customer_id": 1, "journey": "terminate"},
                    headers=headers).json()
    line = next(p for p in form["params"] if p["name"] == "line")
    assert line["value"] == "1"  # the line the customer calls from (07 12 34 56 78)
    assert {c["value"] for c in line["choices"]} == {"1", "2"}
    assert next(p for p in form["params"] if p["name"] == "termination_date")["value"] == "2026-12-01"
    assert form["version"] >= 1
    api.app.state.calls.flush_traces()
    assert "act.opened" in _names(sessions, "call-acts")


def test_preview_then_execute_updates_the_360_and_traces_the_act(api: TestClient,
                                                                 sessions: sessionmaker[Session]) -> None:
    headers = _on_call(api)
    body = {"customer_id": 1, "params": {"line": "2", "termination_date": "2026-12-20"}}
    preview = api.post("/api/acts/register_termination/preview", json=body, headers=headers).json()
    assert preview["status"] == "preview" and preview["changes"][0]["after"] == "résiliée au 20/12/2026"
    done = api.post("/api/acts/register_termination/execute", json=body | {"version": preview["version"]},
                    headers=headers)
    assert done.status_code == 200, done.text
    assert done.headers["ETag"] == f'"{done.json()["version"]}"'
    view = api.get("/api/customers/1/view360", headers=headers).json()
    events = next(f for b in view["blocks"] for f in b["fields"] if f["name"] == "ongoing_events")
    assert "Résiliation de la ligne 09 72 12 34 56 au 20/12/2026" in " ".join(events["display"])
    assert "act.done" in _names(sessions, "call-acts")


def test_a_refused_act_is_409_in_french_writes_nothing_and_is_traced(api: TestClient,
                                                                     sessions: sessionmaker[Session]) -> None:
    headers = _on_call(api, number="07 11 22 33 44")
    r = api.post("/api/acts/register_termination/execute",
                 json={"customer_id": 4, "params": {"line": "6", "termination_date": "2026-12-20"}}, headers=headers)
    assert r.status_code == 409
    assert r.json()["detail"].startswith("Acte refusé : Cette ligne sert à un bracelet électronique")
    assert r.json()["errors"] == [{"field": "line", "message": r.json()["detail"][len("Acte refusé : "):
                                                                                  -len(" Rien n'a été enregistré.")]}]
    with sessions() as s:
        assert s.scalar(select(CustomerEvent).where(CustomerEvent.line_id == 6)) is None
        assert s.get(Customer, 4).version == 1
    assert "act.refused" in _names(sessions, "call-acts")


def test_invalid_parameters_are_422_field_by_field(api: TestClient) -> None:
    headers = _on_call(api)
    r = api.post("/api/acts/update_contact_details/execute",
                 json={"customer_id": 1, "params": {"email": "camille@", "contact_phone": "12"}}, headers=headers)
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"email", "contact_phone"}
    r = api.post("/api/acts/no_such_act/preview", json={"customer_id": 1}, headers=headers)
    assert r.status_code == 404 and r.json()["detail"] == "Acte inconnu : no_such_act."


def test_an_act_on_another_advisor_s_call_is_refused(api: TestClient) -> None:
    _on_call(api)
    r = api.post("/api/acts/check_commitment_end/preview", json={"customer_id": 1},
                 headers=auth("n1.grenoble") | {"X-Call-Id": "call-acts"})
    assert r.status_code == 403


def test_switching_the_journey_brings_its_acts_and_is_traced(api: TestClient, sessions: sessionmaker[Session]) -> None:
    headers = _on_call(api)
    r = api.post("/api/calls/call-acts/journey", json={"journey": "move"}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["journey_label"] == "Je déménage"
    assert "move_address" in {a["code"] for a in r.json()["acts"]}
    api.app.state.calls.flush_traces()
    with sessions() as s:
        corrected = s.scalar(select(TraceEvent).where(TraceEvent.name == "nlu.corrected"))
        assert corrected.data["journey"] == "move" and corrected.actor == "n1.demo"
        assert "predicted" in corrected.data  # None here: Rasa is down, nothing was predicted
    assert api.post("/api/calls/call-acts/journey", json={"journey": "nope"}, headers=headers).status_code == 422
    assert api.post("/api/calls/call-acts/journey", json={"journey": "move"},
                    headers=auth("n1.grenoble")).status_code == 403


def test_an_act_is_done_on_a_call_and_on_that_call_s_customer_only(api: TestClient,
                                                                  sessions: sessionmaker[Session]) -> None:
    headers = _on_call(api)  # Camille's call (customer 1)
    r = api.post("/api/acts/check_commitment_end/preview", json={"customer_id": 1}, headers=N1)
    assert r.status_code == 422 and r.json()["errors"] == [{"field": "x-call-id", "message": "Champ obligatoire."}]
    r = api.post("/api/acts/update_contact_details/execute",
                 json={"customer_id": 2, "params": {"email": "x@exemple.fr"}}, headers=headers)
    assert r.status_code == 403 and r.json()["detail"].startswith("Ce client n'est pas celui de l'appel")
    with sessions() as s:
        assert s.get(Customer, 2).email == "jp.lefevre@exemple.fr"
    # a caller not yet a customer: the acts that need none work on the call
    unknown = _on_call(api, call_id="call-unknown", number="07 00 00 00 00")
    r = api.post("/api/acts/check_eligibility/preview", json={"params": {"postcode": "69003"}}, headers=unknown)
    assert r.status_code == 200, r.text
