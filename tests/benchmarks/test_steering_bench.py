"""The steering benchmark runs end to end on SQLite at a tiny size (5 advisors, 2 days, N=2, a 3-second live
stream) and reports every query and the live figures; a kept database is run again without being rebuilt. No
timing is judged."""

import json
import re
from pathlib import Path

from benchmarks import steering as bench

NUMBER = re.compile(r"\d[\d,]*\.\d")
TINY = ["--database", "sqlite", "--advisors", "5", "--days", "2", "--today", "2026-11-27", "--max-wait", "0"]


def _rows(report: str) -> dict[str, list[str]]:
    """The cells of the queries table, by the query's label."""
    rows = {}
    for line in report.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) == 11 and cells[0] != "query" and not cells[0].startswith("---"):
            rows[cells[0]] = cells
    return rows


def test_every_query_and_the_live_view_are_measured_and_reported(tmp_path: Path) -> None:
    out, figures, kept = tmp_path / "steering.md", tmp_path / "steering.json", tmp_path / "kept.sqlite3"
    code = bench.main([*TINY, "--repeat", "2", "--live-seconds", "3", "--keep", str(kept), "--out", str(out),
                       "--json", str(figures)])
    result = json.loads(figures.read_text())
    assert code == 0, result["error"]
    report = out.read_text()
    rows = _rows(report)
    labels = [q["label"] for q in result["queries"]]
    assert sorted(rows) == sorted(labels)
    for label, cells in rows.items():
        p50, p95, within = cells[1], cells[2], cells[10]
        assert NUMBER.fullmatch(p50) and NUMBER.fullmatch(p95), (label, cells)
        assert within in ("yes", "**no**"), (label, cells)
    assert [q["key"] for q in result["queries"]][:2] == ["sql", "definitions"]  # the two baselines first
    assert all(q["n"] == 2 and q["statements"] for q in result["queries"])
    assert result["sizes"]["rows"]["call_facts"] > 0 and result["build"]["events"] > 1000
    assert result["picked"]["call"] and result["picked"]["day"] <= "2026-11-27"

    live = result["live"]
    assert live["inserted"] == 600  # 200 a second for 3 s
    assert live["measured_batches"] > 0 and live["missed_batches"] == 0  # every batch reached the socket
    assert live["frames"] > 0 and live["drain_s"] is not None
    assert "### SQLite — " in report and "Lag, commit → the frame that reflects it" in report
    assert "**failed**" not in report and kept.exists()

    # the kept database, run again: the month is not written again, the earlier build is reported
    code = bench.main([*TINY, "--repeat", "1", "--live-seconds", "0", "--reuse", str(kept), "--out", str(out)])
    assert code == 0
    report = out.read_text()
    assert report.count("### SQLite — ") == 1 and "reused from an earlier run" in report
    assert "Writing the month (earlier)" in report and "N = 1 timed passes" in report


def test_a_new_run_replaces_its_database_s_section_and_keeps_the_rest(tmp_path: Path) -> None:
    out = tmp_path / "steering.md"
    out.write_text("# Steering\n\nWritten by hand.\n")
    result = {"database": "postgresql", "database_detail": "PostgreSQL", "repeat": 2, "warmup": 1,
              "customers": 10, "today": "2026-12-01", "date": "2026-12-01 10:00 UTC", "reset_ms": 0.0,
              "elapsed_s": 1.0, "command": "x", "code": "abc", "size": {"days": 2, "customers": 10},
              "machine": {"cores": 2, "cpu": None, "platform": "Linux", "python": "3.11"},
              "loadavg_1m": {"before": 0.1, "after": 0.2}, "error": "RuntimeError: the app did not start"}
    bench.write_report(out, result)
    bench.write_report(out, {**result, "date": "2026-12-02 10:00 UTC"})
    report = out.read_text()
    assert report.startswith("# Steering\n\nWritten by hand.\n")
    assert report.count("### PostgreSQL — ") == 1 and "2026-12-02 10:00 UTC" in report
    assert "**failed**: RuntimeError: the app did not start" in report
