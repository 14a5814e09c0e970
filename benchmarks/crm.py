"""CRM at scale: seeding, the 360° read by line number, edits and trace ingest, on SQLite or PostgreSQL.

Creates its own database (SQLite file under /tmp, or the ``copilot_bench`` PostgreSQL database whose public
schema is dropped and recreated), seeds it like ``copilot seed`` (schema, reference data, then synthetic
customers in chunks of 50,000, one transaction per chunk), then measures in one run:

1. seeding time, rows/s and customers/s;
2. ``CustomerService.find_by_line`` then ``.view360`` in one transaction per read, for line numbers sampled
   from the ``lines`` table before timing: p50/p95/p99 of each step and of the whole transaction, against a
   bare indexed SQL lookup (line number → customer id) as the baseline;
3. ``CustomerEditor.update_contact`` (city), one transaction per edit: edits/s, p50/p95;
4. ``TraceBuffer.record`` of 50,000 events then ``flush()``: events/s.

``--explain`` adds the query plans of every statement one 360° read issues, and the SQL time per statement
over extra reads; ``--profile`` adds a cProfile of extra reads. Run from the repository root::

    .venv/bin/python benchmarks/crm.py --db sqlite --customers 20000 [--reads 2000] [--edits 2000] [--json out.json]
"""

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import random
import re
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # run as a plain script from anywhere

from rich.console import Console  # noqa: E402
from rich.progress import (  # noqa: E402
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table  # noqa: E402
from sqlalchemy import Engine, event, func, select, text  # noqa: E402

from benchmarks.stats import summarise  # noqa: E402
from crm_core.core.db import create_schema, make_engine, session_factory, transaction  # noqa: E402
from crm_core.models import TraceEvent  # noqa: E402
from crm_core.schemas.edits import ContactUpdate  # noqa: E402
from crm_core.seed import seed_reference  # noqa: E402
from crm_core.seed.synthetic import FIRST_SYNTHETIC_ID, TABLES, insert_synthetic  # noqa: E402
from crm_core.services.actor import Actor  # noqa: E402
from crm_core.services.customers import CustomerService  # noqa: E402
from crm_core.services.edits import CustomerEditor  # noqa: E402
from crm_core.services.habilitations import PROFILES  # noqa: E402
from crm_core.services.trace_buffer import TraceBuffer  # noqa: E402

SQLITE_PATH = Path("/tmp/copilot_bench.sqlite")
PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB = "copilot_bench"
PG_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_DB}"
CHUNK = 50_000  # customers per seeding transaction, as in ``copilot_cli.main.seed_database``
SEED = 42
ACTOR = Actor("bench", "supervisor", None, PROFILES["supervisor"][1])
CITIES = ("Lyon", "Marseille", "Toulouse", "Nantes", "Strasbourg", "Bordeaux", "Lille", "Rennes", "Reims",
          "Saint-Étienne", "Le Havre", "Grenoble", "Dijon", "Angers", "Nîmes", "Villeurbanne")
BARE_SQL = "SELECT c.id FROM lines l JOIN customers c ON c.id = l.customer_id WHERE l.number = :n"
console = Console(width=None if sys.stdout.isatty() else 150)


def progress_bar(label: str) -> Progress:
    return Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
                    console=console, transient=False)


