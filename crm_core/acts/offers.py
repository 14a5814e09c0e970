"""Journeys "become_customer" and "change_offer": eligibility at an address, the offers to propose, the
customer's creation, the change of plan, options added and removed.

A line's new plan stays in its kind of line: a mobile line takes a mobile plan; a fixed line (the box) takes
a fixed plan or the convergent offer, which the box carries (its discount needs a mobile line too). Options
follow ``offer_engine.incompatibility``: the line's kind, and a TV option only with a plan that has the TV.
The acts on a line choose among the customer's active lines (the line parameter's choices), and the option
and offer choices cover every line of the customer, since they are listed before the line is chosen.
"""

from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from crm_core.acts import offer_engine as engine
from crm_core.acts.account import guardianship_warning
from crm_core.acts.base import (
    Act,
    ActContext,
    ActRefused,
    Change,
    Choices,
    Plan,
    entity,
    euros,
    fr_date,
    line_label,
    register,
)
from crm_core.acts.catalogue import Param
from crm_core.models import Account, Coverage, Customer, EligibilityRule, Interaction, Line, LineOption, Offer, Order
from crm_core.phone import to_national
from crm_core.services import eligibility as elig
from crm_core.services import permission_filter
from crm_core.services import validation as v
from crm_core.services.formatting import years_between
from crm_core.services.validation import FieldInvalid, ValidationFailed
from crm_core.text import fold

ADULT_AGE = 18
PLAN_UNIVERSES = {"mobile": ("mobile",), "fixed": ("fixed", "convergent")}  # line kind -> plans it may take
PROSPECT_WARNING = ("Client non identifié : seules les conditions techniques de l'adresse sont vérifiées ; l'âge, "
                    "les impayés et le segment le seront à la souscription.")


# -- small shared pieces ----------------------------------------------------------------------------------------
def _per_month(amount: Decimal) -> str:
    return f"{euros(amount)}/mois"


def _signed(delta: Decimal) -> str:
    if delta == 0:
        return "même prix"
    return ("+" if delta > 0 else "−") + _per_month(abs(delta))


def _options_text(options: list[Offer]) -> str:
    return ", ".join(f"{o.label} ({_per_month(o.monthly_price)})" for o in options) or "aucune"


def _line(ctx: ActContext, params: dict[str, Any]) -> Line:
    return next(li for li in ctx.lines() if str(li.id) == params["line"])


def _note(ctx: ActContext, customer: Customer, summary: str) -> None:
    """What the act did, as a contact of the customer's history (360° view)."""
    ctx.session.add(Interaction(customer_id=customer.id, occurred_at=ctx.now, channel="phone", kind="contact",
                                summary=summary[:400], advisor_login=ctx.actor.login, topic="general"))


def _guarded(ctx: ActContext, plan: Plan) -> Plan:
    warning = guardianship_warning(ctx.require_customer()) if ctx.can_see("guardianship") else None
    if warning:
        plan.warnings.insert(0, warning)
    return plan


def _catalogue(ctx: ActContext, kind: str) -> list[Offer]:
    return list(ctx.session.scalars(select(Offer).where(Offer.kind == kind).order_by(Offer.monthly_price)))


class _OfferAct(Act):
    """An act with an offer or option parameter: its choices are ``offers``, filled from the offer the caller
    named (NLU entity « offer »)."""

    def offers(self, ctx: ActContext) -> list[Offer]:
        raise NotImplementedError

    def choices(self, ctx: ActContext, param: Param) -> Choices | None:
        if param.type not in ("offer", "option"):
            return super().choices(ctx, param)
        return [(o.code, f"{o.label} — {_per_month(o.monthly_price)}") for o in self.offers(ctx)]

    def defaults(self, ctx: ActContext) -> dict[str, Any]:
        filled = super().defaults(ctx)
        said = entity(ctx.hints, "offer")
        for param in self.spec.params:
            if param.type in ("offer", "option") and said in {code for code, _ in self.choices(ctx, param) or []}:
                filled[param.name] = said
        return filled


