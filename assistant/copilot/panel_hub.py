"""Fan-out of messages to the advisors' side panels connected over websocket.

A call's messages go to the panels of the advisor it is presented to, and to the panels of supervisors of
that advisor's centre that follow the call; never to anyone else. Each panel gets a screen pop through the
one permission filter (``crm_core.services.permission_filter.pop``), so it carries only what its advisor
may read in the 360°. A panel whose token has expired gets nothing more.
"""

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from crm_core.models.base import utcnow
from crm_core.services import permission_filter
from crm_core.services.fields import can_see
from crm_core.services.habilitations import CALL_SUPERVISE, TRANSFER_RECEIVE
from crm_core.transfers import handover

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Subscriber:
    advisor: str
    call_id: str | None = None  # follow one call only
    permissions: frozenset[str] = frozenset()
    centre: str | None = None
    expires_at: datetime | None = None  # the panel's token expiry: nothing is delivered after it
    profile: str | None = None  # the advisor's business profile (level-2 teams receive transfers by profile)
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
                  expires_at: datetime | None = None, profile: str | None = None) -> Subscriber:
        sub = Subscriber(advisor, call_id, permissions, centre, expires_at, profile)
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

    def publish_receivers(self, message: dict[str, Any], profiles: Iterable[str],
                          with_handover: bool = True) -> list[tuple[str, list[str]]]:
        """A transfer's message for the panels of a level-2 team (its receiving profiles, ``transfer:receive``):
        each gets the handover cut to what its advisor may see. Returns, per panel reached, the advisor and the
        360° fields the handover showed them (the read is traced by the caller)."""
        now, wanted, reached = utcnow(), set(profiles), []
        for sub in list(self._subscribers):
            if (sub.profile in wanted and TRANSFER_RECEIVE in sub.permissions and sub.call_id is None
                    and (sub.expires_at is None or now < sub.expires_at)):
                if self._put(sub, message) and with_handover:
                    shown = message.get("transfer", {}).get("handover", {})
                    reached.append((sub.advisor, sorted({f["field"] for f in shown.get("customer_facts") or []
                                                         if can_see(sub.permissions, f["field"])})))
        return reached

    def deliver(self, sub: Subscriber, message: dict[str, Any]) -> int:
        """One message for one panel (a pop again on reconnection), through the permission filter."""
        if sub.expires_at is not None and utcnow() >= sub.expires_at:
            return 0
        return self._put(sub, message)

    def _put(self, sub: Subscriber, message: dict[str, Any]) -> int:
        shown = _for(message, sub.permissions)
        try:
            sub.queue.put_nowait(shown)
            return 1
        except asyncio.QueueFull:
            log.warning("panel of %s is not reading; message dropped for it", sub.advisor)
            return 0

    def __len__(self) -> int:
        return len(self._subscribers)


def _for(message: dict[str, Any], permissions: frozenset[str]) -> dict[str, Any]:
    """The message as a panel with ``permissions`` may see it: the pop and a transfer's handover through the
    one permission filter."""
    if message.get("type") == "screen_pop":
        return permission_filter.pop(message, permissions)
    transfer = message.get("transfer")
    if isinstance(transfer, dict) and "handover" in transfer:
        return {**message, "transfer": {**transfer,
                                        "handover": handover.for_reader(transfer["handover"], permissions),
                                        "edited_text": permission_filter.masked(transfer.get("edited_text"),
                                                                                permissions)}}
    return message
