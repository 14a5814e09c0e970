from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from crm_core.core.migrate import upgrade
from crm_core.models import Base


def test_the_migrations_build_exactly_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == [], "the models changed without a migration: run crm_core.core.migrate.revision(...)"


def test_upgrading_again_is_harmless(engine: Engine) -> None:
    upgrade(engine)
    upgrade(engine)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
