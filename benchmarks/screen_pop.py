"""Call answered → screen pop latency, measured on the real stack (Rasa server, action server, app).

Seeds a temporary SQLite CRM, starts the three processes on free loopback ports, then measures in one run:

1. sequential calls (offered with a reason → answered → pop on a panel websocket → ended);
2. the same with ``--concurrency`` calls in flight at once;
3. baselines: the same concurrent calls without a reason (so no NLU parse), the bare bridge websocket
   round trip (one ``held`` CallEvent → its ack) and Rasa's ``/model/parse`` over HTTP, one at a time and
   ``--concurrency`` at once;
4. cold starts, measured first: ``--cold-starts`` times (the first is the stack's own start, then the three
   processes are stopped and started again), the time from start to ``/health`` 200, then 10 sequential
   calls right away, each call's latency kept by its rank (ready means ready: the 1st as fast as the 10th).

The bridge websocket and Rasa's HTTP API are called with their tokens from the settings, as the stack's
processes get them. Run from the repository root::

    .venv/bin/python benchmarks/screen_pop.py --calls 100 --concurrency 50 --cold-starts 5 --json out.json
"""

import argparse
import asyncio
import json
import math
import os
import platform
import random
import re
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # run as a plain script from anywhere

import httpx  # noqa: E402
import websockets  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import text  # noqa: E402

from assistant.model_store import ensure_model  # noqa: E402
from benchmarks.stats import summarise  # noqa: E402
from copilot_cli.simulate import simulate_call, ws_url  # noqa: E402
from copilot_cli.stack import PortBusy, Stack, StackConfig, free_port  # noqa: E402
from crm_core.core.config import get_crm_settings  # noqa: E402
from crm_core.seed import seeded_database  # noqa: E402

# Call reasons as a speech recogniser would hand them over (one per usual journey, plus one out of scope).
REASONS = (
    "ma box ne marche plus depuis hier",
    "je déménage à Lille le mois prochain",
    "je ne comprends pas ma facture",
    "bonjour je voudrais résilier mon forfait mobile je pars chez un concurrent",
    "la fibre coupe tout le temps le soir et la télé se fige",
    "on m'a prélevé deux fois ce mois-ci il y a une erreur",
    "je voudrais changer d'offre pour avoir plus de data",
    "je n'ai plus de réseau sur mon portable depuis ce matin",
    "j'ai perdu mon téléphone il faut bloquer la ligne",
    "je cherche les horaires de la piscine municipale",
)
UNKNOWN_SHARE = 0.1  # share of callers whose number is in no CRM line
CALL_TIMEOUT_S = 10.0  # per websocket wait inside one simulated call
PHASE_TIMEOUT_S = 300.0  # hard bound of every measured phase
START_TIMEOUT_S = 300.0  # one start of the three processes until /health is 200
COLD_CALLS = 10  # sequential calls right after each start, kept by rank (1st … 10th)
COLD_START_BOUND_S = START_TIMEOUT_S + 60.0  # one cold start and its calls (the phase's bound is K of them)
WARMUP_DONE = re.compile(r"warm-up done in (\d+) ms")  # the app's log line (assistant/copilot/warmup.py)

Sample = tuple[str, bool]  # (calling number, whether the CRM knows it)


def seed_database(path: Path, customers: int) -> tuple[str, list[str]]:
    """A CRM with the catalogue, the demo personas and ``customers`` synthetic ones; its URL and line numbers."""
    url = f"sqlite:///{path}"
    factory = seeded_database(url, customers)
    with factory() as session:
        numbers = [n for (n,) in session.execute(text("SELECT number FROM lines ORDER BY id"))]
    factory.kw["bind"].dispose()
    return url, numbers


def draw_callers(numbers: list[str], count: int, rng: random.Random) -> list[Sample]:
    """Callers drawn from the CRM's lines, with about UNKNOWN_SHARE unknown numbers."""
    known = set(numbers)
    callers: list[Sample] = []
    for _ in range(count):
        if rng.random() < UNKNOWN_SHARE:
            number = f"+3370{rng.randrange(10**7):07d}"
            callers.append((number, number in known))
        else:
            callers.append((rng.choice(numbers), True))
    return callers