# -- database set-up -------------------------------------------------------------------------------
def reset_database(kind: str) -> str:
    """An empty database of the kind asked for; its SQLAlchemy URL."""
    if kind == "sqlite":
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{SQLITE_PATH}"
    import psycopg

    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (PG_DB,)).fetchone() is None:
            conn.execute(f"CREATE DATABASE {PG_DB}")
    with psycopg.connect(PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{PG_DB}", autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    return PG_URL


def drop_database(kind: str) -> None:
    """Free the space: delete the SQLite file, or empty the PostgreSQL database's public schema."""
    if kind == "sqlite":
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{PG_DB}", autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


def url_for(kind: str) -> str:
    return f"sqlite:///{SQLITE_PATH}" if kind == "sqlite" else PG_URL


def table_rows(engine: Engine) -> dict[str, int]:
    names = [m.__tablename__ for m in TABLES] + ["coverage"]
    with engine.connect() as conn:
        return {n: conn.execute(text(f"SELECT count(*) FROM {n}")).scalar_one() for n in names}


def database_size(engine: Engine) -> int | None:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            return conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
    return sum(p.stat().st_size for p in SQLITE_PATH.parent.glob(SQLITE_PATH.name + "*"))


def seed(engine: Engine, customers: int, limit_s: float, analyze: bool) -> dict[str, Any]:
    """Schema, reference data, then synthetic customers in chunks (one transaction each); timings."""
    factory = session_factory(engine)
    t0 = time.perf_counter()
    create_schema(engine)
    with transaction(factory) as session:
        seed_reference(session)
    t_ref = time.perf_counter()
    before = table_rows(engine)
    t1 = time.perf_counter()
    inserted = target = 0
    chunks: list[float] = []
    with progress_bar("seeding customers") as progress:
        task = progress.add_task("seed", total=customers)
        while target < customers:  # bounded: at most ceil(customers / CHUNK) chunks, and limit_s
            if time.perf_counter() - t1 > limit_s:
                console.print(f"[red]seeding stopped after {limit_s:.0f} s ({inserted} customers)[/red]")
                break
            target = min(customers, target + CHUNK)
            c0 = time.perf_counter()
            with transaction(factory) as session:
                inserted += insert_synthetic(session, target, SEED, progress=lambda n: progress.advance(task, n))
            chunks.append(time.perf_counter() - c0)
    t2 = time.perf_counter()
    analyze_s = None
    if analyze:  # planner statistics, as autovacuum (PostgreSQL) or a DBA (SQLite) would leave them
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        analyze_s = round(time.perf_counter() - t2, 2)
    after = table_rows(engine)
    rows = sum(after.values()) - sum(before.values())
    synthetic_s = t2 - t1
    return {
        "customers": inserted, "rows": rows, "rows_by_table": {k: after[k] - before[k] for k in after},
        "schema_and_reference_s": round(t_ref - t0, 2), "synthetic_s": round(synthetic_s, 2),
        "total_s": round(t2 - t0, 2), "customers_per_s": round(inserted / synthetic_s, 1) if synthetic_s else None,
        "rows_per_s": round(rows / synthetic_s, 1) if synthetic_s else None,
        "chunk_s": {"first": round(chunks[0], 2), "last": round(chunks[-1], 2),
                    "max": round(max(chunks), 2)} if chunks else None,
        "analyze_s": analyze_s, "complete": inserted >= customers,
    }


def sample_lines(engine: Engine, count: int, rng: random.Random) -> list[tuple[str, int]]:
    """``count`` (line number, customer id) pairs of random synthetic customers, read before any timing."""
    with engine.connect() as conn:
        top = conn.execute(text("SELECT max(id) FROM customers")).scalar_one()
        ids = rng.sample(range(FIRST_SYNTHETIC_ID, top + 1), min(count, top - FIRST_SYNTHETIC_ID + 1))
        by_customer: dict[int, list[str]] = defaultdict(list)
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            marks = ", ".join(str(i) for i in part)
            for number, cid in conn.execute(text(f"SELECT number, customer_id FROM lines "
                                                 f"WHERE customer_id IN ({marks}) ORDER BY id")):
                by_customer[cid].append(number)
    return [(rng.choice(by_customer[cid]), cid) for cid in ids if by_customer.get(cid)]


# -- the measured phases ---------------------------------------------------------------------------
def one_read(factory: Any, number: str) -> tuple[float, float, float, float]:
    """find_by_line, view360 and commit in one transaction: (lookup, view, commit, whole) in ms."""
    t0 = time.perf_counter()
    with transaction(factory) as session:
        service = CustomerService(session, ACTOR)
        t1 = time.perf_counter()
        found = service.find_by_line(number)
        t2 = time.perf_counter()
        if found is None:
            raise RuntimeError(f"line {number} not found")
        view = service.view360(found.id)
        t3 = time.perf_counter()
        if not view["blocks"]:
            raise RuntimeError("empty 360° view")
    t4 = time.perf_counter()
    return (t2 - t1) * 1e3, (t3 - t2) * 1e3, (t4 - t3) * 1e3, (t4 - t0) * 1e3


def one_read_by_line(factory: Any, number: str) -> float:
    """``view360_by_line`` (one look-up, the customer loaded once) in one transaction: whole, in ms."""
    t0 = time.perf_counter()
    with transaction(factory) as session:
        view = CustomerService(session, ACTOR).view360_by_line(number)
        if view is None or not view["blocks"]:
            raise RuntimeError(f"no 360° view for line {number}")
    return (time.perf_counter() - t0) * 1e3


def reads(factory: Any, numbers: list[str], warmup: int, limit_s: float) -> dict[str, Any]:
    for number in numbers[:warmup]:
        one_read(factory, number)
        one_read_by_line(factory, number)
    lookup, view, commit, whole, by_line = [], [], [], [], []
    measured = numbers[warmup:]
    load_before = os.getloadavg()
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    with progress_bar("360° reads") as progress:
        task = progress.add_task("reads", total=len(measured))
        for number in measured:  # bounded by the sample and by limit_s
            if time.perf_counter() - t0 > limit_s:
                console.print(f"[red]reads stopped after {limit_s:.0f} s[/red]")
                break
            a, b, c, d = one_read(factory, number)
            lookup.append(a)
            view.append(b)
            commit.append(c)
            whole.append(d)
            by_line.append(one_read_by_line(factory, number))
            progress.advance(task)
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - cpu0  # this process only: what the machine's other load does not inflate much
    return {"client_cpu_ms_per_read": round(cpu * 1e3 / len(whole), 2) if whole else None,
            "find_by_line": summarise(lookup), "view360": summarise(view), "commit": summarise(commit),
            "both": summarise(whole), "view360_by_line": summarise(by_line),
            "reads_per_s": round(len(whole) / elapsed, 1) if elapsed else None,
            "loadavg_1m": {"before": round(load_before[0], 2), "after": round(os.getloadavg()[0], 2)}}


def bare_lookups(engine: Engine, numbers: list[str], warmup: int, limit_s: float) -> dict[str, Any]:
    """The baseline: the indexed line → customer join, on one held connection, nothing else."""
    samples = []
    statement = text(BARE_SQL)
    t0 = time.perf_counter()
    with engine.connect() as conn:
        for i, number in enumerate(numbers):  # bounded by the sample and by limit_s
            if time.perf_counter() - t0 > limit_s:
                break
            s = time.perf_counter()
            found = conn.execute(statement, {"n": number}).scalar_one_or_none()
            e = time.perf_counter()
            conn.rollback()
            if found is None:
                raise RuntimeError(f"bare lookup missed {number}")
            if i >= warmup:
                samples.append((e - s) * 1e3)
    return summarise(samples)


def edits(factory: Any, customer_ids: list[int], warmup: int, rng: random.Random, limit_s: float) -> dict[str, Any]:
    def one(cid: int) -> float:
        s = time.perf_counter()
        with transaction(factory) as session:
            CustomerEditor(session, ACTOR).update_contact(cid, ContactUpdate(city=rng.choice(CITIES), version=None))
        return (time.perf_counter() - s) * 1e3

    for cid in customer_ids[:warmup]:
        one(cid)
    samples = []
    measured = customer_ids[warmup:]
    t0 = time.perf_counter()
    with progress_bar("edits") as progress:
        task = progress.add_task("edits", total=len(measured))
        for cid in measured:  # bounded by the sample and by limit_s
            if time.perf_counter() - t0 > limit_s:
                console.print(f"[red]edits stopped after {limit_s:.0f} s[/red]")
                break
            samples.append(one(cid))
            progress.advance(task)
    elapsed = time.perf_counter() - t0
    return {"per_edit": summarise(samples), "edits_per_s": round(len(samples) / elapsed, 1) if elapsed else None}


def trace_ingest(engine: Engine, factory: Any, count: int, limit_s: float) -> dict[str, Any]:
    with engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(TraceEvent)).scalar_one()
    buffer = TraceBuffer(factory)
    t0 = time.perf_counter()
    with progress_bar("trace events recorded") as progress:
        task = progress.add_task("traces", total=count)
        for i in range(count):  # bounded by count
            buffer.record("nlu.predicted", ACTOR, customer_id=FIRST_SYNTHETIC_ID + i % 1000, call_id=f"bench-{i // 20}",
                          journey="breakdown", confidence=0.93, turn=i % 20)
            if i % 1000 == 999:
                progress.advance(task, 1000)
        progress.update(task, completed=count)
    t1 = time.perf_counter()
    flushed = buffer.flush(timeout_s=limit_s)
    t2 = time.perf_counter()
    buffer.close(timeout_s=10)
    with engine.connect() as conn:
        after = conn.execute(select(func.count()).select_from(TraceEvent)).scalar_one()
    return {"events": count, "written": after - before, "flushed_in_time": flushed,
            "record_s": round(t1 - t0, 3), "total_s": round(t2 - t0, 3),
            "events_per_s": round(count / (t2 - t0), 1), "record_events_per_s": round(count / (t1 - t0), 1)}


