"""Management acts: the latency of each act's preview and execute, against a 360° read of the same customer.

Every act of the catalogue (``crm_core.acts.catalogue.ACT_LIST``) goes through its one door,
``ActService(sessions, actor).preview(...)`` then ``.execute(...)``, with a known-good parameter set on a
demo customer (``CASES`` below, taken from ``tests/crm_core/acts``). The actor is a supervisor: the one
profile habilitated to every act and every field, so no act is refused for its profile.

Most acts that write can be done only once (a ticket, a termination, a withdrawal, a customer created…),
so **every repetition starts from a fresh copy of the seeded database**: the SQLite file copied back over
the working file, or the PostgreSQL working database dropped and created again from the seeded one as its
template. A savepoint undone after ``execute`` was not chosen: the act's own transaction would then end on
a ``RELEASE SAVEPOINT`` instead of the real ``COMMIT``, and the commit (the WAL write and, on PostgreSQL, its
flush) is part of what an advisor waits for. Read acts go through the same reset, so every act is measured
in the same conditions.

A fresh copy means fresh connections with cold caches, which a running server never has. So after each
reset, and before any timing, the script touches every table on the pooled connection and runs the
customer's 360° read and the act's preview once, untimed. Then it times, in this order and each in its own
transaction (commit included): the **baseline** ``CustomerService(session, actor).view360(customer_id)``,
the act's ``preview``, then its ``execute``. The first ``--warmup`` repetitions of each act are not counted;
the first one also counts the SQL statements of each of the three calls (cursor events, off while timing).

Today is pinned to the demo data's day (``--today``, 01/12/2026), as in the tests. Run from the repository
root::

    .venv/bin/python -m benchmarks.acts --database sqlite --repeat 30 --out docs/benchmarks-acts.md
    .venv/bin/python -m benchmarks.acts --database postgresql --repeat 30 --out docs/benchmarks-acts.md

``--out`` writes (or replaces) this database's section of the report, between its markers, and keeps the
rest of the file as it is.
"""

import argparse
import json
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # run as a plain script from anywhere, as well as with -m

from sqlalchemy import Engine, select  # noqa: E402
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
from crm_core.acts.catalogue import ACT_LIST, ACTS  # noqa: E402
from crm_core.acts.service import ActService  # noqa: E402
from crm_core.core import clock  # noqa: E402
from crm_core.core.db import transaction  # noqa: E402
from crm_core.models import Invoice  # noqa: E402
from crm_core.services.actor import Actor  # noqa: E402
from crm_core.services.customers import CustomerService  # noqa: E402
from crm_core.services.habilitations import PROFILES  # noqa: E402

ACTOR = Actor("bench.acts", "supervisor", "bench-call", PROFILES["supervisor"][1])
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/copilot_bench_acts"
CAMILLE, JEAN_PIERRE, SOPHIE, KEVIN = 1, 2, 3, 4
BASELINE_WITHOUT_CUSTOMER = CAMILLE  # whose 360° read is the baseline of an act done for no customer


@dataclass(frozen=True)
class InvoiceNo:
    """A parameter naming a seeded invoice by its number; its id is looked up once, before any timing."""

    number: str


@dataclass(frozen=True)
class Case:
    customer: int | None
    params: dict[str, Any]


