"""Journey "complaint": complaints and gestures reviewed, a complaint opened or escalated, a gesture in the rules.

The rules of commercial gestures (all amounts over the last ``WINDOW_MONTHS`` months):

* each profile has a ceiling per gesture and per customer (``CEILINGS``); a profile not listed grants nothing;
* a reason already compensated (same words, case and accents aside) is recurring: the gesture is allowed with a
  warning, and it ends the open complaint for good (closed, marked final);
* a customer with ``OPPORTUNIST_GESTURES`` gestures or ``OPPORTUNIST_TOTAL`` in all is "opportunist": level 1
  may not grant more and escalates; the profiles of ``OPPORTUNIST_DECIDERS`` decide, warned.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from crm_core.acts.base import Act, ActContext, ActRefused, Change, Plan, euros, fr_date, register
from crm_core.models import CommercialGesture, CustomerEvent
from crm_core.services.formatting import EVENT_KINDS, add_months
from crm_core.text import fold

WINDOW_MONTHS = 12


@dataclass(frozen=True)
class Ceiling:
    per_gesture: Decimal
    per_customer: Decimal  # all gestures to one customer over the window, this one included


CEILINGS = {
    "n1_customer_contact": Ceiling(Decimal("30.00"), Decimal("60.00")),
    "supervisor": Ceiling(Decimal("150.00"), Decimal("300.00")),
}
OPPORTUNIST_GESTURES = 3
OPPORTUNIST_TOTAL = Decimal("50.00")
OPPORTUNIST_DECIDERS = frozenset({"supervisor"})
COMPLAINT_ANSWER_DAYS = 30  # the answer we commit to when a complaint is opened
ESCALATION_ANSWER_DAYS = 2  # the level-2 call-back after an escalation
COMPLAINT_KINDS = ("complaint", "escalation")


def reason_key(text: str) -> str:
    """The same reason whatever its case, accents and spaces."""
    return " ".join(fold(text).split())


@dataclass
class GestureHistory:
    gestures: list[CommercialGesture]

    @property
    def total(self) -> Decimal:
        return sum((g.amount for g in self.gestures), Decimal("0.00"))

    def count(self, reason: str) -> int:
        return sum(1 for g in self.gestures if reason_key(g.reason) == reason_key(reason))

    def recurring(self) -> list[tuple[str, int]]:
        """(reason as first written, times) for each reason compensated more than once."""
        counts = Counter(reason_key(g.reason) for g in self.gestures)
        first = {reason_key(g.reason): g.reason for g in reversed(self.gestures)}
        return [(first[key], n) for key, n in counts.items() if n > 1]

    def opportunist(self) -> bool:
        return len(self.gestures) >= OPPORTUNIST_GESTURES or self.total >= OPPORTUNIST_TOTAL

    def describe(self) -> str:
        return f"{len(self.gestures)} geste(s) pour {euros(self.total)} sur {WINDOW_MONTHS} mois"


def gesture_history(ctx: ActContext) -> GestureHistory:
    since = add_months(ctx.today, -WINDOW_MONTHS)
    return GestureHistory(list(ctx.session.scalars(select(CommercialGesture).where(
        CommercialGesture.customer_id == ctx.require_customer().id, CommercialGesture.granted_on > since)
        .order_by(CommercialGesture.granted_on.desc()))))


def complaints(ctx: ActContext, kinds: tuple[str, ...] = COMPLAINT_KINDS,
               status: str | None = None) -> list[CustomerEvent]:
    """The customer's complaints (and escalations), latest first."""
    query = select(CustomerEvent).where(CustomerEvent.customer_id == ctx.require_customer().id,
                                        CustomerEvent.kind.in_(kinds))
    if status is not None:
        query = query.where(CustomerEvent.status == status)
    return list(ctx.session.scalars(query.order_by(CustomerEvent.opened_on.desc(), CustomerEvent.id.desc())))


def _escalation_of(ctx: ActContext, complaint: CustomerEvent) -> CustomerEvent | None:
    return next((e for e in complaints(ctx, ("escalation",), "open")
                 if (e.details or {}).get("complaint_id") == complaint.id), None)


def _record(ctx: ActContext, plan: Plan, **rows: Any) -> None:
    """Writes the rows and names them in the plan's facts (``ref``)."""
    ctx.session.add_all(rows.values())
    ctx.session.flush()
    plan.facts.setdefault("ref", {}).update({name: row.id for name, row in rows.items()})


def _event_fact(e: CustomerEvent) -> dict[str, Any]:
    return {"id": e.id, "kind": e.kind, "status": e.status, "opened_on": e.opened_on.isoformat(),
            "summary": e.summary}


