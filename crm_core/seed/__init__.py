"""Deterministic demo and synthetic data for the CRM."""

from sqlalchemy.orm import Session, sessionmaker


def seed_reference(session: Session) -> None:
    """Catalogue, organisation (profiles, packs, advisors) and the demo personas: idempotent."""
    from crm_core.seed.catalogue import upsert_catalogue
    from crm_core.seed.demo import upsert_personas
    from crm_core.seed.organisation import upsert_organisation

    upsert_catalogue(session)
    upsert_organisation(session)
    session.flush()
    upsert_personas(session)


def seeded_database(url: str, customers: int, seed: int = 42) -> sessionmaker[Session]:
    """A migrated CRM at ``url`` with the reference data and ``customers`` synthetic customers (tests, benchmarks)."""
    from crm_core.core.db import create_schema, make_engine, session_factory, transaction
    from crm_core.seed.synthetic import insert_synthetic

    engine = make_engine(url)
    create_schema(engine)
    factory = session_factory(engine)
    with transaction(factory) as session:
        seed_reference(session)
        insert_synthetic(session, customers, seed)
    return factory
