from datetime import date

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm_core.models.base import AuditMixin, Base
from crm_core.models.customer import Customer
from crm_core.models.offer import Offer


class Line(AuditMixin, Base):
    """A subscribed line (mobile or fixed), the key the telephony uses to find a customer."""

    __tablename__ = "lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"), index=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # E.164
    kind: Mapped[str] = mapped_column(String(10))  # mobile | fixed
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | suspended | terminated
    offer_code: Mapped[str] = mapped_column(ForeignKey("offers.code"))
    activation_date: Mapped[date] = mapped_column(Date)
    commitment_end: Mapped[date | None] = mapped_column(Date)
    electronic_tag: Mapped[bool] = mapped_column(default=False)  # bracelet électronique: never cut

    customer: Mapped[Customer] = relationship(back_populates="lines")
    offer: Mapped[Offer] = relationship(lazy="joined")
    options: Mapped[list["LineOption"]] = relationship(
        back_populates="line", order_by="LineOption.id", lazy="selectin", cascade="all, delete-orphan"
    )


class LineOption(Base):
    __tablename__ = "line_options"
    __table_args__ = (UniqueConstraint("line_id", "option_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"), index=True)
    option_code: Mapped[str] = mapped_column(ForeignKey("offers.code"))
    activated_on: Mapped[date] = mapped_column(Date)

    line: Mapped[Line] = relationship(back_populates="options")
    option: Mapped[Offer] = relationship(lazy="joined")
