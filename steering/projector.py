"""The projection of the traces into the steering's tables, kept up to date as trace events arrive.

Each step reads the trace events after the cursor (and the ids still missing below it: on PostgreSQL a
transaction that took an id earlier may commit later), recomputes the facts of every call they touch from all
of that call's events (so a step is idempotent and order does not matter), marks the repeat contacts of the
same customer and journey within 7 days, then recomputes the hourly and daily sums those calls fall in. The
traces stay the source of truth: ``rebuild`` empties the projection and reads them all again.
"""

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, delete, func, insert, or_, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from crm_core.models import Advisor, Centre, Region, Team, TraceEvent
from crm_core.models.base import utcnow
from crm_core.models.steering import SUMS, CallFact, KpiActDaily, KpiDaily, KpiHourly, SteeringCursor
from steering.facts import PARIS, Org, call_fact, utc, week_of

log = logging.getLogger(__name__)

CURSOR = "traces"
REPEAT_WINDOW = timedelta(days=7)
HOUR = timedelta(hours=1)
MISSING_KEPT_S = 120.0  # an id skipped this long ago was a rolled-back transaction: stop waiting for it
CHUNK = 400  # values per IN (...)
ADVISORY_LOCK = 0x57EE_0014  # PostgreSQL: the projection's steps, whichever process runs them
RETRIES = 5
ORG_TTL_S = 30.0


@dataclass
class Step:
    """What one step did: events read, calls recomputed, the facts as they are now (for the live view)."""

    events: int = 0
    facts: list[dict[str, Any]] = field(default_factory=list)
    last_id: int = 0


def _chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


def organisation(session: Session) -> dict[str, Org]:
    """Every advisor's team, centre and region codes."""
    rows = session.execute(select(Advisor.login, Team.code, Centre.code, Region.code)
                           .outerjoin(Team, Advisor.team_id == Team.id)
                           .outerjoin(Centre, Advisor.centre_id == Centre.id)
                           .outerjoin(Region, Centre.region_id == Region.id))
    return {login: Org(team, centre, region) for login, team, centre, region in rows}


