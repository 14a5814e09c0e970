"""Transfers over the API and the panels' sockets: warm (offered to level 2, acknowledged, closed, level 1
told at once), declined, cold (waits in the basket, picked up after the call ended, the call reopened for level
2), the bridge's transfer events, and every refusal in French with nothing changed. In-process app, SQLite and
PostgreSQL; Rasa is down (the journey is set by the advisor)."""

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import WebSocketTestSession

from crm_core.core.security import issue_token
from crm_core.models import TraceEvent, Transfer
from tests.factories import app_without_rasa, auth, bridge_auth, present_and_look_up

N1, N2 = auth("n1.demo"), auth("n2.demo")
CAMILLE = "07 12 34 56 78"


@pytest.fixture
def api(sessions: sessionmaker[Session]) -> Iterator[TestClient]:
    with TestClient(app_without_rasa(sessions.kw["bind"])) as client:
        yield client


def breakdown_call(api: TestClient, call_id: str, number: str = CAMILLE,
                   reason: str = "ma box coupe tout le temps, c'est inadmissible") -> None:
    present_and_look_up(api, call_id, "n1.demo", number, reason)
    assert api.post(f"/api/calls/{call_id}/journey", json={"journey": "breakdown"}, headers=N1).status_code == 200


def transfer(api: TestClient, call_id: str, mode: str = "warm", **extra: Any) -> dict[str, Any]:
    body = {"mode": mode, "to": "n2", "checked": ["identity_checked", "line_diagnosed", "box_restarted"]} | extra
    r = api.post(f"/api/calls/{call_id}/transfer", json=body, headers=N1)
    assert r.status_code == 200, r.text
    return r.json()


def frames(ws: WebSocketTestSession, kind: str, limit: int = 20) -> dict[str, Any]:
    """The next frame of ``kind`` on a panel socket (pops and others before it are skipped)."""
    for _ in range(limit):
        frame = ws.receive_json()
        if frame["type"] == kind:
            return frame
    raise AssertionError(f"no {kind} frame")


def names(sessions: sessionmaker[Session], call_id: str) -> list[str]:
    with sessions() as s:
        return list(s.scalars(select(TraceEvent.name).where(TraceEvent.call_id == call_id).order_by(TraceEvent.id)))


def trace(sessions: sessionmaker[Session], call_id: str, name: str) -> dict[str, Any]:
    with sessions() as s:
        return s.scalars(select(TraceEvent).where(TraceEvent.call_id == call_id, TraceEvent.name == name)
                         .order_by(TraceEvent.id.desc())).first().data  # type: ignore[union-attr]


