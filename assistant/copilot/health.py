"""``GET /health``: the state of each component the copilot needs."""

import asyncio

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from assistant.copilot.nlu_client import NluUnavailable


async def _database(request: Request) -> tuple[bool, str]:
    def ping() -> None:
        with request.app.state.session_factory() as session:
            session.execute(text("SELECT 1"))

    try:
        await asyncio.wait_for(asyncio.to_thread(ping), request.app.state.settings.health_timeout_s * 3)
        return True, "ok"
    except Exception as exc:  # any failure means "down", with the reason
        return False, f"{type(exc).__name__}: {str(exc)[:200]}"


async def _http(client: httpx.AsyncClient, url: str) -> tuple[bool, str]:
    try:
        response = await client.get(url)
    except httpx.HTTPError as exc:
        return False, f"{type(exc).__name__}: unreachable at {url}"
    if response.status_code != 200:
        return False, f"HTTP {response.status_code} at {url}"
    return True, "ok"


async def _rasa(request: Request) -> tuple[bool, str]:
    try:
        status = await request.app.state.rasa.status()
    except NluUnavailable as exc:
        return False, str(exc)[:300]
    return (True, "ok") if status.get("model_file") else (False, "no model loaded")


def _warmup(request: Request) -> tuple[bool, str]:
    warmup = request.app.state.warmup
    return warmup.done, warmup.detail


class Component(BaseModel):
    up: bool
    detail: str


class Health(BaseModel):
    status: str  # ok | degraded
    down: list[str]
    components: dict[str, Component]


router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health,
            responses={503: {"model": Health, "description": "Un composant est indisponible (voir `down`)"}})
async def health(request: Request) -> JSONResponse:
    settings = request.app.state.settings
    async with httpx.AsyncClient(timeout=settings.health_timeout_s) as client:
        (db_ok, db_detail), (rasa_ok, rasa_detail), (act_ok, act_detail) = await asyncio.gather(
            _database(request),
            _rasa(request),
            _http(client, f"{settings.actions_url.rstrip('/')}/health"),
        )
    warm_ok, warm_detail = _warmup(request)
    components = {
        "database": {"up": db_ok, "detail": db_detail},
        "rasa": {"up": rasa_ok, "detail": rasa_detail},
        "action_server": {"up": act_ok, "detail": act_detail},
        # ready means ready: the first call after start is served warm (assistant/copilot/warmup.py)
        "warmup": {"up": warm_ok, "detail": warm_detail},
    }
    down = [name for name, c in components.items() if not c["up"]]
    body = {"status": "ok" if not down else "degraded", "down": down, "components": components}
    return JSONResponse(body, status_code=200 if not down else 503)
