"""``copilot bench screenpop``: the screen pop under load, measured as a call centre sees it.

Calls arrive at a running stack (``copilot run``) through the canonical protocol: version-2 CallEvents on
``/ws/bridge`` with the bridge token from the settings, as a telephony adapter sends them, over one adapter
connection (``--bridges`` for more). Advisors' panels are open on ``/ws/panel``, one per advisor the calls are
presented to (every active N1 advisor of the CRM by default), as in a call centre where the panels stay open
all day. Each call is:

1. ``offered`` with the calling line of a seeded customer (the demo personas' and the synthetic customers'
   lines, read from the CRM database the settings name) and the advisor it is presented to;
2. ``transcript`` (final, the caller's words) with a French call reason drawn from the held-out set of the
   NLU (``nlu_eval/heldout.jsonl``: speech-recognition transcripts, chat, relatives, noise, out of scope),
   unless ``--no-reason``;
3. ``answered`` once both are acknowledged (after ``--ring-ms``, 0 by default: the worst case, the NLU parse
   started on the reason is then inside the measured time);
4. ``ended`` once the advisor's panel got the call's ``screen_pop`` (or ``--timeout`` passed).

The latency runs from sending ``answered`` to the panel's socket receiving that call's ``screen_pop``. Calls
arrive as a Poisson process of ``--rate`` calls per second (exponential gaps, seeded), or, with
``--concurrency C``, in bursts of C calls answered at the same instant. A call whose pop never came within
the timeout is ``lost``. The CPU time of the stack's processes (utime + stime in ``/proc/<pid>/stat``, before
and after the measured calls) is divided by the pops: the app alone and the app with Rasa and the action
server. Their PIDs are found by the ports they listen on (``/proc/net/tcp*`` and ``/proc/*/fd``), with their
children, unless given with ``--pids``.
"""

import asyncio
import contextlib
import itertools
import json
import math
import os
import random
import resource
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

import typer
import websockets

from copilot_cli.simulate import ws_url

bench_app = typer.Typer(help="Load benchmarks against a running stack.", no_args_is_help=True)

LISTEN = "0A"  # the TCP state of a listening socket in /proc/net/tcp
ROLES = ("app", "rasa", "actions")
N1_PROFILE = "n1_customer_contact"


# -- what the calls say and who they go to -----------------------------------------------------------------
def default_reasons_file() -> Path:
    from crm_core.core.config import REPO_ROOT

    return REPO_ROOT / "nlu_eval" / "heldout.jsonl"


def load_reasons(path: Path) -> list[str]:
    """Call reasons: JSON lines with a ``text`` (the NLU's held-out sets) or plain lines of text."""
    reasons = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            continue
        text = json.loads(line)["text"] if line.startswith("{") else line
        if text.strip():
            reasons.append(text.strip())
    if not reasons:
        raise ValueError(f"no call reason in {path}")
    return reasons