def test_a_warm_transfer_is_offered_acknowledged_closed_and_level_1_hears_of_each_step(
        api: TestClient, sessions: sessionmaker[Session]) -> None:
    breakdown_call(api, "warm-1")
    with api.websocket_connect(f"/ws/panel?token={issue_token('n1.demo')}") as n1, \
            api.websocket_connect(f"/ws/panel?token={issue_token('n2.demo')}") as n2, \
            api.websocket_connect(f"/ws/panel?token={issue_token('collection.demo')}") as other_team:
        for ws in (n1, n2, other_team):
            assert ws.receive_json()["type"] == "hello"
        sent = transfer(api, "warm-1")
        assert sent["status"] == "requested" and sent["team"] == "n2" and sent["basket"] == "N2-TECH"
        offered = frames(n2, "transfer_offered")
        handover = offered["transfer"]["handover"]
        assert handover["reason"]["text"] == "ma box coupe tout le temps, c'est inadmissible"
        facts = {f["field"] for f in handover["customer_facts"]}
        assert {"equipment", "lines"} <= facts and "balance" not in facts  # N2 has no billing block
        assert [f["code"] for f in handover["flags"]] == ["unhappy"]

        acked = api.post(f"/api/transfers/{sent['transfer_id']}/ack", headers=N2)
        assert acked.status_code == 200 and acked.json()["to_advisor"] == "n2.demo"
        update = frames(n1, "transfer_update")
        assert (update["event"], update["by_name"]) == ("acknowledged", "Karim Benali")
        # level 2 may now act on the call: the same conversation and the same acts, no new diagnosis
        r = api.post("/api/acts/diagnose_line/preview", json={"customer_id": 1, "params": {"line": "2"}},
                     headers=N2 | {"X-Call-Id": "warm-1"})
        assert r.status_code == 200, r.text

        closed = api.post(f"/api/transfers/{sent['transfer_id']}/close",
                          json={"outcome": "technician", "note": "Technicien le 3 décembre au matin"}, headers=N2)
        assert closed.status_code == 200 and closed.json()["status"] == "closed"
        update = frames(n1, "transfer_update")
        assert update["event"] == "closed"
        assert (update["transfer"]["outcome_label"], update["transfer"]["outcome_note"]) == (
            "Intervention technicien programmée", "Technicien le 3 décembre au matin")
    api.app.state.calls.flush_traces()  # type: ignore[attr-defined]
    steps = [n for n in names(sessions, "warm-1") if n.startswith("transfer.")]
    assert steps == ["transfer.prerequisites_checked", "transfer.requested", "transfer.acknowledged",
                     "transfer.closed"]
    assert trace(sessions, "warm-1", "transfer.acknowledged")["to_ack_s"] >= 0
    done = trace(sessions, "warm-1", "transfer.closed")
    assert done["to_resolve_s"] >= done["handling_s"] >= 0 and done["outcome"] == "technician"
    history = api.get("/api/customers/1/view360", headers=N1).json()
    shown = next(f for b in history["blocks"] for f in b["fields"] if f["name"] == "history")["display"]
    assert any("Transfert clos : Intervention technicien programmée" in line for line in shown), shown


def test_a_declined_transfer_goes_back_to_level_1_with_its_reason(api: TestClient) -> None:
    breakdown_call(api, "warm-2")
    with api.websocket_connect(f"/ws/panel?token={issue_token('n1.demo')}") as n1:
        assert n1.receive_json()["type"] == "hello"
        sent = transfer(api, "warm-2")
        r = api.post(f"/api/transfers/{sent['transfer_id']}/decline",
                     json={"reason": "Panne collective en cours : rappeler demain"}, headers=N2)
        assert r.status_code == 200 and r.json()["status"] == "declined"
        update = frames(n1, "transfer_update")
        assert update["event"] == "declined"
        assert update["transfer"]["decline_reason"] == "Panne collective en cours : rappeler demain"
    again = transfer(api, "warm-2", mode="cold")  # a declined transfer can be made again
    assert again["status"] == "waiting"


