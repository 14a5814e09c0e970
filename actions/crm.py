"""The one door from the actions to the CRM: the service layer, with the advisor taken from metadata."""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from rasa_sdk import Tracker
from sqlalchemy.orm import Session, sessionmaker

from crm_core.core.db import create_schema, get_engine, session_factory, transaction
from crm_core.services.actor import Actor
from crm_core.services.habilitations import UnknownAdvisor, actor_for


@lru_cache
def _sessions() -> sessionmaker[Session]:
    engine = get_engine()
    create_schema(engine)
    return session_factory(engine)


def call_context(tracker: Tracker) -> tuple[Actor, int | None]:
    """The advisor and the call's customer, from the message metadata set by the copilot.

    Only the advisor's login is taken from the metadata: the profile and permissions are read from the
    CRM, so a message cannot claim more rights than the advisor has. An unknown login gets no rights.
    """
    metadata: dict[str, Any] = tracker.latest_message.get("metadata") or {}
    login = str(metadata.get("advisor") or "unknown")
    try:
        with crm_session() as session:
            actor = actor_for(session, login, tracker.sender_id)
    except UnknownAdvisor:
        actor = Actor(login, "unknown", tracker.sender_id)
    customer_id = metadata.get("customer_id")
    return actor, int(customer_id) if customer_id is not None else None


@contextmanager
def crm_session() -> Iterator[Session]:
    with transaction(_sessions()) as session:
        yield session
