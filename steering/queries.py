"""The KPI queries: rows per level and period, a centre beside its region, the acts, the calls behind a figure
and a call's timeline. All read the projection (``kpi_hourly``, ``kpi_act_daily``, ``call_facts``) inside the
reader's scope; every period is in Paris time."""

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from crm_core.models import Advisor, Centre, Region, Team, TraceEvent
from crm_core.models.steering import SUMS, CallFact, KpiActDaily, KpiDaily, KpiHourly
from crm_core.services import permission_filter
from crm_core.services.actor import Actor
from crm_core.services.errors import NotFound
from crm_core.services.validation import FieldInvalid, ValidationFailed
from nlu.journeys import JOURNEY_CODES
from steering import kpis
from steering.facts import PARIS, utc, week_of
from steering.scope import Level, Scope, centre_in_scope, check_key

Period = Literal["hour", "day", "week", "month"]
PERIODS: tuple[Period, ...] = ("hour", "day", "week", "month")
MAX_DAYS = 366
MAX_HOUR_DAYS = 31
DRILLS: dict[str, ColumnElement[bool] | None] = {
    "calls": None, "answered": CallFact.answered == 1, "abandoned": CallFact.abandoned == 1,
    "handled": CallFact.handled == 1, "transfers": CallFact.transfers == 1,
    "transfers_warm": CallFact.transfers_warm == 1, "transfers_cold": CallFact.transfers_cold == 1,
    "acks": CallFact.acks == 1, "resolved": CallFact.resolved == 1, "acts_done": CallFact.acts_done > 0,
    "acts_cancelled": CallFact.acts_cancelled > 0, "suggestion_taken": CallFact.suggestion_taken == 1,
    "corrected": CallFact.corrected == 1, "recontacted": CallFact.recontacted == 1,
    "offers_proposed": CallFact.offers_proposed > 0, "offers_accepted": CallFact.offers_accepted > 0,
    "conversions": CallFact.conversions == 1,
    "cross_sell": CallFact.cross_sell > 0, "gestures": CallFact.gestures > 0,
}
STATES = {"ringing": "En sonnerie", "talking": "En conversation", "held": "En attente", "ended": "Terminé"}


def _refused(field: str, message: str) -> ValidationFailed:
    """A query refused in French (422): the message is the problem's detail (nothing was to be written)."""
    return ValidationFailed([FieldInvalid(field, message)], detail=message)


@dataclass(frozen=True)
class Range:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def check_range(start: date, end: date, period: str = "day") -> Range:
    """A reversed or too long range is refused in French (422), never a 500 or a query over years."""
    if end < start:
        raise _refused("to", "La date de fin précède la date de début.")
    days = (end - start).days + 1
    if days > MAX_DAYS:
        raise _refused("from", f"Période trop longue : {days} jours, {MAX_DAYS} au plus.")
    if period == "hour" and days > MAX_HOUR_DAYS:
        raise _refused("period", f"Heure par heure : {MAX_HOUR_DAYS} jours au plus "
                                                       f"({days} demandés) ; choisissez le jour ou la semaine.")
    return Range(start, end)


def _key_column(table: Any, level: Level) -> Any:
    return getattr(table, level if level != "advisor" else "advisor")


def _period_column(period: Period) -> Any:
    return {"hour": KpiHourly.hour, "day": KpiDaily.day, "week": KpiDaily.week, "month": KpiDaily.month}[period]


def period_label(period: Period, value: Any) -> str:
    if period == "hour":
        return utc(value).astimezone(PARIS).isoformat()
    return value.isoformat() if isinstance(value, date) else str(value)


def labels(session: Session, level: Level, keys: Sequence[str]) -> dict[str, str]:
    """The French name of each key (advisor's display name, team label, centre and region names)."""
    if not keys:
        return {}
    model, key, name = {"advisor": (Advisor, Advisor.login, Advisor.display_name),
                        "team": (Team, Team.code, Team.label), "centre": (Centre, Centre.code, Centre.name),
                        "region": (Region, Region.code, Region.name)}[level]
    return dict(session.execute(select(key, name).where(key.in_(list(keys)))).tuples().all())


