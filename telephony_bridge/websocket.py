"""The bridge's websocket endpoint: JSON CallEvents in, one ack or error frame out per message.

Adapters authenticate with the bridge token (``Authorization: Bearer …`` or ``/ws/bridge?token=…``), always:
development included (``copilot run`` and ``copilot call simulate`` take it from the settings). A browser
page of another origin is refused. An event the copilot refuses (``EventRefused``: moving a call to another
advisor without a transfer…) gets an error frame; the socket stays open for the other calls.
"""

import hmac
import logging
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.requests import HTTPConnection

from telephony_bridge.events import CallEvent, InvalidCallEvent, parse_call_event

log = logging.getLogger(__name__)

# The handler returns None when the event is applied, or why it was dropped (``duplicate``, ``stale``, ``ended``)
CallEventHandler = Callable[[CallEvent], Awaitable[str | None]]
OriginCheck = Callable[[HTTPConnection], bool]


class EventRefused(ValueError):
    """The handler refuses this event for this call (the message goes back to the adapter)."""


def presented_token(conn: HTTPConnection) -> str:
    header = conn.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return conn.query_params.get("token", "")


def bridge_router(handle: CallEventHandler, token: str, origin_allowed: OriginCheck = lambda _c: True) -> APIRouter:
    """The bridge endpoint; adapters must present ``token``."""
    if len(token) < 32:
        raise ValueError("the bridge needs a token of 32 characters at least (COPILOT_BRIDGE_TOKEN)")
    router = APIRouter()

    @router.websocket("/ws/bridge")
    async def bridge(ws: WebSocket) -> None:
        await ws.accept()
        if not origin_allowed(ws):
            log.warning("bridge connection refused: origin %s", ws.headers.get("origin"))
            await ws.send_json({"type": "error", "detail": "origin not allowed"})
            await ws.close(code=4403, reason="origin not allowed")
            return
        if not hmac.compare_digest(presented_token(ws).encode(), token.encode()):
            log.warning("bridge connection refused: token missing or wrong (from %s)", ws.client)
            await ws.send_json({"type": "error", "detail": "bridge token missing or wrong"})
            await ws.close(code=4401, reason="authentication required")
            return
        try:
            while True:
                message = await ws.receive()
                if message["type"] == "websocket.disconnect":
                    return
                raw = message.get("text") if message.get("text") is not None else message.get("bytes")
                try:
                    event = parse_call_event(raw or "")
                except InvalidCallEvent as exc:
                    log.warning("rejected CTI frame: %s", exc)
                    await ws.send_json({"type": "error", "detail": str(exc)})
                    continue
                try:
                    dropped = await handle(event)
                except EventRefused as exc:
                    log.warning("call event %s/%s refused: %s", event.call_id, event.event, exc)
                    await ws.send_json({"type": "error", "call_id": event.call_id, "event": event.event.value,
                                        "detail": str(exc)})
                    continue
                except Exception:  # a bug in one call must not close the bridge for every other call
                    log.exception("call event %s/%s failed", event.call_id, event.event)
                    await ws.send_json({"type": "error", "call_id": event.call_id,
                                        "detail": "internal error while handling the event"})
                    continue
                ack = {"type": "ack", "call_id": event.call_id, "event": event.event.value}
                if event.event_id is not None:
                    ack["event_id"] = event.event_id
                if dropped:
                    ack["dropped"] = dropped  # acknowledged (the adapter need not send it again), not applied
                await ws.send_json(ack)
        except WebSocketDisconnect:
            return

    return router
