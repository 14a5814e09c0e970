"""Development sign-in: a token for a seeded advisor. Absent outside COPILOT_ENV=development."""

from fastapi import APIRouter
from pydantic import BaseModel

from crm_core.api.deps import SessionDep
from crm_core.api.problems import RESPONSES
from crm_core.core.security import InvalidToken, issue_token
from crm_core.services.habilitations import UnknownAdvisor, actor_for
from crm_core.text import safe_text

router = APIRouter(prefix="/api/dev", tags=["development"], responses=RESPONSES)


class DevLogin(BaseModel):
    login: safe_text(80)


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    login: str
    profile: str


@router.post("/token", response_model=Token)
def dev_token(body: DevLogin, session: SessionDep) -> Token:
    try:
        actor = actor_for(session, body.login)
    except UnknownAdvisor as exc:
        raise InvalidToken(str(exc)) from exc
    return Token(access_token=issue_token(actor.login), login=actor.login, profile=actor.profile)