def crm_directory(database_url: str) -> tuple[list[str], list[str]]:
    """The CRM's customer lines (E.164, demo personas and synthetic customers) and its active N1 advisors."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            numbers = [n for (n,) in conn.execute(text(
                "SELECT l.number FROM lines l JOIN customers c ON c.id = l.customer_id ORDER BY l.id"))]
            advisors = [a for (a,) in conn.execute(text(
                "SELECT login FROM advisors WHERE profile_code = :p AND active ORDER BY id"), {"p": N1_PROFILE})]
    finally:
        engine.dispose()
    return numbers, advisors


# -- the stack's processes and their CPU time ----------------------------------------------------------------
def listening_inodes(port: int, proc: Path = Path("/proc")) -> set[str]:
    """Inodes of the sockets listening on ``port`` (IPv4 and IPv6)."""
    inodes = set()
    for table in ("net/tcp", "net/tcp6"):
        try:
            rows = (proc / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if len(cols) > 9 and cols[3] == LISTEN and int(cols[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(cols[9])
    return inodes


def pids_listening(port: int, proc: Path = Path("/proc")) -> set[int]:
    """Processes holding a socket that listens on ``port`` (the ones we may read the descriptors of)."""
    wanted = {f"socket:[{inode}]" for inode in listening_inodes(port, proc)}
    found: set[int] = set()
    if not wanted:
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            for fd in (entry / "fd").iterdir():
                if os.readlink(fd) in wanted:
                    found.add(int(entry.name))
                    break
        except OSError:  # gone, or not ours to read
            continue
    return found


def _stat_fields(pid: int, proc: Path) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (field 3, the state, first)."""
    try:
        raw = (proc / str(pid) / "stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2:].split()


def with_children(pids: Iterable[int], proc: Path = Path("/proc")) -> set[int]:
    """The processes and all their descendants (workers a server forks)."""
    parents: dict[int, list[int]] = {}
    for entry in proc.iterdir():
        if entry.name.isdigit() and (fields := _stat_fields(int(entry.name), proc)):
            parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = set(), list(pids)
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo.extend(parents.get(pid, []))
    return found


def cpu_ms(pid: int, proc: Path = Path("/proc")) -> float | None:
    """User + system CPU time the process has used so far (all its threads), in milliseconds."""
    fields = _stat_fields(pid, proc)
    if fields is None:
        return None
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def parse_pids(spec: str) -> dict[str, set[int]]:
    """``--pids``: ``app=123,rasa=456,actions=789``; a bare PID is the app's."""
    roles: dict[str, set[int]] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        role, _, pid = item.rpartition("=")
        role = role or "app"
        if role not in ROLES or not pid.isdigit():
            raise ValueError(f"--pids: {item!r} is not PID or ROLE=PID with ROLE in {', '.join(ROLES)}")
        roles.setdefault(role, set()).add(int(pid))
    return roles


def discover_pids(ports: dict[str, int]) -> dict[str, set[int]]:
    """The PIDs listening on each role's port."""
    return {role: pids for role, port in ports.items() if (pids := pids_listening(port))}


class CpuMeter:
    """CPU time of each role's processes (with their children) between start() and stop()."""

    def __init__(self, roots: dict[str, set[int]]) -> None:
        self.roots = roots
        self.before: dict[str, dict[int, float]] = {}

    def _read(self) -> dict[str, dict[int, float]]:
        return {role: {pid: ms for pid in with_children(pids) if (ms := cpu_ms(pid)) is not None}
                for role, pids in self.roots.items()}

    def start(self) -> None:
        self.before = self._read()

    def stop(self) -> dict[str, float]:
        """Milliseconds of CPU per role; a process born meanwhile counts whole, one that died is lost."""
        after = self._read()
        return {role: round(sum(ms - self.before.get(role, {}).get(pid, 0.0) for pid, ms in pids.items()), 1)
                for role, pids in after.items()}


# -- the load ------------------------------------------------------------------------------------------------
class BridgeRefused(RuntimeError):
    pass


class Adapter:
    """One telephony adapter's connection to ``/ws/bridge``: version-2 events out, their acks matched back."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.pending: dict[str, tuple[str, asyncio.Future[dict[str, Any]]]] = {}  # event_id → (call_id, ack)
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for raw in self.ws:
            reply = json.loads(raw)
            key = reply.get("event_id")
            if reply.get("type") != "ack" or key not in self.pending:
                # an error frame names no event id: it answers the oldest event waiting (of its call if named)
                key = next((k for k, (call, _) in self.pending.items()
                            if reply.get("call_id") in (None, call)), None)
            if key is not None:
                _, ack = self.pending.pop(key)
                if not ack.done():
                    ack.set_result(reply)

    async def send(self, call_id: str, sequence: int, event: str, **fields: Any) -> asyncio.Future[dict[str, Any]]:
        """Send one event; the future gets its reply frame."""
        event_id = f"{call_id}-{sequence}"
        ack: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[event_id] = (call_id, ack)
        await self.ws.send(json.dumps({"version": 2, "call_id": call_id, "event": event, "event_id": event_id,
                                       "sequence": sequence, **fields}, ensure_ascii=False))
        return ack

    async def close(self) -> None:
        await self.ws.close()
        self.reader.cancel()


class Panel:
    """One advisor's side panel on ``/ws/panel``: the time each call's first screen pop reached it."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.waiting: dict[str, asyncio.Future[tuple[float, dict[str, Any]]]] = {}
        self.reader = asyncio.create_task(self._read())

    def expect(self, call_id: str) -> asyncio.Future[tuple[float, dict[str, Any]]]:
        self.waiting[call_id] = asyncio.get_running_loop().create_future()
        return self.waiting[call_id]

    async def _read(self) -> None:
        async for raw in self.ws:
            received = time.perf_counter()  # when the socket gave it, before any waiting task resumes
            frame = json.loads(raw)
            if frame.get("type") == "screen_pop":
                pop = self.waiting.pop(frame.get("call_id"), None)
                if pop is not None and not pop.done():
                    pop.set_result((received, frame))

    async def close(self) -> None:
        await self.ws.close()
        self.reader.cancel()


@dataclass
class LoadPlan:
    app_url: str = "http://127.0.0.1:8000"
    calls: int = 100
    rate: float = 10.0  # calls per second (Poisson arrivals)
    concurrency: int = 0  # > 0: bursts of this many calls answered at once, instead of the rate
    seed: int = 42
    timeout_s: float = 10.0
    with_reason: bool = True
    ring_ms: float = 0.0  # between the reason's ack and ``answered``
    warmup: int = 5  # sequential calls first, not counted (nor their CPU)
    bridges: int = 1  # adapter connections the calls are spread over
    agents: list[str] = field(default_factory=list)  # default: the CRM's active N1 advisors
    numbers: list[str] = field(default_factory=list)  # default: the CRM's customer lines
    reasons: list[str] = field(default_factory=list)  # default: nlu_eval/heldout.jsonl
    database_url: str | None = None  # default: the settings'
    pids: dict[str, set[int]] | None = None  # default: found by the stack's ports
    bridge_token: str | None = None  # default: the settings'


@dataclass
class CallOutcome:
    answered: bool = False
    latency_ms: float | None = None
    pop: dict[str, Any] | None = None
    error: str | None = None
    start_lag_ms: float = 0.0


def _percentile(ordered: list[float], p: float) -> float | None:
    """Nearest rank, as the other benchmarks (benchmarks/stats.py)."""
    return round(ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)], 1) if ordered else None


