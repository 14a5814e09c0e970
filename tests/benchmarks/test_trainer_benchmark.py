"""The trainer's benchmark (`benchmarks/trainer.py`) on its own real stack, with tiny settings and no training
(`--no-training`: the retrain is covered by tests/integration/test_trainer_loop.py): a registered copy of the
repository's model is published and rolled back under 5 s of calls, after 5 s without publication; it checks the
report's shape and that no analysis was lost, never a time."""

import json
from pathlib import Path

import pytest

from benchmarks import trainer as bench

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]  # a real stack, no training


def test_publishing_a_copy_of_the_model_under_calls_reports_every_figure_and_loses_nothing(tmp_path: Path) -> None:
    out, figures = tmp_path / "trainer.md", tmp_path / "trainer.json"
    code = bench.main(["--no-training", "--baseline-s", "5", "--max-wait-s", "0", "--out", str(out),
                       "--json", str(figures)])
    result = json.loads(figures.read_text())
    assert result["error"] is None, result["error"]

    assert result["candidates"] == [] and result["settings"]["no_training"] is True  # nothing trained
    copy = result["copy"]
    assert copy["id"] != copy["production_id"] and copy["file"].startswith("copy-model-")
    assert copy["model_id"] and copy["model_id"] == copy["production_model_id"]  # Rasa's id is in the archive

    pub = result["publishing"]
    for phase in ("baseline", "swaps"):
        assert pub[phase]["calls"] > 0 and pub[phase]["latency_ms"]["n"] == pub[phase]["calls"], pub[phase]
        assert pub[phase]["lost"] == 0, pub[phase]  # no analysis lost, with or without a publication
    swaps = pub["swaps"]["swaps"]
    assert swaps["done"] >= 1 and swaps["failed"] == 0 and swaps["load_s"]["n"] == swaps["done"], swaps
    assert swaps["each"][0]["action"] == "publish" and not pub["forced"]  # the same figures: a plain publication
    assert pub["ratio"]["p95"] is not None
    check = result["check"]
    assert check["rasa_file_with_candidate"] == copy["file"]  # the server did run the copy…
    assert check["rasa_file_with_repository"] != copy["file"]  # … and no longer does
    assert check["ended_on"]["source"] == "repository"  # the stack ends on the repository's model
    assert code == 0

    report = out.read_text()
    assert report.startswith("# The trainer's console")
    assert report.count(bench.BEGIN) == 1 and report.count(bench.END) == 1
    for heading in ("## What it measures", "## Command", "## Results — ", "### Retrain",
                    "### Publishing under a stream of calls", "### Computed reading"):
        assert heading in report, heading
    assert "Skipped (`--no-training`)" in report and "`--no-training --baseline-s 5 " in report
    assert "No analysis lost: **yes**" in report and "**failed**" not in report
    assert "The swaps did swap" in report
    assert "| baseline, no publication |" in report and "| during swaps (whole phase) |" in report

    bench.write_report(out, result | {"date": "2099-01-01 00:00 UTC"})  # a new run replaces its section only
    again = out.read_text()
    assert again.count("## Results — ") == 1 and "2099-01-01 00:00 UTC" in again
