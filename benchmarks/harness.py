"""What the database benchmarks share (``benchmarks/acts.py``, ``benchmarks/transfers.py``): a seeded database
and its working copy reset before every repetition, the timing and statement-counting helpers, the common
command-line options and the machine's lines of a report, and one database's section of a Markdown report.
"""

import argparse
import os
import platform
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from crm_core.core.db import make_engine, session_factory
from crm_core.seed import seeded_database

DEMO_TODAY = "2026-12-01"  # the day the demo data tells of (tests/conftest.py)


# -- the databases: a seeded original and a working copy reset before every repetition ----------------------
class SqliteCopies:
    """The working file and its seeded original beside it (``NAME.seed``); a reset copies the one over the other."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.seed = work.with_name(work.name + ".seed")
        self.url = f"sqlite:///{self.work}"
        self.seed_url = f"sqlite:///{self.seed}"

    def prepare(self) -> None:
        for path in (self.seed, self.work):
            _unlink_sqlite(path)

    def seeded(self) -> None:
        """After seeding: the whole database in the main file (the WAL checkpointed), ready to be copied."""
        engine = make_engine(self.seed_url)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()

    def reset(self) -> None:
        _unlink_sqlite(self.work)
        shutil.copyfile(self.seed, self.work)

    def cleanup(self) -> None:
        self.prepare()

    def describe(self, engine: Engine) -> str:
        with engine.connect() as conn:
            version = conn.execute(text("SELECT sqlite_version()")).scalar_one()
        size = self.seed.stat().st_size
        return f"SQLite {version} (file, WAL, synchronous=NORMAL; {size / 1e6:.1f} MB seeded)"


def _unlink_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


class PostgresCopies:
    """The working database ``NAME`` and its seeded original ``NAME_seed``, its template at every reset."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.url = url
        base, self.name = url.rsplit("/", 1)
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", self.name) or "bench" not in self.name:
            # both databases are dropped: a name without "bench" may be someone's real CRM
            raise SystemExit(f"database name {self.name!r}: lower-case letters, digits and _ only, with 'bench' in it")
        self.seed_name = f"{self.name}_seed"
        self.seed_url = f"{base}/{self.seed_name}"
        admin = base.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
        self.admin = psycopg.connect(admin, autocommit=True, connect_timeout=5)

    def prepare(self) -> None:
        for name in (self.name, self.seed_name):
            self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.execute(f'CREATE DATABASE "{self.seed_name}"')

    def seeded(self) -> None:
        pass

    def reset(self) -> None:
        self.admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.admin.execute(f'CREATE DATABASE "{self.name}" TEMPLATE "{self.seed_name}"')

    def cleanup(self) -> None:
        for name in (self.name, self.seed_name):
            self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.close()

    def describe(self, engine: Engine) -> str:
        with engine.connect() as conn:
            version = conn.execute(text("SHOW server_version")).scalar_one()
            settings = {n: conn.execute(text(f"SHOW {n}")).scalar_one()
                        for n in ("shared_buffers", "synchronous_commit", "fsync")}
            size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
        shown = ", ".join(f"{k}={v}" for k, v in settings.items())
        return f"PostgreSQL {version.split()[0]} on 127.0.0.1 over TCP ({shown}; {size / 1e6:.1f} MB seeded)"


@dataclass(frozen=True)
class Bench:
    """A seeded database ready for a run: its copies, the engine and sessions on the working copy, what it is."""

    copies: Any
    engine: Engine
    sessions: sessionmaker[Session]
    described: str
    reset_ms: float
    started: float  # time.perf_counter() at the start
    load_before: float  # the 1-min load average then


