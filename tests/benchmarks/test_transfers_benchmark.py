"""The transfers benchmark runs end to end on SQLite (N=2) and reports every step; no timing is judged."""

import json
import re
from pathlib import Path

from benchmarks import transfers as bench

NUMBER = re.compile(r"\d+\.\d+")


def _rows(report: str) -> dict[str, list[str]]:
    """The cells of the steps table, by the step's label."""
    labels = {label for _, label, _, _ in bench.STEPS}
    rows = {}
    for line in report.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and cells[0] in labels:
            rows[cells[0]] = cells
    return rows


def test_every_step_has_a_row_with_numeric_percentiles_and_ratios(tmp_path: Path) -> None:
    out, figures = tmp_path / "transfers.md", tmp_path / "transfers.json"
    code = bench.main(["--database", "sqlite", "--repeat", "2", "--customers", "20", "--out", str(out),
                       "--json", str(figures)])
    assert code == 0  # no step refused
    report = out.read_text()
    rows = _rows(report)
    assert sorted(rows) == sorted(label for _, label, _, _ in bench.STEPS)
    for label, cells in rows.items():
        p50, p95, ratio = cells[2], cells[3], cells[4]
        assert NUMBER.fullmatch(p50) and NUMBER.fullmatch(p95), (label, cells)
        assert re.fullmatch(r"\d+\.\d+× / \d+\.\d+×", ratio), (label, cells)
        assert int(cells[6]) > 0, (label, cells)  # its SQL statements were counted
    assert rows["360° read (baseline)"][4] == "1.00× / 1.00×"
    assert "### SQLite — " in report and "N = 2 timed repetitions" in report and "cores" in report
    assert "**failed**" not in report

    result = json.loads(figures.read_text())
    assert result["error"] is None
    assert [s["step"] for s in result["steps"]] == bench.STEP_KEYS
    assert all(s["n"] == 2 and s["statements"] > 0 for s in result["steps"])


def test_a_new_run_replaces_its_database_s_section_and_keeps_the_rest(tmp_path: Path) -> None:
    out = tmp_path / "transfers.md"
    out.write_text("# Transfers\n\nWritten by hand.\n")
    steps = [{"step": key, "label": label, "who": who, "what": what, "n": 0, "p50": None, "p95": None,
              "max": None, "cpu_p50": None, "statements": None, "ratio": {"p50": None, "p95": None}}
             for key, label, who, what in bench.STEPS]
    result = {"database": "sqlite", "database_detail": "SQLite", "repeat": 2, "warmup": 1, "customers": 0,
              "today": "2026-12-01", "date": "2026-12-01 10:00 UTC", "reset_ms": 1.0, "elapsed_s": 1.0,
              "machine": {"cores": 2, "cpu": None, "platform": "Linux", "python": "3.11"},
              "loadavg_1m": {"before": 0.1, "after": 0.2},
              "error": "repetition 0, request_warm: TransferRefused: non", "steps": steps}
    bench.write_report(out, result)
    bench.write_report(out, {**result, "date": "2026-12-02 10:00 UTC"})
    report = out.read_text()
    assert report.startswith("# Transfers\n\nWritten by hand.\n")
    assert report.count("### SQLite — ") == 1 and "2026-12-02 10:00 UTC" in report
    assert "**failed**: repetition 0, request_warm: TransferRefused: non" in report
