"""Level-2 transfers: the latency of each step of a warm and a cold transfer, against a 360° read of the customer.

Every repetition starts from a fresh copy of the seeded database (as ``benchmarks/acts.py`` does: the SQLite
file copied back, or the PostgreSQL working database made again from the seeded one as its template), so the
customer's history, tickets and the traces do not grow from one repetition to the next. Then, untimed, two
breakdown calls of customer 1 (Camille Martin) get the trace a real call leaves: ``call.offered`` and
``call.answered`` with the caller's words, ``customer.lookup`` (by the line, found), ``screen_pop.sent``
(journey breakdown, identified), and two acts done through ``ActService.execute`` on the call by a level-1
advisor: ``diagnose_line`` and the wifi script (box restarted, not solved). Each call has its own id in each
repetition (one open transfer per call). Then every table is touched on the pooled connection and the 360°
read runs once, untimed (a fresh copy means a fresh connection, which a running server never has).

Then it times, in this order and each in its own transaction (commit included), through the one door
``TransferService(sessions, actor, routing.load())``:

- the **baseline**: ``CustomerService(session, n1).view360(1)``, the level-1 advisor's 360° read;
- on the first call (in progress): ``draft`` and a warm ``request`` to ``n2`` by level 1 (identity ticked),
  then ``acknowledge`` and ``close`` by level 2 (``n2.demo``, profile ``n2_technical``, a receiver of ``n2``);
- on the second call (ended): a cold ``request``, level 2's ``basket("N2-TECH")`` and ``pick_up``, which
  also reads the customer's 360° for level 2.

The first ``--warmup`` repetitions are not counted; the first one counts each step's SQL statements (cursor
events, off while timing). Today is pinned to the demo data's day (``--today``). Run from the repository
root::

    .venv/bin/python -m benchmarks.transfers --database sqlite --repeat 30 --out docs/benchmarks-transfers.md
    .venv/bin/python -m benchmarks.transfers --database postgresql --repeat 30 --out docs/benchmarks-transfers.md

``--out`` writes (or replaces) this database's section of the report, between its markers, and keeps the
rest of the file as it is.
"""

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # run as a plain script from anywhere, as well as with -m

from sqlalchemy import Engine  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from benchmarks.harness import (  # noqa: E402
    add_arguments,
    check_arguments,
    counted_sql,
    machine_lines,
    run_header,
    seeded_copies,
    timed,
    touch_tables,
    write_section,
)
from benchmarks.stats import summarise  # noqa: E402
from crm_core.acts.service import ActService  # noqa: E402
from crm_core.core import clock  # noqa: E402
from crm_core.core.db import transaction  # noqa: E402
from crm_core.services import tracing  # noqa: E402
from crm_core.services.actor import Actor  # noqa: E402
from crm_core.services.call_access import CallOwner  # noqa: E402
from crm_core.services.customers import CustomerService  # noqa: E402
from crm_core.services.habilitations import PROFILES, system_actor  # noqa: E402
from crm_core.transfers import routing as transfer_routing  # noqa: E402
from crm_core.transfers.service import TransferService  # noqa: E402

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/copilot_bench_transfers"
CAMILLE = 1
CAMILLE_NUMBER = "07 12 34 56 78"  # her mobile line, the one the bridge presents
REASON = "ma box coupe tout le temps depuis hier"
N1_LOGIN, N1_CENTRE = "n1.bench", "CCO-LYON"
N2 = Actor("n2.demo", "n2_technical", None, PROFILES["n2_technical"][1], "AVSC-RENNES")
COPILOT = system_actor()
CHECKED = ["identity_checked"]
ACTS_DONE: list[tuple[str, dict[str, Any]]] = [
    ("diagnose_line", {"line": "2"}),
    ("run_script", {"line": "2", "script": "wifi_coupures", "steps": ["voyants", "redemarrage"], "solved": False}),
]

