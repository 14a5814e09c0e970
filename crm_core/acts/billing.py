"""Journey "billing_payment": the invoice explained line by line, the payment method, a payment extension,
a duplicate of an invoice.

How an invoice is explained: an invoice issued in month M bills the plans and options of month M (those active
on its issue date) and the overage of the month before (the usage month, whose ``Consumption`` is complete); a
commercial gesture granted since the previous invoice is credited on it. What the sum leaves over is an
"écart non expliqué", flagged to the advisor and never hidden.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from crm_core.acts.account import with_guardianship
from crm_core.acts.base import Act, ActContext, ActRefused, Change, Plan, euros, fr_date, register
from crm_core.models import (
    Account,
    CollectionCase,
    CommercialGesture,
    Consumption,
    Contract,
    CustomerEvent,
    Interaction,
    Invoice,
    Line,
    Offer,
    PaymentMethod,
)
from crm_core.phone import to_national
from crm_core.services.formatting import CHANNELS, PAYER_QUALITY, data_volume, month
from crm_core.services.validation import mask_iban
from crm_core.text import fold

INVOICE_STATUS = {"paid": "payée", "unpaid": "impayée", "partial": "partiellement payée"}
UPCOMING = "à venir"
ISSUED = "émise"  # issued, status not known (yet): never said of an invoice issued after today
_ALLOWANCE = re.compile(r"(\d+(?:[.,]\d+)?)\s*Go\b")  # the plan's data allowance, as its label says it

MAX_EXTENSION_DAYS = 30  # a payment extension ends at most this many days after today
UNPAID = ("unpaid", "partial")


# -- reading an invoice -----------------------------------------------------------------------------------
def invoice_status(invoice: Invoice, today: date) -> str:
    """In French: « à venir » for an invoice issued after today, whatever its status says."""
    if invoice.issued_on > today:
        return UPCOMING
    return INVOICE_STATUS.get(invoice.status, ISSUED)


def usage_month(issued_on: date) -> date:
    """The month whose overage an invoice issued on ``issued_on`` bills: the one before (first day)."""
    return (issued_on.replace(day=1) - timedelta(days=1)).replace(day=1)


def data_allowance(offer: Offer) -> tuple[str, int] | None:
    """The plan's data allowance as its label says it (« 200 Go ») and in MB, or None when it says none."""
    found = _ALLOWANCE.search(offer.label)
    return (found.group(0), int(Decimal(found.group(1).replace(",", ".")) * 1000)) if found else None


@dataclass
class Item:
    kind: str  # plan | option | usage (the overage of the usage month) | gesture
    label: str  # French
    amount: Decimal
    line: str | None = None
    note: str = ""  # French, e.g. the data used against the allowance
    usage: dict[str, Any] | None = None

    def fact(self) -> dict[str, Any]:
        fact = {"kind": self.kind, "label": self.label, "line": self.line, "amount": str(self.amount)}
        return fact | (self.usage or {})


def _invoice(ctx: ActContext, invoice_id: str) -> Invoice:
    invoice = ctx.session.get(Invoice, int(invoice_id))
    account = ctx.account()
    if invoice is None or account is None or invoice.account_id != account.id:
        raise ActRefused("Cette facture n'est pas celle de ce client.", "invoice")
    return invoice


def _latest_issued(ctx: ActContext) -> dict[str, Any]:
    """The form's invoice, pre-filled with the latest one issued (what a caller asks about, most often)."""
    account = ctx.account() if ctx.customer else None
    if account is None:
        return {}
    latest = ctx.session.scalar(select(Invoice.id).where(Invoice.account_id == account.id,
                                                         Invoice.issued_on <= ctx.today)
                                .order_by(Invoice.issued_on.desc()).limit(1))
    return {"invoice": str(latest)} if latest else {}


def _billed_lines(ctx: ActContext, invoice: Invoice) -> list[Line]:
    contracts = set(ctx.session.scalars(select(Contract.id).where(Contract.account_id == invoice.account_id)))
    return [li for li in ctx.lines() if (li.contract_id is None or li.contract_id in contracts)
            and li.status != "terminated" and li.activation_date <= invoice.issued_on]