# -- eligibility -----------------------------------------------------------------------------------------------
def _prospect_verdicts(ctx: ActContext, coverage: Coverage | None) -> list[elig.Verdict]:
    """The technical rules only: who the caller is (age, unpaid amounts, segment) is not known yet."""
    technical = set(ctx.session.execute(select(EligibilityRule.offer_code, EligibilityRule.rule)
                                        .where(EligibilityRule.kind == "technical")).tuples())
    prospect = elig.Context(Customer(first_name="", last_name=""), coverage, False, "good", ctx.today)
    verdicts = []
    for verdict in elig.catalogue_filter(ctx.session, prospect, set()):
        failed = [(rule, why) for rule, why in zip(verdict.rules, verdict.reasons, strict=True)
                  if (verdict.offer_code, rule) in technical]
        verdicts.append(elig.Verdict(verdict.offer_code, verdict.label, not failed, [why for _, why in failed],
                                     [rule for rule, _ in failed]))
    return sorted(verdicts, key=lambda verdict: not verdict.eligible)


def _verdicts(ctx: ActContext, coverage: Coverage | None = None) -> list[elig.Verdict]:
    """Every plan at that address (by default the customer's), with the reasons the advisor may read
    (``permission_filter.eligibility``); for a caller not identified yet, the technical rules only."""
    if ctx.customer is None:
        verdicts = _prospect_verdicts(ctx, coverage)
    else:
        context = engine.eligibility_context(ctx.session, ctx.customer, ctx.today)
        if coverage is not None:
            context = replace(context, coverage=coverage)
        verdicts = elig.catalogue_filter(ctx.session, context, set())
    return permission_filter.eligibility(verdicts, ctx.actor.permissions)


def _coverage_text(c: Coverage) -> str:
    return ", ".join(("fibre" if c.fibre else "pas de fibre", f"ADSL jusqu'à {c.adsl_max_mbps} Mb/s",
                      "5G" if c.mobile_5g else "pas de 5G"))


@register
class CheckEligibility(Act):
    code = "check_eligibility"

    def defaults(self, ctx: ActContext) -> dict[str, Any]:
        return {"postcode": ctx.customer.postcode} if ctx.customer is not None and ctx.customer.postcode else {}

    def plan(self, ctx: ActContext, params: dict[str, Any]) -> Plan:
        postcode = params["postcode"]
        coverage = ctx.session.get(Coverage, postcode)
        if coverage is None:
            raise ActRefused(f"Code postal {postcode} : adresse hors couverture connue, l'éligibilité ne peut pas "
                             "être testée. Vérifiez le code postal ou orientez vers un test en boutique.", "postcode")
        verdicts = _verdicts(ctx, coverage)
        prices = {o.code: o.monthly_price for o in _catalogue(ctx, "plan")}
        held = {li.offer_code for li in ctx.lines() if li.status == "active"}
        details = [("Couverture", _coverage_text(coverage))]
        for verdict in verdicts:
            said = "possible" if verdict.eligible else "impossible : " + ", ".join(verdict.reasons)
            details.append((f"{verdict.label} — {_per_month(prices[verdict.offer_code])}",
                            said + (" (déjà détenue)" if verdict.offer_code in held else "")))
        possible = [verdict.offer_code for verdict in verdicts if verdict.eligible]
        return Plan(
            f"Au {postcode} ({_coverage_text(coverage)}) : {len(possible)} offre(s) possible(s) sur {len(verdicts)}.",
            details=details, warnings=[PROSPECT_WARNING] if ctx.customer is None else [],
            facts={"postcode": postcode, "eligible": possible,
                   "coverage": {"fibre": coverage.fibre, "adsl_max_mbps": coverage.adsl_max_mbps,
                                "mobile_5g": coverage.mobile_5g},
                   "ineligible": {vd.offer_code: vd.reasons for vd in verdicts if not vd.eligible}})


# -- the offers to propose -------------------------------------------------------------------------------------
def _recommendation_text(r: engine.Recommendation) -> str:
    against = f" par rapport à « {r.line.offer.label} »" if r.offer.kind == "plan" and r.line else ""
    parts = [_signed(r.price_delta) + against, r.commitment, "critères : " + ", ".join(r.reasons)]
    if r.cross_sell:
        parts.append("à proposer aussi : " + " ; ".join(r.cross_sell))
    return " — ".join(parts)


def _recommendation_facts(r: engine.Recommendation) -> dict[str, Any]:
    return {"code": r.offer.code, "label": r.offer.label, "kind": r.offer.kind,
            "line": r.line.number if r.line else None, "monthly_price": str(r.offer.monthly_price),
            "price_delta": str(r.price_delta), "score": r.score, "reasons": r.reasons, "commitment": r.commitment,
            "commitment_end": r.commitment_end.isoformat() if r.commitment_end else None,
            "removed_options": [o.code for o in r.removed_options], "cross_sell": r.cross_sell}


