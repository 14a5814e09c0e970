"""The customer: identity, contacts, address, commercial profile; guardianship when protected."""

from datetime import date
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, Integer, Numeric, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm_core.models.base import AuditMixin, Base
from crm_core.text import fold


class Customer(AuditMixin, Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    civility: Mapped[str] = mapped_column(String(10), default="")
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    last_name_key: Mapped[str] = mapped_column(String(80), index=True, default="")  # fold(last_name), for search
    first_name_key: Mapped[str] = mapped_column(String(80), default="", server_default="")  # fold(first_name)
    birth_date: Mapped[date | None] = mapped_column(Date)
    email: Mapped[str | None] = mapped_column(String(200), index=True)
    contact_phone: Mapped[str | None] = mapped_column(String(20))  # E.164, for fast contact
    address_line: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str] = mapped_column(String(5), default="")
    city: Mapped[str] = mapped_column(String(80), default="")
    customer_since: Mapped[date | None] = mapped_column(Date)
    segment: Mapped[str] = mapped_column(String(20), default="residential")  # residential | professional
    loyalty_tier: Mapped[str] = mapped_column(String(20), default="standard")  # standard | silver | gold
    revenue_12m: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))
    interests: Mapped[list[str]] = mapped_column(JSON, default=list)
    life_moments: Mapped[list[str]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)

    lines: Mapped[list["Line"]] = relationship(  # noqa: F821
        back_populates="customer", order_by="Line.id", lazy="selectin"
    )
    guardianship: Mapped["Guardianship | None"] = relationship(back_populates="customer", uselist=False)

    __mapper_args__ = {"version_id_col": version}


@event.listens_for(Customer, "before_insert")
@event.listens_for(Customer, "before_update")
def _keep_search_key(_mapper, _connection, customer: Customer) -> None:  # type: ignore[no-untyped-def]
    customer.last_name_key = fold(customer.last_name or "")
    customer.first_name_key = fold(customer.first_name or "")


class Guardianship(AuditMixin, Base):
    """Legal protection of an adult (tutelle, curatelle): acts go through the guardian."""

    __tablename__ = "guardianships"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # tutelle | curatelle | sauvegarde
    guardian_name: Mapped[str] = mapped_column(String(160))
    guardian_phone: Mapped[str | None] = mapped_column(String(20))
    guardian_email: Mapped[str | None] = mapped_column(String(200))
    guardian_address: Mapped[str] = mapped_column(String(300), default="")
    court_decision_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)

    customer: Mapped[Customer] = relationship(back_populates="guardianship")
