"""What one call was, read from its trace events alone (a pure function: the projector gives it the events).

The call belongs to the advisor it was presented to (``agent`` of ``call.answered``, else of the last call
event, else of the screen pop); every act done on the call counts for that call. The figures that need other
calls (repeat contacts) are set by the projector.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from crm_core.models.steering import SUMS

PARIS = ZoneInfo("Europe/Paris")
CALL_EVENTS = ("call.offered", "call.answered", "screen_pop.sent")  # a call_id without one of these is no call
ACCEPTED = frozenset({"change_offer", "create_customer", "add_option"})  # an offer taken by the customer
CROSS_SELL = frozenset({"add_option"})  # a product added beside what the customer holds
# The trace names the projection reads (the others of a call only move ``events`` and ``last_event_at``).
READ = frozenset({*CALL_EVENTS, "call.held", "call.resumed", "call.ended", "call.wrapup", "nlu.predicted",
                  "nlu.corrected", "act.suggested", "act.opened", "act.done", "act.cancelled", "act.refused",
                  "transfer.requested", "transfer.acknowledged", "transfer.closed"})


class Event(Protocol):
    occurred_at: datetime
    name: str
    actor: str
    customer_id: int | None
    data: dict[str, Any]


@dataclass(frozen=True)
class Org:
    """Where an advisor works (codes), as the CRM says now."""

    team: str | None
    centre: str | None
    region: str | None


NOWHERE = Org(None, None, None)


def utc(at: datetime) -> datetime:
    """SQLite gives naive datetimes back: they are UTC."""
    return at.replace(tzinfo=ZoneInfo("UTC")) if at.tzinfo is None else at


def hour_of(at: datetime) -> datetime:
    return utc(at).astimezone(ZoneInfo("UTC")).replace(minute=0, second=0, microsecond=0)


def day_of(at: datetime) -> date:
    return utc(at).astimezone(PARIS).date()


def today() -> date:
    """The steering's today: the Paris day of the real clock (the traces are stamped with it, whatever day
    ``COPILOT_TODAY`` pins for the business rules)."""
    return day_of(datetime.now(ZoneInfo("UTC")))


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _seconds(value: Any) -> float | None:
    try:
        return None if value is None or isinstance(value, bool) else max(0.0, float(value))
    except (TypeError, ValueError):
        return None


def _cents(value: Any) -> int:
    try:
        return max(0, int((Decimal(str(value)) * 100).to_integral_value()))
    except (InvalidOperation, ValueError, TypeError):
        return 0


def _advisor(events: list[Event]) -> str | None:
    answered = [e for e in events if e.name == "call.answered" and e.data.get("agent")]
    if answered:
        return str(answered[0].data["agent"])
    for e in reversed(events):
        if e.name.startswith("call.") and e.data.get("agent") and e.name != "call.wrapup":
            return str(e.data["agent"])
    pops = [e for e in events if e.name == "screen_pop.sent" and e.data.get("agent")]
    return str(pops[-1].data["agent"]) if pops else None


def call_fact(call_id: str, events: Iterable[Event], org_of: Mapping[str, Org]) -> dict[str, Any] | None:
    """The ``call_facts`` row of a call from its events in the order they were recorded (None: not a call)."""
    events = [e for e in events if isinstance(e.data, dict)]
    if not any(e.name in CALL_EVENTS for e in events):
        return None
    times = [utc(e.occurred_at) for e in events]
    started = min(utc(e.occurred_at) for e in events if e.name in CALL_EVENTS)
    advisor = _advisor(events)
    org = org_of.get(advisor or "", NOWHERE)
    fact: dict[str, Any] = {name: 0 for name in SUMS}
    fact.update(call_id=call_id, advisor=advisor, team=org.team, centre=org.centre, region=org.region,
                customer_id=next((e.customer_id for e in reversed(events) if e.customer_id is not None), None),
                journey=None, predicted_journey=None, state="ringing", started_at=started, answered_at=None,
                ended_at=None, last_event_at=max(times), hour=hour_of(started), day=day_of(started),
                transfer_mode=None, acts=[], events=len(events), calls=1)
    held_since: datetime | None = None
    hold = 0.0
    suggested: set[str] = set()
    opened: dict[tuple[str, str], datetime] = {}
    journey_seen: str | None = None
    for e in events:
        at, data = utc(e.occurred_at), e.data
        match e.name:
            case "call.answered" if fact["answered_at"] is None:
                fact["answered_at"], fact["answered"] = at, 1
                if fact["state"] == "ringing":
                    fact["state"] = "talking"
            case "call.held" if fact["state"] != "ended":
                fact["state"], held_since = "held", held_since or at
            case "call.resumed" if fact["state"] != "ended":
                fact["state"] = "talking" if fact["answered_at"] else "ringing"
                if held_since is not None:
                    hold, held_since = hold + (at - held_since).total_seconds(), None
            case "call.ended" if fact["ended_at"] is None:
                fact["ended_at"], fact["state"], fact["ended"] = at, "ended", 1
                durations = data.get("durations") if isinstance(data.get("durations"), dict) else {}
                talk, held = _seconds(durations.get("talk_s")), _seconds(durations.get("hold_s"))
                if held_since is not None:
                    hold, held_since = hold + (at - held_since).total_seconds(), None
                if fact["answered_at"] is not None:
                    fact["hold_s"] = held if held is not None else round(hold, 3)
                    fact["talk_s"] = talk if talk is not None else max(
                        0.0, (at - fact["answered_at"]).total_seconds() - fact["hold_s"])
                else:
                    fact["abandoned"] = 1
            case "call.wrapup":
                wrapup = _seconds(data.get("wrapup_s"))
                if wrapup is not None:
                    fact["wrapup_s"], fact["wrapups"] = wrapup, 1
            case "nlu.predicted":
                fact["predicted"] = 1
                fact["predicted_journey"] = data.get("journey")
                journey_seen = journey_seen or data.get("journey")
            case "nlu.corrected":
                fact["corrected"], fact["journey"] = 1, data.get("journey")
            case "screen_pop.sent" | "act.suggested":
                journey_seen = data.get("journey") or journey_seen
                if e.name == "act.suggested" and isinstance(data.get("acts"), list):
                    suggested.update(str(a) for a in data["acts"])
            case "act.opened":
                opened[(e.actor, str(data.get("act")))] = at
            case "act.done" | "act.cancelled" | "act.refused":
                code = str(data.get("act"))
                start = opened.pop((e.actor, code), None)
                outcome = e.name.removeprefix("act.")
                seconds = round((at - start).total_seconds(), 3) if start and outcome == "done" else None
                fact["acts"].append({"act": code, "journey": data.get("journey") or "", "outcome": outcome,
                                     "s": seconds, "suggested": code in suggested, "by": e.actor})
                if outcome == "done":
                    _count_done(fact, code, data, seconds)
                else:
                    fact[f"acts_{outcome}"] += 1
            case "transfer.requested" if not fact["transfers"]:
                mode = "cold" if data.get("mode") == "cold" else "warm"
                fact["transfers"], fact[f"transfers_{mode}"], fact["transfer_mode"] = 1, 1, mode
            case "transfer.acknowledged" if not fact["acks"]:
                ack = _seconds(data.get("to_ack_s"))
                if ack is not None:
                    fact["ack_s"], fact["acks"] = ack, 1
            case "transfer.closed" if not fact["resolved"]:
                resolve = _seconds(data.get("to_resolve_s"))
                if resolve is not None:
                    fact["resolve_s"], fact["resolved"] = resolve, 1
    if fact["state"] == "ended" and fact["answered"]:
        fact["handled"] = 1
        fact["handling_s"] = round(fact["talk_s"] + fact["hold_s"] + fact["wrapup_s"], 3)
    fact["identified"] = int(bool(fact["answered"]) and fact["customer_id"] is not None)
    fact["journey"] = fact["journey"] or journey_seen
    fact["acts_suggested"] = len(suggested)
    fact["with_suggestions"] = 1 if suggested else 0
    done_suggested = {a["act"] for a in fact["acts"] if a["outcome"] == "done" and a["suggested"]}
    fact["suggested_done"] = len(done_suggested)
    fact["suggestion_taken"] = 1 if done_suggested else 0
    return fact


def _count_done(fact: dict[str, Any], code: str, data: dict[str, Any], seconds: float | None) -> None:
    fact["acts_done"] += 1
    if seconds is not None:
        fact["act_s"] += seconds
        fact["timed_acts"] += 1
    result = data.get("result") if isinstance(data.get("result"), dict) else {}
    if code == "recommend_offers":
        offered = result.get("offered")
        fact["offers_proposed"] += len(offered) if isinstance(offered, list) else 0
    fact["offers_accepted"] += code in ACCEPTED
    if fact["offers_proposed"]:  # offers were proposed on the call: a proposal; one taken after it, a conversion
        fact["proposals"] = 1
        fact["conversions"] = max(fact["conversions"], int(code in ACCEPTED))
    fact["cross_sell"] += code in CROSS_SELL
    if code == "grant_gesture":
        fact["gestures"] += 1
        fact["gesture_cents"] += _cents(result.get("amount"))
