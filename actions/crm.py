"""The one door from the actions to the CRM: the service layer, with the advisor taken from metadata."""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from rasa_sdk import Tracker
from sqlalchemy.orm import Session, sessionmaker

from crm_core.core.db import create_schema, get_engine, session_factory, transaction
from crm_core.services.actor import Actor


@lru_cache
def _sessions() -> sessionmaker[Session]:
    engine = get_engine()
    create_schema(engine)
    return session_factory(engine)


def call_context(tracker: Tracker) -> tuple[Actor, int | None]:
    """The advisor (login, profile) and the call's customer, set by the copilot in the message metadata."""
    metadata: dict[str, Any] = tracker.latest_message.get("metadata") or {}
    actor = Actor(
        login=str(metadata.get("advisor") or "unknown"),
        profile=str(metadata.get("profile") or "n1_customer_contact"),
        call_id=tracker.sender_id,
    )
    customer_id = metadata.get("customer_id")
    return actor, int(customer_id) if customer_id is not None else None


@contextmanager
def crm_session() -> Iterator[Session]:
    with transaction(_sessions()) as session:
        yield session