# The timed steps, in their order: (key, label in the report, who, what it does)
STEPS: list[tuple[str, str, str, str]] = [
    ("baseline", "360° read (baseline)", "N1", "`CustomerService(session, n1).view360(1)`"),
    ("draft", "`draft`", "N1", "the call's record from its trace, the journey's 360° fields, the proposed team, "
                               "the checklist and the handover drafted; nothing written but the read's trace"),
    ("request_warm", "`request` warm", "N1", "the draft again, the open-transfer check, the transfer and its "
                                             "two traces written"),
    ("acknowledge", "`acknowledge`", "N2", "the receiver checked, one conditional update, its trace"),
    ("close", "`close`", "N2", "outcome `technician` with a note: one conditional update, its trace"),
    ("request_cold", "`request` cold", "N1", "the second call, ended: to the basket"),
    ("basket", "`basket(\"N2-TECH\")`", "N2", "the transfers waiting in the basket (one), the name's read traced"),
    ("pick_up", "`pick_up`", "N2", "one conditional update, its trace, and the customer's 360° read for N2"),
]
STEP_KEYS = [s[0] for s in STEPS]

BEGIN = "<!-- transfers-benchmark:{db}:begin -->"
END = "<!-- transfers-benchmark:{db}:end -->"
REPORT_HEAD = """# Level-2 transfers: the latency of each step (`benchmarks/transfers.py`)

Each database's section below is written by the script; the rest of this file is kept as it is.
"""


def n1_actor(call_id: str) -> Actor:
    return Actor(N1_LOGIN, "n1_customer_contact", call_id, PROFILES["n1_customer_contact"][1], N1_CENTRE)


# -- one repetition -------------------------------------------------------------------------------------------
@dataclass
class Figures:
    wall: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in STEP_KEYS})
    cpu: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in STEP_KEYS})
    statements: dict[str, int] = field(default_factory=dict)
    error: str | None = None


def breakdown_call(sessions: sessionmaker[Session], call_id: str) -> None:
    """The trace a real breakdown call of Camille's leaves before its transfer (untimed)."""
    with transaction(sessions) as session:
        for event in ("offered", "answered"):
            tracing.record(session, f"call.{event}", COPILOT, call_id=call_id, caller_number=CAMILLE_NUMBER,
                           agent=N1_LOGIN, ivr_choice=None, has_reason=True, reason=REASON)
        tracing.record(session, "customer.lookup", COPILOT.on_call(call_id), customer_id=CAMILLE, by="line",
                       found=True)
        tracing.record(session, "screen_pop.sent", COPILOT, call_id=call_id, customer_id=CAMILLE,
                       journey="breakdown", identified=True, panels=1, nlu_status="ok", agent=N1_LOGIN, context=[])
    acts = ActService(sessions, n1_actor(call_id))
    for code, params in ACTS_DONE:
        done = acts.execute(code, CAMILLE, params, journey="breakdown")
        if done["status"] != "done":
            raise RuntimeError(f"{code} on {call_id}: {done['status']!r}")


def expect(step: str, got: dict[str, Any], key: str, wanted: Any) -> None:
    if got.get(key) != wanted:
        raise RuntimeError(f"{step}: {key} {got.get(key)!r}, expected {wanted!r}")


def one_repetition(i: int, sessions: sessionmaker[Session], routing: Any) -> dict[str, Callable[[], Any]]:
    """The steps of repetition ``i``, in their order, each a call in its own transaction with its check."""
    warm_id, cold_id = f"bench-warm-{i}", f"bench-cold-{i}"
    for call_id in (warm_id, cold_id):
        breakdown_call(sessions, call_id)
    n1 = n1_actor(warm_id)
    level1 = TransferService(sessions, n1, routing)
    level1_cold = TransferService(sessions, n1.on_call(cold_id), routing)
    level2 = TransferService(sessions, N2, routing)
    warm = CallOwner(warm_id, N1_LOGIN, N1_CENTRE, active=True, customer_id=CAMILLE)
    cold = CallOwner(cold_id, N1_LOGIN, N1_CENTRE, active=False, customer_id=CAMILLE)
    ids: dict[str, int] = {}

    def baseline() -> Any:
        with transaction(sessions) as session:
            view = CustomerService(session, n1).view360(CAMILLE)
        if not view["blocks"]:
            raise RuntimeError("baseline: an empty 360° view")

    def draft() -> None:
        got = level1.draft(warm, "n2", CHECKED)
        expect("draft", got, "team", "n2")
        expect("draft", got, "blocked", False)

    def request_warm() -> None:
        got = level1.request(warm, "warm", "n2", CHECKED)
        expect("request warm", got, "status", "requested")
        ids["warm"] = got["transfer_id"]

    def acknowledge() -> None:
        expect("acknowledge", level2.acknowledge(ids["warm"]), "status", "acknowledged")

    def close() -> None:
        got = level2.close(ids["warm"], "technician", "Technicien programmé le 02/12 au matin")
        expect("close", got, "status", "closed")

    def request_cold() -> None:
        got = level1_cold.request(cold, "cold", "n2", CHECKED)
        expect("request cold", got, "status", "waiting")
        ids["cold"] = got["transfer_id"]

    def basket() -> None:
        listed = level2.basket("N2-TECH")
        if [t["transfer_id"] for t in listed] != [ids["cold"]]:
            raise RuntimeError(f"basket: {[t['transfer_id'] for t in listed]}, expected [{ids['cold']}]")

    def pick_up() -> None:
        got = level2.pick_up(ids["cold"])
        expect("pick_up", got, "status", "picked_up")
        if not got.get("view360", {}).get("blocks"):
            raise RuntimeError("pick_up: no 360° view for level 2")

    return {"baseline": baseline, "draft": draft, "request_warm": request_warm, "acknowledge": acknowledge,
            "close": close, "request_cold": request_cold, "basket": basket, "pick_up": pick_up}


