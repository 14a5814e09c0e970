"""The steering at the size of a region: a month of a 500-advisor region (about ten million trace events), its
KPI queries through the app's HTTP API and the live view following a stream of trace events.

1. **The database.** The schema, the reference data and a region « Région de charge » (``BENCH``: 5 centres,
   teams of about twelve, ``--advisors`` N1 advisors, ``steering.activity.synthetic_region``) with a
   supervisor ``bench.sup`` in ``BENCH-C1``; then ``--days`` days of calls of those advisors ending today
   (``activity.calls``, callers drawn from customer ids 1..``--customers``), written in bulk
   (``activity.write``: ``executemany`` on SQLite, ``COPY`` on PostgreSQL), then the projection rebuilt from
   all the traces (``steering.projector.rebuild``). Both are timed; the sizes are counted. On PostgreSQL the
   tables are vacuumed and analysed after each (as autovacuum would), timed apart.
2. **The KPI queries**, as ``bench.sup`` (scope: the region) through the real app in-process
   (``TestClient(create_app(...))``, Rasa on closed ports, the projector's poll at a day so that it does not
   compete): every request once per pass, ``--warmup`` uncounted passes then ``--repeat`` timed ones, the
   requests in turn within a pass. Two baselines in the same passes: one bare indexed SQL read
   (``SELECT count(*) FROM kpi_hourly WHERE day = :d AND region = 'BENCH'``) and the cheapest authenticated
   route (``GET /api/kpis/definitions``). One more pass, untimed, counts each request's SQL statements and
   their time; the slowest statement of a request over the budget (p95 > 1 s) is explained (``EXPLAIN QUERY
   PLAN`` / ``EXPLAIN (ANALYZE, BUFFERS)``) in the report. ``steering.live.snapshot`` is also timed as a
   function, on the month's last day (today unless the database is reused on a later day).
3. **The live view.** The app started for real (``python -m copilot_cli serve``, default projector poll 0.5 s)
   on the same database; ``/ws/steering`` opened as ``bench.sup``; then ``--rate`` trace events a second for
   ``--live-seconds``, a committed batch every 100 ms: the events of new calls of the same advisors (a later
   day of ``activity.calls``, all advisors' events merged in the order they happened), each stamped with the
   time it is inserted and each call given a new id. A batch is *reflected* by the first frame whose
   ``today.sums`` count at least the calls offered, answered and ended inserted up to it (exact: the projector
   reads the committed traces in id order, a batch whole); batches that change none of the three are not
   measurable. Measured: the insert rate achieved, the lag (commit → arrival of the frame reflecting the
   batch), in the first and last 10 s too, the frames and their interval, the backlog (last trace id − the
   projection's cursor) sampled every 0.5 s, the time to drain it after the stream, the app's CPU.

Before each timed phase the script waits (up to ``--max-wait`` s) for the 1-minute load average to fall below
1.0, and reports the load it started at. Run from the repository root::

    .venv/bin/python -m benchmarks.steering --database sqlite --out docs/benchmarks-steering.md
    .venv/bin/python -m benchmarks.steering --database postgresql --out docs/benchmarks-steering.md

``--keep PATH`` keeps the database built (SQLite: the file PATH; PostgreSQL: the database PATH names, default
``--url``) and ``--reuse PATH`` runs on one kept earlier without writing the month again (``--rebuild``: the
projection's tables made again from the models and rebuilt from the traces, e.g. after a change of the
projector or of their indexes). ``--out`` writes (or replaces) this database's section of the report.
"""

import argparse
import asyncio
import contextlib
import heapq
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # run as a plain script from anywhere, as well as with -m

from sqlalchemy import Engine, event, func, select, text  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from benchmarks.harness import (  # noqa: E402
    Bench,
    PostgresCopies,
    add_arguments,
    check_arguments,
    machine_lines,
    run_header,
    timed,
    write_section,
)
from benchmarks.stats import summarise  # noqa: E402
from copilot_cli.bench import cpu_ms  # noqa: E402
from copilot_cli.stack import free_port  # noqa: E402
from crm_core.core.db import make_engine, session_factory, transaction  # noqa: E402
from crm_core.models import Advisor, Centre, TraceEvent  # noqa: E402
from crm_core.models import steering as steering_models  # noqa: E402
from crm_core.models.base import Base  # noqa: E402
from crm_core.models.steering import CallFact, KpiHourly, SteeringCursor  # noqa: E402
from crm_core.seed import seeded_database  # noqa: E402
from steering import activity, projector  # noqa: E402
from steering import live as live_view  # noqa: E402
from steering.facts import PARIS, week_of  # noqa: E402

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/copilot_bench_steering"
REGION, SUPERVISOR = "BENCH", "bench.sup"
BUDGET_MS = 1000.0
CALM_LOAD = 1.0
TICK_S = 0.1  # one committed batch of the live stream every 100 ms
# The projection's tables, as the models declare them (call_facts, the sums, the cursor)
PROJECTION = [m.__table__ for m in vars(steering_models).values()  # type: ignore[attr-defined]
              if isinstance(m, type) and issubclass(m, Base) and m.__module__ == steering_models.__name__]
SUMMED = ["trace_events", *(t.name for t in PROJECTION if t.name != SteeringCursor.__tablename__)]
BUILD_TABLE = "bench_steering_build"  # in the benchmark's own database: how it was built (for --reuse)
LIVE_COUNTS = (("calls", "call.offered"), ("answered", "call.answered"), ("ended", "call.ended"))

BEGIN = "<!-- steering-benchmark:{db}:begin -->"
END = "<!-- steering-benchmark:{db}:end -->"
REPORT_HEAD = """# Steering: a month of a 500-advisor region (`benchmarks/steering.py`)

Each database's section below is written by the script; the rest of this file is kept as it is.
"""


def say_now(message: str) -> None:
    print(message, flush=True)


# -- the machine's load -----------------------------------------------------------------------------------------
def wait_calm(phase: str, max_wait_s: float, say: Callable[[str], None]) -> dict[str, Any]:
    """Wait until the 1-minute load average is below 1.0 (at most ``max_wait_s``); the load the phase starts at."""
    t0 = time.monotonic()
    load = os.getloadavg()[0]
    if load >= CALM_LOAD and max_wait_s > 0:
        say(f"{phase}: 1-min load {load:.2f}, waiting for it to fall below {CALM_LOAD} (at most {max_wait_s:.0f} s)")
    while load >= CALM_LOAD and time.monotonic() - t0 < max_wait_s:
        time.sleep(5)
        load = os.getloadavg()[0]
    return {"load": round(load, 2), "waited_s": round(time.monotonic() - t0), "calm": load < CALM_LOAD}


