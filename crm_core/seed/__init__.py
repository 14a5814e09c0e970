"""Deterministic demo and synthetic data for the CRM."""

from sqlalchemy.orm import Session


def seed_reference(session: Session) -> None:
    """Catalogue, organisation (profiles, packs, advisors) and the demo personas: idempotent."""
    from crm_core.seed.catalogue import upsert_catalogue
    from crm_core.seed.demo import upsert_personas
    from crm_core.seed.organisation import upsert_organisation

    upsert_catalogue(session)
    upsert_organisation(session)
    session.flush()
    upsert_personas(session)
