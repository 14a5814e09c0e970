import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from assistant.copilot.origins import origin_allowed
from telephony_bridge.events import CallEvent
from telephony_bridge.websocket import EventRefused, bridge_router

TOKEN = "s3cret-bridge-token-of-the-test-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _app(received: list[CallEvent], fail_on: str | None = None, refuse: str | None = None) -> FastAPI:
    async def handle(event: CallEvent) -> None:
        if event.call_id == fail_on:
            raise RuntimeError("boom")
        if event.call_id == refuse:
            raise EventRefused("call c9 is presented to another advisor")
        received.append(event)

    app = FastAPI()
    app.include_router(bridge_router(handle, TOKEN, origin_allowed))
    return app


def test_a_malformed_frame_gets_an_error_and_the_socket_stays_usable() -> None:
    received: list[CallEvent] = []
    with TestClient(_app(received)) as client, client.websocket_connect("/ws/bridge", headers=AUTH) as ws:
        ws.send_text("{this is not json")
        error = ws.receive_json()
        assert error["type"] == "error" and "invalid CallEvent" in error["detail"]
        ws.send_bytes(b'{"call_id": "c1", "event": "unknown_kind"}')
        assert ws.receive_json()["type"] == "error"
        ws.send_json({"call_id": "c1", "event": "answered", "caller_number": "0612345678"})
        assert ws.receive_json() == {"type": "ack", "call_id": "c1", "event": "answered"}
    assert [(e.call_id, e.event.value) for e in received] == [("c1", "answered")]


def test_a_failing_or_refusing_handler_does_not_close_the_bridge() -> None:
    received: list[CallEvent] = []
    with TestClient(_app(received, fail_on="bad", refuse="c9")) as client, \
            client.websocket_connect("/ws/bridge", headers=AUTH) as ws:
        ws.send_json({"call_id": "bad", "event": "offered"})
        assert ws.receive_json()["type"] == "error"
        ws.send_json({"call_id": "c9", "event": "answered", "agent": "n1.grenoble"})
        assert ws.receive_json() == {"type": "error", "call_id": "c9", "event": "answered",
                                     "detail": "call c9 is presented to another advisor"}
        ws.send_json({"call_id": "good", "event": "offered"})
        assert ws.receive_json()["type"] == "ack"
    assert [e.call_id for e in received] == ["good"]


@pytest.mark.parametrize("presented", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}])
def test_without_the_bridge_token_nothing_gets_in(presented: dict[str, str]) -> None:
    received: list[CallEvent] = []
    with TestClient(_app(received)) as client:
        with client.websocket_connect("/ws/bridge", headers=presented) as ws:
            assert ws.receive_json() == {"type": "error", "detail": "bridge token missing or wrong"}
            ws.send_json({"call_id": "c1", "event": "offered"})
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
            assert closed.value.code == 4401
        with client.websocket_connect(f"/ws/bridge?token={TOKEN}") as ws:  # the query form works too
            ws.send_json({"call_id": "c2", "event": "offered"})
            assert ws.receive_json()["type"] == "ack"
    assert [e.call_id for e in received] == ["c2"]


def test_a_page_of_another_origin_cannot_open_the_bridge_even_with_the_token() -> None:
    received: list[CallEvent] = []
    with TestClient(_app(received)) as client:
        with client.websocket_connect("/ws/bridge", headers=AUTH | {"Origin": "https://evil.example"}) as ws:
            assert ws.receive_json()["detail"] == "origin not allowed"
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
            assert closed.value.code == 4403
        with client.websocket_connect("/ws/bridge", headers=AUTH | {"Origin": "http://testserver"}) as ws:
            ws.send_json({"call_id": "c3", "event": "offered"})  # the app's own origin
            assert ws.receive_json()["type"] == "ack"
    assert [e.call_id for e in received] == ["c3"]


def test_the_bridge_refuses_to_run_with_a_weak_token() -> None:
    async def handle(_event: CallEvent) -> None:
        return None

    with pytest.raises(ValueError, match="32 characters"):
        bridge_router(handle, "short")
