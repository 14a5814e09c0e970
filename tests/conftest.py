"""Shared fixtures: a CRM database on SQLite and on PostgreSQL, seeded with the demo data."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from crm_core.core.db import create_schema, make_engine, session_factory, transaction
from crm_core.seed import seed_reference

# The demo data tells of late November 2026: every test, and every process the tests start (they inherit the
# environment), sees 1 December 2026 as today (``crm_core.core.clock``), whatever the machine's date.
DEMO_TODAY = "2026-12-01"
os.environ["COPILOT_TODAY"] = DEMO_TODAY

PG_ADMIN_URL = os.environ.get("COPILOT_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# One database per concurrent run (two checkouts testing at once): COPILOT_TEST_PG_DB=copilot_test_b.
PG_TEST_DB = os.environ.get("COPILOT_TEST_PG_DB", "copilot_test")


def _postgres_url() -> str:
    import psycopg

    admin = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (PG_TEST_DB,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{PG_TEST_DB}"')
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at {admin} ({exc}); .ci/run starts it")
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{PG_TEST_DB}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty CRM schema, on each of the two databases."""
    url = f"sqlite:///{tmp_path / 'crm.sqlite3'}" if request.param == "sqlite" else _postgres_url()
    eng = make_engine(url)
    if request.param == "postgresql":
        _reset_postgres(eng)
    create_schema(eng)
    yield eng
    eng.dispose()


def _reset_postgres(eng: Engine) -> None:
    with eng.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    """Session factory on a database holding the catalogue and the demo personas."""
    factory = session_factory(engine)
    with transaction(factory) as session:
        seed_reference(session)
    return factory


@pytest.fixture
def sqlite_sessions(tmp_path: Path) -> sessionmaker[Session]:
    """SQLite only, for tests about something other than the database."""
    eng = make_engine(f"sqlite:///{tmp_path / 'crm.sqlite3'}")
    create_schema(eng)
    factory = session_factory(eng)
    with transaction(factory) as session:
        seed_reference(session)
    return factory


def count_rows(factory: sessionmaker[Session], sql: str, **params: object) -> int:
    with factory() as session:
        return int(session.execute(text(sql), params).scalar_one())


# -- the real stack (Rasa server, action server, app), started once per session when a test asks -----
@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator["RunningStack"]:
    from assistant.model_store import ensure_model
    from copilot_cli.stack import Stack, StackConfig, free_port, serving_model
    from crm_core.seed import seeded_database

    root = tmp_path_factory.mktemp("stack")
    db_url = f"sqlite:///{root / 'crm.sqlite3'}"
    factory = seeded_database(db_url, 50)
    model, _ = ensure_model(quiet=True)
    serving = serving_model(model, db_url, root / "models")  # the trainer's registry of this stack
    config = StackConfig(model=serving.link, port=free_port(), rasa_url=f"http://127.0.0.1:{free_port()}",
                         actions_url=f"http://127.0.0.1:{free_port()}", database_url=db_url, logs=root / "logs",
                         extra_env={"COPILOT_MODELS_DIR": str(root / "models")})
    running = Stack(config, say=lambda m: None)
    running.start()
    try:
        running.wait_healthy(300)
        yield RunningStack(running, factory)
    finally:
        running.stop()
        factory.kw["bind"].dispose()


class RunningStack:
    def __init__(self, stack: "object", sessions: sessionmaker[Session]) -> None:
        from copilot_cli.stack import Stack

        assert isinstance(stack, Stack)
        self.stack = stack
        self.sessions = sessions
        self.url = stack.config.app_url

    def process(self, name: str):  # type: ignore[no-untyped-def]
        return next(p for p in self.stack.processes if p.name == name)
