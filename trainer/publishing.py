"""Publish a candidate to the running Rasa server, or roll back to the model before.

One publication at a time across trainers: the ``serving_model`` row is claimed by a conditional update
(``busy_by``), so of two trainers publishing at once one wins and the other gets a 409 naming who is
publishing. The model is loaded by the running server (``/webhooks/copilot/model``: built beside the model
in use, then swapped at once), so calls keep getting their analysis; only once the server runs it does the
database say so. A load that fails leaves the model in production as it was.
"""

import asyncio
import contextlib
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.orm import Session, sessionmaker

from assistant.copilot.nlu_client import NluUnavailable, RasaClient
from crm_core.models.base import utcnow
from crm_core.models.trainer import ModelPublication, NluModel, ServingModel
from crm_core.services import tracing
from crm_core.services.actor import Actor
from crm_core.services.errors import Conflict, NotFound, Unavailable
from crm_core.services.habilitations import require
from crm_core.services.validation import FieldInvalid, ValidationFailed
from crm_core.services.validation import text as clean
from trainer import registry
from trainer.comparison import worse_on

log = logging.getLogger(__name__)
CLAIM_TTL = timedelta(minutes=3)  # a claim older than this (its app died mid-publication) is taken over


def _percent(share: float) -> str:
    """« 96,3 % », as French writes it."""
    return f"{100 * share:.1f}".replace(".", ",") + "\u202f%"


def _worse(name: str, ours: dict[str, Any], theirs: dict[str, Any]) -> str:
    """« jeu C : 95,3 % contre 95,6 %, 1 motif de moins sur 360 » (the trainer judges whether it is noise)."""
    total = ours.get("examples") or 0
    fewer = round((theirs["accuracy"] - ours["accuracy"]) * total) if total else 0
    count = f", {fewer} motif{'s' if fewer > 1 else ''} de moins sur {total}" if fewer else ""
    return f"jeu {name} : {_percent(ours['accuracy'])} contre {_percent(theirs['accuracy'])}{count}"


class ModelNotLoaded(Unavailable):
    """The Rasa server could not load the model: nothing changed."""


