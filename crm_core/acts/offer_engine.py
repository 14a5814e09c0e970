"""Which offers to propose to a customer, and why: the catalogue filter, then a score anyone can read.

``recommend`` keeps the plans the customer is commercially and technically eligible for (the catalogue
filter, ``services.eligibility``) and the options that fit a line they hold, then ranks them by criteria,
one function each, with the reason each gives in French:

* what the customer holds: a dearer plan in a universe they hold (upgrade) first, a plan of a universe they
  do not hold (cross-sell), an option for a held line, a cheaper plan last (retention only);
* convergence: the convergent offer (box + mobile) for a customer with a mobile, or the missing half of
  box + mobile;
* interests (``THEMES``): « séries TV » → the TV offers, « football » → sport, « jeux vidéo » → fibre and 5G,
  « voyages » → roaming and international calls;
* what the change costs: a held option the new plan cannot carry is removed (points lost), an ADSL box is
  proposed after the fibre when the fibre is possible (the catalogue's procedure).

Each recommendation says the monthly price difference against what the customer holds in that universe
(the line's plan and the options it would lose), the commitment it brings and what to propose with it.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.models import Account, Customer, Line, LineOption, Offer
from crm_core.phone import to_national
from crm_core.services import eligibility as elig
from crm_core.services.formatting import add_months, eur
from crm_core.services.formatting import d as fr_date
from crm_core.text import fold

# -- points of each criterion -------------------------------------------------------------------------------
UPGRADE = 45  # a dearer plan in a universe the customer holds
CROSS_SELL = 20  # a plan of a universe the customer does not hold yet
OPTION = 10  # an option for a line the customer holds
DOWNGRADE = 0  # a plan no dearer than the held one: for retention only
CONVERGENT_OFFER = 20  # the convergent offer, for a customer who has a mobile (its discount needs both)
MISSING_HALF = 15  # a box for a mobile-only customer, a mobile for a box-only one
INTEREST = 20  # per interest theme the offer matches
LOST_OPTION = 10  # per held option the new plan cannot carry (plus INTEREST per theme that option matched)
SUPERSEDED = 15  # an ADSL box while the fibre is possible: « proposer la fibre avant tout changement »

SUPERSEDED_BY = {"adsl": "fibre"}  # technology -> the one to propose first when it is possible
TV_PLANS = frozenset({"BOX_FIBRE_2G_TV"})  # the plans that come with a TV decoder
TV_OPTIONS = frozenset({"OPT_TV_SPORT"})  # the options watched on that decoder
KIND_LABELS = {"mobile": "mobile", "fixed": "fixe"}


@dataclass(frozen=True)
class Theme:
    """An interest the offers can serve: matched on the start of words of the customer's folded interests."""

    name: str  # French, shown
    keywords: tuple[str, ...]  # folded
    codes: frozenset[str] = frozenset()
    technologies: frozenset[str] = frozenset()

    def said_in(self, interest: str) -> bool:
        folded = fold(interest)
        return any(re.search(rf"\b{re.escape(k)}", folded) for k in self.keywords)

    def matches(self, offer: Offer) -> bool:
        return offer.code in self.codes or offer.technology in self.technologies


THEMES = (
    Theme("TV et séries", ("serie", "film", "cinema", "tv", "television"),
          codes=frozenset({"BOX_FIBRE_2G_TV", "OPT_TV_SPORT"})),
    Theme("sport", ("foot", "sport", "rugby", "tennis"), codes=frozenset({"OPT_TV_SPORT"})),
    Theme("jeux vidéo et très haut débit", ("jeux video", "jeu video", "gaming", "streaming", "teletravail"),
          technologies=frozenset({"fibre", "5g"})),
    Theme("voyages", ("voyage", "etranger", "international"), codes=frozenset({"OPT_DATA_EU", "OPT_INTERNATIONAL"})),
)


def themes_of(interests: list[str] | None) -> list[Theme]:
    """The themes the customer's interests speak of, in ``THEMES`` order."""
    return [t for t in THEMES if any(t.said_in(i) for i in interests or [])]


# -- what goes with what --------------------------------------------------------------------------------------
def line_kind(universe: str) -> str:
    """The kind of line a plan of that universe goes on: a convergent offer is carried by the box."""
    return "mobile" if universe == "mobile" else "fixed"


