"""Call answered → screen pop latency, measured on the real stack (Rasa server, action server, app).

Seeds a temporary SQLite CRM, starts the three processes on free loopback ports, then measures in one run:

1. sequential calls (offered with a reason → answered → pop on a panel websocket → ended);
2. the same with ``--concurrency`` calls in flight at once;
3. baselines: the same concurrent calls without a reason (so no NLU parse), the bare bridge websocket
   round trip (one ``held`` CallEvent → its ack) and Rasa's ``/model/parse`` over HTTP, one at a time and
   ``--concurrency`` at once.

Run from the repository root::

    .venv/bin/python benchmarks/screen_pop.py --calls 100 --concurrency 50 --json out.json
"""

import argparse
import asyncio
import json
import math
import os
import platform
import random
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
from copilot_cli.stack import Stack, StackConfig, free_port  # noqa: E402
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


async def sequential_calls(url: str, callers: list[Sample], warmup: int) -> CallResults:
    results = CallResults()
    for i, sample in enumerate(callers):
        try:
            pop: dict[str, Any] | BaseException = await one_call(url, sample, REASONS[i % len(REASONS)])
        except Exception as exc:  # noqa: BLE001 - counted and reported
            pop = exc
        if i >= warmup:
            results.add(sample, pop)
    return results


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


async def bridge_round_trips(url: str, count: int, warmup: int) -> list[float]:
    """One ``held`` CallEvent for one call id → its ack, ``count`` times on one bridge websocket."""
    call_id = f"bench-bridge-{os.getpid()}"
    samples: list[float] = []
    async with websockets.connect(ws_url(url, "/ws/bridge")) as bridge:
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


async def rasa_parses(rasa_url: str, count: int, in_flight: int, warmup: int) -> list[float]:
    """POST /model/parse, ``count`` times, ``in_flight`` requests at once (one connection each)."""
    samples: list[float] = []
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    async with httpx.AsyncClient(timeout=CALL_TIMEOUT_S, limits=limits) as client:

        async def parse(i: int) -> float:
            t0 = time.perf_counter()
            r = await client.post(f"{rasa_url}/model/parse", json={"text": REASONS[i % len(REASONS)]})
            r.raise_for_status()
            return (time.perf_counter() - t0) * 1000

        rounds = math.ceil(count / in_flight)
        for r in range(warmup + rounds):
            batch = await asyncio.gather(*(parse(r * in_flight + i) for i in range(in_flight)))
            if r >= warmup:
                samples.extend(batch)
    return samples


async def measure(config: StackConfig, numbers: list[str], args: argparse.Namespace,
                  say: Callable[[str], None]) -> dict[str, Any]:
    url, rng = config.app_url, random.Random(42)

    async def phase(name: str, work: Awaitable[Any]) -> Any:
        say(f"[bold]{name}[/]…")
        return await asyncio.wait_for(work, PHASE_TIMEOUT_S)

    warmup = args.warmup
    seq_callers = draw_callers(numbers, warmup + args.calls, rng)
    seq = await phase("sequential calls", sequential_calls(url, seq_callers, warmup))
    rounds = max(1, math.ceil(100 / args.concurrency))  # at least 100 counted samples
    conc_callers = draw_callers(numbers, (1 + rounds) * args.concurrency, rng)
    conc = await phase(f"{args.concurrency} calls in flight", concurrent_calls(url, conc_callers, args.concurrency, 1))
    no_nlu_callers = draw_callers(numbers, (1 + rounds) * args.concurrency, rng)
    no_nlu = await phase(f"{args.concurrency} calls in flight, no reason",
                         concurrent_calls(url, no_nlu_callers, args.concurrency, 1, with_reason=False))
    bridge = await phase("bridge round trips", bridge_round_trips(url, args.baseline_samples, warmup))
    parse_1 = await phase("Rasa parse, one at a time", rasa_parses(config.rasa_url, args.baseline_samples, 1, warmup))
    parse_n = await phase(f"Rasa parse, {args.concurrency} at once",
                          rasa_parses(config.rasa_url, max(100, args.concurrency), args.concurrency, 1))
    return {
        "sequential": seq.report(),
        "concurrent": conc.report() | {"in_flight": args.concurrency},
        "baselines": {
            "pop_concurrent_no_reason": no_nlu.report() | {"in_flight": args.concurrency},
            "bridge_round_trip_ms": summarise(bridge),
            "rasa_parse_ms": summarise(parse_1),
            "rasa_parse_concurrent_ms": summarise(parse_n) | {"in_flight": args.concurrency},
        },
    }


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
    return {name: {k: round(a[k] / b[k], 1) if a.get(k) and b.get(k) else None for k in ("p50", "p95")}
            for name, (a, b) in pairs.items()}


