"""Edits of the customer file, done in place by advisors and actions.

Each edit: checks the habilitation, checks the version it was based on (optimistic lock over the whole
customer file), validates every field in French, applies the change and writes its trace (who, when,
which call, field, before, after) in the caller's transaction. An invalid edit writes nothing.
"""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.core import clock
from crm_core.models import Account, Customer, Guardianship, Line, LineOption, Offer, PaymentMethod
from crm_core.models.base import utcnow
from crm_core.schemas.edits import ContactUpdate, GuardianshipUpdate, PaymentMethodUpdate
from crm_core.services import habilitations, tracing
from crm_core.services import validation as v
from crm_core.services.actor import Actor
from crm_core.services.customers import CustomerNotFound
from crm_core.services.errors import Conflict, NotFound, StaleVersion
from crm_core.services.validation import FieldInvalid, ValidationFailed, mask_iban

CONTACT_LABELS = {"email": "L'e-mail", "contact_phone": "Le téléphone", "address_line": "L'adresse",
                  "postcode": "Le code postal", "city": "La ville"}


def _validate_contact(changes: dict[str, Any]) -> dict[str, Any]:
    clean, errors = {}, []
    for name, raw in changes.items():
        try:
            if raw is None:
                if name in ("address_line", "postcode", "city"):
                    raise FieldInvalid(name, f"{CONTACT_LABELS[name]} ne peut pas être effacé(e).")
                clean[name] = None
            elif name == "email":
                clean[name] = v.email(name, raw)
            elif name == "contact_phone":
                clean[name] = v.phone(name, raw)
            elif name == "postcode":
                clean[name] = v.postcode(name, raw)
            elif name == "address_line":
                clean[name] = v.text(name, raw, 200, CONTACT_LABELS[name])
            elif name == "city":
                clean[name] = v.text(name, raw, 80, CONTACT_LABELS[name])
        except FieldInvalid as exc:
            errors.append(exc)
    if errors:
        raise ValidationFailed(errors)
    return clean


