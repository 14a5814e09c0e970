"""The app process: CRM API, copilot service, bridge and panel websockets, and the panel itself."""

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import Engine

from assistant.copilot import calls_api, health, ivr, panel_ws, transfers_api
from assistant.copilot.nlu_client import RasaClient
from assistant.copilot.origins import origin_allowed
from assistant.copilot.panel_hub import PanelHub
from assistant.copilot.sessions import CallSessionManager
from assistant.copilot.settings import CopilotSettings, get_copilot_settings
from assistant.copilot.transfer_desk import TransferDesk
from assistant.copilot.warmup import Warmup, run_warmup
from crm_core.api import problems
from crm_core.api.routes import acts, auth, customers, habilitations, session
from crm_core.core.config import BUILD_DIR, CrmSettings, get_crm_settings, is_loopback
from crm_core.core.db import create_schema, get_engine, session_factory
from crm_core.transfers import routing as transfer_routing
from steering import api as steering_api
from steering import live_ws as steering_ws
from steering.live import LiveHub
from steering.projector import Projector
from steering.runner import follow as follow_traces
from telephony_bridge.events import CallEvent
from telephony_bridge.webhook import cti_webhook_router
from telephony_bridge.websocket import bridge_router
from trainer import api as trainer_api
from trainer.publishing import Publisher
from trainer.training import Trainings
from web_widget import mount_panel

log = logging.getLogger(__name__)


def dev_sign_in_enabled(settings: CopilotSettings, crm: CrmSettings) -> bool:
    """Development tokens are minted only in development mode, by an app that listens on loopback only."""
    return crm.env == "development" and is_loopback(settings.host)


def journal_dir_for(engine: Engine) -> Path | None:
    """The trace journal's default place: beside a SQLite file, else one folder per database in .build/."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return Path(f"{url.database}.journal") if url.database and url.database != ":memory:" else None
    name = hashlib.sha256(url.render_as_string(hide_password=True).encode()).hexdigest()[:16]
    return BUILD_DIR / "journal" / name


def create_app(settings: CopilotSettings | None = None, engine: Engine | None = None,
               crm: CrmSettings | None = None) -> FastAPI:
    settings = settings or get_copilot_settings()
    crm = crm or get_crm_settings()
    dev_sign_in = dev_sign_in_enabled(settings, crm)
    routing = transfer_routing.load(settings.transfer_routing)  # a wrong file stops here, in French
    ivr_menu = ivr.load(settings.ivr_menu)  # idem

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = engine or get_engine()
        create_schema(db)
        app.state.settings = settings
        app.state.session_factory = session_factory(db)
        app.state.hub = PanelHub()
        app.state.rasa = RasaClient(settings.rasa_url, settings.nlu_timeout_s, settings.chat_timeout_s,
                                    token=crm.secret("rasa_token"), secret=crm.secret("internal_secret"))
        app.state.calls = CallSessionManager(app.state.session_factory, app.state.rasa, app.state.hub,
                                             settings.low_confidence, secret=crm.secret("internal_secret"),
                                             assertion_ttl_s=crm.assertion_ttl_s,
                                             idle_timeout_s=settings.call_idle_timeout_s,
                                             journal_dir=settings.journal_dir or journal_dir_for(db),
                                             ivr_menu=ivr_menu)
        await app.state.calls.restore()  # the calls in progress when the app stopped or died
        app.state.calls.start()
        with app.state.session_factory() as session:
            transfer_routing.check_baskets(routing, session, str(settings.transfer_routing or "routing.yml"))
        app.state.transfers = TransferDesk(app.state.session_factory, app.state.calls, app.state.hub, routing)
        app.state.trainings = Trainings(app.state.session_factory, settings.models_dir, settings.train_timeout_s)
        app.state.trainings.recover()  # trainings an earlier app process left half-way end failed
        app.state.publisher = Publisher(app.state.session_factory, app.state.rasa, settings.models_dir)
        app.state.live = LiveHub()
        app.state.live.bind(asyncio.get_running_loop())
        app.state.projector = Projector(app.state.session_factory)
        app.state.projector.listeners.append(app.state.live.on_step)
        steering = asyncio.create_task(follow_traces(app.state.projector, settings.steering_poll_s),
                                       name="steering")
        app.state.warmup = Warmup()
        warming = asyncio.create_task(run_warmup(app.state.warmup, app.state.session_factory, app.state.rasa,
                                                 crm.secret("internal_secret")), name="warm-up")
        if dev_sign_in:
            log.info("development sign-in is ON (/api/dev/token, ?advisor=): the app listens on loopback only "
                     "(%s)", settings.host)
        else:
            log.info("development sign-in is OFF (environment %s, host %s)", crm.env, settings.host)
        yield
        warming.cancel()
        steering.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await steering
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await warming
        await app.state.trainings.aclose()
        await app.state.calls.aclose()
        await app.state.rasa.aclose()

    app = FastAPI(title="Mon CRM — copilote conseiller", version="0.1.0", lifespan=lifespan)

    problems.install(app)

    async def handle_call_event(event: CallEvent) -> str | None:
        return await app.state.calls.handle(event)

    app.include_router(health.router)
    app.include_router(customers.router)
    app.include_router(acts.router)
    app.include_router(acts.act_router)
    app.include_router(acts.journeys_router)
    app.include_router(habilitations.router)
    app.include_router(calls_api.router)
    app.include_router(transfers_api.calls)
    app.include_router(transfers_api.transfers)
    app.include_router(transfers_api.baskets)
    app.include_router(trainer_api.router)
    app.include_router(steering_api.router)
    if crm.oidc_jwks_url is None:
        app.include_router(session.router)
    if dev_sign_in:
        app.include_router(auth.router)
    app.include_router(bridge_router(handle_call_event, crm.secret("bridge_token"), origin_allowed))
    app.include_router(cti_webhook_router(handle_call_event, crm.secret("bridge_token")))  # signed HTTP POSTs
    app.include_router(panel_ws.router)
    app.include_router(steering_ws.router)
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
