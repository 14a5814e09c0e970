"""The screen pop load (`copilot bench screenpop`) runs 5 calls at 5 per second and reports every figure; no
timing is judged. In process (the app served by uvicorn in a thread, Rasa absent), then on the real stack."""

import asyncio
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy.orm import Session, sessionmaker

from assistant.copilot.app import create_app
from assistant.copilot.settings import CopilotSettings
from copilot_cli.bench import LoadPlan, discover_pids, load_reasons, parse_pids, run_load
from copilot_cli.stack import free_port
from tests.conftest import RunningStack

KEYS = {"sent", "popped", "lost", "p50_ms", "p95_ms", "cpu_ms_per_pop", "cpu_ms_per_pop_total", "max_ms",
        "duration_s", "errors", "nlu_unavailable", "nlu_ok", "rate", "achieved_rate"}


@pytest.fixture
def served(sqlite_sessions: sessionmaker[Session]) -> Iterator[tuple[str, str, int]]:
    """The app on a free port of this process, on the demo CRM; Rasa is a closed port. (URL, database URL, port)"""
    engine = sqlite_sessions.kw["bind"]
    closed, port = free_port(), free_port()
    settings = CopilotSettings(port=port, rasa_url=f"http://127.0.0.1:{closed}",
                               actions_url=f"http://127.0.0.1:{closed}")
    server = uvicorn.Server(uvicorn.Config(create_app(settings, engine=engine), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the app did not start"
    try:
        yield f"http://127.0.0.1:{port}", engine.url.render_as_string(hide_password=False), port
    finally:
        server.should_exit = True
        thread.join(15)


def test_five_calls_at_five_per_second_all_pop_and_every_figure_is_there(served: tuple[str, str, int]) -> None:
    url, database_url, port = served
    pids = discover_pids({"app": port})
    assert pids == {"app": {os.getpid()}}  # found by its listening port, in /proc
    result = asyncio.run(run_load(LoadPlan(app_url=url, calls=5, rate=5, warmup=1, database_url=database_url,
                                           pids=pids)))
    assert KEYS <= result.keys()
    assert (result["sent"], result["popped"], result["lost"], result["errors"]) == (5, 5, 0, 0), result
    assert result["p50_ms"] is not None and result["p95_ms"] >= result["p50_ms"]
    assert result["cpu_ms_per_pop"] is not None and result["cpu_ms_per_pop"] >= 0
    assert result["agents"] == ["n1.demo", "n1.grenoble"]  # the demo CRM's N1 advisors, in turn
    assert result["identified"] == 5  # callers are the CRM's own lines
    assert result["nlu_unavailable"] == 5  # a reason each, and no Rasa here


def test_a_burst_without_reason_pops_every_call(served: tuple[str, str, int]) -> None:
    url, database_url, _ = served
    result = asyncio.run(run_load(LoadPlan(app_url=url, calls=5, concurrency=5, warmup=0, with_reason=False,
                                           database_url=database_url, pids={})))
    assert (result["sent"], result["popped"], result["lost"], result["errors"]) == (5, 5, 0, 0), result
    assert result["mode"] == "burst of 5" and result["nlu_unavailable"] == 0 and result["nlu_ok"] == 0
    assert result["cpu_ms_per_pop"] is None  # no process was measured


def test_pids_and_reasons_options(tmp_path: Path) -> None:
    assert parse_pids("12,rasa=34,actions=56") == {"app": {12}, "rasa": {34}, "actions": {56}}
    with pytest.raises(ValueError):
        parse_pids("db=12")
    reasons = tmp_path / "reasons.txt"
    reasons.write_text("ma box ne marche plus\n\n{\"text\": \"je déménage\"}\n")
    assert load_reasons(reasons) == ["ma box ne marche plus", "je déménage"]
    assert len(load_reasons(Path("nlu_eval/heldout.jsonl"))) > 300


@pytest.mark.integration
def test_five_calls_on_the_real_stack_pop_with_the_nlu(stack: RunningStack) -> None:
    pids = {p.name: {p.proc.pid} for p in stack.stack.processes if p.proc is not None}
    database_url = stack.sessions.kw["bind"].url.render_as_string(hide_password=False)
    result = asyncio.run(run_load(LoadPlan(app_url=stack.url, calls=5, rate=5, warmup=1, database_url=database_url,
                                           pids=pids)))
    assert (result["sent"], result["popped"], result["lost"], result["errors"]) == (5, 5, 0, 0), result
    assert result["nlu_ok"] == 5 and result["identified"] == 5
    assert result["cpu_ms"]["app"] > 0 and result["cpu_ms_per_pop_total"] >= result["cpu_ms_per_pop"]