def print_report(console: Console, results: dict[str, Any]) -> None:
    seq, conc, base = results["sequential"], results["concurrent"], results["baselines"]
    no_nlu, n = base["pop_concurrent_no_reason"], conc["in_flight"]
    table = Table(title="Call answered → screen pop (ms)")
    for column in ("measure", "n", "p50", "p95", "max", "mean"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    rows = [("screen pop, sequential", seq["latency_ms"]), (f"screen pop, {n} in flight", conc["latency_ms"]),
            (f"screen pop, {n} in flight, no reason (no NLU)", no_nlu["latency_ms"]),
            ("bridge ws round trip (held → ack)", base["bridge_round_trip_ms"]),
            ("Rasa /model/parse, 1 at a time", base["rasa_parse_ms"]),
            (f"Rasa /model/parse, {n} at once", base["rasa_parse_concurrent_ms"])]
    for name, s in rows:
        table.add_row(name, *(str(s.get(k, "-")) for k in ("n", "p50", "p95", "max", "mean")))
    console.print(table)
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=100, help="sequential calls measured")
    parser.add_argument("--concurrency", type=int, default=50, help="calls in flight at once")
    parser.add_argument("--customers", type=int, default=2000, help="synthetic customers in the CRM")
    parser.add_argument("--warmup", type=int, default=5, help="uncounted warm-up calls / requests")
    parser.add_argument("--baseline-samples", type=int, default=200, help="samples of each baseline")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args()
    if not (1 <= args.calls <= 10_000 and 1 <= args.concurrency <= 500 and 1 <= args.baseline_samples <= 10_000):
        parser.error("--calls and --baseline-samples must be in 1..10000, --concurrency in 1..500")
    console = Console(stderr=True)
    say = console.print

    with tempfile.TemporaryDirectory(prefix="bench-screen-pop-") as tmp:
        root = Path(tmp)
        say(f"seeding a CRM with {args.customers} synthetic customers…")
        db_url, numbers = seed_database(root / "crm.sqlite3", args.customers)
        model, trained = ensure_model(quiet=True)
        say(f"model {model.name}{' (trained now)' if trained else ''}")
        config = StackConfig(model=model, port=free_port(), rasa_url=f"http://127.0.0.1:{free_port()}",
                             actions_url=f"http://127.0.0.1:{free_port()}", database_url=db_url, logs=root / "logs")
        stack = Stack(config, say=lambda m: console.print(m, markup=False))
        started = time.monotonic()
        try:
            stack.start()
            stack.wait_healthy(300)
            say(f"stack healthy after {time.monotonic() - started:.0f} s at {config.app_url}")
            results = asyncio.run(measure(config, numbers, args, say))
        finally:
            stack.stop()

    results = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "settings": {"calls": args.calls, "concurrency": args.concurrency, "customers": args.customers,
                     "warmup": args.warmup, "baseline_samples": args.baseline_samples, "model": model.name},
    } | results
    results["ratios"] = ratios(results)
    print_report(Console(width=120), results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
