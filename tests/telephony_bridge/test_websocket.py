import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from telephony_bridge.events import CallEvent
from telephony_bridge.websocket import bridge_router


def _app(received: list[CallEvent], fail_on: str | None = None) -> FastAPI:
    async def handle(event: CallEvent) -> None:
        if event.call_id == fail_on:
            raise RuntimeError("boom")
        received.append(event)

    app = FastAPI()
    app.include_router(bridge_router(handle))
    return app


def test_a_malformed_frame_gets_an_error_and_the_socket_stays_usable() -> None:
    received: list[CallEvent] = []
    with TestClient(_app(received)) as client, client.websocket_connect("/ws/bridge") as ws:
        ws.send_text("{this is not json")
        error = ws.receive_json()
        assert error["type"] == "error" and "invalid CallEvent" in error["detail"]
        ws.send_bytes(b'{"call_id": "c1", "event": "unknown_kind"}')
        assert ws.receive_json()["type"] == "error"
        ws.send_json({"call_id": "c1", "event": "answered", "caller_number": "0612345678"})
        assert ws.receive_json() == {"type": "ack", "call_id": "c1", "event": "answered"}
    assert [(e.call_id, e.event.value) for e in received] == [("c1", "answered")]


def test_a_failing_handler_does_not_close_the_bridge() -> None:
    received: list[CallEvent] = []
    with TestClient(_app(received, fail_on="bad")) as client, client.websocket_connect("/ws/bridge") as ws:
        ws.send_json({"call_id": "bad", "event": "offered"})
        assert ws.receive_json()["type"] == "error"
        ws.send_json({"call_id": "good", "event": "offered"})
        assert ws.receive_json()["type"] == "ack"
    assert [e.call_id for e in received] == ["good"]


def test_with_a_bridge_token_only_adapters_that_present_it_get_in() -> None:
    received: list[CallEvent] = []
    app = FastAPI()

    async def handle(event: CallEvent) -> None:
        received.append(event)

    app.include_router(bridge_router(handle, token="s3cret-bridge"))
    with TestClient(app) as client:
        for query in ("", "?token=wrong"):
            with client.websocket_connect(f"/ws/bridge{query}") as ws:
                assert ws.receive_json()["type"] == "error"
                with pytest.raises(WebSocketDisconnect):
                    ws.receive_json()
        with client.websocket_connect("/ws/bridge?token=s3cret-bridge") as ws:
            ws.send_json({"call_id": "c1", "event": "offered"})
            assert ws.receive_json()["type"] == "ack"
    assert [e.call_id for e in received] == ["c1"]