# -- diagnostics -----------------------------------------------------------------------------------
@contextmanager
def captured_sql(engine: Engine) -> Iterator[list[tuple[str, Any, float]]]:
    """Every statement run on ``engine`` meanwhile: (SQL, parameters, ms)."""
    seen: list[tuple[str, Any, float]] = []

    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        conn.info.setdefault("bench_t0", []).append(time.perf_counter())

    def after(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        t0 = conn.info["bench_t0"].pop()
        seen.append((statement, parameters, (time.perf_counter() - t0) * 1e3))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def label(statement: str) -> str:
    """A short, stable name for a statement: verb, table, where clause with parameters elided."""
    s = " ".join(statement.split())
    verb = s.split(" ", 1)[0].upper()
    table = re.search(r"\b(?:FROM|INTO|UPDATE)\s+(\w+)", s, re.I)
    where = re.search(r"\bWHERE\s+(.*?)(?:\s+ORDER BY|\s+LIMIT|\s+RETURNING|$)", s, re.I)
    cond = where.group(1) if where else ""
    cond = re.sub(r"(?:%\(\w+\)s|\?|\$\d+)(?:::\w+)?", "?", cond)  # one placeholder style, no casts
    cond = re.sub(r"\(\s*\?(?:\s*,\s*\?)*\s*\)", "(…)", cond)  # IN lists of any length
    return f"{verb} {table.group(1) if table else '?'}" + (f" WHERE {cond[:90]}" if cond else "")


def explain(engine: Engine, factory: Any, numbers: list[str], breakdown_reads: int) -> dict[str, Any]:
    """Query plans of one 360° read's statements, and SQL time per statement over ``breakdown_reads`` reads."""
    with captured_sql(engine) as seen:
        one_read(factory, numbers[0])
    plans = []
    with engine.connect() as conn:
        for statement, parameters, _ in seen:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            if engine.dialect.name == "postgresql":
                prefix = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) "
            else:
                prefix = "EXPLAIN QUERY PLAN "
            rows = conn.exec_driver_sql(prefix + statement, parameters).fetchall()
            plan = [str(r[-1]) for r in rows]
            plans.append({"statement": label(statement), "plan": plan})
        conn.rollback()
    per: dict[str, list[float]] = defaultdict(list)
    wall = 0.0
    with captured_sql(engine) as seen:
        for number in numbers[1:1 + breakdown_reads]:
            wall += one_read(factory, number)[3]
    n = max(1, min(breakdown_reads, len(numbers) - 1))
    for statement, _, ms in seen:
        per[label(statement)].append(ms)
    sql_total = sum(sum(v) for v in per.values())
    breakdown = sorted(({"statement": k, "per_read": round(len(v) / n, 2), "ms_per_read": round(sum(v) / n, 3),
                         "p95_ms": summarise(v)["p95"]} for k, v in per.items()), key=lambda r: -r["ms_per_read"])
    return {"plans": plans, "breakdown_reads": n, "statements_per_read": round(len(seen) / n, 1),
            "sql_ms_per_read": round(sql_total / n, 3), "wall_ms_per_read": round(wall / n, 3),
            "python_ms_per_read": round((wall - sql_total) / n, 3), "by_statement": breakdown}


