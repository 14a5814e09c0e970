"""``nlu.candidate`` in the Rasa runtime: a candidate that cannot be trained says why on its last line and exits
non-zero; the repository's model scored on a small held-out file gives figures, a confusion matrix over the
eleven journeys and one row per reason."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("rasa")

from nlu.candidate import score  # noqa: E402
from nlu.journeys import JOURNEY_CODES  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
REASONS = [  # written for this test, not taken from a held-out set
    {"id": "t1", "text": "bonjour on part s'installer à Nantes et la box doit nous suivre", "journey": "move"},
    {"id": "t2", "text": "plus rien ne marche sur la box depuis l'orage, tous les voyants sont éteints",
     "journey": "breakdown"},
    {"id": "t3", "text": "je voudrais parler au service des impôts de ma commune", "journey": "out_of_scope"},
]


def test_a_candidate_that_cannot_be_trained_ends_with_its_reason(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "nlu.candidate", "--data", str(tmp_path / "missing"),
                           "--out", str(tmp_path / "c.tar.gz"), "--report", str(tmp_path / "r.json")],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env=dict(os.environ) | {"PYTHONPATH": str(REPO)})
    assert done.returncode == 1
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert last["step"] == "Échec" and "échoué" in last["error"]
    assert not (tmp_path / "r.json").exists()


def test_the_repository_model_is_scored_on_a_held_out_file(tmp_path: Path) -> None:
    models = sorted((REPO / ".build" / "models").glob("model-*.tar.gz"))
    if not models:
        pytest.skip("no trained model: `make model`")
    heldout = tmp_path / "set.jsonl"
    heldout.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in REASONS) + "\n")
    figures = score(models[-1], {"T": heldout}, "candidat", 0.5, 0.5)["T"]
    assert figures["examples"] == 3 and figures["labels"] == list(JOURNEY_CODES)
    assert len(figures["confusion"]) == 11 and sum(map(sum, figures["confusion"])) == 3
    assert [r["id"] for r in figures["rows"]] == ["t1", "t2", "t3"]
    right = sum(r["expected"] == r["predicted"] for r in figures["rows"])
    assert figures["accuracy"] == pytest.approx(right / 3) and right >= 2
    assert all(0 <= r["confidence"] <= 1 for r in figures["rows"])
