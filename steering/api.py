"""The steering's routes (``/api/kpis…``): KPI rows per level and period, a centre beside its region, the acts
per journey, the calls behind a figure (JSON and CSV), a call's timeline and the live snapshot.

Who sees what is ``steering.scope``; every read is traced (``kpi.*``), a refusal too (in its own transaction,
so the 403 does not roll it back).
"""

import csv
import io
from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from sqlalchemy.orm import Session

from crm_core.api.deps import ActorDep, SessionDep
from crm_core.api.problems import RESPONSES
from crm_core.core.db import transaction
from crm_core.services import tracing
from crm_core.services.actor import Actor
from crm_core.services.habilitations import NotAllowed
from steering import kpis, queries
from steering.facts import today
from steering.live import snapshot
from steering.queries import Period, Range
from steering.scope import LEVEL_LABELS, Level, Scope, scope_of

router = APIRouter(prefix="/api/kpis", tags=["steering"], responses=RESPONSES)
Code = Annotated[str | None, Query(max_length=40, pattern=r"^[A-Za-z0-9._-]+$")]
CallId = Annotated[str, Path(max_length=80)]
LevelQ = Annotated[Level | None, Query(description="advisor | team | centre | region (default: the widest the "
                                                   "reader may see below the region)")]
PeriodQ = Annotated[Period, Query(description="hour | day | week | month (Paris time)")]
FromQ = Annotated[date | None, Query(alias="from", description="first day (Paris), today by default (the real "
                                                                "clock's: the traces are stamped with it)")]
ToQ = Annotated[date | None, Query(alias="to", description="last day (Paris, included), `from` by default")]
CSV_COLUMNS = ("call_id", "started_at", "advisor", "advisor_label", "team", "centre", "state", "journey",
               "predicted_journey", "corrected", "answered", "talk_s", "hold_s", "wrapup_s", "handling_s",
               "transfer", "acts_done", "acts", "repeat", "recontacted", "offers_proposed", "offers_accepted",
               "gesture_amount")
CSV_LIMIT = 100_000


def reader(request: Request, actor: ActorDep, session: SessionDep) -> tuple[Actor, Scope]:
    """The reader and their scope (403 in French, traced, when their profile gives no figures)."""
    try:
        return actor, scope_of(session, actor)
    except NotAllowed as exc:
        refused(request, actor, request.url.path, str(exc))
        raise


ReaderDep = Annotated[tuple[Actor, Scope], Depends(reader)]


def refused(request: Request, actor: Actor, route: str, reason: str) -> None:
    with transaction(request.app.state.session_factory) as log_session:
        tracing.record(log_session, "kpi.refused", actor, route=route[:120], reason=reason[:300])


def _span(start: date | None, end: date | None, period: str = "day") -> Range:
    start = start or (end if end else today())
    return queries.check_range(start, end or start, period)


def _guard(request: Request, actor: Actor, run: Any) -> Any:
    try:
        return run()
    except NotAllowed as exc:
        refused(request, actor, request.url.path, str(exc))
        raise


def _scope_view(session: Session, scope: Scope) -> dict[str, Any]:
    level = {"region": "region", "team": "team", "own": "advisor"}[scope.kind]
    names = queries.labels(session, level, [scope.code])  # type: ignore[arg-type]
    return {"kind": scope.kind, "code": scope.code, "label": names.get(scope.code, scope.code), "centre": scope.centre,
            "levels": list(scope.levels), "level_labels": {k: LEVEL_LABELS[k] for k in scope.levels}}


@router.get("")
def read_kpis(request: Request, session: SessionDep, who: ReaderDep, level: LevelQ = None,
              period: PeriodQ = "day", start: FromQ = None, end: ToQ = None, centre: Code = None,
              team: Code = None, advisor: Code = None,
              sums: Annotated[bool, Query(description="each row's sums too (the KPIs' numerators and "
                                                      "denominators)")] = False) -> JSONResponse:
    """`{"rows": [{"level", "key", "label", "period_start", "calls", "dmt_s", "transfer_rate", "acts_done", …}]}`:
    one row per key of the level and period over the range (every KPI of docs/steering.md is a field). The
    answer holds plain JSON values only: it is written as it is (a month of 500 advisors is 15,000 rows)."""
    actor, scope = who
    level = level or scope.default_level
    span = _span(start, end, period)
    filters = {"centre": centre, "team": team, "advisor": advisor}
    found = _guard(request, actor, lambda: queries.rows(session, scope, level, period, span, filters, sums))
    tracing.record(session, "kpi.read", actor, level=level, period=period, start=span.start.isoformat(),
                   end=span.end.isoformat(), rows=len(found), filters={k: v for k, v in filters.items() if v})
    return JSONResponse({"level": level, "period": period, "from": span.start.isoformat(),
                         "to": span.end.isoformat(), "scope": _scope_view(session, scope), "rows": found,
                         "totals": queries.totals(session, scope, span, filters)})


@router.get("/definitions")
def definitions(who: ReaderDep) -> dict[str, Any]:
    """The KPIs: JSON field, French label, unit, formula, which way is better."""
    return {"kpis": [{"name": k.name, "label": k.label, "unit": k.unit, "formula": k.formula, "better": k.better}
                     for k in kpis.KPIS]}


