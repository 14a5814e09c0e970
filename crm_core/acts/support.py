"""Journeys "breakdown" and "usage_help": the line's diagnosis, tickets, technicians, exchanges, guided scripts.

A ticket follows one problem of one line across contacts: ``last_step`` says where the last contact stopped
and ``scripts`` what was tried. Every act that writes also leaves a support interaction, so the 360° view's
support history shows it.

Exchange rule (``exchange_equipment``): bought equipment is exchanged only under warranty; rented or lent
equipment always (the rental covers it). Equipment that passed a shop hardware test less than
``RECENT_TEST_DAYS`` days ago is not exchanged unless a ticket of it (or of its line) was opened or completed
since the test: the fault must be reported again after a test that found nothing.
"""

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select

from crm_core.acts import scripts, slots
from crm_core.acts.base import Act, ActContext, ActRefused, Change, Plan, fr_date, line_label, register
from crm_core.acts.catalogue import JOURNEY_LABELS, Param
from crm_core.models import Appointment, Equipment, Interaction, Line, Order, OrderStep, Ticket
from crm_core.phone import to_national
from crm_core.services.formatting import CHANNELS, LINE_STATUS, OWNERSHIP, add_months
from crm_core.services.validation import FieldInvalid

RECENT_TEST_DAYS = 30
SHIPPING_DAYS = 2  # the replacement leaves the warehouse
RETURN_DAYS = 15  # the old equipment comes back, after the replacement is shipped
COVERED_BY_RENTAL = ("rented", "lent")
# The NLU's equipment entity (nlu/text/lexicon.py) → the kind of line it hangs on.
FIXED_EQUIPMENT = {"box", "decoder", "repeater", "landline_phone", "remote"}
MOBILE_EQUIPMENT = {"phone", "iphone", "galaxy", "pixel", "sim", "esim"}
LINE_KINDS = {"fixed": "fixe (box)", "mobile": "mobile"}
LAST_CONTACTS = 3  # in the diagnosis' summary (all of them are in its details)
TICKET_STATUS = {"open": "ouvert", "resolved": "résolu", "closed": "clos"}


# -- reads shared by the acts ---------------------------------------------------------------------------
def warranty_end(e: Equipment) -> date:
    return add_months(e.acquired_on, e.warranty_months)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _line(ctx: ActContext, params: dict[str, Any]) -> Line:
    return next(li for li in ctx.lines() if str(li.id) == params["line"])


def _equipment(ctx: ActContext, line: Line) -> list[Equipment]:
    return list(ctx.session.scalars(select(Equipment).where(Equipment.line_id == line.id).order_by(Equipment.id)))


def _open_ticket(ctx: ActContext, line_id: int | None) -> Ticket | None:
    if line_id is None:
        return None
    return ctx.session.scalar(select(Ticket).where(Ticket.line_id == line_id, Ticket.status == "open")
                              .order_by(Ticket.id.desc()))


def _said_equipment(ctx: ActContext) -> str | None:
    return next((str(e["value"]) for e in ctx.hints.get("entities") or []
                 if isinstance(e, dict) and e.get("entity") == "equipment" and e.get("value")), None)


def _record(ctx: ActContext, summary: str, equipment_id: int | None, kind: str = "support") -> None:
    """The support interaction every writing act leaves (the 360° support history)."""
    ctx.session.add(Interaction(customer_id=ctx.require_customer().id, occurred_at=ctx.now, channel="phone",
                                kind=kind, summary=summary[:400], advisor_login=ctx.actor.login,
                                equipment_id=equipment_id, topic="support"))


def _stopped_at(ctx: ActContext, ticket: Ticket, step: str) -> None:
    """Where the contact stops on this ticket (what the next contact resumes from)."""
    ticket.last_step = step[:300]
    ticket.updated_at = ctx.now


