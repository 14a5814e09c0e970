"""``POST /api/session/renew``: a fresh token for a still-valid one of our own issuer (the panel renews
before its token expires; its socket closes at expiry otherwise). Not mounted with an OIDC provider,
whose tokens the site's portal renews."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel

from crm_core.api.deps import SessionDep, bearer
from crm_core.api.problems import RESPONSES
from crm_core.core.security import InvalidToken, renew_token, verify
from crm_core.services import tracing
from crm_core.services.habilitations import UnknownAdvisor, actor_for

router = APIRouter(prefix="/api/session", tags=["session"], responses=RESPONSES)


class Renewed(BaseModel):
    access_token: str
    token_type: str = "bearer"
    login: str
    profile: str
    expires_at: datetime


@router.post("/renew", response_model=Renewed)
def renew(session: SessionDep,
          credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Renewed:
    claims = verify(credentials.credentials if credentials else "")
    try:
        actor = actor_for(session, claims.login)  # an advisor deactivated since sign-in gets no new token
    except UnknownAdvisor as exc:
        raise InvalidToken(str(exc)) from exc
    token = renew_token(claims)
    tracing.record(session, "session.renewed", actor, profile=actor.profile, door="api")
    return Renewed(access_token=token, login=actor.login, profile=actor.profile, expires_at=verify(token).expires_at)
