from datetime import date

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm_core.models.base import AuditMixin, Base
from crm_core.models.customer import Customer
from crm_core.models.offer import Offer


class Line(AuditMixin, Base):
    """A subscribed line (mobile or fixed), the key the telephony uses to find a customer."""

    __tablename__ = "lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # E.164
    kind: Mapped[str] = mapped_column(String(10))  # mobile | fixed
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | suspended | terminated
    offer_code: Mapped[str] = mapped_column(ForeignKey("offers.code"))
    activation_date: Mapped[date] = mapped_column(Date)
    commitment_end: Mapped[date | None] = mapped_column(Date)

    customer: Mapped[Customer] = relationship(back_populates="lines")
    offer: Mapped[Offer] = relationship(lazy="joined")
