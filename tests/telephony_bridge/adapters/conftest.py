"""Shared by the adapters' tests: the fixtures' clock, fixture files, and a fake bridge on loopback."""

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.server import serve

from telephony_bridge import events as events_module
from telephony_bridge.events import CallEvent, parse_call_event

FIXTURES = Path(__file__).parent / "fixtures"
CALL_START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # the fixtures' calls start then
TOKEN = "adapters-test-bridge-token-0123456789abcdef"


def at(seconds: float) -> datetime:
    return CALL_START + timedelta(seconds=seconds)


@pytest.fixture(autouse=True)
def fixtures_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The copilot's clock a few minutes after the fixtures' calls (occurred_at must be plausible)."""
    monkeypatch.setattr(events_module, "utcnow", lambda: CALL_START + timedelta(minutes=8))


def load_json(engine: str, name: str) -> list[dict[str, Any]]:
    return json.loads((FIXTURES / engine / name).read_text(encoding="utf-8"))


def load_plain(engine: str, name: str) -> list[str]:
    return [block + "\n" for block in (FIXTURES / engine / name).read_text(encoding="utf-8").split("\n\n") if block]


def assert_valid_v2(produced: list[CallEvent]) -> None:
    """Every event is a version 2 CallEvent the bridge accepts as sent."""
    for event in produced:
        assert event.version == 2
        assert parse_call_event(event.model_dump_json(exclude_none=True)) == event


def without_ids(produced: list[CallEvent]) -> list[dict[str, Any]]:
    return [event.model_dump(exclude={"event_id"}, exclude_none=True) for event in produced]


def expected(call_id: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """CallEvents written by hand, as dicts without their ids."""
    return [CallEvent(version=2, call_id=call_id, **row).model_dump(exclude={"event_id"}, exclude_none=True)
            for row in rows]


class FakeBridge:
    """/ws/bridge on loopback: checks the token, records each new event (by event_id), acks like the real one.

    ``lose_frame``: the n-th frame received closes the connection without a reply (a lost bridge)."""

    def __init__(self, lose_frame: int | None = None) -> None:
        self.events: list[CallEvent] = []
        self.frames = 0
        self.connections = 0
        self.lose_frame = lose_frame
        self.url = ""

    async def handler(self, ws: Any) -> None:
        self.connections += 1
        if ws.request.headers.get("Authorization") != f"Bearer {TOKEN}" or ws.request.path != "/ws/bridge":
            await ws.send(json.dumps({"type": "error", "detail": "bridge token missing or wrong"}))
            await ws.close(4401)
            return
        async for message in ws:
            self.frames += 1
            if self.frames == self.lose_frame:
                await ws.close()
                return
            event = parse_call_event(message)
            ack = {"type": "ack", "call_id": event.call_id, "event": event.event.value, "event_id": event.event_id}
            if any(seen.event_id == event.event_id for seen in self.events):
                ack["dropped"] = "duplicate"
            else:
                self.events.append(event)
            await ws.send(json.dumps(ack))

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[CallEvent]:
        async with asyncio.timeout(timeout):
            while len(self.events) < count:
                await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)  # nothing more should come
        return self.events


@pytest.fixture
async def fake_bridge() -> AsyncIterator[Callable[..., Any]]:
    servers = []

    async def start(lose_frame: int | None = None) -> FakeBridge:
        bridge = FakeBridge(lose_frame)
        server = await serve(bridge.handler, "127.0.0.1", 0)
        servers.append(server)
        bridge.url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/ws/bridge"
        return bridge

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()