@contextmanager
def seeded_copies(database: str, url: str, customers: int, prefix: str,
                  say: Callable[[str], None] = print) -> Iterator[Bench]:
    """The seeded database (catalogue, demo customers and ``customers`` synthetic ones) and its working copy,
    in a temporary folder (SQLite) or as two databases on the server (PostgreSQL), all removed at the end."""
    folder = None
    if database == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix=prefix))
        copies: Any = SqliteCopies(folder / "crm.sqlite3")
    else:
        copies = PostgresCopies(url)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    engine = None
    try:
        copies.prepare()
        t0 = time.perf_counter()
        seeded = seeded_database(copies.seed_url, customers)
        seeded.kw["bind"].dispose()
        copies.seeded()
        seed_s = time.perf_counter() - t0
        engine = make_engine(copies.url)
        t0 = time.perf_counter()
        copies.reset()
        reset_ms = (time.perf_counter() - t0) * 1e3
        described = copies.describe(engine)
        say(f"{described}; {customers} synthetic customers seeded in {seed_s:.1f} s; one reset {reset_ms:.0f} ms")
        yield Bench(copies, engine, session_factory(engine), described, reset_ms, started, load_before)
    finally:
        if engine is not None:
            engine.dispose()
        copies.cleanup()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def run_header(bench: Bench, database: str, repeat: int, warmup: int, customers: int, today: date) -> dict[str, Any]:
    """What every report says of its run: the database, the sizes, the date, the machine and its load."""
    return {
        "database": database, "database_detail": bench.described, "repeat": repeat, "warmup": warmup,
        "customers": customers, "today": today.isoformat(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {"cores": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "cpu": cpu_model()},
        "loadavg_1m": {"before": round(bench.load_before, 2), "after": round(os.getloadavg()[0], 2)},
        "elapsed_s": round(time.perf_counter() - bench.started, 1), "reset_ms": round(bench.reset_ms, 1),
    }


def machine_lines(result: dict[str, Any]) -> list[str]:
    """The report's machine and database lines."""
    m = result["machine"]
    return [
        f"- Machine: {m['cores']} cores ({m['cpu'] or 'unknown CPU'}), {m['platform']}, Python {m['python']}; "
        f"1-min load average {result['loadavg_1m']['before']} before the run, {result['loadavg_1m']['after']} after.",
        f"- Database: {result['database_detail']}; catalogue, the 4 demo customers and {result['customers']} "
        f"synthetic ones; one reset (copy) {result['reset_ms']:.0f} ms.",
    ]


def add_arguments(parser: argparse.ArgumentParser, pg_url: str, per: str = "") -> None:
    """The options every database benchmark takes (``per``: what a repetition is of, e.g. " per act")."""
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--url", default=pg_url,
                        help="PostgreSQL only: the working database, dropped and made again (its name must contain "
                             "'bench'); its seeded original NAME_seed is made beside it; both are dropped at the end. "
                             "SQLite always works in a temporary folder.")
    parser.add_argument("--repeat", type=int, default=30, help=f"timed repetitions{per}")
    parser.add_argument("--warmup", type=int, default=1, help=f"uncounted repetitions{per} first (at least 1)")
    parser.add_argument("--customers", type=int, default=1000, help="synthetic customers besides the demo ones")
    parser.add_argument("--today", default=DEMO_TODAY, help="the pinned date of the demo data")
    parser.add_argument("--out", type=Path, help="Markdown report: this database's section written or replaced")
    parser.add_argument("--json", type=Path, help="also write the figures here")


def check_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.repeat < 1 or args.warmup < 1:
        parser.error("--repeat and --warmup must be at least 1")
    if args.database == "postgresql" and not args.url.startswith("postgresql"):
        parser.error("--url does not name a PostgreSQL database")


# -- measuring ------------------------------------------------------------------------------------------------
@contextmanager
def counted_sql(engine: Engine) -> Iterator[list[int]]:
    """How many statements run on ``engine`` meanwhile (one counter, a list so the caller reads it after)."""
    count = [0]

    def before(*_: Any) -> None:
        count[0] += 1

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield count
    finally:
        event.remove(engine, "before_cursor_execute", before)


def timed(call: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, float, Any]:
    """``call(*args, **kwargs)``: its wall time and this process's CPU time in ms, and what it returned."""
    c0, t0 = time.process_time(), time.perf_counter()
    out = call(*args, **kwargs)
    t1, c1 = time.perf_counter(), time.process_time()
    return (t1 - t0) * 1e3, (c1 - c0) * 1e3, out


def touch_tables(engine: Engine) -> None:
    """One trivial read of every table on the pooled connection: a new PostgreSQL backend's catalogue caches
    (each table and its indexes) are filled before timing, as they are on a server's long-lived connections."""
    with engine.connect() as conn:
        names = [n for n in engine.dialect.get_table_names(conn) if n != "alembic_version"]
        for name in names:
            conn.execute(text(f'SELECT 1 FROM "{name}" LIMIT 1')).all()


# -- the report -----------------------------------------------------------------------------------------------
def cpu_model() -> str | None:
    """The CPU's model name from /proc/cpuinfo (None elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def write_section(path: Path, block: str, begin: str, end: str, head: str) -> None:
    """``block`` (which starts with ``begin`` and ends with ``end``) replaces the file's own section between
    those markers, or is added at the end (to ``head`` for a new file); everything else in the file is kept."""
    current = path.read_text() if path.exists() else head
    if begin in current and end in current:
        before, rest = current.split(begin, 1)
        after = rest.split(end, 1)[1]
        current = before + block + after
    else:
        current = current.rstrip("\n") + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(current)
