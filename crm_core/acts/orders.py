"""Web orders followed and changed from the call (cross-channel): steps and delays, delivery to a shop, cancel."""

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from crm_core.acts.base import Act, ActContext, ActRefused, Change, Choices, Plan, fr_date, register
from crm_core.acts.catalogue import Param
from crm_core.models import Interaction, Order, OrderStep
from crm_core.text import fold

ORDER_STATUS = {"in_progress": "en cours", "delivered": "livrée", "cancelled": "annulée"}
# The shops an order can be delivered to: code, French name (as in a step's label), postcode.
SHOPS: tuple[tuple[str, str, str], ...] = (
    ("LYON-PARTDIEU", "Lyon Part-Dieu", "69003"),
    ("LYON-BELLECOUR", "Lyon Bellecour", "69002"),
    ("PARIS-REPUBLIQUE", "Paris République", "75011"),
    ("PARIS-VILLETTE", "Paris La Villette", "75019"),
    ("BREST-SIAM", "Brest rue de Siam", "29200"),
    ("MARSEILLE-VIEUXPORT", "Marseille Vieux-Port", "13001"),
)
# A parcel sent to another place reaches the shop this many days from today at the earliest.
SHOP_DELIVERY_DAYS = 3
DELIVERY_PREFIX = "livraison"


def late_steps(order: Order, today: date) -> list[OrderStep]:
    """The steps still pending whose expected date has passed."""
    return [s for s in order.steps if s.status == "pending" and s.expected_on is not None and s.expected_on < today]


def due_steps(order: Order, today: date) -> list[OrderStep]:
    """The steps still pending that are expected today."""
    return [s for s in order.steps if s.status == "pending" and s.expected_on == today]


def delivery_step(order: Order) -> OrderStep | None:
    """The pending step that delivers the order (its label starts with « Livraison »)."""
    return next((s for s in order.steps if s.status == "pending" and fold(s.label).startswith(DELIVERY_PREFIX)),
                None)


def close_order(order: Order) -> list[str]:
    """Cancel the order and its pending steps; returns the labels of the steps it stopped."""
    order.status = "cancelled"
    stopped = []
    for step in order.steps:
        if step.status == "pending":
            step.status = "cancelled"
            stopped.append(step.label)
    return stopped


def order_choices(ctx: ActContext) -> Choices:
    customer = ctx.require_customer()
    orders = ctx.session.scalars(select(Order).where(Order.customer_id == customer.id)
                                 .order_by(Order.placed_on.desc(), Order.id.desc()))
    return [(str(o.id), f"{o.number} — {o.kind} du {fr_date(o.placed_on)} ({ORDER_STATUS.get(o.status, o.status)})")
            for o in orders]


def step_phrase(step: OrderStep, today: date) -> str:
    """Where one step stands, in French."""
    if step.status == "done":
        return f"faite le {fr_date(step.done_on or step.expected_on)}"
    if step.status == "cancelled":
        return "annulée"
    if step.expected_on is None:
        return "en attente"
    if step.expected_on < today:
        late = (today - step.expected_on).days
        return f"EN RETARD : prévue le {fr_date(step.expected_on)} ({late} jour{'s' if late > 1 else ''} de retard)"
    if step.expected_on == today:
        return "prévue aujourd'hui"
    return f"prévue le {fr_date(step.expected_on)}"


class _OrderAct(Act):
    """The three order acts: the customer's orders (with their status) to choose from, one pre-filled."""

    def choices(self, ctx: ActContext, param: Param) -> Choices | None:
        if param.type == "order":
            return order_choices(ctx)
        return super().choices(ctx, param)

    def defaults(self, ctx: ActContext) -> dict[str, Any]:
        customer = ctx.require_customer()
        running = list(ctx.session.scalars(select(Order.id).where(Order.customer_id == customer.id,
                                                                  Order.status == "in_progress")))
        return {"order": str(running[0])} if len(running) == 1 else {}

    def order(self, ctx: ActContext, params: dict[str, Any]) -> Order:
        order = ctx.session.get(Order, int(params["order"]))  # one of the customer's (checked against choices)
        if order is None or order.customer_id != ctx.require_customer().id:
            raise ActRefused("Commande introuvable pour ce client.", "order")
        return order

    def changeable(self, order: Order, doing: str) -> None:
        if order.status == "delivered":
            raise ActRefused(f"La commande {order.number} est déjà livrée : impossible de {doing}. "
                             "Pour un retour, voyez la rétractation.", "order")
        if order.status == "cancelled":
            raise ActRefused(f"La commande {order.number} est annulée : impossible de {doing}.", "order")

    def record(self, ctx: ActContext, summary: str) -> Interaction:
        interaction = Interaction(customer_id=ctx.require_customer().id, occurred_at=ctx.now, channel="phone",
                                  kind="contact", summary=summary[:400], advisor_login=ctx.actor.login,
                                  topic="general")
        ctx.session.add(interaction)
        ctx.session.flush()
        return interaction


