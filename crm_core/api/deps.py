"""Dependencies written once, so route signatures stay one line."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from crm_core.core.security import InvalidToken, verify_token
from crm_core.services.actor import Actor
from crm_core.services.call_access import require_call
from crm_core.services.habilitations import UnknownAdvisor, actor_for

bearer = HTTPBearer(auto_error=False, description="Bearer JWT: `copilot token --user n1.demo` in development")


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed on success, rolled back on error."""
    factory = request.app.state.session_factory
    with factory() as session, session.begin():
        yield session


# scope="function": the transaction commits before the response is sent, so a client that reads right
# after a successful edit sees it (and a commit that fails is the response's error, not a silent loss).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_actor(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    x_call_id: Annotated[str | None, Header(max_length=80, description="The call the request is made on: one "
                                            "presented to the advisor (or, for a supervisor, to an advisor "
                                            "of their centre)")] = None,
) -> Actor:
    """The advisor behind a valid bearer token, with today's effective permissions (401 otherwise).

    A request made on a call (``X-Call-Id``) is traced with that call only if the call is the advisor's
    (``crm_core.services.call_access``): others get 403, traced, whatever the call id says.
    """
    try:
        login = verify_token(credentials.credentials if credentials else "")
        actor = actor_for(session, login)
    except UnknownAdvisor as exc:
        raise InvalidToken(str(exc)) from exc
    if x_call_id:
        require_call(getattr(request.app.state, "calls", None), actor, x_call_id, door="api")
        actor = actor.on_call(x_call_id)
    return actor


ActorDep = Annotated[Actor, Depends(get_actor)]
