"""``/ws/steering``: the live view's socket (``token`` as for the panel's). A snapshot at once, then a fresh one
each time the projector takes in traces of the reader's scope (at most one a second); the socket closes at the
token's expiry (4401), refuses other sites' pages and readers without figures (4403), in French."""

import asyncio
import contextlib
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
        while True:
            await ws.send_json(await asyncio.to_thread(_snapshot, ws, scope))
            hub.pushed += 1
            await asyncio.sleep(hub.min_interval_s)
            await sub.dirty.wait()
            sub.dirty.clear()

    async def expire() -> None:
        left = (claims.expires_at - utcnow()).total_seconds()
        await asyncio.sleep(max(0.0, left))
        with contextlib.suppress(Exception):
            await ws.send_json({"type": "session_expired", "detail": "Session expirée : reconnectez-vous."})
            await ws.close(code=4401, reason="token expired")

    tasks = [asyncio.create_task(push()), asyncio.create_task(expire())]
    try:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                break
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        hub.unsubscribe(sub)
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
