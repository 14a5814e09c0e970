"""Fan-out of messages to the advisors' side panels connected over websocket."""

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

ALL_ADVISORS = "*"


@dataclass(eq=False)
class Subscriber:
    advisor: str
    call_id: str | None = None  # follow one call only
    permissions: frozenset[str] = frozenset({"customer:read"})
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(maxsize=1000))

    def wants(self, agent: str | None, call_id: str | None) -> bool:
        if self.call_id is not None and call_id != self.call_id:
            return False
        return agent is None or self.advisor in (agent, ALL_ADVISORS)


class PanelHub:
    def __init__(self) -> None:
        self._subscribers: set[Subscriber] = set()

    def subscribe(self, advisor: str, call_id: str | None = None,
                  permissions: frozenset[str] = frozenset({"customer:read"})) -> Subscriber:
        sub = Subscriber(advisor, call_id, permissions)
        self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self._subscribers.discard(sub)

    def publish(self, message: dict[str, Any], agent: str | None = None) -> int:
        """Queue the message for every panel of ``agent`` (all panels when None); returns how many."""
        delivered = 0
        for sub in list(self._subscribers):
            if not sub.wants(agent, message.get("call_id")):
                continue
            try:
                sub.queue.put_nowait(message if "customer:read" in sub.permissions else _without_customer(message))
                delivered += 1
            except asyncio.QueueFull:
                log.warning("panel of %s is not reading; message dropped for it", sub.advisor)
        return delivered

    def __len__(self) -> int:
        return len(self._subscribers)


def _without_customer(message: dict[str, Any]) -> dict[str, Any]:
    """What a panel whose advisor may not read customer data gets of a message: no customer data."""
    if message.get("customer") is None:
        return message
    return message | {"customer": None, "restricted": True}
