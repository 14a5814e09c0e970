"""Level-2 transfers over HTTP (the panel does all of it for people): the draft and the request on a call of
one's own, the acknowledgement, decline, pick-up and close by level 2, the baskets and their waiting
transfers. Each route goes through ``assistant.copilot.transfer_desk`` and ``crm_core.transfers.service``."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from assistant.copilot.calls_api import CallIdPath
from crm_core.api.deps import ActorDep
from crm_core.api.problems import RESPONSES
from crm_core.schemas.transfers import (
    Basket,
    BasketItem,
    Code,
    MyTransfer,
    PickedUp,
    TransferClose,
    TransferDecline,
    TransferDraft,
    TransferRequest,
    TransferView,
)

calls = APIRouter(prefix="/api/calls", tags=["transfers"], responses=RESPONSES)
transfers = APIRouter(prefix="/api/transfers", tags=["transfers"], responses=RESPONSES)
baskets = APIRouter(prefix="/api/baskets", tags=["transfers"], responses=RESPONSES)
TransferId = Annotated[int, Path(ge=1, le=2**31 - 1)]
BasketCode = Annotated[str, Path(max_length=40, pattern=r"^[A-Za-z0-9_.-]{1,40}$")]


def _desk(request: Request) -> Any:
    return request.app.state.transfers


@calls.get("/{call_id}/transfer", response_model=TransferDraft)
async def draft(call_id: CallIdPath, request: Request, actor: ActorDep,
                to: Annotated[Code | None, Query(description="Another team or basket than the proposed one")] = None,
                checked: Annotated[list[Code], Query(max_length=30)] = []) -> dict[str, Any]:  # noqa: B006
    """What a transfer of the call would carry (nothing written but the read's trace): the team the routing
    proposes, the teams the advisor may choose, the prerequisites' checklist and the drafted handover."""
    return await _desk(request).draft(call_id, actor, to, checked)


@calls.post("/{call_id}/transfer", response_model=TransferView,
            responses={409: {"description": "Prérequis bloquant non fait (``prerequisites`` dans la réponse) ou "
                                            "transfert déjà en cours"}})
async def request_transfer(call_id: CallIdPath, body: TransferRequest, request: Request,
                           actor: ActorDep) -> dict[str, Any]:
    """Transfer the call: warm (offered at once to the team's level-2 panels) or cold (waits in the basket).
    A blocking prerequisite neither done in the call's trace nor ticked: 409 with the checklist."""
    return await _desk(request).request(call_id, actor, body.mode, body.to, body.checked, body.handover_text)


@transfers.get("", response_model=list[MyTransfer])
def my_transfers(request: Request, actor: ActorDep) -> list[dict[str, Any]]:
    """The advisor's transfers: those they asked for (the last 50) and those they took and have not closed."""
    return _desk(request).service(actor).mine()


@transfers.get("/{transfer_id}", response_model=TransferView)
def get_transfer(transfer_id: TransferId, request: Request, actor: ActorDep) -> dict[str, Any]:
    """One transfer with its handover, for who asked for it, who took it, its team while it waits, and the
    supervisors of the asking advisor's centre."""
    return _desk(request).service(actor).get(transfer_id)


@transfers.post("/{transfer_id}/ack", response_model=TransferView)
async def acknowledge(transfer_id: TransferId, request: Request, actor: ActorDep) -> dict[str, Any]:
    """Level 2 acknowledges a warm transfer: it is theirs, level 1 hears of it at once."""
    return await _desk(request).acknowledge(transfer_id, actor)


@transfers.post("/{transfer_id}/decline", response_model=TransferView)
async def decline(transfer_id: TransferId, body: TransferDecline, request: Request,
                  actor: ActorDep) -> dict[str, Any]:
    """Level 2 declines a transfer with a reason, which level 1 gets at once."""
    return await _desk(request).decline(transfer_id, actor, body.reason)


@transfers.post("/{transfer_id}/pickup", response_model=PickedUp)
async def pick_up(transfer_id: TransferId, request: Request, actor: ActorDep) -> dict[str, Any]:
    """Level 2 takes a cold transfer from the basket: the handover, the 360° and the copilot conversation where
    level 1 left them; the call is theirs to act on."""
    return await _desk(request).pick_up(transfer_id, actor)


@transfers.post("/{transfer_id}/close", response_model=TransferView)
async def close(transfer_id: TransferId, body: TransferClose, request: Request, actor: ActorDep) -> dict[str, Any]:
    """Level 2 closes the case with its outcome: level 1 is notified, the customer's history shows it."""
    return await _desk(request).close(transfer_id, actor, body.outcome, body.note)


@transfers.post("/{transfer_id}/cancel", response_model=TransferView)
async def cancel(transfer_id: TransferId, request: Request, actor: ActorDep) -> dict[str, Any]:
    """Level 1 withdraws a transfer nobody has taken yet."""
    return await _desk(request).cancel(transfer_id, actor)


@baskets.get("", response_model=list[Basket])
def my_baskets(request: Request, actor: ActorDep) -> list[dict[str, Any]]:
    """The baskets the advisor receives transfers in, with how many wait in each."""
    return _desk(request).service(actor).baskets()


@baskets.get("/{basket_code}/transfers", response_model=list[BasketItem])
def basket_transfers(basket_code: BasketCode, request: Request, actor: ActorDep) -> list[dict[str, Any]]:
    """The transfers waiting in the basket, oldest first, with their age (level 2 of its team)."""
    return _desk(request).service(actor).basket(basket_code)