def _usage(ctx: ActContext, line: Line, usage: date) -> Item | None:
    used = ctx.session.scalar(select(Consumption).where(Consumption.line_id == line.id, Consumption.month == usage))
    if used is None:
        return None
    allowance = data_allowance(line.offer)
    note = f"{data_volume(used.data_mb)} utilisés" + (f" sur {allowance[0]}" if allowance else "")
    note += f", {used.overage_volume or 'hors forfait'}" if used.overage_amount else ", pas de hors forfait"
    what = "Hors forfait" if used.overage_amount else "Consommation"
    return Item("usage", f"{what} {month(usage)} — {to_national(line.number)}", used.overage_amount, line.number,
                note, {"data_mb": used.data_mb, "allowance_mb": allowance[1] if allowance else None})


def _credited_gestures(ctx: ActContext, invoice: Invoice) -> list[Item]:
    previous = ctx.session.scalar(select(Invoice.issued_on).where(
        Invoice.account_id == invoice.account_id, Invoice.issued_on < invoice.issued_on)
        .order_by(Invoice.issued_on.desc()).limit(1))
    since = previous or usage_month(invoice.issued_on)
    gestures = ctx.session.scalars(select(CommercialGesture).where(
        CommercialGesture.customer_id == ctx.require_customer().id, CommercialGesture.granted_on > since,
        CommercialGesture.granted_on <= invoice.issued_on).order_by(CommercialGesture.granted_on))
    return [Item("gesture", f"Geste commercial du {fr_date(g.granted_on)} ({g.reason})", -g.amount) for g in gestures]


def invoice_items(ctx: ActContext, invoice: Invoice) -> list[Item]:
    """What the invoice should bill, line by line (see the module's docstring)."""
    items: list[Item] = []
    usage = usage_month(invoice.issued_on)
    for line in _billed_lines(ctx, invoice):
        number = to_national(line.number)
        items.append(Item("plan", f"{line.offer.label} — {number}", line.offer.monthly_price, line.number))
        items += [Item("option", f"{o.option.label} — {number}", o.option.monthly_price, line.number)
                  for o in line.options if o.activated_on <= invoice.issued_on]
        used = _usage(ctx, line, usage)
        if used is not None:
            items.append(used)
    if ctx.can_see("gestures"):
        items += _credited_gestures(ctx, invoice)
    return items


@register
class ExplainInvoice(Act):
    code = "explain_invoice"

    def defaults(self, ctx: ActContext) -> dict[str, Any]:
        return _latest_issued(ctx)

    def plan(self, ctx: ActContext, params: dict[str, Any]) -> Plan:
        invoice = _invoice(ctx, params["invoice"])
        status = invoice_status(invoice, ctx.today)
        items = invoice_items(ctx, invoice)
        total = sum((i.amount for i in items), Decimal("0.00"))
        gap = invoice.amount - total
        head = f"{invoice.number} du {fr_date(invoice.issued_on)} — {euros(invoice.amount)} — {status}"
        details = [("Facture", head)]
        details += [(i.label, euros(i.amount) + (f" ({i.note})" if i.note else "")) for i in items]
        details.append(("Total du détail", euros(total)))
        plan = Plan(f"Facture {head} : ", details=details, facts={
            "invoice": invoice.number, "issued_on": invoice.issued_on.isoformat(), "status": status,
            "upcoming": status == UPCOMING, "usage_month": usage_month(invoice.issued_on).isoformat(),
            "items": [i.fact() for i in items], "total": str(total), "amount": str(invoice.amount),
            "gap": str(gap), "explained": gap == 0})
        if gap == 0:
            plan.summary += "le montant est entièrement expliqué par le détail."
            details.append(("Écart", "aucun"))
        else:
            more = "supérieure" if gap > 0 else "inférieure"
            plan.summary += f"écart non expliqué de {euros(abs(gap))}."
            details.append(("Écart", f"écart non expliqué : facture {more} de {euros(abs(gap))} au détail"))
            plan.warnings.append(f"Écart non expliqué de {euros(abs(gap))} entre le montant facturé et le détail "
                                 "des forfaits, options et hors forfait : ne le justifiez pas au client, "
                                 "signalez-le au service facturation.")
        if status == UPCOMING:
            plan.warnings.append(f"Cette facture est à venir (émission le {fr_date(invoice.issued_on)}) : "
                                 "son montant peut encore changer.")
        return plan


# -- the payment method -------------------------------------------------------------------------------------
KINDS = {"direct_debit": "Prélèvement", "card": "Carte bancaire", "transfer": "Virement", "cheque": "Chèque"}


def _method_text(kind: str, iban: str | None, holder: str) -> str:
    return " — ".join(filter(None, (KINDS.get(kind, kind), mask_iban(iban), f"titulaire {holder}")))