class CustomerEditor:
    def __init__(self, session: Session, actor: Actor) -> None:
        self.session = session
        self.actor = actor

    def _customer(self, customer_id: int, version: int | None) -> Customer:
        customer = self.session.get(Customer, customer_id)
        if customer is None:
            raise CustomerNotFound(f"Client {customer_id} introuvable.")
        if version is not None and version != customer.version:
            raise StaleVersion(customer.version)
        return customer

    def _touch(self, customer: Customer) -> None:
        """Any edit of the file moves the customer's version on (and so refuses edits based on the old one)."""
        customer.updated_at = utcnow()

    def _trace(self, name: str, customer: Customer, changes: list[dict[str, Any]], **extra: Any) -> None:
        tracing.record(self.session, name, self.actor, customer_id=customer.id, changes=changes, **extra)

    def update_contact(self, customer_id: int, update: ContactUpdate) -> int:
        habilitations.require(self.actor, habilitations.ACT_EDIT_CONTACT)
        customer = self._customer(customer_id, update.version)
        clean = _validate_contact(update.model_dump(exclude_unset=True, exclude={"version"}))
        changes = []
        for name, after in clean.items():
            before = getattr(customer, name)
            if before != after:
                setattr(customer, name, after)
                changes.append({"field": name, "before": before, "after": after})
        if changes:
            self._touch(customer)
            self.session.flush()
            self._trace("customer.updated", customer, changes)
        return customer.version

    def set_payment_method(self, customer_id: int, update: PaymentMethodUpdate) -> int:
        habilitations.require(self.actor, habilitations.ACT_EDIT_PAYMENT)
        customer = self._customer(customer_id, update.version)
        errors: list[FieldInvalid] = []
        iban = bic = None
        if update.kind == "direct_debit" and not update.iban:
            errors.append(FieldInvalid("iban", "L'IBAN est obligatoire pour un prélèvement."))
        if update.iban:
            try:
                iban = v.iban("iban", update.iban)
            except FieldInvalid as exc:
                errors.append(exc)
        if update.bic:
            try:
                bic = v.bic("bic", update.bic)
            except FieldInvalid as exc:
                errors.append(exc)
        try:
            holder = v.text("holder", update.holder, 160, "Le titulaire")
        except FieldInvalid as exc:
            errors.append(exc)
        if errors:
            raise ValidationFailed(errors)
        account = self.session.scalar(select(Account).where(Account.customer_id == customer.id).order_by(Account.id))
        if account is None:
            raise Conflict("Ce client n'a pas de compte de facturation.")
        previous = next((m for m in account.payment_methods if m.active), None)
        before = {"kind": previous.kind, "iban": mask_iban(previous.iban)} if previous else None
        for method in account.payment_methods:
            method.active = False
        account.payment_methods.append(PaymentMethod(kind=update.kind, iban=iban, bic=bic, holder=holder,
                                                     active=True))
        account.payment_channel = update.kind
        self._touch(customer)
        self.session.flush()
        self._trace("payment_method.changed", customer,
                    [{"field": "payment_method", "before": before,
                      "after": {"kind": update.kind, "iban": mask_iban(iban)}}])
        return customer.version

    def _line(self, customer: Customer, line_id: int) -> Line:
        line = self.session.get(Line, line_id)
        if line is None or line.customer_id != customer.id:
            raise NotFound(f"Ligne {line_id} introuvable pour ce client.")
        return line

    def add_option(self, customer_id: int, line_id: int, option_code: str, version: int | None) -> int:
        habilitations.require(self.actor, habilitations.ACT_EDIT_OPTIONS)
        customer = self._customer(customer_id, version)
        line = self._line(customer, line_id)
        option = self.session.get(Offer, option_code)
        if option is None or option.kind != "option":
            raise ValidationFailed([FieldInvalid("option_code", f"Option inconnue : {option_code[:40]}.")])
        if option.for_universe and option.for_universe != line.kind:
            raise Conflict(f"L'option « {option.label} » n'est pas disponible sur une ligne {line.kind}.")
        if any(o.option_code == option_code for o in line.options):
            raise Conflict(f"La ligne a déjà l'option « {option.label} ».")
        if line.status != "active":
            raise Conflict("On ne peut pas ajouter d'option sur une ligne qui n'est pas active.")
        line.options.append(LineOption(option_code=option_code, activated_on=clock.today()))
        self._touch(customer)
        self.session.flush()
        self._trace("option.added", customer, [{"field": "options", "before": None, "after": option_code}],
                    line=line.number)
        return customer.version

    def remove_option(self, customer_id: int, line_id: int, option_code: str, version: int | None) -> int:
        habilitations.require(self.actor, habilitations.ACT_EDIT_OPTIONS)
        customer = self._customer(customer_id, version)
        line = self._line(customer, line_id)
        held = next((o for o in line.options if o.option_code == option_code), None)
        if held is None:
            raise NotFound(f"La ligne n'a pas l'option {option_code[:40]}.")
        line.options.remove(held)
        self._touch(customer)
        self.session.flush()
        self._trace("option.removed", customer, [{"field": "options", "before": option_code, "after": None}],
                    line=line.number)
        return customer.version

    def set_guardianship(self, customer_id: int, update: GuardianshipUpdate) -> int:
        habilitations.require(self.actor, habilitations.ACT_EDIT_GUARDIANSHIP)
        customer = self._customer(customer_id, update.version)
        errors, clean = [], {}
        for name, check in (("guardian_name", lambda x: v.text("guardian_name", x, 160, "Le nom du représentant")),
                            ("guardian_phone", lambda x: v.phone("guardian_phone", x)),
                            ("guardian_email", lambda x: v.email("guardian_email", x)),
                            ("guardian_address",  # optional: blank is no address, not an error
                             lambda x: v.text("guardian_address", x, 300, "L'adresse du représentant")
                             if x.strip() else None),
                            ("court_decision_on",
                             lambda x: v.past_date("court_decision_on", x, "La date de la décision du juge"))):
            raw = getattr(update, name)
            try:
                clean[name] = check(raw) if raw or name == "guardian_name" else None
            except FieldInvalid as exc:
                errors.append(exc)
        if errors:
            raise ValidationFailed(errors)
        g = customer.guardianship
        before = None if g is None else {"kind": g.kind, "guardian_name": g.guardian_name}
        if g is None:
            g = Guardianship(customer_id=customer.id, kind=update.kind, guardian_name=clean["guardian_name"])
            self.session.add(g)
        g.kind = update.kind
        g.guardian_name = clean["guardian_name"]
        g.guardian_phone = clean["guardian_phone"]
        g.guardian_email = clean["guardian_email"]
        g.guardian_address = clean["guardian_address"] or ""
        g.court_decision_on = clean["court_decision_on"]
        self._touch(customer)
        self.session.flush()
        self._trace("guardianship.changed", customer, [{"field": "guardianship", "before": before,
                                                        "after": {"kind": g.kind, "guardian_name": g.guardian_name}}])
        return customer.version

    def remove_guardianship(self, customer_id: int, version: int | None) -> int:
        habilitations.require(self.actor, habilitations.ACT_EDIT_GUARDIANSHIP)
        customer = self._customer(customer_id, version)
        g = customer.guardianship
        if g is None:
            raise NotFound("Ce client n'a pas de mesure de protection.")
        before = {"kind": g.kind, "guardian_name": g.guardian_name}
        self.session.delete(g)
        self._touch(customer)
        self.session.flush()
        self._trace("guardianship.changed", customer, [{"field": "guardianship", "before": before, "after": None}])
        return customer.version
