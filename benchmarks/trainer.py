"""The trainer's console: how long a full retrain takes, and what publishing a model into the running Rasa
server costs the calls, measured on the real stack (Rasa server, action server, app).

The script seeds its own temporary SQLite CRM (as the integration tests do: catalogue, demo personas and
``--customers`` synthetic ones), gives the stack its own registry folder (``COPILOT_MODELS_DIR``, the
repository's model registered in it by ``copilot_cli.stack.serving_model`` as ``copilot run`` does), starts
the three processes on free loopback ports and stops them in a ``finally``. Then, over HTTP, as
``trainer.demo`` (a bearer from ``crm_core.core.security.issue_token``):

1. **Retrain.** One curated example of our own (``EXAMPLE``, never a sentence of ``nlu_eval/``) through
   ``POST /api/trainer/examples``, then ``--trainings`` candidates one after the other (``POST
   /api/trainer/models``, ``GET /api/trainer/models/{id}`` polled every 0.5 s until it is no longer
   ``training``). For each: Rasa's training time (``train_seconds``), the whole job from the server's
   ``created_at`` to ``finished_at`` (training and scoring on the held-out sets; the first job also scores
   the model in production, whose figures are not known yet), and the time each step was first seen.
2. **Publishing under a stream of calls.** ``--callers`` asyncio tasks each loop on
   ``copilot_cli.simulate.simulate_call`` (number ``UNKNOWN``, in no CRM line, so no customer's situation
   re-ranks the journeys; a breakdown reason that never repeats, so the NLU's embedding memo does not flatter
   the parse), with ``--pause-s`` between two calls of a caller. ``--baseline-s`` seconds without
   publication (baseline), then as long while the last candidate is published and rolled back in turn every
   ``--swap-every-s`` seconds (``POST …/publish``, forced with a reason when the candidate is worse than
   production on a held-out set, then ``POST …/rollback`` on it; each answer's ``load_seconds`` kept). A pop
   is lost to the analysis when its ``nlu_status`` is not ``ok`` or it has no journey, or when it never came.

At the end the stack goes back to the repository's model (rollbacks), after one check that the swaps did swap:
the example's sentence pops with the candidate in production, then with the repository's model, and the Rasa
server's ``/status`` names the archive it runs each time.

``--no-training`` skips phase 1: the candidate is a copy of the repository's model archive in the stack's
registry folder, registered as a ready ``NluModel`` straight in the stack's database with the production model's
figures (``register_copy``). Its Rasa model_id (inside the archive) is production's, which the publication
accepts (it compares Rasa's answer with it); only ``/status``'s archive tells the two apart in the check.

The machine is shared: before anything, the script waits until the 1-minute load average is under
``--max-load`` (polled every 30 s, for at most ``--max-wait-s``) and reports the load at each phase. Run from
the repository root::

    .venv/bin/python -m benchmarks.trainer --out docs/benchmarks-trainer.md [--json F]

``--out`` writes (or replaces) the results' section of the report, between its markers, and keeps the rest of
the file as it is.
"""

import argparse
import asyncio
import itertools
import json
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # run as a plain script from anywhere, as well as with -m

import httpx  # noqa: E402

from benchmarks.harness import cpu_model, write_section  # noqa: E402
from benchmarks.stats import summarise  # noqa: E402
from copilot_cli.bench import CpuMeter  # noqa: E402
from copilot_cli.simulate import simulate_call  # noqa: E402

TRAINER = "trainer.demo"
UNKNOWN = "07 00 00 00 00"  # in no CRM line: the pop shows the NLU's journey, no situation re-ranks it
EXAMPLE = ("mon voisin capte mon wifi est-ce normal", "usage_help")  # ours, not a sentence of nlu_eval/
BUDGET_S = 120.0  # the issue's budget for a full retrain
CALL_TIMEOUT_S = 10.0  # per websocket wait inside one simulated call: past it the pop is lost
POLL_S = 0.5  # GET /api/trainer/models/{id} while a candidate trains
LOAD_POLL_S = 30.0  # the load average, while waiting for a quiet machine
START_TIMEOUT_S = 300.0
SWAP_TIMEOUT_S = 180.0  # one publish or rollback request (the app gives Rasa 120 s to load)
FIRST_SWAP_S = 1.0  # the first swap of the phase, once the calls are flowing
BEGIN = "<!-- trainer-benchmark:begin -->"
END = "<!-- trainer-benchmark:end -->"

# Breakdown reasons as callers say them, assembled so that no two calls of a run say the same thing.
OPENINGS = ("", "bonjour ", "oui bonjour ", "allô bonjour ", "bonjour madame ", "bonjour monsieur ", "alors voilà ",
            "excusez-moi de vous déranger ")
PROBLEMS = ("ma box ne s'allume plus", "je n'ai plus internet à la maison", "la fibre ne marche plus du tout",
            "le voyant de ma box clignote en rouge et plus rien ne marche", "je n'ai plus ni télé ni internet",
            "ma ligne fixe ne fonctionne plus, pas de tonalité", "internet coupe sans arrêt",
            "la télé affiche un écran noir avec un message d'erreur")
SINCES = (" depuis ce matin", " depuis hier soir", " depuis deux jours", " depuis l'orage de dimanche",
          " depuis lundi", " depuis une semaine", " depuis que j'ai débranché la box", " depuis cette nuit")
CLOSINGS = ("", " j'ai déjà redémarré la box", " je ne sais plus quoi faire", " et je télétravaille demain")