# -- the database ----------------------------------------------------------------------------------------------
@dataclass
class Database:
    """The benchmark's database: its URL, whether it is kept at the end, how to drop it."""

    kind: str  # sqlite | postgresql
    url: str
    path: Path | None  # the SQLite file
    keep: bool
    reused: bool
    admin: Any = None  # PostgreSQL: the server's admin connection (PostgresCopies)
    name: str = ""
    folder: Path | None = None  # a temporary folder to remove

    def create(self) -> None:
        if self.kind == "sqlite":
            assert self.path is not None
            self.path.parent.mkdir(parents=True, exist_ok=True)
        else:
            self.admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self.admin.execute(f'CREATE DATABASE "{self.name}"')

    def cleanup(self) -> None:
        if self.kind == "postgresql":
            if not self.keep:
                self.admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self.admin.close()
        elif not self.keep and self.path is not None:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        if self.folder is not None:
            import shutil

            shutil.rmtree(self.folder, ignore_errors=True)

    def size(self, engine: Engine) -> tuple[int, dict[str, int]]:
        """The database's size in bytes, and each big table's (PostgreSQL: with its indexes)."""
        if self.kind == "sqlite":
            assert self.path is not None
            return sum(Path(f"{self.path}{s}").stat().st_size for s in ("", "-wal")
                       if Path(f"{self.path}{s}").exists()), {}
        with engine.connect() as conn:
            total = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
            each = {t: conn.execute(text(f"SELECT pg_total_relation_size('{t}')")).scalar_one() for t in SUMMED}
        return int(total), {k: int(v) for k, v in each.items()}

    def describe(self, engine: Engine) -> str:
        with engine.connect() as conn:
            if self.kind == "sqlite":
                version = conn.execute(text("SELECT sqlite_version()")).scalar_one()
                return f"SQLite {version} (file, WAL, synchronous=NORMAL)"
            version = conn.execute(text("SHOW server_version")).scalar_one()
            shown = ", ".join(f"{n}={conn.execute(text(f'SHOW {n}')).scalar_one()}"
                              for n in ("shared_buffers", "work_mem", "synchronous_commit", "fsync"))
        return f"PostgreSQL {version.split()[0]} on 127.0.0.1 over TCP ({shown})"


def open_database(args: argparse.Namespace) -> Database:
    reuse, keep = args.reuse, args.keep
    if args.database == "sqlite":
        given = reuse or keep
        if given is not None and not given:
            raise SystemExit("--keep/--reuse: SQLite needs the file's path")
        if reuse and not Path(reuse).exists():
            raise SystemExit(f"--reuse {reuse}: no such file")
        if keep and Path(keep).exists():
            raise SystemExit(f"--keep {keep}: the file exists (remove it, or run on it with --reuse)")
        folder = None if given else Path(tempfile.mkdtemp(prefix="bench_steering_"))
        path = Path(given).resolve() if given else folder / "steering.sqlite3"  # type: ignore[operator]
        return Database("sqlite", f"sqlite:///{path}", path, keep=bool(keep or reuse), reused=bool(reuse),
                        folder=folder)
    url = reuse or keep or args.url
    copies = PostgresCopies(url)  # checks the name ('bench' in it) and opens the admin connection
    if reuse:
        found = copies.admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (copies.name,)).fetchone()
        if found is None:
            copies.admin.close()
            raise SystemExit(f"--reuse: there is no database {copies.name!r}")
    return Database("postgresql", url, None, keep=reuse is not None or keep is not None, reused=reuse is not None,
                    admin=copies.admin, name=copies.name)


def ensure_supervisor(session: Session) -> None:
    """``bench.sup``, a supervisor of the first centre: their scope is the region."""
    centre = session.scalar(select(Centre).where(Centre.code == f"{REGION}-C1"))
    assert centre is not None
    found = session.scalar(select(Advisor).where(Advisor.login == SUPERVISOR)) or Advisor(login=SUPERVISOR)
    found.display_name, found.profile_code, found.centre_id, found.team_id, found.active = (
        "Superviseur de charge", "supervisor", centre.id, None, True)
    session.add(found)


def close_stream_calls(engine: Engine) -> int:
    """End the calls a live stream left open (it stops mid-call): else the next app to start on the database
    restores them as calls in progress (``CallSessionManager.restore``) and works on them. How many.

    The stream's own calls (``live…``), read by the (name, occurred_at) index."""
    since = datetime.now(UTC) - timedelta(days=7)
    stream = TraceEvent.call_id.like("live%")
    with engine.connect() as conn:
        offered = {call_id: data for call_id, data in conn.execute(select(TraceEvent.call_id, TraceEvent.data).where(
            TraceEvent.name == "call.offered", TraceEvent.occurred_at >= since, stream))}
        over = set(conn.execute(select(TraceEvent.call_id).where(
            TraceEvent.name.in_(("call.ended", "call.expired")), TraceEvent.occurred_at >= since, stream)).scalars())
    now = datetime.now(UTC)
    ended = [{"occurred_at": now, "name": "call.ended", "actor": activity.COPILOT, "call_id": call_id,
              "customer_id": None, "data": {"agent": (data or {}).get("agent"), "caller_number": None,
                                            "ivr_choice": None, "has_reason": False, "reason": None,
                                            "durations": {"ring_s": None, "talk_s": None, "hold_s": 0.0}}}
             for call_id, data in sorted(offered.items()) if call_id not in over]
    if ended:
        activity.write(engine, [ended], len(ended) + 1)
    return len(ended)


def region_logins(session: Session) -> list[str]:
    stem = f"{REGION.lower()}.c"
    return list(session.scalars(select(Advisor.login).where(Advisor.login.like(f"{stem}%")).order_by(Advisor.login)))


def vacuum(db: Database, engine: Engine, tables: tuple[str, ...]) -> float | None:
    """PostgreSQL: VACUUM (ANALYZE) the tables just written, as autovacuum would (s); SQLite: nothing."""
    if db.kind != "postgresql":
        return None
    t0 = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in tables:
            conn.exec_driver_sql(f"VACUUM (ANALYZE) {table}")
    return round(time.perf_counter() - t0, 1)