class LoadRun:
    def __init__(self, plan: LoadPlan) -> None:
        self.plan = plan
        self.run_id = uuid.uuid4().hex[:8]
        self.rng = random.Random(plan.seed)
        self.adapters: list[Adapter] = []
        self.panels: dict[str, Panel] = {}
        self.counter = itertools.count()

    async def open(self, bridge_token: str) -> None:
        from crm_core.core.security import issue_token

        headers = {"Authorization": f"Bearer {bridge_token}"}
        for _ in range(self.plan.bridges):
            ws = await websockets.connect(ws_url(self.plan.app_url, "/ws/bridge"), additional_headers=headers,
                                          max_queue=None)
            self.adapters.append(Adapter(ws))
        for login in self.plan.agents:
            query = urlencode({"token": issue_token(login)})
            ws = await websockets.connect(ws_url(self.plan.app_url, f"/ws/panel?{query}"), max_queue=None,
                                          max_size=None)
            hello = json.loads(await asyncio.wait_for(ws.recv(), self.plan.timeout_s))
            if hello.get("type") != "hello":
                await ws.close()
                raise RuntimeError(f"the panel refused {login}: {hello}")
            self.panels[login] = Panel(ws)

    async def close(self) -> None:
        for conn in [*self.adapters, *self.panels.values()]:
            await conn.close()

    def draw_call(self) -> tuple[str, str | None, str]:
        """A caller's line, a reason (or none) and the advisor, drawn from the seeded generator."""
        i = next(self.counter)
        reason = self.rng.choice(self.plan.reasons) if self.plan.with_reason else None
        return self.rng.choice(self.plan.numbers), reason, self.plan.agents[i % len(self.plan.agents)]

    async def ring(self, call_id: str, adapter: Adapter, number: str, reason: str | None, agent: str) -> int:
        """``offered`` and the caller's reason, both acknowledged; the next sequence number."""
        acks = [await adapter.send(call_id, 1, "offered", caller_number=number, agent=agent)]
        if reason is not None:
            acks.append(await adapter.send(call_id, 2, "transcript",
                                           transcript={"text": reason, "final": True, "speaker": "caller"}))
        for reply in await asyncio.wait_for(asyncio.gather(*acks), self.plan.timeout_s):
            if reply.get("type") != "ack" or reply.get("dropped"):
                raise BridgeRefused(f"bridge refused {call_id}: {reply}")
        return len(acks) + 1

    async def one_call(self, index: int, drawn: tuple[str, str | None, str], planned: float | None = None,
                       rung: asyncio.Event | None = None, answer_at: asyncio.Event | None = None) -> CallOutcome:
        """One call's events; with ``answer_at``, ``answered`` waits for it (``rung`` is set once the call rang,
        or failed to)."""
        number, reason, agent = drawn
        outcome = CallOutcome(start_lag_ms=(time.perf_counter() - planned) * 1000 if planned is not None else 0.0)
        call_id = f"load-{self.run_id}-{index}"
        adapter = self.adapters[index % len(self.adapters)]
        sequence = 1
        try:
            try:
                sequence = await self.ring(call_id, adapter, number, reason, agent)
            finally:
                if rung is not None:
                    rung.set()
            if self.plan.ring_ms:
                await asyncio.sleep(self.plan.ring_ms / 1000)
            if answer_at is not None:
                await answer_at.wait()
            pop = self.panels[agent].expect(call_id)
            t0 = time.perf_counter()
            ack = await adapter.send(call_id, sequence, "answered")
            outcome.answered = True
            sequence += 1
            try:
                received, outcome.pop = await asyncio.wait_for(pop, self.plan.timeout_s)
                outcome.latency_ms = (received - t0) * 1000
            except TimeoutError:
                self.panels[agent].waiting.pop(call_id, None)
            reply = await asyncio.wait_for(ack, self.plan.timeout_s)
            if reply.get("type") != "ack":
                raise BridgeRefused(f"bridge refused {call_id} answered: {reply}")
        except Exception as exc:  # noqa: BLE001 - counted and reported
            outcome.error = f"{type(exc).__name__}: {exc}"[:300]
        finally:
            try:  # every call ends, popped or not, so that the app keeps no session of it
                await asyncio.wait_for(await adapter.send(call_id, sequence, "ended"), self.plan.timeout_s)
            except Exception as exc:  # noqa: BLE001
                outcome.error = outcome.error or f"ended: {type(exc).__name__}: {exc}"[:300]
        return outcome

    async def warm_up(self) -> None:
        for i in range(self.plan.warmup):
            await self.one_call(-1 - i, self.draw_call())

    async def poisson(self) -> list[CallOutcome]:
        """Calls started at exponential gaps of mean 1/rate, each on its own."""
        loop_start = time.perf_counter()
        at, tasks = loop_start, []
        for i in range(self.plan.calls):
            at += self.rng.expovariate(self.plan.rate)
            drawn = self.draw_call()
            delay = at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self.one_call(i, drawn, planned=at)))
        return list(await asyncio.gather(*tasks))

    async def bursts(self) -> list[CallOutcome]:
        """Rounds of ``concurrency`` calls: all ring, then all are answered at the same instant."""
        outcomes: list[CallOutcome] = []
        size = self.plan.concurrency
        for first in range(0, self.plan.calls, size):
            answer_at = asyncio.Event()
            rung = [asyncio.Event() for _ in range(first, min(first + size, self.plan.calls))]
            batch = [asyncio.create_task(self.one_call(i, self.draw_call(), rung=event, answer_at=answer_at))
                     for i, event in enumerate(rung, start=first)]
            # every call of the round has rung (its events acknowledged) before any is answered
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*(event.wait() for event in rung)), self.plan.timeout_s)
            answer_at.set()
            outcomes.extend(await asyncio.gather(*batch))
        return outcomes


