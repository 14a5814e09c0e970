"""What the customer's situation adds to the journey of the screen pop (issue 10), measured on
``nlu_eval/context_cases.jsonl``.

Run in the app runtime::

    .venv/bin/python -m nlu_eval.context_gain [--model MODEL.tar.gz] [--out .build/nlu-eval/context] [--tune]

The case texts are parsed by the trained model in the Rasa runtime (this module again, as
``.venv-rasa/bin/python -m nlu_eval.context_gain --parse MODEL``, its answer cached by model and texts under
``--out``); each case's situation is read from a fresh SQLite CRM holding the demo personas (customers 1 to 4)
and the synthetic customers 101 to 108 that ``add_situations`` sets up, by the copilot's own
``assistant.copilot.context.read_situation``; ``rerank`` then re-ranks the journeys as the copilot does. Prints
the journey accuracy without and with the context, on the whole set and on each half (odd ids: the half the
constants were chosen on; even ids: the other), and the cases the context changed; writes ``report.json``.

``--tune`` sweeps ``assistant.copilot.context.BOOST`` on the odd ids only and prints how each value does there (the
even ids are never looked at to choose it).
"""

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CASES = REPO / "nlu_eval" / "context_cases.jsonl"
OUT = REPO / ".build" / "nlu-eval" / "context"
RASA_PYTHON = REPO / ".venv-rasa" / "bin" / "python"
TODAY = date(2026, 12, 1)  # the demo data's today (tests pin the same day)


# -- the Rasa side: parse the texts --------------------------------------------------------------------------
def _parse_in_rasa(model: str) -> None:
    """Read texts (a JSON list) on stdin, write their parses (a JSON list) on stdout."""
    import contextlib
    import io

    from nlu.evaluate import _quiet, predict

    _quiet()
    texts = json.load(sys.stdin)
    with contextlib.redirect_stdout(io.StringIO()):
        parses, _ = predict(Path(model), texts)
    json.dump(parses, sys.stdout, ensure_ascii=False, default=str)


