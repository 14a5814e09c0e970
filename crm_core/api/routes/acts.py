"""Management acts: the catalogue, and each act's form, preview, execution and cancellation.

Each request is made by an advisor (bearer token) on their call (``X-Call-Id``, required: checked by
``get_actor``) about that call's customer (or none, to create one); the form is filled from what that call
said. The act itself goes through
``crm_core.acts.service.ActService``: habilitation, parameters, rules, transaction and trace.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response

from crm_core.acts import service
from crm_core.acts.catalogue import JOURNEY_CODES, JOURNEYS
from crm_core.api.deps import ActorDep
from crm_core.api.problems import RESPONSES
from crm_core.schemas.acts import ActCancel, ActForm, ActInfo, ActOpen, ActOutcome, ActRun, JourneyInfo
from crm_core.services.actor import Actor
from crm_core.services.call_access import CALL_ID, require_call, require_call_customer
from crm_core.services.errors import CallRequired

CALL_REQUIRED = "Un acte se fait sur un appel en cours : l'en-tête X-Call-Id manque."

def on_call(x_call_id: Annotated[str, Header(max_length=80, pattern=CALL_ID.pattern,
                                             description="The advisor's call the act is done on (required)")]) -> None:
    """Declares ``X-Call-Id`` required for the acts (``get_actor`` checks the call is the advisor's)."""


router = APIRouter(prefix="/api/acts", tags=["acts"], responses=RESPONSES)
act_router = APIRouter(prefix="/api/acts", tags=["acts"], responses=RESPONSES, dependencies=[Depends(on_call)])
journeys_router = APIRouter(prefix="/api/journeys", tags=["acts"], responses=RESPONSES)
ActCode = Annotated[str, Path(max_length=40, pattern=r"^[a-z_]{1,40}$")]


def _service(request: Request, actor: Actor, customer_id: int | None = None) -> service.ActService:
    """The act service for an advisor acting on their call (``X-Call-Id``, checked by ``get_actor``) and on
    that call's customer only."""
    if actor.call_id is None:
        raise CallRequired(CALL_REQUIRED)
    owner = require_call(getattr(request.app.state, "calls", None), actor, actor.call_id, door="api.acts")
    require_call_customer(owner, customer_id)
    return service.ActService(request.app.state.session_factory, actor)


def _hints(request: Request, actor: Actor) -> dict[str, Any]:
    """What the advisor's call said (caller number, entities of the reason), to fill the form."""
    calls = getattr(request.app.state, "calls", None)
    if actor.call_id is None or calls is None or not hasattr(calls, "hints"):
        return {}
    return calls.hints(actor.call_id)


@journeys_router.get("", response_model=list[JourneyInfo])
def list_journeys(actor: ActorDep) -> list[dict[str, Any]]:
    """The journeys (the NLU's labels) with their French label and their acts, in the order the panel suggests
    them: what the advisor may switch a call to."""
    return [{"code": j.code, "label": j.label, "acts": list(j.acts)} for j in JOURNEYS.values()]


@router.get("", response_model=list[ActInfo])
def list_acts(actor: ActorDep, journey: Annotated[str | None, Query(max_length=40)] = None) -> list[dict[str, Any]]:
    """Every act of the catalogue (or a journey's, in the order the panel suggests them), with ``allowed``
    for the advisor asking."""
    acts = service.catalogue(actor)
    if journey is not None:
        if journey not in JOURNEY_CODES:
            return []
        acts = [a for a in acts if journey in a["journeys"]]
    return acts


@act_router.post("/{code}/open", response_model=ActForm)
def open_act(code: ActCode, body: ActOpen, request: Request, actor: ActorDep) -> dict[str, Any]:
    """The act's form, filled from the call and the 360° view (traced ``act.opened``)."""
    return _service(request, actor, body.customer_id).open(code, body.customer_id, _hints(request, actor),
                                                           body.journey)


@act_router.post("/{code}/preview", response_model=ActOutcome)
def preview_act(code: ActCode, body: ActRun, request: Request, actor: ActorDep) -> dict[str, Any]:
    """What the act will read and change, before and after. Nothing is written."""
    return _service(request, actor, body.customer_id).preview(code, body.customer_id, body.params, body.version)


@act_router.post("/{code}/execute", response_model=ActOutcome)
def execute_act(code: ActCode, body: ActRun, request: Request, actor: ActorDep, response: Response) -> dict[str, Any]:
    """The act, in one transaction with its trace ``act.done``; refused (nothing written) with a French reason."""
    outcome = _service(request, actor, body.customer_id).execute(code, body.customer_id, body.params, body.version,
                                                                 body.journey)
    if outcome["version"] is not None:
        response.headers["ETag"] = f'"{outcome["version"]}"'
    return outcome


@act_router.post("/{code}/cancel", status_code=204)
def cancel_act(code: ActCode, body: ActCancel, request: Request, actor: ActorDep) -> Response:
    """The advisor dropped the act (traced ``act.cancelled``)."""
    _service(request, actor, body.customer_id).cancel(code, body.customer_id, body.stage, body.journey)
    return Response(status_code=204)
