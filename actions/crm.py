"""The one door from the actions to the CRM: the service layer, for the advisor the copilot vouches for.

Who asks and about which customer come from the copilot's signed assertion (``nlu.assertion``) in the
message metadata, verified here before any read: a message or a tracker that Rasa or the action server
receives from anyone else reads nothing, and the refusal is logged and traced.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from rasa_sdk import Tracker
from sqlalchemy.orm import Session, sessionmaker

from crm_core.acts.service import ActService
from crm_core.core.config import get_crm_settings
from crm_core.core.db import create_schema, get_engine, session_factory, transaction
from crm_core.services import tracing
from crm_core.services.actor import Actor
from crm_core.services.habilitations import UnknownAdvisor, actor_for, system_actor
from nlu.assertion import AssertionRefused, verify_assertion

log = logging.getLogger(__name__)
REFUSED = "Demande refusée : elle ne vient pas du copilote de cet appel."


class NotFromCopilot(PermissionError):
    """The message carries no valid assertion of the copilot for this call (French message)."""


@lru_cache
def _sessions() -> sessionmaker[Session]:
    engine = get_engine()
    create_schema(engine)
    return session_factory(engine)


def said(tracker: Tracker) -> str:
    """What the advisor typed, as typed: the NLU works on a normalised copy (``FrenchTranscriptTokenizer``)."""
    message = tracker.latest_message or {}
    text = message.get("original_text") or message.get("text")
    return text if isinstance(text, str) else ""


def call_context(tracker: Tracker) -> tuple[Actor, int | None]:
    """The advisor and the call's customer, as the copilot's assertion states them.

    The profile and permissions are read from the CRM, so an assertion cannot grant more rights than the
    advisor has; an advisor unknown to the CRM gets no rights.
    """
    metadata = tracker.latest_message.get("metadata") or {}
    token = metadata.get("assertion") if isinstance(metadata, dict) else None
    try:
        claim = verify_assertion(token, get_crm_settings().secret("internal_secret"), call_id=tracker.sender_id,
                                 text=said(tracker))
    except AssertionRefused as exc:
        log.warning("action refused for conversation %s: %s", tracker.sender_id, exc)
        with crm_session() as session:
            tracing.record(session, "security.assertion_rejected", system_actor("action-server"),
                           call_id=str(tracker.sender_id)[:80], reason=str(exc)[:200])
        raise NotFromCopilot(REFUSED) from exc
    try:
        with crm_session() as session:
            actor = actor_for(session, claim.advisor, claim.call_id)
    except UnknownAdvisor:
        actor = Actor(claim.advisor, "unknown", claim.call_id)
    return actor, claim.customer_id


def act_service(actor: Actor) -> ActService:
    """The one door of the acts (habilitation, rules, transaction, trace), for the advisor of the call."""
    return ActService(_sessions(), actor)


@contextmanager
def crm_session() -> Iterator[Session]:
    with transaction(_sessions()) as session:
        yield session
