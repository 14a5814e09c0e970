"""`copilot nlu evaluate` on the trained model and the held-out set, in the Rasa runtime."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

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
