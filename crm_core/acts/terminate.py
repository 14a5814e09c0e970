"""Journey "terminate": the commitment end and its fees, the termination of a line, the holder's death."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from crm_core.acts.account import guardianship_warning
from crm_core.acts.base import Act, ActContext, ActRefused, Change, Plan, euros, fr_date, line_label, register
from crm_core.models import CustomerEvent, Equipment, Line
from crm_core.phone import to_national

# Early termination fees (loi Chatel, 24-month commitments): the months left of the first year in full,
# then a quarter of the months left after it.
FIRST_YEAR_MONTHS = 12
AFTER_FIRST_YEAR_SHARE = Decimal("0.25")
LATEST_TERMINATION_DAYS = 365
ELECTRONIC_TAG_REFUSAL = ("Cette ligne sert à un bracelet électronique : elle ne peut pas être coupée par l'acte "
                          "ordinaire. Transférez l'appel au service dédié (justice).")
PROTECTED_LINE_REFUSAL = "Cette ligne ne peut pas être résiliée par l'acte ordinaire : transférez au niveau 2."


def months_left(end: date | None, on: date) -> int:
    """Whole months from ``on`` to ``end``, a started month counting as one (0 when the end has passed)."""
    if end is None or end <= on:
        return 0
    return (end.year - on.year) * 12 + end.month - on.month + (1 if end.day > on.day else 0)


def termination_fees(line: Line, on: date) -> Decimal:
    """What ending the line on ``on`` costs, from its commitment end and monthly price."""
    left = months_left(line.commitment_end, on)
    if left == 0:
        return Decimal("0.00")
    # the line's own commitment (its offer's may have changed since it was signed)
    committed = (months_left(line.commitment_end, line.activation_date) if line.activation_date
                 else line.offer.commitment_months) or 24
    elapsed = max(0, committed - left)
    in_first_year = max(0, min(left, FIRST_YEAR_MONTHS - elapsed))
    after = left - in_first_year
    price = line.offer.monthly_price
    return (price * in_first_year + price * after * AFTER_FIRST_YEAR_SHARE).quantize(Decimal("0.01"))


def commitment_phrase(end: date | None, on: date) -> str:
    if end is None:
        return "sans engagement"
    if end <= on:
        return f"engagement terminé depuis le {fr_date(end)}"
    return f"engagé jusqu'au {fr_date(end)}"


def scheduled_termination(ctx: ActContext, line: Line) -> CustomerEvent | None:
    return ctx.session.scalar(select(CustomerEvent).where(
        CustomerEvent.customer_id == line.customer_id, CustomerEvent.kind == "scheduled_termination",
        CustomerEvent.line_id == line.id, CustomerEvent.status == "open"))


def _returns(ctx: ActContext, line: Line) -> list[str]:
    """The equipment of the line to send back (rented or lent), in French."""
    items = ctx.session.scalars(select(Equipment).where(Equipment.line_id == line.id,
                                                        Equipment.ownership.in_(("rented", "lent"))))
    return [f"{e.model} (n° {e.serial_number}) à renvoyer sous 30 jours avec l'étiquette prépayée, "
            "ou à déposer en boutique" for e in items]


@register
class CheckCommitmentEnd(Act):
    code = "check_commitment_end"

    def plan(self, ctx: ActContext, params: dict[str, Any]) -> Plan:
        ctx.require_customer()
        lines = [li for li in ctx.lines() if li.status == "active"]
        if not lines:
            raise ActRefused("Ce client n'a aucune ligne active.")
        details, facts = [], []
        for line in lines:
            fees = termination_fees(line, ctx.today)
            phrase = commitment_phrase(line.commitment_end, ctx.today)
            details.append((line_label(line), phrase + (f" — frais si résiliation aujourd'hui : {euros(fees)}"
                                                        if fees else " — pas de frais de résiliation")))
            facts.append({"line": line.number, "offer": line.offer.label, "fees": str(fees),
                          "commitment_end": line.commitment_end.isoformat() if line.commitment_end else None})
        summary = "Fin d'engagement — " + " ; ".join(
            f"{li.offer.label} ({to_national(li.number)}) : {commitment_phrase(li.commitment_end, ctx.today)}"
            for li in lines) + "."
        return Plan(summary, details=details, facts={"lines": facts})


@register
class RegisterTermination(Act):
    code = "register_termination"

    def defaults(self, ctx: ActContext) -> dict[str, Any]:
        filled = super().defaults(ctx)
        filled.setdefault("termination_date", ctx.today.isoformat())
        return filled

    def plan(self, ctx: ActContext, params: dict[str, Any]) -> Plan:
        customer = ctx.require_customer()
        line = next(li for li in ctx.lines() if str(li.id) == params["line"])
        if line.electronic_tag:
            raise ActRefused(ELECTRONIC_TAG_REFUSAL if ctx.can_see("electronic_tag") else PROTECTED_LINE_REFUSAL,
                             "line")
        on: date = params["termination_date"]
        if on < ctx.today:
            raise ActRefused("La date de résiliation ne peut pas être passée.", "termination_date")
        if on > ctx.today + timedelta(days=LATEST_TERMINATION_DAYS):
            raise ActRefused("La résiliation se programme au plus tard dans un an.", "termination_date")
        if scheduled_termination(ctx, line) is not None:
            raise ActRefused(f"Une résiliation est déjà programmée pour la ligne {to_national(line.number)}.", "line")
        fees = termination_fees(line, on)
        returns = _returns(ctx, line)
        plan = Plan(
            f"Résiliation de la ligne {to_national(line.number)} programmée au {fr_date(on)}"
            + (f", frais de résiliation anticipée {euros(fees)}." if fees else ", sans frais."),
            [Change("lines", f"Ligne {to_national(line.number)}", "active", f"résiliée au {fr_date(on)}")],
            details=[("Ligne", line_label(line)), ("Engagement", commitment_phrase(line.commitment_end, ctx.today)),
                     ("Frais", euros(fees)), *[("Retour du matériel", r) for r in returns]],
            facts={"line": line.number, "termination_date": on.isoformat(), "fees": str(fees)},
        )
        if fees or line.commitment_end:
            plan.warnings.append("Avant de résilier, proposez une offre de fidélisation (« Proposer des offres "
                                 "adaptées »).")
        warning = guardianship_warning(customer) if ctx.can_see("guardianship") else None
        if warning:
            plan.warnings.insert(0, warning)

        def apply() -> None:
            event = CustomerEvent(customer_id=customer.id, kind="scheduled_termination", opened_on=ctx.today,
                                  due_on=on, line_id=line.id,
                                  summary=f"Résiliation de la ligne {to_national(line.number)} au {fr_date(on)}",
                                  details={"fees": str(fees), "reason": params.get("reason", ""), "returns": returns})
            ctx.session.add(event)
            ctx.session.flush()
            plan.facts["ref"] = {"event": event.id}

        plan.apply = apply
        return plan


@register
class DeclareHolderDeath(Act):
    code = "declare_holder_death"

    def defaults(self, ctx: ActContext) -> dict[str, Any]:
        return {}  # the caller's number is the declarant's only if they say so

    def plan(self, ctx: ActContext, params: dict[str, Any]) -> Plan:
        customer = ctx.require_customer()
        died: date = params["death_date"]
        if died > ctx.today:
            raise ActRefused("La date du décès ne peut pas être dans le futur.", "death_date")
        already = ctx.session.scalar(select(CustomerEvent.id).where(
            CustomerEvent.customer_id == customer.id, CustomerEvent.kind == "death"))
        if already is not None:
            raise ActRefused("Le décès du titulaire est déjà enregistré.")
        lines = [li for li in ctx.lines() if li.status == "active"]
        ended = [li for li in lines if not li.electronic_tag]
        plan = Plan(
            f"Décès du titulaire : résiliation sans frais de {len(ended)} ligne(s) au {fr_date(ctx.today)}.",
            [Change("lines", f"Ligne {to_national(li.number)}", "active", "résiliée sans frais") for li in ended],
            details=[("Déclarant", f"{params['declarant_name']} ({to_national(params['declarant_phone'])})"),
                     ("Date du décès", fr_date(died))],
            warnings=["Demandez une copie de l'acte de décès (à envoyer par courrier ou en boutique).",
                      "Aucun frais de résiliation ni de retard n'est dû."],
            facts={"lines": [li.number for li in ended]},
        )
        if len(ended) < len(lines):
            plan.warnings.append(PROTECTED_LINE_REFUSAL)

        def apply() -> None:
            ctx.session.add(CustomerEvent(
                customer_id=customer.id, kind="death", opened_on=ctx.today, due_on=None,
                summary=f"Décès du titulaire le {fr_date(died)}, déclaré par {params['declarant_name']}",
                details={"declarant_name": params["declarant_name"], "declarant_phone": params["declarant_phone"],
                         "death_date": died.isoformat()}))
            for li in ended:
                ctx.session.add(CustomerEvent(
                    customer_id=customer.id, kind="scheduled_termination", opened_on=ctx.today, due_on=ctx.today,
                    line_id=li.id, summary=f"Résiliation sans frais (décès) de la ligne {to_national(li.number)}",
                    details={"fees": "0.00", "reason": "décès du titulaire"}))

        plan.apply = apply
        return plan