def build(db: Database, engine: Engine, args: argparse.Namespace, end: date,
          say: Callable[[str], None]) -> dict[str, Any]:
    """The region, the month of calls and the projection (or the kept database, caught up)."""
    out: dict[str, Any] = {"reused": db.reused, "loads": {}}
    if db.reused:
        sessions = session_factory(engine)
        from crm_core.core.db import create_schema

        create_schema(engine)
        with transaction(sessions) as session:
            ensure_supervisor(session)
        out["closed_calls"] = close_stream_calls(engine)
        if args.rebuild:
            Base.metadata.drop_all(engine, tables=PROJECTION)
            Base.metadata.create_all(engine, tables=PROJECTION)
        else:  # what the traces added since (an earlier run's live stream and reads)
            t0 = time.perf_counter()
            projector.Projector(sessions).catch_up()
            out["catch_up_s"] = round(time.perf_counter() - t0, 1)
    else:
        db.create()
        t0 = time.perf_counter()
        seeded_database(db.url, 0).kw["bind"].dispose()  # the schema, the catalogue and the demo organisation
        with transaction(session_factory(engine)) as session:
            logins = activity.synthetic_region(session, advisors=args.advisors, centres=args.centres, region=REGION)
            ensure_supervisor(session)
        out["seed_s"] = round(time.perf_counter() - t0, 1)
        start = end - timedelta(days=args.days - 1)
        out["loads"]["write"] = wait_calm("write", args.max_wait, say)
        told = [0, 0]

        def progress(count: int) -> None:
            told[0] += count
            if told[0] >= told[1] + 1_000_000:
                told[1] = told[0] // 1_000_000 * 1_000_000
                say(f"  {told[0]:,} events written ({time.perf_counter() - t0:.0f} s)")

        t0 = time.perf_counter()
        calls, events = activity.write(engine, activity.calls(logins, start, args.days,
                                                              customers=range(1, args.customers + 1)),
                                       progress=progress)
        write_s = time.perf_counter() - t0
        out.update(calls=calls, events=events, write_s=round(write_s, 1), write_rate=round(events / write_s))
        say(f"written: {calls:,} calls, {events:,} trace events in {write_s:.0f} s ({events / write_s:,.0f}/s)")
        out["vacuum_traces_s"] = vacuum(db, engine, ("trace_events",))
    if not db.reused or args.rebuild:
        out["loads"]["rebuild"] = wait_calm("rebuild", args.max_wait, say)
        step = [0]

        def rebuilt(read: int, total: int) -> None:
            if read >= step[0] + 1_000_000 or read >= total:
                step[0] = read
                say(f"  projection: {read:,}/{total:,} events read ({time.perf_counter() - t0:.0f} s)")

        t0 = time.perf_counter()
        read = projector.rebuild(engine, progress=rebuilt)
        rebuild_s = time.perf_counter() - t0
        out.update(rebuild_events=read, rebuild_s=round(rebuild_s, 1), rebuild_rate=round(read / rebuild_s))
        say(f"projection rebuilt: {read:,} events in {rebuild_s:.0f} s ({read / rebuild_s:,.0f}/s)")
        out["vacuum_projection_s"] = vacuum(db, engine, tuple(SUMMED[1:]))
    if db.reused:
        out["earlier"] = remembered(engine)
    remember(engine, out)
    return out


def remember(engine: Engine, build: dict[str, Any]) -> None:
    """The build's figures kept in the benchmark's own database (``--reuse`` reports them as earlier ones)."""
    figures = {k: v for k, v in build.items() if k != "earlier"} | {"date": datetime.now(UTC).isoformat()}
    if build.get("reused") and not build.get("rebuild_s"):
        return  # nothing new was measured
    earlier = remembered(engine) or {}
    if build.get("reused"):  # a rebuild on the month written earlier: its write figures stay
        figures = {k: v for k, v in earlier.items() if k.startswith("write") or k in ("calls", "events", "seed_s",
                                                                                       "vacuum_traces_s")} | figures
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE IF NOT EXISTS {BUILD_TABLE} (figures TEXT)"))
        conn.execute(text(f"DELETE FROM {BUILD_TABLE}"))
        conn.execute(text(f"INSERT INTO {BUILD_TABLE} (figures) VALUES (:f)"), {"f": json.dumps(figures)})


def remembered(engine: Engine) -> dict[str, Any] | None:
    with engine.connect() as conn:
        try:
            raw = conn.execute(text(f"SELECT figures FROM {BUILD_TABLE}")).scalar()
        except Exception:  # an older kept database: no such table
            return None
    return json.loads(raw) if raw else None


def sizes(db: Database, engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        counts = {name: conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one() for name in SUMMED}
        advisors = conn.execute(select(func.count()).select_from(Advisor)
                                .where(Advisor.login.like(f"{REGION.lower()}.c%"))).scalar_one()
        centres = conn.execute(select(func.count()).select_from(Centre)
                               .where(Centre.code.like(f"{REGION}-C%"))).scalar_one()
        first, last = conn.execute(select(func.min(CallFact.day), func.max(CallFact.day))
                                   .where(CallFact.region == REGION,
                                          CallFact.call_id.like(f"{activity.CALL_ID_PREFIX}%"))).one()
    total, tables = db.size(engine)
    return {"rows": counts, "advisors": advisors, "centres": centres, "first_day": first and str(first),
            "last_day": last and str(last), "bytes": total, "table_bytes": tables}


# -- the KPI queries ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Query:
    key: str
    label: str
    path: str | None  # an HTTP GET; None: measured in-process (the baselines' SQL read, the snapshot function)
    count: Callable[[Any], str] | None = None  # the answer's size in rows, from the decoded body


def _rows(field: str) -> Callable[[Any], str]:
    return lambda body: f"{len(body[field]):,} rows"


def plan_queries(sessions: sessionmaker[Session], first: date, last: date) -> tuple[list[Query], dict[str, Any]]:
    """The requests, on the month ``first``..``last``: the busiest full day before the last, its week, its
    busiest advisor, their team and first call."""
    with sessions() as session:
        busiest = session.execute(select(KpiHourly.day, func.sum(KpiHourly.calls).label("n"))
                                  .where(KpiHourly.region == REGION, KpiHourly.day < last)
                                  .group_by(KpiHourly.day).order_by(text("n DESC"), KpiHourly.day.desc())
                                  .limit(1)).first()
        day = busiest.day if busiest else last
        advisor = session.execute(select(CallFact.advisor, CallFact.team, func.count().label("n"))
                                  .where(CallFact.region == REGION, CallFact.day == day)
                                  .group_by(CallFact.advisor, CallFact.team)
                                  .order_by(text("n DESC"), CallFact.advisor).limit(1)).one()
        call = session.scalar(select(CallFact.call_id).where(CallFact.advisor == advisor.advisor,
                                                              CallFact.day == day)
                              .order_by(CallFact.started_at).limit(1))
    monday = week_of(day)
    week = (max(first, monday), min(last, monday + timedelta(days=6)))
    month = f"from={first}&to={last}"
    picked = {"first": str(first), "last": str(last), "day": str(day), "week": [str(w) for w in week],
              "advisor": advisor.advisor, "team": advisor.team, "call": call}
    kpis, centre = "/api/kpis", f"{REGION}-C1"
    queries = [
        Query("sql", "bare indexed SQL read (baseline)", None),
        Query("definitions", "`/api/kpis/definitions` (HTTP baseline)", "/api/kpis/definitions", _rows("kpis")),
        Query("region_day", "region × day, month", f"{kpis}?level=region&period=day&{month}", _rows("rows")),
        Query("centre_day", "centre × day, month", f"{kpis}?level=centre&period=day&{month}", _rows("rows")),
        Query("team_week", "team × week, month", f"{kpis}?level=team&period=week&{month}", _rows("rows")),
        Query("advisor_day", "advisor × day, month", f"{kpis}?level=advisor&period=day&{month}", _rows("rows")),
        Query("advisor_month", "advisor × month", f"{kpis}?level=advisor&period=month&{month}", _rows("rows")),
        Query("centre_hour", "centre × hour, one week", f"{kpis}?level=centre&period=hour&from={week[0]}"
                                                        f"&to={week[1]}", _rows("rows")),
        Query("region_hour", "region × hour, one day", f"{kpis}?level=region&period=hour&from={day}&to={day}",
              _rows("rows")),
        Query("compare", "compare a centre, month", f"{kpis}/compare?centre={centre}&{month}", _rows("kpis")),
        Query("acts", "acts per journey, region, month", f"{kpis}/acts?{month}", _rows("acts")),
        Query("calls_advisor_day", "calls of one advisor-day", f"{kpis}/calls?level=advisor&key={advisor.advisor}"
                                                                f"&from={day}&to={day}&limit=1000",
              lambda b: f"{len(b['calls']):,} of {b['total']:,}"),
        Query("calls_transfers", "calls of the region-month, kpi=transfers (page 1)",
              f"{kpis}/calls?level=region&key={REGION}&kpi=transfers&{month}",
              lambda b: f"{len(b['calls']):,} of {b['total']:,}"),
        Query("timeline", "a call's timeline", f"{kpis}/calls/{call}/timeline", lambda b: f"{len(b['events'])} events"),
        Query("csv_team_day", "CSV of one team-day", f"{kpis}/calls.csv?level=team&key={advisor.team}"
                                                     f"&from={day}&to={day}", None),
        Query("live", "`/api/kpis/live` (today, real time)", f"{kpis}/live",
              lambda b: f"{len(b['advisors'])} advisors, {sum(len(a['calls']) for a in b['in_progress'])} "
                        "in progress"),
        Query("snapshot", "`steering.live.snapshot` (function, a full day)", None),
    ]
    return queries, picked


class SqlTimes:
    """The SQL statements run on ``engine`` meanwhile, with their time (cursor events)."""

    def __init__(self, engine: Engine) -> None:
        self.engine, self.statements = engine, []  # type: ignore[var-annotated]
        self._started: dict[int, float] = {}

    def _before(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        self._started[id(cursor)] = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        started = self._started.pop(id(cursor), None)
        if started is not None:
            self.statements.append(((time.perf_counter() - started) * 1e3, statement, parameters, many))

    def __enter__(self) -> "SqlTimes":
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *_: Any) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)