def _require_account(ctx: ActContext) -> Account:
    account = ctx.account()
    if account is None:
        raise ActRefused("Ce client n'a pas de compte de facturation.")
    return account


@register
class ChangePaymentMethod(Act):
    code = "change_payment_method"

    def defaults(self, ctx: ActContext) -> dict[str, Any]:
        customer = ctx.require_customer()
        account = ctx.account()
        current = next((m for m in account.payment_methods if m.active), None) if account else None
        return {"holder": current.holder if current and current.holder else
                f"{customer.first_name} {customer.last_name}"}

    def plan(self, ctx: ActContext, params: dict[str, Any]) -> Plan:
        account = _require_account(ctx)
        kind, iban, holder = params["kind"], params.get("iban"), params["holder"]
        if kind == "direct_debit" and not iban:
            raise ActRefused("L'IBAN est obligatoire pour un prélèvement.", "iban")
        if kind != "direct_debit" and iban:
            raise ActRefused(f"L'IBAN ne sert qu'au prélèvement : laissez-le vide pour « {KINDS[kind]} ».", "iban")
        current = next((m for m in account.payment_methods if m.active), None)
        if current and (current.kind, current.iban or None, fold(current.holder)) == (kind, iban, fold(holder)):
            raise ActRefused("Ce mode de paiement est déjà celui du compte : rien à changer.")
        before = _method_text(current.kind, current.iban, current.holder) if current else "Aucun"
        after = _method_text(kind, iban, holder)
        changes = [Change("payment_method", "Moyen de paiement", before, after)]
        if account.payment_channel != kind:
            changes.append(Change("payment_channel", "Canal de paiement", CHANNELS.get(account.payment_channel,
                                  account.payment_channel), CHANNELS[kind]))
        mandate = f"RUM-{account.number[-7:]}-{len(account.payment_methods) + 1}" if kind == "direct_debit" else None
        plan = Plan(f"Nouveau moyen de paiement : {CHANNELS[kind]} ({after}).", changes,
                    facts={"kind": kind, "iban": mask_iban(iban), "mandate_reference": mandate})
        if mandate:
            plan.warnings.append(f"Le mandat de prélèvement SEPA {mandate} est envoyé au titulaire : le "
                                 "prélèvement commence après sa signature.")

        def apply() -> None:
            for method in account.payment_methods:
                method.active = False
            method = PaymentMethod(kind=kind, iban=iban, holder=holder, mandate_reference=mandate, active=True)
            account.payment_methods.append(method)
            account.payment_channel = kind
            ctx.session.flush()
            plan.facts["ref"] = {"payment_method": method.id}

        plan.apply = apply
        return with_guardianship(ctx, plan)


# -- payment extension ----------------------------------------------------------------------------------------
def _current_due(ctx: ActContext, unpaid: list[Invoice]) -> date | None:
    """The date the customer must pay by today: the open collection event's, else the latest unpaid invoice's."""
    event_due = ctx.session.scalar(select(CustomerEvent.due_on).where(
        CustomerEvent.customer_id == ctx.require_customer().id, CustomerEvent.kind == "collection",
        CustomerEvent.status == "open").order_by(CustomerEvent.due_on.desc()).limit(1))
    dues = [d for d in (event_due, *(i.due_on for i in unpaid)) if d is not None]
    return max(dues) if dues else None