class Projector:
    """Reads the traces after its cursor and keeps ``call_facts``, ``kpi_hourly`` and ``kpi_act_daily`` right."""

    def __init__(self, sessions: sessionmaker[Session], batch: int = 5000, rebucket: bool = True) -> None:
        self._sessions = sessions
        self.batch = batch
        self.rebucket = rebucket  # off while rebuilding: the sums are computed once at the end
        self._missing: dict[int, float] = {}
        self._org: dict[str, Org] = {}
        self._org_at = -ORG_TTL_S
        self._lock = threading.Lock()  # one step at a time in this process
        self.listeners: list[Callable[[Step], None]] = []

    # -- one step ---------------------------------------------------------------------------------------
    def step(self) -> Step:
        with self._lock, self._sessions() as session, session.begin():
            _serialised(session)
            cursor = session.get(SteeringCursor, CURSOR)
            if cursor is None:
                cursor = SteeringCursor(name=CURSOR, last_id=0)
                session.add(cursor)
                session.flush()
            missing = sorted(self._missing)
            condition = TraceEvent.id > cursor.last_id
            if missing:
                condition = condition | TraceEvent.id.in_(missing)
            rows = session.execute(select(TraceEvent.id, TraceEvent.call_id).where(condition)
                                   .order_by(TraceEvent.id).limit(self.batch)).all()
            result = Step(events=len(rows), last_id=cursor.last_id)
            if not rows:
                self._forget_missing()
                return result
            self._note_gaps(cursor.last_id, [r.id for r in rows])
            top = max(r.id for r in rows)
            calls = sorted({r.call_id for r in rows if r.call_id})
            if calls:
                result.facts = self._project(session, calls)
            cursor.last_id = max(cursor.last_id, top)
            cursor.updated_at = utcnow()
            result.last_id = cursor.last_id
        if result.facts:
            for listener in list(self.listeners):
                try:
                    listener(result)
                except Exception:  # a live view's failure never stops the projection
                    log.exception("steering listener failed")
        return result

    def catch_up(self, max_steps: int | None = None) -> int:
        """Steps until the traces are all read (or ``max_steps``); the number of events read."""
        total, steps = 0, 0
        while max_steps is None or steps < max_steps:
            done = self.step()
            total, steps = total + done.events, steps + 1
            if done.events < self.batch:
                return total
        return total

    def _note_gaps(self, last_id: int, ids: list[int]) -> None:
        now = time.monotonic()
        for found in ids:
            self._missing.pop(found, None)
        above = [i for i in ids if i > last_id]
        expected = last_id + 1
        for found in above:
            for gap in range(expected, min(found, expected + 1000)):
                self._missing.setdefault(gap, now)
            expected = found + 1
        self._forget_missing(now)

    def _forget_missing(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        for gap, seen in list(self._missing.items()):
            if now - seen > MISSING_KEPT_S:
                del self._missing[gap]

    def _organisation(self, session: Session) -> dict[str, Org]:
        if time.monotonic() - self._org_at > ORG_TTL_S:
            self._org, self._org_at = organisation(session), time.monotonic()
        return self._org

    def _refresh_organisation(self, session: Session) -> bool:
        """Read the organisation again unless it was read less than a second ago (a call of an unknown agent
        does not make every step read it)."""
        if time.monotonic() - self._org_at < 1.0:
            return False
        self._org, self._org_at = organisation(session), time.monotonic()
        return True

    # -- the projection ---------------------------------------------------------------------------------------
    def _project(self, session: Session, call_ids: list[str]) -> list[dict[str, Any]]:
        org = self._organisation(session)
        events: dict[str, list[Any]] = defaultdict(list)
        for chunk in _chunks(call_ids):
            for row in session.execute(select(TraceEvent.call_id, TraceEvent.occurred_at, TraceEvent.name,
                                              TraceEvent.actor, TraceEvent.customer_id, TraceEvent.data)
                                       .where(TraceEvent.call_id.in_(chunk)).order_by(TraceEvent.id)):
                events[row.call_id].append(SimpleNamespace(occurred_at=row.occurred_at, name=row.name,
                                                           actor=row.actor, customer_id=row.customer_id,
                                                           data=row.data))
        before = {}
        for chunk in _chunks(call_ids):
            for row in session.execute(select(CallFact.call_id, CallFact.advisor, CallFact.hour, CallFact.day,
                                              CallFact.customer_id, CallFact.journey, CallFact.started_at)
                                       .where(CallFact.call_id.in_(chunk))):
                before[row.call_id] = row
        facts = [f for f in (call_fact(c, events[c], org) for c in call_ids) if f is not None]
        if any(f["advisor"] and f["advisor"] not in org for f in facts) and self._refresh_organisation(session):
            org = self._org  # an advisor added since the last read: read the organisation again, once
            facts = [f for f in (call_fact(c, events[c], org) for c in call_ids) if f is not None]
        hours: set[tuple[str, datetime]] = set()
        days: set[tuple[str, Any]] = set()
        for old in before.values():
            if old.advisor:
                hours.add((old.advisor, utc(old.hour)))
                days.add((old.advisor, old.day))
        for fact in facts:
            if fact["advisor"]:
                hours.add((fact["advisor"], fact["hour"]))
                days.add((fact["advisor"], fact["day"]))
        self._repeats(session, facts, list(before.values()), hours, days)
        for chunk in _chunks(call_ids):
            session.execute(delete(CallFact).where(CallFact.call_id.in_(chunk)))
        if facts:
            session.connection().execute(insert(CallFact.__table__), facts)
        self._rebucket(session, hours, days)
        return facts

    def _repeats(self, session: Session, facts: list[dict[str, Any]], before: list[Any],
                 hours: set[tuple[str, datetime]], days: set[tuple[str, Any]]) -> None:
        """``repeats``: the customer called about the same journey in the 7 days before; ``recontacted``: they
        called again about it within the 7 days after (the call was not solved at the first contact). Answered
        calls of identified customers only."""
        touched = {f["call_id"]: f for f in facts}
        keyed = [f for f in facts if f["customer_id"] is not None and f["journey"] and f["answered"]]
        keyed_before = [b for b in before if b.customer_id is not None and b.journey]
        if not keyed and not keyed_before:
            return
        starts = [f["started_at"] for f in keyed] + [utc(b.started_at) for b in keyed_before]
        low, high = min(starts) - 2 * REPEAT_WINDOW, max(starts) + 2 * REPEAT_WINDOW
        customers = sorted({f["customer_id"] for f in keyed} | {b.customer_id for b in keyed_before})
        groups: dict[tuple[int, str], dict[str, dict[str, Any]]] = defaultdict(dict)
        for chunk in _chunks(customers):
            for row in session.execute(select(CallFact.call_id, CallFact.customer_id, CallFact.journey,
                                              CallFact.started_at, CallFact.repeats, CallFact.recontacted,
                                              CallFact.advisor, CallFact.hour, CallFact.day)
                                       .where(CallFact.customer_id.in_(chunk), CallFact.answered == 1,
                                              CallFact.started_at >= low, CallFact.started_at <= high)):
                if row.call_id not in touched:
                    groups[(row.customer_id, row.journey)][row.call_id] = {
                        "call_id": row.call_id, "started_at": utc(row.started_at), "repeats": row.repeats,
                        "recontacted": row.recontacted, "advisor": row.advisor, "hour": utc(row.hour),
                        "day": row.day, "stored": True}
        for f in keyed:
            groups[(f["customer_id"], f["journey"])][f["call_id"]] = f
        windows = [(f["started_at"] - REPEAT_WINDOW, f["started_at"] + REPEAT_WINDOW) for f in keyed]
        windows += [(utc(b.started_at) - REPEAT_WINDOW, utc(b.started_at) + REPEAT_WINDOW) for b in keyed_before]
        for calls in groups.values():
            ordered = sorted(calls.values(), key=lambda c: (c["started_at"], c["call_id"]))
            for i, call in enumerate(ordered):
                if call.get("stored") and not any(lo <= call["started_at"] <= hi for lo, hi in windows):
                    continue  # its neighbours may lie outside what was read: left as it is
                repeats = int(i > 0 and call["started_at"] - ordered[i - 1]["started_at"] <= REPEAT_WINDOW)
                recontacted = int(i + 1 < len(ordered)
                                  and ordered[i + 1]["started_at"] - call["started_at"] <= REPEAT_WINDOW)
                if not call.get("stored"):
                    call["repeats"], call["recontacted"] = repeats, recontacted
                elif (repeats, recontacted) != (call["repeats"], call["recontacted"]):
                    session.execute(update(CallFact).where(CallFact.call_id == call["call_id"])
                                    .values(repeats=repeats, recontacted=recontacted))
                    if call["advisor"]:
                        hours.add((call["advisor"], call["hour"]))
                        days.add((call["advisor"], call["day"]))

    def _rebucket(self, session: Session, hours: set[tuple[str, datetime]], days: set[tuple[str, Any]]) -> None:
        """Recompute the sums of the (advisor, hour) and (advisor, day) buckets from the call facts."""
        if not self.rebucket:
            return
        for chunk in _chunks(sorted(hours)):
            session.execute(delete(KpiHourly).where(or_(*(and_(KpiHourly.advisor == a, KpiHourly.hour == h)
                                                          for a, h in chunk))))
            _sum_hours(session, _calls_of(chunk, [(h, h + HOUR) for _, h in chunk]))
        for chunk in _chunks(sorted(days)):
            for model in (KpiDaily, KpiActDaily):
                session.execute(delete(model).where(or_(*(and_(model.advisor == a, model.day == d)
                                                          for a, d in chunk))))
            calls = _calls_of(chunk, [_day_bounds(d) for _, d in chunk])
            _sum_days(session, calls)
            _sum_acts(session, calls)


def _sum_hours(session: Session, where: ColumnElement[bool]) -> None:
    """``kpi_hourly`` rows for the call facts ``where`` selects (their buckets emptied before)."""
    sums = [func.coalesce(func.sum(getattr(CallFact, name)), 0).label(name) for name in SUMS]
    rows = session.execute(select(CallFact.advisor, CallFact.hour, func.max(CallFact.team).label("team"),
                                  func.max(CallFact.centre).label("centre"), func.max(CallFact.region).label("region"),
                                  *sums)
                           .where(where).group_by(CallFact.advisor, CallFact.hour)).mappings().all()
    if rows:
        session.connection().execute(insert(KpiHourly.__table__), [_hourly(dict(r)) for r in rows])


def _sum_days(session: Session, where: ColumnElement[bool]) -> None:
    """``kpi_daily`` rows for the call facts ``where`` selects (their buckets emptied before)."""
    sums = [func.coalesce(func.sum(getattr(CallFact, name)), 0).label(name) for name in SUMS]
    rows = session.execute(select(CallFact.advisor, CallFact.day, func.max(CallFact.team).label("team"),
                                  func.max(CallFact.centre).label("centre"), func.max(CallFact.region).label("region"),
                                  *sums)
                           .where(where).group_by(CallFact.advisor, CallFact.day)).mappings().all()
    if rows:
        session.connection().execute(insert(KpiDaily.__table__), [
            {**r, "week": week_of(r["day"]), "month": r["day"].replace(day=1)} for r in rows])


def _sum_acts(session: Session, where: ColumnElement[bool]) -> None:
    """``kpi_act_daily`` rows for the call facts ``where`` selects (their buckets emptied before)."""
    acts: dict[tuple[str, Any, str, str], dict[str, Any]] = {}
    for row in session.execute(select(CallFact.advisor, CallFact.day, CallFact.team, CallFact.centre,
                                      CallFact.region, CallFact.acts).where(where)
                               .execution_options(yield_per=20000)):
        for act in row.acts or []:
            key = (row.advisor, row.day, str(act.get("act"))[:40], str(act.get("journey") or "")[:40])
            total = acts.setdefault(key, {"advisor": row.advisor, "day": row.day, "act": key[2], "journey": key[3],
                                          "team": row.team, "centre": row.centre, "region": row.region, "done": 0,
                                          "cancelled": 0, "refused": 0, "suggested_done": 0, "act_s": 0.0,
                                          "timed": 0})
            outcome = act.get("outcome")
            if outcome in ("done", "cancelled", "refused"):
                total[outcome] += 1
            if outcome == "done" and act.get("suggested"):
                total["suggested_done"] += 1
            if outcome == "done" and act.get("s") is not None:
                total["act_s"] += float(act["s"])
                total["timed"] += 1
    for chunk in _chunks(list(acts.values()), 20000):
        session.connection().execute(insert(KpiActDaily.__table__), list(chunk))


def _serialised(session: Session) -> None:
    """On PostgreSQL, one projection transaction at a time, whichever process runs it (SQLite has one writer)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})


def _calls_of(buckets: Sequence[tuple[str, Any]], spans: list[tuple[datetime, datetime]]) -> ColumnElement[bool]:
    """The call facts of (advisor, bucket) pairs, as time ranges on the (advisor, started_at) index: a list of
    row values (``(advisor, hour) IN (…)``) made SQLite scan the whole table for every step."""
    return or_(*(and_(CallFact.advisor == advisor, CallFact.started_at >= start, CallFact.started_at < end)
                 for (advisor, _), (start, end) in zip(buckets, spans, strict=True)))


def _day_bounds(day: Any) -> tuple[datetime, datetime]:
    """A Paris day's start and end, in UTC."""
    start = datetime.combine(day, datetime.min.time(), PARIS)
    return start.astimezone(UTC), datetime.combine(day + timedelta(days=1), datetime.min.time(), PARIS).astimezone(UTC)


def _hourly(row: dict[str, Any]) -> dict[str, Any]:
    hour = utc(row["hour"])
    local = hour.astimezone(PARIS)
    day = local.date()
    return {**row, "hour": hour, "local_hour": local.replace(tzinfo=None), "day": day, "week": week_of(day),
            "month": day.replace(day=1)}


def reset(session: Session) -> None:
    """Empty the projection (the traces are untouched)."""
    for model in (KpiActDaily, KpiDaily, KpiHourly, CallFact, SteeringCursor):
        session.execute(delete(model))


def rebuild(engine: Engine, progress: Callable[[int, int], None] | None = None, batch: int = 20000) -> int:
    """Empty the projection and read every trace again; ``progress(read, total)`` after each step."""
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    with sessions() as session, session.begin():
        reset(session)
        total = session.scalar(select(func.count()).select_from(TraceEvent)) or 0
    projector = Projector(sessions, batch=batch, rebucket=False)
    read = 0
    while True:
        done = _step_retried(projector)
        read += done.events
        if progress is not None:
            progress(read, total)
        if done.events < batch:
            break
    with sessions() as session, session.begin():  # the sums of every bucket at once, then the app's steps go on
        _serialised(session)
        for model in (KpiHourly, KpiDaily, KpiActDaily):
            session.execute(delete(model))
        _sum_hours(session, CallFact.advisor.is_not(None))
        _sum_days(session, CallFact.advisor.is_not(None))
        _sum_acts(session, CallFact.advisor.is_not(None))
    return read


def _step_retried(projector: Projector) -> Step:
    """A step, tried again when another process's step got in the way (SQLite's lock, a duplicate row): steps
    are idempotent, so the next one does the work again."""
    for attempt in range(RETRIES):
        try:
            return projector.step()
        except DBAPIError:
            if attempt == RETRIES - 1:
                raise
            log.warning("steering: a step collided with another process; tried again")
            time.sleep(0.5 * (attempt + 1))
    raise AssertionError("unreachable")
