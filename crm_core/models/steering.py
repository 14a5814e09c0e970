"""The steering's projection of the traces (``steering/`` writes it; the traces stay the source of truth).

``call_facts``: one row per call, recomputed from the call's trace events each time one arrives;
``kpi_hourly``: the sums of the call facts per advisor and hour (the hours' queries); ``kpi_daily``: per advisor
and Paris day (the days', weeks' and months': any level and period is a sum of one of the two);
``kpi_act_daily``: the acts per advisor, day, act and journey; ``steering_cursor``: the last trace event read.
Dropping all four and running ``copilot steering rebuild`` gives them back from the traces.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Double, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.models.base import Base

# The additive figures of a call: a column of ``call_facts`` and, summed, of ``kpi_hourly``.
SUMS: tuple[str, ...] = (
    "calls", "answered", "abandoned", "ended", "handled", "identified", "talk_s", "hold_s", "wrapup_s", "wrapups",
    "handling_s",
    "transfers", "transfers_warm", "transfers_cold", "ack_s", "acks", "resolve_s", "resolved",
    "acts_done", "acts_cancelled", "acts_refused", "act_s", "timed_acts", "acts_suggested", "suggested_done",
    "with_suggestions", "suggestion_taken", "predicted", "corrected", "repeats", "recontacted",
    "offers_proposed", "offers_accepted", "proposals", "conversions", "cross_sell", "gestures", "gesture_cents",
)
_FLOATS = {"talk_s", "hold_s", "wrapup_s", "handling_s", "ack_s", "resolve_s", "act_s"}


def _sum_columns() -> dict[str, Any]:
    return {name: mapped_column(Double if name in _FLOATS else Integer, default=0, nullable=False)
            for name in SUMS}


class CallFact(Base):
    """What one call was, from its traces: who took it (organisation at the time), when, how long, what was done."""

    __tablename__ = "call_facts"

    call_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    advisor: Mapped[str | None] = mapped_column(String(80))
    team: Mapped[str | None] = mapped_column(String(40))
    centre: Mapped[str | None] = mapped_column(String(20))
    region: Mapped[str | None] = mapped_column(String(20))
    customer_id: Mapped[int | None] = mapped_column()
    journey: Mapped[str | None] = mapped_column(String(40))
    predicted_journey: Mapped[str | None] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(12))  # ringing | talking | held | ended
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_event_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    hour: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # the UTC hour the call started in
    day: Mapped[date] = mapped_column(Date)  # the day it started, Paris time
    transfer_mode: Mapped[str | None] = mapped_column(String(10))
    acts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    events: Mapped[int] = mapped_column(Integer, default=0)
    locals().update(_sum_columns())

    __table_args__ = (
        Index("ix_call_facts_day_region", "day", "region"),
        Index("ix_call_facts_advisor_started", "advisor", "started_at"),
        Index("ix_call_facts_customer_journey", "customer_id", "journey", "started_at"),
        Index("ix_call_facts_state", "state", "last_event_at"),
    )


class KpiHourly(Base):
    """The call facts of one advisor summed over one hour (UTC), with the Paris day, week and month it falls in."""

    __tablename__ = "kpi_hourly"

    advisor: Mapped[str] = mapped_column(String(80), primary_key=True)
    hour: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    team: Mapped[str | None] = mapped_column(String(40))
    centre: Mapped[str | None] = mapped_column(String(20))
    region: Mapped[str | None] = mapped_column(String(20))
    local_hour: Mapped[datetime] = mapped_column(DateTime)  # Paris wall-clock time of the hour's start
    day: Mapped[date] = mapped_column(Date)
    week: Mapped[date] = mapped_column(Date)  # the Monday
    month: Mapped[date] = mapped_column(Date)  # the 1st
    locals().update(_sum_columns())

    __table_args__ = (
        Index("ix_kpi_hourly_day_region", "day", "region"),
        Index("ix_kpi_hourly_day_centre", "day", "centre"),
    )


class KpiDaily(Base):
    """The call facts of one advisor summed over one Paris day, with its week and month (a month of a region is
    some 13,000 of these rows rather than 110,000 hourly ones)."""

    __tablename__ = "kpi_daily"

    advisor: Mapped[str] = mapped_column(String(80), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    team: Mapped[str | None] = mapped_column(String(40))
    centre: Mapped[str | None] = mapped_column(String(20))
    region: Mapped[str | None] = mapped_column(String(20))
    week: Mapped[date] = mapped_column(Date)  # the Monday
    month: Mapped[date] = mapped_column(Date)  # the 1st
    locals().update(_sum_columns())

    __table_args__ = (
        Index("ix_kpi_daily_day_region", "day", "region"),
        Index("ix_kpi_daily_day_centre", "day", "centre"),
    )


class KpiActDaily(Base):
    """The acts of one advisor on one day (Paris), per act and journey: done, dropped, refused and their time."""

    __tablename__ = "kpi_act_daily"

    advisor: Mapped[str] = mapped_column(String(80), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    act: Mapped[str] = mapped_column(String(40), primary_key=True)
    journey: Mapped[str] = mapped_column(String(40), primary_key=True)  # "" when the act had none
    team: Mapped[str | None] = mapped_column(String(40))
    centre: Mapped[str | None] = mapped_column(String(20))
    region: Mapped[str | None] = mapped_column(String(20))
    done: Mapped[int] = mapped_column(Integer, default=0)
    cancelled: Mapped[int] = mapped_column(Integer, default=0)
    refused: Mapped[int] = mapped_column(Integer, default=0)
    suggested_done: Mapped[int] = mapped_column(Integer, default=0)
    act_s: Mapped[float] = mapped_column(Double, default=0)
    timed: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_kpi_act_daily_day_region", "day", "region"),)


class SteeringCursor(Base):
    """How far the projection has read the traces (the last trace event id taken into account)."""

    __tablename__ = "steering_cursor"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
