"""The bridge's websocket endpoint: JSON CallEvents in, one ack or error frame out per message."""

import hmac
import logging
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from telephony_bridge.events import CallEvent, InvalidCallEvent, parse_call_event

log = logging.getLogger(__name__)

CallEventHandler = Callable[[CallEvent], Awaitable[None]]


def bridge_router(handle: CallEventHandler, token: str | None = None) -> APIRouter:
    """The bridge endpoint; when ``token`` is set, adapters must present it (``/ws/bridge?token=…``)."""
    router = APIRouter()

    @router.websocket("/ws/bridge")
    async def bridge(ws: WebSocket) -> None:
        await ws.accept()
        if token is not None and not hmac.compare_digest(ws.query_params.get("token", ""), token):
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
                    await handle(event)
                except Exception:  # a bug in one call must not close the bridge for every other call
                    log.exception("call event %s/%s failed", event.call_id, event.event)
                    await ws.send_json({"type": "error", "call_id": event.call_id,
                                        "detail": "internal error while handling the event"})
                    continue
                await ws.send_json({"type": "ack", "call_id": event.call_id, "event": event.event.value})
        except WebSocketDisconnect:
            return

    return router
