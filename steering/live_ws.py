"""``/ws/steering``: the live view's socket (``token`` as for the panel's). A ``hello`` (with the token's expiry),
a snapshot at once, then a fresh one each time the projector takes in traces of the reader's scope (at most one
a second). The page renews its token with ``{"type": "renew", "token"}`` (same advisor) before it expires, or the
socket closes (4401); other sites' pages and readers without figures are refused (4403), in French."""

import asyncio
import contextlib
import json
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect

from assistant.copilot.origins import origin_allowed
from crm_core.core.db import transaction
from crm_core.core.security import InvalidToken, TokenClaims, verify
from crm_core.models.base import utcnow
from crm_core.services import tracing
from crm_core.services.actor import Actor
from crm_core.services.habilitations import NotAllowed, UnknownAdvisor, actor_for
from steering.live import LiveHub, snapshot
from steering.scope import Scope, scope_of

log = logging.getLogger(__name__)
router = APIRouter()


def _open(ws: WebSocket, token: str) -> tuple[Actor, TokenClaims, Scope]:
    claims = verify(token)
    with transaction(ws.app.state.session_factory) as session:
        actor = actor_for(session, claims.login)
        try:
            scope = scope_of(session, actor)
        except NotAllowed as exc:
            tracing.record(session, "kpi.refused", actor, route="/ws/steering", reason=str(exc))
            session.commit()
            raise
        tracing.record(session, "kpi.live_read", actor, scope=scope.code, door="socket")
        return actor, claims, scope


def _snapshot(ws: WebSocket, scope: Scope) -> dict[str, Any]:
    with ws.app.state.session_factory() as session:
        return snapshot(session, scope)


async def _renew(ws: WebSocket, raw: str | None, login: str) -> TokenClaims | None:
    """A ``renew`` frame: the new token's claims when it is valid and the same advisor's (else a French error)."""
    try:
        frame = json.loads(raw or "")
    except ValueError:
        frame = None
    if not isinstance(frame, dict) or frame.get("type") != "renew" or not isinstance(frame.get("token"), str):
        await ws.send_json({"type": "error", "detail": "Message inconnu : seul « renew » est attendu."})
        return None
    try:
        claims = verify(frame["token"][:4096])
    except InvalidToken as exc:
        await ws.send_json({"type": "error", "detail": f"Renouvellement refusé : {exc}"})
        return None
    if claims.login != login:
        await ws.send_json({"type": "error", "detail": "Renouvellement refusé : ce jeton est celui d'un autre "
                                                       "utilisateur."})
        return None
    await ws.send_json({"type": "renewed", "expires_at": claims.expires_at.isoformat()})
    return claims


@router.websocket("/ws/steering")
async def steering_socket(ws: WebSocket, token: Annotated[str, Query(max_length=4096)] = "") -> None:
    hub: LiveHub = ws.app.state.live
    await ws.accept()
    if not origin_allowed(ws):
        await ws.send_json({"type": "error", "detail": "Origine refusée."})
        await ws.close(code=4403, reason="origin not allowed")
        return
    try:
        _actor, claims, scope = await asyncio.to_thread(_open, ws, token)
    except (InvalidToken, UnknownAdvisor) as exc:
        await ws.send_json({"type": "error", "detail": str(exc)})
        await ws.close(code=4401, reason="authentication required")
        return
    except NotAllowed as exc:
        await ws.send_json({"type": "error", "detail": str(exc)})
        await ws.close(code=4403, reason="no figures")
        return
    sub = hub.subscribe(scope)

    async def push() -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            await ws.send_json(await asyncio.to_thread(_snapshot, ws, scope))
            hub.pushed += 1
            await asyncio.sleep(max(0.0, hub.min_interval_s - (loop.time() - started)))  # a frame a second
            await sub.dirty.wait()
            sub.dirty.clear()

    async def expire() -> None:
        left = (claims.expires_at - utcnow()).total_seconds()
        await asyncio.sleep(max(0.0, left))
        with contextlib.suppress(Exception):
            await ws.send_json({"type": "session_expired", "detail": "Session expirée : reconnectez-vous."})
            await ws.close(code=4401, reason="token expired")

    await ws.send_json({"type": "hello", "advisor": _actor.login, "scope": scope.code,
                        "expires_at": claims.expires_at.isoformat()})
    tasks = [asyncio.create_task(push()), asyncio.create_task(expire())]
    try:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                break
            renewed = await _renew(ws, message.get("text"), _actor.login)
            if renewed is not None:
                claims = renewed
                tasks[1].cancel()
                tasks[1] = asyncio.create_task(expire())
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        hub.unsubscribe(sub)
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
