"""The live view: today's figures, the last 15 minutes and the calls in progress per advisor, pushed to the
supervisors' pages over ``/ws/steering`` as the projector takes new traces in.

The projector calls ``LiveHub.on_step`` after each step (in its thread); the hub marks the subscribers whose
scope the step's calls touch, and one task per socket sends them a fresh snapshot, at most every
``min_interval_s`` (a stream of 200 trace events a second is one snapshot a second, not 200).
"""

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.acts.catalogue import label_for
from crm_core.models.base import utcnow
from crm_core.models.steering import SUMS, CallFact
from steering import kpis, queries
from steering.facts import PARIS, day_of, utc
from steering.projector import Step
from steering.scope import Scope

log = logging.getLogger(__name__)

RECENT = timedelta(minutes=15)
IN_PROGRESS_MAX_AGE = timedelta(hours=4)  # a call with no event for longer is forgotten by the live view
LIVE_KPIS = ("calls", "answered", "abandoned", "dmt_s", "transfer_rate", "acts_done", "acts_per_call",
             "suggestion_acceptance", "nlu_correction_rate", "offers_accepted")


def _pick(values: dict[str, Any]) -> dict[str, Any]:
    return {k: values[k] for k in LIVE_KPIS} | {"sums": values.get("sums", {})}


def snapshot(session: Session, scope: Scope) -> dict[str, Any]:
    """What the live page shows now (real time: the traces are stamped with it)."""
    now = utcnow()
    today = day_of(now)  # the real clock's day, as the traces are stamped
    span = queries.Range(today, today)
    recent_row = session.execute(select(*[func.sum(getattr(CallFact, n)).label(n) for n in SUMS])
                                 .where(CallFact.started_at >= now - RECENT, CallFact.started_at <= now,
                                        scope.where(CallFact))).one()
    recent = {n: float(getattr(recent_row, n) or 0) for n in SUMS}
    advisors = queries.rows(session, scope, "advisor", "day", span) if scope.allows("advisor") else []
    live_calls = session.scalars(select(CallFact).where(CallFact.state.in_(("ringing", "talking", "held")),
                                                        CallFact.last_event_at >= now - IN_PROGRESS_MAX_AGE,
                                                        scope.where(CallFact))
                                 .order_by(CallFact.started_at)).all()
    by_advisor: dict[str, list[dict[str, Any]]] = {}
    for call in live_calls:
        since = utc(call.answered_at or call.started_at)
        by_advisor.setdefault(call.advisor or "", []).append({
            "call_id": call.call_id, "state": call.state, "state_label": queries.STATES.get(call.state, call.state),
            "since": since.astimezone(PARIS).isoformat(), "for_s": round((now - since).total_seconds()),
            "journey": call.journey, "journey_label": label_for(call.journey), "transfer": call.transfer_mode})
    names = queries.labels(session, "advisor", sorted({r["key"] for r in advisors} | set(by_advisor) - {""}))
    board = [{"advisor": a, "label": names.get(a, a), "calls": by_advisor.get(a, []),
              "state": by_advisor[a][-1]["state"] if by_advisor.get(a) else "idle",
              "state_label": by_advisor[a][-1]["state_label"] if by_advisor.get(a) else "Sans appel"}
             for a in sorted({r["key"] for r in advisors} | set(by_advisor) - {""}, key=lambda x: names.get(x, x))]
    return {"type": "steering_live", "at": now.astimezone(PARIS).isoformat(), "day": today.isoformat(),
            "today": _pick(queries.totals(session, scope, span)),
            "last_15_min": _pick(kpis.compute(recent) | {"sums": recent}),
            "advisors": [{"key": r["key"], "label": r["label"], **{k: r[k] for k in LIVE_KPIS}} for r in advisors],
            "in_progress": board}


@dataclass(eq=False)
class Subscriber:
    scope: Scope
    dirty: asyncio.Event = field(default_factory=asyncio.Event)


class LiveHub:
    """The open ``/ws/steering`` sockets and what wakes them."""

    def __init__(self, min_interval_s: float = 1.0) -> None:
        self.min_interval_s = min_interval_s
        self._subscribers: set[Subscriber] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.pushed = 0  # snapshots sent (the benchmark reads it)

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def subscribe(self, scope: Scope) -> Subscriber:
        subscriber = Subscriber(scope)
        self._subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    def on_step(self, step: Step) -> None:
        """Called by the projector (any thread) with the calls it just recomputed."""
        touched = {("region", f["region"]) for f in step.facts} | {("team", f["team"]) for f in step.facts} | {
            ("own", f["advisor"]) for f in step.facts}
        for subscriber in list(self._subscribers):
            if (subscriber.scope.kind, subscriber.scope.code) in touched and self._loop is not None:
                with contextlib.suppress(RuntimeError):  # the loop is closing
                    self._loop.call_soon_threadsafe(subscriber.dirty.set)
