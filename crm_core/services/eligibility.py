"""Commercial and technical eligibility of the catalogue's offers for one customer (the catalogue filter)."""

import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.core import clock
from crm_core.models import CollectionCase, Coverage, Customer, EligibilityRule, Offer
from crm_core.services.formatting import years_between


@dataclass
class Context:
    customer: Customer
    coverage: Coverage | None
    open_collection: bool
    payer_quality: str
    today: date


@dataclass
class Verdict:
    offer_code: str
    label: str
    eligible: bool
    reasons: list[str] = field(default_factory=list)  # French, one per failed rule
    rules: list[str] = field(default_factory=list)  # the failed rules, in the same order as ``reasons``


@dataclass(frozen=True)
class Rule:
    offer_code: str
    rule: str
    params: dict[str, Any]
    label: str


@dataclass(frozen=True)
class Plan:
    code: str
    label: str
    rules: tuple[Rule, ...]


CATALOGUE_TTL_S = 60.0
_catalogues: dict[int, tuple[float, tuple[Plan, ...]]] = {}


def plans(session: Session) -> tuple[Plan, ...]:
    """The catalogue's plans and their rules, cached per database for a minute (it changes rarely)."""
    key = id(session.get_bind())
    cached = _catalogues.get(key)
    if cached and time.monotonic() - cached[0] < CATALOGUE_TTL_S:
        return cached[1]
    offers = session.scalars(select(Offer).where(Offer.kind == "plan").order_by(Offer.monthly_price))
    rules = session.scalars(select(EligibilityRule).order_by(EligibilityRule.id))
    by_offer: dict[str, list[Rule]] = {}
    for r in rules:
        by_offer.setdefault(r.offer_code, []).append(Rule(r.offer_code, r.rule, dict(r.params or {}), r.label))
    loaded = tuple(Plan(o.code, o.label, tuple(by_offer.get(o.code, ()))) for o in offers)
    _catalogues[key] = (time.monotonic(), loaded)
    return loaded


def forget_catalogue() -> None:
    """Drop the cache (after the catalogue was changed)."""
    _catalogues.clear()


# The 360° field whose content each rule's reason reveals: a failed rule's reason is shown only to whom may
# see that field (``permission_filter.eligibility``), others read a neutral reason. ``no_unpaid`` says
# « impayé en cours »: the payer quality and the unpaid invoices (block billing) tell as much, while the
# collection case itself (stage, amounts, tools) is not named.
REVEALS: dict[str, str] = {
    "min_age": "birth_date",
    "no_unpaid": "payer_quality",
    "segment": "eligibility",  # the customer's segment is commercial data shown nowhere else
    "fibre_available": "postal_address",
    "adsl_min_mbps": "postal_address",
    "mobile_5g": "postal_address",
}


def _passes(rule: Rule, ctx: Context) -> bool:
    p = rule.params or {}
    c, cov = ctx.customer, ctx.coverage
    match rule.rule:
        case "min_age":
            return c.birth_date is not None and years_between(c.birth_date, ctx.today) >= int(p.get("years", 18))
        case "no_unpaid":
            return not ctx.open_collection and ctx.payer_quality != "bad"
        case "segment":
            return c.segment in p.get("in", [])
        case "fibre_available":
            return bool(cov and cov.fibre)
        case "adsl_min_mbps":
            return bool(cov and cov.adsl_max_mbps >= int(p.get("mbps", 0)))
        case "mobile_5g":
            return bool(cov and cov.mobile_5g)
    raise ValueError(f"unknown eligibility rule {rule.rule!r} on offer {rule.offer_code}")


def context_for(session: Session, customer: Customer, account_ids: list[int], payer_quality: str,
                today: date | None = None) -> Context:
    open_collection = bool(account_ids) and session.scalar(
        select(CollectionCase.id).where(CollectionCase.account_id.in_(account_ids),
                                        CollectionCase.status == "open").limit(1)) is not None
    return Context(customer, session.get(Coverage, customer.postcode), open_collection, payer_quality,
                   today or clock.today())


def catalogue_filter(session: Session, ctx: Context, held: set[str]) -> list[Verdict]:
    """Every plan of the catalogue the customer does not hold, eligible first, with why not otherwise."""
    verdicts = []
    for plan in plans(session):
        if plan.code in held:
            continue
        failed = [r for r in plan.rules if not _passes(r, ctx)]
        verdicts.append(Verdict(plan.code, plan.label, not failed, [r.label for r in failed], [r.rule for r in failed]))
    return sorted(verdicts, key=lambda v: not v.eligible)