def newest_model() -> Path:
    models = sorted((REPO / ".build" / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise SystemExit("no trained model in .build/models (copilot nlu train)")
    return models[-1]


def parses_for(model: Path, texts: list[str], out: Path) -> list[dict[str, Any]]:
    """The model's parses of the texts, from the cache when the same model parsed the same texts."""
    key = hashlib.sha256(json.dumps([model.name, texts], ensure_ascii=False).encode()).hexdigest()[:16]
    cache = out / f"parses-{key}.json"
    if cache.exists():
        return json.loads(cache.read_text())
    done = subprocess.run([str(RASA_PYTHON), "-m", "nlu_eval.context_gain", "--parse", str(model)],
                          input=json.dumps(texts), capture_output=True, text=True, cwd=REPO, check=False,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    if done.returncode != 0:
        raise SystemExit(f"the Rasa runtime failed to parse the cases:\n{done.stderr[-3000:]}")
    parses = json.loads(done.stdout)
    out.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(parses, ensure_ascii=False))
    return parses


# -- the CRM side: the situations ----------------------------------------------------------------------------
def add_situations(session: Any) -> None:
    """Synthetic customers 101 to 108, each with the situation its cases are about (lines, orders, events)."""
    from decimal import Decimal

    from crm_core.models import (
        Account,
        CollectionCase,
        Customer,
        CustomerEvent,
        Interaction,
        Line,
        Order,
        OrderStep,
    )

    def customer(cid: int, first: str, last: str, lines: list[tuple[str, str, str]]) -> None:
        session.add(Customer(id=cid, civility="", first_name=first, last_name=last, postcode="69003", city="Lyon",
                             customer_since=date(2021, 1, 4)))
        session.flush()
        session.add(Account(id=cid, customer_id=cid, number=f"CPT0000{cid}", payment_channel="direct_debit"))
        for k, (kind, offer, status) in enumerate(lines):
            session.add(Line(customer_id=cid, number=f"+3370000{cid}{k:02d}", kind=kind, offer_code=offer,
                             status=status, activation_date=date(2021, 1, 4)))
        session.flush()

    def event(cid: int, kind: str, summary: str, opened: date) -> None:
        session.add(CustomerEvent(customer_id=cid, kind=kind, opened_on=opened, summary=summary))

    def order(cid: int, number: str, kind: str, placed: date, steps: list[tuple[str, str, date]]) -> None:
        placed_order = Order(customer_id=cid, number=number, channel="phone", kind=kind, placed_on=placed,
                             status="in_progress")
        session.add(placed_order)
        session.flush()
        for pos, (label, status, expected) in enumerate(steps, start=1):
            session.add(OrderStep(order_id=placed_order.id, position=pos, label=label, status=status,
                                  expected_on=expected, done_on=expected if status == "done" else None))

    customer(101, "Lucas", "Bernard", [("mobile", "MOBILE_100G", "active")])
    event(101, "scheduled_termination", "Résiliation de la ligne mobile au 31 décembre, départ chez un autre opérateur",
          date(2026, 11, 25))
    customer(102, "Nadia", "Benali", [("fixed", "BOX_FIBRE_1G", "active"), ("mobile", "MOBILE_2H", "active")])
    event(102, "complaint", "Technicien absent au rendez-vous du 20 novembre, demande de dédommagement",
          date(2026, 11, 21))
    customer(103, "Thomas", "Petit", [("mobile", "MOBILE_5G_200G", "active")])
    event(103, "withdrawal", "Rétractation de la commande du Pixel 8, colis à retourner", date(2026, 11, 24))
    customer(104, "Martine", "Roux", [("fixed", "BOX_ADSL", "suspended")])
    session.add(CollectionCase(account_id=104, opened_on=date(2026, 10, 20), amount_due=Decimal("87.60"),
                               stage="suspension"))
    event(104, "collection", "Ligne suspendue pour impayé de 87,60 €", date(2026, 11, 20))
    customer(105, "Paul", "Girard", [("fixed", "BOX_FIBRE_2G_TV", "active"), ("mobile", "MOBILE_100G", "active")])
    event(105, "move", "Déménagement à Bordeaux le 15 décembre, transfert de la box à prévoir", date(2026, 11, 26))
    customer(106, "Inès", "Faure", [("fixed", "BOX_FIBRE_1G", "active"), ("mobile", "MOBILE_100G", "active")])
    order(106, "TEL-2611-0311", "Commande mobile iPhone 15", date(2026, 11, 26),
          [("Commande validée", "done", date(2026, 11, 26)), ("Expédition", "done", date(2026, 11, 28)),
           ("Livraison à domicile", "pending", date(2026, 11, 30))])
    customer(107, "Hugo", "Lambert", [("fixed", "BOX_FIBRE_2G_TV", "active"), ("mobile", "MOBILE_5G_200G", "active")])
    session.add_all([
        Interaction(customer_id=107, occurred_at=_at(2026, 11, 25), channel="phone", kind="support",
                    summary="Débit faible le soir : test de ligne lancé, rappel prévu", topic="support"),
        Interaction(customer_id=107, occurred_at=_at(2026, 11, 3), channel="phone", kind="contact",
                    summary="Question sur le forfait mobile", topic="general"),
    ])
    customer(108, "Léa", "Fontaine", [("mobile", "MOBILE_100G", "active")])
    session.flush()


def _at(y: int, m: int, d: int) -> Any:
    from datetime import UTC, datetime

    return datetime(y, m, d, 10, tzinfo=UTC)


def situations(customer_ids: set[int]) -> dict[int, Any]:
    """Each customer's situation, read by the copilot's function from a fresh seeded SQLite CRM."""
    from assistant.copilot.context import read_situation
    from crm_core.core.db import create_schema, make_engine, session_factory, transaction
    from crm_core.seed import seed_reference
    from crm_core.services.habilitations import system_actor

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/crm.sqlite3")
        create_schema(engine)
        factory = session_factory(engine)
        with transaction(factory) as session:
            seed_reference(session)
            add_situations(session)
        with transaction(factory) as session:
            found = {cid: read_situation(session, cid, system_actor(), TODAY) for cid in sorted(customer_ids)}
        engine.dispose()
    return found


# -- scoring -------------------------------------------------------------------------------------------------
def predictions(cases: list[dict[str, Any]], parses: list[dict[str, Any]], found: dict[int, Any],
                boost: float | None = None) -> list[dict[str, Any]]:
    """Each case's journey without and with its situation, as the pop shows it (``nlu.journeys`` rules)."""
    from assistant.copilot.context import BOOST, contextual_parse
    from nlu.journeys import primary_and_secondary

    rows = []
    for case, parse in zip(cases, parses, strict=True):
        before = primary_and_secondary(parse)[0] or "out_of_scope"
        situation = found.get(case["customer_id"]) if case["customer_id"] is not None else None
        after, fired = before, []
        if situation is not None:
            reranked, fired = contextual_parse(parse, situation, BOOST if boost is None else boost)
            after = primary_and_secondary(reranked)[0] or "out_of_scope"
        rows.append({"id": case["id"], "customer_id": case["customer_id"], "text": case["text"],
                     "expected": case["journey"], "before": before, "after": after, "rules": fired})
    return rows


def accuracy(rows: list[dict[str, Any]], key: str) -> float:
    return sum(r[key] == r["expected"] for r in rows) / len(rows) if rows else 0.0


def odd(case_id: str) -> bool:
    return int(case_id.rsplit("-", 1)[1]) % 2 == 1


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    halves = {"all": rows, "odd ids (constants chosen here)": [r for r in rows if odd(r["id"])],
              "even ids (not looked at to choose)": [r for r in rows if not odd(r["id"])]}
    return {
        "accuracy": {name: {"cases": len(part), "without_context": round(accuracy(part, "before"), 3),
                            "with_context": round(accuracy(part, "after"), 3)} for name, part in halves.items()},
        "wrong_to_right": [r for r in rows if r["before"] != r["expected"] == r["after"]],
        "right_to_wrong": [r for r in rows if r["before"] == r["expected"] != r["after"]],
        "wrong_to_other_wrong": [r for r in rows if r["expected"] not in (r["before"], r["after"])
                                 and r["before"] != r["after"]],
        "fired": {rule: sum(rule in r["rules"] for r in rows)
                  for rule in sorted({f for r in rows for f in r["rules"]})},
    }


def tune(cases: list[dict[str, Any]], parses: list[dict[str, Any]], found: dict[int, Any]) -> None:
    """Sweep the boost on the odd ids only (the even ids are never looked at to choose it)."""
    from assistant.copilot.context import BOOST

    half = [(c, p) for c, p in zip(cases, parses, strict=True) if odd(c["id"])]
    print(f"odd ids: {len(half)} cases, {accuracy(predictions(*_split(half), found, 0.0), 'after'):.3f} "
          f"with the not-new-customer rule alone (boost 0)")
    for boost in [b / 10 for b in range(1, 11)]:
        rows = predictions(*_split(half), found, boost)
        broken = [r["id"] for r in rows if r["before"] == r["expected"] != r["after"]]
        wrong = [r["id"] for r in rows if r["after"] != r["expected"]]
        print(f"  boost {boost:.1f}: accuracy {accuracy(rows, 'after'):.3f}, broken {broken}, wrong {wrong}"
              + ("  (current)" if boost == BOOST else ""))


def _split(pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return [c for c, _ in pairs], [p for _, p in pairs]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, help="the trained model (default: the newest in .build/models)")
    parser.add_argument("--cases", type=Path, default=CASES)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--tune", action="store_true", help="sweep the shares on the odd ids")
    parser.add_argument("--parse", metavar="MODEL", help=argparse.SUPPRESS)  # the Rasa runtime's part
    args = parser.parse_args(argv)
    if args.parse:
        _parse_in_rasa(args.parse)
        return
    cases = [json.loads(line) for line in args.cases.read_text().splitlines() if line.strip()]
    model = args.model or newest_model()
    parses = parses_for(model, [c["text"] for c in cases], args.out)
    found = situations({c["customer_id"] for c in cases if c["customer_id"] is not None})
    if args.tune:
        tune(cases, parses, found)
        return
    rows = predictions(cases, parses, found)
    result = {"model": model.name, "cases": str(args.cases.relative_to(REPO)) if args.cases.is_relative_to(REPO)
              else str(args.cases), **summary(rows), "rows": rows}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.json").write_text(json.dumps(result, ensure_ascii=False, indent=1))
    print(f"model {model.name}, {len(cases)} cases ({args.cases.name})")
    for name, acc in result["accuracy"].items():
        print(f"  {name:38s} {acc['cases']:3d} cases: journey accuracy {acc['without_context']:.3f} without "
              f"context → {acc['with_context']:.3f} with it")
    for title, key in (("wrong → right", "wrong_to_right"), ("right → wrong", "right_to_wrong"),
                       ("wrong → another wrong", "wrong_to_other_wrong")):
        print(f"{title}: {len(result[key])}")
        for r in result[key]:
            print(f"  {r['id']} (customer {r['customer_id']}) {r['before']} → {r['after']} "
                  f"[{', '.join(r['rules'])}] expected {r['expected']}: « {r['text']} »")
    print(f"rules fired: {result['fired']}")
    print(f"report: {args.out / 'report.json'}")


if __name__ == "__main__":
    main()
