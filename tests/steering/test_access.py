"""Who sees what: a supervisor the centres of their region, a team leader their team, an advisor their own
figures, trainers and administrators none; bad input answered in French (403, 404, 422), never a 500; every read
and every refusal traced; the live socket."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from crm_core.core.security import issue_token
from crm_core.models import TraceEvent
from crm_core.models.base import utcnow
from tests.factories import app_without_rasa, auth
from tests.steering.test_kpis import DAY1, at, ev, history

RANGE = "from=2026-11-30&to=2026-12-02"


def paris_call() -> list[dict[str, Any]]:
    """A call of collection.demo (CONV-PARIS, Île-de-France): outside the ARA supervisor's region."""
    return [ev("call-P", at(DAY1, "09:00:00"), "call.offered", agent="collection.demo"),
            ev("call-P", at(DAY1, "09:00:05"), "call.answered", agent="collection.demo"),
            ev("call-P", at(DAY1, "09:02:05"), "call.ended", agent="collection.demo",
               durations={"talk_s": 120.0, "hold_s": 0.0})]


@pytest.fixture
def client(sqlite_sessions: sessionmaker[Session]) -> Iterator[TestClient]:
    with sqlite_sessions() as session, session.begin():
        session.execute(insert(TraceEvent), history() + paris_call())
    with TestClient(app_without_rasa(sqlite_sessions.kw["bind"], steering_poll_s=3600.0)) as c:
        c.app.state.projector.catch_up()
        yield c


def get(client: TestClient, url: str, login: str, status: int = 200) -> Any:
    response = client.get(url, headers=auth(login))
    assert response.status_code == status, response.text
    return response.json()


def keys(body: dict[str, Any]) -> set[str]:
    return {r["key"] for r in body["rows"]}


def traces(client: TestClient, name: str, actor: str) -> list[TraceEvent]:
    with client.app.state.session_factory() as session:  # type: ignore[attr-defined]
        return list(session.scalars(select(TraceEvent).where(TraceEvent.name == name, TraceEvent.actor == actor)))


def test_a_supervisor_sees_the_centres_of_their_region_only(client: TestClient) -> None:
    body = get(client, f"/api/kpis?level=advisor&{RANGE}", "sup.demo")
    assert {"n1.demo", "n1.grenoble"} <= keys(body) and "collection.demo" not in keys(body)
    assert body["totals"]["calls"] == 5  # A, B, C, D, E: not P
    calls = get(client, f"/api/kpis/calls?{RANGE}", "sup.demo")
    assert "call-P" not in {c["call_id"] for c in calls["calls"]} and calls["total"] == 5
    get(client, "/api/kpis/calls/call-P/timeline", "sup.demo", 404)
    refused = get(client, f"/api/kpis/compare?centre=CONV-PARIS&{RANGE}", "sup.demo", 403)
    assert refused["detail"] == "« Centre convergent Paris » n'est pas dans votre périmètre de pilotage."
    get(client, f"/api/kpis?level=centre&centre=CONV-PARIS&{RANGE}", "sup.demo", 403)
    get(client, f"/api/kpis/calls?level=advisor&key=collection.demo&{RANGE}", "sup.demo", 403)
    get(client, f"/api/kpis/acts?level=team&key=PARIS-REC&{RANGE}", "sup.demo", 403)


def test_a_team_leader_sees_their_team(client: TestClient) -> None:
    body = get(client, f"/api/kpis?{RANGE}", "lead.demo")  # opens on the team's advisors
    assert body["level"] == "advisor" and keys(body) == {"n1.demo", "lead.demo"}
    assert body["scope"]["levels"] == ["advisor", "team"] and body["scope"]["label"] == "Équipe Lyon A"
    assert keys(get(client, f"/api/kpis?level=team&{RANGE}", "lead.demo")) == {"LYON-A"}
    refused = get(client, f"/api/kpis?level=centre&{RANGE}", "lead.demo", 403)
    assert refused["detail"].startswith("Vous ne pouvez voir que les chiffres de votre équipe")
    get(client, f"/api/kpis/compare?centre=CCO-LYON&{RANGE}", "lead.demo", 403)
    get(client, "/api/kpis/calls/call-E/timeline", "lead.demo", 404)  # Grenoble's
    assert get(client, "/api/kpis/calls/call-A/timeline", "lead.demo")["call"]["advisor"] == "n1.demo"
    assert {c["call_id"] for c in get(client, f"/api/kpis/calls?{RANGE}", "lead.demo")["calls"]} == {
        "call-A", "call-B", "call-C"}


