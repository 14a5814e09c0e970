"""The one clock of the CRM: today's date and the current time, which a site or a test can pin.

Every business rule that depends on the date (a 14-day withdrawal window, a late order step, a commitment
end) asks ``today()``, never ``date.today()``, so that tests pin the date (``pinned``) and the demo can run
on the day its data was written for (``COPILOT_TODAY=2026-12-01``, read by both runtimes).
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time

ENV = "COPILOT_TODAY"
_pinned: date | None = None


def _from_env() -> date | None:
    raw = os.environ.get(ENV, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise ValueError(f"{ENV}={raw!r} is not an ISO date (YYYY-MM-DD)") from exc


def today() -> date:
    """Today: the pinned date if any (``pin``, ``COPILOT_TODAY``), else the system's."""
    return _pinned or _from_env() or date.today()


def now() -> datetime:
    """The current time (UTC); on a pinned day, the system's time of day on that day."""
    real = datetime.now(UTC)
    day = today()
    return real if day == real.date() else datetime.combine(day, time(real.hour, real.minute, real.second), UTC)


def pin(day: date | None) -> None:
    """Pin today to ``day`` (None: back to the environment or the system clock)."""
    global _pinned
    _pinned = day


@contextmanager
def pinned(day: date) -> Iterator[None]:
    previous = _pinned
    pin(day)
    try:
        yield
    finally:
        pin(previous)