def explain(engine: Engine, statement: str, parameters: Any) -> str:
    """The plan of one statement: EXPLAIN QUERY PLAN (SQLite) or EXPLAIN (ANALYZE, BUFFERS) (PostgreSQL)."""
    sqlite = engine.dialect.name == "sqlite"
    prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN (ANALYZE, BUFFERS) "
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(prefix + statement, parameters).all()
        conn.rollback()
    if sqlite:
        return "\n".join(str(r[-1]) for r in rows)
    return "\n".join(str(r[0]) for r in rows)


def snapshot_time(last: date) -> datetime | None:
    """When the snapshot function is taken: now if the month ends today, else the last day at 17:00 Paris."""
    now = datetime.now(UTC)
    if now.astimezone(PARIS).date() == last:
        return None
    return datetime(last.year, last.month, last.day, 17, tzinfo=PARIS).astimezone(UTC)


def measure_queries(engine: Engine, sessions: sessionmaker[Session], queries: list[Query], picked: dict[str, Any],
                    repeat: int, warmup: int, say: Callable[[str], None]) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from assistant.copilot.app import create_app
    from assistant.copilot.settings import CopilotSettings
    from crm_core.core.security import issue_token
    from crm_core.services.habilitations import actor_for
    from steering.scope import scope_of

    closed = free_port()
    journal = Path(tempfile.mkdtemp(prefix="bench_steering_journal_"))
    settings = CopilotSettings(rasa_url=f"http://127.0.0.1:{closed}", actions_url=f"http://127.0.0.1:{closed}",
                               nlu_timeout_s=0.5, health_timeout_s=0.5, steering_poll_s=86_400.0,
                               journal_dir=journal)
    headers = {"Authorization": f"Bearer {issue_token(SUPERVISOR)}"}
    baseline_sql = text("SELECT count(*) FROM kpi_hourly WHERE day = :d AND region = :r")
    day = date.fromisoformat(picked["day"])
    at = snapshot_time(date.fromisoformat(picked["last"]))
    with sessions() as session:
        scope = scope_of(session, actor_for(session, SUPERVISOR))
    wall: dict[str, list[float]] = {q.key: [] for q in queries}
    cpu: dict[str, list[float]] = {q.key: [] for q in queries}
    answers: dict[str, dict[str, Any]] = {}
    sql: dict[str, dict[str, Any]] = {}

    def run_one(client: TestClient, query: Query) -> Any:
        if query.key == "sql":
            with engine.connect() as conn:
                return conn.execute(baseline_sql, {"d": day, "r": REGION}).scalar_one()
        if query.key == "snapshot":
            with sessions() as session:
                if at is None:
                    return live_view.snapshot(session, scope)
                with mock.patch.object(live_view, "utcnow", lambda: at):
                    return live_view.snapshot(session, scope)
        response = client.get(query.path, headers=headers)  # type: ignore[arg-type]
        if response.status_code != 200:
            raise RuntimeError(f"{query.path}: HTTP {response.status_code}: {response.text[:300]}")
        return response

    try:
        with TestClient(create_app(settings, engine=engine)) as client:
            for i in range(warmup + repeat + 1):  # the last pass, untimed, counts and times the SQL
                profile = i == warmup + repeat
                for query in queries:
                    if profile:
                        with SqlTimes(engine) as times:
                            run_one(client, query)
                        slowest = max(times.statements, default=None, key=lambda s: s[0])
                        sql[query.key] = {"statements": len(times.statements),
                                          "ms": round(sum(s[0] for s in times.statements), 1),
                                          "slowest": slowest}
                        continue
                    ms, cpu_ms_, out = timed(run_one, client, query)
                    if i >= warmup:
                        wall[query.key].append(ms)
                        cpu[query.key].append(cpu_ms_)
                    if query.key not in answers:
                        answers[query.key] = answer_size(query, out)
                if i + 1 == warmup or (i >= warmup and (i + 1 - warmup) % 5 == 0):
                    say(f"queries: pass {i + 1}/{warmup + repeat}")
    finally:
        import shutil

        shutil.rmtree(journal, ignore_errors=True)
    return {"wall": wall, "cpu": cpu, "answers": answers, "sql": sql,
            "snapshot_at": (at or datetime.now(UTC)).astimezone(PARIS).isoformat(timespec="minutes")}


def answer_size(query: Query, out: Any) -> dict[str, Any]:
    if query.key == "sql":
        return {"rows": f"count = {out:,}", "bytes": None}
    if query.key == "snapshot":
        return {"rows": f"{len(out['advisors'])} advisors", "bytes": len(json.dumps(out, default=str))}
    body = out.content
    if query.count is None:  # the CSV: its lines after the header
        lines = max(0, body.count(b"\n") - 1)
        return {"rows": f"{lines:,} lines", "bytes": len(body)}
    return {"rows": query.count(out.json()), "bytes": len(body)}


