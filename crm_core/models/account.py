"""Billing accounts, contracts and payment methods."""

from datetime import date
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm_core.models.base import AuditMixin, Base


class Account(AuditMixin, Base):
    """A billing account: what is invoiced together and paid one way."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    balance: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))  # < 0: the customer owes
    payment_channel: Mapped[str] = mapped_column(String(20), default="direct_debit")
    invoice_delivery: Mapped[str] = mapped_column(String(10), default="email")  # email | paper
    payer_quality: Mapped[str] = mapped_column(String(10), default="good")  # good | watch | bad

    payment_methods: Mapped[list["PaymentMethod"]] = relationship(
        back_populates="account", order_by="PaymentMethod.id", lazy="selectin"
    )


class PaymentMethod(AuditMixin, Base):
    __tablename__ = "payment_methods"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # direct_debit | card | transfer | cheque
    iban: Mapped[str | None] = mapped_column(String(34))
    bic: Mapped[str | None] = mapped_column(String(11))
    holder: Mapped[str] = mapped_column(String(160), default="")
    mandate_reference: Mapped[str | None] = mapped_column(String(35))
    active: Mapped[bool] = mapped_column(default=True)

    account: Mapped[Account] = relationship(back_populates="payment_methods")


class Contract(AuditMixin, Base):
    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    number: Mapped[str] = mapped_column(String(20), unique=True)
    signed_on: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(10))  # shop | web | phone
    status: Mapped[str] = mapped_column(String(20), default="active")