@register
class RecommendOffers(Act):
    code = "recommend_offers"
    traced_facts = ("offered",)  # the offers proposed (the steering's commercial figures)

    def plan(self, ctx: ActContext, params: dict[str, Any]) -> Plan:
        customer = ctx.require_customer()
        found = engine.recommend(ctx.session, customer, ctx.today)
        details = []
        for rank, r in enumerate(found, start=1):
            where = f" (ligne {to_national(r.line.number)})" if r.offer.kind == "option" and r.line else ""
            details.append((f"{rank}. {r.offer.label} — {_per_month(r.offer.monthly_price)}{where}",
                            _recommendation_text(r)))
        summary = (f"{len(found)} offre(s) à proposer ; en tête : {found[0].offer.label} "
                   f"({', '.join(found[0].reasons)})." if found else
                   "Aucune offre à proposer : le client détient déjà tout ce à quoi il est éligible.")
        warnings = []
        if not engine.themes_of(customer.interests):
            warnings.append("Aucun centre d'intérêt exploitable au dossier : classement selon les offres détenues.")
        if ctx.can_see("orders"):
            orders = ctx.session.scalars(select(Order).where(Order.customer_id == customer.id,
                                                             Order.status == "in_progress").order_by(Order.id))
            warnings += [f"Commande en cours {o.number} ({o.kind}) : à vérifier avant de proposer." for o in orders]
        return Plan(summary, details=details, warnings=warnings,
                    facts={"recommendations": [_recommendation_facts(r) for r in found],
                           "offered": [r.offer.code for r in found]})


# -- the customer's creation -----------------------------------------------------------------------------------
def _refuse_duplicate(ctx: ActContext, params: dict[str, Any]) -> None:
    """Refused when the customer already has a file: same name and birth date, or the same phone number."""
    same_name = ctx.session.scalars(select(Customer).where(Customer.last_name_key == fold(params["last_name"]),
                                                           Customer.birth_date == params["birth_date"]))
    twin = next((c for c in same_name if fold(c.first_name) == fold(params["first_name"])), None)
    if twin is not None:
        raise ActRefused(f"Ce client existe déjà : dossier n° {twin.id} ({twin.first_name} {twin.last_name}, "
                         f"né(e) le {fr_date(twin.birth_date)}). Ouvrez ce dossier au lieu d'en créer un second.")
    phone = params["contact_phone"]
    owner_id = ctx.session.scalar(select(Customer.id).where(Customer.contact_phone == phone).order_by(Customer.id)
                                  .limit(1)) or ctx.session.scalar(select(Line.customer_id).where(Line.number == phone))
    if owner_id is not None:
        owner = ctx.session.get(Customer, owner_id)
        raise ActRefused(f"Le numéro {to_national(phone)} est déjà celui du dossier n° {owner_id} ({owner.first_name} "
                         f"{owner.last_name}) : ouvrez ce dossier s'il s'agit du même client.", "contact_phone")


