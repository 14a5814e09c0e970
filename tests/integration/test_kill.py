"""The app killed with SIGKILL during a stream of calls loses nothing: every event the bridge acknowledged is
in the trace once, and the calls in progress come back with the app, their pop sent again to their advisor's
panel when it reconnects. The app runs as a real process (Rasa is not needed: the journey is not the point)."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import websockets
from sqlalchemy import select

from copilot_cli.stack import free_port
from crm_core.core.security import issue_token
from crm_core.models import TraceEvent
from crm_core.seed import seeded_database
from tests.factories import bridge_auth

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
CAMILLE = "0712345678"


def start_app(db_url: str, port: int, logs: Path) -> subprocess.Popen[bytes]:
    closed = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "COPILOT_DATABASE_URL": db_url, "COPILOT_PORT": str(port),
           "COPILOT_RASA_URL": f"http://127.0.0.1:{closed}", "COPILOT_ACTIONS_URL": f"http://127.0.0.1:{closed}",
           "COPILOT_NLU_TIMEOUT_S": "0.3"}
    app = subprocess.Popen([sys.executable, "-m", "copilot_cli", "serve"], cwd=REPO, env=env,
                           stdout=logs.open("ab"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
            return app
        except httpx.HTTPError:
            assert app.poll() is None, logs.read_text()[-2000:]
            time.sleep(0.2)
    raise AssertionError("the app did not start: " + logs.read_text()[-2000:])


async def stream(port: int, acked: list[tuple[str, str]], stop: asyncio.Event) -> None:
    """Calls one after the other: offered, answered, and every other one ended; each ack is kept."""
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws/bridge", additional_headers=bridge_auth()) as ws:
        n = 0
        while not stop.is_set():
            call_id = f"kill-{n}"
            events = [{"event": "offered", "caller_number": CAMILLE, "agent": "n1.demo"}, {"event": "answered"}]
            if n % 2:
                events.append({"event": "ended"})
            for seq, event in enumerate(events, 1):
                await ws.send(json.dumps({"version": 2, "call_id": call_id, "event_id": f"{call_id}-{seq}",
                                          "sequence": seq, **event}))
                reply = json.loads(await ws.recv())
                assert reply["type"] == "ack" and "dropped" not in reply, reply
                acked.append((call_id, event["event"]))
            n += 1


async def kill_during_stream(app: subprocess.Popen[bytes], port: int, after_s: float) -> list[tuple[str, str]]:
    acked: list[tuple[str, str]] = []
    stop = asyncio.Event()
    sender = asyncio.create_task(stream(port, acked, stop))
    await asyncio.sleep(after_s)
    os.kill(app.pid, signal.SIGKILL)  # mid-stream: the sender's next frame fails
    try:
        await asyncio.wait_for(sender, 10)
    except (websockets.ConnectionClosed, OSError):
        pass
    return acked


async def pops_on_reconnect(port: int, expected: int) -> set[str]:
    url = f"ws://127.0.0.1:{port}/ws/panel?token={issue_token('n1.demo')}"
    seen: set[str] = set()
    async with websockets.connect(url, origin=f"http://127.0.0.1:{port}") as panel:
        assert json.loads(await panel.recv())["type"] == "hello"
        while len(seen) < expected:
            frame = json.loads(await asyncio.wait_for(panel.recv(), 15))
            if frame["type"] == "screen_pop":
                assert frame["customer"]["id"] == 1 and frame["state"] == "answered", frame
                seen.add(frame["call_id"])
    return seen


def test_a_killed_app_loses_no_acknowledged_event_and_restores_its_calls(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    sessions = seeded_database(db_url, 5)
    port, logs = free_port(), tmp_path / "app.log"
    app = start_app(db_url, port, logs)
    try:
        acked = asyncio.run(kill_during_stream(app, port, after_s=3.0))
        app.wait(10)
        assert app.returncode == -signal.SIGKILL and len(acked) > 30, len(acked)

        app = start_app(db_url, port, logs)  # the same database, the same journal folder: the next start
        with sessions() as s:
            traced = [(t.call_id, t.name.removeprefix("call.")) for t in s.scalars(
                select(TraceEvent).where(TraceEvent.call_id.like("kill-%"), TraceEvent.name.in_(
                    ("call.offered", "call.answered", "call.ended"))).order_by(TraceEvent.id))]
        missing = [e for e in acked if e not in traced]
        assert missing == [], f"acknowledged, then lost: {missing[:5]}"
        assert len(traced) == len(set(traced)), "an event traced twice"

        ended = {c for c, e in traced if e == "ended"}
        live = {c for c, e in traced if e == "answered"} - ended
        assert live, "no call was in progress at the kill"
        assert asyncio.run(pops_on_reconnect(port, len(live))) == live
        with sessions() as s:
            restored = set(s.scalars(select(TraceEvent.call_id).where(TraceEvent.name == "call.restored")))
        assert live <= restored and not (restored & ended)
    finally:
        app.send_signal(signal.SIGTERM)
        app.wait(15)