REPORT_HEAD = """# The trainer's console: a full retrain, and publishing a model under calls (`benchmarks/trainer.py`)

The trainer's console ([trainer.md](trainer.md)) trains a candidate model in the Rasa runtime while the
advisors' Rasa server keeps serving the calls, scores it on the held-out sets, and publishes it into the
running server (built beside the model in use, then swapped in at once). This measures the two things a
trainer and the advisors notice: how long a full retrain takes, and what a publication costs the calls
popping meanwhile.

## What it measures

The script starts its own stack (Rasa server, action server, app) on free loopback ports, with its own
temporary SQLite CRM seeded as in the integration tests and its own registry folder (`COPILOT_MODELS_DIR`),
in which the repository's model is registered and served, as `copilot run` does. Everything goes over HTTP,
as `trainer.demo` (a bearer token from `crm_core.core.security.issue_token`), and the stack is stopped at the
end whatever happens.

**1. Retrain.** One curated example, « mon voisin capte mon wifi est-ce normal » → `usage_help` (ours, not
a sentence of a held-out set), through `POST /api/trainer/examples`; then `--trainings` candidates (2 by
default), one after the other: `POST /api/trainer/models`, then `GET /api/trainer/models/{id}` every 0.5 s
until it is `ready`. Per candidate:

- **start**: from the order (`POST`) to the job's first step in the Rasa runtime (« Préparation ») seen:
  the training data written, the process started and its first imports;
- **Rasa training**: `train_seconds`, `rasa train` (NLU and the chat's rules) in `nlu/candidate.py`, as the
  job reports it;
- **held-out scoring**: from the first « Évaluation du candidat » step to the model `ready`: the held-out
  sets A, B and C parsed by the candidate, and in the first job the model in production loaded and
  scored on them too (its figures are not known yet; later jobs reuse them);
- **other**: the whole job less the three above: Rasa's imports before the training and the candidate
  loaded for its scoring, mostly; approximate, since the steps are seen by polling and the whole job is
  the server's;
- **whole job**: the server's `created_at` → `finished_at`, what the trainer waits for between « Entraîner
  un candidat » and the comparison.

Steps are seen by polling, so each step's time is ± 0.5 s. The issue's budget is a full retrain in
**≤ 2 minutes**.

**2. Publishing under a stream of calls.** Four callers (`--callers`), each an asyncio task in the
script's process, loop on `copilot_cli.simulate.simulate_call`: *offered* with a call reason → *answered* →
the `screen_pop` on the advisor's panel websocket → *ended*, then a pause of `--pause-s` (0.25 s). The
number, « 07 00 00 00 00 », is in no CRM line, so the pop shows the NLU's journey and no customer's situation
re-ranks it. The reasons are breakdowns as callers say them, assembled from parts so that no reason repeats
within a run: the NLU's embedding memo never answers for the parse. The latency is `simulate_call`'s, from
sending *answered* to the pop. First `--baseline-s` seconds (30) without any publication: the baseline. Then
the same stream while the last candidate is published and rolled back in turn, one order every
`--swap-every-s` seconds (8) from the phase's first second on: `POST /api/trainer/models/{id}/publish` (with
`force` and a reason when the candidate is worse than production on a held-out set, as the console
requires), then `POST /api/trainer/models/{id}/rollback`. Orders are due in the phase's first
`--baseline-s` seconds; one due while the previous is still loading waits for its answer, and the phase
ends once the last is answered, so it can last longer than the baseline. Each answer's `load_seconds`
(Rasa's time to build the model and swap it in) and the request's wall time are kept. A pop counts as
**lost to the analysis** when its `nlu_status` is not `ok` (the parse failed or outlived
`COPILOT_NLU_TIMEOUT_S`, 2 s), when it has no journey, or when it never came (10 s). The pops of the second
phase whose call overlapped a publish or rollback request are also shown apart. The CPU time of the app and
of the Rasa server over each phase comes from `/proc/<pid>/stat`.

Afterwards, one check that the swaps did swap: the example's sentence pops with the candidate in production,
then with the repository's model, and the Rasa server's `/status` names the archive it runs each time; then
the stack is rolled back to the repository's model.

The machine is shared with other work. Before anything the script waits until the 1-minute load average
is under 1.0 (`--max-load`, polled every 30 s, for at most 40 minutes: `--max-wait-s`), and it reports the
load average at each phase. The load average lags by about a minute: the figure before a phase also
shows this run's own previous step (a training uses both cores).

`--no-training` skips the retrain and measures the publishing only: the candidate is then a copy of the
repository's model archive in the stack's registry folder, registered as a ready candidate straight in the
stack's database with the figures of the model in production (so it is never worse, and published without
`force`). Rasa's model_id is inside the archive, so the copy's is production's; the publication accepts it (it
checks that Rasa answers with the model_id it expects), and the final check reads the archive the Rasa server
runs from its `/status`, since the pops cannot tell two identical models apart.

`tests/benchmarks/test_trainer_benchmark.py` (marked `integration`) runs it with `--no-training --baseline-s 5`
(the retrain itself is covered by `tests/integration/test_trainer_loop.py`), and checks the report's shape and
that no analysis was lost. It judges no time.

## Command

```sh
cd /work/main && .venv/bin/python -m benchmarks.trainer --out docs/benchmarks-trainer.md [--json out.json]
```

`--render out.json` measures nothing and writes the report of a run's `--json` file again (after a change
of the report's layout).

The defaults are `--trainings 2 --baseline-s 30 --swap-every-s 8 --callers 4 --pause-s 0.25 --customers 50
--max-load 1.0 --max-wait-s 2400`; `--no-training` skips the retrain.
"""


# -- the machine -------------------------------------------------------------------------------------------
def load_1m() -> float:
    return round(os.getloadavg()[0], 2)


def wait_for_quiet(max_load: float, max_wait_s: float, say: Callable[[str], None]) -> dict[str, Any]:
    """Poll the 1-minute load average every LOAD_POLL_S until it is under ``max_load`` or ``max_wait_s`` passed."""
    started, first = time.monotonic(), load_1m()
    load = first
    while load >= max_load and time.monotonic() - started < max_wait_s:
        say(f"1-min load average {load} ≥ {max_load}: waiting ({time.monotonic() - started:.0f} s so far)")
        time.sleep(min(LOAD_POLL_S, max(0.0, max_wait_s - (time.monotonic() - started))))
        load = load_1m()
    return {"max_load": max_load, "max_wait_s": max_wait_s, "load_when_asked": first, "load_at_start": load,
            "waited_s": round(time.monotonic() - started), "quiet": load < max_load}