def keys_in_scope(session: Session, scope: Scope, level: Level) -> list[str]:
    """Every key of ``level`` the scope covers (so that a key without calls shows zeros, not nothing)."""
    advisors = (select(Advisor.login, Team.code.label("team"), Centre.code.label("centre"),
                       Region.code.label("region"))
                .join(Centre, Advisor.centre_id == Centre.id).join(Region, Centre.region_id == Region.id)
                .outerjoin(Team, Advisor.team_id == Team.id).where(Advisor.active.is_(True)))
    if level == "centre":
        rows = session.execute(select(Centre.code).join(Region).where(Region.code == scope.code)).scalars()
        return sorted(rows)
    if level == "region":
        return [scope.code]
    if level == "team":
        query = select(Team.code).join(Centre).join(Region)
        query = query.where(Region.code == scope.code) if scope.kind == "region" else query.where(
            Team.code == scope.code)
        return sorted(session.execute(query).scalars())
    rows = session.execute(advisors).all()
    field = {"region": "region", "team": "team", "own": "login"}[scope.kind]
    return sorted(r.login for r in rows if getattr(r, field) == scope.code and r.team is not None) or (
        [scope.code] if scope.kind == "own" else [])


def _sums(row: Any) -> dict[str, float]:
    """The sums of a result row whose last columns are ``SUMS`` in order (by position: a month of advisors'
    days is 15,000 rows)."""
    return dict(zip(SUMS, [float(v or 0) for v in tuple(row)[-len(SUMS):]], strict=True))


def _filters(scope: Scope, table: Any, filters: dict[str, str | None]) -> list[ColumnElement[bool]]:
    where = [scope.where(table)]
    for column, value in filters.items():
        if value:
            where.append(getattr(table, column) == value)
    return where


def rows(session: Session, scope: Scope, level: Level, period: Period, span: Range,
         filters: dict[str, str | None] | None = None, with_sums: bool = False) -> list[dict[str, Any]]:
    """One row per key of ``level`` and period: the KPIs of the catalogue (and their sums, ``with_sums``)."""
    scope.refuse_level(level)
    for filtered, value in (filters or {}).items():
        if value:
            check_key(session, scope, filtered, value)
    table = KpiHourly if period == "hour" else KpiDaily  # a month of days: one row per advisor and day
    key, when = _key_column(table, level), _period_column(period)
    query = (select(key.label("key"), when.label("period"), *[func.sum(getattr(table, n)).label(n) for n in SUMS])
             .where(table.day >= span.start, table.day <= span.end, *_filters(scope, table, filters or {}))
             .group_by(key, when).order_by(key, when))
    found = session.execute(query).all()
    keyed = [r.key for r in found if r.key is not None]
    first = _first_period(period, span.start)
    out = [_row(level, r.key, period_label(period, r.period), _sums(r), with_sums) for r in found
           if r.key is not None]
    if not (filters or {}).get("advisor"):
        for missing in sorted(set(keys_in_scope(session, scope, level)) - set(keyed)):
            if not _filtered_out(session, level, missing, filters or {}):
                out.append(_row(level, missing, period_label(period, first), dict.fromkeys(SUMS, 0.0), with_sums))
    names = labels(session, level, sorted({r["key"] for r in out}))
    for row in out:
        row["label"] = names.get(row["key"], row["key"])
    return sorted(out, key=lambda r: (r["label"], r["period_start"]))


def _filtered_out(session: Session, level: Level, key: str, filters: dict[str, str | None]) -> bool:
    """A zero row of a team or advisor outside the centre or team the request narrowed to."""
    centre, team = filters.get("centre"), filters.get("team")
    if level == "team" and centre:
        return session.scalar(select(Centre.code).join(Team, Team.centre_id == Centre.id)
                              .where(Team.code == key)) != centre
    if level == "advisor" and (centre or team):
        advisor = session.scalar(select(Advisor).where(Advisor.login == key))
        return advisor is None or (centre is not None and (advisor.centre is None or advisor.centre.code != centre)) \
            or (team is not None and (advisor.team is None or advisor.team.code != team))
    return level in ("centre", "region") and bool(centre) and key != centre


def _first_period(period: Period, day: date) -> Any:
    if period == "hour":
        return datetime(day.year, day.month, day.day, tzinfo=PARIS)
    return {"day": day, "week": week_of(day), "month": day.replace(day=1)}[period]


def _row(level: Level, key: str, period_start: str, sums: dict[str, float], with_sums: bool) -> dict[str, Any]:
    row = {"level": level, "key": key, "label": key, "period_start": period_start, **kpis.compute(sums)}
    if with_sums:
        row["sums"] = _plain(sums)
    return row