def test_a_cold_transfer_waits_in_the_basket_and_is_picked_up_after_the_call(
        api: TestClient, sessions: sessionmaker[Session]) -> None:
    breakdown_call(api, "cold-1")
    sent = transfer(api, "cold-1", mode="cold", handover_text="Cliente excédée : rappeler avant 18 h.")
    assert sent["edited_text"] == "Cliente excédée : rappeler avant 18 h."
    with api.websocket_connect("/ws/bridge", headers=bridge_auth()) as bridge:
        bridge.send_json({"call_id": "cold-1", "event": "ended"})
        assert bridge.receive_json()["type"] == "ack"
    time.sleep(0.2)
    waiting = api.get("/api/baskets/N2-TECH/transfers", headers=N2).json()
    item = next(t for t in waiting if t["transfer_id"] == sent["transfer_id"])
    assert item["age_s"] >= 0 and item["customer_name"] == "Mme Camille Martin" and item["mode"] == "cold"
    assert next(b for b in api.get("/api/baskets", headers=N2).json() if b["code"] == "N2-TECH")["waiting"] >= 1

    taken = api.post(f"/api/transfers/{sent['transfer_id']}/pickup", headers=N2)
    assert taken.status_code == 200, taken.text
    body = taken.json()
    assert body["status"] == "picked_up" and body["view360"]["customer_id"] == 1
    assert body["conversation"] is None  # the copilot is down here: said, not invented
    # the ended call is live again for level 2: acts on it go through the call check
    call = api.app.state.calls.calls["cold-1"]  # type: ignore[attr-defined]
    assert call.agent == "n2.demo" and call.customer.id == 1 and call.journey == "breakdown"
    pop = api.app.state.calls.pop_message(call)  # type: ignore[attr-defined]
    assert (pop["caller_number"], pop["journey"], pop["journey_corrected"]) == (CAMILLE, "breakdown", False)
    assert pop["reason"] == "ma box coupe tout le temps, c'est inadmissible" and pop["state"] == "transferred_cold"
    r = api.post("/api/acts/diagnose_line/preview", json={"customer_id": 1, "params": {"line": "2"}},
                 headers=N2 | {"X-Call-Id": "cold-1"})
    assert r.status_code == 200, r.text
    assert sent["transfer_id"] not in [t["transfer_id"] for t in api.get("/api/baskets/N2-TECH/transfers",
                                                                         headers=N2).json()]
    again = api.post(f"/api/transfers/{sent['transfer_id']}/pickup", headers=auth("sup.demo"))
    assert again.status_code == 409 and "déjà pris en charge par n2.demo" in again.json()["detail"]
    api.app.state.calls.flush_traces()  # type: ignore[attr-defined]
    assert trace(sessions, "cold-1", "transfer.picked_up")["to_pickup_s"] >= 0
    assert "call.reopened" in names(sessions, "cold-1")


def test_the_bridges_transfer_event_attaches_to_the_transfer(api: TestClient, sessions: sessionmaker[Session]) -> None:
    breakdown_call(api, "warm-bridge")
    sent = transfer(api, "warm-bridge")
    api.post(f"/api/transfers/{sent['transfer_id']}/ack", headers=N2)
    with api.websocket_connect("/ws/bridge", headers=bridge_auth()) as bridge:
        bridge.send_json({"call_id": "warm-bridge", "event": "transferred_warm", "agent": "n2.demo"})
        assert bridge.receive_json()["type"] == "ack"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with sessions() as s:
            row = s.get(Transfer, sent["transfer_id"])
            if row is not None and row.telephony:
                break
        time.sleep(0.05)
    assert [(e["event"], e["agent"]) for e in row.telephony] == [("transferred_warm", "n2.demo")]  # type: ignore[union-attr]
    connected = trace(sessions, "warm-bridge", "transfer.connected")
    assert connected["matches"] is True and connected["transfer"] == sent["transfer_id"]


def _refused(sessions: sessionmaker[Session], before: int) -> list[dict[str, Any]]:
    with sessions() as s:
        return [t.data for t in s.scalars(select(TraceEvent).where(TraceEvent.name == "transfer.refused",
                                                                   TraceEvent.id > before))]


def _last_id(sessions: sessionmaker[Session]) -> int:
    with sessions() as s:
        return s.scalar(select(TraceEvent.id).order_by(TraceEvent.id.desc()).limit(1)) or 0


