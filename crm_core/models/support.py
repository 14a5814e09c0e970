"""Technical support: tickets (with the guided scripts already tried) and technician appointments."""

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.core import clock
from crm_core.models.base import Base


class Ticket(Base):
    """A breakdown or usage problem followed across contacts: where the last contact stopped, what was tried."""

    __tablename__ = "tickets"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    line_id: Mapped[int | None] = mapped_column(ForeignKey("lines.id"))
    equipment_id: Mapped[int | None] = mapped_column(ForeignKey("equipment.id"))
    journey: Mapped[str] = mapped_column(String(20))  # breakdown | usage_help
    opened_on: Mapped[date] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | resolved | closed
    summary: Mapped[str] = mapped_column(String(1000))
    last_step: Mapped[str] = mapped_column(String(300), default="")  # where the last contact stopped
    # [{"script": code, "steps": [step ids done], "solved": bool, "on": ISO date, "by": login}]
    scripts: Mapped[list[dict]] = mapped_column(JSON, default=list)


class Appointment(Base):
    """A technician's visit booked on a slot (repair, installation, transfer of the box after a move)."""

    __tablename__ = "appointments"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    line_id: Mapped[int | None] = mapped_column(ForeignKey("lines.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    kind: Mapped[str] = mapped_column(String(12))  # repair | installation | move
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    postcode: Mapped[str] = mapped_column(String(5), default="")
    status: Mapped[str] = mapped_column(String(10), default="booked")  # booked | done | cancelled
    booked_by: Mapped[str] = mapped_column(String(80), default="")
