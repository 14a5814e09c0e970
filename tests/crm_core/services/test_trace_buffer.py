import threading

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm_core.models import TraceEvent
from crm_core.services.actor import Actor
from crm_core.services.trace_buffer import TraceBuffer
from tests.conftest import count_rows

ADVISOR = Actor("n1.demo", call_id="c-1")


def test_recorded_events_are_all_committed_in_order_with_their_own_time(sessions: sessionmaker[Session]) -> None:
    buffer = TraceBuffer(sessions, max_batch=7)
    for i in range(50):
        buffer.record("call.held", ADVISOR, customer_id=1, n=i)
    assert buffer.flush()
    with sessions() as s:
        events = list(s.scalars(select(TraceEvent).order_by(TraceEvent.id)))
    assert [e.data["n"] for e in events] == list(range(50))
    assert {(e.actor, e.call_id, e.customer_id) for e in events} == {("n1.demo", "c-1", 1)}
    assert all(a.occurred_at <= b.occurred_at for a, b in zip(events, events[1:], strict=False))


def test_recording_from_many_threads_loses_nothing(sessions: sessionmaker[Session]) -> None:
    buffer = TraceBuffer(sessions)

    def burst(k: int) -> None:
        for i in range(200):
            buffer.record("nlu.predicted", ADVISOR, k=k, i=i)

    threads = [threading.Thread(target=burst, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    buffer.close()
    assert count_rows(sessions, "SELECT count(*) FROM trace_events") == 800
    with pytest.raises(RuntimeError, match="closed"):
        buffer.record("call.ended", ADVISOR)


def test_a_failing_database_is_retried_not_dropped(sessions: sessionmaker[Session]) -> None:
    calls = {"n": 0}
    real = sessions

    def flaky() -> Session:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("database restarting")
        return real()

    buffer = TraceBuffer(flaky)  # type: ignore[arg-type]
    buffer.record("call.answered", ADVISOR)
    assert buffer.flush()
    assert calls["n"] >= 2
    assert count_rows(sessions, "SELECT count(*) FROM trace_events WHERE name='call.answered'") == 1


def test_traces_cannot_be_changed_or_deleted_through_the_orm(sessions: sessionmaker[Session]) -> None:
    from crm_core.core.db import transaction
    from crm_core.models.trace import TraceIsAppendOnly
    from crm_core.services import tracing

    with transaction(sessions) as s:
        tracing.record(s, "customer.read", ADVISOR, customer_id=1)
    for change in ("update", "delete"):
        with pytest.raises(TraceIsAppendOnly), transaction(sessions) as s:
            event = s.scalars(select(TraceEvent)).one()
            if change == "update":
                event.actor = "someone.else"
            else:
                s.delete(event)
    assert count_rows(sessions, "SELECT count(*) FROM trace_events WHERE actor = 'n1.demo'") == 1