def _new_ticket(ctx: ActContext, line: Line, journey: str, summary: str, last_step: str) -> Ticket:
    equipment = _equipment(ctx, line)
    ticket = Ticket(customer_id=line.customer_id, line_id=line.id, journey=journey, opened_on=ctx.today,
                    updated_at=ctx.now, status="open", summary=summary[:1000], last_step=last_step[:300], scripts=[],
                    equipment_id=equipment[0].id if equipment else None)
    ctx.session.add(ticket)
    ctx.session.flush()
    return ticket


class _LineAct(Act):
    """An act on one line: the line the caller's words point to (« ma box ») comes before the caller's own."""

    def defaults(self, ctx: ActContext) -> dict[str, Any]:
        filled = super().defaults(ctx)
        said = _said_equipment(ctx)
        kind = "fixed" if said in FIXED_EQUIPMENT else "mobile" if said in MOBILE_EQUIPMENT else None
        matching = [li for li in ctx.lines() if li.status == "active" and li.kind == kind]
        if len(matching) == 1:
            filled["line"] = str(matching[0].id)
        return filled


# -- diagnosis ------------------------------------------------------------------------------------------
def _iso_date(raw: Any) -> date | None:
    try:
        return datetime.fromisoformat(str(raw)).date()
    except ValueError:
        return None


def _scripts_tried(tickets: list[Ticket]) -> list[str]:
    tried = []
    for ticket in tickets:
        for entry in ticket.scripts or []:
            script = scripts.get(entry.get("script", ""))
            title = script.title if script else entry.get("script", "?")
            total = f"/{len(script.steps)}" if script else ""
            tried.append(f"« {title} » le {fr_date(_iso_date(entry.get('on')))} par {entry.get('by', '?')} : "
                         f"{len(entry.get('steps', []))}{total} étapes, "
                         f"{'résolu' if entry.get('solved') else 'non résolu'}")
    return tried


def _resume_at(tickets: list[Ticket], contacts: list[Interaction]) -> str | None:
    """Where the last contact stopped: the open ticket's last step, else the last support contact."""
    ticket = next((t for t in reversed(tickets) if t.status == "open" and t.last_step), None)
    if ticket is not None:
        return f"{ticket.last_step} (ticket n° {ticket.id}, {fr_date(ticket.updated_at)})"
    if contacts:
        last = contacts[-1]
        return f"{last.summary} ({CHANNELS.get(last.channel, last.channel)}, {fr_date(last.occurred_at)})"
    return None


def _equipment_details(e: Equipment, today: date) -> list[tuple[str, str]]:
    end = warranty_end(e)
    owned = f"{OWNERSHIP.get(e.ownership, e.ownership)} le {fr_date(e.acquired_on)}"
    firmware = f", firmware {e.technical['firmware']}" if e.technical.get("firmware") else ""
    covered = " — matériel loué : échange couvert" if e.ownership in COVERED_BY_RENTAL else ""
    state = "en cours" if end >= today else "expirée"
    return [("Matériel", f"{e.model} ({owned}) — n° {e.serial_number}{firmware}"),
            ("Garantie", f"{e.model} : {e.warranty_cover or 'garantie'} jusqu'au {fr_date(end)} ({state}){covered}"),
            *[("Test en boutique", f"{e.model} — {t.shop_code} le {fr_date(t.tested_at)} : "
                                   f"{'réussi' if t.result == 'pass' else 'échec'} — {t.details}") for t in e.tests]]


def _equipment_phrase(e: Equipment, today: date) -> str:
    end = warranty_end(e)
    phrase = f"{e.model} {OWNERSHIP.get(e.ownership, e.ownership)}, " + (
        f"sous garantie jusqu'au {fr_date(end)}" if end >= today else f"garantie expirée depuis le {fr_date(end)}")
    if e.tests:
        last = e.tests[-1]
        phrase += f", test en boutique {'réussi' if last.result == 'pass' else 'en échec'} le {fr_date(last.tested_at)}"
    return phrase