# One known-good parameter set per act, on the demo customers (crm_core/seed/demo.py): each is the one a test
# of tests/crm_core/acts previews then executes. Lines 1–2 and equipment 1 are Camille's, line 5 and order 2
# Sophie's, order 1 Camille's web order.
CASES: dict[str, Case] = {
    "check_eligibility": Case(CAMILLE, {"postcode": "29200"}),
    "recommend_offers": Case(SOPHIE, {}),
    "create_customer": Case(None, {
        "civility": "Mme", "first_name": "Inès", "last_name": "Durand", "birth_date": "14/02/1992",
        "contact_phone": "06 11 22 33 00", "email": "ines.durand@exemple.fr", "address_line": "4 rue Hoche",
        "postcode": "38000", "city": "Grenoble"}),
    "change_offer": Case(SOPHIE, {"line": "5", "offer_code": "MOBILE_5G_200G"}),
    "add_option": Case(CAMILLE, {"line": "1", "option_code": "OPT_INTERNATIONAL"}),
    "remove_option": Case(CAMILLE, {"line": "2", "option_code": "OPT_TV_SPORT"}),
    "follow_order": Case(CAMILLE, {"order": "1"}),
    "change_order_delivery": Case(CAMILLE, {"order": "1", "shop": "LYON-BELLECOUR"}),
    "cancel_order": Case(CAMILLE, {"order": "1", "reason": "trouvé moins cher"}),
    "move_address": Case(CAMILLE, {"address_line": "5 rue de la République", "postcode": "13001",
                                   "city": "Marseille", "move_date": "2026-12-07", "slot": "2026-12-07T13:00"}),
    "check_withdrawal_period": Case(SOPHIE, {"target": "order:2"}),
    "register_withdrawal": Case(SOPHIE, {"target": "order:2", "reason": "déménagement"}),
    "check_commitment_end": Case(CAMILLE, {}),
    "register_termination": Case(CAMILLE, {"line": "2", "termination_date": "2026-12-15"}),
    "declare_holder_death": Case(CAMILLE, {"death_date": "2026-11-28", "declarant_name": "Léa Moreau",
                                           "declarant_phone": "06 11 22 33 44"}),
    "update_contact_details": Case(JEAN_PIERRE, {"email": "jp.lefevre@exemple.org"}),
    "update_identity": Case(CAMILLE, {"last_name": "Martin-Roux"}),
    "set_guardian": Case(CAMILLE, {"kind": "curatelle", "guardian_name": "M. Paul Martin"}),
    "give_rio": Case(CAMILLE, {"line": "1"}),
    "explain_invoice": Case(CAMILLE, {"invoice": InvoiceNo("FAC-0001-1")}),
    "change_payment_method": Case(CAMILLE, {"kind": "direct_debit", "iban": "FR1420041010050500013M02606",
                                            "holder": "Camille Martin"}),
    "grant_payment_extension": Case(JEAN_PIERRE, {"until": "2026-12-20"}),
    "send_invoice_duplicate": Case(CAMILLE, {"invoice": InvoiceNo("FAC-0001-1"), "channel": "email"}),
    "diagnose_line": Case(CAMILLE, {"line": "2"}),
    "open_ticket": Case(CAMILLE, {"line": "2", "summary": "Le wifi coupe encore tous les soirs vers 21 h"}),
    "book_technician": Case(CAMILLE, {"line": "2", "slot": "2026-12-02T08:00"}),
    "exchange_equipment": Case(CAMILLE, {"equipment": "1"}),
    "run_script": Case(CAMILLE, {"line": "2", "script": "wifi_coupures", "steps": ["canal", "redemarrage"]}),
    "review_complaints": Case(KEVIN, {}),
    "open_complaint": Case(CAMILLE, {"summary": "Débit internet divisé par deux depuis le 20/11"}),
    "grant_gesture": Case(KEVIN, {"amount": "5", "reason": "appel coupé"}),
    "escalate_complaint": Case(KEVIN, {"note": "Le client conteste pour la troisième fois"}),
    "redirect_caller": Case(CAMILLE, {"service": "shop"}),
}

BEGIN = "<!-- acts-benchmark:{db}:begin -->"
END = "<!-- acts-benchmark:{db}:end -->"
REPORT_HEAD = """# Management acts: preview and execute latency (`benchmarks/acts.py`)

Each database's section below is written by the script; the rest of this file is kept as it is.
"""


