from decimal import Decimal

from sqlalchemy import Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.models.base import Base


class Offer(Base):
    """An offer of the catalogue (box, mobile plan, convergent bundle)."""

    __tablename__ = "offers"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(120))
    universe: Mapped[str] = mapped_column(String(20))  # fixed | mobile | convergent
    monthly_price: Mapped[Decimal] = mapped_column(Numeric(8, 2))