def summarise(plan: LoadPlan, outcomes: list[CallOutcome], elapsed_s: float, cpu: dict[str, float],
              pids: dict[str, set[int]], generator_cpu_ms: float) -> dict[str, Any]:
    latencies = sorted(o.latency_ms for o in outcomes if o.latency_ms is not None)
    pops = [o.pop for o in outcomes if o.pop is not None]
    errors = [o.error for o in outcomes if o.error]
    lags = sorted(o.start_lag_ms for o in outcomes)
    popped = len(latencies)
    total_cpu = sum(cpu.values()) if cpu else None
    return {
        "sent": sum(o.answered for o in outcomes),
        "popped": popped,
        "lost": sum(o.answered and o.latency_ms is None for o in outcomes),
        "p50_ms": _percentile(latencies, 50),
        "p95_ms": _percentile(latencies, 95),
        "p99_ms": _percentile(latencies, 99),
        "max_ms": round(latencies[-1], 1) if latencies else None,
        "mean_ms": round(sum(latencies) / popped, 1) if popped else None,
        "cpu_ms_per_pop": round(cpu["app"] / popped, 2) if popped and "app" in cpu else None,
        "cpu_ms_per_pop_total": round(total_cpu / popped, 2) if popped and total_cpu is not None else None,
        "cpu_ms": cpu,
        "cpu_share_of_cores": round(total_cpu / (elapsed_s * 1000 * (os.cpu_count() or 1)), 2)
        if total_cpu is not None and elapsed_s else None,
        "pids": {role: sorted(p) for role, p in pids.items()},
        "calls": len(outcomes),
        "mode": f"burst of {plan.concurrency}" if plan.concurrency else "poisson",
        "rate": None if plan.concurrency else plan.rate,
        "concurrency": plan.concurrency or None,
        "achieved_rate": round(len(outcomes) / elapsed_s, 2) if elapsed_s else None,
        "duration_s": round(elapsed_s, 2),
        "with_reason": plan.with_reason,
        "ring_ms": plan.ring_ms,
        "timeout_s": plan.timeout_s,
        "seed": plan.seed,
        "agents": plan.agents,
        "bridges": plan.bridges,
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
        "nlu_ok": sum(p["nlu_status"] == "ok" for p in pops),
        "nlu_unavailable": sum(p["nlu_status"] == "unavailable" for p in pops),
        "identified": sum(bool(p.get("identified")) for p in pops),
        "start_lag_ms": {"p95": _percentile(lags, 95), "max": round(lags[-1], 1) if lags else None},
        "generator_cpu_ms": round(generator_cpu_ms, 1),
    }


