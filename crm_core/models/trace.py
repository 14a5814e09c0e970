from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.models.base import Base, utcnow


class TraceEvent(Base):
    """One traced fact (append-only): a call step, an NLU prediction, a data read, an act."""

    __tablename__ = "trace_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    name: Mapped[str] = mapped_column(String(60))  # dotted: call.answered, nlu.predicted, customer.read…
    actor: Mapped[str] = mapped_column(String(80))  # advisor login or component name
    call_id: Mapped[str | None] = mapped_column(String(80))
    customer_id: Mapped[int | None] = mapped_column()
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (
        Index("ix_trace_events_call_id", "call_id"),
        Index("ix_trace_events_customer_id", "customer_id"),
        Index("ix_trace_events_name_occurred_at", "name", "occurred_at"),  # a kind of event over a period
    )


class TraceIsAppendOnly(RuntimeError):
    pass


@event.listens_for(TraceEvent, "before_update")
@event.listens_for(TraceEvent, "before_delete")
def _append_only(_mapper, _connection, target: TraceEvent) -> None:  # type: ignore[no-untyped-def]
    raise TraceIsAppendOnly(f"trace event {target.id} cannot be changed or deleted: traces are append-only")
