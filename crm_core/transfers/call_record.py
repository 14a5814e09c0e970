"""What a call really did, read back from its trace: the handover and the prerequisites are built from this
and nothing else (with the CRM for the customer's facts), so they never say what did not happen."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from crm_core.acts import scripts
from crm_core.models import TraceEvent
from crm_core.services import tracing


@dataclass(frozen=True)
class ActDone:
    act: str
    label: str
    summary: str
    result: dict[str, Any]
    shows: tuple[str, ...]
    at: datetime
    by: str
    trace_id: int


@dataclass(frozen=True)
class ActNotDone:
    act: str
    stage: str  # refused: open | preview | execute; previewed: the act was previewed and never done
    reason: str | None
    at: datetime


@dataclass
class CallRecord:
    call_id: str
    customer_id: int | None = None
    caller_number: str | None = None  # as the bridge gave it (not part of the handover: the call's own pop shows it)
    identified_by: str | None = None  # "line": found by the caller's number; "advisor": attached by hand
    reason: str | None = None  # the caller's words, as the bridge heard them
    predicted_journey: str | None = None
    journey: str | None = None  # what the panel showed last (the advisor's correction wins)
    corrected: bool = False
    acts: list[ActDone] = field(default_factory=list)
    not_done: list[ActNotDone] = field(default_factory=list)
    chat: list[str] = field(default_factory=list)  # what the advisor asked the copilot
    started_at: datetime | None = None
    trace_ids: list[int] = field(default_factory=list)

    @property
    def acts_done(self) -> list[str]:
        return [a.act for a in self.acts]

    def script_steps_done(self) -> set[str]:
        """Ids of the guided scripts' steps done during the call (``run_script``)."""
        return {s["id"] for a in self.acts if a.act == "run_script"
                for s in a.result.get("steps") or [] if isinstance(s, dict) and s.get("done")}


def read(session: Session, call_id: str) -> CallRecord:
    """The call's record from its trace (the copilot's buffered traces must have been flushed before)."""
    record = CallRecord(call_id)
    previewed: dict[str, TraceEvent] = {}
    for t in tracing.for_call(session, call_id):
        data = t.data or {}
        record.trace_ids.append(t.id)
        record.started_at = record.started_at or t.occurred_at
        if t.customer_id is not None and t.name in ("screen_pop.sent", "act.done", "customer.lookup"):
            record.customer_id = t.customer_id
        if t.name.startswith("call.") and isinstance(data.get("caller_number"), str) and data["caller_number"]:
            record.caller_number = data["caller_number"]
        if t.name.startswith("call.") and isinstance(data.get("reason"), str) and data["reason"]:
            record.reason = data["reason"]  # the caller's words as the bridge heard them (the last one wins)
        match t.name:
            case "customer.lookup" if data.get("found") and data.get("by") == "line":
                record.identified_by = "line"
            case "nlu.predicted":
                record.predicted_journey = data.get("journey")
            case "nlu.corrected":
                record.journey, record.corrected = data.get("journey"), True
                record.reason = record.reason or data.get("reason")
            case "screen_pop.sent":
                if not record.corrected:
                    record.journey = data.get("journey") or record.journey
                if data.get("identified") and t.customer_id is not None and record.identified_by is None:
                    record.identified_by = "advisor"
            case "chat.asked" if isinstance(data.get("text"), str):
                record.chat.append(data["text"])
            case "act.previewed":
                previewed[str(data.get("act"))] = t
            case "act.done":
                code = str(data.get("act"))
                previewed.pop(code, None)
                record.acts.append(ActDone(code, str(data.get("label") or code), str(data.get("summary") or ""),
                                           dict(data.get("result") or {}), tuple(data.get("shows") or ()),
                                           t.occurred_at, t.actor, t.id))
            case "act.refused":
                record.not_done.append(ActNotDone(str(data.get("act")), str(data.get("stage") or ""),
                                                  data.get("reason"), t.occurred_at))
    for code, t in previewed.items():  # previewed, never done (nor refused after)
        if not any(n.act == code and n.at >= t.occurred_at for n in record.not_done):
            record.not_done.append(ActNotDone(code, "previewed", None, t.occurred_at))
    record.not_done.sort(key=lambda n: n.at)
    return record


def next_script_step(done: ActDone) -> str | None:
    """The first step of a guided script left undone in a ``run_script`` (None when solved or all done)."""
    if done.act != "run_script" or done.result.get("solved"):
        return None
    script = scripts.get(str(done.result.get("script")))
    steps = {s.get("id"): s.get("done") for s in done.result.get("steps") or [] if isinstance(s, dict)}
    if script is None:
        return None
    todo = next((s for s in script.steps if not steps.get(s.id)), None)
    return todo.instruction if todo else None
