"""What the engine adapters share: the error type, stable event ids, building a v2 CallEvent, and the
forwarding side of every runner (a bounded queue drained into the bridge websocket, reconnecting with
exponential backoff)."""

import asyncio
import hashlib
import json
import logging
import random
import re
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from telephony_bridge.events import CallEvent

log = logging.getLogger(__name__)

_ID = re.compile(r"^[A-Za-z0-9._:@-]{1,80}$")


class AdapterError(ValueError):
    """An engine event the adapter cannot read (missing or malformed field); the message says which."""


def stable_id(prefix: str, *parts: object) -> str:
    """An event id made only of the engine's own values, so that a replayed engine event gets the same id.

    Readable (``prefix:part:part``) when it fits the CallEvent pattern, else ``prefix:`` and a SHA-256 digest.
    """
    readable = ":".join([prefix, *(str(p) for p in parts)])
    if _ID.match(readable):
        return readable
    return f"{prefix}:{hashlib.sha256(readable.encode()).hexdigest()[:40]}"


def digest_id(prefix: str, raw: Any) -> str:
    """An event id from the whole engine event (canonical JSON): for engines that number nothing."""
    canonical = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return f"{prefix}:{hashlib.sha256(canonical.encode()).hexdigest()[:40]}"


def call_id_of(value: Any, what: str) -> str:
    """The engine's call identifier, checked against the CallEvent pattern."""
    if not isinstance(value, str) or not _ID.match(value):
        raise AdapterError(f"{what} missing or not a usable call id: {value!r}")
    return value


def from_epoch_us(value: str | int) -> datetime:
    return datetime.fromtimestamp(int(value) / 1_000_000, tz=UTC)


def build(call_id: str, event: str, **fields: Any) -> CallEvent:
    """A version 2 CallEvent; anything the model refuses becomes an AdapterError (never a crash)."""
    try:
        return CallEvent(version=2, call_id=call_id, event=event, **{k: v for k, v in fields.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'event'}: {e['msg']}" for e in exc.errors()[:5])
        raise AdapterError(f"cannot make a {event} CallEvent for call {call_id}: {problems}") from exc


class Backoff:
    """Exponential backoff with jitter: 0.5 s, 1 s, 2 s… up to ``maximum``; ``reset()`` after a success."""

    def __init__(self, initial: float = 0.5, maximum: float = 30.0) -> None:
        self.initial, self.maximum, self.attempts = initial, maximum, 0

    def next_delay(self) -> float:
        delay = min(self.maximum, self.initial * 2 ** self.attempts)
        self.attempts += 1
        return delay * random.uniform(0.5, 1.0)

    def reset(self) -> None:
        self.attempts = 0


Connect = Callable[..., Any]  # websockets.asyncio.client.connect, or a test double


class BridgeForwarder:
    """Sends CallEvents to the bridge websocket (``/ws/bridge``) with the bridge token, one ack at a time.

    ``put()`` never blocks the engine side: the queue is bounded and, when full, the oldest event is dropped
    (and logged). A lost bridge connection is retried with exponential backoff; the event in flight is sent
    again (the bridge drops it as a duplicate by its ``event_id`` if it had been applied).
    """

    def __init__(self, url: str, token: str, max_queue: int = 1000, backoff: Backoff | None = None,
                 on_reply: Callable[[dict[str, Any]], Awaitable[None] | None] | None = None) -> None:
        self.url, self.token = url, token
        self.queue: deque[CallEvent] = deque(maxlen=max_queue)
        self.backoff = backoff or Backoff()
        self.on_reply = on_reply
        self._ready = asyncio.Event()
        self.dropped = 0

    def put(self, event: CallEvent) -> None:
        if len(self.queue) == self.queue.maxlen:
            self.dropped += 1
            lost = self.queue[0]
            log.warning("bridge queue full (%d): dropping %s/%s", self.queue.maxlen, lost.call_id, lost.event)
        self.queue.append(event)
        self._ready.set()

    async def run(self) -> None:
        """Forever: connect, drain the queue, reconnect on failure. Cancel the task to stop."""
        from websockets.asyncio.client import connect

        while True:
            try:
                async with connect(self.url, additional_headers={"Authorization": f"Bearer {self.token}"},
                                   open_timeout=10) as ws:
                    log.info("connected to the bridge %s", self.url)
                    self.backoff.reset()
                    await self._drain(ws)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # network, refused token, closed socket: wait, then try again
                delay = self.backoff.next_delay()
                log.warning("bridge connection lost (%s); retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)

    async def _drain(self, ws: Any) -> None:
        while True:
            while not self.queue:
                self._ready.clear()
                await self._ready.wait()
            event = self.queue[0]
            await ws.send(event.model_dump_json(exclude_none=True))
            reply = json.loads(await ws.recv())
            if reply.get("type") != "ack" and "call_id" not in reply and "invalid CallEvent" not in reply.get(
                    "detail", ""):
                raise ConnectionError(f"bridge refused the connection: {reply.get('detail')}")  # token, origin
            self.queue.popleft()  # acknowledged or refused: either way the bridge has answered for it
            if reply.get("type") != "ack":
                log.warning("bridge refused %s/%s: %s", event.call_id, event.event, reply.get("detail"))
            if self.on_reply is not None:
                result = self.on_reply(reply)
                if asyncio.iscoroutine(result):
                    await result


def bridge_url(app_url: str) -> str:
    """``http://host:8000`` → ``ws://host:8000/ws/bridge`` (a ``ws(s)://…/ws/bridge`` URL is kept)."""
    if app_url.startswith(("ws://", "wss://")):
        return app_url
    return app_url.replace("https://", "wss://").replace("http://", "ws://").rstrip("/") + "/ws/bridge"
