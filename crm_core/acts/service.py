"""The acts' one door: habilitation, parameters, business rules, preview, execution and trace, in one place.

Whatever asks (the API for the panel, the actions for the chat, the CLI), an act goes through here:

* ``open``: the form, already filled from the call and the 360° view (traced ``act.opened``);
* ``preview``: what the act will read and change, before and after; nothing is written but the trace;
* ``execute``: the act and its trace ``act.done`` in one transaction, based on the customer's version;
* ``cancel``: the advisor dropped it (``act.cancelled``).

A refusal (not habilitated, invalid parameter, stale version, business rule) is raised with its French
reason after the transaction was rolled back, so it wrote nothing; the refusal itself is traced
(``act.refused``) in a transaction of its own. What is returned goes through the permission filter.
"""

import logging
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from crm_core.acts import implementations  # noqa: F401  (registers every act)
from crm_core.acts.base import REGISTRY, Act, ActContext, ActRefused, Plan
from crm_core.acts.catalogue import ACT_LIST, ACTS, ActSpec
from crm_core.core import clock
from crm_core.core.db import transaction
from crm_core.models import Customer
from crm_core.services import habilitations, permission_filter, tracing
from crm_core.services.actor import Actor
from crm_core.services.customers import CustomerNotFound
from crm_core.services.errors import Conflict, NotFound, StaleVersion
from crm_core.services.fields import can_see
from crm_core.services.validation import FieldInvalid, ValidationFailed

log = logging.getLogger(__name__)

REFUSALS = (ActRefused, ValidationFailed, FieldInvalid, habilitations.NotAllowed, StaleVersion, Conflict, NotFound)
HIDDEN = "(information réservée à un autre profil)"


class UnknownAct(NotFound):
    pass


def describe(spec: ActSpec, actor: Actor | None = None) -> dict[str, Any]:
    """One act of the catalogue as ``GET /api/acts`` lists it (``allowed``: for this actor)."""
    described = {
        "code": spec.code, "label": spec.label, "journeys": list(spec.journeys), "permission": spec.permission,
        "writes": spec.writes, "needs_customer": spec.needs_customer, "description": spec.description,
        "reads": list(spec.reads),
        "params": [{"name": p.name, "type": p.type, "label": p.label, "required": p.required} for p in spec.params],
    }
    if actor is not None:
        described["allowed"] = _refusal(spec, actor) is None
    return described


def catalogue(actor: Actor | None = None) -> list[dict[str, Any]]:
    return [describe(spec, actor) for spec in ACT_LIST]


def _refusal(spec: ActSpec, actor: Actor) -> str | None:
    """Why the actor may not do this act (French), or None."""
    for permission in dict.fromkeys((habilitations.CUSTOMER_READ, spec.permission)):
        if not actor.can(permission):
            return f"Le profil « {actor.profile} » n'est pas habilité à cet acte ({spec.label})."
    hidden = [f for f in spec.reads if not can_see(actor.permissions, f)]
    if hidden:
        return f"Le profil « {actor.profile} » n'est pas habilité à voir ce que cet acte montre ({spec.label})."
    return None


