"""Who am I, the profile catalogue, and lending application packs for a time."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel
from sqlalchemy import select

from crm_core.api.deps import ActorDep, SessionDep
from crm_core.api.problems import RESPONSES
from crm_core.models import ApplicationPack, BusinessProfile, PackLoan
from crm_core.models.base import utcnow
from crm_core.schemas.edits import PackLoanCreate
from crm_core.services import habilitations, tracing
from crm_core.services.errors import NotFound
from crm_core.services.validation import FieldInvalid, ValidationFailed

router = APIRouter(prefix="/api", tags=["habilitations"], responses=RESPONSES)


class Me(BaseModel):
    login: str
    profile: str
    permissions: list[str]


class Profile(BaseModel):
    code: str
    label: str
    permissions: list[str]


class Loan(BaseModel):
    id: int
    pack_code: str
    profile_code: str
    granted_by: str
    expires_at: str


@router.get("/me", response_model=Me)
def me(actor: ActorDep) -> Me:
    return Me(login=actor.login, profile=actor.profile, permissions=sorted(actor.permissions))


@router.get("/profiles", response_model=list[Profile])
def profiles(session: SessionDep, actor: ActorDep) -> list[Profile]:
    habilitations.require(actor, habilitations.ADMIN)
    return [Profile(code=p.code, label=p.label, permissions=p.permissions)
            for p in session.scalars(select(BusinessProfile).order_by(BusinessProfile.code))]


@router.post("/pack-loans", response_model=Loan, status_code=201)
def lend_pack(loan: PackLoanCreate, session: SessionDep, actor: ActorDep) -> Loan:
    """Lend an application pack to a business profile for a number of days (traced)."""
    habilitations.require(actor, habilitations.ADMIN)
    errors = []
    if session.get(ApplicationPack, loan.pack_code) is None:
        errors.append(FieldInvalid("pack_code", "Pack applicatif inconnu."))
    if session.get(BusinessProfile, loan.profile_code) is None:
        errors.append(FieldInvalid("profile_code", "Profil métier inconnu."))
    if errors:
        raise ValidationFailed(errors)
    now = utcnow()
    row = PackLoan(pack_code=loan.pack_code, profile_code=loan.profile_code, granted_by=actor.login,
                   starts_at=now, expires_at=now + timedelta(days=loan.days))
    session.add(row)
    session.flush()
    tracing.record(session, "habilitation.pack_lent", actor, pack=loan.pack_code, profile=loan.profile_code,
                   expires_at=row.expires_at.isoformat(), loan_id=row.id)
    return Loan(id=row.id, pack_code=row.pack_code, profile_code=row.profile_code, granted_by=row.granted_by,
                expires_at=row.expires_at.isoformat())


@router.delete("/pack-loans/{loan_id}", status_code=204)
def revoke_loan(loan_id: Annotated[int, Path(ge=1, le=2**31 - 1)], session: SessionDep, actor: ActorDep) -> None:
    habilitations.require(actor, habilitations.ADMIN)
    row = session.get(PackLoan, loan_id)
    if row is None or row.revoked_at is not None:
        raise NotFound(f"Prêt {loan_id} introuvable ou déjà révoqué.")
    row.revoked_at = utcnow()
    tracing.record(session, "habilitation.pack_revoked", actor, loan_id=loan_id, pack=row.pack_code,
                   profile=row.profile_code)