@register
class GrantPaymentExtension(Act):
    code = "grant_payment_extension"

    def plan(self, ctx: ActContext, params: dict[str, Any]) -> Plan:
        customer = ctx.require_customer()
        account = _require_account(ctx)
        until: date = params["until"]
        case = ctx.session.scalar(select(CollectionCase).where(CollectionCase.account_id == account.id,
                                                               CollectionCase.status == "open"))
        unpaid = list(ctx.session.scalars(select(Invoice).where(Invoice.account_id == account.id,
                                                                Invoice.status.in_(UNPAID))))
        if case is None and not unpaid:
            raise ActRefused("Aucun impayé ni dossier de recouvrement ouvert : il n'y a pas de délai à accorder.")
        if account.payer_quality == "bad":
            raise ActRefused("Client classé mauvais payeur : aucun délai de paiement ne peut être accordé. "
                             "Orientez-le vers le service recouvrement.")
        if case is not None and case.payment_extension_until is not None:
            raise ActRefused(f"Un délai a déjà été accordé jusqu'au {fr_date(case.payment_extension_until)} : "
                             "un second délai n'est pas possible.")
        current = _current_due(ctx, unpaid)
        if until <= ctx.today or (current is not None and until <= current):
            raise ActRefused("Le délai doit dépasser l'échéance actuelle"
                             + (f" ({fr_date(current)})." if current else "."), "until")
        latest = ctx.today + timedelta(days=MAX_EXTENSION_DAYS)
        if until > latest:
            raise ActRefused(f"Un délai de paiement va au plus loin {MAX_EXTENSION_DAYS} jours après aujourd'hui, "
                             f"soit le {fr_date(latest)}.", "until")
        due = case.amount_due if case else (-account.balance if account.balance < 0
                                            else sum((i.amount for i in unpaid), Decimal("0.00")))
        plan = Plan(f"Délai de paiement jusqu'au {fr_date(until)} pour {euros(due)}.",
                    [Change("collection", "Délai de paiement", "aucun", f"jusqu'au {fr_date(until)}")],
                    details=[("Montant dû", euros(due)), ("Échéance actuelle", fr_date(current)),
                             ("Qualité payeur", PAYER_QUALITY.get(account.payer_quality, account.payer_quality))],
                    facts={"until": until.isoformat(), "amount_due": str(due),
                           "current_due": current.isoformat() if current else None})
        if account.payer_quality == "watch":
            plan.warnings.append("Client à surveiller : rappelez que sans paiement au "
                                 f"{fr_date(until)}, le recouvrement reprend.")

        def apply() -> None:
            nonlocal case
            if case is None:
                case = CollectionCase(account_id=account.id, opened_on=ctx.today, amount_due=due, stage="reminder")
                ctx.session.add(case)
            case.payment_extension_until = until
            interaction = Interaction(customer_id=customer.id, occurred_at=ctx.now, channel="phone", kind="contact",
                                      summary=f"Délai de paiement accordé jusqu'au {fr_date(until)} "
                                              f"pour {euros(due)}",
                                      advisor_login=ctx.actor.login, topic="collection")
            ctx.session.add(interaction)
            ctx.session.flush()
            plan.facts["ref"] = {"collection_case": case.id, "interaction": interaction.id}

        plan.apply = apply
        return with_guardianship(ctx, plan)


# -- invoice duplicate ----------------------------------------------------------------------------------------
@register
class SendInvoiceDuplicate(Act):
    code = "send_invoice_duplicate"

    def defaults(self, ctx: ActContext) -> dict[str, Any]:
        return _latest_issued(ctx)

    def plan(self, ctx: ActContext, params: dict[str, Any]) -> Plan:
        customer = ctx.require_customer()
        invoice = _invoice(ctx, params["invoice"])
        if invoice_status(invoice, ctx.today) == UPCOMING:
            raise ActRefused(f"La facture {invoice.number} est à venir (émission le {fr_date(invoice.issued_on)}) : "
                             "il n'y a pas encore de duplicata à envoyer.", "invoice")
        channel = params["channel"]
        if channel == "email":
            if not customer.email:
                raise ActRefused("Ce client n'a pas d'e-mail au dossier : envoyez le duplicata par courrier ou "
                                 "ajoutez d'abord l'e-mail (« Modifier les coordonnées »).", "channel")
            to = "par e-mail à " + (customer.email if ctx.can_see("email") else "l'adresse e-mail du dossier")
        else:
            to = (f"par courrier au {customer.address_line}, {customer.postcode} {customer.city}"
                  if ctx.can_see("postal_address") else "par courrier à l'adresse du dossier")
        said = f"Duplicata de la facture {invoice.number} du {fr_date(invoice.issued_on)} envoyé {to}"
        plan = Plan(said + ".", [Change("history", "Courrier", "—", said)],
                    details=[("Facture", f"{invoice.number} — {euros(invoice.amount)} — "
                                         f"{invoice_status(invoice, ctx.today)}")],
                    facts={"invoice": invoice.number, "channel": channel})

        def apply() -> None:
            interaction = Interaction(customer_id=customer.id, occurred_at=ctx.now, channel=channel,
                                      kind="correspondence", summary=said[:400], advisor_login=ctx.actor.login,
                                      topic="billing")
            ctx.session.add(interaction)
            ctx.session.flush()
            plan.facts["ref"] = {"interaction": interaction.id}

        plan.apply = apply
        return plan
