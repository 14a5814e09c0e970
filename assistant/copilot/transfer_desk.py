"""Transfers on live calls: the glue between the transfer service (``crm_core.transfers``), the call sessions
and the panels.

Level 1 asks for a transfer on their call; a warm one is offered at once to the panels of the team's level-2
advisors (each gets the handover cut to what they may see, and the delivery is traced as a read); the
acknowledgement, the decline, the pick-up and the outcome go back to the level-1 panel at once. The level-2
advisor who takes a transfer may then act on the call (its chat, its acts) without a new diagnosis: the live
call is shared with them, or, when it has ended, reopened for them with its customer and its conversation.
The bridge's transferred_warm / transferred_cold events attach to the call's open transfer.
"""

import asyncio
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from assistant.copilot.nlu_client import NluUnavailable
from assistant.copilot.panel_hub import PanelHub
from assistant.copilot.sessions import CallSessionManager
from crm_core.core.db import transaction
from crm_core.models import Advisor
from crm_core.services import tracing
from crm_core.services.actor import Actor
from crm_core.services.call_access import require_call
from crm_core.services.habilitations import system_actor
from crm_core.transfers.routing import Routing
from crm_core.transfers.service import TransferService

log = logging.getLogger(__name__)
BRIDGE = system_actor("telephony-bridge")


class TransferDesk:
    def __init__(self, sessions: sessionmaker[Session], calls: CallSessionManager, hub: PanelHub,
                 routing: Routing) -> None:
        self._db = sessions
        self._calls = calls
        self._hub = hub
        self.routing = routing
        self._names: dict[str, str] = {}
        calls.on_transfer = self.telephony

    def service(self, actor: Actor) -> TransferService:
        return TransferService(self._db, actor, self.routing)

    # -- level 1 ---------------------------------------------------------------------------------------------
    async def draft(self, call_id: str, actor: Actor, to: str | None, checked: list[str]) -> dict[str, Any]:
        owner = require_call(self._calls, actor, call_id, door="api.transfer")
        await asyncio.to_thread(self._calls.flush_traces)  # the call's last steps are in its trace
        draft = await asyncio.to_thread(self.service(actor.on_call(call_id)).draft, owner, to, checked)
        draft.pop("record", None)
        return draft

    async def request(self, call_id: str, actor: Actor, mode: str, to: str, checked: list[str],
                      handover_text: str | None) -> dict[str, Any]:
        owner = require_call(self._calls, actor, call_id, door="api.transfer")
        await asyncio.to_thread(self._calls.flush_traces)
        service = self.service(actor.on_call(call_id))
        shown = await asyncio.to_thread(service.request, owner, mode, to, checked, handover_text)
        published = await asyncio.to_thread(service.published, shown["transfer_id"])
        receivers = self.routing.teams[shown["team"]].receivers
        if mode == "warm":
            delivered = self._hub.publish_receivers({"type": "transfer_offered", "call_id": call_id,
                                                     "transfer": published}, receivers)
            await asyncio.to_thread(self._traced_offer, published, delivered)
        else:
            self._hub.publish_receivers(self._update("requested", published, actor), receivers,
                                        with_handover=False)
        return shown

    # -- level 2 ---------------------------------------------------------------------------------------------
    async def acknowledge(self, transfer_id: int, actor: Actor) -> dict[str, Any]:
        shown = await asyncio.to_thread(self.service(actor).acknowledge, transfer_id)
        await self._take_call(shown, actor)
        self._notify("acknowledged", shown, actor)
        return shown

    async def decline(self, transfer_id: int, actor: Actor, reason: str) -> dict[str, Any]:
        shown = await asyncio.to_thread(self.service(actor).decline, transfer_id, reason)
        self._notify("declined", shown, actor)
        return shown

    async def pick_up(self, transfer_id: int, actor: Actor) -> dict[str, Any]:
        shown = await asyncio.to_thread(self.service(actor).pick_up, transfer_id)
        call_id = shown["call_id"]
        await self._take_call(shown, actor)
        try:
            shown["conversation"] = [{"at": s["at"], "sender": s["from"], "text": s["text"]}
                                     for s in await self._calls.conversation(call_id, actor)]
        except NluUnavailable:
            shown["conversation"] = None
        self._notify("picked_up", shown, actor)
        return shown

    async def _take_call(self, shown: dict[str, Any], actor: Actor) -> None:
        """The level-2 advisor may act on the call: shared while it is live, else reopened for them."""
        if not await self._calls.share(shown["call_id"], actor.login):
            handover = shown["handover"]
            await self._calls.reopen(shown["call_id"], actor, handover.get("customer_id"),
                                     (handover.get("reason") or {}).get("text"), shown.get("journey"))

    async def close(self, transfer_id: int, actor: Actor, outcome: str, note: str | None) -> dict[str, Any]:
        shown = await asyncio.to_thread(self.service(actor).close, transfer_id, outcome, note)
        self._notify("closed", shown, actor)
        return shown

    async def cancel(self, transfer_id: int, actor: Actor) -> dict[str, Any]:
        shown = await asyncio.to_thread(self.service(actor).cancel, transfer_id)
        self._notify("cancelled", shown, actor)
        return shown

    # -- the bridge ------------------------------------------------------------------------------------------
    async def telephony(self, call_id: str, event: str, agent: str | None) -> None:
        try:
            attached = await asyncio.to_thread(self.service(BRIDGE).telephony, call_id, event, agent)
        except Exception:  # a telephony event never breaks the call's worker
            log.exception("call %s: the %s event could not be attached to its transfer", call_id, event)
            return
        if attached is not None:
            log.info("call %s: %s attached to transfer %s", call_id, event, attached)

    # -- panels -----------------------------------------------------------------------------------------------
    def _notify(self, event: str, shown: dict[str, Any], actor: Actor) -> None:
        """The level-1 advisor hears of it at once; the team's panels drop the transfer from their lists."""
        message = self._update(event, shown, actor)
        self._hub.publish(message, shown["from_advisor"], None)
        if event in ("acknowledged", "declined", "picked_up", "cancelled"):
            self._hub.publish_receivers(message, self.routing.teams[shown["team"]].receivers, with_handover=False)

    def _update(self, event: str, shown: dict[str, Any], actor: Actor) -> dict[str, Any]:
        summary = {k: v for k, v in shown.items() if k in SUMMARY_KEYS}
        return {"type": "transfer_update", "call_id": shown["call_id"], "event": event, "transfer": summary,
                "by": actor.login, "by_name": self._name(actor.login)}

    def _name(self, login: str) -> str | None:
        if login not in self._names:
            with self._db() as session:
                advisor = session.scalar(select(Advisor).where(Advisor.login == login))
                self._names[login] = advisor.display_name if advisor else login
        return self._names[login]

    def _traced_offer(self, published: dict[str, Any], delivered: list[tuple[str, list[str]]]) -> None:
        """Each level-2 panel that got the handover read the customer's facts it shows: traced as a read."""
        customer_id = published["handover"].get("customer_id")
        if not delivered or customer_id is None:
            return
        with transaction(self._db) as session:
            for login, shown_fields in delivered:
                tracing.record(session, "customer.read", system_actor(login), customer_id=customer_id,
                               call_id=published["call_id"], view="transfer_offer", fields=shown_fields,
                               sensitive=[])


SUMMARY_KEYS = frozenset({"transfer_id", "call_id", "mode", "mode_label", "status", "status_label", "team",
                          "team_label", "basket", "journey", "journey_label", "from_advisor", "to_advisor",
                          "requested_at", "flags", "outcome", "outcome_label", "outcome_note", "decline_reason"})