def test_an_advisor_sees_their_own_figures(client: TestClient) -> None:
    body = get(client, f"/api/kpis?{RANGE}", "n1.grenoble")
    assert keys(body) == {"n1.grenoble"} and body["totals"]["calls"] == 2
    get(client, f"/api/kpis?level=team&{RANGE}", "n1.grenoble", 403)
    get(client, "/api/kpis/calls/call-A/timeline", "n1.grenoble", 404)
    refused = get(client, f"/api/kpis/calls?{RANGE}&level=advisor&key=n1.demo", "n1.grenoble", 403)
    assert refused["detail"] == "« Léa Dubois » n'est pas dans votre périmètre de pilotage."
    acts = get(client, f"/api/kpis/acts?{RANGE}", "n1.grenoble")["acts"]
    assert [(a["act"], a["done"]) for a in acts] == [("give_rio", 1)]


@pytest.mark.parametrize("login", ["trainer.demo", "admin.demo"])
def test_trainers_and_administrators_see_no_figure_and_the_refusal_is_traced(client: TestClient,
                                                                          login: str) -> None:
    for url in (f"/api/kpis?{RANGE}", "/api/kpis/live", f"/api/kpis/calls?{RANGE}", "/api/kpis/definitions"):
        assert get(client, url, login, 403)["detail"] == "Votre profil ne donne accès à aucun indicateur de pilotage."
    assert len(traces(client, "kpi.refused", login)) == 4


@pytest.mark.parametrize(("url", "status", "detail"), [
    ("/api/kpis?from=2026-12-02&to=2026-11-30", 422, "La date de fin précède la date de début."),
    ("/api/kpis?from=2020-01-01&to=2026-11-30", 422, "Période trop longue : 2526 jours, 366 au plus."),
    ("/api/kpis?period=hour&from=2026-10-01&to=2026-11-30", 422, "Heure par heure : 31 jours au plus"),
    ("/api/kpis/compare?centre=NOPE", 404, "Centre inconnu : « NOPE »."),
    ("/api/kpis?level=centre&centre=NOPE", 404, "Centre inconnu : « NOPE »."),
    ("/api/kpis?team=NOPE", 404, "Équipe inconnue : « NOPE »."),
    ("/api/kpis/calls?level=advisor&key=nobody", 404, "Conseiller inconnu : « nobody »."),
    ("/api/kpis/calls?kpi=bogus", 422, "Indicateur inconnu : « bogus »."),
    ("/api/kpis/calls?period=day&period_start=hier", 422, "Début de période illisible."),
    ("/api/kpis/calls/nope/timeline", 404, "Appel introuvable dans votre périmètre de pilotage."),
])
def test_bad_input_gets_a_french_answer(client: TestClient, url: str, status: int, detail: str) -> None:
    body = get(client, url, "sup.demo", status)
    assert detail in str(body), body


@pytest.mark.parametrize("url", ["/api/kpis?level=everyone", "/api/kpis?period=decade", "/api/kpis?from=hier",
                                 "/api/kpis/calls?limit=100000", "/api/kpis?centre=<script>"])
def test_malformed_parameters_are_422_not_500(client: TestClient, url: str) -> None:
    get(client, url, "sup.demo", 422)


