"""The side panel's websocket: screen pops and call updates out; chat and customer choice in."""

import asyncio
import contextlib
import json
import logging
from typing import Annotated

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect

from assistant.copilot.panel_hub import PanelHub
from assistant.copilot.sessions import CallSessionManager
from crm_core.core.security import InvalidToken, verify_token
from crm_core.services.actor import Actor
from crm_core.services.errors import NotFound
from crm_core.services.habilitations import NotAllowed, UnknownAdvisor, actor_for

log = logging.getLogger(__name__)

router = APIRouter()


def _error(detail: str) -> dict[str, str]:
    return {"type": "error", "detail": detail}


def _authenticate(ws: WebSocket, token: str) -> Actor:
    login = verify_token(token)
    with ws.app.state.session_factory() as session:
        return actor_for(session, login)


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
    try:
        actor = await asyncio.to_thread(_authenticate, ws, token)
    except (InvalidToken, UnknownAdvisor) as exc:
        await ws.send_json(_error(str(exc)))
        await ws.close(code=4401, reason="authentication required")
        return
    advisor = actor.login
    sub = hub.subscribe(advisor, call_id, actor.permissions)

    async def pump() -> None:
        while True:
            await ws.send_json(await sub.queue.get())

    sender = asyncio.create_task(pump())
    try:
        await ws.send_json({"type": "hello", "advisor": advisor, "profile": actor.profile,
                            "permissions": sorted(actor.permissions)})
        while True:
            raw = await ws.receive_text()
            try:
                message = json.loads(raw)
                kind = message["type"]
                call_id = str(message["call_id"])
            except (ValueError, KeyError, TypeError):
                sub.queue.put_nowait(_error("Message illisible : JSON avec « type » et « call_id » attendu."))
                continue
            if kind == "chat":
                text = str(message.get("text", "")).strip()[:2000]
                if not text:
                    sub.queue.put_nowait(_error("Message vide."))
                    continue
                sub.queue.put_nowait(await manager.chat(call_id, text, actor))
            elif kind == "attach_customer":
                try:
                    await manager.attach_customer(call_id, int(message["customer_id"]), actor)
                except (KeyError, ValueError, TypeError):
                    sub.queue.put_nowait(_error("Appel terminé ou client invalide."))
                except NotFound as exc:
                    sub.queue.put_nowait(_error(str(exc)))
                except NotAllowed as exc:
                    sub.queue.put_nowait(_error(str(exc)))
            else:
                sub.queue.put_nowait(_error(f"Type de message inconnu : {kind[:40]!s}."))
    except WebSocketDisconnect:
        pass
    finally:
        hub.unsubscribe(sub)
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender
