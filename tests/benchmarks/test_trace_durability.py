"""The durability benchmark runs end to end on a small number of traces and writes its section (no timing
assertion: the figures are the report's, not the test's)."""

from pathlib import Path

from benchmarks import trace_durability


def test_the_benchmark_commits_every_trace_in_each_mode_and_writes_its_section(tmp_path: Path) -> None:
    out = tmp_path / "durability.md"
    assert trace_durability.main(["--database", "sqlite", "--events", "300", "--out", str(out)]) == 0
    text = out.read_text()
    for mode in trace_durability.MODES:
        assert f"| {mode} |" in text
    assert text.count("<!-- sqlite -->") == 1
    trace_durability.main(["--database", "sqlite", "--events", "100", "--out", str(out)])  # replaces its section
    assert out.read_text().count("<!-- sqlite -->") == 1 and "100 traces in a row" in out.read_text()