def query_summary(queries: list[Query], measured: dict[str, Any], engine: Engine) -> list[dict[str, Any]]:
    base_sql, base_http = summarise(measured["wall"]["sql"]), summarise(measured["wall"]["definitions"])
    out = []
    for q in queries:
        st = summarise(measured["wall"][q.key])
        sql = measured["sql"].get(q.key, {})
        row = {"key": q.key, "label": q.label, "path": q.path, **{k: st.get(k) for k in ("n", "p50", "p95", "max")},
               "cpu_p50": summarise(measured["cpu"][q.key]).get("p50"), **measured["answers"].get(q.key, {}),
               "statements": sql.get("statements"), "sql_ms": sql.get("ms"),
               "ratio_sql": _ratio(st, base_sql), "ratio_http": _ratio(st, base_http),
               "within": st.get("p95") is not None and st["p95"] <= BUDGET_MS}
        slowest = sql.get("slowest")
        if not row["within"] and slowest is not None:
            ms, statement, parameters, many = slowest
            plan = "(executemany: not explained)" if many else explain(engine, statement, parameters)
            row["explained"] = {"ms": round(ms, 1), "statement": " ".join(statement.split())[:1500], "plan": plan}
        out.append(row)
    return out


def _ratio(a: dict[str, Any], b: dict[str, Any]) -> float | None:
    return round(a["p95"] / b["p95"], 1) if a.get("p95") and b.get("p95") else None


# -- the live view -------------------------------------------------------------------------------------------------
def live_events(logins: list[str], day: date, customers: int, tag: str) -> Iterator[dict[str, Any]]:
    """The trace events of new calls of ``logins`` from ``day`` on, all advisors' events merged in the order they
    happened (each call's own order kept), each call with a new id (``live<tag>-…``)."""
    pending: list[tuple[datetime, int, dict[str, Any]]] = []
    n = 0

    def renamed(call_id: str) -> str:
        return f"live{tag}-{call_id.removeprefix(activity.CALL_ID_PREFIX)}"

    for call in activity.calls(logins, day, 7, customers=range(1, customers + 1), seed=15):
        offered = call[0]["occurred_at"]
        while pending and pending[0][0] <= offered:
            yield heapq.heappop(pending)[2]
        for e in call:
            e["call_id"] = renamed(e["call_id"])
            if e["name"] == "call.wrapup" and e["data"].get("next_call"):
                e["data"] = {**e["data"], "next_call": renamed(e["data"]["next_call"])}
            heapq.heappush(pending, (e["occurred_at"], n, e))
            n += 1
    while pending:
        yield heapq.heappop(pending)[2]


@dataclass
class App:
    """The app as ``copilot serve`` runs it, in its own process, on the benchmark's database."""

    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @classmethod
    def start(cls, url: str, folder: Path) -> "App":
        from crm_core.core.config import get_crm_settings

        port, closed = free_port(), free_port()
        settings = get_crm_settings()
        env = dict(os.environ) | {
            "COPILOT_DATABASE_URL": url, "COPILOT_HOST": "127.0.0.1", "COPILOT_PORT": str(port),
            "COPILOT_RASA_URL": f"http://127.0.0.1:{closed}", "COPILOT_ACTIONS_URL": f"http://127.0.0.1:{closed}",
            "COPILOT_JOURNAL_DIR": str(folder / "journal"), "PYTHONUNBUFFERED": "1",
            "COPILOT_BRIDGE_TOKEN": settings.secret("bridge_token"),
            "COPILOT_RASA_TOKEN": settings.secret("rasa_token"),
            "COPILOT_INTERNAL_SECRET": settings.secret("internal_secret")}
        for default in ("COPILOT_STEERING_POLL_S", "COPILOT_CALL_IDLE_TIMEOUT_S"):
            env.pop(default, None)  # the defaults, as deployed
        if settings.jwt_secret:
            env["COPILOT_JWT_SECRET"] = settings.jwt_secret
        log = folder / "app.log"
        with log.open("wb") as out:
            proc = subprocess.Popen([sys.executable, "-m", "copilot_cli", "serve"], env=env, cwd=REPO_ROOT,
                                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        app = cls(proc, port, log)
        deadline = time.monotonic() + 120
        import socket

        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"the app stopped at start (exit {proc.returncode}): {app.tail()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return app
            time.sleep(0.2)
        app.stop()
        raise RuntimeError(f"the app did not listen within 120 s: {app.tail()}")

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-1500:] if self.log.exists() else ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def projection_position(engine: Engine) -> tuple[int, int]:
    """(last trace id, the projection's cursor)."""
    with engine.connect() as conn:
        top = conn.execute(select(func.max(TraceEvent.id))).scalar() or 0
        cursor = conn.execute(select(SteeringCursor.last_id).where(SteeringCursor.name == projector.CURSOR)).scalar()
    return int(top), int(cursor or 0)