def reasons(seed: int = 7) -> Iterator[str]:
    """Breakdown reasons, every combination once in a shuffled order (2,048 of them), then again."""
    combos = [f"{o}{p}{s}{c}".strip() for o, p, s, c in itertools.product(OPENINGS, PROBLEMS, SINCES, CLOSINGS)]
    random.Random(seed).shuffle(combos)
    return itertools.cycle(combos)


# -- the stack ---------------------------------------------------------------------------------------------
@dataclass
class Started:
    stack: Any
    url: str
    model_name: str
    trained_now: bool
    healthy_s: float
    root: Path
    model_path: Path  # the repository's model archive (under .build/models)
    db_url: str
    rasa_url: str

    @property
    def models_dir(self) -> Path:  # this stack's registry folder (COPILOT_MODELS_DIR)
        return self.root / "models"


def start_stack(customers: int, say: Callable[[str], None]) -> Started:
    """A seeded CRM, a registry folder with the repository's model in production, the three processes."""
    from assistant.model_store import ensure_model
    from copilot_cli.stack import Stack, StackConfig, free_port, serving_model
    from crm_core.seed import seeded_database

    root = Path(tempfile.mkdtemp(prefix="bench-trainer-"))
    db_url = f"sqlite:///{root / 'crm.sqlite3'}"
    try:
        say(f"seeding a CRM with {customers} synthetic customers in {root}…")
        seeded_database(db_url, customers).kw["bind"].dispose()
        model, trained = ensure_model(quiet=True)
        serving = serving_model(model, db_url, root / "models")  # this stack's registry, as `copilot run` makes it
        config = StackConfig(model=serving.link, port=free_port(), rasa_url=f"http://127.0.0.1:{free_port()}",
                             actions_url=f"http://127.0.0.1:{free_port()}", database_url=db_url, logs=root / "logs",
                             extra_env={"COPILOT_MODELS_DIR": str(root / "models")})
        stack = Stack(config, say=lambda m: say(m))
    except BaseException:  # nothing started yet: only the folder to remove
        shutil.rmtree(root, ignore_errors=True)
        raise
    started = Started(stack, config.app_url, model.name, trained, 0.0, root, model, db_url, config.rasa_url)
    t0 = time.monotonic()
    stack.start()
    try:
        stack.wait_healthy(START_TIMEOUT_S)
    except BaseException:
        stop_stack(started)
        raise
    started.healthy_s = round(time.monotonic() - t0, 1)
    return started


def stop_stack(started: Started) -> None:
    try:
        started.stack.stop()
    finally:
        shutil.rmtree(started.root, ignore_errors=True)


def process_pids(started: Started) -> dict[str, set[int]]:
    return {p.name: {p.proc.pid} for p in started.stack.processes if p.proc is not None and p.name in ("app", "rasa")}


def register_copy(started: Started) -> dict[str, Any]:
    """``--no-training``: a candidate that is the repository's model again, ready to publish. Its archive is
    copied into the stack's registry folder and registered as a ready candidate straight in the stack's
    database, with the production model's figures (so it is not worse: no forced publication). Rasa's model_id
    is inside the archive, so the copy's is production's; the publication checks Rasa's answer against it."""
    from crm_core.core.db import make_engine, session_factory
    from crm_core.models.base import utcnow
    from crm_core.models.trainer import NluModel
    from trainer import registry

    copy = started.models_dir / f"copy-{started.model_path.name}"
    shutil.copyfile(started.model_path, copy)
    engine = make_engine(started.db_url)
    try:
        with session_factory(engine)() as session, session.begin():
            production = registry.serving_model(session)
            if production is None:
                raise RuntimeError("no model in production in the stack's database")
            row = NluModel(source="candidate", status="ready", step="Prêt", progress=1.0, file=str(copy),
                           note="banc d'essai : copie du modèle du dépôt", model_id=registry.archive_model_id(copy),
                           metrics=dict(production.metrics or {}), created_by=TRAINER, finished_at=utcnow())
            session.add(row)
            session.flush()
            return {"id": row.id, "file": copy.name, "model_id": row.model_id, "production_id": production.id,
                    "production_model_id": production.model_id, "metrics_sets": sorted(row.metrics)}
    finally:
        engine.dispose()


def rasa_model_file(started: Started) -> str | None:
    """The archive the Rasa server runs, by its ``/status`` (with the stack's API token, as the app asks it)."""
    from crm_core.core.config import get_crm_settings

    try:
        r = httpx.get(started.rasa_url.rstrip("/") + "/status",
                      params={"token": get_crm_settings().secret("rasa_token")}, timeout=30)
        r.raise_for_status()
        return r.json().get("model_file")
    except (httpx.HTTPError, ValueError):
        return None


# -- the trainer's API -------------------------------------------------------------------------------------
class Console:
    """The trainer's routes, as trainer.demo."""

    def __init__(self, url: str) -> None:
        from crm_core.core.security import issue_token

        self.url = url
        self.headers = {"Authorization": f"Bearer {issue_token(TRAINER)}"}

    def get(self, path: str) -> Any:
        r = httpx.get(self.url + path, headers=self.headers, timeout=60)
        r.raise_for_status()
        return r.json()

    def post(self, path: str, body: dict[str, Any] | None = None, timeout: float = 60) -> httpx.Response:
        return httpx.post(self.url + path, headers=self.headers, json=body, timeout=timeout)

    def production(self) -> dict[str, Any]:
        return self.get("/api/trainer/models")["production"]