def incompatibility(option: Offer, plan: Offer) -> str | None:
    """Why the option cannot go with that plan (French), or None."""
    kind = line_kind(plan.universe)
    if option.for_universe and option.for_universe != kind:
        return f"« {option.label} » n'existe pas sur une ligne {KIND_LABELS[kind]}"
    if option.code in TV_OPTIONS and plan.code not in TV_PLANS:
        return f"« {option.label} » demande une offre avec la TV"
    return None


def new_commitment_end(offer: Offer, current: date | None, today: date) -> date | None:
    """The line's commitment end once on ``offer``: today + its months; unchanged for an offer without any."""
    return add_months(today, offer.commitment_months) if offer.commitment_months else current


def commitment_phrase(offer: Offer, line: Line | None, today: date) -> str:
    """« réengagement de 12 mois, jusqu'au 01/12/2027 » or « sans engagement » (French)."""
    months = offer.commitment_months
    if offer.kind == "plan" and months:
        word = "réengagement" if line is not None else "engagement"
        return f"{word} de {months} mois, jusqu'au {fr_date(add_months(today, months))}"
    current = line.commitment_end if line is not None else None
    return "sans engagement" + (f" (engagement en cours jusqu'au {fr_date(current)} inchangé)"
                                if current and current > today else "")


# -- the customer as the criteria see them --------------------------------------------------------------------
@dataclass
class Holdings:
    lines: list[Line]  # active ones
    themes: list[Theme]
    eligible_plans: list[Offer] = field(default_factory=list)

    @property
    def kinds(self) -> set[str]:
        return {li.kind for li in self.lines}

    def line_for(self, offer: Offer) -> Line | None:
        """The held line a plan would go on (the first active line of its kind), None for a new line."""
        return next((li for li in self.lines if li.kind == line_kind(offer.universe)), None)


Score = tuple[int, list[str]]  # points, French reasons


def holding_points(offer: Offer, line: Line | None) -> Score:
    if offer.kind == "option":
        return OPTION, [f"option pour la ligne {to_national(line.number)}" if line else "option"]
    if line is None:
        return CROSS_SELL, [f"nouvelle ligne {KIND_LABELS[line_kind(offer.universe)]} pour le client"]
    if offer.monthly_price > line.offer.monthly_price:
        return UPGRADE, [f"montée en gamme de « {line.offer.label} »"]
    return DOWNGRADE, [f"moins cher que « {line.offer.label} » (fidélisation)"]


def convergence_points(offer: Offer, kinds: set[str]) -> Score:
    if offer.kind != "plan":
        return 0, []
    if offer.universe == "convergent" and "mobile" in kinds:
        return CONVERGENT_OFFER, ["box + mobile : remise convergence"]
    kind = line_kind(offer.universe)
    if kind not in kinds and kinds - {kind}:
        return MISSING_HALF, ["complète box + mobile"]
    return 0, []


def interest_points(offer: Offer, themes: list[Theme]) -> Score:
    matched = [t.name for t in themes if t.matches(offer)]
    return INTEREST * len(matched), [f"intérêt : {name}" for name in matched]


def lost_option_points(removed: list[Offer], themes: list[Theme]) -> Score:
    points, reasons = 0, []
    for option in removed:
        points -= LOST_OPTION + INTEREST * sum(t.matches(option) for t in themes)
        reasons.append(f"retire « {option.label} »")
    return points, reasons


def technology_points(offer: Offer, eligible_plans: list[Offer]) -> Score:
    better = SUPERSEDED_BY.get(offer.technology or "")
    if better and any(p.technology == better for p in eligible_plans):
        return -SUPERSEDED, [f"la {better} est possible à l'adresse : à proposer d'abord"]
    return 0, []


def score(offer: Offer, line: Line | None, removed: list[Offer], holdings: Holdings) -> Score:
    """Every criterion's points and reasons, summed."""
    total, reasons = 0, []
    for points, said in (holding_points(offer, line), convergence_points(offer, holdings.kinds),
                         interest_points(offer, holdings.themes), lost_option_points(removed, holdings.themes),
                         technology_points(offer, holdings.eligible_plans)):
        total += points
        reasons += said
    return total, reasons


# -- the recommendations --------------------------------------------------------------------------------------
@dataclass
class Recommendation:
    offer: Offer
    line: Line | None  # the held line it goes on; None: a new line
    price_delta: Decimal  # per month, against what the customer holds in that universe
    commitment_end: date | None  # of the line once changed (None: none)
    commitment: str  # French
    score: int
    reasons: list[str]
    removed_options: list[Offer] = field(default_factory=list)
    cross_sell: list[str] = field(default_factory=list)  # French: what to propose with it


