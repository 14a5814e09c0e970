"""Journey "move": the new address checked against the catalogue filter, the box transfer and its technician.

The box (a fixed or convergent line) moves only if its offer is technically possible at the new address
(the catalogue filter run with the new postcode's coverage); otherwise the move is refused with the box
offers possible there. The transfer happens on the move date; a fibre box needs a technician, on a free
slot of the new département from that date. A mobile-only customer only changes address.
"""

from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import select

from crm_core.acts import slots
from crm_core.acts.account import guardianship_warning
from crm_core.acts.base import Act, ActContext, ActRefused, Change, Plan, entity, euros, fr_date, line_label, register
from crm_core.models import Account, Coverage, CustomerEvent, EligibilityRule, Line, Offer, Order
from crm_core.phone import to_national
from crm_core.services import eligibility as elig
from crm_core.services.formatting import add_months
from crm_core.text import fold

MAX_MONTHS_AHEAD = 6
BOX_UNIVERSES = ("fixed", "convergent")


def _address(line: str, postcode: str, city: str) -> str:
    return f"{line}, {postcode} {city}"


def _same(a: str, b: str) -> bool:
    return " ".join(fold(a).replace(",", " ").split()) == " ".join(fold(b).replace(",", " ").split())


def _boxes(ctx: ActContext) -> list[Line]:
    return [li for li in ctx.lines() if li.status == "active"
            and (li.kind == "fixed" or li.offer.universe == "convergent")]


def _verdicts(ctx: ActContext, coverage: Coverage) -> dict[str, elig.Verdict]:
    """Every plan of the catalogue for this customer at the new address, by code (held ones included)."""
    customer = ctx.require_customer()
    accounts = list(ctx.session.scalars(select(Account).where(Account.customer_id == customer.id)))
    quality = accounts[0].payer_quality if accounts else "good"
    here = elig.context_for(ctx.session, customer, [a.id for a in accounts], quality, ctx.today)
    there = replace(here, coverage=coverage)
    return {v.offer_code: v for v in elig.catalogue_filter(ctx.session, there, held=set())}


def _technical_failures(ctx: ActContext, line: Line, verdict: elig.Verdict | None) -> list[str]:
    """Why the line's offer is not possible at the new address, its technical rules only (French)."""
    if verdict is None or verdict.eligible:
        return []
    technical = set(ctx.session.scalars(select(EligibilityRule.rule).where(
        EligibilityRule.offer_code == line.offer_code, EligibilityRule.kind == "technical")))
    return [reason for reason, rule in zip(verdict.reasons, verdict.rules, strict=True) if rule in technical]


def _box_offers(ctx: ActContext, verdicts: dict[str, elig.Verdict]) -> list[Offer]:
    """The box plans possible for this customer at the new address, cheapest first."""
    offers = ctx.session.scalars(select(Offer).where(Offer.kind == "plan", Offer.universe.in_(BOX_UNIVERSES))
                                 .order_by(Offer.monthly_price))
    return [o for o in offers if o.code in verdicts and verdicts[o.code].eligible]


def _free_slots(ctx: ActContext, postcode: str, from_day: date) -> list[tuple[str, str]]:
    every = slots.free_slots(ctx.session, postcode, ctx.today, limit=2 * len(slots.HALF_DAYS) * slots.DAYS_AHEAD)
    return [(value, label) for value, label in every if date.fromisoformat(value[:10]) >= from_day]