class ActService:
    def __init__(self, sessions: sessionmaker[Session], actor: Actor) -> None:
        self._sessions = sessions
        self.actor = actor

    # -- the four steps ---------------------------------------------------------------------------------
    def open(self, code: str, customer_id: int | None, hints: Mapping[str, Any] | None = None,
             journey: str | None = None) -> dict[str, Any]:
        act = self._act(code)

        def form(ctx: ActContext) -> dict[str, Any]:
            defaults = act.defaults(ctx)
            params = []
            for p in act.spec.params:
                choices = act.choices(ctx, p)
                params.append({"name": p.name, "type": p.type, "label": p.label, "required": p.required,
                               "value": defaults.get(p.name),
                               "choices": None if choices is None else [{"value": val, "label": label}
                                                                        for val, label in choices]})
            tracing.record(ctx.session, "act.opened", self.actor, customer_id=customer_id, act=code,
                           journey=journey, prefilled=sorted(defaults))
            return {**describe(act.spec), "customer_id": customer_id,
                    "version": ctx.customer.version if ctx.customer else None,
                    "params": self._shown(params)}

        return self._run(act, customer_id, hints, form, stage="open", journey=journey)

    def preview(self, code: str, customer_id: int | None, params: Mapping[str, Any],
                version: int | None = None) -> dict[str, Any]:
        act = self._act(code)

        def preview(ctx: ActContext) -> dict[str, Any]:
            plan = act.plan(ctx, act.validate(ctx, params))
            tracing.record(ctx.session, "act.previewed", self.actor, customer_id=customer_id, act=code,
                           changes=self._traced(plan))
            return self._outcome(act.spec, plan, ctx, "preview", plan.summary)

        return self._run(act, customer_id, {}, preview, stage="preview", version=version)

    def execute(self, code: str, customer_id: int | None, params: Mapping[str, Any],
                version: int | None = None, journey: str | None = None) -> dict[str, Any]:
        act = self._act(code)

        def execute(ctx: ActContext) -> dict[str, Any]:
            plan = act.plan(ctx, act.validate(ctx, params))
            said = plan.apply() if plan.apply is not None else None
            if act.spec.writes and ctx.customer is not None:
                ctx.customer.updated_at = clock.now()  # the customer's version moves on
            ctx.session.flush()
            customer = ctx.customer
            # ``summary`` and ``result`` show what the act read and changed: the trace shows them only to whom
            # may see every field in ``shows`` (``permission_filter.trace``)
            tracing.record(ctx.session, "act.done", self.actor, customer_id=customer.id if customer else None,
                           act=code, label=act.spec.label, journey=journey, writes=act.spec.writes,
                           changes=self._traced(plan), ref=_jsonable(plan.facts.get("ref")),
                           summary=(said or plan.summary)[:600],
                           result=_jsonable({k: plan.facts.get(k) for k in act.traced_facts}),
                           shows=sorted({*act.spec.reads, *(c.field for c in plan.changes)}))
            return self._outcome(act.spec, plan, ctx, "done", said or plan.summary)

        return self._run(act, customer_id, {}, execute, stage="execute", version=version, journey=journey)

    def cancel(self, code: str, customer_id: int | None, stage: str, journey: str | None = None) -> None:
        act = self._act(code)
        refusal = _refusal(act.spec, self.actor)
        if refusal:
            raise habilitations.NotAllowed(refusal)
        with transaction(self._sessions) as session:
            tracing.record(session, "act.cancelled", self.actor, customer_id=customer_id, act=act.spec.code,
                           stage=stage[:20], journey=journey)

    # -- the one run --------------------------------------------------------------------------------------
    def _act(self, code: str) -> Act:
        act = REGISTRY.get(code)
        if act is None:
            raise UnknownAct(f"Acte inconnu : {code[:40]}.")
        return act

    def _run(self, act: Act, customer_id: int | None, hints: Mapping[str, Any] | None, step: Any, *,
             stage: str, version: int | None = None, journey: str | None = None) -> dict[str, Any]:
        try:
            with transaction(self._sessions) as session:
                refusal = _refusal(act.spec, self.actor)
                if refusal:
                    raise habilitations.NotAllowed(refusal)
                customer = None
                if customer_id is not None:
                    customer = session.get(Customer, customer_id)
                    if customer is None:
                        raise CustomerNotFound(f"Client {customer_id} introuvable.")
                elif act.spec.needs_customer:
                    raise ActRefused("Aucun client n'est identifié sur cet appel : recherchez-le d'abord.")
                if (stage == "execute" and act.spec.writes and version is not None and customer is not None
                        and version != customer.version):
                    raise StaleVersion(customer.version)
                ctx = ActContext(session, self.actor, customer, clock.today(), self.actor.call_id, hints or {},
                                 journey or (hints or {}).get("journey"))
                return step(ctx)
        except FieldInvalid as exc:  # a check run inside an act: the same answer as a parameter's
            self._refused(act.spec.code, customer_id, stage, exc)
            raise ValidationFailed([exc]) from exc
        except REFUSALS as exc:
            self._refused(act.spec.code, customer_id, stage, exc)
            raise

    def _refused(self, code: str, customer_id: int | None, stage: str, exc: Exception) -> None:
        reason = str(exc) if not isinstance(exc, ActRefused) else exc.message
        try:
            with transaction(self._sessions) as session:
                tracing.record(session, "act.refused", self.actor, customer_id=customer_id, act=code, stage=stage,
                               error=type(exc).__name__, reason=reason[:300])
        except Exception:  # the refusal is what the advisor must see; a trace failure is only logged
            log.exception("act %s: the refusal could not be traced", code)

    # -- what leaves ---------------------------------------------------------------------------------------
    def _traced(self, plan: Plan) -> list[dict[str, Any]]:
        return [{"field": c.field, "before": _jsonable(c.before), "after": _jsonable(c.after)} for c in plan.changes]

    def _shown(self, value: Any) -> Any:
        """What leaves, JSON-ready, with IBANs masked unless the actor may see the payment method."""
        return permission_filter.masked(_jsonable(value), self.actor.permissions)

    def _outcome(self, spec: ActSpec, plan: Plan, ctx: ActContext, status: str, summary: str) -> dict[str, Any]:
        changes = []
        for c in plan.changes:
            visible = can_see(self.actor.permissions, c.field)
            changes.append({"field": c.field, "label": c.label, "before": c.before if visible else HIDDEN,
                            "after": c.after if visible else HIDDEN})
        customer = ctx.customer
        return self._shown({
            "act": spec.code, "label": spec.label, "status": status, "writes": spec.writes, "summary": summary,
            "changes": changes, "details": [{"label": k, "value": val} for k, val in plan.details],
            "warnings": plan.warnings, "facts": plan.facts,
            "customer_id": customer.id if customer else None, "version": customer.version if customer else None,
        })


def _jsonable(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


__all__ = ["ACTS", "ActService", "UnknownAct", "catalogue", "describe"]
