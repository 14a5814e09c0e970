"""The copilot's own routes about calls: a call's conversation (the only way to read Rasa's tracker), the
advisor's correction of the call's journey, and the calls that wait for an advisor (supervisors)."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict

from assistant.copilot.nlu_client import NluUnavailable
from assistant.copilot.panel_messages import SuggestedAct
from crm_core.acts.catalogue import JOURNEY_CODES
from crm_core.api.deps import ActorDep
from crm_core.api.problems import RESPONSES, problem
from crm_core.services import habilitations
from crm_core.services.call_access import CALL_ID

router = APIRouter(prefix="/api/calls", tags=["calls"], responses=RESPONSES)
CallIdPath = Annotated[str, Path(max_length=80, pattern=CALL_ID.pattern)]


class Said(BaseModel):
    at: float | None
    # "advisor" (what was asked) or "copilot" (what it answered)
    sender: str
    text: str


class JourneyChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    journey: Literal[JOURNEY_CODES]  # type: ignore[valid-type]


class JourneySwitched(BaseModel):
    call_id: str
    journey: str
    journey_label: str
    replaced: str | None
    acts: list[SuggestedAct]


class Waiting(BaseModel):
    call_id: str
    state: str
    since: str


@router.get("/unassigned", response_model=list[Waiting])
def unassigned(request: Request, actor: ActorDep) -> list[Waiting]:
    """Calls that no advisor has been given yet: what supervisors see of them (no customer data)."""
    habilitations.require(actor, habilitations.CALL_SUPERVISE)
    return [Waiting(**c) for c in request.app.state.calls.unassigned()]


@router.post("/{call_id}/journey", response_model=JourneySwitched)
async def correct_journey(call_id: CallIdPath, choice: JourneyChoice, request: Request,
                          actor: ActorDep) -> dict[str, Any]:
    """The advisor switches the call's journey when the NLU got it wrong: the pop follows with that journey's
    acts, and the correction is traced (``nlu.corrected``) with the prediction it replaces."""
    return await request.app.state.calls.correct_journey(call_id, choice.journey, actor)


@router.get("/{call_id}/conversation", response_model=list[Said],
            responses={503: {"description": "Le copilote (Rasa) est indisponible"}})
async def conversation(call_id: CallIdPath, request: Request, actor: ActorDep):  # type: ignore[no-untyped-def]
    """What was asked of the copilot on the call and what it answered, for the call's advisor (or a
    supervisor of their centre)."""
    try:
        said = await request.app.state.calls.conversation(call_id, actor)
    except NluUnavailable:
        return problem(503, "Le copilote est indisponible pour le moment : réessayez dans un instant.")
    return [Said(at=s["at"], sender=s["from"], text=s["text"]) for s in said]
