"""No trace is lost when the process is killed: a real process recording traces as fast as it can is killed
with SIGKILL, then the next start replays its journal; every trace it had recorded is there, exactly once."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm_core.core.db import create_schema, make_engine, session_factory
from crm_core.models import JournalMark, TraceEvent
from crm_core.services.actor import Actor
from crm_core.services.trace_buffer import TraceBuffer

REPO = Path(__file__).resolve().parents[3]
RECORDER = """
import sys
from pathlib import Path
from crm_core.core.db import make_engine, session_factory
from crm_core.services.actor import Actor
from crm_core.services.trace_buffer import TraceBuffer

buffer = TraceBuffer(session_factory(make_engine(sys.argv[1])), journal_dir=Path(sys.argv[2]))
actor, i = Actor("kill.test"), 0
while True:
    buffer.record("call.held", actor, call_id=f"k-{i}", n=i)
    sys.stdout.write(f"{i}\\n")  # printed once record() returned: this trace must survive
    sys.stdout.flush()
    i += 1
"""


def _sessions(tmp_path: Path) -> sessionmaker[Session]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{tmp_path / 'crm.sqlite3'}")
    create_schema(engine)
    return session_factory(engine)


def test_a_clean_close_leaves_no_journal(tmp_path: Path) -> None:
    sessions = _sessions(tmp_path)
    buffer = TraceBuffer(sessions, journal_dir=tmp_path / "journal")
    for i in range(100):
        buffer.record("call.held", Actor("n1.demo"), n=i)
    buffer.close()
    assert list((tmp_path / "journal").iterdir()) == []
    with sessions() as s:
        assert s.scalar(select(JournalMark)) is None
        assert sorted(d["n"] for d in s.scalars(select(TraceEvent.data))) == list(range(100))


def test_a_process_killed_while_recording_loses_no_trace(tmp_path: Path) -> None:
    sessions = _sessions(tmp_path)
    journal = tmp_path / "journal"
    child = subprocess.Popen([sys.executable, "-c", RECORDER, f"sqlite:///{tmp_path / 'crm.sqlite3'}", str(journal)],
                             stdout=subprocess.PIPE, text=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert child.stdout is not None
    last, deadline = -1, time.monotonic() + 60
    while last < 3000 and time.monotonic() < deadline:  # well into its stream, its writer thread committing
        last = int(child.stdout.readline())
    os.kill(child.pid, signal.SIGKILL)
    last = max([last, *(int(line) for line in child.stdout.read().split())])  # what it printed before dying
    child.wait(10)
    assert child.returncode == -signal.SIGKILL and last >= 3000

    with sessions() as s:
        before = s.scalar(select(TraceEvent.id).order_by(TraceEvent.id.desc()).limit(1)) or 0
    restarted = TraceBuffer(sessions, journal_dir=journal)  # the next start
    restarted.close()
    with sessions() as s:
        seen = [d["n"] for d in s.scalars(select(TraceEvent.data).where(TraceEvent.name == "call.held"))]
    assert restarted.recovered > 0  # the killed run had recorded more than it had committed
    assert len(seen) == len(set(seen)), "a trace was written twice"
    assert set(range(last + 1)) <= set(seen), "a trace recorded before the kill is missing"
    assert before < len(seen)
    assert list(journal.iterdir()) == []  # replayed, then deleted


def test_another_databases_journal_is_left_alone(tmp_path: Path) -> None:
    ours, theirs = _sessions(tmp_path / "a"), _sessions(tmp_path / "b")
    journal = tmp_path / "journal"
    foreign = TraceBuffer(theirs, journal_dir=journal)
    foreign.record("call.held", Actor("n1.demo"), n=1)
    # killed before anything else (its file stays, with its mark in its own database only)
    foreign._journal.close(committed=False)  # type: ignore[union-attr]  # (the kill, without a process)
    buffer = TraceBuffer(ours, journal_dir=journal)
    buffer.close()
    assert buffer.recovered == 0
    assert len(list(journal.iterdir())) == 1  # the other database's run is still waiting for it