def _equipment_facts(e: Equipment, today: date) -> dict[str, Any]:
    end = warranty_end(e)
    return {"id": e.id, "kind": e.kind, "model": e.model, "ownership": e.ownership,
            "firmware": e.technical.get("firmware"), "warranty_end": end.isoformat(), "under_warranty": end >= today,
            "tests": [{"on": _utc(t.tested_at).date().isoformat(), "shop": t.shop_code, "result": t.result}
                      for t in e.tests]}


@register
class DiagnoseLine(_LineAct):
    code = "diagnose_line"
    traced_facts = ("line", "status", "resume_at", "scripts_tried", "appointment")

    def plan(self, ctx: ActContext, params: dict[str, Any]) -> Plan:
        customer = ctx.require_customer()
        line = _line(ctx, params)
        status = LINE_STATUS.get(line.status, line.status)
        equipment = _equipment(ctx, line)
        tickets = list(ctx.session.scalars(select(Ticket).where(Ticket.line_id == line.id)
                                           .order_by(Ticket.opened_on, Ticket.id)))
        contacts = list(ctx.session.scalars(select(Interaction).where(
            Interaction.customer_id == customer.id, Interaction.topic == "support",
            or_(Interaction.equipment_id.in_([e.id for e in equipment]), Interaction.equipment_id.is_(None)))
            .order_by(Interaction.occurred_at, Interaction.id)))
        visit = ctx.session.scalar(select(Appointment).where(
            Appointment.line_id == line.id, Appointment.status == "booked", Appointment.starts_at >= ctx.now)
            .order_by(Appointment.starts_at))
        resume = _resume_at(tickets, contacts)

        details = [("Ligne", f"{line_label(line)} — {status}")]
        details += [d for e in equipment for d in _equipment_details(e, ctx.today)]
        details += [(f"Ticket n° {t.id}", f"ouvert le {fr_date(t.opened_on)} "
                                          f"({TICKET_STATUS.get(t.status, t.status)}) — {t.summary}") for t in tickets]
        details += [(f"Contact du {fr_date(i.occurred_at)} ({CHANNELS.get(i.channel, i.channel)})", i.summary)
                    for i in contacts]
        details += [("Script déjà tenté", s) for s in _scripts_tried(tickets)]
        if visit is not None:
            details.append(("Rendez-vous technicien", slots.slot_label(_utc(visit.starts_at))))
        if resume:
            details.append(("Reprendre à", resume))
        warnings = [f"{e.model} testé(e) conforme en boutique le {fr_date(e.tests[-1].tested_at)} : cherchez la "
                    "cause côté installation, wifi ou ligne avant de proposer un échange."
                    for e in equipment if e.tests and e.tests[-1].result == "pass"]
        if line.status != "active":
            warnings.insert(0, f"La ligne est {status} : la panne peut venir de là.")

        summary = " ".join([f"Ligne {to_national(line.number)} ({line.offer.label}) : {status}.",
                            *[f"{_equipment_phrase(e, ctx.today)}." for e in equipment],
                            *(["Contacts SAV : " + " ; ".join(
                                f"{fr_date(i.occurred_at)} ({CHANNELS.get(i.channel, i.channel)}) {i.summary}"
                                for i in contacts[-LAST_CONTACTS:]) + "."] if contacts else []),
                            f"Reprendre à : {resume}." if resume else "Aucun contact SAV précédent."])
        return Plan(summary, details=details, warnings=warnings, facts={
            "line": line.number, "status": line.status, "offer": line.offer_code,
            "equipment": [_equipment_facts(e, ctx.today) for e in equipment],
            "tickets": [{"id": t.id, "status": t.status, "journey": t.journey, "opened_on": t.opened_on.isoformat(),
                         "summary": t.summary, "last_step": t.last_step} for t in tickets],
            "contacts": [{"on": _utc(i.occurred_at).date().isoformat(), "channel": i.channel, "summary": i.summary}
                         for i in contacts],
            "scripts_tried": [entry for t in tickets for entry in (t.scripts or [])],
            "appointment": _utc(visit.starts_at).isoformat() if visit else None,
            "resume_at": resume})