def measure(copies: Any, engine: Engine, sessions: sessionmaker[Session], repeat: int, warmup: int,
            say: Callable[[str], None]) -> Figures:
    figures = Figures()
    routing = transfer_routing.load()
    for i in range(warmup + repeat):  # bounded by warmup + repeat
        engine.dispose()  # no connection may stay on the working copy while it is replaced
        copies.reset()
        step = "preparation"
        try:
            steps = one_repetition(i, sessions, routing)
            touch_tables(engine)
            steps["baseline"]()  # untimed: the first 360° read on the fresh connection
            for step, call in steps.items():  # bounded by STEPS
                if i == 0:
                    with counted_sql(engine) as n:
                        call()
                    figures.statements[step] = n[0]
                    continue
                wall, cpu, _ = timed(call)
                if i >= warmup:
                    figures.wall[step].append(wall)
                    figures.cpu[step].append(cpu)
        except Exception as exc:  # reported: the service refused a step, or the trace is not the one it needs
            figures.error = f"repetition {i}, {step}: {type(exc).__name__}: {exc}"[:400]
            return figures
        if i + 1 == warmup or (i >= warmup and (i + 1 - warmup) % 10 == 0):
            say(f"repetition {i + 1}/{warmup + repeat}")
    return figures


# -- the run --------------------------------------------------------------------------------------------------
def run(database: str, repeat: int, warmup: int, customers: int, url: str | None, today: date,
        say: Callable[[str], None] = print) -> dict[str, Any]:
    with seeded_copies(database, url or PG_URL, customers, "bench_transfers_", say) as bench, clock.pinned(today):
        figures = measure(bench.copies, bench.engine, bench.sessions, repeat, warmup, say)
        return {**run_header(bench, database, repeat, warmup, customers, today),
                "error": figures.error, "steps": _summary(figures)}


def _summary(f: Figures) -> list[dict[str, Any]]:
    base = summarise(f.wall["baseline"])
    out = []
    for key, label, who, what in STEPS:
        st = summarise(f.wall[key])
        out.append({"step": key, "label": label, "who": who, "what": what,
                    **{k: st.get(k) for k in ("n", "p50", "p95", "max")}, "cpu_p50": summarise(f.cpu[key]).get("p50"),
                    "statements": f.statements.get(key),
                    "ratio": {k: _ratio(st, base, k) for k in ("p50", "p95")}})
    return out


def _ratio(a: dict[str, Any], b: dict[str, Any], key: str) -> float | None:
    return round(a[key] / b[key], 2) if a.get(key) and b.get(key) else None


# -- the report -----------------------------------------------------------------------------------------------
def _num(value: float | int | None, fmt: str = ".2f") -> str:
    return "—" if value is None else format(value, fmt)


