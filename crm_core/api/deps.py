"""Dependencies written once, so route signatures stay one line."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from crm_core.services.actor import Actor


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed on success, rolled back on error."""
    factory = request.app.state.session_factory
    with factory() as session, session.begin():
        yield session


def get_actor(
    x_advisor: Annotated[str, Header()] = "n1.demo",
    x_profile: Annotated[str, Header()] = "n1_customer_contact",
    x_call_id: Annotated[str | None, Header()] = None,
) -> Actor:
    # Walking skeleton: the advisor identity comes from headers set by the panel.
    # The habilitations issue replaces this with a verified bearer JWT.
    return Actor(login=x_advisor, profile=x_profile, call_id=x_call_id)


SessionDep = Annotated[Session, Depends(get_session)]
ActorDep = Annotated[Actor, Depends(get_actor)]
