"""What happens around the customer: orders, ongoing events, interactions, commercial gestures."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm_core.models.base import Base


class Order(Base):
    """An order from any channel (web, shop, phone): visible and resumable from the 360° view."""

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    channel: Mapped[str] = mapped_column(String(10))  # web | shop | phone
    kind: Mapped[str] = mapped_column(String(40))  # e.g. "Commande mobile", "Réparation box"
    placed_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12))  # in_progress | delivered | cancelled

    steps: Mapped[list["OrderStep"]] = relationship(order_by="OrderStep.position", lazy="selectin")


class OrderStep(Base):
    __tablename__ = "order_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    position: Mapped[int] = mapped_column()
    label: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(10))  # done | pending
    expected_on: Mapped[date | None] = mapped_column(Date)
    done_on: Mapped[date | None] = mapped_column(Date)


class CustomerEvent(Base):
    """An ongoing event: move, complaint, scheduled termination, withdrawal, collection."""

    __tablename__ = "customer_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    # move | complaint | scheduled_termination | withdrawal | collection | death | escalation
    kind: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | closed
    opened_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(String(300))
    line_id: Mapped[int | None] = mapped_column(ForeignKey("lines.id"))  # the line it is about, if one
    # What the act that opened it recorded (fees, return procedure…).
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")


class Interaction(Base):
    """A past contact or correspondence (call, shop visit, letter, e-mail, web), optionally about equipment."""

    __tablename__ = "interactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    channel: Mapped[str] = mapped_column(String(10))  # phone | shop | web | letter | email | sms
    kind: Mapped[str] = mapped_column(String(20))  # contact | correspondence | support | after_sales
    summary: Mapped[str] = mapped_column(String(400))
    advisor_login: Mapped[str | None] = mapped_column(String(80))
    equipment_id: Mapped[int | None] = mapped_column(ForeignKey("equipment.id"), index=True)
    # What it is about, so it is shown only to whom may see that part of the 360° view
    # (``permission_filter.INTERACTION_TOPICS``): general | billing | collection | support
    topic: Mapped[str] = mapped_column(String(20), default="general", server_default="general")


class CommercialGesture(Base):
    __tablename__ = "commercial_gestures"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    granted_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    reason: Mapped[str] = mapped_column(String(200))
    advisor_login: Mapped[str] = mapped_column(String(80))
