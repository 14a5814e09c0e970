"""Journey "manage_account": contacts, the holder's identity, the legal representative, the RIO code."""

from typing import Any

from crm_core.acts.base import Act, ActContext, ActRefused, Change, Plan, fr_date, line_label, register
from crm_core.models import Customer, Guardianship, Line
from crm_core.phone import to_national
from crm_core.services import validation as v
from crm_core.services.formatting import GUARDIANSHIP


def guardianship_warning(customer: Customer) -> str | None:
    """What the advisor must check before acting for a protected adult (French), or None."""
    g = customer.guardianship
    if g is None:
        return None
    contact = f" ({to_national(g.guardian_phone)})" if g.guardian_phone else ""
    if g.kind == "tutelle":
        return (f"{GUARDIANSHIP[g.kind]} : les actes passent par le représentant légal, {g.guardian_name}{contact}. "
                "Vérifiez que c'est bien lui ou elle qui appelle avant de modifier le dossier.")
    return (f"{GUARDIANSHIP[g.kind]} : le client agit assisté de {g.guardian_name}{contact}. "
            "Vérifiez l'accord du curateur pour cet acte.")


def with_guardianship(ctx: ActContext, plan: Plan) -> Plan:
    warning = guardianship_warning(ctx.require_customer()) if ctx.can_see("guardianship") else None
    if warning:
        plan.warnings.insert(0, warning)
    return plan


def _set(customer: Any, changes: list[Change], field: str, attr: str, label: str, after: Any,
         show: Any = None) -> None:
    before = getattr(customer, attr)
    if before != after:
        shown = show or (lambda x: x if x is not None else "—")
        changes.append(Change(field, label, shown(before), shown(after)))


def _apply(customer: Any, values: dict[str, Any]) -> None:
    for attr, value in values.items():
        setattr(customer, attr, value)


@register
class UpdateContactDetails(Act):
    code = "update_contact_details"

    def defaults(self, ctx: ActContext) -> dict[str, Any]:
        return {}  # the current values are in the 360° view; a number said by the caller is not the new one

    def plan(self, ctx: ActContext, params: dict[str, Any]) -> Plan:
        customer = ctx.require_customer()
        if not params:
            raise ActRefused("Indiquez le nouvel e-mail ou le nouveau téléphone.")
        changes: list[Change] = []
        _set(customer, changes, "email", "email", "E-mail", params.get("email", customer.email))
        _set(customer, changes, "phones", "contact_phone", "Téléphone de contact",
             params.get("contact_phone", customer.contact_phone), lambda x: to_national(x) if x else "—")
        if not changes:
            raise ActRefused("Ces coordonnées sont déjà celles du dossier : rien à modifier.")
        return with_guardianship(ctx, Plan(
            "Coordonnées du client mises à jour.", changes,
            apply=lambda: _apply(customer, {k: v for k, v in params.items() if k in ("email", "contact_phone")})))


@register
class UpdateIdentity(Act):
    code = "update_identity"

    def plan(self, ctx: ActContext, params: dict[str, Any]) -> Plan:
        customer = ctx.require_customer()
        if "birth_date" in params:
            v.past_date("birth_date", params["birth_date"], "La date de naissance")
        changes: list[Change] = []
        for attr, label in (("civility", "Civilité"), ("first_name", "Prénom"), ("last_name", "Nom")):
            if attr in params:
                _set(customer, changes, "identity", attr, label, params[attr])
        if "birth_date" in params:
            _set(customer, changes, "birth_date", "birth_date", "Date de naissance", params["birth_date"], fr_date)
        if not changes:
            raise ActRefused("Rien à corriger : l'identité saisie est déjà celle du dossier.")
        plan = Plan("Identité du titulaire corrigée.", changes, apply=lambda: _apply(customer, params))
        plan.warnings.append("Une correction d'identité se fait sur justificatif (pièce d'identité).")
        return with_guardianship(ctx, plan)


@register
class SetGuardian(Act):
    code = "set_guardian"

    def plan(self, ctx: ActContext, params: dict[str, Any]) -> Plan:
        customer = ctx.require_customer()
        g = customer.guardianship
        before = f"{GUARDIANSHIP[g.kind]} — {g.guardian_name}" if g else "Aucune mesure"
        after = f"{GUARDIANSHIP[params['kind']]} — {params['guardian_name']}"
        if before == after and g is not None and g.guardian_phone == params.get("guardian_phone", g.guardian_phone):
            raise ActRefused("Cette mesure de protection est déjà enregistrée.")

        def apply() -> None:
            nonlocal g
            if g is None:
                g = Guardianship(customer_id=customer.id, kind=params["kind"], guardian_name=params["guardian_name"])
                ctx.session.add(g)
            g.kind = params["kind"]
            g.guardian_name = params["guardian_name"]
            g.guardian_phone = params.get("guardian_phone")
            g.guardian_email = params.get("guardian_email")

        plan = Plan("Représentant légal du client.", [Change("guardianship", "Mesure de protection", before, after)],
                    apply=apply)
        plan.warnings.append("Demandez la copie du jugement de mise sous protection.")
        return plan


# The operator's code in the RIO (relevé d'identité opérateur), as ARCEP assigned it to us.
OPERATOR_CODE = "07"
_RIO_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ+"


def rio(line: Line, contract_number: str) -> str:
    """The line's 12-character RIO: operator, contract type (P: residential), reference, 3-character key.

    The key is the ARCEP one: three running sums over the first nine characters and the national number."""
    reference = (contract_number[-6:]).upper().rjust(6, "0")
    head = f"{OPERATOR_CODE}P{reference}"
    national = to_national(line.number).replace(" ", "")
    a = b = c = 0
    for char in head + national:
        pos = _RIO_ALPHABET.index(char) if char in _RIO_ALPHABET else 0
        a = (a + pos) % 37
        b = (2 * b + pos) % 37
        c = (4 * c + pos) % 37
    return head + _RIO_ALPHABET[a] + _RIO_ALPHABET[b] + _RIO_ALPHABET[c]


@register
class GiveRio(Act):
    code = "give_rio"

    def plan(self, ctx: ActContext, params: dict[str, Any]) -> Plan:
        line = next(li for li in ctx.lines() if str(li.id) == params["line"])
        contract = line.contract_id or line.id
        code = rio(line, f"{contract:06d}")
        return Plan(f"Code RIO de la ligne {to_national(line.number)} : {code}.",
                    details=[("Ligne", line_label(line)), ("Code RIO", code)],
                    warnings=["Le RIO est aussi disponible au 3179 depuis la ligne concernée."],
                    facts={"rio": code, "line": line.number})
