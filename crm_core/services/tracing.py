"""Append-only trace of everything the copilot does. Written in the caller's transaction.

Only names registered in ``trace_names`` may be recorded (ValueError otherwise).
"""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.models import TraceEvent
from crm_core.services import trace_names
from crm_core.services.actor import Actor


def record(
    session: Session,
    name: str,
    actor: Actor,
    *,
    customer_id: int | None = None,
    call_id: str | None = None,
    **data: Any,
) -> TraceEvent:
    trace_names.require(name)
    event = TraceEvent(
        name=name,
        actor=actor.login,
        call_id=call_id or actor.call_id,
        customer_id=customer_id,
        data=data,
    )
    session.add(event)
    return event


def for_call(session: Session, call_id: str) -> list[TraceEvent]:
    return list(session.scalars(select(TraceEvent).where(TraceEvent.call_id == call_id).order_by(TraceEvent.id)))
