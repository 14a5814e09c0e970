"""The app process: CRM API, copilot service, bridge and panel websockets, and the panel itself."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Engine

from assistant.copilot import health, panel_ws
from assistant.copilot.nlu_client import RasaClient
from assistant.copilot.panel_hub import PanelHub
from assistant.copilot.sessions import CallSessionManager
from assistant.copilot.settings import CopilotSettings, get_copilot_settings
from crm_core.api import problems
from crm_core.api.routes import auth, customers, habilitations
from crm_core.core.config import get_crm_settings
from crm_core.core.db import create_schema, get_engine, session_factory
from telephony_bridge.websocket import bridge_router
from web_widget import mount_panel


def create_app(settings: CopilotSettings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_copilot_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = engine or get_engine()
        create_schema(db)
        app.state.settings = settings
        app.state.session_factory = session_factory(db)
        app.state.hub = PanelHub()
        app.state.rasa = RasaClient(settings.rasa_url, settings.nlu_timeout_s, settings.chat_timeout_s)
        app.state.calls = CallSessionManager(app.state.session_factory, app.state.rasa, app.state.hub,
                                             settings.low_confidence)
        yield
        await app.state.calls.aclose()
        await app.state.rasa.aclose()

    app = FastAPI(title="Mon CRM — copilote conseiller", version="0.1.0", lifespan=lifespan)

    problems.install(app)

    async def handle_call_event(event):  # type: ignore[no-untyped-def]
        await app.state.calls.handle(event)

    app.include_router(health.router)
    app.include_router(customers.router)
    app.include_router(habilitations.router)
    if get_crm_settings().env == "development":
        app.include_router(auth.router)
    app.include_router(bridge_router(handle_call_event, settings.bridge_token))
    app.include_router(panel_ws.router)
    mount_panel(app)
    return app


def main() -> None:  # pragma: no cover - the process entry point used by `copilot run`
    import uvicorn

    from assistant.copilot.logs import RedactSecrets, uvicorn_log_config

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactSecrets())
    settings = get_copilot_settings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info",
                ws_max_size=1 << 20, log_config=uvicorn_log_config())