class Publisher:
    def __init__(self, factory: sessionmaker[Session], rasa: RasaClient, models_dir: Path | None) -> None:
        self.factory = factory
        self.rasa = rasa
        self.folder = registry.registry_dir(models_dir)
        self._lock = asyncio.Lock()

    async def publish(self, model_id: int, actor: Actor, force: bool = False, reason: str | None = None) -> dict:
        require(actor, "nlu:curate")
        if force:
            try:
                reason = clean("reason", reason or "", 1000, "La raison de la publication forcée")
            except FieldInvalid as exc:
                raise ValidationFailed([exc]) from exc
        with self.factory() as session:
            self._ready(session, model_id)
        return await self._swap(model_id, actor, "publish", reason, gate=not force)

    def _gate(self, session: Session, model: NluModel, actor: Actor, gate: bool) -> str:
        """``publish`` or ``force`` against the model in production now (read under the claim); 409 when the
        candidate is worse on a held-out set and the trainer did not force it."""
        current = registry.serving_model(session)
        if current is not None and current.id == model.id:
            raise Conflict(f"Le modèle {model.id} est déjà en production.")
        worse = worse_on(model, current)
        if worse and gate:
            detail = ", ".join(_worse(s, model.metrics[s], current.metrics[s]) for s in worse if current)
            with self.factory() as log_session, log_session.begin():
                tracing.record(log_session, "trainer.publish_refused", actor, model=model.id, worse_on=worse)
            error = Conflict(f"Ce candidat fait moins bien que le modèle en production ({detail}). Pour le "
                             f"publier quand même, forcez la publication en donnant une raison.")
            error.worse_on = worse  # type: ignore[attr-defined]
            raise error
        return "force" if worse else "publish"

    async def rollback(self, actor: Actor, from_model: int, reason: str | None = None) -> dict:
        require(actor, "nlu:curate")
        with self.factory() as session:
            current = registry.serving_model(session)
            if current is None or current.id != from_model:
                raise NotFound(f"Le modèle {from_model} n'est pas celui en production : seul celui-ci peut être "
                               f"retiré.")
            stack = registry.stack_of(session)
            if len(stack) < 2:
                raise Conflict("Aucun modèle précédent : le modèle en production est le premier publié.")
            target = stack[-2]
            self._ready(session, target)
        return await self._swap(target, actor, "rollback", reason, gate=False)

    def _ready(self, session: Session, model_id: int) -> NluModel:
        model = session.get(NluModel, model_id)
        if model is None:
            raise NotFound(f"Modèle {model_id} introuvable.")
        if model.status != "ready":
            state = {"training": "encore en entraînement", "failed": "en échec"}.get(model.status, model.status)
            raise Conflict(f"Le modèle {model_id} n'est pas prêt ({state}) : il ne peut pas être publié.")
        if not model.file or not Path(model.file).exists():
            raise Conflict(f"Le fichier du modèle {model_id} est introuvable : il ne peut plus être publié.")
        return model

    async def _load(self, path: str, expected_id: str | None) -> dict[str, Any]:
        """The server loads the archive; if the order's answer is lost (a timeout) while the server did load it,
        its status says so, and the database follows what the server runs."""
        try:
            return await self.rasa.load_model(path)
        except NluUnavailable:
            if expected_id:
                with contextlib.suppress(NluUnavailable):
                    if (await self.rasa.status()).get("model_id") == expected_id:
                        return {"model_id": expected_id, "seconds": None}
            raise

    def _claim(self, actor: Actor) -> None:
        with self.factory() as session, session.begin():
            row = registry.serving_row(session)
            if row is None:
                raise Conflict("Aucun modèle en production n'est enregistré : démarrez la pile avec `copilot run`.")
            now = utcnow()
            claimed = session.execute(
                update(ServingModel).where(ServingModel.id == 1, or_(ServingModel.busy_by.is_(None),
                                                                     ServingModel.busy_since < now - CLAIM_TTL))
                .values(busy_by=actor.login, busy_since=now).execution_options(synchronize_session=False)).rowcount
            if not claimed:
                raise Conflict(f"{row.busy_by} est en train de publier un modèle : attendez la fin de sa "
                               f"publication, puis comparez de nouveau avec le modèle en production.")

    def _release(self) -> None:
        with self.factory() as session, session.begin():
            session.execute(update(ServingModel).where(ServingModel.id == 1).values(busy_by=None, busy_since=None))

    async def _swap(self, model_id: int, actor: Actor, action: str, reason: str | None,
                    gate: bool) -> dict[str, Any]:
        if self._lock.locked():
            with self.factory() as session:
                row = registry.serving_row(session)
                who = row.busy_by if row and row.busy_by else "un autre entraîneur"
            raise Conflict(f"{who} est en train de publier un modèle : attendez la fin de sa publication.")
        async with self._lock:
            self._claim(actor)
            try:
                with self.factory() as session:
                    model = self._ready(session, model_id)
                    if action != "rollback":
                        action = self._gate(session, model, actor, gate)
                    path, expected_id = model.file or "", model.model_id
                try:
                    loaded = await self._load(path, expected_id)
                except NluUnavailable as exc:
                    with self.factory() as session, session.begin():
                        tracing.record(session, "trainer.publish_failed", actor, model=model_id, error=str(exc)[:300])
                    raise ModelNotLoaded(f"Le serveur Rasa n'a pas pu charger le modèle {model_id} : le modèle en "
                                         f"production n'a pas changé. ({exc})") from exc
                if expected_id and loaded.get("model_id") != expected_id:
                    log.warning("model %s: Rasa reports model_id %s, expected %s", model_id, loaded.get("model_id"),
                                expected_id)
                with self.factory() as session, session.begin():
                    row = registry.serving_row(session)
                    assert row is not None
                    previous = row.model_id
                    row.model_id, row.version, row.busy_by, row.busy_since = model_id, row.version + 1, None, None
                    model = session.get(NluModel, model_id)
                    assert model is not None
                    publication = ModelPublication(model_id=model_id, previous_model_id=previous, action=action,
                                                   reason=reason, figures=registry.figures(model),
                                                   published_by=actor.login)
                    session.add(publication)
                    session.flush()
                    trace = "trainer.model_rolled_back" if action == "rollback" else "trainer.model_published"
                    tracing.record(session, trace, actor, model=model_id, previous=previous, action=action,
                                   reason=reason, figures=publication.figures)
                    registry.point_serving_link(self.folder, Path(path))
                    return {"model_id": model_id, "previous_model_id": previous, "action": action,
                            "published_by": actor.login, "published_at": publication.published_at,
                            "load_seconds": loaded.get("seconds"), "figures": publication.figures}
            finally:
                self._release()
