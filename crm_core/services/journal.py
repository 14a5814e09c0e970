"""A local, append-only journal of the traces not yet in the database, so that none is lost when the process
is killed (``kill -9``, an out-of-memory kill, a crash) between ``record`` and the batch's commit.

Each record is one JSON line written with one ``write`` on a file opened in append mode: once the call returns,
the line is in the operating system's hands and survives the process (not a power cut: that is the database's
durability, for what is committed). The file belongs to one run of one process; its ``JournalMark`` row in the
database says how far its records are committed, and moves on in the same transaction as each batch, so a
record is never written twice. When a process starts, ``recover`` inserts the records past each mark, then
deletes the file. A file with no mark in this database belongs to another database and is left alone.
"""

import json
import logging
import os
import threading
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.orm import Session, sessionmaker

from crm_core.core.db import transaction
from crm_core.models import JournalMark, TraceEvent

log = logging.getLogger(__name__)
SUFFIX = ".traces.jsonl"
REPLAY_BATCH = 1000


class Journal:
    """This run's journal file; ``append`` gives each record its sequence number."""

    def __init__(self, directory: Path, sessions: sessionmaker[Session]) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.name = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:12]}{SUFFIX}"
        self.path = directory / self.name
        with transaction(sessions) as session:  # the mark first: a file without one is another database's
            session.add(JournalMark(name=self.name, committed_seq=0))
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._lock = threading.Lock()
        self._seq = 0

    def append(self, row: dict[str, Any]) -> int:
        """Write the row (``occurred_at`` a datetime) as one line; returns its sequence number."""
        with self._lock:
            self._seq += 1
            line = json.dumps({**row, "seq": self._seq, "occurred_at": row["occurred_at"].isoformat()},
                              ensure_ascii=False, default=str) + "\n"
            os.write(self._fd, line.encode())
            return self._seq

    def close(self, committed: bool) -> None:
        """Close the file; delete it (and its mark) when everything in it is committed."""
        os.close(self._fd)
        if committed:
            self.path.unlink(missing_ok=True)

    def forget_mark(self, sessions: sessionmaker[Session]) -> None:
        with transaction(sessions) as session:
            mark = session.get(JournalMark, self.name)
            if mark is not None:
                session.delete(mark)


def mark_committed(session: Session, name: str, seq: int) -> None:
    """In the batch's own transaction: the journal's records up to ``seq`` are in the database."""
    session.execute(update(JournalMark).where(JournalMark.name == name, JournalMark.committed_seq < seq)
                    .values(committed_seq=seq))


def _records(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("rb") as f:
        for raw in f:
            if not raw.endswith(b"\n"):
                log.warning("journal %s: a torn last line (the process died while writing it) is skipped",
                            path.name)
                return
            try:
                yield json.loads(raw)
            except ValueError:
                log.error("journal %s: an unreadable line is skipped", path.name)


def recover(directory: Path, sessions: sessionmaker[Session]) -> int:
    """Insert the records of earlier runs' journals that never reached the database; returns how many."""
    if not directory.is_dir():
        return 0
    recovered = 0
    for path in sorted(directory.glob(f"*{SUFFIX}")):
        with sessions() as session:
            mark = session.get(JournalMark, path.name)
            committed = mark.committed_seq if mark is not None else None
        if committed is None:
            continue  # another database's journal (or one whose mark was never written): not ours
        batch: list[dict[str, Any]] = []
        last = committed
        for record in _records(path):
            if record["seq"] <= committed:
                continue
            batch.append(_row(record))
            last = record["seq"]
            if len(batch) >= REPLAY_BATCH:
                _insert(sessions, path.name, batch, last)
                recovered, batch = recovered + len(batch), []
        if batch:
            _insert(sessions, path.name, batch, last)
            recovered += len(batch)
        with transaction(sessions) as session:
            session.execute(JournalMark.__table__.delete().where(JournalMark.name == path.name))
        path.unlink(missing_ok=True)
        log.info("journal %s: recovered up to record %d", path.name, last)
    return recovered


def _row(record: dict[str, Any]) -> dict[str, Any]:
    return {"name": record["name"], "actor": record["actor"], "call_id": record.get("call_id"),
            "customer_id": record.get("customer_id"), "data": record.get("data") or {},
            "occurred_at": datetime.fromisoformat(record["occurred_at"])}


def _insert(sessions: sessionmaker[Session], name: str, rows: Iterable[dict[str, Any]], last: int) -> None:
    with transaction(sessions) as session:
        session.execute(insert(TraceEvent), list(rows))
        mark_committed(session, name, last)