def _plain(sums: dict[str, float]) -> dict[str, float]:
    return {k: (int(v) if float(v).is_integer() else round(v, 3)) for k, v in sums.items()}


def totals(session: Session, scope: Scope, span: Range, filters: dict[str, str | None] | None = None) -> dict[str, Any]:
    """The KPIs of the whole scope over the range."""
    row = session.execute(select(*[func.sum(getattr(KpiDaily, n)).label(n) for n in SUMS])
                          .where(KpiDaily.day >= span.start, KpiDaily.day <= span.end,
                                 *_filters(scope, KpiDaily, filters or {}))).one()
    sums = _sums(row)
    return {**kpis.compute(sums), "sums": _plain(sums)}


def compare(session: Session, scope: Scope, centre_code: str, span: Range) -> dict[str, Any]:
    """The centre beside the other centres of its region: each KPI's value, rank (1 = best) and gap to the median."""
    centre = centre_in_scope(session, scope, centre_code)
    region = session.get(Region, centre.region_id)
    assert region is not None
    centres = list(session.execute(select(Centre.code, Centre.name).where(Centre.region_id == region.id)
                                   .order_by(Centre.code)).tuples())
    found = {r.centre: _sums(r) for r in session.execute(
        select(KpiDaily.centre, *[func.sum(getattr(KpiDaily, n)).label(n) for n in SUMS])
        .where(KpiDaily.day >= span.start, KpiDaily.day <= span.end, KpiDaily.region == region.code)
        .group_by(KpiDaily.centre))}
    values = {code: kpis.compute(found.get(code, dict.fromkeys(SUMS, 0.0))) for code, _ in centres}
    out = []
    for kpi in kpis.KPIS:
        known = {code: v[kpi.name] for code, v in values.items() if v[kpi.name] is not None}
        mine = values[centre.code][kpi.name]
        median = round(statistics.median(known.values()), 3) if known else None
        rank = None
        if kpi.better and mine is not None:
            better = [v for v in known.values() if (v > mine if kpi.better == "higher" else v < mine)]
            rank = len(better) + 1
        out.append({"name": kpi.name, "label": kpi.label, "unit": kpi.unit, "better": kpi.better, "value": mine,
                    "median": median, "gap": None if mine is None or median is None else round(mine - median, 3),
                    "rank": rank, "of": len(known)})
    return {"centre": {"code": centre.code, "label": centre.name}, "region": {"code": region.code,
                                                                                "label": region.name},
            "from": span.start.isoformat(), "to": span.end.isoformat(), "kpis": out,
            "centres": [{"key": code, "label": name, "calls": int(found.get(code, {}).get("calls", 0)),
                         **values[code]} for code, name in centres]}


def acts(session: Session, scope: Scope, level: Level, key: str | None, span: Range) -> list[dict[str, Any]]:
    """The acts per journey: done, dropped, refused, average duration, share suggested by the copilot."""
    scope.refuse_level(level)
    where = [KpiActDaily.day >= span.start, KpiActDaily.day <= span.end, scope.where(KpiActDaily)]
    if key:
        check_key(session, scope, level, key)
        where.append(_key_column(KpiActDaily, level) == key)
    found = session.execute(select(KpiActDaily.journey, KpiActDaily.act, func.sum(KpiActDaily.done).label("done"),
                                   func.sum(KpiActDaily.cancelled).label("cancelled"),
                                   func.sum(KpiActDaily.refused).label("refused"),
                                   func.sum(KpiActDaily.suggested_done).label("suggested_done"),
                                   func.sum(KpiActDaily.act_s).label("act_s"),
                                   func.sum(KpiActDaily.timed).label("timed"))
                            .where(*where).group_by(KpiActDaily.journey, KpiActDaily.act)).all()
    from crm_core.acts.catalogue import ACTS, label_for

    out = [{"journey": r.journey or None, "journey_label": label_for(r.journey) or "Sans parcours", "act": r.act,
            "act_label": ACTS[r.act].label if r.act in ACTS else r.act, "done": int(r.done or 0),
            "cancelled": int(r.cancelled or 0), "refused": int(r.refused or 0),
            "suggested_done": int(r.suggested_done or 0), "timed": int(r.timed or 0),
            "act_s": round(float(r.act_s) / r.timed, 1) if r.timed else None} for r in found]
    order = {code: i for i, code in enumerate(JOURNEY_CODES)}
    return sorted(out, key=lambda r: (order.get(r["journey"] or "", 99), -r["done"], r["act"]))


