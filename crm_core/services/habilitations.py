"""Business profiles, application packs and the permissions they grant. Checked in the service layer.

Permissions are strings: ``customer:read``/``customer:search``, ``block:<block>`` to see a block of the 360°
view, ``field:<field>`` for sensitive fields (guardianship, electronic tag, collection, payment method),
``act:<act>`` for edits, ``trace:read``, ``admin:habilitations``. The catalogue below seeds the
``business_profiles`` and ``application_packs`` tables; at run time the database is the reference.
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.acts import catalogue as acts
from crm_core.models import Advisor, ApplicationPack, BusinessProfile, PackLoan
from crm_core.models.base import utcnow
from crm_core.services.actor import Actor

CUSTOMER_READ = "customer:read"
CUSTOMER_SEARCH = "customer:search"
TRACE_READ = "trace:read"
ADMIN = "admin:habilitations"
CALL_SUPERVISE = "call:supervise"  # follow and act on the calls of one's own centre
TRANSFER_REQUEST = "transfer:request"  # transfer a call to a level-2 team (crm_core.transfers)
TRANSFER_RECEIVE = "transfer:receive"  # acknowledge, decline, pick up and close transfers (level 2)
# Steering (steering/): whose figures one may read. The widest one held counts.
KPI_REGION = "kpi:region"  # every centre, team and advisor of one's region
KPI_TEAM = "kpi:team"  # the team one leads
KPI_OWN = "kpi:own"  # one's own figures

BLOCKS = ("identification", "commercial", "offers", "billing", "alerts", "equipment")
ALL_BLOCKS = frozenset(f"block:{b}" for b in BLOCKS)
SENSITIVE = {
    "guardianship": "field:guardianship",
    "electronic_tag": "field:electronic_tag",
    "collection": "field:collection",
    "payment_method": "field:payment_method",
}
# The acts' permissions are named in the one catalogue of acts (crm_core.acts.catalogue).
ACT_EDIT_CONTACT = acts.ACT_EDIT_CONTACT
ACT_EDIT_PAYMENT = acts.ACT_EDIT_PAYMENT
ACT_EDIT_OPTIONS = acts.ACT_EDIT_OPTIONS
ACT_EDIT_GUARDIANSHIP = acts.ACT_EDIT_GUARDIANSHIP
ACT_PAYMENT_EXTENSION = acts.ACT_PAYMENT_EXTENSION
# What a level-1 customer-contact advisor does on the journeys' acts (beyond edits).
N1_ACTS = frozenset({acts.ACT_EDIT_IDENTITY, acts.ACT_MOVE, acts.ACT_WITHDRAW, acts.ACT_TERMINATE,
                     acts.ACT_CREATE_CUSTOMER, acts.ACT_CHANGE_OFFER, acts.ACT_SEND_DOCUMENT, acts.ACT_SUPPORT,
                     acts.ACT_COMPLAINT, acts.ACT_GESTURE, acts.ACT_ORDERS})
ALL_ACTS = frozenset(a.permission for a in acts.ACT_LIST if a.permission.startswith("act:"))

_READ = frozenset({CUSTOMER_READ, CUSTOMER_SEARCH, TRACE_READ})

PROFILES: dict[str, tuple[str, frozenset[str]]] = {
    "n1_customer_contact": ("Conseiller N1 relation client", _READ | ALL_BLOCKS | {
        "field:guardianship", "field:electronic_tag", "field:payment_method",
        ACT_EDIT_CONTACT, ACT_EDIT_PAYMENT, ACT_EDIT_OPTIONS, TRANSFER_REQUEST, KPI_OWN} | N1_ACTS),
    "team_leader": ("Responsable d'équipe", _READ | ALL_BLOCKS | {
        "field:guardianship", "field:electronic_tag", "field:payment_method",
        ACT_EDIT_CONTACT, ACT_EDIT_PAYMENT, ACT_EDIT_OPTIONS, TRANSFER_REQUEST, KPI_OWN, KPI_TEAM} | N1_ACTS),
    "n2_technical": ("Conseiller N2 technique", _READ | {
        "block:identification", "block:offers", "block:alerts", "block:equipment",
        "field:electronic_tag", ACT_EDIT_CONTACT, acts.ACT_SUPPORT, acts.ACT_ORDERS, TRANSFER_RECEIVE, KPI_OWN}),
    "fleet_avsc": ("Conseiller AVSC flotte / géo / fibre", _READ | {
        "block:identification", "block:offers", "block:alerts", "block:equipment", "block:commercial",
        "field:electronic_tag", ACT_EDIT_OPTIONS, acts.ACT_SUPPORT, acts.ACT_CHANGE_OFFER, TRANSFER_REQUEST, KPI_OWN}),
    "collection": ("Conseiller recouvrement", _READ | ALL_BLOCKS | {
        "field:guardianship", "field:collection", "field:payment_method",
        ACT_EDIT_PAYMENT, ACT_PAYMENT_EXTENSION, ACT_EDIT_CONTACT, acts.ACT_SEND_DOCUMENT, TRANSFER_REQUEST,
        TRANSFER_RECEIVE, KPI_OWN}),
    "supervisor": ("Superviseur / responsable de centre", _READ | ALL_BLOCKS | frozenset(SENSITIVE.values()) | {
        CALL_SUPERVISE, TRANSFER_REQUEST, TRANSFER_RECEIVE, KPI_REGION} | ALL_ACTS),
    "trainer": ("Entraîneur du chatbot", frozenset({"nlu:curate"})),
    "admin": ("Administrateur des habilitations", frozenset({ADMIN})),
}

PACKS: dict[str, tuple[str, frozenset[str]]] = {
    "collection_tools": ("Outils de recouvrement", frozenset({
        "block:billing", "field:collection", "field:payment_method", ACT_PAYMENT_EXTENSION})),
    "technical_support": ("Support technique", frozenset({"block:equipment", "block:alerts"})),
    "guardianship_desk": ("Gestion des mesures de protection", frozenset({
        "field:guardianship", ACT_EDIT_GUARDIANSHIP})),
}

# The copilot itself (call sessions) reads what it needs to pop a screen; it never edits.
SYSTEM_PERMISSIONS = _READ | ALL_BLOCKS | frozenset(SENSITIVE.values())


class NotAllowed(PermissionError):
    """The actor's habilitations do not grant the permission (message in French)."""


