"""Level-2 transfers: request (prerequisites checked, handover drafted), acknowledge or decline, pick up from
the basket, close with the outcome. One door for every caller (the API, the panel through it, tests).

Each step checks the actor's habilitation (``transfer:request`` / ``transfer:receive`` and the team of the
routing file), changes the transfer with one conditional update (two advisors never take the same one) and
records its trace in the same transaction, with the durations the steering needs. A refusal is raised in
French after the rollback, so it changed nothing, and is traced apart (``transfer.refused``).
"""

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from crm_core.core.db import transaction
from crm_core.models import Transfer
from crm_core.models.base import utcnow
from crm_core.models.transfer import OPEN_STATUSES
from crm_core.services import habilitations, permission_filter, tracing
from crm_core.services.actor import Actor
from crm_core.services.call_access import CallOwner
from crm_core.services.customers import CustomerService
from crm_core.services.errors import Conflict, NotFound
from crm_core.services.fields import can_see
from crm_core.transfers import call_record, handover, prerequisites
from crm_core.transfers.routing import Routing

log = logging.getLogger(__name__)
T = TypeVar("T")

TRANSFER_REQUEST = habilitations.TRANSFER_REQUEST
TRANSFER_RECEIVE = habilitations.TRANSFER_RECEIVE
MODES = {"warm": "à chaud", "cold": "à froid"}
OUTCOMES = {"resolved": "Résolu", "unresolved": "Non résolu", "technician": "Intervention technicien programmée",
            "callback": "Rappel du client prévu", "redirected": "Réorienté vers un autre service"}
STATUS_LABELS = {"requested": "en attente d'accusé de réception", "waiting": "en corbeille",
                 "acknowledged": "pris en charge", "picked_up": "pris en charge", "declined": "refusé",
                 "closed": "clos", "cancelled": "annulé"}


class TransferRefused(Conflict):
    """The transfer cannot take this step in its state (taken already, closed…): 409 in French."""


