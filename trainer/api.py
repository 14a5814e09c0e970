"""The trainer's routes (``/api/trainer/…``), for the ``nlu:curate`` permission only (403 for anyone else).

Inbox of reasons to review, curated examples (add, relabel, retire, history), candidate models (train,
follow, compare, cancel), publication and rollback. Every write is traced with the trainer's login.
"""

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from crm_core.acts.catalogue import label_for
from crm_core.api.deps import ActorDep, SessionDep
from crm_core.api.problems import RESPONSES
from crm_core.models.trainer import NluModel
from crm_core.services.actor import Actor
from crm_core.services.errors import NotFound
from crm_core.services.habilitations import require
from nlu.journeys import JOURNEY_CODES
from trainer import registry
from trainer.comparison import compare
from trainer.dataset import heldout_sets
from trainer.examples import CURATE, MAX_CHARS, Curation, view
from trainer.inbox import SOURCES, Filters, Inbox

router = APIRouter(prefix="/api/trainer", tags=["trainer"], responses=RESPONSES)
ModelId = Annotated[int, Path(ge=1, le=2**31 - 1)]
ExampleId = Annotated[int, Path(ge=1, le=2**31 - 1)]
InboxId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$")]
Code = Annotated[str, Field(max_length=40)]


def curator(actor: ActorDep) -> Actor:
    """The trainer's profile (``nlu:curate``), checked before anything else of the request is read."""
    require(actor, CURATE)
    return actor


CuratorDep = Annotated[Actor, Depends(curator)]