def _event_text(e: CustomerEvent) -> str:
    return f"{EVENT_KINDS.get(e.kind, e.kind)} du {fr_date(e.opened_on)} : {e.summary}"


def _complaint_label(e: CustomerEvent) -> str:
    return f"Réclamation du {fr_date(e.opened_on)}"


@register
class ReviewComplaints(Act):
    code = "review_complaints"

    def plan(self, ctx: ActContext, params: dict[str, Any]) -> Plan:
        events = complaints(ctx)
        opened = [e for e in events if e.status == "open"]
        past = [e for e in events if e.status != "open"]
        history = gesture_history(ctx)
        recurring = history.recurring()
        details = [("En cours", _event_text(e)) for e in opened] + [("Passée", _event_text(e)) for e in past]
        details += [("Geste", f"{fr_date(g.granted_on)} — {euros(g.amount)} — {g.reason}") for g in history.gestures]
        details.append((f"Gestes sur {WINDOW_MONTHS} mois", f"{len(history.gestures)}, {euros(history.total)}"))
        plan = Plan(f"{len(opened)} réclamation(s) en cours, {len(past)} passée(s) ; {history.describe()}.",
                    details=details, facts={
                        "open": [_event_fact(e) for e in opened], "past": [_event_fact(e) for e in past],
                        "gestures": [{"granted_on": g.granted_on.isoformat(), "amount": str(g.amount),
                                      "reason": g.reason, "advisor": g.advisor_login} for g in history.gestures],
                        "gestures_count": len(history.gestures), "gestures_total": str(history.total),
                        "recurring_reasons": [{"reason": r, "count": n} for r, n in recurring],
                        "opportunist": history.opportunist()})
        plan.warnings += [f"Motif récurrent : « {r} », déjà compensé {n} fois. Un nouveau geste pour ce motif "
                          "doit clore la réclamation définitivement." for r, n in recurring]
        if history.opportunist():
            plan.warnings.append(f"Client signalé opportuniste ({history.describe()}) : au niveau 1, pas de "
                                 "nouveau geste ; escaladez la réclamation.")
        return plan


@register
class OpenComplaint(Act):
    code = "open_complaint"

    def plan(self, ctx: ActContext, params: dict[str, Any]) -> Plan:
        customer = ctx.require_customer()
        text: str = params["summary"]
        opened = complaints(ctx, ("complaint",), "open")
        same = next((e for e in opened if reason_key((e.details or {}).get("text") or e.summary)
                     == reason_key(text)), None)
        if same is not None:
            raise ActRefused(f"Une réclamation identique est déjà ouverte depuis le {fr_date(same.opened_on)} : "
                             "complétez-la ou escaladez-la plutôt que d'en ouvrir une autre.", "summary")
        due = ctx.today + timedelta(days=COMPLAINT_ANSWER_DAYS)
        summary = text if len(text) <= 300 else text[:299] + "…"
        plan = Plan(f"Nouvelle réclamation, réponse due au plus tard le {fr_date(due)}.",
                    [Change("ongoing_events", "Réclamation", "—", f"ouverte le {fr_date(ctx.today)} : {summary}")],
                    facts={"due_on": due.isoformat()})
        plan.warnings += [f"Une autre réclamation est en cours ({_event_text(e)}) : vérifiez qu'il ne s'agit pas "
                          "du même sujet." for e in opened]

        def apply() -> None:
            _record(ctx, plan, event=CustomerEvent(
                customer_id=customer.id, kind="complaint", opened_on=ctx.today, due_on=due, summary=summary,
                details={"text": text, "opened_by": ctx.actor.login}))

        plan.apply = apply
        return plan


