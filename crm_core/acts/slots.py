"""Technicians' slots: half-days of the coming working days, a few visits per département and slot."""

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.models import Appointment

HALF_DAYS = ((time(8, 0), time(12, 0), "8 h – 12 h"), (time(13, 0), time(17, 0), "13 h – 17 h"))
VISITS_PER_SLOT = 2  # per département
DAYS_AHEAD = 12
_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def _at(day: date, hour: time) -> datetime:
    return datetime.combine(day, hour, UTC)


def slot_label(start: datetime) -> str:
    half = next((label for begin, _, label in HALF_DAYS if begin == start.time().replace(tzinfo=None)), "")
    return f"{_DAYS[start.weekday()]} {start:%d/%m/%Y} {half}".strip()


def free_slots(session: Session, postcode: str, today: date, limit: int = 2 * DAYS_AHEAD) -> list[tuple[str, str]]:
    """(value, French label) of the free slots from tomorrow, Monday to Saturday; value is the ISO start."""
    department = postcode[:2]
    first, last = today + timedelta(days=1), today + timedelta(days=DAYS_AHEAD)
    booked = dict(session.execute(
        select(Appointment.starts_at, func.count()).where(
            Appointment.status == "booked", Appointment.postcode.startswith(department),
            Appointment.starts_at >= _at(first, time(0)), Appointment.starts_at < _at(last, time(23, 59)))
        .group_by(Appointment.starts_at)).all())
    taken = {(s.replace(tzinfo=UTC) if s.tzinfo is None else s): n for s, n in booked.items()}
    slots: list[tuple[str, str]] = []
    day = first
    while day <= last and len(slots) < limit:
        if day.weekday() < 6:
            for begin, _, _ in HALF_DAYS:
                start = _at(day, begin)
                if taken.get(start, 0) < VISITS_PER_SLOT:
                    slots.append((start.strftime("%Y-%m-%dT%H:%M"), slot_label(start)))
        day += timedelta(days=1)
    return slots[:limit]


def slot_bounds(value: str) -> tuple[datetime, datetime]:
    """The start and end of a slot given by its value (ValueError when it is not one)."""
    start = datetime.strptime(value, "%Y-%m-%dT%H:%M").replace(tzinfo=UTC)
    for begin, end, _ in HALF_DAYS:
        if start.time() == begin:
            return start, datetime.combine(start.date(), end, UTC)
    raise ValueError(value)


def book(session: Session, *, customer_id: int, line_id: int | None, postcode: str, value: str, kind: str,
         login: str, ticket_id: int | None = None) -> Appointment:
    start, end = slot_bounds(value)
    appointment = Appointment(customer_id=customer_id, line_id=line_id, ticket_id=ticket_id, kind=kind,
                              starts_at=start, ends_at=end, postcode=postcode, status="booked", booked_by=login)
    session.add(appointment)
    session.flush()
    return appointment