def _seconds(later: str | None, earlier: str | None) -> float | None:
    if not later or not earlier:
        return None
    return round((datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds(), 1)


def train_candidate(console: Console, note: str, timeout_s: float, say: Callable[[str], None]) -> dict[str, Any]:
    """Order a candidate and follow it until it is no longer training; its figures and its steps' times."""
    load = load_1m()
    t0 = time.monotonic()
    r = console.post("/api/trainer/models", {"note": note})
    if r.status_code != 202:
        raise RuntimeError(f"training refused ({r.status_code}): {r.text[:300]}")
    model_id = r.json()["id"]
    steps: dict[str, float] = {}
    model: dict[str, Any] = {}
    deadline = t0 + timeout_s
    while time.monotonic() < deadline:
        model = console.get(f"/api/trainer/models/{model_id}")
        if model["step"] and model["step"] not in steps:
            steps[model["step"]] = round(time.monotonic() - t0, 1)
            say(f"candidate {model_id}: {model['step']} ({steps[model['step']]:.0f} s)")
        if model["status"] != "training":
            break
        time.sleep(POLL_S)
    seen_s = round(time.monotonic() - t0, 1)
    comparison = model.get("comparison") or {}
    figures = {
        "id": model_id, "status": model.get("status"), "error": model.get("error"),
        "train_seconds": model.get("train_seconds"),
        "job_s": _seconds(model.get("finished_at"), model.get("created_at")), "seen_ready_s": seen_s,
        "training_examples": model.get("training_examples"), "curated_examples": model.get("curated_examples"),
        "accuracy": {name: {"candidate": s["candidate"]["accuracy"],
                            "production": (s.get("production") or {}).get("accuracy")}
                     for name, s in (comparison.get("sets") or {}).items()},
        "worse_on": comparison.get("worse_on") or [], "steps": steps, "load_1m_before": load,
    }
    return figures | split(figures)


def split(c: dict[str, Any]) -> dict[str, Any]:
    """The job's parts, from the steps as first seen (seconds after the order) and the job's own figures."""
    steps = c.get("steps") or {}

    def first(prefix: str) -> float | None:
        return next((t for s, t in steps.items() if s.startswith(prefix)), None)

    running_at = first("Préparation") or first("Entraînement du modèle")
    scoring_at, production_at = first("Évaluation du candidat"), first("Évaluation du modèle en production")
    end_at = first("Prêt") or c.get("seen_ready_s")
    scoring = round(end_at - scoring_at, 1) if scoring_at is not None and end_at is not None else None
    parts = (running_at, c.get("train_seconds"), scoring)
    return {"start_s": running_at, "scoring_s": scoring, "scored_production": production_at is not None,
            "other_s": round(c["job_s"] - sum(parts), 1)  # type: ignore[arg-type]
            if c.get("job_s") is not None and None not in parts else None}


# -- the stream of calls and the swaps ---------------------------------------------------------------------
@dataclass
class Pop:
    start: float
    end: float
    latency_ms: float | None
    nlu_status: str | None
    journey: str | None
    error: str | None = None

    @property
    def lost(self) -> bool:
        return self.error is not None or self.nlu_status != "ok" or not self.journey


@dataclass
class Swap:
    action: str
    model_id: int
    start: float
    end: float
    status: int
    load_seconds: float | None
    detail: str | None = None


@dataclass
class Phase:
    name: str
    pops: list[Pop] = field(default_factory=list)
    swaps: list[Swap] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0
    cpu_ms: dict[str, float] = field(default_factory=dict)
    load_1m_before: float = 0.0


async def caller(url: str, said: Iterator[str], stop: asyncio.Event, pause_s: float, pops: list[Pop]) -> None:
    while not stop.is_set():  # bounded by the phase: stop is set when it ends
        start = time.monotonic()
        try:
            pop = await simulate_call(url, UNKNOWN, next(said), timeout_s=CALL_TIMEOUT_S)
            pops.append(Pop(start, time.monotonic(), pop["latency_ms"], pop["nlu_status"], pop["journey"]))
        except Exception as exc:  # noqa: BLE001 - a pop that never came is counted, not raised
            pops.append(Pop(start, time.monotonic(), None, None, None, f"{type(exc).__name__}: {exc}"[:200]))
        try:
            await asyncio.wait_for(stop.wait(), pause_s)
        except TimeoutError:
            pass


async def swapper(console: Console, candidate: int, force: bool, every_s: float, until: float,
                  swaps: list[Swap]) -> None:
    """Publish the candidate, then roll it back, in turn, one order every ``every_s`` until ``until``."""
    body = {"force": True, "reason": "Banc d'essai : publication pendant les appels"} if force else None
    published = False
    async with httpx.AsyncClient(base_url=console.url, headers=console.headers, timeout=SWAP_TIMEOUT_S) as client:
        due = time.monotonic() + FIRST_SWAP_S
        while due < until:  # bounded by the phase's duration
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            action = "rollback" if published else "publish"
            start = time.monotonic()
            try:
                r = await client.post(f"/api/trainer/models/{candidate}/{action}", json=body if not published else None)
                answer = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
                status, detail = r.status_code, None if r.status_code == 200 else str(answer.get("detail"))[:300]
            except httpx.HTTPError as exc:
                answer, status, detail = {}, 0, f"{type(exc).__name__}: {exc}"[:300]
            swaps.append(Swap(action, candidate, start, time.monotonic(), status, answer.get("load_seconds"), detail))
            if status == 200:
                published = not published
            due += every_s


async def run_phase(phase: Phase, url: str, said: Iterator[str], duration_s: float, callers: int, pause_s: float,
                    pids: dict[str, set[int]], swaps: Callable[[float], Any] | None = None) -> Phase:
    stop = asyncio.Event()
    meter = CpuMeter(pids)
    phase.load_1m_before = load_1m()
    meter.start()
    phase.started = time.monotonic()
    tasks = [asyncio.create_task(caller(url, said, stop, pause_s, phase.pops)) for _ in range(callers)]
    until = phase.started + duration_s
    if swaps is not None:
        await swaps(until)  # returns once its last order is answered, at or after ``until``
    await asyncio.sleep(max(0.0, until - time.monotonic()))
    stop.set()
    await asyncio.gather(*tasks)
    phase.ended = time.monotonic()
    phase.cpu_ms = meter.stop()
    return phase


def pops_report(pops: list[Pop], seconds: float) -> dict[str, Any]:
    done = [p for p in pops if p.latency_ms is not None]
    return {"latency_ms": summarise([p.latency_ms for p in done if p.latency_ms is not None]),
            "pops": len(done), "calls": len(pops), "never_came": sum(p.error is not None for p in pops),
            "nlu_not_ok": sum(p.error is None and p.nlu_status != "ok" for p in pops),
            "no_journey": sum(p.error is None and p.nlu_status == "ok" and not p.journey for p in pops),
            "lost": sum(p.lost for p in pops), "breakdown": sum(p.journey == "breakdown" for p in done),
            "rate_per_s": round(len(pops) / seconds, 1) if seconds else None,
            "first_error": next((p.error for p in pops if p.error), None)}


def phase_report(phase: Phase) -> dict[str, Any]:
    seconds = phase.ended - phase.started
    out = pops_report(phase.pops, seconds) | {
        "seconds": round(seconds, 1), "load_1m_before": phase.load_1m_before,
        "cpu_s": {k: round(v / 1000, 1) for k, v in phase.cpu_ms.items()}}
    if phase.swaps:
        windows = [(s.start, s.end) for s in phase.swaps]
        during = [p for p in phase.pops if any(p.start < e and p.end > s for s, e in windows)]
        ok = [s for s in phase.swaps if s.status == 200]
        out["during_a_load"] = pops_report(during, sum(e - s for s, e in windows))
        out["swaps"] = {
            "orders": len(phase.swaps), "done": len(ok), "failed": len(phase.swaps) - len(ok),
            "publish": sum(s.action == "publish" for s in ok), "rollback": sum(s.action == "rollback" for s in ok),
            "load_s": summarise([s.load_seconds * 1000 for s in ok if s.load_seconds is not None]),
            "request_s": summarise([(s.end - s.start) * 1000 for s in ok]),
            "each": [asdict(s) | {"at_s": round(s.start - phase.started, 1), "request_s": round(s.end - s.start, 2)}
                     for s in phase.swaps],
        }
    return out


def ratio(a: dict[str, Any], b: dict[str, Any], key: str) -> float | None:
    return round(a[key] / b[key], 2) if a.get(key) and b.get(key) else None


async def measure_swaps(console: Console, url: str, candidate: dict[str, Any], args: argparse.Namespace,
                        pids: dict[str, set[int]], say: Callable[[str], None]) -> dict[str, Any]:
    said = reasons()
    force = bool(candidate["worse_on"])
    say(f"[baseline] {args.callers} callers for {args.baseline_s:.0f} s, no publication…")
    base = await run_phase(Phase("baseline"), url, said, args.baseline_s, args.callers, args.pause_s, pids)
    say(f"[swaps] the same while candidate {candidate['id']} is published / rolled back every "
        f"{args.swap_every_s:.0f} s{' (forced: worse on ' + ', '.join(candidate['worse_on']) + ')' if force else ''}…")
    swapping = Phase("swaps")
    swaps = await run_phase(swapping, url, said, args.baseline_s, args.callers, args.pause_s, pids,
                            lambda until: swapper(console, candidate["id"], force, args.swap_every_s, until,
                                                  swapping.swaps))
    result = {"baseline": phase_report(base), "swaps": phase_report(swaps), "forced": force}
    b, s = result["baseline"]["latency_ms"], result["swaps"]["latency_ms"]
    result["ratio"] = {"p50": ratio(s, b, "p50"), "p95": ratio(s, b, "p95"),
                       "p95_during_a_load": ratio(result["swaps"]["during_a_load"]["latency_ms"], b, "p95")}
    return result


# -- the end: did the swaps swap, and back to the repository's model ---------------------------------------
def check_and_restore(console: Console, url: str, candidate: int, force: bool,
                      model_file: Callable[[], str | None]) -> dict[str, Any]:
    """The example's sentence with the candidate in production and with the repository's model, and the archive
    the Rasa server runs each time (``model_file``: its ``/status``); then the stack rolled back to the
    repository's model (at most 5 rollbacks)."""
    out: dict[str, Any] = {}
    body = {"force": True, "reason": "Banc d'essai : vérification"} if force else None
    if console.production()["id"] != candidate:
        r = console.post(f"/api/trainer/models/{candidate}/publish", body, timeout=SWAP_TIMEOUT_S)
        out["publish_status"] = r.status_code
    if console.production()["id"] == candidate:
        out["with_candidate"] = asyncio.run(simulate_call(url, UNKNOWN, EXAMPLE[0]))["journey"]
        out["rasa_file_with_candidate"] = model_file()
    for _ in range(5):  # bounded: each rollback pops one publication
        current = console.production()
        if current["source"] == "repository":
            break
        console.post(f"/api/trainer/models/{current['id']}/rollback", timeout=SWAP_TIMEOUT_S)
    final = console.production()
    out["with_repository"] = asyncio.run(simulate_call(url, UNKNOWN, EXAMPLE[0]))["journey"]
    out["rasa_file_with_repository"] = model_file()
    out["ended_on"] = {"id": final["id"], "source": final["source"]}
    return out


# -- the run -----------------------------------------------------------------------------------------------
def run(args: argparse.Namespace, say: Callable[[str], None] = print) -> dict[str, Any]:
    quiet = wait_for_quiet(args.max_load, args.max_wait_s, say)
    say(f"1-min load average {quiet['load_at_start']} after waiting {quiet['waited_s']} s")
    started_at = datetime.now(UTC)
    t_run = time.monotonic()
    result: dict[str, Any] = {
        "date": started_at.strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {"cores": os.cpu_count(), "cpu": cpu_model(), "platform": platform.platform(),
                    "python": platform.python_version()},
        "settings": {k: getattr(args, k) for k in ("trainings", "no_training", "baseline_s", "swap_every_s", "callers",
                                                   "pause_s", "customers")},
        "quiet": quiet, "example": {"text": EXAMPLE[0], "journey": EXAMPLE[1]}, "error": None,
        "candidates": [], "copy": None, "publishing": None, "check": None,
    }
    started = start_stack(args.customers, say)
    result["stack"] = {"model": started.model_name, "trained_now": started.trained_now,
                       "healthy_after_s": started.healthy_s}
    say(f"stack healthy after {started.healthy_s:.0f} s at {started.url}, model {started.model_name}")
    try:
        console = Console(started.url)
        if args.no_training:
            result["copy"] = register_copy(started)
            last = {"id": result["copy"]["id"], "worse_on": []}
            say(f"[no training] candidate {last['id']}: {result['copy']['file']}, Rasa model_id "
                f"{result['copy']['model_id']} (production's: {result['copy']['production_model_id']})")
        else:
            r = console.post("/api/trainer/examples", {"text": EXAMPLE[0], "journey": EXAMPLE[1]})
            if r.status_code != 201:
                raise RuntimeError(f"the example was refused ({r.status_code}): {r.text[:300]}")
            for k in range(args.trainings):
                say(f"[retrain] candidate {k + 1}/{args.trainings}…")
                candidate = train_candidate(console, f"banc d'essai {k + 1}", args.train_timeout_s, say)
                result["candidates"].append(candidate)
                if candidate["status"] != "ready":
                    raise RuntimeError(f"candidate {candidate['id']} {candidate['status']}: {candidate['error']}")
            last = result["candidates"][-1]
        result["publishing"] = asyncio.run(measure_swaps(console, started.url, last, args, process_pids(started), say))
        result["check"] = check_and_restore(console, started.url, last["id"], bool(last["worse_on"]),
                                            lambda: rasa_model_file(started))
    except Exception as exc:  # reported: the run says where it stopped
        result["error"] = f"{type(exc).__name__}: {exc}"[:500]
        say(f"failed: {result['error']}")
    finally:
        result["load_1m_end"] = load_1m()
        stop_stack(started)
    result["elapsed_s"] = round(time.monotonic() - t_run)
    return result


# -- the report --------------------------------------------------------------------------------------------
def _n(value: float | int | None, fmt: str = ".1f") -> str:
    return "—" if value is None else format(value, fmt)


def lost_total(result: dict[str, Any]) -> int | None:
    pub = result.get("publishing")
    return None if pub is None else pub["baseline"]["lost"] + pub["swaps"]["lost"]


def retrain_table(result: dict[str, Any]) -> str:
    rows = ["| candidate | start | Rasa training (`train_seconds`) | held-out scoring | other | **whole job** | "
            "seen ready after | training examples | 1-min load before |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for k, c in enumerate(result["candidates"], 1):
        c = c | split(c)
        label = f"{k} (model {c['id']}{', with production scored' if c['scored_production'] else ''})"
        if c["status"] != "ready":
            label += f" **{c['status']}**"
        rows.append(f"| {label} | {_n(c['start_s'])} s | {_n(c['train_seconds'])} s | {_n(c['scoring_s'])} s | "
                    f"{_n(c['other_s'])} s | **{_n(c['job_s'])} s** | {_n(c['seen_ready_s'])} s | "
                    f"{_n(c['training_examples'], 'd')} | {c['load_1m_before']} |")
    return "\n".join(rows)


def timeline(result: dict[str, Any]) -> str:
    """Each job's steps, as first seen by the polling (seconds after the order)."""
    return "\n".join(f"- candidate {k}: " + "; ".join(f"{step} {t:.0f}" for step, t in c["steps"].items())
                     for k, c in enumerate(result["candidates"], 1))


def accuracy_table(result: dict[str, Any]) -> str:
    c = result["candidates"][-1] if result["candidates"] else None
    if not c or not c["accuracy"]:
        return ""
    rows = ["| held-out set | candidate | repository's model |", "| --- | ---: | ---: |"]
    for name, a in sorted(c["accuracy"].items()):
        rows.append(f"| {name} | {_n(a['candidate'], '.3f')} | {_n(a['production'], '.3f')} |")
    return "\n".join(rows)


def pops_table(pub: dict[str, Any]) -> str:
    rows = ["| phase | calls | p50 (ms) | p95 (ms) | max (ms) | mean (ms) | lost: not `ok` / no journey / never came | "
            "calls/s | 1-min load before |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for label, r, load in (("baseline, no publication", pub["baseline"], pub["baseline"]["load_1m_before"]),
                           ("during swaps (whole phase)", pub["swaps"], pub["swaps"]["load_1m_before"]),
                           ("… calls overlapping a publish or rollback", pub["swaps"]["during_a_load"], "")):
        lat = r["latency_ms"]
        rows.append(f"| {label} | {r['calls']} | {_n(lat.get('p50'))} | {_n(lat.get('p95'))} | {_n(lat.get('max'))} | "
                    f"{_n(lat.get('mean'))} | {r['nlu_not_ok']} / {r['no_journey']} / {r['never_came']} | "
                    f"{_n(r['rate_per_s']) if label[0] != '…' else '—'} | {load} |")
    return "\n".join(rows)


def swaps_table(pub: dict[str, Any]) -> str:
    s = pub["swaps"]["swaps"]
    rows = ["| orders | done (publish / rollback) | failed | Rasa `load_seconds` p50 | max | request p50 | max |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            f"| {s['orders']} | {s['done']} ({s['publish']} / {s['rollback']}) | {s['failed']} | "
            f"{_n((s['load_s'].get('p50') or 0) / 1000 if s['load_s'].get('n') else None, '.2f')} s | "
            f"{_n((s['load_s'].get('max') or 0) / 1000 if s['load_s'].get('n') else None, '.2f')} s | "
            f"{_n((s['request_s'].get('p50') or 0) / 1000 if s['request_s'].get('n') else None, '.2f')} s | "
            f"{_n((s['request_s'].get('max') or 0) / 1000 if s['request_s'].get('n') else None, '.2f')} s |"]
    each = ", ".join(f"{e['action']} at {e['at_s']:.0f} s: " + (f"{e['load_seconds']:.2f} s" if e["status"] == 200
                     and e["load_seconds"] is not None else f"**{e['status']}** {e['detail']}") for e in s["each"])
    return "\n".join(rows) + f"\n\nEach order (time from the phase's start: Rasa's load): {each}."


def cpu_table(pub: dict[str, Any]) -> str:
    b, s = pub["baseline"], pub["swaps"]
    done = s["swaps"]["done"]
    rows = ["| phase | seconds | app CPU (s) | Rasa CPU (s) |", "| --- | ---: | ---: | ---: |"]
    for label, r in (("baseline", b), ("during swaps", s)):
        rows.append(f"| {label} | {r['seconds']:.1f} | {_n(r['cpu_s'].get('app'))} | {_n(r['cpu_s'].get('rasa'))} |")
    text = "\n".join(rows)
    extra = (s["cpu_s"].get("rasa") or 0) - (b["cpu_s"].get("rasa") or 0) * s["seconds"] / max(b["seconds"], 1e-9)
    if done:
        text += (f"\n\nRasa's CPU beyond the baseline's pace: {extra:.1f} s over {done} load{'s' * (done > 1)}, about "
                 f"{extra / done:.1f} s of CPU per load.")
    return text


def reading(result: dict[str, Any]) -> str:
    """What the figures say, computed."""
    lines = []
    if result["error"]:
        lines.append(f"- **failed**: {result['error']} (nothing after it was measured).")
    ready = [c for c in result["candidates"] if c["status"] == "ready"]
    if ready:
        first, rest = ready[0] | split(ready[0]), [c | split(c) for c in ready[1:]]
        train = max(c["train_seconds"] or 0 for c in ready)
        job = max(c["job_s"] or 0 for c in ready)
        verdict = "met" if train <= BUDGET_S else "**not met**"
        lines.append(f"- Full retrain, budget ≤ {BUDGET_S:.0f} s: Rasa's training took "
                     f"{' and '.join(_n(c['train_seconds']) + ' s' for c in ready)}: {verdict}. The whole candidate "
                     f"job the trainer waits for (training and scoring) took "
                     f"{' and '.join(_n(c['job_s']) + ' s' for c in ready)}: "
                     + ("within the budget too." if job <= BUDGET_S else "**over the budget**."))
        plain = [c for c in rest if not c["scored_production"] and c["scoring_s"] is not None]
        if first["scored_production"] and first["scoring_s"] is not None and plain:
            extra = first["scoring_s"] - plain[0]["scoring_s"]
            lines.append(f"- The first job scored the model in production too: its held-out scoring took "
                         f"{first['scoring_s']:.1f} s against {plain[0]['scoring_s']:.1f} s in the next job, so "
                         f"scoring production (loading it and parsing the three sets) cost about {extra:.0f} s; the "
                         f"whole job took {first['job_s']:.1f} s against {plain[0]['job_s']:.1f} s.")
    pub = result.get("publishing")
    if pub:
        b, s, d = pub["baseline"]["latency_ms"], pub["swaps"]["latency_ms"], pub["swaps"]["during_a_load"]
        lost = lost_total(result)
        lines.append(f"- Pop p95 {_n(b.get('p95'))} ms without publication, {_n(s.get('p95'))} ms during the swaps: "
                     f"ratio {_n(pub['ratio']['p95'], '.2f')}× (p50 {_n(pub['ratio']['p50'], '.2f')}×). The calls "
                     f"overlapping a publish or rollback ({d['calls']}) had p95 {_n(d['latency_ms'].get('p95'))} ms, "
                     f"max {_n(d['latency_ms'].get('max'))} ms ({_n(pub['ratio']['p95_during_a_load'], '.2f')}× the "
                     f"baseline's p95).")
        sw = pub["swaps"]["swaps"]
        busy = sum(e["request_s"] for e in sw["each"])
        if sw["load_s"].get("n"):
            every = result["settings"]["swap_every_s"]
            pace = (f"longer than the {every:g} s between two orders, so the orders ran back to back"
                    if sw["load_s"]["p50"] / 1000 > every else f"within the {every:g} s between two orders")
            lines.append(f"- Rasa took {sw['load_s']['p50'] / 1000:.1f} s (p50) to load a model, {pace}: a publish or "
                         f"rollback was in flight {busy / pub['swaps']['seconds']:.0%} of the "
                         f"{pub['swaps']['seconds']:.0f} s phase.")
        lines.append("- No analysis lost: " + ("**yes**" if lost == 0 else f"**no, {lost} lost**")
                     + f" ({pub['baseline']['calls'] + pub['swaps']['calls']} calls, {sw['done']} "
                     f"swap{'s' * (sw['done'] != 1)}, "
                     f"{sw['failed']} failed orders).")
    check, copy = result.get("check"), result.get("copy")
    if check:
        files = (check.get("rasa_file_with_candidate"), check.get("rasa_file_with_repository"))
        ran = (f"the Rasa server's `/status` named `{files[0]}` with the candidate in production and `{files[1]}` "
               f"after the rollbacks" if any(files) else "")
        if copy:  # the same model: only the archive the server runs tells them apart
            swapped = files[0] == copy["file"] and files[1] != files[0]
            lines.append(f"- {'The swaps did swap' if swapped else '**The Rasa server did not name the copy**'}: "
                         f"{ran or 'the Rasa server did not answer its `/status`'}; « {EXAMPLE[0]} » popped "
                         f"`{check.get('with_candidate')}`, then `{check.get('with_repository')}` (the same model); "
                         f"the run ended on model {check['ended_on']['id']} ({check['ended_on']['source']}).")
        else:
            changed = check.get("with_candidate") != check.get("with_repository")
            lines.append(f"- {'The swaps did swap' if changed else 'The pop did not tell the models apart'}: "
                         f"« {EXAMPLE[0]} » popped `{check.get('with_candidate')}` with the "
                         f"candidate in production and `{check.get('with_repository')}` with the repository's model"
                         f"{'; ' + ran if ran else ''}; the run ended on model {check['ended_on']['id']} "
                         f"({check['ended_on']['source']}).")
    return "\n".join(lines)


def copy_text(result: dict[str, Any]) -> str:
    """``--no-training``: what was published instead of a trained candidate."""
    c = result["copy"]
    if not c:
        return "Skipped (`--no-training`), and no candidate could be registered (see the reading)."
    same = "the same as production's" if c["model_id"] == c["production_model_id"] else (
        f"production's is `{c['production_model_id']}`")
    sets = ", ".join(c["metrics_sets"]) or "none: production had not been scored yet"
    return (f"Skipped (`--no-training`). The candidate published is model {c['id']}, a copy of the repository's "
            f"model (`{c['file']}` in the stack's registry folder) registered as a ready candidate straight in the "
            f"stack's database, with the figures of the model in production (held-out sets: {sets}), so it is not "
            f"worse and each publication is a plain one. Rasa's model_id is inside the archive: `{c['model_id']}`, "
            f"{same}.")


def section(result: dict[str, Any]) -> str:
    m, q, st = result["machine"], result["quiet"], result.get("stack") or {}
    waited = (f"The script waited {q['waited_s']} s for the 1-min load average to fall under {q['max_load']} (it "
              f"was {q['load_when_asked']} when asked)" if q["waited_s"] else
              f"The 1-min load average was {q['load_when_asked']} when the script was started")
    quiet = "" if q["quiet"] else f" **The load never fell under {q['max_load']}: the machine was not quiet.**"
    s = result["settings"]
    parts = [
        BEGIN,
        f"## Results — {result['date']}",
        "",
        f"- Machine: {m['cores']} cores ({m['cpu'] or 'unknown CPU'}), {m['platform']}, Python {m['python']}; "
        f"shared with other work. {waited}; it was {q['load_at_start']} at the start and "
        f"{result['load_1m_end']} at the end.{quiet}",
        f"- Stack: repository's model `{st.get('model')}`{' (trained for this run)' if st.get('trained_now') else ''},"
        f" healthy after {_n(st.get('healthy_after_s'))} s; {s['customers']} synthetic customers; whole run "
        f"{result['elapsed_s']} s.",
        f"- Settings: `{'--no-training' if s.get('no_training') else '--trainings ' + str(s['trainings'])} "
        f"--baseline-s {s['baseline_s']:g} --swap-every-s "
        f"{s['swap_every_s']:g} --callers {s['callers']} --pause-s {s['pause_s']:g}`.",
        "",
        "### Retrain",
        "",
    ]
    if s.get("no_training"):
        parts.append(copy_text(result))
    else:
        parts += [retrain_table(result), "", "Steps as the polling first saw them (seconds after the order):", "",
                  timeline(result)]
    if acc := accuracy_table(result):
        parts += ["", "Accuracy of the last candidate beside the repository's model (the job's comparison):", "", acc]
    if pub := result.get("publishing"):
        parts += ["", "### Publishing under a stream of calls", "",
                  "Pop latency (*answered* → `screen_pop`), nearest-rank percentiles:", "", pops_table(pub), "",
                  f"Ratio p95 during swaps ÷ p95 baseline: **{_n(pub['ratio']['p95'], '.2f')}×** (p50: "
                  f"{_n(pub['ratio']['p50'], '.2f')}×). Pops that said `breakdown`: "
                  f"{pub['baseline']['breakdown']}/{pub['baseline']['pops']} in the baseline, "
                  f"{pub['swaps']['breakdown']}/{pub['swaps']['pops']} during the swaps."
                  + (" The candidate is worse than production on a held-out set, so each publication was forced "
                     "with a reason." if pub["forced"] else ""),
                  "", "Swaps:", "", swaps_table(pub), "", cpu_table(pub)]
    parts += ["", "### Computed reading", "", reading(result), END]
    return "\n".join(parts)


def write_report(path: Path, result: dict[str, Any]) -> None:
    write_section(path, section(result), BEGIN, END, REPORT_HEAD)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trainings", type=int, default=2, help="candidates trained one after the other")
    parser.add_argument("--no-training", action="store_true",
                        help="skip the retrain: publish a registered copy of the repository's model")
    parser.add_argument("--baseline-s", type=float, default=30.0,
                        help="seconds of calls without publication, then as long with swaps")
    parser.add_argument("--swap-every-s", type=float, default=8.0, help="one publish or rollback order every …")
    parser.add_argument("--callers", type=int, default=4, help="callers looping on simulated calls")
    parser.add_argument("--pause-s", type=float, default=0.25, help="pause between two calls of one caller")
    parser.add_argument("--customers", type=int, default=50, help="synthetic customers in the CRM")
    parser.add_argument("--train-timeout-s", type=float, default=960.0, help="give up following a candidate after")
    parser.add_argument("--max-load", type=float, default=1.0, help="wait for the 1-min load average under this")
    parser.add_argument("--max-wait-s", type=float, default=2400.0, help="… for at most this long (0: do not wait)")
    parser.add_argument("--out", type=Path, help="Markdown report: its results' section written or replaced")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--render", type=Path, help="measure nothing: write the report of a run's --json file")
    args = parser.parse_args(argv)
    if args.render:
        result = json.loads(args.render.read_text())
        print(section(result))
        if args.out:
            write_report(args.out, result)
        return 0
    if not (1 <= args.trainings <= 5 and 1 <= args.callers <= 50 and 1 <= args.baseline_s <= 3600
            and 1 <= args.swap_every_s <= 600 and 0 <= args.pause_s <= 10 and 0 <= args.max_wait_s <= 7200):
        parser.error("--trainings 1..5, --callers 1..50, --baseline-s 1..3600, --swap-every-s 1..600, "
                     "--pause-s 0..10, --max-wait-s 0..7200")

    result = run(args, say=lambda m: print(m, file=sys.stderr, flush=True))
    print(section(result))
    if args.out:
        write_report(args.out, result)
        print(f"\nwritten: {args.out}", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    return 1 if result["error"] or lost_total(result) != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