@register
class FollowOrder(_OrderAct):
    code = "follow_order"

    def plan(self, ctx: ActContext, params: dict[str, Any]) -> Plan:
        order = self.order(ctx, params)
        late, due = late_steps(order, ctx.today), due_steps(order, ctx.today)
        status = ORDER_STATUS.get(order.status, order.status)
        summary = f"Commande {order.number} ({order.kind}) du {fr_date(order.placed_on)} : {status}"
        if late:
            summary += f" ; {len(late)} étape(s) en retard : " + ", ".join(s.label for s in late)
        summary += "."
        plan = Plan(summary, details=[(s.label, step_phrase(s, ctx.today)) for s in order.steps],
                    facts={"order": order.number, "status": order.status,
                           "late": [s.label for s in late], "due_today": [s.label for s in due],
                           "steps": [{"label": s.label, "status": s.status,
                                      "expected_on": s.expected_on.isoformat() if s.expected_on else None,
                                      "done_on": s.done_on.isoformat() if s.done_on else None} for s in order.steps]})
        plan.warnings += [f"Étape en retard : {s.label}, prévue le {fr_date(s.expected_on)}. Excusez le retard et "
                          "proposez, si le client le souhaite, une livraison en boutique ou l'annulation."
                          for s in late]
        plan.warnings += [f"Étape prévue aujourd'hui : {s.label}." for s in due]
        return plan


@register
class ChangeOrderDelivery(_OrderAct):
    code = "change_order_delivery"

    def choices(self, ctx: ActContext, param: Param) -> Choices | None:
        if param.name == "shop":  # the shops of the customer's département first
            department = ctx.require_customer().postcode[:2]
            ranked = sorted(SHOPS, key=lambda shop: shop[2][:2] != department)
            return [(code, f"Boutique {name}") for code, name, _ in ranked]
        return super().choices(ctx, param)

    def plan(self, ctx: ActContext, params: dict[str, Any]) -> Plan:
        order = self.order(ctx, params)
        self.changeable(order, "changer sa livraison")
        step = delivery_step(order)
        if step is None:
            raise ActRefused(f"La commande {order.number} n'a pas d'étape de livraison en attente (par exemple une "
                             "box installée par un technicien) : pas de retrait en boutique possible.", "order")
        name = next(name for code, name, _ in SHOPS if code == params["shop"])
        label = f"Livraison en boutique {name}"
        if step.label == label:
            raise ActRefused(f"La commande {order.number} est déjà livrée en boutique {name}.", "shop")
        expected = max(step.expected_on or ctx.today, ctx.today + timedelta(days=SHOP_DELIVERY_DAYS))
        before, after = f"{step.label} ({fr_date(step.expected_on)})", f"{label} ({fr_date(expected)})"
        plan = Plan(f"Commande {order.number} : {label.lower()}, prévue le {fr_date(expected)}.",
                    [Change("orders", f"Commande {order.number} — livraison", before, after)],
                    details=[("Commande", f"{order.number} — {order.kind}"), ("Retrait", f"Boutique {name}"),
                             ("Date prévue", fr_date(expected))],
                    warnings=["Le client retire la commande avec une pièce d'identité ; un SMS le prévient de "
                              "l'arrivée du colis."],
                    facts={"order": order.number, "shop": params["shop"], "expected_on": expected.isoformat()})
        late = [s.label for s in late_steps(order, ctx.today) if s is not step]
        if late:
            plan.warnings.append("Étape(s) déjà en retard : " + ", ".join(late) + ".")

        def apply() -> None:
            step.label, step.expected_on = label, expected
            interaction = self.record(ctx, f"Commande {order.number} : livraison déplacée en boutique {name}, "
                                           f"prévue le {fr_date(expected)} (avant : {before})")
            plan.facts["ref"] = {"order": order.id, "step": step.id, "interaction": interaction.id}

        plan.apply = apply
        return plan


@register
class CancelOrder(_OrderAct):
    code = "cancel_order"

    def plan(self, ctx: ActContext, params: dict[str, Any]) -> Plan:
        order = self.order(ctx, params)
        self.changeable(order, "l'annuler")
        pending = [s.label for s in order.steps if s.status == "pending"]
        reason = params.get("reason", "")
        plan = Plan(f"Annulation de la commande {order.number} ({order.kind}).",
                    [Change("orders", f"Commande {order.number}", ORDER_STATUS.get(order.status, order.status),
                            "annulée")],
                    details=[("Commande", f"{order.number} — {order.kind} du {fr_date(order.placed_on)}"),
                             ("Étapes arrêtées", ", ".join(pending) or "aucune"),
                             *([("Motif", reason)] if reason else [])],
                    warnings=["Les sommes déjà payées sont remboursées sous 14 jours sur le moyen de paiement de "
                              "la commande."],
                    facts={"order": order.number, "stopped_steps": pending})
        if any(fold(label).startswith(DELIVERY_PREFIX) for label in pending):
            plan.warnings.append("Si le colis arrive malgré tout, le client le refuse ou le renvoie avec "
                                 "l'étiquette prépayée.")

        def apply() -> None:
            close_order(order)
            interaction = self.record(ctx, f"Commande {order.number} annulée à la demande du client"
                                           + (f" : {reason}" if reason else ""))
            plan.facts["ref"] = {"order": order.id, "interaction": interaction.id}

        plan.apply = apply
        return plan
