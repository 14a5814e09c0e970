"""The acts benchmark runs end to end on SQLite (N=2) and reports every act of the catalogue; no timing is judged."""

import json
import re
from pathlib import Path

from benchmarks import acts as bench
from crm_core.acts.catalogue import ACT_LIST

NUMBER = re.compile(r"\d+\.\d+")


def _rows(report: str) -> dict[str, list[str]]:
    """The cells of the acts table, by act code."""
    rows = {}
    for line in report.splitlines():
        found = re.match(r"\| `(\w+)` \|", line)
        if found:
            rows[found.group(1)] = [c.strip() for c in line.strip().strip("|").split("|")]
    return rows


def test_every_act_of_the_catalogue_has_a_row_with_numeric_medians(tmp_path: Path) -> None:
    out, figures = tmp_path / "acts.md", tmp_path / "acts.json"
    code = bench.main(["--database", "sqlite", "--repeat", "2", "--customers", "20", "--out", str(out),
                       "--json", str(figures)])
    assert code == 0  # no act refused its parameters
    report = out.read_text()
    rows = _rows(report)
    assert sorted(rows) == sorted(a.code for a in ACT_LIST)
    for act, cells in rows.items():
        preview_p50, execute_p50, view_p50 = cells[3], cells[5], cells[7]
        assert all(NUMBER.fullmatch(c) for c in (preview_p50, execute_p50, view_p50)), (act, cells)
        assert cells[9].endswith("×") and cells[10].endswith("×"), (act, cells)
    assert "### SQLite — " in report and "N = 2 timed repetitions" in report and "cores" in report

    result = json.loads(figures.read_text())
    assert {a["act"] for a in result["acts"]} == {a.code for a in ACT_LIST}
    assert all(a["preview"]["n"] == 2 and a["execute"]["n"] == 2 and a["baseline"]["n"] == 2 for a in result["acts"])
    assert all(a["statements"]["preview"] > 0 and a["statements"]["execute"] > 0 for a in result["acts"])


def test_a_new_run_replaces_its_database_s_section_and_keeps_the_rest(tmp_path: Path) -> None:
    out = tmp_path / "acts.md"
    out.write_text("# Acts\n\nWritten by hand.\n")
    result = {"database": "sqlite", "database_detail": "SQLite", "repeat": 2, "warmup": 1, "customers": 0,
              "today": "2026-12-01", "date": "2026-12-01 10:00 UTC", "reset_ms": 1.0, "elapsed_s": 1.0,
              "machine": {"cores": 2, "cpu": None, "platform": "Linux", "python": "3.11"},
              "loadavg_1m": {"before": 0.1, "after": 0.2},
              "acts": [{"act": "give_rio", "writes": False, "customer": 1, "error": "ActRefused: non",
                        "baseline": {"n": 0}, "preview": {"n": 0}, "execute": {"n": 0}, "statements": {},
                        "preview_ratio": {"p50": None, "p95": None}, "execute_ratio": {"p50": None, "p95": None}}]}
    bench.write_report(out, result)
    bench.write_report(out, {**result, "date": "2026-12-02 10:00 UTC"})
    report = out.read_text()
    assert report.startswith("# Acts\n\nWritten by hand.\n")
    assert report.count("### SQLite — ") == 1 and "2026-12-02 10:00 UTC" in report
    assert "FAILED: ActRefused: non" in report and "**failed**: `give_rio`" in report
