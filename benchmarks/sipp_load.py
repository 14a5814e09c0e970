"""SIPp load through baresip: real SIP calls to the advisor's softphone, up to the screen pop on their panel.

Run from the repository root::

    .venv/bin/python -m benchmarks.sipp_load --calls 100 --rate 5 [--json] [--out docs/benchmarks-sipp-load.md]

What it starts, on free loopback ports, and stops at the end (whatever happens):

- the stack (Rasa server, action server, app: ``copilot_cli.stack.Stack``, as the tests' ``stack`` fixture) on a
  temporary SQLite CRM seeded with the reference data and ``--customers`` synthetic customers; the model is the
  one built for the checkout's data, else the newest one in ``.build/models`` (never trained here);
- baresip (Debian's ``baresip-core``), the advisor's softphone, answering every call at once
  (``answermode=auto``), with ``call_max_calls`` at ``--max-calls`` (baresip's default, 4, would refuse the
  concurrent calls with a 486);
- the baresip adapter (``telephony_bridge.adapters.baresip.run``) in this process, on baresip's ``ctrl_tcp``,
  forwarding to ``/ws/bridge`` through a ``BridgeForwarder`` whose ``put`` notes when the adapter hands on each
  ``answered`` (made from ``CALL_ESTABLISHED``): the adapter itself is unchanged;
- the advisor's panel on ``/ws/panel`` (``--agent``, n1.demo), read in this process;
- SIPp (Debian's ``sip-tester``) with ``telephony_bridge/sipp/uac_call.xml``: ``--calls`` calls at ``--rate``
  per second (``-r R -rp 1000 -m N``), at most ``--max-calls`` at once (``-l``), each with a DTMF key as SIP
  INFO and ``--talk-ms`` of talk (``-d``) before the BYE. ``--warmup`` calls, one at a time, come first and are
  not counted (nor their CPU).

Measured: SIPp's own statistics (``-trace_stat``, ``-trace_counts``, ``-trace_rtt``: calls placed, successful,
failed, the INVITEs answered with a 200, the SIP response time INVITE → 200 of each call, in SIPp's whole
milliseconds); the calls whose ``screen_pop`` reached the panel within ``--timeout`` of their ``answered``;
``lost``, the calls baresip answered (a 200 to the INVITE, per SIPp) that did not pop in time; the latency from
the adapter's ``answered`` to the panel's socket yielding the ``screen_pop``, p50/p95/p99 (nearest rank); the
CPU time (``/proc/<pid>/stat``, with children) of the app, of Rasa and the action server and of baresip during
the measured calls, per pop; this process's own (the adapter and the panel). With ``--wait-quiet L`` the
measured calls wait (polling every 30 s, at most ``--wait-max`` seconds) for the 1-minute load average to fall
below L; the load average is reported either way.
"""

import argparse
import asyncio
import csv
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from benchmarks.harness import DEMO_TODAY, cpu_model, write_section
from copilot_cli.bench import CpuMeter, _percentile
from copilot_cli.simulate import ws_url
from copilot_cli.stack import Stack, StackConfig, free_port
from telephony_bridge.adapters import baresip
from telephony_bridge.adapters._common import Backoff, BridgeForwarder, bridge_url

REPO = Path(__file__).resolve().parents[1]
SCENARIO = REPO / "telephony_bridge" / "sipp" / "uac_call.xml"
DEFAULT_PORTS = {8000, 5005, 5055}  # a developer's running stack: never these
CAMILLE = "0712345678"  # Mme Camille Martin, customer 1 of the demo data
REASON = "bonjour on déménage à Lille le mois prochain"
HEAD = "# SIPp load through baresip: real SIP calls up to the screen pop (`benchmarks/sipp_load.py`)\n"


@dataclass
class Plan:
    calls: int = 100
    rate: float = 5.0
    max_calls: int = 100  # baresip's call_max_calls and SIPp's -l
    talk_ms: int = 1000
    timeout_s: float = 10.0
    warmup: int = 3
    customers: int = 200
    agent: str = "n1.demo"
    caller: str = CAMILLE
    reason: str | None = REASON
    wait_quiet: float | None = None  # the 1-min load average to wait for before the measured calls
    wait_max_s: float = 1500.0
    model: Path | None = None
    keep: bool = False  # keep the temporary folder (logs, SIPp's files)


