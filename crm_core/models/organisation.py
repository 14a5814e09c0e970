"""Who works where, with which habilitations: regions, centres, profiles, packs, advisors, baskets."""

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm_core.models.base import AuditMixin, Base


class Region(Base):
    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(80))


class Centre(Base):
    __tablename__ = "centres"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))  # avsc | cco | convergent
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))

    region: Mapped[Region] = relationship(lazy="joined")


class Team(Base):
    """A team of advisors in a centre, led by a team leader (the steering's ``team`` level)."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    label: Mapped[str] = mapped_column(String(120))
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"))
    leader_login: Mapped[str | None] = mapped_column(String(80))

    centre: Mapped[Centre] = relationship(lazy="joined")


class BusinessProfile(Base):
    """A business profile (N1, N2 technical, collection…): a set of permissions."""

    __tablename__ = "business_profiles"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(120))
    permissions: Mapped[list[str]] = mapped_column(JSON, default=list)


class ApplicationPack(Base):
    """A set of permissions that can be lent to a profile for a time (occasional support to another team)."""

    __tablename__ = "application_packs"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(120))
    permissions: Mapped[list[str]] = mapped_column(JSON, default=list)


class PackLoan(AuditMixin, Base):
    __tablename__ = "pack_loans"

    id: Mapped[int] = mapped_column(primary_key=True)
    pack_code: Mapped[str] = mapped_column(ForeignKey("application_packs.code"))
    profile_code: Mapped[str] = mapped_column(ForeignKey("business_profiles.code"), index=True)
    granted_by: Mapped[str] = mapped_column(String(80))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    pack: Mapped[ApplicationPack] = relationship(lazy="joined")


class Advisor(AuditMixin, Base):
    __tablename__ = "advisors"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    profile_code: Mapped[str] = mapped_column(ForeignKey("business_profiles.code"))
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    active: Mapped[bool] = mapped_column(default=True)

    centre: Mapped[Centre | None] = relationship(lazy="joined")
    team: Mapped[Team | None] = relationship(lazy="joined")


class WorkBasket(Base):
    """A "corbeille": a queue of work routed to a team."""

    __tablename__ = "work_baskets"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    label: Mapped[str] = mapped_column(String(120))
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"))
    profile_code: Mapped[str | None] = mapped_column(ForeignKey("business_profiles.code"))
