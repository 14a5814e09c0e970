"""What every act is made of: its context, its parameters checked by type, its plan and its refusals.

An act module (one per journey family) subclasses ``Act`` for each code of the catalogue and implements
``plan``: read what the act needs, check the business rules (raise ``ActRefused`` with a French reason),
and return a ``Plan``: what it read (``facts``, ``details``), what it will change (``changes``, with before
and after) and, for an act that writes, ``apply``, which does it. The service (``crm_core.acts.service``)
runs ``plan`` for the preview, and ``plan`` then ``apply`` in one transaction for the execution, so the
preview and the execution cannot disagree and a refusal writes nothing.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.acts.catalogue import ACTS, ActSpec, Param
from crm_core.core import clock
from crm_core.models import Account, Customer, Equipment, Invoice, Line, Offer, Order, Ticket
from crm_core.phone import InvalidPhoneNumber, to_e164, to_national
from crm_core.services import validation as v
from crm_core.services.actor import Actor
from crm_core.services.errors import Conflict
from crm_core.services.fields import can_see
from crm_core.services.formatting import d as fr_date
from crm_core.services.formatting import eur as euros
from crm_core.services.validation import FieldInvalid, ValidationFailed


class ActRefused(Conflict):
    """The act cannot be done in the customer's current state: the French reason is shown to the advisor."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass
class Change:
    """One thing the act changes: ``field`` is the 360° field it belongs to (the permission filter's key)."""

    field: str
    label: str  # French
    before: Any
    after: Any


@dataclass
class Plan:
    summary: str  # French: what the act will do (preview) — ``done`` says what it did
    changes: list[Change] = field(default_factory=list)
    details: list[tuple[str, str]] = field(default_factory=list)  # (French label, French value) to show
    warnings: list[str] = field(default_factory=list)  # French: what the advisor must tell or check
    facts: dict[str, Any] = field(default_factory=dict)  # machine-readable (chat, tests, integrations)
    apply: Callable[[], str | None] | None = None  # writes; returns what was done (French) if not ``summary``


