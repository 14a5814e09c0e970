"""Real SIP calls to the advisor's softphone, end to end: SIPp (the customer, Debian's sip-tester) calls baresip
(the softphone, Debian's baresip-core, auto answer) on loopback; the baresip adapter reads baresip's ctrl_tcp
events and puts them on the bridge; the advisor's panel gets the screen pop, then the end of the call.

The first test runs the adapter in this process, the second through ``copilot bridge baresip``. SIPp names its
calls ``<call number>-<its pid>@<its address>``: the call ids the copilot must see are known in advance."""

import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import text
from websockets.sync.client import connect

from benchmarks.sipp_load import start_softphone
from copilot_cli.simulate import ws_url
from copilot_cli.stack import free_port
from crm_core.core.config import get_crm_settings
from crm_core.core.security import issue_token
from telephony_bridge.adapters import baresip
from telephony_bridge.adapters._common import Backoff, BridgeForwarder, bridge_url
from tests.conftest import RunningStack

pytestmark = pytest.mark.integration

SCENARIO = Path(__file__).resolve().parents[2] / "telephony_bridge" / "sipp" / "uac_call.xml"
ADVISOR = "n1.demo"
CAMILLE = "0712345678"  # Mme Camille Martin, customer 1
REASON = "bonjour on déménage à Lille le mois prochain"


def binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"`{name}` is not installed: scripts/install-debian-packages (make debian) installs sip-tester "
                    "and baresip-core")
    return path


def wait_for(what: str, check, timeout: float, log: Path | None = None) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
            pytest.fail(f"timed out waiting for {what}\n{tail}")
        time.sleep(0.05)


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@contextmanager
def softphone(directory: Path) -> Iterator[tuple[int, int, Path]]:
    """baresip answering every call at once on 127.0.0.1 (the SIPp benchmark's, with baresip's default of 4 calls
    at once): its SIP port, its ctrl_tcp port, its log."""
    binary("baresip")  # a missing package fails the test with the command that installs it
    process, sip_port, ctrl_port, log = start_softphone(directory, max_calls=4)
    try:
        yield sip_port, ctrl_port, log
    finally:
        stop(process)