def wait_drained(engine: Engine, target: int, timeout_s: float) -> float | None:
    """Seconds until the projection's cursor reaches ``target`` (None: not within ``timeout_s``)."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout_s:
        if projection_position(engine)[1] >= target:
            return time.perf_counter() - t0
        time.sleep(0.05)
    return None


@dataclass
class Batch:
    committed: float  # perf_counter after the commit
    started: float  # when its tick came (perf_counter)
    events: int
    counts: tuple[int, int, int]  # calls offered, answered, ended inserted so far (cumulative)
    measurable: bool


async def stream(engine: Engine, port: int, pid: int, logins: list[str], day: date, args: argparse.Namespace,
                 say: Callable[[str], None]) -> dict[str, Any]:
    import websockets

    from crm_core.core.security import issue_token

    frames: list[tuple[float, float, tuple[int, int, int], int, int]] = []  # arrival, age s, counts, bytes, live
    url = f"ws://127.0.0.1:{port}/ws/steering?token={issue_token(SUPERVISOR)}"
    async with websockets.connect(url, max_size=None, open_timeout=60) as ws:

        async def receive() -> None:
            async for raw in ws:
                arrived, wall = time.perf_counter(), time.time()
                body = json.loads(raw)
                if body.get("type") in ("error", "session_expired"):
                    raise RuntimeError(f"/ws/steering: {str(body)[:300]}")
                if body.get("type") != "steering_live":  # hello, renewed
                    continue
                sums = body["today"]["sums"]
                age = wall - datetime.fromisoformat(body["at"]).timestamp()
                frames.append((arrived, age, tuple(int(sums[k]) for k, _ in LIVE_COUNTS),  # type: ignore[arg-type]
                               len(raw), sum(len(a["calls"]) for a in body["in_progress"])))

        receiver = asyncio.create_task(receive())
        deadline = time.perf_counter() + 60
        while not frames and time.perf_counter() < deadline and not receiver.done():
            await asyncio.sleep(0.05)
        if receiver.done():
            receiver.result()  # its error
        if not frames:
            receiver.cancel()
            raise RuntimeError("/ws/steering sent no snapshot within 60 s")
        base = frames[-1][2]
        tag = f"{int(time.time()):x}"
        source = live_events(logins, day, args.customers, tag)
        backlog: list[tuple[float, int]] = []
        batches: list[Batch] = []
        counts = [0, 0, 0]
        cpu_start, t0 = cpu_ms(pid), time.perf_counter()

        async def monitor() -> None:
            while True:
                top, cursor = await asyncio.to_thread(projection_position, engine)
                backlog.append((time.perf_counter() - t0, top - cursor))
                await asyncio.sleep(0.5)

        watcher = asyncio.create_task(monitor())
        ticks = max(1, round(args.live_seconds / TICK_S))
        inserted = 0
        for k in range(ticks):
            started = t0 + k * TICK_S
            await asyncio.sleep(max(0.0, started - time.perf_counter()))
            due = round(args.rate * TICK_S * (k + 1)) - inserted
            stamp = datetime.now(UTC)
            rows = []
            for e in (next(source) for _ in range(due)):
                rows.append({**e, "occurred_at": stamp})
                for i, (_, name) in enumerate(LIVE_COUNTS):
                    counts[i] += e["name"] == name
            previous = batches[-1].counts if batches else (0, 0, 0)
            await asyncio.to_thread(activity.write, engine, [rows], len(rows) + 1)
            inserted += len(rows)
            batches.append(Batch(time.perf_counter(), started, len(rows), (counts[0], counts[1], counts[2]),
                                 tuple(counts) != previous))
        stopped = time.perf_counter()
        cpu_stream = cpu_ms(pid)
        top_at_stop = projection_position(engine)[0]
        drain_s = await asyncio.to_thread(wait_drained, engine, top_at_stop, 120.0)
        cpu_drained = cpu_ms(pid)
        watcher.cancel()
        targets = [tuple(b + c for b, c in zip(base, batch.counts, strict=True)) for batch in batches]
        deadline = time.perf_counter() + 15
        while time.perf_counter() < deadline and not any(all(f[2][i] >= targets[-1][i] for i in range(3))
                                                         for f in frames):
            await asyncio.sleep(0.1)
        receiver.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await receiver
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
    closed = await asyncio.to_thread(close_stream_calls, engine)  # the stream stopped mid-call: its calls end
    return live_figures(batches, targets, frames, backlog, t0, stopped, inserted, drain_s,
                        (cpu_start, cpu_stream, cpu_drained), args) | {"closed_calls": closed}


def live_figures(batches: list[Batch], targets: list[tuple[int, ...]],
                 frames: list[tuple[float, float, tuple[int, int, int], int, int]], backlog: list[tuple[float, int]],
                 t0: float, stopped: float, inserted: int, drain_s: float | None,
                 cpu: tuple[float | None, ...], args: argparse.Namespace) -> dict[str, Any]:
    lags: list[tuple[float, float]] = []  # (commit time after the start, lag s)
    missed = 0
    for batch, target in zip(batches, targets, strict=True):
        if not batch.measurable:
            continue
        seen = next((f[0] for f in frames if f[0] >= batch.committed - 1e-3
                     and all(f[2][i] >= target[i] for i in range(3))), None)
        if seen is None:
            missed += 1
        else:
            lags.append((batch.committed - t0, seen - batch.committed))
    during = [f for f in frames if t0 <= f[0] <= stopped + 5]
    intervals = [(b[0] - a[0]) * 1e3 for a, b in zip(during, during[1:], strict=False)]
    window = min(10.0, args.live_seconds / 2)
    first = [lag * 1e3 for at, lag in lags if at < window]
    last = [lag * 1e3 for at, lag in lags if at >= args.live_seconds - window]
    commits = [(b.committed - b.started) * 1e3 for b in batches]
    elapsed = stopped - t0
    cpu_start, cpu_stream, cpu_drained = cpu
    cpu_share = None
    if cpu_start is not None and cpu_stream is not None:
        cpu_share = round((cpu_stream - cpu_start) / 1e3 / elapsed, 2)
    return {
        "rate": args.rate, "seconds": args.live_seconds, "inserted": inserted,
        "achieved_rate": round(inserted / elapsed, 1), "batches": len(batches),
        "batch_write_ms": summarise(commits),
        "measured_batches": len(lags), "missed_batches": missed,
        "lag_ms": summarise([lag * 1e3 for _, lag in lags]), "lag_first_ms": summarise(first),
        "lag_last_ms": summarise(last), "window_s": window,
        "frames": len(during), "frame_interval_ms": summarise(intervals),
        "frame_age_ms": summarise([f[1] * 1e3 for f in during]),
        "frame_bytes": summarise([float(f[3]) for f in during]),
        "in_progress_max": max((f[4] for f in during), default=0),
        "backlog_max": max((b for _, b in backlog), default=None),
        "windows": [{"from_s": w, **{k: summarise([lag * 1e3 for at, lag in lags if w <= at < w + 10]).get(k)
                                     for k in ("n", "p50", "p95", "max")},
                     "backlog_max": max((b for at, b in backlog if w <= at < w + 10), default=None)}
                    for w in range(0, max(1, int(args.live_seconds)), 10)],
        "backlog_first": summarise([float(b) for at, b in backlog if at < window]),
        "backlog_last": summarise([float(b) for at, b in backlog if at >= args.live_seconds - window]),
        "drain_s": None if drain_s is None else round(drain_s, 2),
        "app_cpu_share": cpu_share,
        "app_cpu_drain_s": None if cpu_drained is None or cpu_stream is None else round(
            (cpu_drained - cpu_stream) / 1e3, 2),
    }


def measure_live(db: Database, engine: Engine, end: date, args: argparse.Namespace,
                 say: Callable[[str], None]) -> dict[str, Any]:
    with session_factory(engine)() as session:
        logins = region_logins(session)
    folder = Path(tempfile.mkdtemp(prefix="bench_steering_app_"))
    app = App.start(db.url, folder)
    try:
        top = projection_position(engine)[0]
        caught = wait_drained(engine, top, 300.0)
        if caught is None:
            raise RuntimeError("the app's projector did not catch up with the traces within 300 s")
        load = wait_calm("live", args.max_wait, say)
        say(f"live: {args.rate} events/s for {args.live_seconds} s on the app (pid {app.proc.pid}, port {app.port})")
        figures = asyncio.run(stream(engine, app.port, app.proc.pid, logins, end + timedelta(days=1), args, say))
        return {**figures, "load": load}
    except Exception as exc:
        raise RuntimeError(f"{exc} — app log: {app.tail()[-600:]}") from exc
    finally:
        app.stop()
        import shutil

        shutil.rmtree(folder, ignore_errors=True)


# -- the run -----------------------------------------------------------------------------------------------------
def code_version() -> str:
    def git(*argv: str) -> str:
        done = subprocess.run(["git", *argv], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    head = git("rev-parse", "--short", "HEAD")
    dirty = git("status", "--porcelain", "--", "steering", "crm_core/models/steering.py", "crm_core/migrations")
    return f"{head}" + (" with uncommitted changes in steering/" if dirty else "")


def command_line(argv: list[str]) -> str:
    return ".venv/bin/python -m benchmarks.steering " + " ".join(shlex.quote(a) for a in argv)


def run(args: argparse.Namespace, argv: list[str], say: Callable[[str], None] = say_now) -> dict[str, Any]:
    db = open_database(args)
    started, load_before = time.perf_counter(), os.getloadavg()[0]
    end = date.fromisoformat(args.today) if args.today else datetime.now(PARIS).date()
    result: dict[str, Any] = {"command": command_line(argv), "code": code_version(), "error": None,
                              "size": {"advisors": args.advisors, "centres": args.centres, "days": args.days,
                                       "customers": args.customers}}
    engine = make_engine(db.url)
    try:
        sessions = session_factory(engine)
        say(f"{db.kind}: {db.url}" + (" (reused)" if db.reused else ""))
        result["build"] = build(db, engine, args, end, say)
        result["sizes"] = sizes(db, engine)
        first, last = (date.fromisoformat(result["sizes"][k]) for k in ("first_day", "last_day"))
        queries, result["picked"] = plan_queries(sessions, first, last)
        result["query_load"] = wait_calm("queries", args.max_wait, say)
        measured = measure_queries(engine, sessions, queries, result["picked"], args.repeat, args.warmup, say)
        result["snapshot_at"] = measured["snapshot_at"]
        result["queries"] = query_summary(queries, measured, engine)
        if args.live_seconds > 0:
            result["live"] = measure_live(db, engine, last, args, say)
        result["sizes_after"] = sizes(db, engine)
    except Exception as exc:  # reported: a refused request, an app that does not start
        result["error"] = f"{type(exc).__name__}: {exc}"[:1500]
    finally:
        try:
            described = db.describe(engine)
        except Exception as exc:  # the database is gone or never was
            described = f"{db.kind} ({type(exc).__name__})"
        bench = Bench(None, engine, session_factory(engine), described, 0.0, started, load_before)
        result.update(run_header(bench, db.kind, args.repeat, args.warmup, args.customers, end))
        engine.dispose()
        db.cleanup()
    return result


# -- the report ---------------------------------------------------------------------------------------------------
def _num(value: float | int | None, fmt: str = ".1f") -> str:
    return "—" if value is None else format(value, fmt)


def _mb(value: int | None) -> str:
    return "—" if value is None else f"{value / 1e6:,.0f} MB"


def markdown_table(result: dict[str, Any]) -> str:
    rows = ["| query | p50 | p95 | max | p95 ÷ SQL read | p95 ÷ HTTP | answer | bytes | SQL statements (execute ms) | "
            "CPU p50 | p95 ≤ 1 s |",
            "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | :---: |"]
    for q in result.get("queries", []):
        sql = "—" if q["statements"] is None else f"{q['statements']} ({q['sql_ms']:.1f})"
        rows.append(f"| {q['label']} | {_num(q['p50'])} | {_num(q['p95'])} | {_num(q['max'])} | "
                    f"{_num(q['ratio_sql'], ',.1f')}× | {_num(q['ratio_http'], ',.1f')}× | {q.get('rows', '—')} | "
                    f"{_num(q.get('bytes'), ',d')} | {sql} | {_num(q['cpu_p50'])} | "
                    f"{'yes' if q['within'] else '**no**'} |")
    return "\n".join(rows)


def requests_list(result: dict[str, Any]) -> str:
    return "\n".join(f"- {q['label']}: `GET {q['path']}`" for q in result.get("queries", []) if q["path"])


def build_lines(result: dict[str, Any]) -> list[str]:
    b, s = result.get("build", {}), result.get("sizes", {})
    rows = s.get("rows", {})
    lines = [f"- Region `{REGION}`: {s.get('advisors', '—')} advisors in {s.get('centres', '—')} centres, "
             f"{s.get('first_day')} … {s.get('last_day')} ({result['size']['days']} days asked, Sundays closed), "
             f"callers drawn from {result['size']['customers']:,} customer ids."]
    written, rebuilt, when = b, b, ""
    if b.get("reused"):
        earlier = b.get("earlier") or {}
        lines.append("- Database reused from an earlier run (`--reuse`), the month not written again"
                     + ("" if b.get("rebuild_s") else f"; the projection caught up in {b.get('catch_up_s', 0):.1f} s")
                     + (f"; its figures below as built on {earlier['date'][:16].replace('T', ' ')} UTC"
                        if earlier.get("date") else "") + ".")
        written, when = earlier, " (earlier)"
        rebuilt = b if b.get("rebuild_s") else earlier
    if written.get("write_s"):
        lines.append(_phase_line(f"Writing the month{when}", f"{written['calls']:,} calls, {written['events']:,} "
                                 "trace events", written, "write", "`activity.write`, batches of 5,000",
                                 ("trace_events", written.get("vacuum_traces_s"))))
    if rebuilt.get("rebuild_s"):
        lines.append(_phase_line(f"Rebuilding the projection{when if rebuilt is not b else ''}",
                                 f"{rebuilt['rebuild_events']:,} events", rebuilt, "rebuild",
                                 "`projector.rebuild`, steps of 20,000 events",
                                 ("its tables", rebuilt.get("vacuum_projection_s"))))
    if rows:
        tables = s.get("table_bytes") or {}
        each = (" (with indexes: " + ", ".join(f"{k} {_mb(v)}" for k, v in tables.items()) + ")") if tables else ""
        lines.append("- Rows: " + ", ".join(f"{name} {n:,}" for name, n in rows.items())
                     + f"; database {_mb(s.get('bytes'))}{each}.")
    return lines


def _phase_line(title: str, what: str, figures: dict[str, Any], phase: str, how: str,
                vacuumed: tuple[str, float | None]) -> str:
    """One timed phase of the build: what it wrote, in how long, how fast, the load it started at."""
    then = f"; then VACUUM (ANALYZE) {vacuumed[0]} {vacuumed[1]:.0f} s" if vacuumed[1] is not None else ""
    return (f"- {title}: {what} in {figures[f'{phase}_s']:,.0f} s (**{figures[f'{phase}_rate']:,} events/s**, "
            f"{how}; load {figures['loads'][phase]['load']} at the start){then}.")


def live_lines(result: dict[str, Any]) -> list[str]:
    live = result.get("live")
    if not live:
        return ["- not measured."]
    lag, first, last = live["lag_ms"], live["lag_first_ms"], live["lag_last_ms"]
    window = live["window_s"]

    def pct(st: dict[str, Any]) -> str:
        return "—" if not st.get("n") else f"p50 {st['p50']:,.0f} / p95 {st['p95']:,.0f} / max {st['max']:,.0f} ms"

    def backlog(st: dict[str, Any]) -> str:
        return "—" if not st.get("n") else f"mean {st['mean']:,.0f}, max {st['max']:,.0f}"

    drained = "**not drained within 120 s**" if live["drain_s"] is None else f"{live['drain_s']:.2f} s"
    return [
        f"- Stream: {live['inserted']:,} trace events in {live['batches']} committed batches (asked: {live['rate']}/s "
        f"for {live['seconds']} s; **achieved {live['achieved_rate']:,.1f}/s**); one batch's write and commit "
        f"{pct(live['batch_write_ms'])}. Load {live['load']['load']} at the start. The "
        f"{live.get('closed_calls', 0)} calls still open when it stopped were then ended (`call.ended`), so that "
        "no later app restores them as calls in progress.",
        f"- **Lag, commit → the frame that reflects it: {pct(lag)}** over {live['measured_batches']} measurable "
        f"batches ({live['missed_batches']} never reflected); first {window:.0f} s: {pct(first)}; "
        f"last {window:.0f} s: {pct(last)}.",
        f"- Frames: {live['frames']} (interval {pct(live['frame_interval_ms'])}); a frame's snapshot taken → "
        f"arrival {pct(live['frame_age_ms'])}; size p50 {_num(live['frame_bytes'].get('p50'), ',.0f')} bytes; "
        f"up to {live['in_progress_max']} calls in progress on the board.",
        "- Lag p95 (ms) and backlog max (events) by 10-s window of the stream: " + "; ".join(
            f"{w['from_s']}–{w['from_s'] + 10} s {_num(w['p95'], ',.0f')} / {_num(w['backlog_max'], ',d')}"
            for w in live.get("windows", [])) + ".",
        f"- Backlog (last trace id − projection cursor, sampled every 0.5 s, in events): max {live['backlog_max']}; "
        f"first {window:.0f} s {backlog(live['backlog_first'])}; last {window:.0f} s "
        f"{backlog(live['backlog_last'])}. Drained after the stream stopped in {drained}.",
        f"- The app process's CPU during the stream: {_num(live['app_cpu_share'], '.0%')} of one core (projector, "
        "snapshots, socket); "
        f"{_num(live['app_cpu_drain_s'], '.2f')} s CPU while draining.",
    ]


def reading(result: dict[str, Any]) -> str:
    """What the figures say, computed."""
    lines = []
    if result["error"]:
        lines.append(f"- **failed**: {result['error']} (nothing after it was measured).")
    qs = [q for q in result.get("queries", []) if q["key"] not in ("sql", "definitions") and q["p95"] is not None]
    if qs:
        worst = max(qs, key=lambda q: q["p95"])
        over = [q for q in qs if not q["within"]]
        lines.append(f"- {len(qs) - len(over)} of {len(qs)} KPI requests answer within 1 s at p95; the slowest is "
                     f"{worst['label']} (p95 {worst['p95']:,.0f} ms, {worst['ratio_sql']:,.1f}× the bare SQL read, "
                     f"{worst['ratio_http']:,.1f}× the trivial route).")
        for q in over:
            share = f"{q['sql_ms'] / q['p50']:.0%}" if q.get("sql_ms") and q["p50"] else "—"
            lines.append(f"- over budget: {q['label']}, p95 {q['p95']:,.0f} ms; its SQL in the profiling pass "
                         f"{_num(q.get('sql_ms'), ',.0f')} ms ({share} of its p50) in {q['statements']} statements.")
    live = result.get("live")
    if live and live["lag_ms"].get("n"):
        first, last = live["lag_first_ms"], live["lag_last_ms"]
        bounded = last.get("p95") is not None and first.get("p95") is not None and last["p95"] <= 2 * first["p95"] + 500
        lines.append(f"- live: lag p95 {live['lag_ms']['p95']:,.0f} ms; p95 {first.get('p95', 0):,.0f} ms in the "
                     f"first {live['window_s']:.0f} s and {last.get('p95', 0):,.0f} ms in the last: "
                     + ("bounded, no growing backlog" if bounded and live["drain_s"] is not None
                        else "**growing**") + ".")
    return "\n".join(lines) or "- nothing was measured."


def explained(result: dict[str, Any]) -> list[str]:
    out = []
    for q in result.get("queries", []):
        if q.get("explained"):
            e = q["explained"]
            out += ["", f"{q['label']}: the slowest statement took {e['ms']:,.1f} ms in the profiling pass:", "",
                    "```sql", e["statement"], "```", "", "```", e["plan"], "```"]
    return out


def section(result: dict[str, Any]) -> str:
    db = result["database"]
    title = "SQLite" if db == "sqlite" else "PostgreSQL"
    picked = result.get("picked", {})
    load = result.get("query_load", {})
    return "\n".join([
        BEGIN.format(db=db),
        f"### {title} — {result['date']}",
        "",
        f"- Command: `{result['command']}` (code {result['code']}).",
        machine_lines(result)[0],
        f"- Database: {result['database_detail']}.",
        *build_lines(result),
        "",
        f"KPI requests as `{SUPERVISOR}` (scope: the region), N = {result['repeat']} timed passes after "
        f"{result['warmup']} uncounted, the requests in turn; load {load.get('load', '—')} at the start"
        + (f" (after waiting {load['waited_s']} s)" if load.get("waited_s") else "")
        + f". One day: {picked.get('day')}; one week: {' … '.join(picked.get('week', []))}; one advisor: "
        f"{picked.get('advisor')} (team {picked.get('team')}); the snapshot function at "
        f"{result.get('snapshot_at', '—')}. Times in ms (nearest rank), the whole request in-process, the "
        "read's trace committed; CPU: this process's (all of the work on SQLite, the client's share on "
        "PostgreSQL); SQL statements and their execute time (cursor events: on SQLite up to the first row, the "
        "fetch of the others not included) from one more, untimed pass.",
        "",
        markdown_table(result),
        *explained(result),
        "",
        "Live view (`/ws/steering` as the supervisor, the app in its own process):",
        "",
        *live_lines(result),
        "",
        "Computed reading:",
        "",
        reading(result),
        END.format(db=db),
    ])


def write_report(path: Path, result: dict[str, Any]) -> None:
    db = result["database"]
    write_section(path, section(result), BEGIN.format(db=db), END.format(db=db), REPORT_HEAD)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    add_arguments(parser, PG_URL)
    parser.set_defaults(customers=200_000, today=None)
    for action in parser._actions:  # two of the shared options mean something else here
        if action.dest == "customers":
            action.help = "the callers' customer ids are 1..N (no customer rows are written)"
        if action.dest == "today":
            action.help = "the month's last day (default: today in Paris, so that the live view sees a full day)"
    parser.add_argument("--advisors", type=int, default=500)
    parser.add_argument("--centres", type=int, default=5)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--live-seconds", type=float, default=60.0, help="0: no live phase")
    parser.add_argument("--rate", type=float, default=200.0, help="trace events a second in the live phase")
    parser.add_argument("--max-wait", type=float, default=600.0,
                        help="at most this long (s) waiting for a 1-min load below 1.0 before each timed phase")
    parser.add_argument("--keep", nargs="?", const="", metavar="PATH",
                        help="keep the database: SQLite its file PATH; PostgreSQL the database PATH (a URL) "
                             "or --url")
    parser.add_argument("--reuse", nargs="?", const="", metavar="PATH",
                        help="run on a database kept earlier (SQLite: its file; PostgreSQL: its URL or --url)")
    parser.add_argument("--rebuild", action="store_true",
                        help="with --reuse: make the projection's tables again and rebuild them from the traces")
    args = parser.parse_args(argv)
    check_arguments(parser, args)
    if args.keep is not None and args.reuse is not None:
        parser.error("--keep or --reuse, not both (a reused database is kept)")
    if args.rebuild and args.reuse is None:
        parser.error("--rebuild goes with --reuse")
    if min(args.advisors, args.centres, args.days) < 1 or args.rate <= 0:
        parser.error("--advisors, --centres, --days and --rate must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    result = run(args, argv)
    print()
    print(markdown_table(result))
    print()
    print("\n".join(live_lines(result)))
    print()
    print(reading(result))
    if args.out:
        write_report(args.out, result)
        print(f"\nwritten: {args.out}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    return 1 if result["error"] else 0


if __name__ == "__main__":
    sys.exit(main())
