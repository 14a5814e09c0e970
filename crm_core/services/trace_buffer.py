"""Traces written in batches by one background thread, off the latency-critical path.

For the copilot's own events (call steps, NLU predictions, pops): ``record`` returns at once, with the
event's time taken then; a writer thread commits what has queued up in one transaction. A failed batch is
retried, never dropped; ``close`` (on shutdown) writes everything still queued. Reads and acts of customer
data do not use this: their trace is written in the same transaction as the read or the act.

With a journal directory, ``record`` first appends the event to this run's local journal
(``crm_core.services.journal``): a process killed before the batch's commit loses nothing, the next start
replays what the database does not have (exactly once: the journal's mark moves in the batch's transaction).
"""

import logging
import queue
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from crm_core.core.db import transaction
from crm_core.models import TraceEvent
from crm_core.models.base import utcnow
from crm_core.services import trace_names
from crm_core.services.actor import Actor
from crm_core.services.journal import Journal, mark_committed, recover

log = logging.getLogger(__name__)
SEQ = "_journal_seq"  # the row's number in this run's journal (not a column)


class TraceBuffer:
    def __init__(self, sessions: sessionmaker[Session], max_batch: int = 500, journal_dir: Path | None = None) -> None:
        self._sessions = sessions
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[dict[str, Any] | threading.Event] = queue.SimpleQueue()
        self._closed = False
        self.recovered = 0
        self._journal: Journal | None = None
        if journal_dir is not None:
            self.recovered = recover(journal_dir, sessions)  # what an earlier run recorded and never committed
            if self.recovered:
                log.warning("%d trace events of an earlier run recovered from its journal", self.recovered)
            self._journal = Journal(journal_dir, sessions)
        self._thread = threading.Thread(target=self._run, name="trace-buffer", daemon=True)
        self._thread.start()

    def record(self, name: str, actor: Actor, *, customer_id: int | None = None, call_id: str | None = None,
               **data: Any) -> None:
        """Queue one event (ValueError for a name not registered in ``trace_names``)."""
        trace_names.require(name)
        if self._closed:
            raise RuntimeError("trace buffer closed")
        row = {"name": name, "actor": actor.login, "call_id": call_id or actor.call_id,
               "customer_id": customer_id, "data": data, "occurred_at": utcnow()}
        if self._journal is not None:
            row[SEQ] = self._journal.append(row)  # on disk before it is queued: a kill now loses nothing
        self._queue.put(row)

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Block until everything recorded before this call is committed."""
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout_s)

    def close(self, timeout_s: float = 10.0) -> None:
        flushed = self.flush(timeout_s)
        self._closed = True
        if self._journal is not None:
            self._journal.close(committed=flushed)  # kept for the next start when something did not make it
            if flushed:
                self._journal.forget_mark(self._sessions)

    def _run(self) -> None:
        while True:
            batch: list[dict[str, Any]] = []
            markers: list[threading.Event] = []
            item = self._queue.get()
            while True:
                (markers if isinstance(item, threading.Event) else batch).append(item)  # type: ignore[arg-type]
                if len(batch) >= self._max_batch:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            self._write(batch)
            for marker in markers:
                marker.set()

    def _write(self, batch: list[dict[str, Any]]) -> None:
        delay = 0.1
        last = max((row.get(SEQ, 0) for row in batch), default=0)
        rows = [{k: v for k, v in row.items() if k != SEQ} for row in batch]
        while batch:
            try:
                with transaction(self._sessions) as session:
                    session.execute(insert(TraceEvent), rows)
                    if self._journal is not None and last:
                        mark_committed(session, self._journal.name, last)
                return
            except Exception:
                log.exception("writing %d trace events failed; retrying in %.1f s", len(batch), delay)
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
