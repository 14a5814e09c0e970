from datetime import date

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm_core.models.base import AuditMixin, Base


class Customer(AuditMixin, Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    civility: Mapped[str] = mapped_column(String(10), default="")
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80), index=True)
    birth_date: Mapped[date | None] = mapped_column(Date)
    email: Mapped[str | None] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    address_line: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str] = mapped_column(String(5), default="")
    city: Mapped[str] = mapped_column(String(80), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)

    lines: Mapped[list["Line"]] = relationship(  # noqa: F821
        back_populates="customer", order_by="Line.id", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version}
