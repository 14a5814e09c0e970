"""How far each local trace journal has reached the database (``crm_core.services.journal``)."""

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.models.base import Base, utcnow


class JournalMark(Base):
    """One journal file of one process: the last of its records committed here (replayed after a crash)."""

    __tablename__ = "journal_marks"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)  # the journal file's name
    committed_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
