"""The app in-process, with the Rasa server and the action server really down (closed ports)."""

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from starlette.websockets import WebSocketDisconnect

from crm_core.core.security import issue_token
from tests.factories import app_without_rasa, auth, bridge_auth


@pytest.fixture
def client(sqlite_sessions: sessionmaker[Session]) -> Iterator[TestClient]:
    with TestClient(app_without_rasa(sqlite_sessions.kw["bind"])) as c:
        yield c


def test_health_names_what_is_down(client: TestClient) -> None:
    r = client.get("/health")
    assert r.status_code == 503
    body = r.json()
    assert body["down"] == ["rasa", "action_server", "warmup"]
    assert body["components"]["database"]["up"] is True
    for _ in range(50):  # the warm-up waits for Rasa, and says so
        if "Rasa" in body["components"]["warmup"]["detail"]:
            break
        time.sleep(0.1)
        body = client.get("/health").json()
    assert "en attente de Rasa" in body["components"]["warmup"]["detail"]


def test_with_rasa_down_the_pop_still_shows_the_customer(client: TestClient) -> None:
    with client.websocket_connect(f"/ws/panel?token={issue_token('n1.demo')}") as panel, \
            client.websocket_connect("/ws/bridge", headers=bridge_auth()) as bridge:
        assert panel.receive_json()["type"] == "hello"
        bridge.send_json({"call_id": "c-down", "event": "offered", "caller_number": "07 12 34 56 78",
                          "agent": "n1.demo", "reason_transcript": "je déménage"})
        assert bridge.receive_json()["type"] == "ack"
        bridge.send_json({"call_id": "c-down", "event": "answered"})
        assert bridge.receive_json()["type"] == "ack"
        pop = panel.receive_json()
    assert pop["type"] == "screen_pop"
    assert pop["customer"]["display_name"] == "Mme Camille Martin"
    assert (pop["journey"], pop["nlu_status"]) == (None, "unavailable")


def test_the_panel_needs_a_valid_token(client: TestClient) -> None:
    for query in ("", "?token=nope", f"?token={issue_token('nobody.here')}"):
        with client.websocket_connect(f"/ws/panel{query}") as panel:
            assert panel.receive_json()["type"] == "error"
            with pytest.raises(WebSocketDisconnect) as closed:
                panel.receive_json()
            assert closed.value.code == 4401


def test_panel_messages_that_make_no_sense_get_a_french_error(client: TestClient) -> None:
    with client.websocket_connect(f"/ws/panel?token={issue_token('n1.demo')}") as panel:
        assert panel.receive_json()["profile"] == "n1_customer_contact"
        panel.send_text("pas du json")
        assert "illisible" in panel.receive_json()["detail"]
        panel.send_json({"type": "chat", "call_id": "nope", "text": "bonjour"})
        assert panel.receive_json() == {"type": "error", "call_id": "nope",
                                        "detail": "Cet appel ne vous est pas attribué : action refusée."}
        panel.send_json({"type": "dance", "call_id": "nope"})
        assert "inconnu" in panel.receive_json()["detail"]
        for weird in ('{"type": 5}', "[]", "null", '"chat"', '{"type": "chat"}',
                      '{"type": "attach_customer", "call_id": "c1", "customer_id": 1234567890123456789012345}',
                      '{"type": "chat", "call_id": "c1", "text": "x", "extra": 1}'):
            panel.send_text(weird)
            frame = panel.receive_json()
            assert frame["type"] == "error" and frame["detail"].split(" ")[0] in ("Message", "Type"), frame
        panel.send_bytes(b"\xff\xfe binary")
        assert panel.receive_json()["type"] == "error"
        panel.send_json({"type": "chat", "call_id": "nope", "text": "encore là ?"})  # the socket is still open
        assert panel.receive_json()["type"] == "error"


def test_customer_search_api_and_habilitations(client: TestClient) -> None:
    r = client.get("/api/customers", params={"name": "Martin"}, headers=auth("n1.demo"))
    assert r.status_code == 200 and r.json()["items"][0]["line_numbers"] == ["07 12 34 56 78", "09 72 12 34 56"]
    assert client.get("/api/customers", headers=auth("trainer.demo")).status_code == 403
    assert client.get("/api/customers").status_code == 401


def test_the_panel_page_is_served(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200 and "Copilote" in r.text
    assert client.get("/static/js/main.js").status_code == 200