# -- tickets --------------------------------------------------------------------------------------------
def _appended(summary: str, stamp: str) -> str:
    """The ticket's summary with one more dated entry; the oldest text goes first when it is too long."""
    text = f"{summary}\n{stamp}"
    return text if len(text) <= 1000 else "…" + text[-999:]


@register
class OpenTicket(_LineAct):
    code = "open_ticket"

    def plan(self, ctx: ActContext, params: dict[str, Any]) -> Plan:
        ctx.require_customer()
        line = _line(ctx, params)
        text: str = params["summary"]
        stamp = f"{fr_date(ctx.today)} : {text}"
        ticket = _open_ticket(ctx, line.id)
        journey = params.get("journey", "breakdown")
        if ticket is None:
            plan = Plan(f"Nouveau ticket « {JOURNEY_LABELS[journey]} » pour la ligne {to_national(line.number)}.",
                        [Change("support_history", "Ticket", "—", f"ouvert le {fr_date(ctx.today)} : {text}")],
                        details=[("Ligne", line_label(line)), ("Constat", text)],
                        facts={"ticket": None, "journey": journey})
        else:
            plan = Plan(f"Le ticket n° {ticket.id} ouvert le {fr_date(ticket.opened_on)} pour cette ligne est complété "
                        "(pas de nouveau ticket).",
                        [Change("support_history", f"Ticket n° {ticket.id}", ticket.last_step or "—", stamp)],
                        details=[("Ligne", line_label(line)), ("Ticket", ticket.summary), ("Ajout", stamp)],
                        facts={"ticket": ticket.id, "journey": ticket.journey})

        def apply() -> None:
            nonlocal ticket
            if ticket is None:
                ticket = _new_ticket(ctx, line, journey, text, f"Constat du {stamp}")
                said = "ouvert"
            else:
                ticket.summary = _appended(ticket.summary, stamp)
                _stopped_at(ctx, ticket, f"Constat du {stamp}")
                said = "complété"
            _record(ctx, f"Ticket n° {ticket.id} {said} — ligne {to_national(line.number)} : {text}",
                    ticket.equipment_id)
            plan.facts["ref"] = {"ticket": ticket.id}

        plan.apply = apply
        return plan