# -- one act --------------------------------------------------------------------------------------------------
@dataclass
class ActResult:
    code: str
    writes: bool
    customer: int | None
    baseline: list[float] = field(default_factory=list)
    preview: list[float] = field(default_factory=list)
    execute: list[float] = field(default_factory=list)
    cpu: dict[str, list[float]] = field(default_factory=lambda: {"baseline": [], "preview": [], "execute": []})
    statements: dict[str, int] = field(default_factory=dict)
    error: str | None = None


def resolve(sessions: sessionmaker[Session], params: dict[str, Any]) -> dict[str, Any]:
    """The parameters with every invoice number replaced by the invoice's id (the form's value)."""
    resolved = {}
    with sessions() as session:
        for name, value in params.items():
            if isinstance(value, InvoiceNo):
                found = session.scalar(select(Invoice.id).where(Invoice.number == value.number))
                if found is None:
                    raise RuntimeError(f"invoice {value.number} is not in the seeded database")
                value = str(found)
            resolved[name] = value
    return resolved


def run_act(code: str, case: Case, copies: Any, engine: Engine, sessions: sessionmaker[Session],
            repeat: int, warmup: int) -> ActResult:
    spec = ACTS[code]
    result = ActResult(code, spec.writes, case.customer)
    service = ActService(sessions, ACTOR)
    reader = case.customer if case.customer is not None else BASELINE_WITHOUT_CUSTOMER
    params = resolve(sessions, case.params)

    def view360() -> Any:
        with transaction(sessions) as session:
            return CustomerService(session, ACTOR).view360(reader)

    for i in range(warmup + repeat):  # bounded by warmup + repeat
        engine.dispose()  # no connection may stay on the working copy while it is replaced
        copies.reset()
        try:
            touch_tables(engine)
            view360()
            service.preview(code, case.customer, params)
            if i == 0:
                with counted_sql(engine) as n:
                    view360()
                result.statements["baseline"] = n[0]
                with counted_sql(engine) as n:
                    preview = service.preview(code, case.customer, params)
                result.statements["preview"] = n[0]
                with counted_sql(engine) as n:
                    done = service.execute(code, case.customer, params, version=preview["version"])
                result.statements["execute"] = n[0]
                if preview["status"] != "preview" or done["status"] != "done":
                    raise RuntimeError(f"statuses {preview['status']!r} / {done['status']!r}")
                continue
            base_ms, base_cpu, view = timed(view360)
            preview_ms, preview_cpu, preview = timed(service.preview, code, case.customer, params)
            execute_ms, execute_cpu, done = timed(service.execute, code, case.customer, params,
                                                  version=preview["version"])
        except Exception as exc:  # reported in the table: the parameters need fixing, or the act is broken
            result.error = f"{type(exc).__name__}: {exc}"[:300]
            return result
        if not view["blocks"] or done["status"] != "done":
            result.error = f"unexpected outcome at repetition {i}: {done['status']!r}"
            return result
        if i >= warmup:
            result.baseline.append(base_ms)
            result.preview.append(preview_ms)
            result.execute.append(execute_ms)
            for name, ms in (("baseline", base_cpu), ("preview", preview_cpu), ("execute", execute_cpu)):
                result.cpu[name].append(ms)
    return result


# -- the run --------------------------------------------------------------------------------------------------
def run(database: str, repeat: int, warmup: int, customers: int, url: str | None, today: date,
        only: list[str] | None = None, say: Callable[[str], None] = print) -> dict[str, Any]:
    missing = [a.code for a in ACT_LIST if a.code not in CASES]
    if missing:
        raise SystemExit(f"no parameter set for {', '.join(missing)}: add it to CASES")
    codes = [a.code for a in ACT_LIST if not only or a.code in only]
    with seeded_copies(database, url or PG_URL, customers, "bench_acts_", say) as bench:
        results = []
        with clock.pinned(today):
            for k, code in enumerate(codes, 1):  # bounded by the catalogue
                result = run_act(code, CASES[code], bench.copies, bench.engine, bench.sessions, repeat, warmup)
                results.append(result)
                shown = result.error or (f"preview p50 {summarise(result.preview)['p50']:.2f} ms, "
                                         f"execute p50 {summarise(result.execute)['p50']:.2f} ms")
                say(f"[{k}/{len(codes)}] {code}: {shown}")
        return {**run_header(bench, database, repeat, warmup, customers, today),
                "acts": [_summary(r) for r in results]}