@dataclass
class ActContext:
    session: Session
    actor: Actor
    customer: Customer | None
    today: date
    call_id: str | None = None
    hints: Mapping[str, Any] = field(default_factory=dict)  # what the call already said (entities, number)
    journey: str | None = None  # the call's journey the act is done for, when known
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)

    def once(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` the first time in this run of the act, its result after: a read that the choices, the
        checks and the plan all need is done once."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def can_see(self, field_name: str) -> bool:
        return can_see(self.actor.permissions, field_name)

    @property
    def now(self) -> datetime:
        return clock.now()

    def require_customer(self) -> Customer:
        if self.customer is None:
            raise ActRefused("Aucun client n'est identifié : recherchez-le ou créez-le d'abord.")
        return self.customer

    def account(self) -> Account | None:
        customer = self.require_customer()
        return self.once("account", lambda: self.session.scalar(
            select(Account).where(Account.customer_id == customer.id).order_by(Account.id)))

    def lines(self, kind: str | None = None) -> list[Line]:
        if self.customer is None:
            return []
        return [li for li in self.customer.lines if kind is None or li.kind == kind]


# -- parameters -------------------------------------------------------------------------------------------
Choices = list[tuple[str, str]]


def line_label(line: Line) -> str:
    return f"{line.offer.label} — {to_national(line.number)}"


def _as_date(p: Param, raw: Any) -> date:
    if isinstance(raw, date):
        return raw
    text = str(raw).strip()
    for parse in (date.fromisoformat, lambda s: datetime.strptime(s, "%d/%m/%Y").date()):
        try:
            return parse(text)
        except ValueError:
            continue
    raise FieldInvalid(p.name, f"{p.label} : date invalide (JJ/MM/AAAA).")


def _as_amount(p: Param, raw: Any) -> Decimal:
    try:
        amount = Decimal(str(raw).replace("€", "").replace(",", ".").replace(" ", "").strip())
    except InvalidOperation as exc:
        raise FieldInvalid(p.name, f"{p.label} : montant illisible (ex. 15,50).") from exc
    if not amount.is_finite() or amount <= 0 or amount > 10_000:
        raise FieldInvalid(p.name, f"{p.label} : montant entre 0,01 € et 10 000 €.")
    return amount.quantize(Decimal("0.01"))


def _as_bool(p: Param, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("oui", "true", "1", "yes"):
        return True
    if text in ("non", "false", "0", "no"):
        return False
    raise FieldInvalid(p.name, f"{p.label} : répondez oui ou non.")


def _as_steps(p: Param, raw: Any) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(s, str) and 0 < len(s) <= 40 for s in raw) or len(raw) > 30:
        raise FieldInvalid(p.name, f"{p.label} : liste d'étapes invalide.")
    return list(dict.fromkeys(raw))


CHECKS: dict[str, Callable[[Param, Any], Any]] = {
    "text": lambda p, raw: v.text(p.name, str(raw), 200, p.label),
    "long_text": lambda p, raw: v.text(p.name, str(raw), 1000, p.label, multiline=True),
    "email": lambda p, raw: v.email(p.name, str(raw)),
    "phone": lambda p, raw: v.phone(p.name, str(raw)),
    "postcode": lambda p, raw: v.postcode(p.name, str(raw)),
    "iban": lambda p, raw: v.iban(p.name, str(raw)),
    "bic": lambda p, raw: v.bic(p.name, str(raw)),
    "date": _as_date,
    "amount": _as_amount,
    "boolean": _as_bool,
    "steps": _as_steps,
}


class Act:
    """One act of the catalogue. Subclasses set ``code`` and implement ``plan`` (and ``choices`` when a
    parameter's values depend on the customer)."""

    code: ClassVar[str]
    # Keys of the plan's facts the ``act.done`` trace keeps as the act's result (diagnostics: what was tried and
    # what came of it), for the handover of a transfer and the steering.
    traced_facts: ClassVar[tuple[str, ...]] = ()

    @property
    def spec(self) -> ActSpec:
        return ACTS[self.code]

    # -- the form -------------------------------------------------------------------------------------
    def choices(self, ctx: ActContext, param: Param) -> Choices | None:
        """The values a parameter may take for this customer (None: free input)."""
        if param.choices:
            return list(param.choices)
        match param.type:
            case "line":
                return [(str(li.id), line_label(li)) for li in ctx.lines() if li.status == "active"]
            case "order":
                customer = ctx.require_customer()
                orders = ctx.session.scalars(select(Order).where(Order.customer_id == customer.id)
                                             .order_by(Order.placed_on.desc()))
                return [(str(o.id), f"{o.number} — {o.kind} ({fr_date(o.placed_on)})") for o in orders]
            case "invoice":
                account = ctx.account()
                if account is None:
                    return []
                invoices = ctx.session.scalars(select(Invoice).where(Invoice.account_id == account.id)
                                               .order_by(Invoice.issued_on.desc()).limit(12))
                return [(str(i.id), f"{i.number} du {fr_date(i.issued_on)} — {euros(i.amount)}") for i in invoices]
            case "equipment":
                customer = ctx.require_customer()
                items = ctx.session.scalars(select(Equipment).where(Equipment.customer_id == customer.id)
                                            .order_by(Equipment.id))
                return [(str(e.id), f"{e.model} ({e.serial_number})") for e in items]
            case "ticket":
                customer = ctx.require_customer()
                tickets = ctx.session.scalars(select(Ticket).where(Ticket.customer_id == customer.id,
                                                                   Ticket.status == "open"))
                return [(str(t.id), f"Ticket {t.id} — {t.summary[:60]}") for t in tickets]
            case "offer" | "option":
                kind = "plan" if param.type == "offer" else "option"
                offers = ctx.session.scalars(select(Offer).where(Offer.kind == kind).order_by(Offer.monthly_price))
                return [(o.code, f"{o.label} — {euros(o.monthly_price)}/mois") for o in offers]
        return None

    def defaults(self, ctx: ActContext) -> dict[str, Any]:
        """Values filled before the advisor types anything: from the call (hints) and the 360° view."""
        filled: dict[str, Any] = {}
        for param in self.spec.params:
            if param.type == "line":
                active = [li for li in ctx.lines() if li.status == "active"]
                caller = _e164(ctx.hints.get("caller_number"))
                match = next((li for li in active if li.number == caller), None)
                if match is None and len(active) == 1:
                    match = active[0]
                if match is not None:
                    filled[param.name] = str(match.id)
            elif param.type == "phone" and ctx.hints.get("caller_number"):
                filled[param.name] = to_national(str(ctx.hints["caller_number"]))
            elif param.type in ("amount", "date"):
                said = entity(ctx.hints, "amount" if param.type == "amount" else "date")
                if said is not None:
                    filled[param.name] = said
        return filled

    # -- the act --------------------------------------------------------------------------------------
    def plan(self, ctx: ActContext, params: dict[str, Any]) -> Plan:
        raise NotImplementedError

    def validate(self, ctx: ActContext, raw: Mapping[str, Any]) -> dict[str, Any]:
        """The parameters, checked by type and against their choices: every mistake in one ValidationFailed."""
        clean: dict[str, Any] = {}
        errors: list[FieldInvalid] = []
        unknown = sorted(set(raw) - {p.name for p in self.spec.params})
        if unknown:
            errors.append(FieldInvalid(unknown[0][:40], "Paramètre inconnu pour cet acte."))
        for param in self.spec.params:
            value = raw.get(param.name)
            if value is None or (isinstance(value, str) and not value.strip()) or value == []:
                if param.required:
                    errors.append(FieldInvalid(param.name, f"{param.label} : à renseigner."))
                continue
            try:
                clean[param.name] = self.check_value(ctx, param, value)
            except FieldInvalid as exc:
                errors.append(exc)
        if errors:
            raise ValidationFailed(errors)
        return clean

    def check_value(self, ctx: ActContext, param: Param, value: Any) -> Any:
        if param.type in CHECKS:
            return CHECKS[param.type](param, value)
        if not isinstance(value, str | int) or isinstance(value, bool) or len(str(value)) > 60:
            raise FieldInvalid(param.name, f"{param.label} : valeur invalide.")
        text = str(value).strip()
        if param.type == "line" and not text.isdigit():  # a number said or typed: the customer's line
            try:
                number = to_e164(text)
            except InvalidPhoneNumber as exc:
                raise FieldInvalid(param.name, f"{param.label} : numéro de ligne illisible.") from exc
            found = next((li for li in ctx.lines() if li.number == number), None)
            text = str(found.id) if found else text
        allowed = self.choices(ctx, param)
        if allowed is not None and text not in {value for value, _ in allowed}:
            raise FieldInvalid(param.name, f"{param.label} : choix impossible pour ce client.")
        return text


def _e164(raw: Any) -> str | None:
    try:
        return to_e164(str(raw)) if raw else None
    except InvalidPhoneNumber:
        return None


def entity(hints: Mapping[str, Any], name: str) -> Any:
    """The value of the first entity of that name the call's reason carried (None if none)."""
    for entity in hints.get("entities") or []:
        if isinstance(entity, dict) and entity.get("entity") == name and entity.get("value") is not None:
            return entity["value"]
    return None


REGISTRY: dict[str, Act] = {}


def register(cls: type[Act]) -> type[Act]:
    """Class decorator: the act's implementation for its catalogue code."""
    if cls.code not in ACTS:
        raise ValueError(f"act {cls.code!r} is not in the catalogue (crm_core/acts/catalogue.py)")
    REGISTRY[cls.code] = cls()
    return cls