def place_calls(directory: Path, sip_port: int, calls: int, talk_ms: int = 2000) -> subprocess.Popen:
    """SIPp calling the softphone ``calls`` times in a row (one at a time) from Camille Martin's mobile."""
    exe = binary("sipp")
    return subprocess.Popen(
        [exe, "-sf", str(SCENARIO), "-m", str(calls), "-l", "1", "-s", "advisor", "-i", "127.0.0.1",
         "-p", str(free_port()), "-mp", str(free_port()), "-key", "caller", CAMILLE, "-key", "digit", "2",
         "-key", "reason", REASON, "-d", str(talk_ms), "-timeout", "120", "-timeout_error", "-nostdin",
         "-trace_err", f"127.0.0.1:{sip_port}"],
        cwd=directory, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


class Panel:
    """The advisor's panel websocket (all of the advisor's calls), read in a thread."""

    def __init__(self, stack: RunningStack, login: str) -> None:
        query = urlencode({"token": issue_token(login)})
        self.ws = connect(ws_url(stack.url, f"/ws/panel?{query}"))
        hello = json.loads(self.ws.recv(10))
        assert hello["type"] == "hello", hello
        self.frames: list[dict[str, Any]] = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            for raw in self.ws:
                self.frames.append(json.loads(raw))
        except Exception:  # closed
            return

    def of(self, call_id: str, kind: str) -> list[dict[str, Any]]:
        return [f for f in list(self.frames) if f.get("call_id") == call_id and f.get("type") == kind]

    def close(self) -> None:
        self.ws.close()
        self.thread.join(5)


class InProcessAdapter:
    """The adapter's asyncio runner in a thread of its own; every bridge reply is kept."""

    def __init__(self, stack: RunningStack, ctrl_port: int) -> None:
        self.replies: list[dict[str, Any]] = []
        self.state = baresip.BaresipState(agent=ADVISOR, reason=REASON)
        self.forwarder = BridgeForwarder(bridge_url(stack.url), get_crm_settings().secret("bridge_token"),
                                         backoff=Backoff(0.05, 1.0), on_reply=self.replies.append)
        self.loop = asyncio.new_event_loop()
        self.task: asyncio.Task[None] | None = None
        self.thread = threading.Thread(target=self._run, args=(ctrl_port,), daemon=True)
        self.thread.start()

    def _run(self, ctrl_port: int) -> None:
        asyncio.set_event_loop(self.loop)
        self.task = self.loop.create_task(baresip.run("127.0.0.1", ctrl_port, self.forwarder, self.state,
                                                      Backoff(0.05, 1.0)))
        try:
            self.loop.run_until_complete(self.task)
        except asyncio.CancelledError:
            pass
        finally:
            self.loop.close()

    def stop(self) -> None:
        if self.task is not None:
            self.loop.call_soon_threadsafe(self.task.cancel)
        self.thread.join(10)


def trace_names(stack: RunningStack, call_id: str) -> list[str]:
    with stack.sessions() as s:
        return [n for (n,) in s.execute(text("SELECT name FROM trace_events WHERE call_id=:c ORDER BY id"),
                                        {"c": call_id})]


def check_calls(stack: RunningStack, panel: Panel, sipp: subprocess.Popen, calls: int) -> list[str]:
    """Each of SIPp's calls popped Camille Martin, answered, on the panel, then ended; all traced."""
    out, _ = sipp.communicate(timeout=120)
    assert sipp.returncode == 0, out.decode(errors="replace")[-3000:]
    expected = [f"{n}-{sipp.pid}@127.0.0.1" for n in range(1, calls + 1)]
    for call_id in expected:
        wait_for(f"the end of {call_id} on the panel", lambda c=call_id: panel.of(c, "call_update")
                 and panel.of(c, "call_update")[-1]["state"] == "ended", 20)
        pops = panel.of(call_id, "screen_pop")
        assert pops, f"no screen pop for {call_id}: {[f.get('type') for f in panel.frames]}"
        pop = pops[0]
        assert pop["state"] == "answered"
        assert pop["identified"] is True and pop["customer"]["id"] == 1
        assert pop["customer"]["display_name"] == "Mme Camille Martin"
        assert pop["reason"] == REASON and pop["journey"] == "move"
        wait_for(f"call.ended traced for {call_id}", lambda c=call_id: "call.ended" in trace_names(stack, c), 10)
        names = trace_names(stack, call_id)
        for step in ("call.offered", "call.answered", "call.dtmf", "screen_pop.sent", "call.ended"):
            assert names.count(step) == 1, (step, names)
        assert names.index("call.offered") < names.index("call.answered") < names.index("call.ended")
    others = {f["call_id"] for f in panel.frames if re.fullmatch(rf"\d+-{sipp.pid}@127\.0\.0\.1", f.get("call_id", ""))}
    assert others == set(expected)  # no call more, none less
    return expected


def test_a_sipp_call_to_baresip_pops_camille_martin_on_the_panel(stack: RunningStack, tmp_path: Path) -> None:
    with softphone(tmp_path / "baresip") as (sip_port, ctrl_port, log):
        adapter = InProcessAdapter(stack, ctrl_port)
        panel = Panel(stack, ADVISOR)
        sipp = None
        try:
            wait_for("the adapter on ctrl_tcp", lambda: adapter.state.connections >= 1, 10, log)
            sipp = place_calls(tmp_path, sip_port, 1)
            [call_id] = check_calls(stack, panel, sipp, 1)
        finally:
            if sipp is not None:
                stop(sipp)
            panel.close()
            adapter.stop()
    assert [r["type"] for r in adapter.replies] == ["ack"] * 4, adapter.replies
    assert [r["event"] for r in adapter.replies] == ["offered", "answered", "dtmf", "ended"]
    assert not any(r.get("dropped") for r in adapter.replies) and adapter.forwarder.dropped == 0
    assert all(r["call_id"] == call_id for r in adapter.replies)


def test_five_calls_in_a_row_through_the_cli_adapter(stack: RunningStack, tmp_path: Path) -> None:
    with softphone(tmp_path / "baresip") as (sip_port, ctrl_port, _):
        adapter_log = tmp_path / "adapter.log"
        cli = [str(Path(sys.executable).parent / "copilot"), "bridge", "baresip", "--ctrl", f"127.0.0.1:{ctrl_port}",
               "--agent", ADVISOR, "--app", stack.url, "--reason", REASON]
        with adapter_log.open("wb") as out:
            adapter = subprocess.Popen(cli, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       env={**os.environ, "PYTHONUNBUFFERED": "1"})
        panel = Panel(stack, ADVISOR)
        sipp = None
        try:
            wait_for("the adapter on ctrl_tcp", lambda: "connected to baresip ctrl_tcp" in adapter_log.read_text(),
                     30, adapter_log)
            sipp = place_calls(tmp_path, sip_port, 5, talk_ms=1500)
            check_calls(stack, panel, sipp, 5)
        finally:
            if sipp is not None:
                stop(sipp)
            panel.close()
            stop(adapter, signal.SIGINT)
    logged = adapter_log.read_text()
    assert "connected to the bridge" in logged
    for trouble in ("refused", "dropping", "skipped", "lost"):
        assert trouble not in logged, logged
