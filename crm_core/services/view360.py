"""The 360° view: six blocks in the seed's order, fields by priority, only what the actor may see.

``load_file`` gathers everything about one customer in a fixed number of queries; ``COMPUTE`` turns it into
the values of the fields of the catalogue (``fields``): raw ``value`` for programs, French ``display`` for
people. ``build`` shows the fields the actor may see, from the file as ``permission_filter`` lets them see it.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import desc, select
from sqlalchemy.orm import Session

from crm_core.acts.catalogue import label_for as journey_label
from crm_core.acts.slots import slot_label
from crm_core.core import clock
from crm_core.models import (
    Account,
    CollectionCase,
    CommercialGesture,
    Consumption,
    Customer,
    CustomerEvent,
    Equipment,
    Interaction,
    Invoice,
    Order,
    TraceEvent,
)
from crm_core.models.support import Appointment, Ticket
from crm_core.services import eligibility as elig
from crm_core.services import fields as catalogue
from crm_core.services import formatting as fmt
from crm_core.services import permission_filter, trace_names
from crm_core.services.validation import mask_iban
from crm_core.text import fold


@dataclass
class CustomerFile:
    """Everything the 360° view shows about one customer, loaded once."""

    customer: Customer
    accounts: list[Account]
    consumptions: list[Consumption]
    invoices: list[Invoice]
    collection: list[CollectionCase]
    orders: list[Order]
    events: list[CustomerEvent]
    interactions: list[Interaction]
    traces: list[TraceEvent]
    equipment: list[Equipment]
    gestures: list[CommercialGesture]
    eligibility: list[elig.Verdict] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)  # open support tickets
    appointments: list[Appointment] = field(default_factory=list)  # technicians' visits still to come
    today: date = field(default_factory=clock.today)

    @property
    def account(self) -> Account | None:
        return self.accounts[0] if self.accounts else None


def load_file(session: Session, customer: Customer, today: date | None = None) -> CustomerFile:
    cid = customer.id
    accounts = list(session.scalars(select(Account).where(Account.customer_id == cid).order_by(Account.id)))
    account_ids = [a.id for a in accounts]
    line_ids = [li.id for li in customer.lines]
    latest: list[Consumption] = []
    if line_ids:
        rows = session.scalars(select(Consumption).where(Consumption.line_id.in_(line_ids))
                               .order_by(Consumption.line_id, desc(Consumption.month)))
        seen: set[int] = set()
        for row in rows:
            if row.line_id not in seen:
                seen.add(row.line_id)
                latest.append(row)
    by_account = Invoice.account_id.in_(account_ids)
    file = CustomerFile(
        customer=customer,
        accounts=accounts,
        consumptions=latest,
        invoices=list(session.scalars(select(Invoice).where(by_account).order_by(desc(Invoice.issued_on)).limit(7))),
        collection=list(session.scalars(select(CollectionCase).where(
            CollectionCase.account_id.in_(account_ids), CollectionCase.status == "open"))),
        orders=list(session.scalars(select(Order).where(Order.customer_id == cid, Order.status == "in_progress")
                                    .order_by(desc(Order.placed_on)))),
        events=list(session.scalars(select(CustomerEvent).where(CustomerEvent.customer_id == cid,
                                                                CustomerEvent.status == "open")
                                    .order_by(CustomerEvent.opened_on))),
        interactions=list(session.scalars(select(Interaction).where(Interaction.customer_id == cid)
                                          .order_by(desc(Interaction.occurred_at)).limit(20))),
        traces=list(session.scalars(select(TraceEvent).where(TraceEvent.customer_id == cid,
                                                             TraceEvent.name.in_(trace_names.history_labels()))
                                    .order_by(desc(TraceEvent.id)).limit(10))),
        equipment=list(session.scalars(select(Equipment).where(Equipment.customer_id == cid).order_by(Equipment.id))),
        gestures=list(session.scalars(select(CommercialGesture).where(CommercialGesture.customer_id == cid)
                                      .order_by(desc(CommercialGesture.granted_on)).limit(5))),
        today=today or clock.today(),
    )
    file.tickets = list(session.scalars(select(Ticket).where(Ticket.customer_id == cid, Ticket.status == "open")
                                        .order_by(Ticket.opened_on)))
    file.appointments = list(session.scalars(
        select(Appointment).where(Appointment.customer_id == cid, Appointment.status == "booked",
                                  Appointment.starts_at >= datetime.combine(file.today, time(0), UTC))
        .order_by(Appointment.starts_at)))
    held = {li.offer_code for li in customer.lines}
    ctx = elig.context_for(session, customer, account_ids,
                                  file.account.payer_quality if file.account else "good", file.today)
    file.eligibility = elig.catalogue_filter(session, ctx, held)
    return file


# -- how each field of the catalogue is computed ---------------------------------------------------
Display = str | list[str]
Compute = Callable[[CustomerFile], tuple[Any, Display]]


def _identity(f: CustomerFile) -> tuple[Any, Display]:
    c = f.customer
    return ({"civility": c.civility, "first_name": c.first_name, "last_name": c.last_name},
            f"{c.civility} {c.first_name} {c.last_name}".strip())


def _birth(f: CustomerFile) -> tuple[Any, Display]:
    b = f.customer.birth_date
    if b is None:
        return None, "—"
    return b.isoformat(), f"{fmt.d(b)} ({fmt.years_between(b, f.today)} ans)"


def _address(f: CustomerFile) -> tuple[Any, Display]:
    c = f.customer
    return ({"address_line": c.address_line, "postcode": c.postcode, "city": c.city},
            f"{c.address_line}, {c.postcode} {c.city}")


def _phones(f: CustomerFile) -> tuple[Any, Display]:
    c = f.customer
    return ({"contact_phone": c.contact_phone, "lines": [li.number for li in c.lines]},
            [f"Contact : {fmt.phone(c.contact_phone)}"] + [f"Ligne : {fmt.phone(li.number)}" for li in c.lines])


def _email(f: CustomerFile) -> tuple[Any, Display]:
    return f.customer.email, f.customer.email or "—"


def _guardianship(f: CustomerFile) -> tuple[Any, Display]:
    g = f.customer.guardianship
    if g is None:
        return None, "Aucune mesure de protection"
    value = {"kind": g.kind, "guardian_name": g.guardian_name, "guardian_phone": g.guardian_phone,
             "guardian_email": g.guardian_email, "guardian_address": g.guardian_address,
             "court_decision_on": g.court_decision_on.isoformat() if g.court_decision_on else None}
    rule = ("les actes passent par ce représentant légal" if g.kind == "tutelle"
            else "le client agit avec l'assistance de ce représentant")
    return value, (f"{fmt.GUARDIANSHIP.get(g.kind, g.kind)} — représentant : {g.guardian_name} "
                   f"({fmt.phone(g.guardian_phone)}) : {rule}")


def _tag(f: CustomerFile) -> tuple[Any, Display]:
    tagged = [li.number for li in f.customer.lines if li.electronic_tag]
    if not tagged:
        return [], "Non"
    return tagged, [f"{fmt.phone(n)} : bracelet électronique — ne jamais couper ni suspendre" for n in tagged]


def _seniority(f: CustomerFile) -> tuple[Any, Display]:
    since = f.customer.customer_since
    if since is None:
        return None, "—"
    return since.isoformat(), f"Client depuis le {fmt.d(since)} ({fmt.years_between(since, f.today)} ans)"


def _loyalty(f: CustomerFile) -> tuple[Any, Display]:
    tier = f.customer.loyalty_tier
    return tier, f"Fidélité {fmt.LOYALTY.get(tier, tier)}"


def _revenue(f: CustomerFile) -> tuple[Any, Display]:
    r = f.customer.revenue_12m
    return str(r), f"{fmt.eur(r)} sur 12 mois"


def _interests(f: CustomerFile) -> tuple[Any, Display]:
    return f.customer.interests, ", ".join(f.customer.interests) or "—"


def _moments(f: CustomerFile) -> tuple[Any, Display]:
    return f.customer.life_moments, ", ".join(f.customer.life_moments) or "—"


def _eligibility(f: CustomerFile) -> tuple[Any, Display]:
    value = [{"offer_code": v.offer_code, "eligible": v.eligible, "reasons": v.reasons} for v in f.eligibility]
    display = [f"{v.label} : éligible" if v.eligible else f"{v.label} : non éligible ({'; '.join(v.reasons)})"
               for v in f.eligibility]
    return value, display


def _procedures(f: CustomerFile) -> tuple[Any, Display]:
    procedures = {li.offer.label: li.offer.procedure for li in f.customer.lines if li.offer.procedure}
    return procedures, [f"{k} : {v}" for k, v in procedures.items()] or "—"


def _commitment(li: Any, today: date) -> str:
    if li.commitment_end is None:
        return "sans engagement"
    return (f"engagement échu le {fmt.d(li.commitment_end)}" if li.commitment_end < today
            else f"engagé jusqu'au {fmt.d(li.commitment_end)}")


def _lines(f: CustomerFile) -> tuple[Any, Display]:
    lines = f.customer.lines
    value = [{"id": li.id, "number": li.number, "kind": li.kind, "status": li.status} for li in lines]
    kinds = {"mobile": "mobile", "fixed": "fixe"}
    return value, [f"{fmt.phone(li.number)} — ligne {kinds.get(li.kind, li.kind)} "
                   f"{fmt.LINE_STATUS.get(li.status, li.status)}" for li in lines]


def _offers(f: CustomerFile) -> tuple[Any, Display]:
    value = [{"line": li.number, "offer_code": li.offer_code, "offer": li.offer.label,
              "monthly_price": str(li.offer.monthly_price),
              "options": [{"code": o.option_code, "label": o.option.label} for o in li.options]}
             for li in f.customer.lines]
    display = []
    for li in f.customer.lines:
        options = ", ".join(o.option.label for o in li.options) or "aucune option"
        display.append(f"{fmt.phone(li.number)} : {li.offer.label} ({fmt.eur(li.offer.monthly_price)}/mois) — "
                       f"{options}")
    return value, display


def _activation(f: CustomerFile) -> tuple[Any, Display]:
    value = [{"line": li.number, "activation_date": li.activation_date.isoformat(),
              "commitment_end": li.commitment_end.isoformat() if li.commitment_end else None}
             for li in f.customer.lines]
    return value, [f"{fmt.phone(li.number)} : activée le {fmt.d(li.activation_date)}, {_commitment(li, f.today)}"
                   for li in f.customer.lines]


def _consumption(f: CustomerFile) -> tuple[Any, Display]:
    numbers = {li.id: li.number for li in f.customer.lines}
    value, display = [], []
    for c in f.consumptions:
        value.append({"line": numbers.get(c.line_id), "month": c.month.isoformat(), "data_mb": c.data_mb,
                      "voice_minutes": c.voice_minutes, "sms": c.sms, "overage_volume": c.overage_volume,
                      "overage_amount": str(c.overage_amount)})
        volume = c.overage_volume.replace("hors forfait", "").strip()
        overage = (f" — hors forfait : {volume + ' ' if volume else ''}({fmt.eur(c.overage_amount)})"
                   if c.overage_amount else " — pas de hors forfait")
        display.append(f"{fmt.phone(numbers.get(c.line_id))}, {fmt.month(c.month)} : {fmt.data_volume(c.data_mb)}, "
                       f"{c.voice_minutes} min, {c.sms} SMS{overage}")
    return value, display or "Aucune consommation ce mois-ci"


def _next_invoice(f: CustomerFile) -> tuple[Any, Display]:
    upcoming = [i for i in f.invoices if i.status == "upcoming"]
    if not upcoming:
        return None, "—"
    i = upcoming[-1]  # the nearest one (invoices come newest first)
    when = (f"émission prévue le {fmt.d(i.issued_on)}" if i.issued_on > f.today
            else f"émise le {fmt.d(i.issued_on)}, échéance le {fmt.d(i.due_on)}")
    return {"amount": str(i.amount), "issued_on": i.issued_on.isoformat(), "due_on": i.due_on.isoformat(),
            "issued": i.issued_on <= f.today}, f"{fmt.eur(i.amount)}, {when}"


def _invoices(f: CustomerFile) -> tuple[Any, Display]:
    status = {"paid": "payée", "unpaid": "impayée", "partial": "partiellement payée"}
    past = [i for i in f.invoices if i.status != "upcoming"][:6]
    return ([{"number": i.number, "issued_on": i.issued_on.isoformat(), "amount": str(i.amount),
              "status": i.status} for i in past],
            [f"{fmt.d(i.issued_on)} — {i.number} — {fmt.eur(i.amount)} — {status.get(i.status, i.status)}"
             for i in past] or "Aucune facture")


def _balance(f: CustomerFile) -> tuple[Any, Display]:
    if f.account is None:
        return None, "—"
    b = f.account.balance
    return str(b), (f"{fmt.eur(-b)} dû" if b < 0 else f"{fmt.eur(b)} (à jour)")


def _payment_method(f: CustomerFile) -> tuple[Any, Display]:
    methods = [m for a in f.accounts for m in a.payment_methods if m.active]
    if not methods:
        return None, "Aucun"
    m = methods[0]
    value = {"kind": m.kind, "iban": mask_iban(m.iban), "bic": m.bic, "holder": m.holder}
    detail = f" — {mask_iban(m.iban)} — titulaire {m.holder}" if m.iban else ""
    return value, f"{fmt.CHANNELS.get(m.kind, m.kind).capitalize()}{detail}"


def _payment_channel(f: CustomerFile) -> tuple[Any, Display]:
    if f.account is None:
        return None, "—"
    a = f.account
    return ({"payment_channel": a.payment_channel, "invoice_delivery": a.invoice_delivery},
            f"Paiement par {fmt.CHANNELS.get(a.payment_channel, a.payment_channel)}, facture "
            f"{'papier' if a.invoice_delivery == 'paper' else 'électronique'}")


def _payer_quality(f: CustomerFile) -> tuple[Any, Display]:
    q = f.account.payer_quality if f.account else "good"
    return q, fmt.PAYER_QUALITY.get(q, q).capitalize()


def _collection(f: CustomerFile) -> tuple[Any, Display]:
    stage = {"reminder": "relance", "formal_notice": "mise en demeure", "suspension": "suspension",
             "litigation": "contentieux"}
    value = [{"opened_on": c.opened_on.isoformat(), "amount_due": str(c.amount_due), "stage": c.stage,
              "payment_extension_until": c.payment_extension_until.isoformat() if c.payment_extension_until else None}
             for c in f.collection]
    display = [f"Dossier ouvert le {fmt.d(c.opened_on)} : {fmt.eur(c.amount_due)} dus, étape "
               f"{stage.get(c.stage, c.stage)}" + (f", délai accordé jusqu'au {fmt.d(c.payment_extension_until)}"
                                                   if c.payment_extension_until else
                                                   " — outils : délai de paiement, échéancier")
               for c in f.collection]
    return value, display or "Aucun dossier de recouvrement"


def late_steps(steps: list[Any], today: date) -> list[Any]:
    """The steps still pending after the day they were expected."""
    return [s for s in steps if s.status == "pending" and s.expected_on is not None and s.expected_on < today]


def _orders(f: CustomerFile) -> tuple[Any, Display]:
    value, display = [], []
    for o in f.orders:
        pending = [s for s in o.steps if s.status != "done"]
        done = len(o.steps) - len(pending)
        late = late_steps(o.steps, f.today)
        due_today = any(s.status == "pending" and s.expected_on == f.today for s in o.steps)
        value.append({"number": o.number, "channel": o.channel, "kind": o.kind, "placed_on": o.placed_on.isoformat(),
                      "steps": [{"label": s.label, "status": s.status,
                                 "expected_on": s.expected_on.isoformat() if s.expected_on else None}
                                for s in o.steps],
                      "late_steps": [{"label": s.label, "expected_on": s.expected_on.isoformat()} for s in late],
                      "due_today": due_today})
        nxt = pending[0] if pending else None
        remaining = f", reste : {', '.join(s.label for s in pending)}" if pending else ""
        due = f" (prévu le {fmt.d(nxt.expected_on)})" if nxt and nxt.expected_on else ""
        alert = "".join(f" — EN RETARD : {s.label} prévu le {fmt.d(s.expected_on)}" for s in late)
        alert += " — étape prévue aujourd'hui" if due_today else ""
        display.append(f"{o.kind} {o.number} passée en {fmt.CHANNELS.get(o.channel, o.channel)} le "
                       f"{fmt.d(o.placed_on)} : étape {done + 1}/{len(o.steps)}{due}{remaining}{alert}")
    return value, display or "Aucune commande en cours"


# Two reasons are the same when they share this many word stems (« frais de roaming contestés » and « Conteste
# des frais de roaming facturés »): a complaint already compensated for that reason is shown as such.
SAME_REASON_STEMS = 2


def _stems(text: str) -> set[str]:
    return {w[:6] for w in fold(text).replace("'", " ").split() if len(w) >= 5}


def gestures_for(summary: str, gestures: list[CommercialGesture]) -> list[CommercialGesture]:
    """The gestures already granted for the same reason as a complaint."""
    stems = _stems(summary)
    return [g for g in gestures if len(stems & _stems(g.reason)) >= SAME_REASON_STEMS]


def _events(f: CustomerFile, with_collection: bool) -> tuple[Any, Display]:
    events = [e for e in f.events if with_collection or e.kind != "collection"]
    value, display = [], []
    for e in events:
        granted = gestures_for(e.summary, f.gestures) if e.kind == "complaint" else []
        value.append({"kind": e.kind, "opened_on": e.opened_on.isoformat(),
                      "due_on": e.due_on.isoformat() if e.due_on else None, "summary": e.summary,
                      "gestures_for_reason": len(granted)})
        paid = (f" — déjà dédommagé {len(granted)} fois pour ce motif "
                f"({fmt.eur(sum((g.amount for g in granted), Decimal(0)))})" if granted else "")
        display.append(f"{fmt.EVENT_KINDS.get(e.kind, e.kind)} depuis le {fmt.d(e.opened_on)}"
                       + (f", échéance {fmt.d(e.due_on)}" if e.due_on else "") + f" : {e.summary}{paid}")
    for t in f.tickets:
        value.append({"kind": "ticket", "id": t.id, "opened_on": t.opened_on.isoformat(), "journey": t.journey,
                      "summary": t.summary, "last_step": t.last_step})
        resume = f" — reprendre à : {t.last_step}" if t.last_step else ""
        display.append(f"Ticket n° {t.id} ouvert le {fmt.d(t.opened_on)} : {t.summary.splitlines()[-1][:200]}"
                       f"{resume}")
    for a in f.appointments:
        value.append({"kind": "appointment", "id": a.id, "starts_at": a.starts_at.isoformat(), "type": a.kind})
        display.append(f"Rendez-vous technicien ({APPOINTMENT_KINDS.get(a.kind, a.kind)}) : {slot_label(a.starts_at)}")
    return value, display or "Aucun événement en cours"


APPOINTMENT_KINDS = {"repair": "dépannage", "installation": "installation", "move": "déménagement"}


def _history_summary(t: TraceEvent, label: str) -> str:
    """The French line of a trace in the history: what was done, and about what."""
    data = t.data or {}
    if t.name == "act.done" and isinstance(data.get("label"), str):
        return f"{label} : {data['label']}"
    if t.name == "transfer.requested" and isinstance(data.get("team_label"), str):
        return f"{label} vers {data['team_label']} ({'à chaud' if data.get('mode') == 'warm' else 'à froid'})"
    if t.name == "transfer.closed" and isinstance(data.get("outcome_label"), str):
        note = data.get("note")
        return f"{label} : {data['outcome_label']}" + (f" — {note}" if isinstance(note, str) and note else "")
    if t.name == "screen_pop.sent":
        journey = journey_label(data.get("journey"))
        return f"{label} — motif : {journey}" if journey else f"{label} — motif non détecté"
    return label


def _history(f: CustomerFile) -> tuple[Any, Display]:
    labels = trace_names.history_labels()
    items: list[tuple[Any, dict[str, Any], str]] = []
    for i in f.interactions[:10]:
        items.append((i.occurred_at.replace(tzinfo=None), {"at": i.occurred_at.isoformat(), "channel": i.channel,
                                                            "summary": i.summary},
                      f"{fmt.dt(i.occurred_at)} — {fmt.CHANNELS.get(i.channel, i.channel)} — {i.summary}"))
    popped: set[str | None] = set()
    for t in f.traces:
        if t.name == "screen_pop.sent":  # one line per call, the oldest pop (traces come newest first)
            if t.call_id in popped:
                continue
            popped.add(t.call_id)
        summary = _history_summary(t, labels.get(t.name, t.name))
        items.append((t.occurred_at.replace(tzinfo=None), {"at": t.occurred_at.isoformat(), "channel": "trace",
                                                            "summary": summary},
                      f"{fmt.dt(t.occurred_at)} — {summary} ({t.actor})"))
    items.sort(key=lambda x: x[0], reverse=True)
    return [v for _, v, _ in items[:12]], [s for _, _, s in items[:12]] or "Aucune interaction"


def _equipment(f: CustomerFile) -> tuple[Any, Display]:
    return ([{"id": e.id, "kind": e.kind, "model": e.model, "serial_number": e.serial_number,
              "ownership": e.ownership, "technical": e.technical} for e in f.equipment],
            [f"{e.model} ({fmt.OWNERSHIP.get(e.ownership, e.ownership)} le {fmt.d(e.acquired_on)}) — "
             f"n° {e.serial_number}" + "".join(f", {k} {v}" for k, v in e.technical.items())
             for e in f.equipment] or "Aucun équipement")


def _warranty(f: CustomerFile) -> tuple[Any, Display]:
    value, display = [], []
    for e in f.equipment:
        until = fmt.add_months(e.acquired_on, e.warranty_months)
        value.append({"equipment_id": e.id, "cover": e.warranty_cover, "months": e.warranty_months,
                      "until": until.isoformat(), "deposit": str(e.deposit_amount)})
        state = "en cours" if until >= f.today else "expirée"
        deposit = f", dépôt de garantie {fmt.eur(e.deposit_amount)}" if e.deposit_amount else ""
        display.append(f"{e.model} : {e.warranty_cover}, {e.warranty_months} mois jusqu'au {fmt.d(until)} "
                       f"({state}){deposit}")
    return value, display or "—"


def _support(f: CustomerFile) -> tuple[Any, Display]:
    models = {e.id: e.model for e in f.equipment}
    value, display = [], []
    for i in f.interactions:
        if i.equipment_id in models:
            value.append({"equipment_id": i.equipment_id, "at": i.occurred_at.isoformat(), "summary": i.summary})
            display.append(f"{models[i.equipment_id]} — {fmt.dt(i.occurred_at)} : {i.summary}")
    for e in f.equipment:
        for t in e.tests:
            value.append({"equipment_id": e.id, "at": t.tested_at.isoformat(), "test": t.result, "shop": t.shop_code,
                          "summary": t.details})
            display.append(f"{e.model} — test en boutique {t.shop_code} le {fmt.d(t.tested_at)} : "
                           f"{'réussi' if t.result == 'pass' else 'échec'} — {t.details}")
    return value, display or "Aucune intervention"


def _gestures(f: CustomerFile) -> tuple[Any, Display]:
    return ([{"granted_on": g.granted_on.isoformat(), "amount": str(g.amount), "reason": g.reason}
             for g in f.gestures],
            [f"{fmt.d(g.granted_on)} : {fmt.eur(g.amount)} — {g.reason} ({g.advisor_login})" for g in f.gestures]
            or "Aucun geste commercial")


def _events_collection(f: CustomerFile) -> tuple[Any, Display]:
    events = [e for e in f.events if e.kind == "collection"]
    return ([{"opened_on": e.opened_on.isoformat(), "summary": e.summary} for e in events],
            [f"Recouvrement depuis le {fmt.d(e.opened_on)} : {e.summary}" for e in events] or "Aucun")


COMPUTE: dict[str, Compute] = {
    "identity": _identity,
    "birth_date": _birth,
    "postal_address": _address,
    "phones": _phones,
    "email": _email,
    "guardianship": _guardianship,
    "electronic_tag": _tag,
    "eligibility": _eligibility,
    "procedures": _procedures,
    "seniority": _seniority,
    "loyalty": _loyalty,
    "revenue": _revenue,
    "gestures": _gestures,
    "interests": _interests,
    "life_moments": _moments,
    "lines": _lines,
    "offers_options": _offers,
    "activation_commitment": _activation,
    "consumption": _consumption,
    "next_invoice": _next_invoice,
    "invoice_history": _invoices,
    "balance": _balance,
    "payment_method": _payment_method,
    "payment_channel": _payment_channel,
    "payer_quality": _payer_quality,
    "collection": _collection,
    "orders": _orders,
    "ongoing_events": lambda f: _events(f, False),
    "collection_events": _events_collection,
    "history": _history,
    "equipment": _equipment,
    "warranty": _warranty,
    "support_history": _support,
}


def build(file: CustomerFile, permissions: frozenset[str], only: frozenset[str] | None = None) -> dict[str, Any]:
    """The blocks and fields the actor may see (of ``only``, if given), computed from the file as the permission
    filter shows it."""
    allowed = [f for f in catalogue.visible_fields(permissions) if only is None or f.name in only]
    shown = permission_filter.customer_file(file, permissions)
    blocks = []
    for name, label in catalogue.BLOCKS:
        specs = sorted((f for f in allowed if f.block == name), key=lambda f: catalogue.PRIORITIES.index(f.priority))
        if not specs:
            continue
        fields = []
        for spec in specs:
            value, display = COMPUTE[spec.name](shown)
            fields.append({"name": spec.name, "label": spec.label, "value": value, "display": display,
                           "priority": spec.priority})
        blocks.append({"name": name, "label": label, "fields": fields})
    return {"customer_id": file.customer.id, "version": file.customer.version, "blocks": blocks}