# -- technician -----------------------------------------------------------------------------------------
@register
class BookTechnician(_LineAct):
    code = "book_technician"

    def choices(self, ctx: ActContext, param: Param) -> list[tuple[str, str]] | None:
        if param.type == "slot":
            return slots.free_slots(ctx.session, ctx.require_customer().postcode, ctx.today)
        return super().choices(ctx, param)

    def check_value(self, ctx: ActContext, param: Param, value: Any) -> Any:
        if param.type != "slot":
            return super().check_value(ctx, param, value)
        text = str(value).strip()
        try:
            start, _ = slots.slot_bounds(text)
        except ValueError as exc:
            raise FieldInvalid(param.name, f"{param.label} : créneau illisible, choisissez-en un proposé.") from exc
        if text not in {v for v, _ in self.choices(ctx, param) or []}:
            raise FieldInvalid(param.name, f"Le créneau du {slots.slot_label(start)} n'est pas ou plus libre : "
                                           "choisissez un des créneaux proposés.")
        return text

    def plan(self, ctx: ActContext, params: dict[str, Any]) -> Plan:
        customer = ctx.require_customer()
        line = _line(ctx, params)
        number = to_national(line.number)
        if line.kind != "fixed":
            raise ActRefused(f"La ligne {number} est une ligne mobile : un technicien n'intervient que sur une ligne "
                             "fixe (box). Pour un mobile, proposez un test en boutique.", "line")
        booked = ctx.session.scalar(select(Appointment).where(
            Appointment.line_id == line.id, Appointment.status == "booked", Appointment.starts_at >= ctx.now)
            .order_by(Appointment.starts_at))
        if booked is not None:
            raise ActRefused(f"Un technicien est déjà prévu pour la ligne {number} le "
                             f"{slots.slot_label(_utc(booked.starts_at))} : déplacez ou annulez ce rendez-vous plutôt "
                             "que d'en prendre un second.", "slot")
        when = slots.slot_label(slots.slot_bounds(params["slot"])[0])
        ticket = _open_ticket(ctx, line.id)
        equipment = _equipment(ctx, line)
        plan = Plan(f"Rendez-vous technicien (dépannage) le {when} pour la ligne {number}"
                    + (f", rattaché au ticket n° {ticket.id}." if ticket else "."),
                    [Change("support_history", "Rendez-vous technicien", "—", when)],
                    details=[("Ligne", line_label(line)), ("Créneau", when),
                             ("Adresse", f"{customer.address_line}, {customer.postcode} {customer.city}")],
                    warnings=["Une personne majeure doit être présente ; le technicien appelle avant de passer."],
                    facts={"line": line.number, "slot": params["slot"], "when": when,
                           "ticket": ticket.id if ticket else None})
        if ticket is None:
            plan.warnings.append("Aucun ticket ouvert pour cette ligne : ouvrez-en un pour décrire la panne au "
                                 "technicien.")

        def apply() -> None:
            visit = slots.book(ctx.session, customer_id=customer.id, line_id=line.id, postcode=customer.postcode,
                               value=params["slot"], kind="repair", login=ctx.actor.login,
                               ticket_id=ticket.id if ticket else None)
            if ticket is not None:
                _stopped_at(ctx, ticket, f"Rendez-vous technicien pris pour le {when}")
            _record(ctx, f"Rendez-vous technicien le {when} — ligne {number}",
                    equipment[0].id if equipment else None)
            plan.facts["ref"] = {"appointment": visit.id}

        plan.apply = apply
        return plan


# -- exchange -------------------------------------------------------------------------------------------
def _order_number(ctx: ActContext) -> str:
    prefix = f"ECH-{ctx.today:%y%m}-"
    taken = ctx.session.scalars(select(Order.number).where(Order.number.startswith(prefix))).all()
    return f"{prefix}{len(taken) + 1:04d}"


def _after_shop_test(ctx: ActContext, item: Equipment) -> list[str]:
    """The module's rule on a shop test that found nothing: a refusal when it is recent and no fault was
    reported since (a ticket of the equipment or its line opened or completed after it), else a warning."""
    last = item.tests[-1] if item.tests else None
    if last is None or last.result != "pass":
        return []
    tested = fr_date(last.tested_at)
    fault_since = ctx.session.scalar(select(Ticket.id).where(
        Ticket.customer_id == item.customer_id, Ticket.updated_at > last.tested_at,
        or_(Ticket.equipment_id == item.id, Ticket.line_id == item.line_id)))
    if (ctx.today - _utc(last.tested_at).date()).days <= RECENT_TEST_DAYS and fault_since is None:
        raise ActRefused(f"{item.model} a été testé(e) conforme en boutique le {tested} ({last.shop_code}), il y a "
                         f"moins de {RECENT_TEST_DAYS} jours, et aucune panne n'est signalée depuis : pas d'échange. "
                         "Ouvrez un ticket décrivant la panne constatée, ou déroulez un script guidé.", "equipment")
    return [f"Dernier test en boutique le {tested} : conforme. Confirmez que la panne persiste."]


