"""The models: which one the advisors' Rasa server runs, its history, publishing and rolling back.

Model archives live in the registry folder (``COPILOT_MODELS_DIR``, default ``.build/models/registry``): the
repository's model is copied there, candidates are trained there. ``serving.tar.gz`` in it is a link to the
model in production: Rasa starts from it, so a Rasa server that restarts comes back with what was published.

History is a stack: a publication pushes a model, a rollback pops it and returns to the one below.
"""

import json
import logging
import os
import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm_core.core.config import BUILD_DIR
from crm_core.models.trainer import ModelPublication, NluModel, ServingModel

log = logging.getLogger(__name__)
SERVING_LINK = "serving.tar.gz"
SYSTEM = "copilot"


def registry_dir(models_dir: Path | None = None) -> Path:
    path = models_dir or BUILD_DIR / "models" / "registry"
    path.mkdir(parents=True, exist_ok=True)
    return path


def archive_model_id(path: Path) -> str | None:
    """Rasa's id of a trained model, from the ``metadata.json`` inside its archive."""
    try:
        with tarfile.open(path, "r:gz") as archive:
            for member in archive.getmembers():
                if member.name.lstrip("./") == "metadata.json":
                    handle = archive.extractfile(member)
                    return json.load(handle).get("model_id") if handle else None
    except (OSError, tarfile.TarError, ValueError):
        return None
    return None


def figures(model: NluModel) -> dict[str, dict[str, float]]:
    """Accuracy and macro-F1 per held-out set (what a publication records)."""
    return {name: {"accuracy": m["accuracy"], "macro_f1": m["macro_f1"]} for name, m in (model.metrics or {}).items()}


def serving_row(session: Session) -> ServingModel | None:
    return session.get(ServingModel, 1)


def serving_model(session: Session) -> NluModel | None:
    row = serving_row(session)
    return session.get(NluModel, row.model_id) if row else None


def point_serving_link(folder: Path, target: Path) -> Path:
    """``serving.tar.gz`` → ``target``, replaced atomically (a Rasa restarting reads one or the other)."""
    link = folder / SERVING_LINK
    tmp = folder / f".{SERVING_LINK}.{os.getpid()}"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(target.resolve())
    os.replace(tmp, link)
    return link


def stack_of(session: Session) -> list[int]:
    """The publication stack, bottom first: what a rollback returns to."""
    stack: list[int] = []
    for pub in session.scalars(select(ModelPublication).order_by(ModelPublication.id)):
        if pub.action == "rollback":
            if stack:
                stack.pop()
            if not stack or stack[-1] != pub.model_id:
                stack.append(pub.model_id)
        else:
            stack.append(pub.model_id)
    return stack


@dataclass
class Prepared:
    link: Path
    model: int
    note: str | None = None  # said at start when the repository's model is not the one served


def prepare_serving(factory: sessionmaker[Session], repository_model: Path, models_dir: Path | None = None) -> Prepared:
    """Register the repository's model and decide what Rasa starts with (called before Rasa starts).

    No model published yet, or the one in production is an older repository model: the repository's current
    model serves. A trainer's model in production stays (said in ``note`` when the repository changed since:
    the next candidate includes the change)."""
    folder = registry_dir(models_dir)
    fingerprint = repository_model.name.removeprefix("model-").removesuffix(".tar.gz")
    with factory() as session, session.begin():
        repo = session.scalar(select(NluModel).where(NluModel.source == "repository",
                                                     NluModel.repository_fingerprint == fingerprint))
        copy = folder / f"repository-{fingerprint}.tar.gz"
        if repo is None or not Path(repo.file or "").exists():
            shutil.copyfile(repository_model, copy)
            if repo is None:
                repo = NluModel(source="repository", status="ready", step="Modèle du dépôt", progress=1.0,
                                file=str(copy), model_id=archive_model_id(copy), repository_fingerprint=fingerprint,
                                created_by=SYSTEM)
                session.add(repo)
                session.flush()
            repo.file = str(copy)
        row = serving_row(session)
        current = session.get(NluModel, row.model_id) if row else None
        note = None
        if current is not None and current.source != "repository" and Path(current.file or "").exists():
            if current.repository_fingerprint != fingerprint:
                note = (f"the model in production (#{current.id}, published by a trainer) was trained before the "
                        f"repository's data or pipeline changed: train a candidate to include the change")
            target = current
        else:
            target = repo
        if row is None:
            session.add(ServingModel(id=1, model_id=target.id, version=1))
        elif row.model_id != target.id:
            row.model_id, row.version = target.id, row.version + 1
        if current is None or current.id != target.id:
            reason = "Modèle du dépôt" if current is None else (
                "Données ou pipeline du dépôt modifiés" if current.source == "repository"
                else "Fichier du modèle publié introuvable : retour au modèle du dépôt")
            session.add(ModelPublication(model_id=target.id, previous_model_id=current.id if current else None,
                                         action="repository", reason=reason, figures=figures(target),
                                         published_by=SYSTEM))
        link = point_serving_link(folder, Path(target.file or ""))
        return Prepared(link, target.id, note)


def history(session: Session, limit: int = 50) -> list[dict[str, Any]]:
    rows = session.scalars(select(ModelPublication).order_by(ModelPublication.id.desc()).limit(limit))
    return [{"id": p.id, "model_id": p.model_id, "previous_model_id": p.previous_model_id, "action": p.action,
             "reason": p.reason, "figures": p.figures, "published_by": p.published_by,
             "published_at": p.published_at} for p in rows]