@register
class CreateCustomer(Act):
    code = "create_customer"

    def defaults(self, ctx: ActContext) -> dict[str, Any]:
        filled = super().defaults(ctx)  # the contact phone: the number the caller calls from
        filled.pop("birth_date", None)  # a date said in the call (a delivery, a move) is not a birth date
        city = entity(ctx.hints, "city")
        if city:
            filled["city"] = city
        return filled

    def plan(self, ctx: ActContext, params: dict[str, Any]) -> Plan:
        born = params["birth_date"]
        try:
            v.past_date("birth_date", born, "La date de naissance")
        except FieldInvalid as exc:
            raise ValidationFailed([exc]) from exc
        age = years_between(born, ctx.today)
        if age < ADULT_AGE:
            raise ActRefused(f"Le titulaire doit être majeur : {age} ans au {fr_date(ctx.today)}. Un mineur souscrit "
                             "par son représentant légal, titulaire du contrat.", "birth_date")
        _refuse_duplicate(ctx, params)
        name = f"{params['civility']} {params['first_name']} {params['last_name']}"
        address = f"{params['address_line']}, {params['postcode']} {params['city']}"
        changes = [Change("identity", "Client", "—", name),
                   Change("birth_date", "Date de naissance", "—", fr_date(born)),
                   Change("postal_address", "Adresse", "—", address),
                   Change("phones", "Téléphone de contact", "—", to_national(params["contact_phone"]))]
        if params.get("email"):
            changes.append(Change("email", "E-mail", "—", params["email"]))
        plan = Plan(f"Fiche client créée pour {name}.", changes,
                    details=[("Compte de facturation", "créé, payé par virement tant qu'aucun autre moyen n'est "
                                                       "enregistré")],
                    warnings=["Enregistrez ensuite le moyen de paiement (« Changer le mode de paiement »)."])

        def apply() -> str:
            fields = ("civility", "first_name", "last_name", "birth_date", "contact_phone", "email", "address_line",
                      "postcode", "city")
            customer = Customer(**{f: params.get(f) for f in fields}, customer_since=ctx.today, interests=[],
                                life_moments=[])
            ctx.session.add(customer)
            ctx.session.flush()
            account = Account(customer_id=customer.id, number=f"CPT{customer.id:07d}", payment_channel="transfer")
            ctx.session.add(account)
            _note(ctx, customer, f"Fiche client créée par téléphone (compte {account.number})")
            ctx.session.flush()
            ctx.customer = customer
            plan.facts["ref"] = {"customer": customer.id, "account": account.id}
            return f"Fiche client n° {customer.id} créée pour {name} (compte {account.number})."

        plan.apply = apply
        return plan


# -- the plan of a line ----------------------------------------------------------------------------------------
@register
class ChangeOffer(_OfferAct):
    code = "change_offer"

    def offers(self, ctx: ActContext) -> list[Offer]:
        universes = {u for li in ctx.lines() if li.status == "active" for u in PLAN_UNIVERSES[li.kind]}
        return [o for o in _catalogue(ctx, "plan") if not universes or o.universe in universes]

    def plan(self, ctx: ActContext, params: dict[str, Any]) -> Plan:
        customer = ctx.require_customer()
        line = _line(ctx, params)
        offer = ctx.session.get(Offer, params["offer_code"])
        number = to_national(line.number)
        if offer.universe not in PLAN_UNIVERSES[line.kind]:
            raise ActRefused(f"« {offer.label} » ne se prend pas sur la ligne {engine.KIND_LABELS[line.kind]} "
                             f"{number} : choisissez une offre {engine.KIND_LABELS[line.kind]}.", "offer_code")
        if offer.code == line.offer_code:
            raise ActRefused(f"La ligne {number} a déjà l'offre « {offer.label} ».", "offer_code")
        verdict = next(vd for vd in _verdicts(ctx) if vd.offer_code == offer.code)
        if not verdict.eligible:
            raise ActRefused(f"Le client n'est pas éligible à « {offer.label} » : {', '.join(verdict.reasons)}.",
                             "offer_code")
        dropped = engine.dropped_options(offer, line)
        removed = [o.option for o in dropped]
        end = engine.new_commitment_end(offer, line.commitment_end, ctx.today)
        delta = engine.price_delta(offer, line, removed)
        changes = [Change("offers_options", f"Offre de la ligne {number}",
                          f"{line.offer.label} ({_per_month(line.offer.monthly_price)})",
                          f"{offer.label} ({_per_month(offer.monthly_price)})")]
        if dropped:
            held = [o.option for o in line.options]
            changes.append(Change("offers_options", f"Options de la ligne {number}", _options_text(held),
                                  _options_text([o for o in held if o not in removed])))
        if end != line.commitment_end:
            changes.append(Change("activation_commitment", f"Fin d'engagement de la ligne {number}",
                                  fr_date(line.commitment_end) if line.commitment_end else "sans engagement",
                                  fr_date(end)))
        plan = Plan(f"Ligne {number} : « {line.offer.label} » → « {offer.label} » ({_signed(delta)}).", changes,
                    details=[("Ligne", line_label(line)), ("Écart de prix", _signed(delta)),
                             ("Engagement", engine.commitment_phrase(offer, line, ctx.today))],
                    warnings=self._warnings(ctx, line, offer, dropped),
                    facts={"line": line.number, "from": line.offer_code, "to": offer.code, "price_delta": str(delta),
                           "commitment_end": end.isoformat() if end else None,
                           "removed_options": [o.code for o in removed]})

        def apply() -> None:
            before = line.offer.label
            line.offer_code, line.offer, line.commitment_end = offer.code, offer, end
            for option in dropped:
                line.options.remove(option)
            _note(ctx, customer, f"Changement d'offre de la ligne {number} : {before} → {offer.label} "
                                 f"({_signed(delta)})" + (f", options retirées : {_options_text(removed)}"
                                                          if removed else ""))

        plan.apply = apply
        return _guarded(ctx, plan)

    def _warnings(self, ctx: ActContext, line: Line, offer: Offer, dropped: list[LineOption]) -> list[str]:
        warnings = []
        if offer.monthly_price > line.offer.monthly_price:
            warnings.append("Montée en gamme : aucun frais de résiliation ne s'applique.")
        if dropped:
            warnings.append("Options retirées, incompatibles avec la nouvelle offre : " + ", ".join(
                engine.incompatibility(o.option, offer) or o.option.label for o in dropped) + ".")
        if offer.universe == "convergent" and not [li for li in ctx.lines("mobile") if li.status == "active"]:
            warnings.append("Le client n'a pas de ligne mobile : la remise convergence suppose une box et un mobile.")
        if offer.procedure:
            warnings.append(offer.procedure)
        return warnings


