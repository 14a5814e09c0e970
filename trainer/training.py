"""Candidate trainings, in the background, one at a time, never touching the running Rasa server.

``start`` writes the training data (the repository's and the active curated examples) into the candidate's
work folder and runs ``nlu.candidate`` in the Rasa runtime as a child process; its progress lines move the
model's ``step`` and ``progress``; its report fills the figures. A training that fails, is cancelled, is
killed or outlives ``train_timeout_s`` ends ``failed`` with the reason in French; the model in production
is never involved. A training left ``training`` by an app that stopped is failed when the app starts again.
"""

import asyncio
import contextlib
import ctypes
import json
import logging
import os
import shutil
import signal
from pathlib import Path
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session, sessionmaker

from assistant.model_store import fingerprint as repository_fingerprint
from assistant.model_store import rasa_env, rasa_python
from crm_core.models.base import utcnow
from crm_core.models.trainer import NluModel
from crm_core.services import tracing
from crm_core.services.actor import Actor
from crm_core.services.errors import Conflict, NotFound
from trainer import registry
from trainer.dataset import heldout_sets, write_training_data
from trainer.examples import Curation, as_training

log = logging.getLogger(__name__)
DEFAULT_EXPECTED_S = 60.0


def _die_with_the_app() -> None:  # pragma: no cover - runs in the child between fork and exec
    """The training process is killed when the app's process dies (Linux ``PR_SET_PDEATHSIG``): no orphan
    keeps training for nobody."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Cancelled(Exception):
    pass


class Trainings:
    def __init__(self, factory: sessionmaker[Session], models_dir: Path | None, timeout_s: float = 900.0) -> None:
        self.factory = factory
        self.folder = registry.registry_dir(models_dir)
        self.timeout_s = timeout_s
        self._lock = asyncio.Lock()
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._procs: dict[int, asyncio.subprocess.Process] = {}
        self._cancelled: dict[int, str] = {}

    def recover(self) -> int:
        """Fail the trainings an earlier app process left running (their process is gone)."""
        with self.factory() as session, session.begin():
            stale = [m for m in session.scalars(select(NluModel).where(NluModel.status == "training"))
                     if not _alive(m.pid) and m.id not in self._tasks]
            for model in stale:
                model.status, model.finished_at, model.pid = "failed", utcnow(), None
                model.error = "Entraînement interrompu : l'application s'est arrêtée pendant l'entraînement. " \
                              "Le modèle en production n'a pas changé ; relancez un entraînement."
            return len(stale)

    async def start(self, actor: Actor, note: str | None = None) -> NluModel:
        async with self._lock:
            with self.factory() as session, session.begin():
                curation = Curation(session, actor)  # the habilitation check
                running = session.scalar(select(NluModel).where(NluModel.status == "training"))
                if running is not None:
                    raise Conflict(f"Un entraînement est déjà en cours (modèle n° {running.id}, lancé par "
                                   f"{running.created_by}) : attendez qu'il se termine ou annulez-le.")
                examples = curation.active()
                previous = session.scalar(select(NluModel.train_seconds).where(
                    NluModel.source == "candidate", NluModel.status == "ready").order_by(NluModel.id.desc()).limit(1))
                model = NluModel(source="candidate", status="training", step="En file d'attente", progress=0.0,
                                 note=note, repository_fingerprint=repository_fingerprint(),
                                 example_ids=[e.id for e in examples], created_by=actor.login)
                session.add(model)
                session.flush()
                tracing.record(session, "trainer.model_training", actor, model=model.id, examples=len(examples))
                training = as_training(examples)
                production = registry.serving_model(session)
                needs_production = production is not None and production.file and Path(production.file).exists() \
                    and set(heldout_sets()) - set(production.metrics or {})
                prod_file = Path(production.file) if needs_production and production and production.file else None
                prod_id = production.id if prod_file and production else None
                session.expunge(model)
            task = asyncio.create_task(self._run(model.id, training, prod_file, prod_id, previous or DEFAULT_EXPECTED_S,
                                                 actor), name=f"training-{model.id}")
            self._tasks[model.id] = task
            task.add_done_callback(lambda _t, mid=model.id: self._tasks.pop(mid, None))
            return model

    async def cancel(self, model_id: int, actor: Actor) -> None:
        with self.factory() as session:
            Curation(session, actor)
            model = session.get(NluModel, model_id)
            if model is None:
                raise NotFound(f"Modèle {model_id} introuvable.")
            if model.status != "training":
                raise Conflict(f"Le modèle {model_id} n'est pas en cours d'entraînement ({model.status}).")
        self._cancelled[model_id] = actor.login
        proc = self._procs.get(model_id)
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        elif model_id not in self._tasks:  # left by another process: fail it here
            self._finish(model_id, error=f"Entraînement annulé par {actor.login}.")

    async def _run(self, model_id: int, examples: list[Any], production: Path | None, production_id: int | None,
                   expected_s: float, actor: Actor) -> None:
        work = self.folder / "work" / str(model_id)
        out = self.folder / f"candidate-{model_id}.tar.gz"
        report = work / "report.json"
        error: str | None = None
        try:
            work.mkdir(parents=True, exist_ok=True)
            count = await asyncio.to_thread(write_training_data, work / "data", examples)
            self._progress(model_id, "Données d'entraînement prêtes", 0.03, training_examples=count)
            if model_id in self._cancelled:  # cancelled before its process started
                raise _Cancelled
            argv = [str(rasa_python()), "-m", "nlu.candidate", "--data", str(work / "data"), "--out", str(out),
                    "--report", str(report), "--expected-seconds", str(round(expected_s))]
            argv += [a for name, path in heldout_sets().items() for a in ("--heldout", f"{name}={path}")]
            if production is not None:
                argv += ["--production", str(production)]
            with open(work / "rasa.log", "wb") as log_file:
                proc = await asyncio.create_subprocess_exec(*argv, stdout=asyncio.subprocess.PIPE, stderr=log_file,
                                                            env=rasa_env(), cwd=work, start_new_session=True,
                                                            preexec_fn=_die_with_the_app)
            self._procs[model_id] = proc
            if model_id in self._cancelled:  # cancelled while its process was starting
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
            self._progress(model_id, "Entraînement lancé", 0.05, pid=proc.pid)
            last: dict[str, Any] = {}
            try:
                last = await asyncio.wait_for(self._follow(model_id, proc), self.timeout_s)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                await proc.wait()
                error = f"Entraînement arrêté : plus de {self.timeout_s:.0f} s sans terminer."
            code = await proc.wait()
            if error is None and (code != 0 or model_id in self._cancelled):
                error = self._failure(model_id, code, last, work)
            if error is None:
                self._ready(model_id, json.loads(report.read_text()), production_id)
        except _Cancelled:
            error = self._failure(model_id, 0, {}, work)
        except Exception as exc:  # the app stays up whatever the training does
            log.exception("training %s failed", model_id)
            error = error or f"Entraînement impossible : {type(exc).__name__} : {exc}"[:1000]
        finally:
            self._procs.pop(model_id, None)
            if error is not None:
                out.unlink(missing_ok=True)
                self._finish(model_id, error=error)
            with self.factory() as session, session.begin():
                name = "trainer.model_failed" if error else "trainer.model_trained"
                tracing.record(session, name, actor, model=model_id, error=error)
            self._cancelled.pop(model_id, None)
            shutil.rmtree(work, ignore_errors=True)  # the error is in the model's row

    async def _follow(self, model_id: int, proc: asyncio.subprocess.Process) -> dict[str, Any]:
        last: dict[str, Any] = {}
        assert proc.stdout is not None
        async for raw in proc.stdout:
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            if isinstance(line, dict) and "step" in line:
                last = line
                await asyncio.to_thread(self._progress, model_id, str(line["step"])[:200],
                                        float(line.get("progress") or 0))
        return last

    def _failure(self, model_id: int, code: int, last: dict[str, Any], work: Path) -> str:
        who = self._cancelled.pop(model_id, None)
        if who:
            return f"Entraînement annulé par {who}. Le modèle en production n'a pas changé."
        if code < 0:
            return (f"Entraînement interrompu : le processus a été arrêté (signal {-code}) à l'étape « "
                    f"{last.get('step', 'démarrage')} ». Le modèle en production n'a pas changé.")
        detail = last.get("error") or _tail(work / "rasa.log")
        return f"L'entraînement a échoué (code {code}) : {detail}. Le modèle en production n'a pas changé."[:1000]

    def _progress(self, model_id: int, step: str, progress: float, **fields: Any) -> None:
        """The step, and the progress only forward (the job's first lines restart from its own 0)."""
        with self.factory() as session, session.begin():
            session.execute(update(NluModel).where(NluModel.id == model_id, NluModel.status == "training")
                            .values(step=step, progress=case((NluModel.progress < progress, progress),
                                                             else_=NluModel.progress), **fields)
                            .execution_options(synchronize_session=False))

    def _ready(self, model_id: int, report: dict[str, Any], production_id: int | None) -> None:
        with self.factory() as session, session.begin():
            model = session.get(NluModel, model_id)
            if model is None:
                return
            model.status, model.step, model.progress, model.pid = "ready", "Prêt", 1.0, None
            model.file, model.model_id = report["file"], report.get("model_id")
            model.train_seconds, model.metrics, model.finished_at = report.get("train_seconds"), report["candidate"], \
                utcnow()
            if production_id is not None and report.get("production"):
                production = session.get(NluModel, production_id)
                if production is not None:
                    production.metrics = (production.metrics or {}) | report["production"]

    def _finish(self, model_id: int, error: str) -> None:
        with self.factory() as session, session.begin():
            session.execute(update(NluModel).where(NluModel.id == model_id, NluModel.status == "training")
                            .values(status="failed", error=error, pid=None, finished_at=utcnow()))

    async def aclose(self) -> None:
        for model_id, proc in list(self._procs.items()):
            self._cancelled[model_id] = "l'arrêt de l'application"
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for task in list(self._tasks.values()):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, 15)


def _tail(path: Path, lines: int = 3) -> str:
    try:
        return " / ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])[-500:]
    except OSError:
        return "aucun détail"
