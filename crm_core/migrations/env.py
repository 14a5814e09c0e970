"""Alembic environment: run with the connection handed over by ``crm_core.core.migrate``."""

from alembic import context
from sqlalchemy import engine_from_config, pool

from crm_core.core.db import normalise_url
from crm_core.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(url=normalise_url(config.get_main_option("sqlalchemy.url") or ""),
                      target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        section = config.get_section(config.config_ini_section, {})
        section["sqlalchemy.url"] = normalise_url(section["sqlalchemy.url"])
        engine = engine_from_config(section, prefix="sqlalchemy.", poolclass=pool.NullPool)
        with engine.connect() as connection:
            _run(connection)
    else:
        _run(connection)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