@register
class ExchangeEquipment(Act):
    code = "exchange_equipment"

    def defaults(self, ctx: ActContext) -> dict[str, Any]:
        said = (_said_equipment(ctx) or "").lower()
        items = ctx.session.scalars(select(Equipment).where(Equipment.customer_id == ctx.require_customer().id)).all()
        matching = [e for e in items if said and (e.kind == said or said in e.model.lower())] or list(items)
        return {"equipment": str(matching[0].id)} if len(matching) == 1 else {}

    def plan(self, ctx: ActContext, params: dict[str, Any]) -> Plan:
        customer = ctx.require_customer()
        item = ctx.session.get(Equipment, int(params["equipment"]))  # one of the customer's: checked by choices
        assert item is not None
        end = warranty_end(item)
        rental = item.ownership in COVERED_BY_RENTAL
        if not rental and end < ctx.today:
            raise ActRefused(f"{item.model} n'est plus sous garantie : {item.warranty_cover or 'garantie'} de "
                             f"{item.warranty_months} mois terminée le {fr_date(end)}. Pas d'échange : orientez le "
                             "client vers une réparation payante en boutique.", "equipment")
        kind = f"Échange {item.model}"[:40]
        pending = ctx.session.scalar(select(Order).where(Order.customer_id == customer.id, Order.kind == kind,
                                                         Order.status == "in_progress"))
        if pending is not None:
            raise ActRefused(f"Un échange de {item.model} est déjà en cours (commande {pending.number} du "
                             f"{fr_date(pending.placed_on)}).", "equipment")
        warnings = _after_shop_test(ctx, item)
        shipped = ctx.today + timedelta(days=SHIPPING_DAYS)
        returned = shipped + timedelta(days=RETURN_DAYS)
        cover = ("location : échange couvert" if rental
                 else f"{item.warranty_cover or 'garantie'} jusqu'au {fr_date(end)}")
        plan = Plan(f"Échange de {item.model} (n° {item.serial_number}) : le matériel de remplacement part le "
                    f"{fr_date(shipped)}, l'ancien revient avant le {fr_date(returned)}.",
                    [Change("orders", "Commande", "—", kind)],
                    details=[("Matériel", f"{item.model} ({OWNERSHIP.get(item.ownership, item.ownership)}) — "
                                          f"n° {item.serial_number}"), ("Couverture", cover),
                             ("Expédition du matériel de remplacement", fr_date(shipped)),
                             ("Retour de l'ancien matériel", f"avant le {fr_date(returned)}")],
                    warnings=[*warnings, f"L'ancien matériel est à renvoyer sous {RETURN_DAYS} jours avec l'étiquette "
                                         "prépayée du colis, ou à déposer en boutique."],
                    facts={"equipment": item.id, "covered_by": "rental" if rental else "warranty",
                           "warranty_end": end.isoformat()})

        def apply() -> None:
            order = Order(customer_id=customer.id, number=_order_number(ctx), channel="phone", kind=kind,
                          placed_on=ctx.today, status="in_progress")
            ctx.session.add(order)
            ctx.session.flush()
            ctx.session.add_all([
                OrderStep(order_id=order.id, position=1, label="Expédition du matériel de remplacement",
                          status="pending", expected_on=shipped),
                OrderStep(order_id=order.id, position=2, label="Retour de l'ancien matériel", status="pending",
                          expected_on=returned)])
            ticket = _open_ticket(ctx, item.line_id)
            if ticket is not None:
                _stopped_at(ctx, ticket, f"Échange du matériel lancé (commande {order.number})")
            _record(ctx, f"Échange de {item.model} (n° {item.serial_number}) : commande {order.number}", item.id,
                    kind="after_sales")
            plan.facts["ref"] = {"order": order.id, "number": order.number}

        plan.apply = apply
        return plan