def say(message: str) -> None:
    print(f"[sipp-load] {message}", file=sys.stderr, flush=True)


def binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise SystemExit(f"`{name}` is not installed: scripts/install-debian-packages installs sip-tester and "
                         "baresip-core")
    return path


def pick_model(explicit: Path | None) -> Path:
    """The model built for the checkout's data, else the newest one built; never trains one."""
    from assistant.model_store import MODELS_DIR, model_path

    if explicit is not None:
        return explicit
    wanted = model_path()
    if wanted.exists():
        return wanted
    built = sorted(MODELS_DIR.glob("model-*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not built:
        raise SystemExit("no NLU model in .build/models: `make model` first (this benchmark never trains one)")
    say(f"no model for the current data ({wanted.name}); using the newest built, {built[-1].name}")
    return built[-1]


def own_cpu_ms() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return (usage.ru_utime + usage.ru_stime) * 1000


def wait_until(check: Callable[[], bool], timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
            raise RuntimeError(f"timed out waiting for {what}\n{tail}")
        time.sleep(0.05)


def stop_process(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


# -- baresip, the softphone ---------------------------------------------------------------------------------------
def start_softphone(folder: Path, max_calls: int) -> tuple[subprocess.Popen[bytes], int, int, Path]:
    """baresip answering every call at once on 127.0.0.1: the process, its SIP and ctrl_tcp ports, its log."""
    exe = binary("baresip")
    folder.mkdir(parents=True, exist_ok=True)
    sip_port, ctrl_port = free_port(), free_port()
    (folder / "config").write_text(f"""\
poll_method\t\tepoll
sip_listen\t\t127.0.0.1:{sip_port}
net_interface\t\t127.0.0.1
ctrl_tcp_listen\t\t127.0.0.1:{ctrl_port}
# one softphone taking the load: baresip's default is 4 calls at once (486 Max Calls beyond)
call_max_calls\t\t{max_calls}
# no sound card: a sine as the microphone (ausine wants 48 kHz stereo), nothing played
audio_source\t\tausine,440
ausrc_srate\t\t48000
ausrc_channels\t\t2
audio_player\t\tnone,none
audio_alert\t\tnone,none
module_path\t\t/usr/lib/baresip/modules
module\t\t\tg711.so
module\t\t\tausine.so
module_app\t\taccount.so
module_app\t\tctrl_tcp.so
""")
    (folder / "accounts").write_text(f"<sip:advisor@127.0.0.1:{sip_port}>;regint=0;answermode=auto\n")
    (folder / "contacts").write_text("")
    log = folder / "baresip.log"
    with log.open("wb") as out:
        process = subprocess.Popen([exe, "-f", str(folder)], stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, cwd=folder)
    try:
        wait_until(lambda: "baresip is ready" in log.read_text(errors="replace") or process.poll() is not None,
                   20, "baresip", log)
        if process.poll() is not None:
            raise RuntimeError(f"baresip exited: {log.read_text(errors='replace')[-2000:]}")
    except BaseException:
        stop_process(process)
        raise
    return process, sip_port, ctrl_port, log


# -- SIPp, the customers ---------------------------------------------------------------------------------------------
def sipp_argv(plan: Plan, sip_port: int, calls: int, rate: float, limit: int) -> list[str]:
    rate_text = f"{rate:g}"
    return [binary("sipp"), "-sf", str(SCENARIO), "-m", str(calls), "-r", rate_text, "-rp", "1000", "-l", str(limit),
            "-s", "advisor", "-i", "127.0.0.1", "-p", str(free_port()), "-mp", str(free_port()),
            "-key", "caller", plan.caller, "-key", "digit", "2", "-key", "reason", plan.reason or "-",
            "-d", str(plan.talk_ms), "-timeout", str(int(calls / rate + 120)), "-timeout_error", "-nostdin",
            "-trace_stat", "-fd", "1", "-trace_counts", "-trace_rtt", "-rtt_freq", "1", "-trace_err",
            f"127.0.0.1:{sip_port}"]


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", errors="replace") as f:
        return [row for row in csv.DictReader(f, delimiter=";") if row]


def _sipp_ms(value: str | None) -> float | None:
    """SIPp's ``HH:MM:SS:microseconds`` in milliseconds."""
    if not value:
        return None
    parts = value.strip().split(":")
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        return None
    h, m, s, us = (int(p) for p in parts)
    return round(((h * 60 + m) * 60 + s) * 1000 + us / 1000, 1)


def sipp_statistics(folder: Path, pid: int, returncode: int | None) -> dict[str, Any]:
    """SIPp's own figures of one run, from the files it wrote in ``folder``."""
    stats: dict[str, Any] = {"pid": pid, "exit_code": returncode}
    stat_files = list(folder.glob(f"*_{pid}_.csv"))
    if stat_files and (rows := _csv_rows(stat_files[0])):
        last = rows[-1]

        def count(key: str) -> int | None:
            return int(last[key]) if last.get(key, "").strip().isdigit() else None

        stats.update({"placed": count("TotalCallCreated"), "successful": count("SuccessfulCall(C)"),
                      "failed": count("FailedCall(C)"), "retransmissions": count("Retransmissions(C)"),
                      "failed_rejected": count("FailedCallRejected(C)"),
                      "failed_timeout_recv": count("FailedTimeoutOnRecv(C)"),
                      "failed_unexpected": count("FailedUnexpectedMessage(C)"),
                      "failed_max_udp_retrans": count("FailedMaxUDPRetrans(C)"),
                      "call_rate": round(float(last["CallRate(C)"]), 2) if last.get("CallRate(C)") else None,
                      "max_concurrent": max((int(r["CurrentCall"]) for r in rows
                                             if r.get("CurrentCall", "").strip().isdigit()), default=None),
                      "response_time_mean_ms": _sipp_ms(last.get("ResponseTime1(C)")),
                      "call_length_mean_ms": _sipp_ms(last.get("CallLength(C)"))})
    count_files = list(folder.glob(f"*_{pid}_counts.csv"))
    if count_files and (rows := _csv_rows(count_files[0])):
        last = rows[-1]
        ok = [k for k in last if k and re.fullmatch(r"\d+_200_Recv", k)]
        if ok:  # the first 200 of the scenario answers the INVITE: the softphone took the call
            stats["answered"] = int(last[min(ok, key=lambda k: int(k.split("_")[0]))])
        unexpected = [k for k in last if k and k.endswith("_Unexp")]
        stats["unexpected_messages"] = sum(int(last[k]) for k in unexpected if last[k].isdigit())
    rtt_files = list(folder.glob(f"*_{pid}_rtt.csv"))
    if rtt_files:
        times = sorted(float(r["response_time_ms"]) for r in _csv_rows(rtt_files[0])
                       if r.get("response_time_ms", "").replace(".", "", 1).isdigit())
        stats["response_time_ms"] = {"n": len(times), "p50": _percentile(times, 50), "p95": _percentile(times, 95),
                                     "max": times[-1] if times else None}
    return stats


# -- the adapter and the panel, in this process ----------------------------------------------------------------------
class TimedForwarder(BridgeForwarder):
    """The adapter's forwarder, noting when the adapter hands on each call's ``answered`` (its CALL_ESTABLISHED
    read from ctrl_tcp and translated) and counting the bridge's replies."""

    def __init__(self, url: str, token: str) -> None:
        super().__init__(url, token, backoff=Backoff(0.05, 1.0), on_reply=self._reply)
        self.answered: dict[str, float] = {}
        self.acked: dict[str, set[str]] = {}  # event kind → the calls whose event of that kind was acknowledged
        self.refused: list[dict[str, Any]] = []

    def put(self, event: Any) -> None:
        if event.event == "answered":
            self.answered.setdefault(event.call_id, time.perf_counter())
        super().put(event)

    def _reply(self, reply: dict[str, Any]) -> None:
        if reply.get("type") == "ack" and not reply.get("dropped"):
            self.acked.setdefault(str(reply.get("event")), set()).add(str(reply.get("call_id")))
        else:
            self.refused.append(reply)


class PanelWatch:
    """The advisor's panel socket: when each call's first ``screen_pop`` reached it, and the frame."""

    def __init__(self) -> None:
        self.pops: dict[str, tuple[float, dict[str, Any]]] = {}
        self.ws: Any = None

    async def open(self, app_url: str, login: str) -> None:
        import websockets

        from crm_core.core.security import issue_token

        query = urlencode({"token": issue_token(login)})
        self.ws = await websockets.connect(ws_url(app_url, f"/ws/panel?{query}"), max_queue=None, max_size=None)
        hello = json.loads(await asyncio.wait_for(self.ws.recv(), 10))
        if hello.get("type") != "hello":
            raise RuntimeError(f"the panel refused {login}: {hello}")

    async def read(self) -> None:
        async for raw in self.ws:
            received = time.perf_counter()  # when the socket gave it, before any waiting task resumes
            frame = json.loads(raw)
            if frame.get("type") == "screen_pop" and frame.get("call_id") not in self.pops:
                self.pops[frame["call_id"]] = (received, frame)


async def place_calls(plan: Plan, folder: Path, sip_port: int, calls: int, rate: float,
                      limit: int) -> tuple[int, int | None]:
    """One SIPp run to its end; its pid and exit code."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "sipp.out").open("ab") as out:
        proc = await asyncio.create_subprocess_exec(*sipp_argv(plan, sip_port, calls, rate, limit), cwd=folder,
                                                    stdout=out, stderr=subprocess.STDOUT,
                                                    stdin=subprocess.DEVNULL)
    try:
        await asyncio.wait_for(proc.wait(), calls / rate + 180)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return proc.pid, proc.returncode


def of_run(ids: Any, pid: int) -> set[str]:
    """SIPp names its calls ``<n>-<its pid>@<its address>``."""
    pattern = re.compile(rf"\d+-{pid}@")
    return {c for c in ids if pattern.match(c)}


async def wait_quiet(plan: Plan) -> dict[str, Any]:
    """Poll the 1-min load average every 30 s until it is below ``plan.wait_quiet`` (at most wait_max_s)."""
    started, first = time.monotonic(), os.getloadavg()[0]
    if plan.wait_quiet is None:
        return {"threshold": None, "waited_s": 0, "first": round(first, 2), "quiet": None}
    load = first
    while load >= plan.wait_quiet and time.monotonic() - started < plan.wait_max_s:
        say(f"1-min load average {load:.2f} ≥ {plan.wait_quiet}: waiting (up to {plan.wait_max_s:.0f} s)")
        await asyncio.sleep(30)
        load = os.getloadavg()[0]
    return {"threshold": plan.wait_quiet, "waited_s": round(time.monotonic() - started), "first": round(first, 2),
            "quiet": load < plan.wait_quiet}


async def drive(plan: Plan, folder: Path, app_url: str, sip_port: int, ctrl_port: int,
                roots: dict[str, set[int]]) -> dict[str, Any]:
    from crm_core.core.config import get_crm_settings

    forwarder = TimedForwarder(bridge_url(app_url), get_crm_settings().secret("bridge_token"))
    state = baresip.BaresipState(agent=plan.agent, reason=plan.reason)
    panel = PanelWatch()
    await panel.open(app_url, plan.agent)
    reader = asyncio.create_task(panel.read(), name="panel")
    adapter = asyncio.create_task(baresip.run("127.0.0.1", ctrl_port, forwarder, state, Backoff(0.05, 1.0)),
                                  name="baresip-adapter")
    try:
        deadline = time.monotonic() + 30
        while state.connections < 1:
            if time.monotonic() > deadline or adapter.done():
                raise RuntimeError("the adapter did not connect to baresip's ctrl_tcp")
            await asyncio.sleep(0.05)
        if plan.warmup:
            pid, _ = await place_calls(plan, folder / "warmup", sip_port, plan.warmup, 1, 1)
            deadline = time.monotonic() + plan.timeout_s
            while len(of_run(panel.pops, pid)) < plan.warmup and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        quiet = await wait_quiet(plan)
        quiet["date"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        load_start = os.getloadavg()
        meter = CpuMeter(roots)
        meter.start()
        own = own_cpu_ms()
        started = time.perf_counter()
        pid, code = await place_calls(plan, folder, sip_port, plan.calls, plan.rate, plan.max_calls)
        sipp_done = time.perf_counter()
        sipp = sipp_statistics(folder, pid, code)
        answered_by_sipp = sipp.get("answered") or 0
        # the last pops, then the last events (the calls' `ended`) acknowledged: all inside the CPU time
        deadline = time.monotonic() + plan.timeout_s
        while time.monotonic() < deadline and not (
                len(of_run(forwarder.answered, pid)) >= answered_by_sipp
                and of_run(forwarder.answered, pid) <= panel.pops.keys()):
            await asyncio.sleep(0.05)
        deadline = time.monotonic() + plan.timeout_s
        while time.monotonic() < deadline and (
                forwarder.queue
                or len(of_run(forwarder.acked.get("ended", ()), pid)) < len(of_run(forwarder.answered, pid))):
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
        cpu = meter.stop()
        own = own_cpu_ms() - own
    finally:
        adapter.cancel()
        reader.cancel()
        await asyncio.gather(adapter, reader, return_exceptions=True)
        await panel.ws.close()
    return summarise(plan, sipp, forwarder, panel, pid, cpu, own, elapsed, sipp_done - started, quiet, load_start)


def summarise(plan: Plan, sipp: dict[str, Any], forwarder: TimedForwarder, panel: PanelWatch, pid: int,
              cpu: dict[str, float], own_ms: float, elapsed_s: float, sipp_s: float, quiet: dict[str, Any],
              load_start: tuple[float, float, float]) -> dict[str, Any]:
    established = of_run(forwarder.answered, pid)
    latencies, late, pops = [], [], []
    for call_id in sorted(established):
        pop = panel.pops.get(call_id)
        if pop is None:
            continue
        latency = (pop[0] - forwarder.answered[call_id]) * 1000
        (latencies if latency <= plan.timeout_s * 1000 else late).append(latency)
        pops.append(pop[1])
    latencies.sort()
    popped = len(latencies)
    answered = sipp.get("answered") or 0
    stack_cpu = sum(cpu.get(role, 0.0) for role in ("app", "rasa", "actions"))
    return {
        "calls": plan.calls, "rate": plan.rate,
        "sipp": sipp,
        "placed": sipp.get("placed"), "successful": sipp.get("successful"), "failed": sipp.get("failed"),
        "answered": answered,
        "established": len(established),
        "popped": popped,
        "lost": max(0, answered - popped),
        "not_popped": sorted(established - {c for c in established if c in panel.pops})[:10],
        "late": len(late),
        "p50_ms": _percentile(latencies, 50), "p95_ms": _percentile(latencies, 95),
        "p99_ms": _percentile(latencies, 99),
        "max_ms": round(latencies[-1], 1) if latencies else None,
        "mean_ms": round(sum(latencies) / popped, 1) if popped else None,
        "cpu_ms_per_pop": round(cpu["app"] / popped, 2) if popped and "app" in cpu else None,
        "cpu_ms_per_pop_total": round(stack_cpu / popped, 2) if popped else None,
        "baresip_cpu_ms_per_call": round(cpu["baresip"] / answered, 2) if answered and "baresip" in cpu else None,
        "cpu_ms": cpu,
        "bench_cpu_ms": round(own_ms, 1),
        "bridge_acks": {kind: len(of_run(calls, pid)) for kind, calls in sorted(forwarder.acked.items())},
        "bridge_refused": len(forwarder.refused),
        "first_refusal": forwarder.refused[0] if forwarder.refused else None,
        "forwarder_dropped": forwarder.dropped,
        "identified": sum(bool(p.get("identified")) for p in pops),
        "nlu_ok": sum(p.get("nlu_status") == "ok" for p in pops),
        "nlu_unavailable": sum(p.get("nlu_status") == "unavailable" for p in pops),
        "sipp_s": round(sipp_s, 2), "duration_s": round(elapsed_s, 2),
        "load_wait": quiet,
        "load_avg": {"start": [round(x, 2) for x in load_start], "end": [round(x, 2) for x in os.getloadavg()]},
        "max_calls": plan.max_calls, "talk_ms": plan.talk_ms, "timeout_s": plan.timeout_s,
        "agent": plan.agent, "caller": plan.caller, "reason": plan.reason, "warmup": plan.warmup,
    }


# -- the run: stack, softphone, calls ------------------------------------------------------------------------------
def measure(plan: Plan) -> dict[str, Any]:
    """Start everything on free ports, place the calls, stop everything; the figures."""
    from crm_core.seed import seeded_database

    for name in ("sipp", "baresip"):
        binary(name)
    model = pick_model(plan.model)
    folder = Path(tempfile.mkdtemp(prefix="sipp-load-"))
    db_url = f"sqlite:///{folder / 'crm.sqlite3'}"
    stack: Stack | None = None
    phone: subprocess.Popen[bytes] | None = None
    factory = None
    try:
        say(f"seeding a temporary CRM ({plan.customers} synthetic customers) in {folder}")
        factory = seeded_database(db_url, plan.customers)
        ports = [free_port() for _ in range(3)]
        if DEFAULT_PORTS & set(ports):
            raise RuntimeError(f"a free port fell on a default one: {ports}")
        config = StackConfig(model=model, port=ports[0], rasa_url=f"http://127.0.0.1:{ports[1]}",
                             actions_url=f"http://127.0.0.1:{ports[2]}", database_url=db_url, logs=folder / "logs",
                             extra_env={"COPILOT_TODAY": os.environ.get("COPILOT_TODAY", DEMO_TODAY)})
        stack = Stack(config, say=say)
        say(f"starting the stack (app :{ports[0]}, Rasa :{ports[1]}, actions :{ports[2]}, {model.name})")
        stack.start()
        stack.wait_healthy(300)
        phone, sip_port, ctrl_port, _ = start_softphone(folder / "baresip", plan.max_calls)
        roots = {p.name: {p.proc.pid} for p in stack.processes if p.proc is not None} | {"baresip": {phone.pid}}
        say(f"{plan.calls} calls at {plan.rate:g}/s from SIPp to baresip :{sip_port}")
        result = asyncio.run(drive(plan, folder / "sipp", config.app_url, sip_port, ctrl_port, roots))
        result["model"] = model.name
        result["customers"] = plan.customers
        return result
    finally:
        stop_process(phone)
        if stack is not None:
            stack.stop()
        if factory is not None:
            factory.kw["bind"].dispose()
        if plan.keep:
            say(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


# -- the report --------------------------------------------------------------------------------------------------------
def machine() -> str:
    return (f"{os.cpu_count()} cores ({cpu_model() or 'unknown CPU'}), {platform.platform()}, "
            f"Python {platform.python_version()}")


def describe(r: dict[str, Any]) -> str:
    s = r["sipp"]
    rt = s.get("response_time_ms", {})
    return (f"{r['calls']} calls at {r['rate']:g}/s: SIPp placed {r['placed']}, {r['successful']} successful, "
            f"{r['failed']} failed, {r['answered']} answered (INVITE → 200 p50 {rt.get('p50')} ms, "
            f"p95 {rt.get('p95')} ms); {r['established']} established at the adapter, {r['popped']} popped, "
            f"{r['lost']} lost\nCALL_ESTABLISHED → screen_pop p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, "
            f"max {r['max_ms']} ms; CPU per pop: app {r['cpu_ms_per_pop']} ms, with Rasa and actions "
            f"{r['cpu_ms_per_pop_total']} ms; baresip {r['baresip_cpu_ms_per_call']} ms per call; "
            f"load {r['load_avg']['start'][0]} → {r['load_avg']['end'][0]}")


def section(r: dict[str, Any], command: str) -> tuple[str, str, str]:
    key = f"calls={r['calls']} rate={r['rate']:g}"
    begin, end = f"<!-- sipp-load {key} -->", f"<!-- /sipp-load {key} -->"
    s, rt, wait = r["sipp"], r["sipp"].get("response_time_ms", {}), r["load_wait"]
    waited = (f"waited {wait['waited_s']} s for < {wait['threshold']}, {'reached' if wait['quiet'] else 'not reached'}"
              if wait["threshold"] is not None else "no wait")

    def listed(values: dict[str, Any]) -> str:
        return ", ".join(f"{k} {v:g}" for k, v in values.items())

    lines = [
        begin,
        f"### {r['calls']} calls at {r['rate']:g}/s — {wait['date']}",
        "",
        f"`{command}`",
        "",
        f"- Machine: {machine()}; 1-min load average {r['load_avg']['start'][0]} when the calls started "
        f"({waited}), {r['load_avg']['end'][0]} at the end.",
        f"- Stack: {r['model']}, temporary SQLite CRM ({r['customers']} synthetic customers); baresip "
        f"`call_max_calls {r['max_calls']}`, SIPp `-l {r['max_calls']}`, talk {r['talk_ms']} ms; caller "
        f"{r['caller']}, reason {'fixed' if r['reason'] else 'none'}; {r['warmup']} warm-up calls first.",
        "",
        "| SIPp placed | successful | failed | answered (200) | INVITE → 200 p50 / p95 / max (ms) | "
        "established (adapter) | popped | lost | pop p50 | p95 | p99 | max (ms) | CPU app / pop | "
        "CPU app + Rasa + actions / pop | baresip CPU / call (ms) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {r['placed']} | {r['successful']} | {r['failed']} | {r['answered']} | {rt.get('p50')} / {rt.get('p95')} / "
        f"{rt.get('max')} | {r['established']} | {r['popped']} | **{r['lost']}** | {r['p50_ms']} | **{r['p95_ms']}** | "
        f"{r['p99_ms']} | {r['max_ms']} | {r['cpu_ms_per_pop']} | {r['cpu_ms_per_pop_total']} | "
        f"{r['baresip_cpu_ms_per_call']} |",
        "",
        f"SIPp: exit code {s.get('exit_code')}, {s.get('retransmissions')} retransmissions, "
        f"{s.get('unexpected_messages')} unexpected messages, mean call length {s.get('call_length_mean_ms')} ms, "
        f"at most {s.get('max_concurrent')} calls at once (sampled every second), {s.get('call_rate')} calls/s over "
        f"its run ({r['sipp_s']} s). Bridge acks: {listed(r['bridge_acks'])}; {r['bridge_refused']} refused, "
        f"{r['forwarder_dropped']} dropped by the forwarder. Pops: {r['identified']} identified, NLU ok "
        f"{r['nlu_ok']} / unavailable {r['nlu_unavailable']}. CPU of the measured calls (ms): {listed(r['cpu_ms'])}; "
        f"this process (adapter and panel) {r['bench_cpu_ms']:g}.",
        end,
    ]
    return "\n".join(lines), begin, end


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sipp_load", description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=100, help="calls measured (SIPp -m)")
    parser.add_argument("--rate", type=float, default=5.0, help="calls per second (SIPp -r R -rp 1000)")
    parser.add_argument("--max-calls", type=int, default=100,
                        help="calls at once: baresip's call_max_calls and SIPp's -l")
    parser.add_argument("--talk-ms", type=int, default=1000, help="each call's talk time (SIPp -d)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds for a pop to come, else lost")
    parser.add_argument("--warmup", type=int, default=3, help="calls one at a time first, not counted")
    parser.add_argument("--customers", type=int, default=200, help="synthetic customers of the temporary CRM")
    parser.add_argument("--agent", default="n1.demo", help="the advisor the softphone belongs to")
    parser.add_argument("--no-reason", action="store_true", help="no call reason: the NLU is not involved")
    parser.add_argument("--wait-quiet", type=float, help="wait for the 1-min load average to fall below this")
    parser.add_argument("--wait-max", type=float, default=1500.0, help="seconds to wait for it at most")
    parser.add_argument("--model", type=Path, help="the NLU model (default: the one built for the data)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, SIPp's files)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--out", type=Path, help="Markdown report: this run's section (calls, rate) written or "
                                                 "replaced")
    args = parser.parse_args(argv)
    if args.calls < 1 or args.rate <= 0 or args.max_calls < 1 or args.talk_ms < 0:
        parser.error("--calls, --rate and --max-calls must be positive")
    plan = Plan(calls=args.calls, rate=args.rate, max_calls=args.max_calls, talk_ms=args.talk_ms,
                timeout_s=args.timeout, warmup=args.warmup, customers=args.customers, agent=args.agent,
                reason=None if args.no_reason else REASON, wait_quiet=args.wait_quiet, wait_max_s=args.wait_max,
                model=args.model, keep=args.keep)
    result = measure(plan)
    print(json.dumps(result, ensure_ascii=False) if args.json else describe(result), flush=True)
    if args.out:
        command = ".venv/bin/python -m benchmarks.sipp_load " + " ".join(argv if argv is not None else sys.argv[1:])
        block, begin, end = section(result, command)
        write_section(args.out, block, begin, end, HEAD)
    return 0


if __name__ == "__main__":
    sys.exit(main())
