"""A call read back from its traces: each event the bridge received is traced (and journaled) before its ack,
so the trace is the calls' log. After a restart, the calls in progress are rebuilt from it
(``CallSessionManager.restore``)."""

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm_core.models import TraceEvent
from crm_core.models.base import utcnow
from telephony_bridge.events import CallEvent, CallEventKind

log = logging.getLogger(__name__)
EVENT_TRACES = frozenset(f"call.{kind.value}" for kind in CallEventKind)
OVER = ("call.ended", "call.expired")


def aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def event_from_trace(t: TraceEvent) -> CallEvent | None:
    """The event a ``call.<event>`` trace records, as the bridge received it (None if it cannot be read)."""
    d = t.data or {}
    kind = t.name.removeprefix("call.")
    fields: dict[str, Any] = {"call_id": t.call_id, "event": kind, "caller_number": d.get("caller_number"),
                              "agent": d.get("agent")}
    if d.get("version") == 2:
        fields |= {"version": 2, "event_id": d.get("event_id"), "sequence": d.get("sequence"),
                   "transcript": d.get("transcript"), "transfer": d.get("transfer"), "data": d.get("data")}
        if kind == CallEventKind.DTMF.value:
            fields["digits"] = d.get("ivr_choice")
    else:
        fields["ivr_choice"] = d.get("ivr_choice")
        if d.get("has_reason"):
            fields["reason_transcript"] = d.get("reason")
    try:
        return CallEvent.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValueError:
        log.error("call %s: the trace %s (%s) cannot be read back as an event", t.call_id, t.id, t.name)
        return None


def live_calls(sessions: sessionmaker[Session], idle_s: float) -> dict[str, list[TraceEvent]]:
    """The event traces, in order, of the calls with an event in the last ``idle_s`` seconds and no end."""
    since = utcnow() - timedelta(seconds=idle_s)
    calls: dict[str, list[TraceEvent]] = {}
    with sessions() as db:
        # in steps on the (name, occurred_at) and call_id indexes: a NOT IN over every ended call of the traces
        # took minutes on ten million of them
        recent = sorted(set(db.scalars(select(TraceEvent.call_id).where(
            TraceEvent.name.in_(EVENT_TRACES), TraceEvent.occurred_at >= since, TraceEvent.call_id.is_not(None)))))
        live = []
        for chunk in (recent[i:i + 400] for i in range(0, len(recent), 400)):
            over = set(db.scalars(select(TraceEvent.call_id).where(TraceEvent.call_id.in_(chunk),
                                                                  TraceEvent.name.in_(OVER))))
            live += [c for c in chunk if c not in over]
        for chunk in (live[i:i + 400] for i in range(0, len(live), 400)):
            for t in db.scalars(select(TraceEvent).where(TraceEvent.call_id.in_(chunk),
                                                         TraceEvent.name.in_(EVENT_TRACES)).order_by(TraceEvent.id)):
                calls.setdefault(t.call_id, []).append(t)  # type: ignore[arg-type]
    return dict(sorted(calls.items(), key=lambda item: item[1][0].id))
