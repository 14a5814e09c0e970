"""The SIPp load through baresip (`benchmarks/sipp_load.py`) runs 5 real SIP calls at 2 per second, from its
command line, against the stack it starts itself, and reports every figure; no timing is judged."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
KEYS = {"placed", "successful", "failed", "answered", "established", "popped", "lost", "p50_ms", "p95_ms",
        "cpu_ms_per_pop", "cpu_ms_per_pop_total", "baresip_cpu_ms_per_call", "sipp", "load_avg", "rate", "calls"}


def test_five_sipp_calls_at_two_per_second_all_pop(tmp_path: Path) -> None:
    for name in ("sipp", "baresip"):
        if shutil.which(name) is None:
            pytest.fail(f"`{name}` is not installed: scripts/install-debian-packages installs sip-tester and "
                        "baresip-core")
    out = tmp_path / "report.md"
    done = subprocess.run([sys.executable, "-m", "benchmarks.sipp_load", "--calls", "5", "--rate", "2", "--warmup",
                           "1", "--json", "--out", str(out)], cwd=REPO, capture_output=True, text=True, timeout=280)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert KEYS <= result.keys(), sorted(KEYS - result.keys())
    assert result["lost"] == 0, result
    assert (result["placed"], result["successful"], result["answered"], result["popped"]) == (5, 5, 5, 5), result
    assert result["sipp"]["response_time_ms"]["n"] == 5 and result["p95_ms"] >= result["p50_ms"]
    assert result["identified"] == 5 and result["bridge_acks"]["ended"] == 5
    assert "| **0** |" in out.read_text() and "<!-- sipp-load calls=5 rate=2 -->" in out.read_text()