def test_bad_requests_get_a_french_refusal_change_nothing_and_are_traced(
        api: TestClient, sessions: sessionmaker[Session]) -> None:
    breakdown_call(api, "bad-1")
    before = _last_id(sessions)
    # a blocking prerequisite neither done nor ticked: 409 with the checklist, nothing written
    r = api.post("/api/calls/bad-1/transfer", json={"mode": "warm", "to": "n2"}, headers=N1)
    assert r.status_code == 409 and r.json()["detail"].startswith("Transfert impossible : prérequis bloquant")
    missing = {p["code"] for p in r.json()["prerequisites"] if p["blocking"] and not p["done"]}
    assert missing == {"identity_checked", "line_diagnosed", "box_restarted"}
    # the call of someone else, an unknown basket, an unknown prerequisite, a team the profile may not reach
    assert api.post("/api/calls/bad-1/transfer", json={"mode": "warm", "to": "n2"},
                    headers=auth("n1.grenoble")).status_code == 403
    r = api.post("/api/calls/bad-1/transfer", json={"mode": "cold", "to": "NOPE"}, headers=N1)
    assert r.status_code == 404 and "Équipe ou corbeille inconnue" in r.json()["detail"]
    r = api.post("/api/calls/bad-1/transfer", json={"mode": "cold", "to": "n2", "checked": ["made_up"]}, headers=N1)
    assert r.status_code == 422 and "Prérequis inconnu" in r.json()["detail"]
    r = api.post("/api/calls/bad-1/transfer", json={"mode": "tepid", "to": "n2"}, headers=N1)
    assert r.status_code == 422
    with sessions() as s:
        assert s.scalar(select(Transfer).where(Transfer.call_id == "bad-1")) is None
    refused = _refused(sessions, before)
    assert {d["error"] for d in refused} >= {"PrerequisitesMissing", "UnknownTeam", "UnknownPrerequisite"}

    sent = transfer(api, "bad-1")
    tid = sent["transfer_id"]
    # a second transfer while one is open; level 1 acknowledging; a cold step on a warm transfer
    assert api.post("/api/calls/bad-1/transfer", json={"mode": "cold", "to": "n2", "checked": ["identity_checked",
                    "line_diagnosed", "box_restarted"]}, headers=N1).status_code == 409
    r = api.post(f"/api/transfers/{tid}/ack", headers=N1)
    assert r.status_code == 403 and "n'est pas habilité à cette action (transfer:receive)" in r.json()["detail"]
    assert api.post(f"/api/transfers/{tid}/pickup", headers=N2).status_code == 409
    # another level-2 team, a decline without a reason, closing before taking it
    assert api.post(f"/api/transfers/{tid}/ack", headers=auth("collection.demo")).status_code == 403
    assert api.post(f"/api/transfers/{tid}/decline", json={"reason": ""}, headers=N2).status_code == 422
    assert api.post(f"/api/transfers/{tid}/close", json={"outcome": "resolved"}, headers=N2).status_code == 409
    with sessions() as s:
        assert s.get(Transfer, tid).status == "requested"  # type: ignore[union-attr]
    # taken once only
    assert api.post(f"/api/transfers/{tid}/ack", headers=N2).status_code == 200
    r = api.post(f"/api/transfers/{tid}/ack", headers=auth("sup.demo"))
    assert r.status_code == 409 and r.json()["detail"] == "Ce transfert est déjà pris en charge par n2.demo."
    assert api.post(f"/api/transfers/{tid}/close", json={"outcome": "resolved"},
                    headers=auth("sup.demo")).status_code == 409
    assert api.get(f"/api/transfers/{tid}", headers=auth("n1.grenoble")).status_code == 403
    assert api.get("/api/baskets/NOPE/transfers", headers=N2).status_code == 404
    assert api.get("/api/baskets/RECOUVREMENT/transfers", headers=N2).status_code == 403
    steps = {d["step"] for d in _refused(sessions, before)}
    assert {"request", "acknowledge", "pick_up", "close", "get", "basket"} <= steps


def test_a_warm_transfer_acknowledged_after_the_caller_hung_up_reopens_the_call_for_level_2(
        api: TestClient) -> None:
    breakdown_call(api, "warm-gone")
    sent = transfer(api, "warm-gone")
    with api.websocket_connect("/ws/bridge", headers=bridge_auth()) as bridge:
        bridge.send_json({"call_id": "warm-gone", "event": "ended"})
        assert bridge.receive_json()["type"] == "ack"
    time.sleep(0.2)
    assert api.post(f"/api/transfers/{sent['transfer_id']}/ack", headers=N2).status_code == 200
    call = api.app.state.calls.calls["warm-gone"]  # type: ignore[attr-defined]
    assert call.agent == "n2.demo" and not call.expired
    r = api.post("/api/acts/diagnose_line/preview", json={"customer_id": 1, "params": {"line": "2"}},
                 headers=N2 | {"X-Call-Id": "warm-gone"})
    assert r.status_code == 200, r.text
