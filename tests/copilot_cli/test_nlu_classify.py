"""`copilot nlu classify` on the trained model, in the Rasa runtime."""

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration


def test_classify_keeps_order_and_survives_bad_lines() -> None:
    lines = [
        {"id": "a", "text": "bonjour on déménage à Rennes en février il faut transférer la box"},
        "pas du json",
        {"id": 2, "text": "le décodeur affiche écran noir depuis ce matin"},
        {"id": "empty", "text": ""},
        {"id": "long", "text": "allô " * 2000},
        {"text": 42},
        {"id": "emoji", "text": "👍👍👍"},
        {"id": "control", "text": "\x00\x07\x1b[2J"},
        {"id": "fillers", "text": "euh… euh"},
        {"id": "english", "text": "hello I would like to speak to someone about my internet box please"},
    ]
    stdin = "\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines) + "\n"
    out = subprocess.run([sys.executable, "-m", "copilot_cli", "nlu", "classify"], input=stdin,
                         capture_output=True, text=True, timeout=300, check=True)
    results = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r.get("id") for r in results] == ["a", None, 2, "empty", "long", None, "emoji", "control", "fillers",
                                              "english"]
    assert results[0]["journey"] == "move" and results[0]["acts"][0] == "move_address"
    assert results[2]["journey"] == "breakdown"
    assert "error" in results[1] and "error" in results[5]
    for r in results[6:9] + [results[3], results[4]]:  # nothing said yet (« allô » is no reason): no journey
        assert (r["journey"], r["confidence"], r["secondary_journeys"], r["acts"]) == (None, 0.0, [], [])
    for r in results[:1] + results[2:5] + results[6:]:
        assert set(r) == {"id", "journey", "confidence", "secondary_journeys", "acts", "entities"}
        assert 0.0 <= r["confidence"] <= 1.0