# -- guided scripts -------------------------------------------------------------------------------------
@register
class RunScript(_LineAct):
    code = "run_script"
    traced_facts = ("script", "line", "solved", "steps", "ticket")

    def choices(self, ctx: ActContext, param: Param) -> list[tuple[str, str]] | None:
        if param.type == "script":
            kinds = {li.kind for li in ctx.lines() if li.status == "active"}
            return [(s.code, f"{s.title} ({LINE_KINDS[s.line_kind]})") for s in scripts.for_line_kinds(kinds)]
        return super().choices(ctx, param)

    def plan(self, ctx: ActContext, params: dict[str, Any]) -> Plan:
        ctx.require_customer()
        line = _line(ctx, params)
        script = scripts.get(params["script"])
        assert script is not None  # checked by choices
        if script.line_kind != line.kind:
            raise ActRefused(f"Le script « {script.title} » concerne une ligne {LINE_KINDS[script.line_kind]} : "
                             "choisissez cette ligne.", "line")
        unknown = [s for s in params["steps"] if script.step(s) is None]
        if unknown:
            raise ActRefused(f"Étape inconnue pour le script « {script.title} » : {', '.join(unknown)}.", "steps")
        done = [s.id for s in script.steps if s.id in params["steps"]]  # in the script's order, as ticked
        last = script.step(done[-1])
        assert last is not None
        solved = bool(params.get("solved", False))
        ticket = _open_ticket(ctx, line.id)
        where = f"ticket n° {ticket.id}" if ticket else "un nouveau ticket"
        changes = [Change("support_history", f"Ticket n° {ticket.id}" if ticket else "Nouveau ticket",
                          (ticket.last_step or "—") if ticket else "—", f"« {script.title} » : {last.instruction}")]
        if solved:
            changes.append(Change("support_history", "Statut du ticket", "ouvert", "résolu"))
        said = (f"Script « {script.title} » : {len(done)}/{len(script.steps)} étapes faites, "
                f"{'problème résolu' if solved else 'non résolu'} — noté dans ")
        plan = Plan(f"{said}{where}.", changes,
                    details=[(f"Étape {i} — {'faite' if s.id in done else 'à faire'}",
                              f"{s.instruction} → attendu : {s.expected}") for i, s in enumerate(script.steps, 1)],
                    facts={"script": script.code, "line": line.number, "solved": solved,
                           "ticket": ticket.id if ticket else None,
                           "steps": [{"id": s.id, "done": s.id in done} for s in script.steps]})
        for entry in (ticket.scripts or []) if ticket else []:
            if entry.get("script") == script.code:
                plan.warnings.append(f"Ce script a déjà été déroulé le {fr_date(_iso_date(entry.get('on')))} par "
                                     f"{entry.get('by', '?')} ({len(entry.get('steps', []))} étapes).")
        todo = [s for s in script.steps if s.id not in done]
        if not solved and todo:
            plan.warnings.append(f"Prochaine étape : {todo[0].instruction}.")
        elif not solved:
            plan.warnings.append("Toutes les étapes sont faites sans succès : proposez un rendez-vous technicien ou "
                                 "un échange du matériel.")

        def apply() -> str:
            nonlocal ticket
            step = f"« {script.title} » : {last.instruction}"
            if ticket is None:
                ticket = _new_ticket(ctx, line, script.journeys[0], f"Script guidé « {script.title} »", step)
            entry = {"script": script.code, "steps": done, "solved": solved, "on": ctx.today.isoformat(),
                     "by": ctx.actor.login}
            ticket.scripts = [*(ticket.scripts or []), entry]  # a new list: the JSON column sees the change
            _stopped_at(ctx, ticket, step)
            if solved:
                ticket.status = "resolved"
            _record(ctx, f"Script « {script.title} » ({len(done)}/{len(script.steps)} étapes), "
                         f"{'résolu' if solved else 'non résolu'} — ticket n° {ticket.id}", ticket.equipment_id)
            plan.facts["ref"] = {"ticket": ticket.id}
            return f"{said}le ticket n° {ticket.id}."  # the ticket it went to, new or not

        plan.apply = apply
        return plan
