"""Drive a running stack like a telephony engine would, and watch the pop like a panel would."""

import asyncio
import json
import time
import uuid
from typing import Any
from urllib.parse import urlencode

import websockets


def ws_url(base_url: str, path: str) -> str:
    return base_url.replace("http://", "ws://").replace("https://", "wss://").rstrip("/") + path


async def simulate_call(
    base_url: str,
    caller: str,
    reason: str | None,
    agent: str = "n1.demo",
    timeout_s: float = 10.0,
    call_id: str | None = None,
    end: bool = True,
    token: str | None = None,
    bridge_token: str = "",
) -> dict[str, Any]:
    """Send offered → answered (→ ended) for one call; return the pop seen by a panel, with its latency.

    The watching panel signs in as ``agent`` (a seeded advisor; a development token is made from the
    settings' secret unless ``token`` is given) and follows this call only. The bridge connection presents
    ``bridge_token`` as an adapter would. With ``end=False`` the call stays in progress.
    """
    from crm_core.core.config import get_crm_settings
    from crm_core.core.security import issue_token

    bridge_token = bridge_token or get_crm_settings().secret("bridge_token")

    call_id = call_id or f"sim-{uuid.uuid4().hex[:12]}"
    panel_agent = agent
    query = urlencode({"token": token or issue_token(agent), "call_id": call_id})
    async with websockets.connect(ws_url(base_url, f"/ws/panel?{query}")) as panel, \
            websockets.connect(ws_url(base_url, "/ws/bridge"),
                               additional_headers={"Authorization": f"Bearer {bridge_token}"}) as bridge:
        hello = json.loads(await asyncio.wait_for(panel.recv(), timeout_s))
        assert hello["type"] == "hello", hello

        async def send(event: str, **extra: Any) -> None:
            await bridge.send(json.dumps({"call_id": call_id, "event": event, "caller_number": caller,
                                          "agent": panel_agent, **extra}))
            reply = json.loads(await asyncio.wait_for(bridge.recv(), timeout_s))
            if reply.get("type") != "ack":
                raise RuntimeError(f"bridge refused {event}: {reply}")

        await send("offered", reason_transcript=reason)
        t0 = time.perf_counter()
        await send("answered")
        while True:
            message = json.loads(await asyncio.wait_for(panel.recv(), timeout_s))
            if message.get("type") == "screen_pop" and message.get("call_id") == call_id:
                break
        latency_ms = (time.perf_counter() - t0) * 1000
        if end:
            await send("ended")
    return {
        "call_id": call_id,
        "customer": message["customer"],
        "journey": message["journey"],
        "journey_label": message["journey_label"],
        "confidence": message["confidence"],
        "secondary_journeys": message.get("secondary_journeys", []),
        "acts": message["acts"],
        "nlu_status": message["nlu_status"],
        "latency_ms": round(latency_ms, 2),
    }


async def say(base_url: str, call_id: str, login: str, text: str, timeout_s: float = 30.0,
              token: str | None = None) -> dict[str, Any]:
    """One advisor message into a call's chat, through the panel's socket as ``login``; the copilot's replies.

    Returns ``{"call_id", "advisor", "text", "messages": [{"text", "custom"}]}``, with ``error`` (French) when
    the copilot or the call refused it (another advisor's call, an ended call, Rasa down).
    """
    from crm_core.core.security import issue_token

    query = urlencode({"token": token or issue_token(login)})
    async with websockets.connect(ws_url(base_url, f"/ws/panel?{query}")) as panel:
        hello = json.loads(await asyncio.wait_for(panel.recv(), timeout_s))
        if hello.get("type") != "hello":
            raise RuntimeError(f"panel refused {login}: {hello}")
        await panel.send(json.dumps({"type": "chat", "call_id": call_id, "text": text}))
        while True:
            frame = json.loads(await asyncio.wait_for(panel.recv(), timeout_s))
            if frame.get("call_id") != call_id or frame.get("type") not in ("chat_reply", "error"):
                continue  # pops and updates of the call go on meanwhile
            said: dict[str, Any] = {"call_id": call_id, "advisor": login, "text": text,
                                    "messages": frame.get("messages", [])}
            if frame.get("error") or frame.get("type") == "error":
                said["error"] = frame.get("error") or frame.get("detail")
            return said