class CallResults:
    """Latencies and outcomes of simulated calls."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.known = self.identified = self.unknown_popped_empty = self.nlu_ok = self.errors = 0
        self.first_error: str | None = None

    def add(self, sample: Sample, pop: dict[str, Any] | BaseException) -> None:
        if isinstance(pop, BaseException):
            self.errors += 1
            self.first_error = self.first_error or repr(pop)
            return
        self.latencies.append(pop["latency_ms"])
        self.known += sample[1]
        self.identified += sample[1] and pop["customer"] is not None
        self.unknown_popped_empty += not sample[1] and pop["customer"] is None
        self.nlu_ok += pop["nlu_status"] == "ok"

    def report(self) -> dict[str, Any]:
        return {"latency_ms": summarise(self.latencies), "calls": len(self.latencies), "errors": self.errors,
                "known_callers": self.known, "identified": self.identified,
                "unknown_popped_without_customer": self.unknown_popped_empty, "nlu_ok": self.nlu_ok,
                "first_error": self.first_error}


async def one_call(url: str, sample: Sample, reason: str | None) -> dict[str, Any]:
    return await simulate_call(url, sample[0], reason, timeout_s=CALL_TIMEOUT_S)


async def calls_in_turn(url: str, callers: list[Sample], first_reason: int = 0) -> list[dict[str, Any] | BaseException]:
    """One call after the other, the reasons in turn from ``REASONS[first_reason]``; a failed call is its error."""
    pops: list[dict[str, Any] | BaseException] = []
    for i, sample in enumerate(callers):
        try:
            pops.append(await one_call(url, sample, REASONS[(first_reason + i) % len(REASONS)]))
        except Exception as exc:  # noqa: BLE001 - counted and reported
            pops.append(exc)
    return pops


async def sequential_calls(url: str, callers: list[Sample], warmup: int) -> CallResults:
    results = CallResults()
    pops = await calls_in_turn(url, callers)
    for sample, pop in list(zip(callers, pops, strict=True))[warmup:]:
        results.add(sample, pop)
    return results


def start_until_healthy(stack: Stack) -> float:
    """Start the three processes and wait for ``/health`` 200 (after the app's warm-up): seconds it took."""
    for _ in range(20):  # a server just stopped may hold its port a moment longer
        try:
            stack.check_ports()
            break
        except PortBusy:
            time.sleep(0.5)
    started = time.monotonic()
    stack.start()
    stack.wait_healthy(START_TIMEOUT_S)
    return time.monotonic() - started


def last_warmup_ms(app_log: Path) -> float | None:
    """The app's warm-up time (from its start, so with the wait for Rasa), from its log's last « warm-up done »."""
    try:
        found = WARMUP_DONE.findall(app_log.read_text(errors="replace"))
    except OSError:
        return None
    return float(found[-1]) if found else None


async def cold_starts(stack: Stack, numbers: list[str], starts: int, first_healthy_s: float,
                      rng: random.Random) -> dict[str, Any]:
    """``starts`` times: the stack freshly started (the first time by ``main``, then its three processes
    stopped and started again), then COLD_CALLS sequential calls of known callers with a reason at once,
    each latency kept by its rank. The reasons turn with the start, so no rank always has the same one."""
    url, app_log = stack.config.app_url, stack.config.logs / "app.log"
    by_rank: list[list[float]] = [[] for _ in range(COLD_CALLS)]
    results, per_start = CallResults(), []
    healthy_s = first_healthy_s
    for k in range(starts):
        if k:
            await asyncio.to_thread(stack.stop)  # app, actions, then Rasa: the whole path is cold again
            healthy_s = await asyncio.to_thread(start_until_healthy, stack)
        callers = [(number, True) for number in rng.sample(numbers, COLD_CALLS)]
        pops = await calls_in_turn(url, callers, first_reason=k)
        for rank, (sample, pop) in enumerate(zip(callers, pops, strict=True)):
            results.add(sample, pop)
            if not isinstance(pop, BaseException):
                by_rank[rank].append(pop["latency_ms"])
        per_start.append({"start_to_healthy_s": round(healthy_s, 2), "app_warmup_ms": last_warmup_ms(app_log),
                          "latency_ms_by_rank": [None if isinstance(p, BaseException) else p["latency_ms"]
                                                 for p in pops]})
    warmups = [s["app_warmup_ms"] for s in per_start if s["app_warmup_ms"] is not None]
    return results.report() | {
        "starts": starts,
        "start_to_healthy_s": summarise([s["start_to_healthy_s"] for s in per_start]),
        "app_warmup_ms": summarise(warmups),
        "first_call_ms": summarise(by_rank[0]),
        "calls_2_to_10_ms": summarise([ms for rank in by_rank[1:] for ms in rank]),
        "tenth_call_ms": summarise(by_rank[-1]),
        "median_ms_by_rank": [summarise(rank).get("p50") for rank in by_rank],
        "per_start": per_start,
        "note": "p95 is nearest-rank: with fewer than 20 samples it is the max",
    }


async def concurrent_calls(url: str, callers: list[Sample], concurrency: int, warmup_rounds: int,
                           with_reason: bool = True) -> CallResults:
    """Rounds of ``concurrency`` calls started together (asyncio.gather); the first rounds are not counted.

    Without a reason the pop waits for no NLU parse: what is left is the app's own cost (bridge, CRM, panel).
    """
    results = CallResults()
    for r in range(len(callers) // concurrency):
        batch = callers[r * concurrency:(r + 1) * concurrency]
        reasons = [REASONS[(r + i) % len(REASONS)] if with_reason else None for i in range(len(batch))]
        pops = await asyncio.gather(*(one_call(url, s, reason) for s, reason in zip(batch, reasons, strict=True)),
                                    return_exceptions=True)
        if r >= warmup_rounds:
            for sample, pop in zip(batch, pops, strict=True):
                results.add(sample, pop)
    return results


async def bridge_round_trips(url: str, token: str, count: int, warmup: int) -> list[float]:
    """One ``held`` CallEvent for one call id → its ack, ``count`` times on one bridge websocket (authenticated
    with the bridge token, as an adapter)."""
    call_id = f"bench-bridge-{os.getpid()}"
    samples: list[float] = []
    async with websockets.connect(ws_url(url, "/ws/bridge"),
                                  additional_headers={"Authorization": f"Bearer {token}"}) as bridge:
        for i in range(warmup + count):
            t0 = time.perf_counter()
            await bridge.send(json.dumps({"call_id": call_id, "event": "held"}))
            reply = json.loads(await asyncio.wait_for(bridge.recv(), CALL_TIMEOUT_S))
            elapsed = (time.perf_counter() - t0) * 1000
            if reply.get("type") != "ack":
                raise RuntimeError(f"bridge refused the event: {reply}")
            if i >= warmup:
                samples.append(elapsed)
        await bridge.send(json.dumps({"call_id": call_id, "event": "ended"}))  # ends the call's session
        await asyncio.wait_for(bridge.recv(), CALL_TIMEOUT_S)
    return samples


async def rasa_parses(rasa_url: str, token: str, count: int, in_flight: int, warmup: int) -> list[float]:
    """POST /model/parse?token=…, ``count`` times, ``in_flight`` requests at once (one connection each)."""
    samples: list[float] = []
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    async with httpx.AsyncClient(timeout=CALL_TIMEOUT_S, limits=limits) as client:

        async def parse(i: int) -> float:
            t0 = time.perf_counter()
            r = await client.post(f"{rasa_url}/model/parse", params={"token": token},
                                  json={"text": REASONS[i % len(REASONS)]})
            r.raise_for_status()
            return (time.perf_counter() - t0) * 1000

        rounds = math.ceil(count / in_flight)
        for r in range(warmup + rounds):
            batch = await asyncio.gather(*(parse(r * in_flight + i) for i in range(in_flight)))
            if r >= warmup:
                samples.extend(batch)
    return samples


async def measure(stack: Stack, healthy_s: float, numbers: list[str], args: argparse.Namespace,
                  say: Callable[[str], None]) -> dict[str, Any]:
    """Every phase, on the stack ``main`` has just started (healthy after ``healthy_s``)."""
    config = stack.config
    url, rng = config.app_url, random.Random(42)
    secrets = config.settings or get_crm_settings()  # the ones the stack gave its processes
    bridge_token, rasa_token = secrets.secret("bridge_token"), secrets.secret("rasa_token")

    async def phase(name: str, work: Awaitable[Any], timeout_s: float = PHASE_TIMEOUT_S) -> Any:
        say(f"[bold]{name}[/]…")
        return await asyncio.wait_for(work, timeout_s)

    cold = None
    if args.cold_starts:  # first: the stack's own start is the first cold start
        cold = await phase(f"{args.cold_starts} cold starts × {COLD_CALLS} calls",
                           cold_starts(stack, numbers, args.cold_starts, healthy_s, rng),
                           args.cold_starts * COLD_START_BOUND_S)
    warmup = args.warmup
    seq_callers = draw_callers(numbers, warmup + args.calls, rng)
    seq = await phase("sequential calls", sequential_calls(url, seq_callers, warmup))
    rounds = max(1, math.ceil(100 / args.concurrency))  # at least 100 counted samples
    conc_callers = draw_callers(numbers, (1 + rounds) * args.concurrency, rng)
    conc = await phase(f"{args.concurrency} calls in flight", concurrent_calls(url, conc_callers, args.concurrency, 1))
    no_nlu_callers = draw_callers(numbers, (1 + rounds) * args.concurrency, rng)
    no_nlu = await phase(f"{args.concurrency} calls in flight, no reason",
                         concurrent_calls(url, no_nlu_callers, args.concurrency, 1, with_reason=False))
    bridge = await phase("bridge round trips", bridge_round_trips(url, bridge_token, args.baseline_samples, warmup))
    parse_1 = await phase("Rasa parse, one at a time",
                          rasa_parses(config.rasa_url, rasa_token, args.baseline_samples, 1, warmup))
    parse_n = await phase(f"Rasa parse, {args.concurrency} at once",
                          rasa_parses(config.rasa_url, rasa_token, max(100, args.concurrency), args.concurrency, 1))
    return {
        "sequential": seq.report(),
        "concurrent": conc.report() | {"in_flight": args.concurrency},
        "baselines": {
            "pop_concurrent_no_reason": no_nlu.report() | {"in_flight": args.concurrency},
            "bridge_round_trip_ms": summarise(bridge),
            "rasa_parse_ms": summarise(parse_1),
            "rasa_parse_concurrent_ms": summarise(parse_n) | {"in_flight": args.concurrency},
        },
    } | ({"cold_starts": cold} if cold else {})


def ratios(results: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    """p50 and p95 of one measure divided by those of another."""
    seq, conc, base = results["sequential"]["latency_ms"], results["concurrent"]["latency_ms"], results["baselines"]
    pairs = {
        "sequential pop / parse": (seq, base["rasa_parse_ms"]),
        "sequential pop / bridge round trip": (seq, base["bridge_round_trip_ms"]),
        "concurrent pop / sequential pop": (conc, seq),
        "concurrent pop / concurrent parse": (conc, base["rasa_parse_concurrent_ms"]),
        "concurrent pop / concurrent pop without NLU": (conc, base["pop_concurrent_no_reason"]["latency_ms"]),
    }
    if cold := results.get("cold_starts"):
        pairs["first call after a start / tenth call"] = (cold["first_call_ms"], cold["tenth_call_ms"])
        pairs["first call after a start / calls 2–10"] = (cold["first_call_ms"], cold["calls_2_to_10_ms"])
    return {name: {k: round(a[k] / b[k], 1) if a.get(k) and b.get(k) else None for k in ("p50", "p95")}
            for name, (a, b) in pairs.items()}


def print_report(console: Console, results: dict[str, Any]) -> None:
    seq, conc, base = results["sequential"], results["concurrent"], results["baselines"]
    no_nlu, n = base["pop_concurrent_no_reason"], conc["in_flight"]
    rows = [("screen pop, sequential", seq["latency_ms"]), (f"screen pop, {n} in flight", conc["latency_ms"]),
            (f"screen pop, {n} in flight, no reason (no NLU)", no_nlu["latency_ms"]),
            ("bridge ws round trip (held → ack)", base["bridge_round_trip_ms"]),
            ("Rasa /model/parse, 1 at a time", base["rasa_parse_ms"]),
            (f"Rasa /model/parse, {n} at once", base["rasa_parse_concurrent_ms"])]
    print_table(console, "Call answered → screen pop (ms)", rows)
    for label, r in (("sequential", seq), (f"{n} in flight", conc), (f"{n} in flight, no reason", no_nlu)):
        console.print(f"{label}: {r['calls']} pops, {r['errors']} errors; identified {r['identified']}/"
                      f"{r['known_callers']} known callers; {r['unknown_popped_without_customer']}/"
                      f"{r['calls'] - r['known_callers']} unknown popped empty; "
                      f"nlu ok {r['nlu_ok']}/{r['calls']}"
                      + (f"; first error: {r['first_error']}" if r["first_error"] else ""))
    for name, r in results["ratios"].items():
        console.print(f"ratio {name}: p50 {r['p50']}×, p95 {r['p95']}×")
    p95_parse, p95_pop = base["rasa_parse_ms"].get("p95"), conc["latency_ms"].get("p95")
    console.print(f"budgets: parse p95 {p95_parse} ms (≤ 40), pop p95 with {n} in flight {p95_pop} ms (≤ 150)")
    if cold := results.get("cold_starts"):
        print_cold_starts(console, cold)


def print_table(console: Console, title: str, rows: list[tuple[str, dict[str, Any]]]) -> None:
    """One row of summarise() figures per measure."""
    table = Table(title=title)
    for column in ("measure", "n", "p50", "p95", "max", "mean"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    for name, s in rows:
        table.add_row(name, *(str(s.get(k, "-")) for k in ("n", "p50", "p95", "max", "mean")))
    console.print(table)


def print_cold_starts(console: Console, cold: dict[str, Any]) -> None:
    rows = [("1st call after the start, pop (ms)", cold["first_call_ms"]),
            ("2nd–10th calls, pop (ms)", cold["calls_2_to_10_ms"]),
            ("10th call, pop (ms)", cold["tenth_call_ms"]),
            ("start → /health 200 (s)", cold["start_to_healthy_s"]),
            ("app warm-up incl. waiting for Rasa, its log (ms)", cold["app_warmup_ms"])]
    print_table(console, f"Right after a start: {cold['starts']} starts × {COLD_CALLS} sequential calls "
                         f"(p95 nearest-rank: the max when n < 20)", rows)
    console.print(f"cold starts: {cold['calls']} pops, {cold['errors']} errors; identified {cold['identified']}/"
                  f"{cold['known_callers']}; nlu ok {cold['nlu_ok']}/{cold['calls']}"
                  + (f"; first error: {cold['first_error']}" if cold["first_error"] else ""))
    console.print(f"median pop by rank (ms): {cold['median_ms_by_rank']}")
    for i, start in enumerate(cold["per_start"], 1):
        console.print(f"start {i}: healthy after {start['start_to_healthy_s']} s, app warm-up "
                      f"{start['app_warmup_ms']} ms, pops (ms) {start['latency_ms_by_rank']}")


def load_average() -> list[float]:
    """The machine's load average over 1, 5 and 15 minutes."""
    return [round(x, 2) for x in os.getloadavg()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=100, help="sequential calls measured")
    parser.add_argument("--concurrency", type=int, default=50, help="calls in flight at once")
    parser.add_argument("--customers", type=int, default=2000, help="synthetic customers in the CRM")
    parser.add_argument("--warmup", type=int, default=5, help="uncounted warm-up calls / requests")
    parser.add_argument("--baseline-samples", type=int, default=200, help="samples of each baseline")
    parser.add_argument("--cold-starts", type=int, default=3,
                        help=f"starts of the stack followed by {COLD_CALLS} calls ranked 1st…{COLD_CALLS}th (0: none)")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args()
    if not (1 <= args.calls <= 10_000 and 1 <= args.concurrency <= 500 and 1 <= args.baseline_samples <= 10_000):
        parser.error("--calls and --baseline-samples must be in 1..10000, --concurrency in 1..500")
    if not 0 <= args.cold_starts <= 20:
        parser.error("--cold-starts must be in 0..20")
    console = Console(stderr=True)
    say = console.print

    load_before = load_average()  # the machine is shared: what else ran shows in the load
    with tempfile.TemporaryDirectory(prefix="bench-screen-pop-") as tmp:
        root = Path(tmp)
        say(f"seeding a CRM with {args.customers} synthetic customers…")
        db_url, numbers = seed_database(root / "crm.sqlite3", args.customers)
        model, trained = ensure_model(quiet=True)
        say(f"model {model.name}{' (trained now)' if trained else ''}")
        config = StackConfig(model=model, port=free_port(), rasa_url=f"http://127.0.0.1:{free_port()}",
                             actions_url=f"http://127.0.0.1:{free_port()}", database_url=db_url, logs=root / "logs")
        stack = Stack(config, say=lambda m: console.print(m, markup=False))
        try:
            healthy_s = start_until_healthy(stack)
            say(f"stack healthy after {healthy_s:.0f} s at {config.app_url}")
            results = asyncio.run(measure(stack, healthy_s, numbers, args, say))
        finally:
            stack.stop()

    results = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "load_avg_1_5_15_before": load_before, "load_avg_1_5_15_after": load_average()},
        "settings": {"calls": args.calls, "concurrency": args.concurrency, "customers": args.customers,
                     "warmup": args.warmup, "baseline_samples": args.baseline_samples,
                     "cold_starts": args.cold_starts, "model": model.name},
    } | results
    results["ratios"] = ratios(results)
    print_report(Console(width=120), results)
    say(f"load average (1, 5, 15 min) before {load_before}, after {results['machine']['load_avg_1_5_15_after']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