def price_delta(offer: Offer, line: Line | None, removed: list[Offer]) -> Decimal:
    """What the customer would pay more (or less) per month: the new plan against the line's plan and the
    options it would lose; an option or a new line costs its whole price."""
    if offer.kind == "option" or line is None:
        return offer.monthly_price
    return offer.monthly_price - line.offer.monthly_price - sum((o.monthly_price for o in removed), Decimal("0"))


def dropped_options(plan: Offer, line: Line | None) -> list[LineOption]:
    """The line's options the plan cannot carry: a change to that plan removes them."""
    return [o for o in (line.options if line else []) if incompatibility(o.option, plan)]


def cross_sell(offer: Offer, line: Line | None, holdings: Holdings, options: list[Offer]) -> list[str]:
    """What to propose with a plan: the options the customer's interests ask for, the other half of box + mobile."""
    if offer.kind != "plan":
        return []
    held = {o.option_code for o in line.options} if line else set()
    said = [f"{o.label} (+{eur(o.monthly_price)}/mois) : {t.name}" for o in options for t in holdings.themes
            if o.code not in held and t.matches(o) and incompatibility(o, offer) is None]
    kind = line_kind(offer.universe)
    other = "fixed" if kind == "mobile" else "mobile"
    if other not in holdings.kinds and offer.universe != "convergent":
        wanted = ("convergent",) if kind == "mobile" else ("mobile",)
        complement = next((p for p in holdings.eligible_plans if p.universe in wanted), None)
        if complement is not None:
            said.append(f"{complement.label} ({eur(complement.monthly_price)}/mois) : box + mobile")
    return list(dict.fromkeys(said))


def eligibility_context(session: Session, customer: Customer, today: date) -> elig.Context:
    """The catalogue filter's context for the customer: their address's coverage, unpaid amounts, payer quality."""
    accounts = list(session.scalars(select(Account).where(Account.customer_id == customer.id).order_by(Account.id)))
    return elig.context_for(session, customer, [a.id for a in accounts],
                            accounts[0].payer_quality if accounts else "good", today)


def _holdings(session: Session, customer: Customer, today: date, offers: dict[str, Offer]) -> Holdings:
    lines = [li for li in customer.lines if li.status == "active"]
    verdicts = elig.catalogue_filter(session, eligibility_context(session, customer, today),
                                     {li.offer_code for li in lines})
    eligible = [offers[v.offer_code] for v in verdicts if v.eligible]
    return Holdings(lines, themes_of(customer.interests), sorted(eligible, key=lambda o: o.monthly_price))


def _candidates(holdings: Holdings, options: list[Offer]) -> list[tuple[Offer, Line | None]]:
    """The eligible plans, each on the line it would go on, and each option once, on the first line it fits."""
    found: list[tuple[Offer, Line | None]] = [(p, holdings.line_for(p)) for p in holdings.eligible_plans]
    for option in options:
        line = next((li for li in holdings.lines if incompatibility(option, li.offer) is None
                     and option.code not in {o.option_code for o in li.options}), None)
        if line is not None:
            found.append((option, line))
    return found


def recommend(session: Session, customer: Customer, today: date) -> list[Recommendation]:
    """The offers the customer may take, best first (score, then the smallest change in price, then code)."""
    offers = {o.code: o for o in session.scalars(select(Offer).order_by(Offer.monthly_price, Offer.code))}
    options = [o for o in offers.values() if o.kind == "option"]
    holdings = _holdings(session, customer, today, offers)
    found = []
    for offer, line in _candidates(holdings, options):
        removed = [o.option for o in dropped_options(offer, line)] if offer.kind == "plan" else []
        points, reasons = score(offer, line, removed, holdings)
        end = new_commitment_end(offer, line.commitment_end if line else None, today) if offer.kind == "plan" \
            else (line.commitment_end if line else None)
        found.append(Recommendation(offer, line, price_delta(offer, line, removed), end,
                                    commitment_phrase(offer, line, today), points, reasons, removed,
                                    cross_sell(offer, line, holdings, options)))
    return sorted(found, key=lambda r: (-r.score, abs(r.price_delta), r.offer.code))
