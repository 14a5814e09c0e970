"""What it costs not to lose a trace on ``kill -9``: the local journal against the database's own durability.

Three ways to record a trace, each timed on the same database (``--database sqlite|postgresql``):

* ``buffer`` — the trace buffer alone (queued in memory, committed in batches by a writer thread): fast, but
  what is queued when the process is killed is lost (the baseline);
* ``journal`` — the buffer with its local journal (one ``write`` of one JSON line before the event is queued;
  replayed at the next start): what the copilot does;
* ``sync`` — one transaction per trace (``tracing.record`` then commit): the database's own durability.

For each: the latency of one ``record`` call as the caller waits for it (p50, p95, microseconds), and the
throughput until every trace is committed (events per second), over ``--events`` traces in a row.
Run from the repository root::

    .venv/bin/python -m benchmarks.trace_durability --database sqlite --out docs/benchmarks-durability.md
    .venv/bin/python -m benchmarks.trace_durability --database postgresql --out docs/benchmarks-durability.md
"""

import argparse
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from benchmarks.stats import summarise  # noqa: E402
from crm_core.core.db import create_schema, make_engine, session_factory, transaction  # noqa: E402
from crm_core.services import tracing  # noqa: E402
from crm_core.services.actor import Actor  # noqa: E402
from crm_core.services.trace_buffer import TraceBuffer  # noqa: E402

ACTOR = Actor("bench.durability", call_id="bench-call")
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/copilot_bench_durability"
DATA = {"caller_number": "0712345678", "agent": "n1.demo", "ivr_choice": "2", "has_reason": True,
        "reason": "bonjour je déménage le mois prochain et je voudrais garder ma box"}
MODES = ("buffer", "journal", "sync")


def _database(kind: str, folder: Path) -> sessionmaker[Session]:
    if kind == "sqlite":
        engine = make_engine(f"sqlite:///{folder / 'crm.sqlite3'}")
    else:
        import psycopg

        with psycopg.connect(PG_URL.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0]
                             + "/postgres", autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS copilot_bench_durability")
            conn.execute("CREATE DATABASE copilot_bench_durability")
        engine = make_engine(PG_URL)
    create_schema(engine)
    return session_factory(engine)


def run(mode: str, sessions: sessionmaker[Session], events: int, folder: Path) -> dict[str, object]:
    with transaction(sessions) as s:
        s.execute(text("DELETE FROM trace_events"))
    waits: list[float] = []
    started = time.perf_counter()
    if mode == "sync":
        for i in range(events):
            t0 = time.perf_counter()
            with transaction(sessions) as s:
                tracing.record(s, "call.offered", ACTOR, n=i, **DATA)
            waits.append((time.perf_counter() - t0) * 1e6)
    else:
        buffer = TraceBuffer(sessions, journal_dir=folder / f"journal-{mode}" if mode == "journal" else None)
        for i in range(events):
            t0 = time.perf_counter()
            buffer.record("call.offered", ACTOR, n=i, **DATA)
            waits.append((time.perf_counter() - t0) * 1e6)
        buffer.close(timeout_s=600)
    total = time.perf_counter() - started
    with sessions() as s:
        committed = s.execute(text("SELECT count(*) FROM trace_events")).scalar_one()
    assert committed == events, (mode, committed)
    stats = summarise(waits)
    return {"mode": mode, "p50_us": stats["p50"], "p95_us": stats["p95"], "max_us": stats["max"],
            "events_per_s": round(events / total)}


def report(database: str, rows: list[dict[str, object]], events: int) -> str:
    base = next(r for r in rows if r["mode"] == "buffer")
    lines = [f"<!-- {database} -->", f"### {database}", "",
             f"{events} traces in a row, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, "
             f"Python {platform.python_version()}.", "",
             "| mode | `record` p50 (µs) | p95 (µs) | max (µs) | throughput until committed (events/s) | "
             "p50 vs buffer |", "| --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        lines.append(f"| {r['mode']} | {r['p50_us']} | {r['p95_us']} | {r['max_us']} | {r['events_per_s']} | "
                     f"{float(r['p50_us']) / float(base['p50_us']):.1f}× |")  # type: ignore[arg-type]
    lines.append(f"<!-- /{database} -->")
    return "\n".join(lines) + "\n"


def write_section(out: Path, database: str, section: str) -> None:
    head = ("# Not losing a trace on `kill -9`: what it costs\n\n"
            "`benchmarks/trace_durability.py` (see its docstring): `buffer` loses what is queued when the process\n"
            "is killed; `journal` (what the copilot does) and `sync` lose nothing. The kill tests are\n"
            "`tests/crm_core/services/test_journal.py` and `tests/integration/test_kill.py`.\n\n")
    text_ = out.read_text() if out.exists() else head
    start, end = f"<!-- {database} -->", f"<!-- /{database} -->"
    if start in text_:
        text_ = text_[:text_.index(start)] + section + text_[text_.index(end) + len(end) + 1:]
    else:
        text_ = text_.rstrip("\n") + "\n\n" + section
    out.write_text(text_)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        sessions = _database(args.database, Path(tmp))
        rows = [run(mode, sessions, args.events, Path(tmp)) for mode in MODES]
        sessions.kw["bind"].dispose()
    section = report(args.database, rows, args.events)
    print(section)
    if args.out:
        write_section(args.out, args.database, section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