def _period_bounds(period: Period, start: str) -> tuple[ColumnElement[bool], ...]:
    """The call facts of one period of a row (``period_start`` as the row gave it)."""
    try:
        if period == "hour":
            at = datetime.fromisoformat(start)
            if at.tzinfo is None:
                at = at.replace(tzinfo=PARIS)
            return (CallFact.hour == at.astimezone(UTC),)
        day = date.fromisoformat(start)
    except ValueError as exc:
        raise _refused("period_start", "Début de période illisible.") from exc
    last = {"day": day, "week": day + timedelta(days=6),
            "month": (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)}[period]
    return CallFact.day >= day, CallFact.day <= last


def calls(session: Session, scope: Scope, span: Range, *, level: Level | None = None, key: str | None = None,
          period: Period | None = None, period_start: str | None = None, kpi: str | None = None,
          limit: int = 200, offset: int = 0) -> dict[str, Any]:
    """The calls behind a figure, newest first (one row per call)."""
    where = [CallFact.day >= span.start, CallFact.day <= span.end, scope.where(CallFact)]
    if level is not None:
        scope.refuse_level(level)
        if key:
            check_key(session, scope, level, key)
            where.append(_key_column(CallFact, level) == key)
    if period and period_start:
        where.extend(_period_bounds(period, period_start))
    if kpi:
        drill = kpis.BY_NAME[kpi].drill if kpi in kpis.BY_NAME else kpi
        if drill not in DRILLS:
            raise _refused("kpi", f"Indicateur inconnu : « {kpi[:40]} ».")
        if DRILLS[drill] is not None:
            where.append(DRILLS[drill])
    total = session.scalar(select(func.count()).select_from(CallFact).where(*where)) or 0
    facts = session.scalars(select(CallFact).where(*where).order_by(CallFact.started_at.desc(), CallFact.call_id)
                            .limit(limit).offset(offset)).all()
    names = labels(session, "advisor", sorted({f.advisor for f in facts if f.advisor}))
    return {"total": total, "calls": [call_row(f, names) for f in facts], "limit": limit, "offset": offset}


def call_row(f: CallFact, names: dict[str, str]) -> dict[str, Any]:
    from crm_core.acts.catalogue import label_for

    return {"call_id": f.call_id, "advisor": f.advisor, "advisor_label": names.get(f.advisor or "", f.advisor),
            "team": f.team, "centre": f.centre, "started_at": utc(f.started_at).astimezone(PARIS).isoformat(),
            "state": f.state, "state_label": STATES.get(f.state, f.state), "journey": f.journey,
            "journey_label": label_for(f.journey), "predicted_journey": f.predicted_journey,
            "corrected": bool(f.corrected), "answered": bool(f.answered), "talk_s": f.talk_s if f.handled else None,
            "hold_s": f.hold_s if f.handled else None, "wrapup_s": f.wrapup_s if f.wrapups else None,
            "handling_s": f.handling_s if f.handled else None, "transfer": f.transfer_mode,
            "acts_done": f.acts_done, "acts": [a.get("act") for a in f.acts or [] if a.get("outcome") == "done"],
            "repeat": bool(f.repeats), "recontacted": bool(f.recontacted),
            "offers_proposed": f.offers_proposed, "offers_accepted": f.offers_accepted,
            "gesture_amount": round(f.gesture_cents / 100, 2)}


def timeline(session: Session, scope: Scope, actor: Actor, call_id: str) -> dict[str, Any]:
    """A call's trace, event by event, as the reader may see it (404 outside the reader's scope)."""
    fact = session.scalar(select(CallFact).where(CallFact.call_id == call_id, scope.where(CallFact)))
    if fact is None:
        raise NotFound("Appel introuvable dans votre périmètre de pilotage.")
    events = session.scalars(select(TraceEvent).where(TraceEvent.call_id == call_id).order_by(TraceEvent.id))
    started = utc(fact.started_at)
    shown = []
    for e in events:
        data = permission_filter.trace(e.name, e.data, actor.permissions)
        if data is None:
            continue
        at = utc(e.occurred_at)
        shown.append({"id": e.id, "at": at.astimezone(PARIS).isoformat(),
                      "offset_s": round((at - started).total_seconds(), 1), "name": e.name, "actor": e.actor,
                      "data": data})
    names = labels(session, "advisor", [fact.advisor] if fact.advisor else [])
    return {"call": call_row(fact, names), "events": shown}