class UnknownAdvisor(LookupError):
    pass


def require(actor: Actor, permission: str) -> None:
    if not actor.can(permission):
        raise NotAllowed(f"Le profil « {actor.profile} » n'est pas habilité à cette action ({permission}).")


def system_actor(login: str = "copilot") -> Actor:
    return Actor(login, "system", permissions=SYSTEM_PERMISSIONS)


def upsert_catalogue(session: Session) -> None:
    for code, (label, permissions) in PROFILES.items():
        session.merge(BusinessProfile(code=code, label=label, permissions=sorted(permissions)))
    for code, (label, permissions) in PACKS.items():
        session.merge(ApplicationPack(code=code, label=label, permissions=sorted(permissions)))


def effective_permissions(session: Session, profile_code: str, at: datetime | None = None) -> frozenset[str]:
    """The profile's permissions plus those of the packs lent to it and not expired at ``at``."""
    at = at or utcnow()
    profile = session.get(BusinessProfile, profile_code)
    granted = set(profile.permissions) if profile else set()
    loans = session.scalars(select(PackLoan).where(
        PackLoan.profile_code == profile_code, PackLoan.starts_at <= at, PackLoan.expires_at > at,
        PackLoan.revoked_at.is_(None)))
    for loan in loans:
        granted.update(loan.pack.permissions)
    return frozenset(granted)


def actor_for(session: Session, login: str, call_id: str | None = None) -> Actor:
    """The advisor behind a verified identity, with today's effective permissions."""
    advisor = session.scalar(select(Advisor).where(Advisor.login == login, Advisor.active.is_(True)))
    if advisor is None:
        # The same words whether the login does not exist or is inactive: errors do not list logins.
        raise UnknownAdvisor("Jeton d'authentification invalide.")
    return Actor(login, advisor.profile_code, call_id, effective_permissions(session, advisor.profile_code),
                 advisor.centre.code if advisor.centre else None)


def centre_of(session: Session, login: str) -> str | None:
    """The code of the centre an advisor works in (None: unknown advisor or no centre)."""
    advisor = session.scalar(select(Advisor).where(Advisor.login == login))
    return advisor.centre.code if advisor is not None and advisor.centre is not None else None
