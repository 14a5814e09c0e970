"""The side panel's websocket: screen pops and call updates out; chat, customer choice and renewal in.

The socket lives as long as the advisor's token: it closes at the token's expiry (code 4401) unless the
panel sends a ``renew`` frame with a new token before, and permissions are read again on each renewal.
Frames of any shape get an answer; the socket stays open.
"""

import asyncio
import contextlib
import logging
from typing import Annotated

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect

from assistant.copilot import panel_messages as pm
from assistant.copilot.origins import origin_allowed
from assistant.copilot.panel_hub import PanelHub, Subscriber
from assistant.copilot.sessions import CallSessionManager
from crm_core.core.security import InvalidToken, TokenClaims, verify
from crm_core.models.base import utcnow
from crm_core.services.actor import Actor
from crm_core.services.errors import NotFound
from crm_core.services.habilitations import NotAllowed, UnknownAdvisor, actor_for

log = logging.getLogger(__name__)

router = APIRouter()
SESSION_EXPIRED = "Session expirée : reconnectez-vous."


def _authenticate(ws: WebSocket, token: str) -> tuple[Actor, TokenClaims]:
    claims = verify(token)
    with ws.app.state.session_factory() as session:
        return actor_for(session, claims.login), claims


def _hello(actor: Actor, claims: TokenClaims, kind: str = "hello") -> dict[str, object]:
    return {"type": kind, "advisor": actor.login, "profile": actor.profile,
            "permissions": sorted(actor.permissions), "expires_at": claims.expires_at.isoformat()}


@router.websocket("/ws/panel")
async def panel(
    ws: WebSocket,
    token: Annotated[str, Query(max_length=4096)] = "",
    call_id: Annotated[str | None, Query(max_length=80)] = None,
) -> None:
    """The advisor's panel, authenticated by a bearer token in ``token``; ``call_id`` follows one call only."""
    hub: PanelHub = ws.app.state.hub
    manager: CallSessionManager = ws.app.state.calls
    await ws.accept()
    if not origin_allowed(ws):
        await ws.send_json(pm.error("Origine refusée."))
        await ws.close(code=4403, reason="origin not allowed")
        return
    try:
        actor, claims = await asyncio.to_thread(_authenticate, ws, token)
    except (InvalidToken, UnknownAdvisor) as exc:
        await ws.send_json(pm.error(str(exc)))
        await ws.close(code=4401, reason="authentication required")
        return
    sub = hub.subscribe(actor.login, call_id, actor.permissions, actor.centre, claims.expires_at, actor.profile)

    async def pump() -> None:
        while True:
            await ws.send_json(await sub.queue.get())

    async def expire() -> None:
        """Close the socket when the token expires (a renewal moves ``sub.expires_at`` on)."""
        while True:
            left = (sub.expires_at - utcnow()).total_seconds() if sub.expires_at else 3600.0
            if left <= 0:
                break
            await asyncio.sleep(min(left, 30.0))
        with contextlib.suppress(Exception):
            await ws.send_json({"type": "session_expired", "detail": SESSION_EXPIRED})
            await ws.close(code=4401, reason="token expired")

    sender = asyncio.create_task(pump())
    watchdog = asyncio.create_task(expire())
    state = {"actor": actor}
    try:
        await ws.send_json(_hello(actor, claims))
        await manager.welcome(sub)  # calls restored after a restart pop again on their advisor's panel
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                break
            if sub.expires_at is not None and utcnow() >= sub.expires_at:
                sub.queue.put_nowait(pm.error(SESSION_EXPIRED))
                continue
            raw = message.get("text") if message.get("text") is not None else message.get("bytes")
            await _on_frame(ws, raw, sub, state, manager)
    except WebSocketDisconnect:
        pass
    finally:
        hub.unsubscribe(sub)
        for task in (sender, watchdog):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def _on_frame(ws: WebSocket, raw: str | bytes | None, sub: Subscriber, state: dict[str, Actor],
                    manager: CallSessionManager) -> None:
    try:
        frame = pm.parse_inbound(raw)
    except pm.InvalidFrame as exc:
        sub.queue.put_nowait(pm.error(str(exc)))
        return
    actor = state["actor"]
    if isinstance(frame, pm.Renew):
        try:
            renewed, claims = await asyncio.to_thread(_authenticate, ws, frame.token)
        except (InvalidToken, UnknownAdvisor) as exc:
            sub.queue.put_nowait(pm.error(f"Renouvellement refusé : {exc}"))
            return
        if renewed.login != actor.login:
            sub.queue.put_nowait(pm.error("Renouvellement refusé : ce jeton est celui d'un autre conseiller."))
            return
        state["actor"] = renewed
        sub.permissions, sub.centre, sub.expires_at = renewed.permissions, renewed.centre, claims.expires_at
        sub.profile = renewed.profile
        sub.queue.put_nowait(_hello(renewed, claims, kind="renewed"))
        manager.renewed(renewed)
        return
    try:
        if isinstance(frame, pm.Chat):
            text = frame.text.strip()
            if not text:
                sub.queue.put_nowait(pm.error("Message vide.", frame.call_id))
                return
            sub.queue.put_nowait(await manager.chat(frame.call_id, text, actor))
        else:
            await manager.attach_customer(frame.call_id, frame.customer_id, actor)
    except (NotAllowed, NotFound) as exc:
        sub.queue.put_nowait(pm.error(str(exc), frame.call_id))
