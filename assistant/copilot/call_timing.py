"""A call's times, for the handling-time KPIs: ringing, talk (holds excluded), hold; its wrap-up is measured
by the session manager (from its end to the next call presented to the same advisor)."""

from telephony_bridge.events import CallEvent, CallEventKind

WRAP_UP_MAX_S = 1800.0  # beyond, the advisor was not wrapping the call up any more (a pause, the end of a shift)


def note(times: dict[str, float], event: CallEvent, now: float) -> None:
    """When the call started ringing, was answered, was put on hold (``times`` is the call's own)."""
    times.setdefault("first", now)
    if event.event is CallEventKind.ANSWERED:
        times.setdefault("answered", now)
    elif event.event is CallEventKind.HELD and "held_since" not in times:
        times["held_since"] = now
    elif event.event in (CallEventKind.RESUMED, CallEventKind.ENDED) and "held_since" in times:
        times["hold"] = times.get("hold", 0.0) + now - times.pop("held_since")


def durations(times: dict[str, float], now: float) -> dict[str, float | None]:
    """Seconds of ringing, talk (answered to ``now``, holds excluded) and hold (a hold still open counts)."""
    hold = times.get("hold", 0.0) + (now - times["held_since"] if "held_since" in times else 0.0)
    answered = times.get("answered")
    return {"ring_s": round(answered - times["first"], 3) if answered is not None and "first" in times else None,
            "talk_s": round(now - answered - hold, 3) if answered is not None else None,
            "hold_s": round(hold, 3)}