def _summary(r: ActResult) -> dict[str, Any]:
    base, prev, exe = summarise(r.baseline), summarise(r.preview), summarise(r.execute)
    return {"act": r.code, "writes": r.writes, "customer": r.customer, "error": r.error,
            "baseline": base, "preview": prev, "execute": exe, "statements": r.statements,
            "cpu_p50": {k: summarise(v).get("p50") for k, v in r.cpu.items()},
            "preview_ratio": {k: _ratio(prev, base, k) for k in ("p50", "p95")},
            "execute_ratio": {k: _ratio(exe, base, k) for k in ("p50", "p95")}}


def _ratio(a: dict[str, Any], b: dict[str, Any], key: str) -> float | None:
    return round(a[key] / b[key], 2) if a.get(key) and b.get(key) else None


# -- the report -----------------------------------------------------------------------------------------------
def _ms(st: dict[str, Any], key: str) -> str:
    return f"{st[key]:.2f}" if key in st else "—"


def _x(ratio: dict[str, float | None]) -> str:
    return " / ".join("—" if v is None else f"{v:.1f}×" for v in (ratio["p50"], ratio["p95"]))


def _cpu(p50: dict[str, float | None]) -> str:
    return " / ".join("—" if p50.get(k) is None else f"{p50[k]:.1f}" for k in ("baseline", "preview", "execute"))


