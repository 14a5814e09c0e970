"""Fan-out of messages to the advisors' side panels connected over websocket.

A call's messages go to the panels of the advisor it is presented to, and to the panels of supervisors of
that advisor's centre that follow the call; never to anyone else. Each panel gets a screen pop through the
one permission filter (``crm_core.services.permission_filter.pop``), so it carries only what its advisor
may read in the 360°. A panel whose token has expired gets nothing more.
"""

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from crm_core.models.base import utcnow
from crm_core.services import permission_filter
from crm_core.services.habilitations import CALL_SUPERVISE

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Subscriber:
    advisor: str
    call_id: str | None = None  # follow one call only
    permissions: frozenset[str] = frozenset()
    centre: str | None = None
    expires_at: datetime | None = None  # the panel's token expiry: nothing is delivered after it
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(maxsize=1000))

    @property
    def supervises(self) -> bool:
        return CALL_SUPERVISE in self.permissions

    def wants(self, agent: str | None, centre: str | None, call_id: str | None) -> bool:
        if self.expires_at is not None and utcnow() >= self.expires_at:
            return False
        if self.call_id is not None and call_id != self.call_id:
            return False
        if agent is None:
            return False
        if self.advisor == agent:
            return True
        # a supervisor of the advisor's centre sees the call when following it
        return self.supervises and self.call_id is not None and centre is not None and self.centre == centre


class PanelHub:
    def __init__(self) -> None:
        self._subscribers: set[Subscriber] = set()

    def subscribe(self, advisor: str, call_id: str | None = None,
                  permissions: frozenset[str] = frozenset(), centre: str | None = None,
                  expires_at: datetime | None = None) -> Subscriber:
        sub = Subscriber(advisor, call_id, permissions, centre, expires_at)
        self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self._subscribers.discard(sub)

    def publish(self, message: dict[str, Any], agent: str | None, centre: str | None = None) -> int:
        """Queue the message for the panels that may see the call of ``agent``; returns how many."""
        delivered = 0
        for sub in list(self._subscribers):
            if sub.wants(agent, centre, message.get("call_id")):
                delivered += self._put(sub, message)
        return delivered

    def publish_supervisors(self, message: dict[str, Any]) -> int:
        """A message for every supervisor's panel (calls that wait for an advisor: no customer data)."""
        now = utcnow()
        return sum(self._put(sub, message) for sub in list(self._subscribers)
                   if sub.supervises and (sub.expires_at is None or now < sub.expires_at)
                   and (sub.call_id is None or sub.call_id == message.get("call_id")))

    def _put(self, sub: Subscriber, message: dict[str, Any]) -> int:
        shown = permission_filter.pop(message, sub.permissions) if message.get("type") == "screen_pop" else message
        try:
            sub.queue.put_nowait(shown)
            return 1
        except asyncio.QueueFull:
            log.warning("panel of %s is not reading; message dropped for it", sub.advisor)
            return 0

    def __len__(self) -> int:
        return len(self._subscribers)