@router.get("/compare")
def compare(request: Request, session: SessionDep, who: ReaderDep,
            centre: Annotated[str, Query(max_length=40)], start: FromQ = None, end: ToQ = None) -> dict[str, Any]:
    """The centre beside the other centres of its region: per KPI its value, rank (1 = best), the regional
    median and the gap to it."""
    actor, scope = who
    span = _span(start, end)
    found = _guard(request, actor, lambda: queries.compare(session, scope, centre, span))
    tracing.record(session, "kpi.compared", actor, centre=found["centre"]["code"], start=span.start.isoformat(),
                   end=span.end.isoformat())
    return found


@router.get("/acts")
def read_acts(request: Request, session: SessionDep, who: ReaderDep, level: LevelQ = None, key: Code = None,
              start: FromQ = None, end: ToQ = None) -> dict[str, Any]:
    """The acts per journey and act over the range: done, dropped, refused, average duration (the whole scope
    without ``key``)."""
    actor, scope = who
    level = level or scope.levels[-1]
    span = _span(start, end)
    found = _guard(request, actor, lambda: queries.acts(session, scope, level, key, span))
    tracing.record(session, "kpi.acts_read", actor, level=level, key=key, start=span.start.isoformat(),
                   end=span.end.isoformat(), rows=len(found))
    return {"level": level, "key": key, "from": span.start.isoformat(), "to": span.end.isoformat(), "acts": found}


def _calls(request: Request, session: Session, who: tuple[Actor, Scope], level: Level | None, key: str | None,
           period: Period | None, period_start: str | None, kpi: str | None, start: date | None,
           end: date | None, limit: int, offset: int) -> dict[str, Any]:
    actor, scope = who
    span = _span(start, end)
    return _guard(request, actor, lambda: queries.calls(session, scope, span, level=level, key=key, period=period,
                                                        period_start=period_start, kpi=kpi, limit=limit,
                                                        offset=offset)) | {"from": span.start.isoformat(),
                                                                           "to": span.end.isoformat()}


@router.get("/calls")
def list_calls(request: Request, session: SessionDep, who: ReaderDep, level: Level | None = None, key: Code = None,
               period: Period | None = None, period_start: Annotated[str | None, Query(max_length=40)] = None,
               kpi: Annotated[str | None, Query(max_length=40)] = None, start: FromQ = None, end: ToQ = None,
               limit: Annotated[int, Query(ge=1, le=1000)] = 200,
               offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> dict[str, Any]:
    """The calls behind a figure (a row's level, key and period, and the KPI), newest first."""
    found = _calls(request, session, who, level, key, period, period_start, kpi, start, end, limit, offset)
    tracing.record(session, "kpi.calls_listed", who[0], level=level, key=key, period=period,
                   period_start=period_start, kpi=kpi, total=found["total"], shown=len(found["calls"]))
    return found


@router.get("/calls.csv", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}}, "description": "One row per call"}})
def export_calls(request: Request, session: SessionDep, who: ReaderDep, level: Level | None = None,
                 key: Code = None, period: Period | None = None,
                 period_start: Annotated[str | None, Query(max_length=40)] = None,
                 kpi: Annotated[str | None, Query(max_length=40)] = None, start: FromQ = None,
                 end: ToQ = None) -> StreamingResponse:
    """The same calls as ``/calls``, one CSV row per call (semicolons, as French spreadsheets expect)."""
    found = _calls(request, session, who, level, key, period, period_start, kpi, start, end, CSV_LIMIT, 0)
    tracing.record(session, "kpi.calls_exported", who[0], level=level, key=key, period=period,
                   period_start=period_start, kpi=kpi, rows=len(found["calls"]))

    def lines() -> Iterator[str]:
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";")
        writer.writerow(CSV_COLUMNS)
        for call in found["calls"]:
            writer.writerow([_csv(call[c]) for c in CSV_COLUMNS])
            if out.tell() > 1 << 16:
                yield out.getvalue()
                out.seek(0)
                out.truncate()
        yield out.getvalue()

    name = f"appels-{found['from']}-{found['to']}.csv"
    return StreamingResponse(lines(), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _csv(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text  # no formula injection in a spreadsheet


@router.get("/calls/{call_id}/timeline")
def call_timeline(request: Request, session: SessionDep, who: ReaderDep, call_id: CallId) -> dict[str, Any]:
    """A call's trace, event by event, as the reader may see it (404 outside their scope)."""
    actor, scope = who
    found = queries.timeline(session, scope, actor, call_id)
    tracing.record(session, "kpi.call_read", actor, call=call_id, events=len(found["events"]))
    return found


@router.get("/live")
def live(request: Request, session: SessionDep, who: ReaderDep) -> dict[str, Any]:
    """Today's figures, the last 15 minutes and the calls in progress per advisor (what the socket pushes)."""
    actor, scope = who
    found = snapshot(session, scope)
    tracing.record(session, "kpi.live_read", actor, scope=scope.code)
    return found
