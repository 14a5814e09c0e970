"""The API's doors that take a call id (``X-Call-Id``) and the development sign-in. In-process app."""

import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from assistant.copilot.app import create_app
from assistant.copilot.settings import CopilotSettings
from copilot_cli.stack import free_port
from tests.conftest import count_rows
from tests.factories import auth, bridge_auth, present_call

BRIDGE = bridge_auth()


def _settings(host: str = "127.0.0.1") -> CopilotSettings:
    closed = free_port()
    return CopilotSettings(host=host, rasa_url=f"http://127.0.0.1:{closed}", actions_url=f"http://127.0.0.1:{closed}",
                           nlu_timeout_s=0.3, health_timeout_s=0.3)


@pytest.fixture
def client(sqlite_sessions: sessionmaker[Session]) -> Iterator[TestClient]:
    with TestClient(create_app(_settings(), engine=sqlite_sessions.kw["bind"])) as c:
        present_call(c, "call-n1", "n1.demo", "07 12 34 56 78")
        yield c


def _flush(client: TestClient) -> None:
    assert client.app.state.calls.flush_traces()  # type: ignore[attr-defined]


@pytest.mark.parametrize("login", ["n1.grenoble", "collection.demo", "n2.demo"])
def test_x_call_id_of_another_advisors_call_is_refused_and_traced(client: TestClient, login: str,
                                                                  sqlite_sessions: sessionmaker[Session]) -> None:
    r = client.get("/api/customers/1/view360", headers=auth(login) | {"X-Call-Id": "call-n1"})
    assert r.status_code == 403
    assert r.json()["detail"] == "Cet appel ne vous est pas attribué : action refusée."
    _flush(client)
    assert count_rows(sqlite_sessions, "SELECT count(*) FROM trace_events WHERE name='call.access_refused' "
                      "AND actor=:a AND call_id='call-n1'", a=login) == 1
    assert count_rows(sqlite_sessions, "SELECT count(*) FROM trace_events WHERE name='customer.read' "
                      "AND actor=:a", a=login) == 0


def test_an_unknown_call_gets_the_same_refusal_as_a_foreign_one(client: TestClient) -> None:
    for call_id in ("call-that-never-was", "x" * 80):
        r = client.get("/api/customers/1/view360", headers=auth("n1.demo") | {"X-Call-Id": call_id})
        assert (r.status_code, r.json()["detail"]) == (403, "Cet appel ne vous est pas attribué : action refusée.")
    r = client.get("/api/customers/1/view360", headers=auth("n1.demo") | {"X-Call-Id": "x" * 81})
    assert r.status_code == 422  # longer than any call id: refused before anything is read


def test_the_advisor_and_the_supervisor_of_the_centre_act_on_the_call(client: TestClient,
                                                                      sqlite_sessions: sessionmaker[Session]) -> None:
    for login in ("n1.demo", "sup.demo"):  # sup.demo supervises CCO-LYON, where n1.demo works
        r = client.get("/api/customers/1/view360", headers=auth(login) | {"X-Call-Id": "call-n1"})
        assert r.status_code == 200, (login, r.text)
        assert count_rows(sqlite_sessions, "SELECT count(*) FROM trace_events WHERE name='customer.read' "
                          "AND actor=:a AND call_id='call-n1'", a=login) == 1


def test_unassigned_calls_are_listed_for_supervisors_only(client: TestClient) -> None:
    with client.websocket_connect("/ws/bridge", headers=BRIDGE) as bridge:
        bridge.send_json({"call_id": "call-waiting", "event": "offered", "caller_number": "07 12 34 56 78"})
        assert bridge.receive_json()["type"] == "ack"
    r = client.get("/api/calls/unassigned", headers=auth("sup.demo"))
    assert r.status_code == 200 and [c["call_id"] for c in r.json()] == ["call-waiting"]
    assert "caller_number" not in r.json()[0]
    assert client.get("/api/calls/unassigned", headers=auth("n1.demo")).status_code == 403


def test_development_sign_in_only_on_loopback(sqlite_sessions: sessionmaker[Session],
                                              caplog: pytest.LogCaptureFixture) -> None:
    engine = sqlite_sessions.kw["bind"]
    with caplog.at_level(logging.INFO), TestClient(create_app(_settings("127.0.0.1"), engine=engine)) as local:
        assert local.post("/api/dev/token", json={"login": "n1.demo"}).status_code == 200
        unknown = local.post("/api/dev/token", json={"login": "nobody.here"})
        assert unknown.status_code == 401 and "nobody" not in unknown.text  # no list of logins
    assert "development sign-in is ON" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.INFO), TestClient(create_app(_settings("0.0.0.0"), engine=engine)) as exposed:
        assert exposed.post("/api/dev/token", json={"login": "n1.demo"}).status_code == 404
    assert "development sign-in is OFF" in caplog.text
