"""Train a candidate model and score it, beside the production model, on the held-out sets (Rasa runtime).

Run by the trainer's console (``trainer/training.py``), one process per candidate::

    .venv-rasa/bin/python -m nlu.candidate --data DIR --out MODEL.tar.gz --report REPORT.json \
        --heldout A=nlu_eval/heldout.jsonl --heldout B=… [--production PROD.tar.gz] [--expected-seconds 60]

``DIR`` holds the training data (the repository's and the curated examples, written by the app); the held-out
files are only parsed, never trained on. Progress goes to stdout as JSON lines ``{"step", "progress"}``
(steps in French: the trainer's page shows them); the figures go to ``REPORT.json``. Exit status 0 when the
candidate is trained and scored; anything else is a failure, with its reason on the last JSON line.
"""

import argparse
import json
import logging
import os
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from nlu.chat_intent import CALL_REASON
from nlu.evaluate import REPO, _quiet, metrics
from nlu.journeys import JOURNEY_CODES, primary_and_secondary


def say(step: str, progress: float, **extra: Any) -> None:
    print(json.dumps({"step": step, "progress": round(min(1.0, max(0.0, progress)), 3), **extra},
                     ensure_ascii=False), flush=True)


def train(data: Path, out: Path, expected_s: float) -> tuple[Path, float]:
    """The whole model (NLU and the chat's rules), as ``rasa train`` builds it; progress ticks meanwhile."""
    from rasa.model_training import train as rasa_train

    done = threading.Event()

    def tick() -> None:  # Rasa says nothing while it trains: progress from the expected duration
        t0 = time.monotonic()
        while not done.wait(2.0):
            share = min(0.95, (time.monotonic() - t0) / max(expected_s, 1.0))
            say("Entraînement du modèle", 0.05 + 0.45 * share)

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    t0 = time.perf_counter()
    try:
        result = rasa_train(domain=str(REPO / "assistant" / "domain"), config=str(REPO / "assistant" / "config.yml"),
                            training_files=[str(data)], output=str(out.parent),
                            fixed_model_name=out.name.removesuffix(".tar.gz"))
    finally:
        done.set()
    if result.code != 0 or not result.model:
        raise RuntimeError(f"l'entraînement Rasa a échoué (code {result.code})")
    return Path(result.model), time.perf_counter() - t0


def predict_reasons(agent: Any, texts: list[str]) -> tuple[list[dict[str, Any]], list[float]]:
    """Each text parsed as the pops parse a caller's reason (the channel's ``/parse``: the advisor-chat
    classifiers are skipped), with its time in milliseconds."""
    import asyncio

    from rasa.core.channels.channel import UserMessage

    loop = asyncio.new_event_loop()
    parses, timings = [], []
    for text in texts:
        t0 = time.perf_counter()
        parses.append(loop.run_until_complete(agent.processor.parse_message(UserMessage(text,
                                                                                        metadata=dict(CALL_REASON)))))
        timings.append((time.perf_counter() - t0) * 1000)
    loop.close()
    return parses, timings


def score(model: Path, sets: dict[str, Path], who: str, start: float, span: float) -> dict[str, Any]:
    """Each held-out set's figures, confusion matrix and per-reason predictions for ``model``."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    scored: dict[str, Any] = {}
    for k, (name, path) in enumerate(sets.items()):
        say(f"Évaluation du {who} sur le jeu {name}", start + span * k / len(sets))
        items = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        parses, timings = predict_reasons(agent, [i["text"] for i in items])
        predicted = [primary_and_secondary(p)[0] or "out_of_scope" for p in parses]
        confidences = [primary_and_secondary(p)[1] for p in parses]
        expected = [i["journey"] for i in items]
        figures = metrics(expected, predicted)
        labels = list(JOURNEY_CODES)
        matrix = [[0] * len(labels) for _ in labels]
        for e, p in zip(expected, predicted, strict=True):
            if e in labels and p in labels:
                matrix[labels.index(e)][labels.index(p)] += 1
        timings.sort()
        figures.update({
            "examples": len(items),
            "labels": labels,
            "confusion": matrix,
            "confused_with": [{"expected": e, "predicted": p, "count": n} for (e, p), n in
                              Counter((e, p) for e, p in zip(expected, predicted, strict=True) if e != p)
                              .most_common(10)],
            "rows": [{"id": i["id"], "expected": e, "predicted": p, "confidence": round(c, 3)}
                     for i, e, p, c in zip(items, expected, predicted, confidences, strict=True)],
            "parse_ms_p50": timings[len(timings) // 2] if timings else None,
        })
        scored[name] = figures
    return scored


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--report", type=Path, required=True)
    parser.add_argument("--heldout", action="append", default=[], help="NAME=path.jsonl (repeat)")
    parser.add_argument("--production", type=Path, default=None, help="also score this model")
    parser.add_argument("--expected-seconds", type=float, default=60.0)
    args = parser.parse_args()
    _quiet()
    os.environ["LOG_LEVEL"] = "WARNING"  # Rasa's structlog would print every parse on stdout, among the progress
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    sets = {spec.split("=", 1)[0]: Path(spec.split("=", 1)[1]) for spec in args.heldout}
    try:
        say("Préparation", 0.02)
        model, seconds = train(args.data, args.out, args.expected_seconds)
        report: dict[str, Any] = {"file": str(model), "train_seconds": round(seconds, 1)}
        from rasa.engine.storage.local_model_storage import LocalModelStorage
        from rasa.model import get_local_model  # noqa: F401 - the model must be readable before it is scored

        report["model_id"] = LocalModelStorage.metadata_from_archive(model).model_id
        span = 0.45 if args.production else 0.5
        report["candidate"] = score(model, sets, "candidat", 0.5, span)
        if args.production:
            report["production"] = score(args.production, sets, "modèle en production", 0.5 + span, 0.5 - span)
        args.report.write_text(json.dumps(report, ensure_ascii=False, default=float))
        say("Terminé", 1.0)
        return 0
    except Exception as exc:  # any failure ends the candidate, never the app: said in French on the last line
        say("Échec", 1.0, error=f"{type(exc).__name__}: {exc}"[:1000])
        return 1


if __name__ == "__main__":
    sys.exit(main())