class PrerequisitesMissing(Conflict):
    def __init__(self, message: str, items: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.prerequisites = items


class TransferNotFound(NotFound):
    pass


class UnknownTeam(NotFound):
    pass


REFUSALS = (habilitations.NotAllowed, Conflict, NotFound, prerequisites.UnknownPrerequisite)


def _seconds(start: datetime | None, end: datetime) -> float | None:
    if start is None:
        return None
    start = start if start.tzinfo is not None else start.replace(tzinfo=UTC)
    return round((end - start).total_seconds(), 3)


class TransferService:
    def __init__(self, sessions: sessionmaker[Session], actor: Actor, routing: Routing) -> None:
        self._sessions = sessions
        self.actor = actor
        self.routing = routing

    # -- level 1: draft and request ----------------------------------------------------------------------------
    def draft(self, owner: CallOwner, to: str | None = None, checked: Iterable[str] = ()) -> dict[str, Any]:
        """What a transfer of the call would carry, nothing written but the read's trace: the proposed team, the
        teams the advisor may choose, the checklist and the drafted handover."""
        return self._guard(None, owner.call_id, "draft", lambda s: self._prepare(s, owner, to, set(checked)))

    def request(self, owner: CallOwner, mode: str, to: str, checked: Iterable[str] = (),
                edited_text: str | None = None) -> dict[str, Any]:
        def run(session: Session) -> dict[str, Any]:
            if mode == "warm" and not owner.active:
                raise TransferRefused("Cet appel est terminé : un transfert à chaud n'est plus possible, "
                                      "faites un transfert à froid vers la corbeille.")
            open_one = session.scalar(select(Transfer).where(Transfer.call_id == owner.call_id,
                                                             Transfer.status.in_(OPEN_STATUSES)))
            if open_one is not None:
                raise TransferRefused(f"Un transfert de cet appel est déjà en cours (n° {open_one.id}, "
                                      f"{STATUS_LABELS[open_one.status]}).")
            prepared = self._prepare(session, owner, to, set(checked))
            items, team = prepared["prerequisites"], prepared["team"]
            missing = prerequisites.missing(items)
            if missing:
                raise PrerequisitesMissing(
                    "Transfert impossible : prérequis bloquant(s) non fait(s) — "
                    + " ; ".join(p["label"] for p in missing) + ". Faites-les ou cochez-les s'ils sont faits.",
                    items)
            now = utcnow()
            spec = self.routing.teams[team]
            edited = (edited_text or "").strip() or None
            transfer = Transfer(call_id=owner.call_id, customer_id=prepared["handover"]["customer_id"],
                                journey=prepared["handover"]["journey"]["code"], mode=mode, team=team,
                                basket_code=spec.basket, proposed_team=prepared["proposed"]["team"],
                                status="requested" if mode == "warm" else "waiting", from_advisor=self.actor.login,
                                from_centre=self.actor.centre, handover=prepared["handover"],
                                edited_text=edited if edited != prepared["handover"]["text"] else None,
                                prerequisites=items, telephony=[], requested_at=now)
            session.add(transfer)
            session.flush()
            record: call_record.CallRecord = prepared["record"]
            self._trace(session, "transfer.prerequisites_checked", transfer, ok=True,
                        items=[{k: p[k] for k in ("code", "blocking", "done", "source")} for p in items])
            self._trace(session, "transfer.requested", transfer, team_label=spec.label,
                        basket=spec.basket, proposed=transfer.proposed_team, overridden=team != transfer.proposed_team,
                        journey=transfer.journey, edited=transfer.edited_text is not None,
                        flags=handover.flag_codes(transfer.handover), call_age_s=_seconds(record.started_at, now))
            return self._view(transfer, self.actor.permissions)

        return self._guard(None, owner.call_id, "request", run)

    def _prepare(self, session: Session, owner: CallOwner, to: str | None, checked: set[str]) -> dict[str, Any]:
        habilitations.require(self.actor, TRANSFER_REQUEST)
        record = call_record.read(session, owner.call_id)
        if owner.customer_id is not None:
            record.customer_id = owner.customer_id
        view = self._read_view(session, record)
        flagged = handover.draft_flags(self.routing, record, view)
        flags = [f["code"] for f in flagged]
        proposed = self.routing.propose(record.journey, flags, record.acts_done)
        allowed = self.routing.senders_teams(self.actor.profile)
        team = proposed.team if to is None else self.routing.team_code(to)
        if team is None:
            raise UnknownTeam(f"Équipe ou corbeille inconnue : « {to[:40] if to else ''} » (équipes : "
                              f"{', '.join(self.routing.teams)}).")
        if team not in allowed:
            raise habilitations.NotAllowed(f"Le profil « {self.actor.profile} » ne peut pas transférer vers "
                                           f"« {self.routing.teams[team].label} ».")
        choice = self.routing.for_team(team, record.journey, flags, record.acts_done)
        items = prerequisites.checklist(self.routing, choice, record, checked)
        identity = view.get("identity")
        drafted = handover.draft(self.routing, record, team, view, items, checked, flagged,
                                 customer_name=str(identity["display"]) if identity else None)
        return {"call_id": owner.call_id, "team": team, "team_label": self.routing.teams[team].label,
                "basket": self.routing.teams[team].basket,
                "proposed": {"team": proposed.team, "label": self.routing.teams[proposed.team].label,
                             "basket": self.routing.teams[proposed.team].basket},
                "teams": [{"team": c, "label": self.routing.teams[c].label, "basket": self.routing.teams[c].basket}
                          for c in allowed],
                "prerequisites": items, "blocked": bool(prerequisites.missing(items)), "handover": drafted,
                "record": record}

    def _read_view(self, session: Session, record: call_record.CallRecord) -> dict[str, dict[str, Any]]:
        """The 360° fields the handover needs, as the sending advisor may see them (the read is traced)."""
        if record.customer_id is None:
            return {}
        wanted = dict.fromkeys(["identity", *self.routing.facts_for(record.journey), *handover.FLAG_FIELDS])
        names = [n for n in wanted if can_see(self.actor.permissions, n)]
        if not names:
            return {}
        actor = self.actor.on_call(record.call_id)
        return {f["name"]: f for f in CustomerService(session, actor).fields(record.customer_id, names,
                                                                              read_for="handover")}

    # -- level 2: acknowledge, decline, pick up, close --------------------------------------------------------------
    def acknowledge(self, transfer_id: int) -> dict[str, Any]:
        def run(session: Session) -> dict[str, Any]:
            transfer = self._receivable(session, transfer_id)
            if transfer.mode != "warm":
                raise TransferRefused("Transfert à froid : prenez-le dans la corbeille (« Prendre »).")
            now = utcnow()
            self._step(session, transfer, ("requested",), status="acknowledged", to_advisor=self.actor.login,
                       acknowledged_at=now)
            self._trace(session, "transfer.acknowledged", transfer, by=self.actor.login,
                        to_ack_s=_seconds(transfer.requested_at, now))
            return self._view(transfer, self.actor.permissions)

        return self._guard(transfer_id, None, "acknowledge", run)

    def decline(self, transfer_id: int, reason: str) -> dict[str, Any]:
        def run(session: Session) -> dict[str, Any]:
            transfer = self._receivable(session, transfer_id)
            now = utcnow()
            self._step(session, transfer, ("requested", "waiting"), status="declined", to_advisor=self.actor.login,
                       declined_at=now, decline_reason=reason.strip()[:500])
            self._trace(session, "transfer.declined", transfer, by=self.actor.login, reason=reason.strip()[:500],
                        to_decline_s=_seconds(transfer.requested_at, now))
            return self._view(transfer, self.actor.permissions)

        return self._guard(transfer_id, None, "decline", run)

    def pick_up(self, transfer_id: int) -> dict[str, Any]:
        def run(session: Session) -> dict[str, Any]:
            transfer = self._receivable(session, transfer_id)
            if transfer.mode != "cold":
                raise TransferRefused("Transfert à chaud : accusez-en réception (« Accuser réception »).")
            now = utcnow()
            self._step(session, transfer, ("waiting",), status="picked_up", to_advisor=self.actor.login,
                       picked_up_at=now)
            self._trace(session, "transfer.picked_up", transfer, by=self.actor.login,
                        to_pickup_s=_seconds(transfer.requested_at, now))
            shown = self._view(transfer, self.actor.permissions)
            if transfer.customer_id is not None:
                shown["view360"] = CustomerService(session, self.actor.on_call(transfer.call_id)).view360(
                    transfer.customer_id)
            return shown

        return self._guard(transfer_id, None, "pick_up", run)

    def close(self, transfer_id: int, outcome: str, note: str | None = None) -> dict[str, Any]:
        def run(session: Session) -> dict[str, Any]:
            habilitations.require(self.actor, TRANSFER_RECEIVE)
            transfer = self._get(session, transfer_id)
            if transfer.to_advisor != self.actor.login or transfer.status not in ("acknowledged", "picked_up"):
                raise TransferRefused("Seul le conseiller qui a pris en charge ce transfert peut le clore"
                                      + ("." if transfer.status in ("acknowledged", "picked_up") else
                                         f" (il est {STATUS_LABELS.get(transfer.status, transfer.status)})."))
            if outcome not in OUTCOMES:
                raise TransferRefused(f"Résultat inconnu : {outcome[:40]} (résultats : {', '.join(OUTCOMES)}).")
            now = utcnow()
            text = (note or "").strip()[:1000] or None
            self._step(session, transfer, ("acknowledged", "picked_up"), status="closed", closed_at=now,
                       outcome=outcome, outcome_note=text)
            self._trace(session, "transfer.closed", transfer, by=self.actor.login, outcome=outcome,
                        outcome_label=OUTCOMES[outcome], note=text, to_resolve_s=_seconds(transfer.requested_at, now),
                        handling_s=_seconds(transfer.acknowledged_at or transfer.picked_up_at, now))
            return self._view(transfer, self.actor.permissions)

        return self._guard(transfer_id, None, "close", run)

    def cancel(self, transfer_id: int) -> dict[str, Any]:
        """The sending advisor withdraws a transfer nobody has taken yet."""
        def run(session: Session) -> dict[str, Any]:
            habilitations.require(self.actor, TRANSFER_REQUEST)
            transfer = self._get(session, transfer_id)
            if transfer.from_advisor != self.actor.login:
                raise habilitations.NotAllowed("Seul le conseiller qui a demandé ce transfert peut l'annuler.")
            self._step(session, transfer, ("requested", "waiting"), status="cancelled", closed_at=utcnow())
            self._trace(session, "transfer.closed", transfer, by=self.actor.login, outcome="cancelled",
                        outcome_label="Annulé par le demandeur", note=None)
            return self._view(transfer, self.actor.permissions)

        return self._guard(transfer_id, None, "cancel", run)

    # -- reads -----------------------------------------------------------------------------------------------------
    def get(self, transfer_id: int) -> dict[str, Any]:
        def run(session: Session) -> dict[str, Any]:
            transfer = self._get(session, transfer_id)
            if not self._may_read(transfer):
                raise habilitations.NotAllowed("Ce transfert ne vous concerne pas.")
            self._read_traced(session, transfer)
            return self._view(transfer, self.actor.permissions)

        return self._guard(transfer_id, None, "get", run)

    def basket(self, basket_code: str) -> list[dict[str, Any]]:
        """The transfers waiting in a basket (warm ones not acknowledged yet, cold ones not picked up), oldest
        first, with their age; the customer's name only to whom may see it (the read is traced)."""
        def run(session: Session) -> list[dict[str, Any]]:
            team = self.routing.team_code(basket_code)
            if team is None or self.routing.teams[team].basket != basket_code:
                raise UnknownTeam(f"Corbeille inconnue : « {basket_code[:40]} ».")
            self._require_receiver(team)
            rows = session.scalars(select(Transfer).where(Transfer.basket_code == basket_code,
                                                          Transfer.status.in_(("requested", "waiting")))
                                   .order_by(Transfer.requested_at, Transfer.id))
            now = utcnow()
            listed = []
            for t in rows:
                name = t.handover.get("customer_name") if can_see(self.actor.permissions, "identity") else None
                if name and t.customer_id is not None:
                    tracing.record(session, "customer.read", self.actor, customer_id=t.customer_id,
                                   call_id=t.call_id, view="basket", fields=["identity"], sensitive=[])
                listed.append({**self._summary(t), "customer_name": name, "age_s": _seconds(t.requested_at, now)})
            return listed

        return self._guard(None, None, "basket", run)

    def baskets(self) -> list[dict[str, Any]]:
        """The baskets the actor receives transfers in, with how many wait in each."""
        with self._sessions() as session:
            out = []
            for code in self.routing.receivers_teams(self.actor.profile) if self.actor.can(TRANSFER_RECEIVE) else []:
                team = self.routing.teams[code]
                waiting = session.scalar(select(func.count()).select_from(Transfer).where(
                    Transfer.basket_code == team.basket, Transfer.status.in_(("requested", "waiting")))) or 0
                out.append({"code": team.basket, "team": code, "label": team.label, "waiting": waiting})
            return out

    def mine(self) -> list[dict[str, Any]]:
        """The actor's transfers: those they asked for (the last 50) and those they took and have not closed."""
        with self._sessions() as session:
            rows = session.scalars(select(Transfer).where(
                (Transfer.from_advisor == self.actor.login)
                | ((Transfer.to_advisor == self.actor.login) & Transfer.status.in_(("acknowledged", "picked_up"))))
                .order_by(Transfer.id.desc()).limit(50))
            return [{**self._summary(t), "direction": "sent" if t.from_advisor == self.actor.login else "received"}
                    for t in rows]

    def published(self, transfer_id: int) -> dict[str, Any]:
        """The transfer with its whole handover, for the panels' hub: each panel gets it cut to what its
        advisor may see (``PanelHub``), never as it is."""
        with self._sessions() as session:
            return self._view(self._get(session, transfer_id), None)

    # -- the telephony bridge ------------------------------------------------------------------------------------------
    def telephony(self, call_id: str, event: str, agent: str | None) -> int | None:
        """The bridge moved the call (transferred_warm / transferred_cold): attach it to the call's open transfer
        (the newest); returns its id, or None when the call has none."""
        with transaction(self._sessions) as session:
            transfer = session.scalar(select(Transfer).where(Transfer.call_id == call_id,
                                                             Transfer.status.in_(OPEN_STATUSES))
                                      .order_by(Transfer.id.desc()))
            if transfer is None:
                return None
            now = utcnow()
            transfer.telephony = [*transfer.telephony, {"event": event, "agent": agent, "at": now.isoformat()}]
            self._trace(session, "transfer.connected", transfer, event=event, agent=agent,
                        expected=transfer.to_advisor, matches=agent is None or agent == transfer.to_advisor,
                        to_connect_s=_seconds(transfer.requested_at, now))
            return transfer.id

    # -- the one run -------------------------------------------------------------------------------------------
    def _guard(self, transfer_id: int | None, call_id: str | None, step: str, run: Callable[[Session], T]) -> T:
        try:
            with transaction(self._sessions) as session:
                return run(session)
        except REFUSALS as exc:
            items = getattr(exc, "prerequisites", None)
            try:
                with transaction(self._sessions) as session:
                    if items is not None:
                        tracing.record(session, "transfer.prerequisites_checked", self.actor, call_id=call_id,
                                       ok=False, items=[{k: p[k] for k in ("code", "blocking", "done", "source")}
                                                        for p in items])
                    tracing.record(session, "transfer.refused", self.actor, call_id=call_id, transfer=transfer_id,
                                   step=step, error=type(exc).__name__, reason=str(exc)[:300])
            except Exception:
                log.exception("transfer %s: the refusal could not be traced", transfer_id)
            raise

    def _get(self, session: Session, transfer_id: int) -> Transfer:
        transfer = session.get(Transfer, transfer_id)
        if transfer is None:
            raise TransferNotFound(f"Transfert {transfer_id} introuvable.")
        return transfer

    def _require_receiver(self, team: str) -> None:
        if not self.actor.can(TRANSFER_RECEIVE) or self.actor.profile not in self.routing.teams[team].receivers:
            raise habilitations.NotAllowed(f"Le profil « {self.actor.profile} » ne reçoit pas les transferts de "
                                           f"« {self.routing.teams[team].label} » (niveau 2 seulement).")

    def _receivable(self, session: Session, transfer_id: int) -> Transfer:
        habilitations.require(self.actor, TRANSFER_RECEIVE)
        transfer = self._get(session, transfer_id)
        team = transfer.team if transfer.team in self.routing.teams else self.routing.default_team
        self._require_receiver(team)
        return transfer

    def _step(self, session: Session, transfer: Transfer, expected: tuple[str, ...], **values: Any) -> None:
        """Move the transfer on only if it is still in one of ``expected`` (one conditional update)."""
        done = session.execute(update(Transfer).where(Transfer.id == transfer.id, Transfer.status.in_(expected))
                               .values(**values).execution_options(synchronize_session=False))
        if done.rowcount != 1:  # type: ignore[attr-defined]
            session.refresh(transfer)
            by = f" par {transfer.to_advisor}" if transfer.to_advisor else ""
            raise TransferRefused(f"Ce transfert est déjà {STATUS_LABELS.get(transfer.status, transfer.status)}{by}.")
        session.refresh(transfer)

    def _may_read(self, transfer: Transfer) -> bool:
        login = self.actor.login
        if login in (transfer.from_advisor, transfer.to_advisor):
            return True
        if self.actor.can(habilitations.CALL_SUPERVISE) and transfer.from_centre == self.actor.centre:
            return True
        team = self.routing.teams.get(transfer.team)
        return (transfer.status in ("requested", "waiting") and team is not None
                and self.actor.can(TRANSFER_RECEIVE) and self.actor.profile in team.receivers)

    def _read_traced(self, session: Session, transfer: Transfer) -> None:
        if transfer.customer_id is None:
            return
        shown = [f["field"] for f in transfer.handover.get("customer_facts") or []
                 if can_see(self.actor.permissions, f["field"])]
        tracing.record(session, "customer.read", self.actor, customer_id=transfer.customer_id,
                       call_id=transfer.call_id, view="transfer", fields=shown, sensitive=[])

    def _trace(self, session: Session, name: str, transfer: Transfer, **data: Any) -> None:
        tracing.record(session, name, self.actor, customer_id=transfer.customer_id, call_id=transfer.call_id,
                       transfer=transfer.id, team=transfer.team, mode=transfer.mode, **data)

    def _summary(self, t: Transfer) -> dict[str, Any]:
        journey = (t.handover.get("journey") or {}) if t.handover else {}
        return {"transfer_id": t.id, "call_id": t.call_id, "mode": t.mode, "mode_label": MODES.get(t.mode, t.mode),
                "status": t.status, "status_label": STATUS_LABELS.get(t.status, t.status), "team": t.team,
                "team_label": self.routing.teams[t.team].label if t.team in self.routing.teams else t.team,
                "basket": t.basket_code, "journey": t.journey, "journey_label": journey.get("label"),
                "from_advisor": t.from_advisor, "to_advisor": t.to_advisor,
                "requested_at": _iso(t.requested_at), "flags": handover.flag_codes(t.handover),
                "outcome": t.outcome, "outcome_label": OUTCOMES.get(t.outcome or ""),
                "outcome_note": t.outcome_note, "decline_reason": t.decline_reason}

    def _view(self, t: Transfer, permissions: frozenset[str] | None) -> dict[str, Any]:
        """The transfer as an advisor with ``permissions`` may see it (None: whole, for the hub only)."""
        whole = permissions is None
        return {**self._summary(t),
                "handover": dict(t.handover) if whole else handover.for_reader(t.handover, permissions),
                "edited_text": t.edited_text if whole else permission_filter.masked(t.edited_text, permissions),
                "prerequisites": t.prerequisites, "acknowledged_at": _iso(t.acknowledged_at),
                "declined_at": _iso(t.declined_at), "picked_up_at": _iso(t.picked_up_at),
                "closed_at": _iso(t.closed_at), "telephony": t.telephony}


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).isoformat()
