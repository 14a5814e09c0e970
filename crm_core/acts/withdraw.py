"""Journey "withdraw": the 14-day withdrawal period of a subscription or a purchase, and the withdrawal itself.

The period counts from the subscription of a line (its activation, or the signing of its contract when that
came later) or from the purchase (an order's delivery once delivered, else the day it was placed; a bought
item's acquisition). A withdrawn line is not cut at once: its termination is programmed for today without
fees (``scheduled_termination``, as ``register_termination`` does), so the termination process is the same;
a withdrawn order is cancelled with its pending steps.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from crm_core.acts.account import guardianship_warning
from crm_core.acts.base import Act, ActContext, ActRefused, Change, Choices, Plan, euros, fr_date, register
from crm_core.acts.catalogue import Param
from crm_core.acts.orders import ORDER_STATUS, close_order
from crm_core.acts.terminate import ELECTRONIC_TAG_REFUSAL, PROTECTED_LINE_REFUSAL, scheduled_termination
from crm_core.models import Contract, CustomerEvent, Equipment, Line, Order
from crm_core.phone import to_national

WINDOW_DAYS = 14
RETURN_DAYS = 14
REFUND = ("Les sommes payées sont remboursées sous 14 jours, sur le moyen de paiement utilisé ; pour un service "
          "déjà utilisé à la demande du client, la part consommée reste due.")


@dataclass
class Target:
    value: str  # "line:5", "order:2", "equipment:7"
    label: str  # French
    start: date
    since: str  # French: what the period counts from
    line: Line | None = None
    order: Order | None = None
    equipment: Equipment | None = None

    @property
    def deadline(self) -> date:
        return self.start + timedelta(days=WINDOW_DAYS)


def _delivered_on(order: Order) -> date | None:
    if order.status != "delivered":
        return None
    return max((s.done_on for s in order.steps if s.done_on is not None), default=None)


def targets(ctx: ActContext) -> list[Target]:
    """What the customer subscribed or bought: lines not terminated, orders, equipment bought (if shown); read
    once per run of the act (the choices, the defaults and the plan all ask)."""
    return ctx.once("withdrawal_targets", lambda: _read_targets(ctx))


def _read_targets(ctx: ActContext) -> list[Target]:
    customer = ctx.require_customer()
    found: list[Target] = []
    for line in ctx.lines():
        if line.status == "terminated":
            continue
        contract = ctx.session.get(Contract, line.contract_id) if line.contract_id else None
        start = max(line.activation_date, contract.signed_on) if contract else line.activation_date
        found.append(Target(f"line:{line.id}", f"Abonnement {line.offer.label} — {to_national(line.number)} "
                            f"(souscrit le {fr_date(start)})", start, f"souscription du {fr_date(start)}", line=line))
    for order in ctx.session.scalars(select(Order).where(Order.customer_id == customer.id).order_by(Order.id)):
        delivered = _delivered_on(order)
        start = delivered or order.placed_on
        since = f"livraison du {fr_date(delivered)}" if delivered else f"commande du {fr_date(order.placed_on)}"
        found.append(Target(f"order:{order.id}", f"Commande {order.number} — {order.kind} du "
                            f"{fr_date(order.placed_on)}", start, since, order=order))
    bought = select(Equipment).where(Equipment.customer_id == customer.id, Equipment.ownership == "bought")
    for item in ctx.session.scalars(bought.order_by(Equipment.id)) if ctx.can_see("equipment") else ():
        found.append(Target(f"equipment:{item.id}", f"Achat {item.model} (n° {item.serial_number}) du "
                            f"{fr_date(item.acquired_on)}", item.acquired_on, f"achat du {fr_date(item.acquired_on)}",
                            equipment=item))
    return found


def _withdrawal(ctx: ActContext, value: str) -> CustomerEvent | None:
    """The withdrawal already registered for this target, if one."""
    events = ctx.session.scalars(select(CustomerEvent).where(
        CustomerEvent.customer_id == ctx.require_customer().id, CustomerEvent.kind == "withdrawal"))
    return next((e for e in events if (e.details or {}).get("target") == value), None)


def _period(target: Target, today: date) -> str:
    left = (target.deadline - today).days
    if left < 0:
        return (f"rétractation impossible, délai dépassé : il courait jusqu'au {fr_date(target.deadline)} "
                f"({WINDOW_DAYS} jours après la {target.since})")
    when = "dernier jour aujourd'hui" if left == 0 else f"encore {left} jour{'s' if left > 1 else ''}"
    return f"rétractation possible jusqu'au {fr_date(target.deadline)} inclus ({when}, depuis la {target.since})"


def _return_item(item: Equipment) -> str:
    how = (f"{item.model} (n° {item.serial_number}) : à renvoyer sous {RETURN_DAYS} jours avec l'étiquette "
           "prépayée, ou à déposer en boutique")
    if item.ownership == "bought":
        return how + " ; son prix est remboursé à réception"
    if item.deposit_amount:
        return how + f" ; dépôt de garantie de {euros(item.deposit_amount)} remboursé à réception"
    return how


def returns(ctx: ActContext, target: Target) -> list[str]:
    """The return procedure of the equipment that goes with the target (French)."""
    if target.equipment is not None:
        return [_return_item(target.equipment)]
    if target.line is not None:
        items = ctx.session.scalars(select(Equipment).where(Equipment.line_id == target.line.id)
                                    .order_by(Equipment.id))
        return [_return_item(item) for item in items] or ["Aucun matériel à renvoyer."]
    assert target.order is not None
    if target.order.status == "delivered":
        return [f"Le matériel reçu (commande {target.order.number}) : à renvoyer sous {RETURN_DAYS} jours complet, "
                "dans son emballage, avec l'étiquette prépayée, ou à déposer en boutique ; remboursé à réception"]
    return [f"Commande {target.order.number} non livrée : rien à renvoyer ; si le colis arrive malgré tout, le "
            f"refuser ou le renvoyer sous {RETURN_DAYS} jours avec l'étiquette prépayée."]


class _WithdrawalAct(Act):
    def choices(self, ctx: ActContext, param: Param) -> Choices | None:
        if param.name == "target":
            return [(t.value, t.label) for t in targets(ctx)]
        return super().choices(ctx, param)

    def defaults(self, ctx: ActContext) -> dict[str, Any]:
        """The one target still within its period and not withdrawn, if there is exactly one."""
        open_ = [t for t in targets(ctx) if ctx.today <= t.deadline and _withdrawal(ctx, t.value) is None]
        return {"target": open_[0].value} if len(open_) == 1 else {}

    def target(self, ctx: ActContext, params: dict[str, Any]) -> Target:
        return next(t for t in targets(ctx) if t.value == params["target"])  # checked against choices


@register
class CheckWithdrawalPeriod(_WithdrawalAct):
    code = "check_withdrawal_period"

    def plan(self, ctx: ActContext, params: dict[str, Any]) -> Plan:
        target = self.target(ctx, params)
        done = _withdrawal(ctx, target.value)
        left = (target.deadline - ctx.today).days
        if done is not None:
            summary = f"{target.label} : rétractation déjà enregistrée le {fr_date(done.opened_on)}."
        else:
            summary = f"{target.label} : {_period(target, ctx.today)}."
        return Plan(summary,
                    details=[("Souscription ou achat", target.label), ("Point de départ", target.since),
                             ("Date limite", fr_date(target.deadline)),
                             ("Jours restants", str(left) if left >= 0 else "aucun, délai dépassé")],
                    facts={"target": target.value, "start": target.start.isoformat(),
                           "deadline": target.deadline.isoformat(), "days_left": left, "in_time": left >= 0,
                           "already": done is not None})


@register
class RegisterWithdrawal(_WithdrawalAct):
    code = "register_withdrawal"

    def plan(self, ctx: ActContext, params: dict[str, Any]) -> Plan:
        customer = ctx.require_customer()
        target = self.target(ctx, params)
        done = _withdrawal(ctx, target.value)
        if done is not None:
            raise ActRefused(f"Une rétractation est déjà enregistrée pour {target.label} (le "
                             f"{fr_date(done.opened_on)}).", "target")
        if ctx.today > target.deadline:
            hint = " Proposez plutôt la résiliation." if target.line is not None else ""
            raise ActRefused(f"Rétractation impossible : le délai de {WINDOW_DAYS} jours après la {target.since} a "
                             f"pris fin le {fr_date(target.deadline)}.{hint}", "target")
        line, order = target.line, target.order
        if line is not None and line.electronic_tag:
            raise ActRefused(ELECTRONIC_TAG_REFUSAL if ctx.can_see("electronic_tag") else PROTECTED_LINE_REFUSAL,
                             "target")
        if order is not None and order.status == "cancelled":
            raise ActRefused(f"La commande {order.number} est déjà annulée : rien à rétracter.", "target")
        back = returns(ctx, target)
        reason = params.get("reason", "")
        if line is not None:
            change = Change("lines", f"Ligne {to_national(line.number)}", "active",
                            "résiliée sans frais (rétractation)")
        elif order is not None:
            change = Change("orders", f"Commande {order.number}", ORDER_STATUS.get(order.status, order.status),
                            "annulée (rétractation)")
        else:
            change = Change("equipment", target.label, "achetée", "à renvoyer (rétractation)")
        plan = Plan(f"Rétractation de {target.label}.", [change],
                    details=[("Souscription ou achat", target.label),
                             ("Délai", f"jusqu'au {fr_date(target.deadline)} ({target.since})"),
                             *[("Retour du matériel", r) for r in back], *([("Motif", reason)] if reason else [])],
                    warnings=[REFUND], facts={"target": target.value, "deadline": target.deadline.isoformat()})
        warning = guardianship_warning(customer) if ctx.can_see("guardianship") else None
        if warning:
            plan.warnings.insert(0, warning)

        def apply() -> None:
            event = CustomerEvent(customer_id=customer.id, kind="withdrawal", opened_on=ctx.today,
                                  due_on=ctx.today + timedelta(days=RETURN_DAYS), line_id=line.id if line else None,
                                  summary=f"Rétractation : {target.label}"[:300],
                                  details={"target": target.value, "start": target.start.isoformat(),
                                           "deadline": target.deadline.isoformat(), "reason": reason,
                                           "returns": back})
            ctx.session.add(event)
            ref: dict[str, Any] = {"event": None}
            if line is not None:
                ref["termination"] = self._terminate(ctx, line).id
            if order is not None:
                close_order(order)
                ref["order"] = order.id
            ctx.session.flush()
            ref["event"] = event.id
            plan.facts["ref"] = ref

        plan.apply = apply
        return plan

    def _terminate(self, ctx: ActContext, line: Line) -> CustomerEvent:
        """The line's termination today without fees: the one already programmed, brought forward, or a new one."""
        event = scheduled_termination(ctx, line)
        if event is None:
            event = CustomerEvent(customer_id=line.customer_id, kind="scheduled_termination", opened_on=ctx.today,
                                  line_id=line.id, summary="")
            ctx.session.add(event)
        event.due_on = ctx.today
        event.summary = f"Résiliation sans frais (rétractation) de la ligne {to_national(line.number)}"
        event.details = {**(event.details or {}), "fees": "0.00", "reason": "rétractation"}
        ctx.session.flush()
        return event
