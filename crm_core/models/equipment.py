"""Equipment bought or rented, its warranty, and the hardware tests run in shops."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm_core.models.base import Base


class Equipment(Base):
    __tablename__ = "equipment"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    line_id: Mapped[int | None] = mapped_column(ForeignKey("lines.id"))
    kind: Mapped[str] = mapped_column(String(20))  # box | decoder | phone | repeater
    model: Mapped[str] = mapped_column(String(80))
    serial_number: Mapped[str] = mapped_column(String(40))
    ownership: Mapped[str] = mapped_column(String(10))  # bought | rented | lent
    acquired_on: Mapped[date] = mapped_column(Date)
    technical: Mapped[dict] = mapped_column(JSON, default=dict)  # firmware, MAC, IMEI…
    warranty_cover: Mapped[str] = mapped_column(String(120), default="")
    warranty_months: Mapped[int] = mapped_column(default=0)
    deposit_amount: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal("0"))

    tests: Mapped[list["HardwareTest"]] = relationship(order_by="HardwareTest.tested_at", lazy="selectin")


class HardwareTest(Base):
    __tablename__ = "hardware_tests"

    id: Mapped[int] = mapped_column(primary_key=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id"), index=True)
    tested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    shop_code: Mapped[str] = mapped_column(String(20))
    result: Mapped[str] = mapped_column(String(10))  # pass | fail
    details: Mapped[str] = mapped_column(String(300), default="")
