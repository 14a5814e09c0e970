"""Plain factory functions for tests."""

from crm_core.core.security import issue_token
from crm_core.services.actor import Actor
from crm_core.services.habilitations import PROFILES


def advisor(profile: str = "n1_customer_contact", login: str | None = None, call_id: str | None = None) -> Actor:
    """An actor with exactly the permissions of ``profile`` in the catalogue."""
    return Actor(login or f"{profile}.test", profile, call_id, PROFILES[profile][1])


def auth(login: str = "n1.demo") -> dict[str, str]:
    """Headers of a request made by a seeded advisor."""
    return {"Authorization": f"Bearer {issue_token(login)}"}