def test_every_read_is_traced(client: TestClient) -> None:
    get(client, f"/api/kpis?level=advisor&{RANGE}", "sup.demo")
    get(client, f"/api/kpis/compare?centre=CCO-LYON&{RANGE}", "sup.demo")
    get(client, f"/api/kpis/calls?{RANGE}&kpi=transfers", "sup.demo")
    get(client, "/api/kpis/calls/call-B/timeline", "sup.demo")
    client.get(f"/api/kpis/calls.csv?{RANGE}", headers=auth("sup.demo"))
    read = traces(client, "kpi.read", "sup.demo")
    assert len(read) == 1 and read[0].data["level"] == "advisor" and read[0].data["rows"] >= 2
    assert (read[0].data["start"], read[0].data["end"]) == ("2026-11-30", "2026-12-02")
    assert [t.data["centre"] for t in traces(client, "kpi.compared", "sup.demo")] == ["CCO-LYON"]
    assert [t.data["total"] for t in traces(client, "kpi.calls_listed", "sup.demo")] == [1]
    assert [t.data["call"] for t in traces(client, "kpi.call_read", "sup.demo")] == ["call-B"]
    assert [t.data["rows"] for t in traces(client, "kpi.calls_exported", "sup.demo")] == [5]


def test_the_live_socket_follows_the_traces(client: TestClient) -> None:
    with client.websocket_connect(f"/ws/steering?token={issue_token('sup.demo')}") as ws:
        hello = ws.receive_json()
        assert hello["type"] == "hello" and hello["advisor"] == "sup.demo" and hello["scope"] == "ARA"
        first = ws.receive_json()
        assert first["type"] == "steering_live"
        before = first["today"]["calls"]  # the hand-built history is on fixed days, maybe today's
        now = utcnow()
        with client.app.state.session_factory() as session, session.begin():  # type: ignore[attr-defined]
            session.execute(insert(TraceEvent), [
                ev("live-1", now - timedelta(seconds=30), "call.offered", agent="n1.demo"),
                ev("live-1", now - timedelta(seconds=25), "call.answered", agent="n1.demo")])
        client.app.state.projector.catch_up()  # type: ignore[attr-defined]
        frame = ws.receive_json()
        assert frame["today"]["calls"] == before + 1 and frame["last_15_min"]["calls"] == 1
        lea = next(a for a in frame["in_progress"] if a["advisor"] == "n1.demo")
        assert (lea["state"], lea["state_label"], lea["calls"][0]["call_id"]) == (
            "talking", "En conversation", "live-1")
        with client.app.state.session_factory() as session, session.begin():  # type: ignore[attr-defined]
            session.execute(insert(TraceEvent), [ev("live-1", utcnow(), "call.ended", agent="n1.demo",
                                                    durations={"talk_s": 25.0, "hold_s": 0.0})])
        client.app.state.projector.catch_up()  # type: ignore[attr-defined]
        frame = ws.receive_json()
        lea = next(a for a in frame["in_progress"] if a["advisor"] == "n1.demo")
        assert lea["state"] == "idle" and frame["last_15_min"]["dmt_s"] == 25.0
    assert traces(client, "kpi.live_read", "sup.demo")[0].data["door"] == "socket"


@pytest.mark.parametrize(("login", "code"), [("trainer.demo", 4403), (None, 4401)])
def test_the_live_socket_refuses_who_has_no_figures(client: TestClient, login: str | None, code: int) -> None:
    from starlette.websockets import WebSocketDisconnect

    token = issue_token(login) if login else "not-a-token"
    with client.websocket_connect(f"/ws/steering?token={token}") as ws:
        assert ws.receive_json()["type"] == "error"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == code


def test_the_live_socket_is_renewed_by_the_same_advisor_only(client: TestClient) -> None:
    with client.websocket_connect(f"/ws/steering?token={issue_token('sup.demo')}") as ws:
        assert ws.receive_json()["type"] == "hello"
        assert ws.receive_json()["type"] == "steering_live"
        ws.send_json({"type": "renew", "token": issue_token("n1.demo")})
        assert ws.receive_json() == {"type": "error", "detail": "Renouvellement refusé : ce jeton est celui d'un "
                                                                "autre utilisateur."}
        ws.send_text("{not json")
        assert ws.receive_json()["detail"] == "Message inconnu : seul « renew » est attendu."
        ws.send_json({"type": "renew", "token": "forged"})
        assert ws.receive_json()["detail"].startswith("Renouvellement refusé : ")
        ws.send_json({"type": "renew", "token": issue_token("sup.demo")})
        renewed = ws.receive_json()
        assert renewed["type"] == "renewed" and renewed["expires_at"] > utcnow().isoformat()
