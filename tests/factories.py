"""Plain factory functions for tests."""

from typing import TYPE_CHECKING

from crm_core.core.security import issue_token
from crm_core.services.actor import Actor
from crm_core.services.habilitations import PROFILES

if TYPE_CHECKING:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient
    from sqlalchemy import Engine


def advisor(profile: str = "n1_customer_contact", login: str | None = None, call_id: str | None = None) -> Actor:
    """An actor with exactly the permissions of ``profile`` in the catalogue."""
    return Actor(login or f"{profile}.test", profile, call_id, PROFILES[profile][1])


def auth(login: str = "n1.demo") -> dict[str, str]:
    """Headers of a request made by a seeded advisor."""
    return {"Authorization": f"Bearer {issue_token(login)}"}


def bridge_auth() -> dict[str, str]:
    """Headers of a telephony adapter on /ws/bridge (the bridge token of the settings)."""
    from crm_core.core.config import get_crm_settings

    return {"Authorization": f"Bearer {get_crm_settings().secret('bridge_token')}"}


def present_call(client: "TestClient", call_id: str, agent: str | None, caller_number: str,
                 reason: str | None = None) -> None:
    """offered + answered on the bridge of an in-process app: a call presented to ``agent``."""
    with client.websocket_connect("/ws/bridge", headers=bridge_auth()) as ws:
        for event in ("offered", "answered"):
            ws.send_json({"call_id": call_id, "event": event, "agent": agent, "caller_number": caller_number,
                          "reason_transcript": reason})
            assert ws.receive_json()["type"] == "ack"


def present_and_look_up(client: "TestClient", call_id: str, agent: str | None, caller_number: str,
                        reason: str | None = None, timeout_s: float = 10.0) -> None:
    """``present_call``, then wait until the copilot has looked the number up (as the panel acts after the pop)."""
    import time

    present_call(client, call_id, agent, caller_number, reason)
    calls = client.app.state.calls  # type: ignore[attr-defined]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        call = calls.calls.get(call_id)
        if call is not None and call.lookup is not None and call.lookup.done():
            return
        time.sleep(0.02)


def app_without_rasa(engine: "Engine", **settings: float) -> "FastAPI":
    """The app in-process on ``engine``, with Rasa and the action server really down (closed ports)."""
    from assistant.copilot.app import create_app
    from assistant.copilot.settings import CopilotSettings
    from copilot_cli.stack import free_port

    closed = free_port()
    return create_app(CopilotSettings(rasa_url=f"http://127.0.0.1:{closed}", actions_url=f"http://127.0.0.1:{closed}",
                                      **({"nlu_timeout_s": 0.5, "health_timeout_s": 0.5} | settings)),
                      engine=engine)
