"""Curated examples: add, relabel, retire, list, with their versions; every change traced with the trainer.

A trainer adds an example (``POST /api/trainer/examples``) from the inbox or from scratch. It is refused,
in French, when its journey is unknown, its text empty or too long, when an active example says the same
(a near-duplicate), or when it is a sentence of a held-out set (training must never see them). Relabelling
retires the row and adds its next revision; nothing is ever deleted.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.acts.catalogue import label_for
from crm_core.models.base import utcnow
from crm_core.models.trainer import CuratedExample
from crm_core.services import tracing
from crm_core.services.actor import Actor
from crm_core.services.errors import Conflict, NotFound
from crm_core.services.habilitations import require
from crm_core.services.validation import FieldInvalid, ValidationFailed
from crm_core.services.validation import text as clean
from nlu.journeys import JOURNEY_CODES
from trainer.dataset import ENTITIES, Example, heldout_keys, repository_examples
from trainer.dedup import text_key
from trainer.masking import mask

CURATE = "nlu:curate"
MAX_CHARS = 1000


@dataclass(frozen=True)
class Draft:
    text: str
    journey: str
    entities: list[dict[str, Any]]


def validate(text: Any, journey: Any, entities: Any) -> Draft:
    """The example as it will be stored (masked, cleaned), or ValidationFailed listing every problem."""
    errors: list[FieldInvalid] = []
    cleaned = ""
    try:
        cleaned = clean("text", text if isinstance(text, str) else "", MAX_CHARS, "Le texte de l'exemple")
        cleaned = " ".join(cleaned.split())
    except FieldInvalid as exc:
        errors.append(exc)
    if journey not in JOURNEY_CODES:
        errors.append(FieldInvalid("journey", f"Parcours inconnu : « {str(journey)[:40]} ». Parcours possibles : "
                                              f"{', '.join(JOURNEY_CODES)}."))
    checked: list[dict[str, Any]] = []
    for i, entity in enumerate(entities or []):
        try:
            checked.append(_entity(cleaned, entity))
        except FieldInvalid as exc:
            errors.append(FieldInvalid(f"entities[{i}]", exc.message))
    if errors:
        raise ValidationFailed(errors)
    masked = mask(cleaned)
    if masked != cleaned and checked:
        checked = []  # spans no longer fit a masked text: entities are dropped with the personal data
    return Draft(masked, journey, checked)


def _entity(text: str, entity: Any) -> dict[str, Any]:
    if not isinstance(entity, dict):
        raise FieldInvalid("entities", "Entité attendue : {start, end, entity, value}.")
    start, end, name, value = entity.get("start"), entity.get("end"), entity.get("entity"), entity.get("value")
    if name not in ENTITIES:
        raise FieldInvalid("entities", f"Entité inconnue : « {str(name)[:40]} » ({', '.join(ENTITIES)}).")
    if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
        raise FieldInvalid("entities", "Position de l'entité hors du texte (start < end ≤ longueur du texte).")
    if value is not None and (not isinstance(value, str) or len(value) > 100):
        raise FieldInvalid("entities", "Valeur d'entité : texte de 100 caractères au plus.")
    return {"start": start, "end": end, "entity": name, "value": value or text[start:end]}


def view(row: CuratedExample) -> dict[str, Any]:
    return {"id": row.id, "text": row.text, "journey": row.journey, "journey_label": label_for(row.journey),
            "entities": row.entities, "source": row.source, "revision": row.revision, "replaces_id": row.replaces_id,
            "created_by": row.created_by, "created_at": row.created_at, "active": row.retired_at is None,
            "retired_by": row.retired_by, "retired_at": row.retired_at}


class Curation:
    def __init__(self, session: Session, actor: Actor) -> None:
        require(actor, CURATE)
        self.session, self.actor = session, actor

    # -- reads ---------------------------------------------------------------------------------------------
    def active(self, journey: str | None = None) -> list[CuratedExample]:
        query = select(CuratedExample).where(CuratedExample.retired_at.is_(None)).order_by(CuratedExample.id)
        if journey:
            query = query.where(CuratedExample.journey == journey)
        return list(self.session.scalars(query))

    def get(self, example_id: int) -> dict[str, Any]:
        row = self._row(example_id)
        history, cursor = [], row
        while cursor.replaces_id is not None:
            cursor = self._row(cursor.replaces_id)
            history.append(view(cursor))
        later = self.session.scalar(select(CuratedExample).where(CuratedExample.replaces_id == row.id))
        return view(row) | {"history": history, "replaced_by": later.id if later else None}

    def _row(self, example_id: int) -> CuratedExample:
        row = self.session.get(CuratedExample, example_id)
        if row is None:
            raise NotFound(f"Exemple {example_id} introuvable.")
        return row

    # -- writes --------------------------------------------------------------------------------------------
    def add(self, text: Any, journey: Any, entities: Any = None, source: str = "manual",
            inbox_key: str | None = None) -> CuratedExample:
        draft = validate(text, journey, entities)
        key = self._check_new(draft)
        row = CuratedExample(text=draft.text, text_key=key, journey=draft.journey, entities=draft.entities,
                             source=source, inbox_key=inbox_key, created_by=self.actor.login)
        self.session.add(row)
        self.session.flush()
        tracing.record(self.session, "trainer.example_added", self.actor, example=row.id, journey=row.journey,
                       source=source, text=row.text)
        return row

    def relabel(self, example_id: int, journey: Any, text: Any = None, entities: Any = None) -> CuratedExample:
        old = self._row(example_id)
        if old.retired_at is not None:
            raise Conflict(f"L'exemple {example_id} a été retiré ou remplacé : modifiez sa dernière version.")
        draft = validate(old.text if text is None else text, journey, old.entities if entities is None else entities)
        if draft.text == old.text and draft.journey == old.journey and draft.entities == old.entities:
            return old
        key = text_key(draft.text)
        if key != old.text_key:
            self._check_new(draft)
        old.retired_at, old.retired_by = utcnow(), self.actor.login
        new = CuratedExample(text=draft.text, text_key=key, journey=draft.journey, entities=draft.entities,
                             source=old.source, inbox_key=old.inbox_key, revision=old.revision + 1,
                             replaces_id=old.id, created_by=self.actor.login)
        self.session.add(new)
        self.session.flush()
        tracing.record(self.session, "trainer.example_relabelled", self.actor, example=new.id, replaces=old.id,
                       journey=new.journey, before=old.journey, text=new.text)
        return new

    def retire(self, example_id: int) -> CuratedExample:
        row = self._row(example_id)
        if row.retired_at is None:
            row.retired_at, row.retired_by = utcnow(), self.actor.login
            tracing.record(self.session, "trainer.example_retired", self.actor, example=row.id, journey=row.journey)
        return row

    def _check_new(self, draft: Draft) -> str:
        key = text_key(draft.text)
        if not key:
            raise ValidationFailed([FieldInvalid("text", "Le texte de l'exemple ne dit rien (mots de remplissage "
                                                         "ou ponctuation seulement).")])
        if key in heldout_keys():
            raise Conflict("Cette phrase appartient à un jeu d'évaluation (held-out) : elle ne peut pas servir à "
                           "l'entraînement, sinon la mesure ne vaudrait plus rien.")
        same = self.session.scalar(select(CuratedExample).where(CuratedExample.text_key == key,
                                                                CuratedExample.retired_at.is_(None)))
        if same is not None:
            raise Conflict(f"Un exemple presque identique existe déjà (n° {same.id}, parcours « "
                           f"{label_for(same.journey) or same.journey} ») : modifiez-le plutôt.")
        repo = repository_examples().get(key)
        if repo == draft.journey:
            raise Conflict(f"Cet exemple est déjà dans les données d'entraînement du dépôt, avec ce parcours "
                           f"(« {label_for(repo) or repo} »).")
        return key


def as_training(rows: list[CuratedExample]) -> list[Example]:
    return [Example(r.text, r.journey, tuple((e["start"], e["end"], e["entity"], e.get("value"))
                                             for e in r.entities)) for r in rows]
