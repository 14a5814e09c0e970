"""Consumption, invoices and collection."""

from datetime import date
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.models.base import Base


class Consumption(Base):
    """One line's usage over one month, with what went beyond the plan."""

    __tablename__ = "consumptions"
    __table_args__ = (UniqueConstraint("line_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"))
    month: Mapped[date] = mapped_column(Date)  # first day of the month
    data_mb: Mapped[int] = mapped_column(default=0)
    voice_minutes: Mapped[int] = mapped_column(default=0)
    sms: Mapped[int] = mapped_column(default=0)
    overage_volume: Mapped[str] = mapped_column(String(40), default="")  # e.g. "2,3 Go hors forfait"
    overage_amount: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal("0"))


class Invoice(Base):
    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    issued_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    status: Mapped[str] = mapped_column(String(12))  # paid | unpaid | partial | upcoming


class CollectionCase(Base):
    """An unpaid amount being recovered, with the tools the advisor may use (payment extension…)."""

    __tablename__ = "collection_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    opened_on: Mapped[date] = mapped_column(Date)
    amount_due: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    stage: Mapped[str] = mapped_column(String(20))  # reminder | formal_notice | suspension | litigation
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | closed
    payment_extension_until: Mapped[date | None] = mapped_column(Date)
