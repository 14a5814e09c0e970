"""Engine and session factory. SQLite is the embedded default; PostgreSQL by URL."""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from crm_core.core.config import get_crm_settings


def normalise_url(url: str) -> str:
    """Let ``postgresql://`` URLs use psycopg 3, the driver we ship."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str, echo: bool = False) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


@lru_cache
def get_engine() -> Engine:
    settings = get_crm_settings()
    return make_engine(settings.database_url, settings.sql_echo)


def session_factory(engine: Engine | None = None) -> sessionmaker[Session]:
    return sessionmaker(bind=engine or get_engine(), expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: committed on success, rolled back on any error."""
    with factory() as session, session.begin():
        yield session


def create_schema(engine: Engine | None = None) -> None:
    """Bring the schema up to date with the migrations (idempotent)."""
    from crm_core.core.migrate import upgrade

    upgrade(engine or get_engine())