def _process_cpu_ms() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return (usage.ru_utime + usage.ru_stime) * 1000


async def run_load(plan: LoadPlan) -> dict[str, Any]:
    """Warm-up calls, then the measured calls with the stack's CPU time around them; one JSON-able result."""
    from assistant.copilot.settings import get_copilot_settings
    from crm_core.core.config import get_crm_settings

    crm = get_crm_settings()
    if not plan.numbers or (not plan.agents):
        numbers, advisors = crm_directory(plan.database_url or crm.database_url)
        plan.numbers = plan.numbers or numbers
        plan.agents = plan.agents or advisors
    if not plan.numbers or not plan.agents:
        raise RuntimeError("the CRM has no customer line or no active N1 advisor: run `copilot seed` first")
    plan.reasons = plan.reasons or load_reasons(default_reasons_file())
    if plan.pids is None:
        settings = get_copilot_settings()
        ports = {"app": urlsplit(plan.app_url).port or 80, "rasa": urlsplit(settings.rasa_url).port or 80,
                 "actions": urlsplit(settings.actions_url).port or 80}
        plan.pids = discover_pids(ports)
    run = LoadRun(plan)
    load_before = os.getloadavg()
    await run.open(plan.bridge_token or crm.secret("bridge_token"))
    try:
        await run.warm_up()
        meter = CpuMeter(plan.pids)
        meter.start()
        own = _process_cpu_ms()
        started = time.perf_counter()
        outcomes = await (run.bursts() if plan.concurrency else run.poisson())
        elapsed = time.perf_counter() - started
        cpu = meter.stop()
        own = _process_cpu_ms() - own
    finally:
        await run.close()
    result = summarise(plan, outcomes, elapsed, cpu, plan.pids, own)
    result["load_avg_1m"] = {"before": round(load_before[0], 2), "after": round(os.getloadavg()[0], 2)}
    result["app_url"] = plan.app_url
    return result