# -- options ---------------------------------------------------------------------------------------------------
@register
class AddOption(_OfferAct):
    code = "add_option"

    def offers(self, ctx: ActContext) -> list[Offer]:
        kinds = {li.kind for li in ctx.lines() if li.status == "active"}
        return [o for o in _catalogue(ctx, "option") if not kinds or o.for_universe is None or o.for_universe in kinds]

    def plan(self, ctx: ActContext, params: dict[str, Any]) -> Plan:
        customer = ctx.require_customer()
        line = _line(ctx, params)
        option = ctx.session.get(Offer, params["option_code"])
        number = to_national(line.number)
        why = engine.incompatibility(option, line.offer)
        if why:
            raise ActRefused(f"Option impossible sur la ligne {number} : {why}.", "option_code")
        held = [o.option for o in line.options]
        if option in held:
            raise ActRefused(f"La ligne {number} a déjà l'option « {option.label} ».", "option_code")
        plan = Plan(f"Option « {option.label} » ajoutée sur la ligne {number} (+{_per_month(option.monthly_price)}).",
                    [Change("offers_options", f"Options de la ligne {number}", _options_text(held),
                            _options_text([*held, option]))],
                    details=[("Ligne", line_label(line)), ("Prix", f"+{_per_month(option.monthly_price)}"),
                             ("Engagement", "sans engagement")],
                    facts={"line": line.number, "option": option.code})

        def apply() -> None:
            line.options.append(LineOption(option_code=option.code, option=option, activated_on=ctx.today))
            _note(ctx, customer, f"Option « {option.label} » ajoutée sur la ligne {number}")

        plan.apply = apply
        return _guarded(ctx, plan)


@register
class RemoveOption(_OfferAct):
    code = "remove_option"

    def offers(self, ctx: ActContext) -> list[Offer]:
        held = {o.option_code: o.option for li in ctx.lines() if li.status == "active" for o in li.options}
        return sorted(held.values(), key=lambda o: (o.monthly_price, o.code))

    def plan(self, ctx: ActContext, params: dict[str, Any]) -> Plan:
        customer = ctx.require_customer()
        line = _line(ctx, params)
        number = to_national(line.number)
        held = next((o for o in line.options if o.option_code == params["option_code"]), None)
        if held is None:
            label = ctx.session.get(Offer, params["option_code"]).label
            raise ActRefused(f"La ligne {number} n'a pas l'option « {label} ».", "option_code")
        option = held.option
        options = [o.option for o in line.options]
        plan = Plan(f"Option « {option.label} » retirée de la ligne {number} (−{_per_month(option.monthly_price)}).",
                    [Change("offers_options", f"Options de la ligne {number}", _options_text(options),
                            _options_text([o for o in options if o is not option]))],
                    details=[("Ligne", line_label(line)), ("Prix", f"−{_per_month(option.monthly_price)}")],
                    facts={"line": line.number, "option": option.code})

        def apply() -> None:
            line.options.remove(held)
            _note(ctx, customer, f"Option « {option.label} » retirée de la ligne {number}")

        plan.apply = apply
        return _guarded(ctx, plan)