def markdown_table(result: dict[str, Any]) -> str:
    rows = ["| step | by | p50 | p95 | ÷ 360° (p50 / p95) | CPU p50 | SQL statements | what |",
            "| --- | :---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for s in result["steps"]:
        ratio = " / ".join("—" if v is None else f"{v:.2f}×" for v in (s["ratio"]["p50"], s["ratio"]["p95"]))
        rows.append(f"| {s['label']} | {s['who']} | {_num(s['p50'])} | {_num(s['p95'])} | {ratio} | "
                    f"{_num(s['cpu_p50'], '.1f')} | {_num(s['statements'], 'd')} | {s['what']} |")
    return "\n".join(rows)


def reading(result: dict[str, Any]) -> str:
    """What the figures say, computed: the steps above the 360° read, the level-1 and level-2 paths."""
    if result["error"]:
        return f"- **failed**: {result['error']} (nothing after it was measured)."
    by = {s["step"]: s for s in result["steps"]}
    if any(s["p50"] is None for s in by.values()):
        return "- no step was measured."
    base = by["baseline"]
    steps = [s for s in result["steps"] if s["step"] != "baseline"]
    slowest = max(steps, key=lambda s: s["p50"])
    above = [s["label"] for s in steps if s["p50"] > base["p50"]]
    lines = [f"- 360° read (baseline): p50 {base['p50']:.2f} ms, p95 {base['p95']:.2f} ms.",
             f"- slowest step at the median: {slowest['label']} {slowest['p50']:.2f} ms "
             f"({slowest['ratio']['p50']:.2f}× the 360° read); above the 360° read at the median: "
             + (", ".join(above) if above else "none") + "."]
    level1 = by["draft"]["p50"] + by["request_warm"]["p50"]
    lines.append(f"- level 1, `draft` + warm `request` (medians added): {level1:.2f} ms "
                 f"({level1 / base['p50']:.2f}× the 360° read); the request alone "
                 f"{by['request_warm']['p50'] - by['draft']['p50']:+.2f} ms against the draft it includes.")
    ack_close = by["acknowledge"]["p50"] + by["close"]["p50"]
    lines.append(f"- level 2, warm: `acknowledge` + `close` {ack_close:.2f} ms; cold: `basket` + `pick_up` "
                 f"{by['basket']['p50'] + by['pick_up']['p50']:.2f} ms, of which `pick_up` "
                 f"{by['pick_up']['p50']:.2f} ms ({by['pick_up']['ratio']['p50']:.2f}× the 360° read it includes).")
    cpu = [s for s in result["steps"] if s["cpu_p50"] is not None and s["p50"]]
    if cpu:
        share = summarise([s["cpu_p50"] / s["p50"] for s in cpu])
        lines.append(f"- this process's CPU over wall time, per step at the median: from {share['min']:.0%} to "
                     f"{share['max']:.0%} (median {share['p50']:.0%}).")
    return "\n".join(lines)


def section(result: dict[str, Any]) -> str:
    db = result["database"]
    title = "SQLite" if db == "sqlite" else "PostgreSQL"
    return "\n".join([
        BEGIN.format(db=db),
        f"### {title} — {result['date']}",
        "",
        *machine_lines(result),
        f"- N = {result['repeat']} timed repetitions (after {result['warmup']} uncounted), each on a fresh copy "
        f"with two new breakdown calls of customer 1; today pinned to {result['today']}; whole run "
        f"{result['elapsed_s']:.0f} s.",
        "- Times in ms, nearest-rank percentiles, each step in its own transaction, commit included; ratios: the "
        "step's p50 ÷ the 360° read's p50 and p95 ÷ p95, measured in the same repetitions. CPU: this process's "
        "CPU time per step (not the PostgreSQL server's). SQL statements: counted in the first, uncounted "
        "repetition.",
        "",
        markdown_table(result),
        "",
        "Computed reading:",
        "",
        reading(result),
        END.format(db=db),
    ])


def write_report(path: Path, result: dict[str, Any]) -> None:
    """This database's section replaced (or added at the end); everything else in the file kept."""
    db = result["database"]
    write_section(path, section(result), BEGIN.format(db=db), END.format(db=db), REPORT_HEAD)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    add_arguments(parser, PG_URL)
    args = parser.parse_args(argv)
    check_arguments(parser, args)

    result = run(args.database, args.repeat, args.warmup, args.customers, args.url, date.fromisoformat(args.today))
    print()
    print(markdown_table(result))
    print()
    print(reading(result))
    if args.out:
        write_report(args.out, result)
        print(f"\nwritten: {args.out}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    return 1 if result["error"] else 0


if __name__ == "__main__":
    sys.exit(main())
