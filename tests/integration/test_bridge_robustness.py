"""The bridge of a real app process against bad input: a 5 MB frame, odd call ids and numbers, an unknown
event kind, an engine that disconnects mid-call. Each gets a clear error on its socket (or is closed with
« message too big »), nothing else is disturbed, and /health still answers."""

import asyncio
import json
from pathlib import Path

import httpx
import pytest
import websockets

from copilot_cli.stack import free_port
from crm_core.seed import seeded_database
from tests.factories import bridge_auth
from tests.integration.test_kill import start_app

pytestmark = pytest.mark.integration


async def bad_input(port: int) -> dict[str, object]:
    url, seen = f"ws://127.0.0.1:{port}/ws/bridge", {}
    async with websockets.connect(url, additional_headers=bridge_auth(), max_size=None) as big:
        await big.send(json.dumps({"version": 2, "call_id": "big", "event": "data", "data": {"x": "y" * 5_000_000}}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(big.recv(), 10)
        seen["too_big"] = closed.value.rcvd.code if closed.value.rcvd else None
    async with websockets.connect(url, additional_headers=bridge_auth()) as ws:
        replies = []
        for frame in ('{"version": 2, "call_id": "a b; DROP TABLE", "event": "offered"}',
                      '{"version": 2, "call_id": "c-odd", "event": "exploded"}',
                      '{"version": 2, "call_id": "c-odd", "event": "offered", "caller_number": "+44 20 7946 0958 x12"}',
                      '{"version": 2, "call_id": "c-odd", "event": "offered", "caller_number": "<script>"}',
                      '{"version": 2, "call_id": "never", "event": "held"}'):
            await ws.send(frame)
            replies.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
        seen["replies"] = replies
    # an engine that disconnects mid-call, then comes back and ends it
    async with websockets.connect(url, additional_headers=bridge_auth()) as ws:
        await ws.send(json.dumps({"version": 2, "call_id": "cut", "event": "offered", "caller_number": "0712345678"}))
        await ws.recv()
    async with websockets.connect(url, additional_headers=bridge_auth()) as ws:
        await ws.send(json.dumps({"version": 2, "call_id": "cut", "event": "ended"}))
        seen["after_cut"] = json.loads(await asyncio.wait_for(ws.recv(), 10))
    return seen


def test_bad_input_gets_a_clear_error_and_disturbs_nothing(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    seeded_database(db_url, 5)
    port = free_port()
    app = start_app(db_url, port, tmp_path / "app.log")
    try:
        seen = asyncio.run(bad_input(port))
        assert seen["too_big"] == 1009  # « message too big »: the app's websocket limit is 1 MiB
        kinds = [(r["type"], r.get("event")) for r in seen["replies"]]  # type: ignore[union-attr]
        # a number in any format is taken as the engine gave it (no customer found for « <script> »: the panel
        # shows it as text); a malformed call id or an unknown kind is refused with the field at fault
        assert kinds == [("error", None), ("error", None), ("ack", "offered"), ("ack", "offered"), ("error", "held")]
        details = [r.get("detail", "") for r in seen["replies"]]  # type: ignore[union-attr]
        assert "call_id" in details[0] and "event" in details[1]
        assert "never started here" in details[4]
        assert seen["after_cut"] == {"type": "ack", "call_id": "cut", "event": "ended"}
        health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5)
        assert health.status_code in (200, 503) and health.json()["components"]["database"]["up"] is True
        assert app.poll() is None
    finally:
        app.terminate()
        app.wait(15)
