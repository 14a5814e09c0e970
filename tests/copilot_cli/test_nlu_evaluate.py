"""`copilot nlu evaluate` on the trained model and the held-out set, in the Rasa runtime."""

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from nlu.evaluate_advisor import ADVISOR_LABELS, load_heldout, normalise, split_seen, training_texts
from nlu.journeys import JOURNEY_CODES

pytestmark = pytest.mark.integration


def test_evaluate_writes_metrics_a_report_and_a_confusion_matrix(tmp_path: Path) -> None:
    out = tmp_path / "eval"
    run = subprocess.run([sys.executable, "-m", "copilot_cli", "nlu", "evaluate", "--out", str(out)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "accuracy" in run.stdout and "macro-F1" in run.stdout
    metrics = json.loads((out / "metrics.json").read_text())
    heldout = [json.loads(line) for line in Path("nlu_eval/heldout.jsonl").read_text().splitlines() if line]
    assert metrics["examples"] == len(heldout)
    assert set(metrics["per_journey"]) == set(JOURNEY_CODES)
    assert sum(m["support"] for m in metrics["per_journey"].values()) == len(heldout)
    correct = len(heldout) - len(metrics["errors"])
    assert metrics["accuracy"] == pytest.approx(correct / len(heldout))
    assert (out / "confusion_matrix.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = (out / "report.md").read_text()
    assert "| journey | precision | recall | F1 | n |" in report and f"## Errors ({len(metrics['errors'])})" in report


@pytest.mark.parametrize("heldout_file", ["nlu_eval/heldout.jsonl", "nlu_eval/heldout_b.jsonl"])
def test_no_heldout_sentence_is_in_the_training_data(heldout_file: str) -> None:
    heldout = {json.loads(line)["text"].strip().lower()
               for line in Path(heldout_file).read_text().splitlines() if line}
    training = set()
    for path in Path("assistant/data/nlu").glob("*.yml"):
        for line in path.read_text().splitlines():
            if line.strip().startswith("- "):  # entity annotations removed: "[Lyon](city)" -> "lyon"
                training.add(re.sub(r"\[([^\]]+)\]\([a-z_]+\)", r"\1", line.strip()[2:]).strip().lower())
    assert not heldout & training, "held-out sentences found in the training data"


def test_no_advisor_heldout_line_is_in_the_training_data() -> None:
    """The advisor-chat held-out set, with the evaluation's own normalisation (accents, case, punctuation)."""
    assert normalise("Passe-le en PRÉLÈVEMENT !") == normalise("passe le en prelevement")
    _, seen = split_seen(load_heldout(), training_texts())
    assert not seen, f"advisor held-out lines found in the training data: {[(d['id'], d['text']) for d in seen]}"


# -- advisor chat: `copilot nlu evaluate --advisor` ----------------------------------------------------------------
ADVISOR_ACCURACY_TARGET = 0.95
MIN_HELDOUT_PER_INTENT = 20


@pytest.fixture(scope="module")
def advisor_eval(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess, Path, dict[str, Any]]:
    """One run of the command for the tests below, on the model matching the data (trained first if missing), or
    on the model file COPILOT_EVAL_MODEL names (to score a model without retraining while the data moves)."""
    out = tmp_path_factory.mktemp("advisor-eval")
    model = os.environ.get("COPILOT_EVAL_MODEL")
    run = subprocess.run([sys.executable, "-m", "copilot_cli", "nlu", "evaluate", "--advisor", "--out", str(out)]
                         + (["--model", model] if model else []), capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    return run, out, json.loads((out / "metrics.json").read_text())


def test_advisor_evaluate_writes_metrics_a_report_and_a_confusion_matrix(advisor_eval) -> None:
    run, out, metrics = advisor_eval
    assert "intent accuracy" in run.stdout and "macro-F1" in run.stdout
    for name in ADVISOR_LABELS:  # every intent's recall is printed
        assert re.search(rf"^\s+{name}\s+precision [0-9.]+\s+recall [0-9.]+", run.stdout, re.M), name
    assert (out / "confusion_matrix.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = (out / "report.md").read_text()
    assert "| intent | precision | recall | F1 | n (held-out, kept) | dropped (in training) |" in report
    assert f"## Errors ({len(metrics['errors'])})" in report
    assert f"## Left out: also in the training data ({metrics['dropped_in_training']})" in report


def test_advisor_metrics_are_the_heldout_file_minus_the_lines_seen_in_training(advisor_eval) -> None:
    _, _, metrics = advisor_eval
    heldout = load_heldout()
    kept, dropped = split_seen(heldout, training_texts())
    assert metrics["heldout_items"] == len(heldout)
    assert metrics["dropped_in_training"] == len(dropped) == len(metrics["dropped"])
    assert {d["id"] for d in metrics["dropped"]} == {d["id"] for d in dropped}
    assert metrics["examples"] == len(heldout) - len(dropped) == len(kept)
    assert list(metrics["per_intent"]) == list(ADVISOR_LABELS)
    per_intent_kept = Counter(i["intent"] for i in kept)
    per_intent_dropped = Counter(d["intent"] for d in dropped)
    for name, m in metrics["per_intent"].items():
        assert m["support"] == per_intent_kept[name], name
        assert m["dropped_in_training"] == per_intent_dropped[name], name
    kept_ids = {i["id"] for i in kept}
    assert {e["id"] for e in metrics["errors"]} <= kept_ids
    correct = metrics["examples"] - len(metrics["errors"])
    assert metrics["accuracy"] == pytest.approx(correct / metrics["examples"])
    assert metrics["parse_ms"]["p50"] <= metrics["parse_ms"]["p95"]


def test_each_advisor_intent_keeps_enough_heldout_lines(advisor_eval) -> None:
    _, _, metrics = advisor_eval
    short = {name: m["support"] for name, m in metrics["per_intent"].items() if m["support"] < MIN_HELDOUT_PER_INTENT}
    assert not short, f"intents with fewer than {MIN_HELDOUT_PER_INTENT} held-out lines training never saw: {short}"


def test_advisor_intent_accuracy_meets_the_target(advisor_eval) -> None:
    _, out, metrics = advisor_eval
    assert metrics["accuracy"] >= ADVISOR_ACCURACY_TARGET, (
        f"advisor intent accuracy {metrics['accuracy']:.3f} < {ADVISOR_ACCURACY_TARGET} "
        f"({len(metrics['errors'])} errors of {metrics['examples']}; see {out / 'report.md'})")