class Entity(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: int = Field(ge=0, le=MAX_CHARS)
    end: int = Field(ge=1, le=MAX_CHARS)
    entity: Code
    value: str | None = Field(default=None, max_length=100)


class ExampleIn(BaseModel):
    """A labelled example: ``inbox_id`` when it answers a group of the inbox (accepted or relabelled)."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(max_length=MAX_CHARS)
    journey: Code
    entities: list[Entity] = Field(default_factory=list, max_length=30)
    inbox_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{16}$")


class ExampleEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    journey: Code
    text: str | None = Field(default=None, max_length=MAX_CHARS)
    entities: list[Entity] | None = Field(default=None, max_length=30)


class Rejection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(default=None, max_length=500)


class TrainingOrder(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=200, description="What this candidate tries (shown in the list)")


class PublishOrder(BaseModel):
    model_config = ConfigDict(extra="forbid")
    force: bool = False
    reason: str | None = Field(default=None, max_length=1000, description="Required with force")


class TrainingStarted(BaseModel):
    id: int
    status: str


def _model(model: NluModel, production: NluModel | None, full: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": model.id, "source": model.source, "status": model.status, "step": model.step,
        "progress": model.progress, "error": model.error, "created_by": model.created_by,
        "created_at": model.created_at, "finished_at": model.finished_at, "train_seconds": model.train_seconds,
        "training_examples": model.training_examples, "curated_examples": len(model.example_ids or []),
        "figures": registry.figures(model), "in_production": production is not None and production.id == model.id,
        "note": model.note,
    }
    if full and model.status == "ready":
        body["comparison"] = compare(model, production)
    return body


# -- inbox -------------------------------------------------------------------------------------------------
@router.get("/inbox")
def inbox(session: SessionDep, actor: CuratorDep,
          journey: Annotated[Literal[tuple(JOURNEY_CODES)] | None, Query()] = None,  # type: ignore[valid-type]
          since: Annotated[date | None, Query(description="From this day (default: 30 days ago)")] = None,
          until: Annotated[date | None, Query(description="To this day included (default: today)")] = None,
          centre: Annotated[str | None, Query(max_length=20)] = None,
          source: Annotated[Literal[SOURCES] | None, Query()] = None,  # type: ignore[valid-type]
          limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict[str, Any]:
    """Reasons the NLU was unsure of, that advisors corrected, or whose acts were dropped: masked, grouped by
    near-duplicates with their count, newest decisions out."""
    groups = Inbox(session, actor).groups(Filters(journey, since, until, centre, source), limit)
    for group in groups:
        group.pop("keys")
    return {"groups": groups, "journeys": [{"code": c, "label": label_for(c) or c} for c in JOURNEY_CODES]}


@router.post("/inbox/{inbox_id}/reject", status_code=204)
def reject(inbox_id: InboxId, session: SessionDep, actor: CuratorDep, body: Rejection | None = None) -> Response:
    """Nothing to learn from this group (noise, a reason that is not a request…): it leaves the inbox."""
    box = Inbox(session, actor)
    box.decide(box.find(inbox_id), "rejected")
    return Response(status_code=204)


# -- curated examples --------------------------------------------------------------------------------------
@router.post("/examples", status_code=201)
def add_example(body: ExampleIn, session: SessionDep, actor: CuratorDep) -> dict[str, Any]:
    """Add a labelled example (masked, checked against the curated ones, the repository's and the held-out
    sets); with ``inbox_id``, the inbox group it answers is accepted (same journey) or relabelled."""
    curation, box = Curation(session, actor), Inbox(session, actor)
    group = box.find(body.inbox_id) if body.inbox_id else None
    row = curation.add(body.text, body.journey, [e.model_dump() for e in body.entities],
                       source="inbox" if group else "manual", inbox_key=group["keys"][0] if group else None)
    if group is not None:
        decision = "accepted" if body.journey == group["suggested"] else "relabelled"
        box.decide(group, decision, body.journey, row.id)
    return view(row)


@router.get("/examples")
def examples(session: SessionDep, actor: CuratorDep,
             journey: Annotated[Literal[tuple(JOURNEY_CODES)] | None, Query()] = None  # type: ignore[valid-type]
             ) -> list[dict[str, Any]]:
    """The active curated examples (the last version of each)."""
    return [view(r) for r in Curation(session, actor).active(journey)]


@router.get("/examples/{example_id}")
def example(example_id: ExampleId, session: SessionDep, actor: CuratorDep) -> dict[str, Any]:
    """One example with its earlier versions."""
    return Curation(session, actor).get(example_id)


@router.patch("/examples/{example_id}")
def edit_example(example_id: ExampleId, body: ExampleEdit, session: SessionDep, actor: CuratorDep) -> dict[str, Any]:
    """Relabel (or reword) an example: its next version; the one before is kept, retired."""
    entities = None if body.entities is None else [e.model_dump() for e in body.entities]
    return view(Curation(session, actor).relabel(example_id, body.journey, body.text, entities))


@router.delete("/examples/{example_id}", status_code=204)
def retire_example(example_id: ExampleId, session: SessionDep, actor: CuratorDep) -> Response:
    """Retire an example: the next candidates are trained without it (its versions stay)."""
    Curation(session, actor).retire(example_id)
    return Response(status_code=204)


# -- models ------------------------------------------------------------------------------------------------
@router.post("/models", status_code=202, response_model=TrainingStarted)
async def train(request: Request, actor: CuratorDep, body: TrainingOrder | None = None) -> dict[str, Any]:
    """Train a candidate in the background on the repository's data and the curated examples, then score it
    beside the production model on the held-out sets. Follow it with ``GET /api/trainer/models/{id}``."""
    model = await request.app.state.trainings.start(actor, note=body.note if body else None)
    return {"id": model.id, "status": model.status}


@router.get("/models")
def models(session: SessionDep, actor: CuratorDep) -> dict[str, Any]:
    """The model in production, every model (newest first), the publication history, and whether there is a model
    before the one in production to roll back to."""
    production = registry.serving_model(session)
    rows = session.scalars(select(NluModel).order_by(NluModel.id.desc()).limit(100))
    return {"production": _model(production, production) if production else None,
            "models": [_model(m, production) for m in rows],
            "history": registry.history(session), "heldout_sets": sorted(heldout_sets()),
            "can_roll_back": len(registry.stack_of(session)) >= 2}


@router.get("/models/{model_id}")
def model(model_id: ModelId, session: SessionDep, actor: CuratorDep) -> dict[str, Any]:
    """One model: its training's step and progress, or its figures compared with the model in production."""
    found = session.get(NluModel, model_id)
    if found is None:
        raise NotFound(f"Modèle {model_id} introuvable.")
    return _model(found, registry.serving_model(session), full=True)


@router.post("/models/{model_id}/cancel", status_code=204)
async def cancel(model_id: ModelId, request: Request, actor: CuratorDep) -> Response:
    """Stop a training: the candidate ends failed; the model in production is untouched."""
    await request.app.state.trainings.cancel(model_id, actor)
    return Response(status_code=204)


@router.post("/models/{model_id}/publish")
async def publish(model_id: ModelId, request: Request, actor: CuratorDep,
                  body: PublishOrder | None = None) -> dict[str, Any]:
    """Load the candidate into the running Rasa server (calls keep their analysis) and make it the model in
    production. 409 when it is worse than production on a held-out set, unless ``force`` with a ``reason``;
    409 when another trainer is publishing."""
    order = body or PublishOrder()
    return await request.app.state.publisher.publish(model_id, actor, order.force, order.reason)


@router.post("/models/{model_id}/rollback")
async def rollback(model_id: ModelId, request: Request, actor: CuratorDep) -> dict[str, Any]:
    """Return from this model (the one in production) to the model published before it."""
    return await request.app.state.publisher.rollback(actor, model_id)