@register
class MoveAddress(Act):
    code = "move_address"

    def defaults(self, ctx: ActContext) -> dict[str, Any]:
        filled = super().defaults(ctx)
        city = entity(ctx.hints, "city")
        if city:
            filled["city"] = city
        return filled

    def plan(self, ctx: ActContext, params: dict[str, Any]) -> Plan:
        customer = ctx.require_customer()
        postcode, on = params["postcode"], params["move_date"]
        old = _address(customer.address_line, customer.postcode, customer.city)
        new = _address(params["address_line"], postcode, params["city"])
        if _same(old, new):
            raise ActRefused("Cette adresse est déjà celle du dossier : rien à modifier.", "address_line")
        if on < ctx.today:
            raise ActRefused("La date du transfert ne peut pas être passée.", "move_date")
        latest = add_months(ctx.today, MAX_MONTHS_AHEAD)
        if on > latest:
            raise ActRefused(f"Le déménagement s'enregistre au plus {MAX_MONTHS_AHEAD} mois à l'avance (jusqu'au "
                             f"{fr_date(latest)}) : rappelez plus tard pour le programmer.", "move_date")
        coverage = ctx.session.get(Coverage, postcode)
        if coverage is None:
            raise ActRefused(f"Adresse hors couverture connue (code postal {postcode}) : l'éligibilité ne peut pas "
                             "être vérifiée ; faites tester l'adresse par le service technique.", "postcode")
        verdicts = _verdicts(ctx, coverage)
        boxes = _boxes(ctx)
        possible = _box_offers(ctx, verdicts)
        for box in boxes:
            failed = _technical_failures(ctx, box, verdicts.get(box.offer_code))
            if failed:
                there = (", ".join(f"{o.label} ({euros(o.monthly_price)}/mois)" for o in possible)
                         if possible else "aucune")
                raise ActRefused(f"Déménagement impossible avec l'offre actuelle : « {box.offer.label} » n'est pas "
                                 f"disponible au {postcode} ({', '.join(failed)}). Offres box possibles à cette "
                                 f"adresse : {there}. Changez d'offre avant d'enregistrer le déménagement.",
                                 "postcode")
        plan = Plan(f"Déménagement : nouvelle adresse {new}"
                    + (f", transfert de la box le {fr_date(on)}." if boxes else "."),
                    [Change("postal_address", "Adresse postale", old, new)],
                    details=[("Nouvelle adresse", new),
                             ("Date du transfert" if boxes else "Date du déménagement", fr_date(on))],
                    warnings=["Les factures et courriers partiront à la nouvelle adresse."],
                    facts={"postcode": postcode, "move_date": on.isoformat(), "boxes": [b.number for b in boxes],
                           "slot": None})
        slot = self._slot(ctx, params.get("slot"), boxes, postcode, on, plan)
        self._advise(ctx, boxes, verdicts, possible, plan)
        box = boxes[0] if boxes else None

        def apply() -> None:
            customer.address_line, customer.postcode, customer.city = params["address_line"], postcode, params["city"]
            appointment = None
            if slot is not None:
                appointment = slots.book(ctx.session, customer_id=customer.id, line_id=box.id if box else None,
                                         postcode=postcode, value=slot, kind="move", login=ctx.actor.login)
            event = CustomerEvent(
                customer_id=customer.id, kind="move", opened_on=ctx.today, due_on=on, line_id=box.id if box else None,
                summary=(f"Déménagement au {new} le {fr_date(on)}"
                         + (", transfert de la box" if box else ""))[:300],
                details={"from": old, "to": new, "transfer_on": on.isoformat() if box else None,
                         "lines": [b.number for b in boxes], "slot": slot,
                         "appointment": appointment.id if appointment else None})
            ctx.session.add(event)
            ctx.session.flush()
            plan.facts["ref"] = {"event": event.id, "appointment": appointment.id if appointment else None}

        plan.apply = apply
        return plan

    def _slot(self, ctx: ActContext, slot: str | None, boxes: list[Line], postcode: str, on: date,
              plan: Plan) -> str | None:
        """The technician's slot to book (checked free in the new département, from the move date), or None."""
        if not boxes:
            if slot:
                plan.warnings.append("Client sans box : pas de technicien à prévoir, le créneau indiqué n'est pas "
                                     "réservé.")
            return None
        free = _free_slots(ctx, postcode, on)
        fibre = any(b.offer.technology == "fibre" for b in boxes)
        offered = ", ".join(label for _, label in free[:4])
        if slot and slot not in dict(free):
            raise ActRefused(f"Ce créneau n'est pas libre au {postcode} à partir du {fr_date(on)}"
                             + (f" : créneaux possibles : {offered}." if free else " : aucun créneau libre."), "slot")
        if not slot and fibre and free:
            raise ActRefused(f"Le transfert de la box fibre demande un technicien : choisissez un créneau à partir du "
                             f"{fr_date(on)} ({offered}…).", "slot")
        if not slot and fibre:
            plan.warnings.append(f"Aucun créneau technicien libre à partir du {fr_date(on)} pour l'instant (ils "
                                 f"s'ouvrent {slots.DAYS_AHEAD} jours à l'avance) : prenez le rendez-vous plus tard "
                                 "(« Prendre un rendez-vous technicien »).")
        if slot:
            plan.details.append(("Technicien", f"{dict(free)[slot]} au {postcode}"))
        plan.facts["slot"] = slot
        return slot

    def _advise(self, ctx: ActContext, boxes: list[Line], verdicts: dict[str, elig.Verdict], possible: list[Offer],
                plan: Plan) -> None:
        """What the advisor tells beyond the move: the lines' coverage there, a better box, a move in progress."""
        customer = ctx.require_customer()
        for box in boxes:
            plan.details.append(("Transfert de la box", f"{line_label(box)} : possible à la nouvelle adresse"))
            fibre = [o for o in possible if o.technology == "fibre"]
            if box.offer.technology != "fibre" and fibre:
                plan.warnings.append(f"La fibre est disponible à la nouvelle adresse : proposez {fibre[0].label} "
                                     f"({euros(fibre[0].monthly_price)}/mois).")
        for line in ctx.lines():
            if line.status == "active" and line not in boxes:
                failed = _technical_failures(ctx, line, verdicts.get(line.offer_code))
                if failed:
                    plan.warnings.append(f"Ligne {to_national(line.number)} ({line.offer.label}) : "
                                         f"{', '.join(failed)} à la nouvelle adresse.")
        ongoing = ctx.session.scalar(select(CustomerEvent).where(
            CustomerEvent.customer_id == customer.id, CustomerEvent.kind == "move", CustomerEvent.status == "open"))
        if ongoing is not None:
            plan.warnings.append(f"Un déménagement est déjà en cours depuis le {fr_date(ongoing.opened_on)} : "
                                 f"{ongoing.summary}.")
        orders = select(Order).where(Order.customer_id == customer.id, Order.status == "in_progress")
        for order in ctx.session.scalars(orders) if ctx.can_see("orders") else ():
            plan.warnings.append(f"Commande {order.number} ({order.kind}) en cours : vérifiez avec le client où la "
                                 "livrer ou l'installer (« Suivre la commande »).")
        warning = guardianship_warning(customer) if ctx.can_see("guardianship") else None
        if warning:
            plan.warnings.insert(0, warning)
