"""The offer catalogue, its eligibility rules and the technical coverage they are checked against."""

from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm_core.models.base import Base


class Offer(Base):
    """A plan (box, mobile, convergent) or an option of the catalogue."""

    __tablename__ = "offers"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(120))
    universe: Mapped[str] = mapped_column(String(20))  # fixed | mobile | convergent
    kind: Mapped[str] = mapped_column(String(10), default="plan")  # plan | option
    technology: Mapped[str | None] = mapped_column(String(10))  # adsl | fibre | 4g | 5g
    monthly_price: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    commitment_months: Mapped[int] = mapped_column(default=0)
    for_universe: Mapped[str | None] = mapped_column(String(20))  # options: which lines may take it
    procedure: Mapped[str] = mapped_column(String(300), default="")  # operating procedure for the advisor

    rules: Mapped[list["EligibilityRule"]] = relationship(lazy="select", order_by="EligibilityRule.id")


class EligibilityRule(Base):
    """One condition an offer sets. ``kind`` is commercial (the customer) or technical (the address/line)."""

    __tablename__ = "eligibility_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_code: Mapped[str] = mapped_column(ForeignKey("offers.code"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # commercial | technical
    rule: Mapped[str] = mapped_column(String(40))  # min_age | no_unpaid | fibre_available | 5g_coverage | …
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    label: Mapped[str] = mapped_column(String(200))  # French, shown when the rule fails


class Coverage(Base):
    """What the network offers at a postcode (technical eligibility)."""

    __tablename__ = "coverage"

    postcode: Mapped[str] = mapped_column(String(5), primary_key=True)
    fibre: Mapped[bool] = mapped_column(default=False)
    adsl_max_mbps: Mapped[int] = mapped_column(default=8)
    mobile_5g: Mapped[bool] = mapped_column(default=False)