def describe(result: dict[str, Any]) -> str:
    """The result in two lines, for a person."""
    what = (f"burst of {result['concurrency']}" if result["concurrency"] else f"{result['rate']} calls/s")
    return (f"{what}{'' if result['with_reason'] else ', no reason'}: {result['sent']} answered, "
            f"{result['popped']} popped, {result['lost']} lost, {result['errors']} errors in {result['duration_s']} s; "
            f"pop p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, max {result['max_ms']} ms\n"
            f"CPU per pop: app {result['cpu_ms_per_pop']} ms, with Rasa and actions {result['cpu_ms_per_pop_total']} "
            f"ms ({result['cpu_ms']}); NLU ok {result['nlu_ok']}, unavailable {result['nlu_unavailable']}")


@bench_app.command("screenpop")
def bench_screenpop(
    calls: Annotated[int, typer.Option(min=1, max=100_000, help="Calls measured.")] = 100,
    rate: Annotated[float, typer.Option(min=0.01, max=1000, help="Calls per second (Poisson arrivals).")] = 10.0,
    concurrency: Annotated[int, typer.Option(
        min=0, max=1000, help="Instead of the rate: bursts of this many calls answered at the same instant.")] = 0,
    app_url: Annotated[str, typer.Option("--app", help="The running app.")] = "http://127.0.0.1:8000",
    seed: Annotated[int, typer.Option(help="Seed of the arrivals, callers and reasons.")] = 42,
    timeout: Annotated[float, typer.Option(min=0.1, help="Seconds for a pop to come, else the call is lost.")] = 10.0,
    no_reason: Annotated[bool, typer.Option("--no-reason", help="No call reason: the NLU is not involved.")] = False,
    ring_ms: Annotated[float, typer.Option(min=0, help="Milliseconds between the reason and `answered`.")] = 0.0,
    warmup: Annotated[int, typer.Option(min=0, help="Sequential calls first, not counted.")] = 5,
    bridges: Annotated[int, typer.Option(min=1, max=100, help="Adapter connections to /ws/bridge.")] = 1,
    agents: Annotated[str | None, typer.Option(
        help="Advisors the calls are presented to, comma-separated (default: the CRM's active N1 advisors).")] = None,
    reasons: Annotated[Path | None, typer.Option(
        help="Call reasons: JSON lines with a `text`, or plain lines (default: nlu_eval/heldout.jsonl).")] = None,
    pids: Annotated[str | None, typer.Option(
        help="The stack's PIDs for the CPU time: app=PID,rasa=PID,actions=PID (a bare PID is the app's); "
             "default: the processes listening on the app's, Rasa's and the action server's ports.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Calls at --rate per second (or bursts of --concurrency) to the running stack; screen pop latency, lost
    calls and CPU per pop."""
    try:
        plan = LoadPlan(app_url=app_url, calls=calls, rate=rate, concurrency=concurrency, seed=seed,
                        timeout_s=timeout, with_reason=not no_reason, ring_ms=ring_ms, warmup=warmup,
                        bridges=bridges, agents=[a.strip() for a in (agents or "").split(",") if a.strip()],
                        reasons=load_reasons(reasons) if reasons else [],
                        pids=parse_pids(pids) if pids else None)
    except (OSError, ValueError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    try:
        result = asyncio.run(run_load(plan))
    except (OSError, TimeoutError) as exc:
        typer.echo(f"no copilot answering at {app_url} ({type(exc).__name__}): start it with `make run`", err=True)
        raise typer.Exit(1) from exc
    except RuntimeError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(json.dumps(result, ensure_ascii=False) if as_json else describe(result))
