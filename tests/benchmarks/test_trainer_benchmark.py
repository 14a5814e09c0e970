"""The trainer's benchmark (`benchmarks/trainer.py`) on its own real stack, with tiny settings: one training, 5 s
of calls without publication and 5 s with one; it checks the report's shape and that no analysis was lost, never
a time."""

import json
import re
from pathlib import Path

import pytest

from benchmarks import trainer as bench

pytestmark = [pytest.mark.integration, pytest.mark.timeout(1200)]  # one real training and its scoring
SECONDS = re.compile(r"\*\*\d+\.\d s\*\*")


def test_one_training_and_a_publication_under_calls_report_every_figure_and_lose_nothing(tmp_path: Path) -> None:
    out, figures = tmp_path / "trainer.md", tmp_path / "trainer.json"
    code = bench.main(["--trainings", "1", "--baseline-s", "5", "--max-wait-s", "0", "--out", str(out),
                       "--json", str(figures)])
    result = json.loads(figures.read_text())
    assert result["error"] is None, result["error"]

    (candidate,) = result["candidates"]
    assert candidate["status"] == "ready" and candidate["scored_production"]  # the first job scores production
    assert candidate["train_seconds"] > 0 and candidate["job_s"] >= candidate["train_seconds"]
    assert candidate["curated_examples"] == 1 and set(candidate["accuracy"]) == {"A", "B", "C"}

    pub = result["publishing"]
    for phase in ("baseline", "swaps"):
        assert pub[phase]["calls"] > 0 and pub[phase]["latency_ms"]["n"] == pub[phase]["calls"], pub[phase]
        assert pub[phase]["lost"] == 0, pub[phase]  # no analysis lost, with or without a publication
    swaps = pub["swaps"]["swaps"]
    assert swaps["done"] >= 1 and swaps["failed"] == 0 and swaps["load_s"]["n"] == swaps["done"], swaps
    assert pub["ratio"]["p95"] is not None
    assert result["check"]["ended_on"]["source"] == "repository"  # the stack ends on the repository's model
    assert code == 0

    report = out.read_text()
    assert report.startswith("# The trainer's console")
    assert report.count(bench.BEGIN) == 1 and report.count(bench.END) == 1
    for heading in ("## What it measures", "## Command", "## Results — ", "### Retrain",
                    "### Publishing under a stream of calls", "### Computed reading"):
        assert heading in report, heading
    assert SECONDS.search(report), "the whole job's time is in the retrain table"
    assert "No analysis lost: **yes**" in report and "**failed**" not in report
    assert "| baseline, no publication |" in report and "| during swaps (whole phase) |" in report

    bench.write_report(out, result | {"date": "2099-01-01 00:00 UTC"})  # a new run replaces its section only
    again = out.read_text()
    assert again.count("## Results — ") == 1 and "2099-01-01 00:00 UTC" in again