def profile_reads(factory: Any, numbers: list[str], out: Path | None) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for number in numbers:
        one_read(factory, number)
    profiler.disable()
    if out:
        profiler.dump_stats(str(out))
    buf = io.StringIO()
    stats = pstats.Stats(profiler, stream=buf).sort_stats("cumulative")
    stats.print_stats(35)
    buf.write("\n--- by own time ---\n")
    stats.sort_stats("tottime").print_stats(25)
    return buf.getvalue()


# -- reporting -------------------------------------------------------------------------------------
def machine(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            version = conn.execute(text("SHOW server_version")).scalar_one()
            settings = {name: conn.execute(text(f"SHOW {name}")).scalar_one()
                        for name in ("shared_buffers", "synchronous_commit", "fsync", "work_mem")}
            version = f"{version} ({', '.join(f'{k}={v}' for k, v in settings.items())})"
        else:
            version = conn.execute(text("SELECT sqlite_version()")).scalar_one()
    return {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "database": engine.dialect.name, "database_version": version}


def ratio(a: dict[str, Any], b: dict[str, Any], key: str) -> float | None:
    return round(a[key] / b[key], 1) if a.get(key) and b.get(key) else None


def print_report(result: dict[str, Any]) -> None:
    s = result["seeding"]
    if s:
        console.print(f"[bold]seeding[/bold] {s['customers']:,} customers, {s['rows']:,} rows in {s['synthetic_s']} s "
                      f"({s['customers_per_s']:,} customers/s, {s['rows_per_s']:,} rows/s); schema + reference "
                      f"{s['schema_and_reference_s']} s; ANALYZE {s['analyze_s']} s")
    table = Table(title=f"CRM at {result['customers']:,} customers — {result['db']}")
    for col in ("measure", "n", "p50 ms", "p95 ms", "p99 ms", "max ms", "throughput"):
        table.add_column(col, justify="left" if col == "measure" else "right")

    def row(name: str, st: dict[str, Any], throughput: str = "") -> None:
        table.add_row(name, str(st.get("n", 0)), *(f"{st[k]:.2f}" if k in st else "—"
                                                   for k in ("p50", "p95", "p99", "max")), throughput)

    r = result["reads"]
    row("find_by_line", r["find_by_line"])
    row("view360", r["view360"])
    row("commit (traces)", r["commit"])
    row("view360_by_line (1 txn)", r["view360_by_line"])
    row("find_by_line + view360 (1 txn)", r["both"],
        f"{r['reads_per_s']} reads/s, {r['client_cpu_ms_per_read']} ms CPU/read")
    row("bare SQL line → customer", result["bare_lookup"])
    e = result["edits"]
    row("update_contact (1 txn)", e["per_edit"], f"{e['edits_per_s']} edits/s")
    t = result["traces"]
    table.add_row("TraceBuffer record + flush", str(t["events"]), "", "", "", "", f"{t['events_per_s']:,} events/s")
    console.print(table)
    rt = result["ratios"]
    console.print(f"360° read / bare lookup: p50 ×{rt['p50']}, p95 ×{rt['p95']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), required=True)
    parser.add_argument("--customers", type=int, required=True, help="synthetic customers to seed")
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument("--edits", type=int, default=2000)
    parser.add_argument("--traces", type=int, default=50_000)
    parser.add_argument("--warmup", type=int, default=50, help="uncounted operations before each phase")
    parser.add_argument("--phase-limit", type=float, default=600.0, help="seconds, per measured phase")
    parser.add_argument("--seed-limit", type=float, default=3600.0, help="seconds, for seeding")
    parser.add_argument("--no-analyze", action="store_true", help="do not ANALYZE after seeding")
    parser.add_argument("--reuse", action="store_true", help="keep the database already seeded (no reset, no seed)")
    parser.add_argument("--explain", action="store_true", help="query plans and SQL time per statement")
    parser.add_argument("--breakdown-reads", type=int, default=200)
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="cProfile N extra reads")
    parser.add_argument("--profile-out", type=Path)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--cleanup", action="store_true", help="delete the database at the end (it is large)")
    args = parser.parse_args()

    rng = random.Random(20261123)
    url = url_for(args.db) if args.reuse else reset_database(args.db)
    engine = make_engine(url)
    factory = session_factory(engine)
    result: dict[str, Any] = {"db": args.db, "customers": args.customers,
                              "date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(engine),
                              "command": " ".join([Path(sys.executable).name, *sys.argv])}
    result["seeding"] = None if args.reuse else seed(engine, args.customers, args.seed_limit, not args.no_analyze)
    result["database_bytes"] = database_size(engine)

    extra = (args.breakdown_reads + 1 if args.explain else 0) + args.profile
    sample = sample_lines(engine, args.warmup + args.reads + extra, rng)
    numbers = [n for n, _ in sample]
    read_numbers, extra_numbers = numbers[:args.warmup + args.reads], numbers[args.warmup + args.reads:]
    result["reads"] = reads(factory, read_numbers, args.warmup, args.phase_limit)
    result["bare_lookup"] = bare_lookups(engine, read_numbers, args.warmup, args.phase_limit)
    result["ratios"] = {k: ratio(result["reads"]["both"], result["bare_lookup"], k) for k in ("p50", "p95")}
    top = FIRST_SYNTHETIC_ID + args.customers - 1
    edit_ids = [rng.randint(FIRST_SYNTHETIC_ID, top) for _ in range(args.warmup + args.edits)]
    result["edits"] = edits(factory, edit_ids, args.warmup, rng, args.phase_limit)
    result["traces"] = trace_ingest(engine, factory, args.traces, args.phase_limit)
    if args.explain:
        result["explain"] = explain(engine, factory, extra_numbers[:args.breakdown_reads + 1], args.breakdown_reads)
    if args.profile:
        result["profile"] = profile_reads(factory, extra_numbers[-args.profile:], args.profile_out)
    result["budget"] = {"read_p95_ms_max": 15,
                        "read_p95_ok": result["reads"]["view360_by_line"].get("p95", 1e9) <= 15,
                        "trace_events_per_s_min": 5000,
                        "trace_ok": result["traces"]["events_per_s"] >= 5000}

    print_report(result)
    if args.explain:
        ex = result["explain"]
        console.print(f"\n[bold]SQL per 360° read[/bold] ({ex['breakdown_reads']} reads): {ex['statements_per_read']} "
                      f"statements, SQL {ex['sql_ms_per_read']} ms, Python {ex['python_ms_per_read']} ms, "
                      f"wall {ex['wall_ms_per_read']} ms")
        t = Table()
        for col in ("statement", "per read", "ms/read", "p95 ms"):
            t.add_column(col)
        for r in ex["by_statement"]:
            t.add_row(r["statement"], str(r["per_read"]), f"{r['ms_per_read']:.3f}", f"{r['p95_ms']:.3f}")
        console.print(t)
        for p in ex["plans"]:
            console.print(f"[cyan]{p['statement']}[/cyan]")
            for line in p["plan"]:
                console.print(f"    {line}", markup=False, highlight=False)
    if args.profile:
        console.print(result["profile"], markup=False, highlight=False)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str))
        console.print(f"written: {args.json}")
    engine.dispose()
    if args.cleanup:
        drop_database(args.db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
