"""Level-2 transfers: a call handed from one advisor to a team's basket, with its drafted handover.

A transfer moves through ``requested`` (warm: offered to the team's panels) or ``waiting`` (cold: in the
basket) → ``acknowledged`` (warm, taken by a level-2 advisor) or ``declined`` (with a reason) →
``picked_up`` (cold) → ``closed`` (with the outcome). Each step is one conditional update on ``status``, so
two level-2 advisors never take the same transfer.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.models.base import Base, utcnow

OPEN_STATUSES = ("requested", "waiting", "acknowledged", "picked_up")


class Transfer(Base):
    __tablename__ = "transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(String(80), index=True)
    customer_id: Mapped[int | None] = mapped_column(index=True)
    journey: Mapped[str | None] = mapped_column(String(20))
    mode: Mapped[str] = mapped_column(String(4))  # warm | cold
    team: Mapped[str] = mapped_column(String(40))  # a team of the routing file
    basket_code: Mapped[str] = mapped_column(String(40))
    proposed_team: Mapped[str | None] = mapped_column(String(40))  # what the routing proposed (override if differs)
    status: Mapped[str] = mapped_column(String(12), default="requested")
    from_advisor: Mapped[str] = mapped_column(String(80))
    from_centre: Mapped[str | None] = mapped_column(String(20))
    to_advisor: Mapped[str | None] = mapped_column(String(80))  # who acknowledged or picked it up
    # The handover drafted from the call's trace and the CRM (sections and text), and the advisor's edit
    handover: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    edited_text: Mapped[str | None] = mapped_column(Text)
    prerequisites: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The bridge's transferred_warm/transferred_cold events of the call: [{"event", "agent", "at"}]
    telephony: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    declined_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decline_reason: Mapped[str | None] = mapped_column(String(500))
    picked_up_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(20))
    outcome_note: Mapped[str | None] = mapped_column(String(1000))

    __table_args__ = (Index("ix_transfers_basket_status", "basket_code", "status"),)
