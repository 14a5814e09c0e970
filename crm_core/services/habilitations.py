"""Which business profile may do what. Checked in the service layer, never in routes."""

from crm_core.services.actor import Actor

CUSTOMER_READ = "customer.read"
CUSTOMER_SEARCH = "customer.search"

PROFILE_PERMISSIONS: dict[str, frozenset[str]] = {
    "n1_customer_contact": frozenset({CUSTOMER_READ, CUSTOMER_SEARCH}),
    "n2_technical": frozenset({CUSTOMER_READ, CUSTOMER_SEARCH}),
    "supervisor": frozenset({CUSTOMER_READ, CUSTOMER_SEARCH}),
    "trainer": frozenset(),
    "system": frozenset({CUSTOMER_READ, CUSTOMER_SEARCH}),
}


class NotAllowed(PermissionError):
    """The actor's profile does not grant the permission (message in French)."""


def require(actor: Actor, permission: str) -> None:
    if permission not in PROFILE_PERMISSIONS.get(actor.profile, frozenset()):
        raise NotAllowed(f"Le profil « {actor.profile} » n'est pas habilité à cette action ({permission}).")