@register
class EscalateComplaint(Act):
    code = "escalate_complaint"

    def plan(self, ctx: ActContext, params: dict[str, Any]) -> Plan:
        customer = ctx.require_customer()
        opened = complaints(ctx, ("complaint",), "open")
        if not opened:
            raise ActRefused("Aucune réclamation en cours à escalader : ouvrez-la d'abord (« Ouvrir une "
                             "réclamation »).")
        escalations = {c.id: _escalation_of(ctx, c) for c in opened}
        complaint = next((c for c in opened if escalations[c.id] is None), None)
        if complaint is None:
            since = escalations[opened[0].id]
            raise ActRefused(f"La réclamation du {fr_date(opened[0].opened_on)} est déjà escaladée depuis le "
                             f"{fr_date(since.opened_on if since else None)}.")
        due = ctx.today + timedelta(days=ESCALATION_ANSWER_DAYS)
        note: str = params["note"]
        plan = Plan(f"Escalade de la réclamation du {fr_date(complaint.opened_on)} ; rappel du niveau 2 au plus tard "
                    f"le {fr_date(due)}.",
                    [Change("ongoing_events", _complaint_label(complaint), "en cours", "escaladée")],
                    details=[("Réclamation", complaint.summary), ("Motif de l'escalade", note)],
                    facts={"complaint": complaint.id, "due_on": due.isoformat()})

        def apply() -> None:
            event = CustomerEvent(customer_id=customer.id, kind="escalation", opened_on=ctx.today, due_on=due,
                                  line_id=complaint.line_id, summary=f"Escalade : {complaint.summary}"[:300],
                                  details={"complaint_id": complaint.id, "note": note, "by": ctx.actor.login})
            _record(ctx, plan, event=event)
            complaint.details = {**(complaint.details or {}), "escalation_id": event.id}

        plan.apply = apply
        return plan


@register
class GrantGesture(Act):
    code = "grant_gesture"
    traced_facts = ("amount",)  # the steering sums the gestures granted

    def plan(self, ctx: ActContext, params: dict[str, Any]) -> Plan:
        customer = ctx.require_customer()
        amount: Decimal = params["amount"]
        reason: str = params["reason"]
        ceiling = CEILINGS.get(ctx.actor.profile)
        if ceiling is None:
            raise ActRefused(f"Le profil « {ctx.actor.profile} » ne peut accorder aucun geste commercial : "
                             "transférez à un superviseur.")
        history = gesture_history(ctx)
        decider = ctx.actor.profile in OPPORTUNIST_DECIDERS
        if history.opportunist() and not decider:
            raise ActRefused(f"Client signalé opportuniste ({history.describe()}) : pas de nouveau geste au "
                             "niveau 1. Escaladez la réclamation (« Escalader la réclamation ») pour qu'un "
                             "superviseur décide.")
        if amount > ceiling.per_gesture:
            raise ActRefused(f"Un geste ne peut pas dépasser {euros(ceiling.per_gesture)} pour votre profil.",
                             "amount")
        left = max(ceiling.per_customer - history.total, Decimal("0.00"))
        if amount > left:
            raise ActRefused(f"Ce client a déjà reçu {euros(history.total)} de gestes sur {WINDOW_MONTHS} mois ; "
                             f"le plafond est de {euros(ceiling.per_customer)}"
                             + (f" : {euros(left)} au plus." if left else " : plus aucun geste possible."), "amount")
        already = history.count(reason)
        complaint = next(iter(complaints(ctx, ("complaint",), "open")), None)
        changes = [Change("gestures", "Geste commercial", "—", f"{euros(amount)} — {reason}")]
        plan = Plan(f"Geste commercial de {euros(amount)} ({reason}).", changes,
                    facts={"amount": str(amount), "recurring": already > 0, "opportunist": history.opportunist()})
        if history.opportunist():
            plan.warnings.append(f"Client signalé opportuniste ({history.describe()}) : geste accordé par décision "
                                 "du superviseur.")
        if already:
            plan.warnings.append(f"Motif récurrent, déjà compensé {already} fois en {WINDOW_MONTHS} mois : ce geste "
                                 "est le dernier pour ce motif, dites-le au client"
                                 + (" ; la réclamation est close définitivement." if complaint else "."))
            if complaint is not None:
                changes.append(Change("ongoing_events", _complaint_label(complaint), "en cours",
                                      "close définitivement"))
        after = GestureHistory([*history.gestures, CommercialGesture(amount=amount, reason=reason)])
        if after.opportunist() and not history.opportunist():
            plan.warnings.append("Après ce geste, le client sera signalé opportuniste : plus de geste au niveau 1.")

        def apply() -> None:
            gesture = CommercialGesture(customer_id=customer.id, granted_on=ctx.today, amount=amount, reason=reason,
                                        advisor_login=ctx.actor.login)
            _record(ctx, plan, gesture=gesture)
            if already and complaint is not None:
                _close_for_good(ctx, complaint, gesture, ctx.today)
                plan.facts["ref"]["closed_complaint"] = complaint.id

        plan.apply = apply
        return plan


def _close_for_good(ctx: ActContext, complaint: CustomerEvent, gesture: CommercialGesture, on: date) -> None:
    """The complaint (and its escalation) closed by a final gesture."""
    for event in filter(None, (complaint, _escalation_of(ctx, complaint))):
        event.status = "closed"
        event.details = {**(event.details or {}), "closed_on": on.isoformat(), "final": True,
                         "gesture_id": gesture.id}