def markdown_table(result: dict[str, Any]) -> str:
    head = ("| act | writes | customer | preview p50 | preview p95 | execute p50 | execute p95 | 360° p50 | "
            "360° p95 | preview ÷ 360° (p50 / p95) | execute ÷ 360° (p50 / p95) | CPU p50 (360° / preview / execute) | "
            "SQL statements (360° / preview / execute) |")
    rows = [head, "| --- | :---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for a in result["acts"]:
        who = "—" if a["customer"] is None else str(a["customer"])
        if a["error"]:
            reason = a["error"].replace("|", "/").replace("\n", " ")
            rows.append(f"| `{a['act']}` | {'yes' if a['writes'] else 'no'} | {who} | FAILED: {reason} |"
                        + " |" * 9)
            continue
        s = a["statements"]
        rows.append(f"| `{a['act']}` | {'yes' if a['writes'] else 'no'} | {who} | {_ms(a['preview'], 'p50')} | "
                    f"{_ms(a['preview'], 'p95')} | {_ms(a['execute'], 'p50')} | {_ms(a['execute'], 'p95')} | "
                    f"{_ms(a['baseline'], 'p50')} | {_ms(a['baseline'], 'p95')} | {_x(a['preview_ratio'])} | "
                    f"{_x(a['execute_ratio'])} | {_cpu(a['cpu_p50'])} | {s.get('baseline', '—')} / "
                    f"{s.get('preview', '—')} / {s.get('execute', '—')} |")
    return "\n".join(rows)


def reading(result: dict[str, Any]) -> str:
    """What the figures say, computed: the slowest acts, the ones above the 360° read, statements and time."""
    ok = [a for a in result["acts"] if not a["error"]]
    failed = [a["act"] for a in result["acts"] if a["error"]]
    said = f"- **failed**: {', '.join(f'`{c}`' for c in failed)} (see the table)." if failed else ""
    if not ok:
        return "\n".join(filter(None, ["No act could be measured.", said]))
    base = summarise([a["baseline"]["p50"] for a in ok])
    lines = [f"- 360° read of the same customer (baseline): median of the per-act medians {base['p50']:.2f} ms "
             f"(from {base['min']:.2f} to {base['max']:.2f} ms across the acts)."]
    for step in ("preview", "execute"):
        ranked = sorted(ok, key=lambda a: -a[step]["p50"])
        top = ", ".join(f"`{a['act']}` {a[step]['p50']:.1f} ms ({a[f'{step}_ratio']['p50']:.1f}×)" for a in ranked[:5])
        above = [a["act"] for a in ok if (a[f"{step}_ratio"]["p50"] or 0) > 1.0]
        lines.append(f"- {step}, slowest medians: {top}; {len(above)} of {len(ok)} acts above the 360° read at "
                     f"the median.")
    writes = [a for a in ok if a["writes"]]
    if writes:
        extra = summarise([a["execute"]["p50"] - a["preview"]["p50"] for a in writes])
        lines.append(f"- execute − preview, acts that write ({len(writes)}): median {extra['p50']:.2f} ms "
                     f"(from {extra['min']:.2f} to {extra['max']:.2f} ms): the writes of the act and their commit.")
    cpu = {k: summarise([a["cpu_p50"][k] for a in ok if a["cpu_p50"].get(k) is not None]) for k in
           ("baseline", "preview", "execute")}
    if all(c.get("p50") is not None for c in cpu.values()):
        lines.append(f"- this process's CPU per call, median over the acts: 360° read {cpu['baseline']['p50']:.1f} ms, "
                     f"preview {cpu['preview']['p50']:.1f} ms, execute {cpu['execute']['p50']:.1f} ms.")
    counted = [a for a in ok if a["statements"].get("preview") and a["statements"].get("execute")]
    if len(counted) >= 3:
        per = summarise([a["preview"]["p50"] / a["statements"]["preview"] for a in counted])
        pairs = [(a["statements"][k], a[k]["p50"]) for a in counted for k in ("preview", "execute")]
        r = _correlation(pairs)
        lines.append(f"- wall time per SQL statement of a preview: median {per['p50']:.2f} ms (from {per['min']:.2f} "
                     f"to {per['max']:.2f} ms); correlation of a call's median with its statement count "
                     f"(previews and executes): r = {r:.2f}." if r is not None else "")
    return "\n".join(filter(None, [*lines, said]))


def _correlation(pairs: list[tuple[float, float]]) -> float | None:
    try:
        return statistics.correlation([x for x, _ in pairs], [y for _, y in pairs])
    except statistics.StatisticsError:  # fewer than two points, or a constant
        return None


def section(result: dict[str, Any]) -> str:
    db = result["database"]
    title = "SQLite" if db == "sqlite" else "PostgreSQL"
    return "\n".join([
        BEGIN.format(db=db),
        f"### {title} — {result['date']}",
        "",
        *machine_lines(result),
        f"- N = {result['repeat']} timed repetitions per act (after {result['warmup']} uncounted), each on a fresh "
        f"copy; today pinned to {result['today']}; actor: supervisor; whole run {result['elapsed_s']:.0f} s.",
        "- Times in ms, nearest-rank percentiles, each call in its own transaction, commit included. "
        "Customer — : an act done for no customer; its baseline is customer 1's 360° read. CPU: this process's "
        "CPU time per call (Python, and SQLite, which runs in-process; not the PostgreSQL server's), which the "
        "machine's other load inflates far less than the wall time.",
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
    add_arguments(parser, PG_URL, " per act")
    parser.add_argument("--act", action="append", dest="acts", help="only this act (repeatable)")
    args = parser.parse_args(argv)
    check_arguments(parser, args)
    unknown = [c for c in args.acts or [] if c not in ACTS]
    if unknown:
        parser.error(f"unknown act(s): {', '.join(unknown)}")

    result = run(args.database, args.repeat, args.warmup, args.customers, args.url,
                 date.fromisoformat(args.today), args.acts)
    print()
    print(markdown_table(result))
    print()
    print(reading(result))
    if args.out:
        write_report(args.out, result)
        print(f"\nwritten: {args.out}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    return 1 if any(a["error"] for a in result["acts"]) else 0


if __name__ == "__main__":
    sys.exit(main())
