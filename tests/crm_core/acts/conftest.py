"""Acts run through their one door (ActService) on the seeded demo CRM, on SQLite and PostgreSQL."""

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session, sessionmaker

from crm_core.acts.service import ActService
from crm_core.services.actor import Actor
from tests.factories import advisor

Acts = Callable[..., ActService]


@pytest.fixture
def acts(sessions: sessionmaker[Session]) -> Acts:
    """``acts(profile="n1_customer_contact", call_id=None)``: the act service for an advisor of that profile."""

    def make(profile: str = "n1_customer_contact", call_id: str | None = "call-test") -> ActService:
        actor: Actor = advisor(profile, login="n1.demo" if profile == "n1_customer_contact" else None,
                               call_id=call_id)
        return ActService(sessions, actor)

    return make


def traces(sessions: sessionmaker[Session], name: str) -> list[dict]:
    """The data of every trace of that name, oldest first."""
    from sqlalchemy import select

    from crm_core.models import TraceEvent

    with sessions() as session:
        return [{"customer_id": t.customer_id, "call_id": t.call_id, **t.data}
                for t in session.scalars(select(TraceEvent).where(TraceEvent.name == name).order_by(TraceEvent.id))]
