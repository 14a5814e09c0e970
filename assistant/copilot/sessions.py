"""One session per call: identify the caller, classify the reason, pop the screen, relay the chat.

Events of one call are handled in order by that call's own worker, so a slow step of one call never
delays another call, and the bridge acknowledges each frame at once.
"""

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from assistant.copilot.journeys import label_for
from assistant.copilot.nlu_client import JourneyPrediction, NluUnavailable, RasaClient
from assistant.copilot.panel_hub import PanelHub
from crm_core.core.db import transaction
from crm_core.schemas.customer import CustomerPublic
from crm_core.services.actor import Actor
from crm_core.services.customers import CustomerService
from crm_core.services.habilitations import system_actor
from crm_core.services.trace_buffer import TraceBuffer
from telephony_bridge.events import CallEvent, CallEventKind

log = logging.getLogger(__name__)

COPILOT = system_actor()


@dataclass
class CallSession:
    call_id: str
    caller_number: str | None = None
    agent: str | None = None
    state: str = "offered"
    reason: str | None = None
    customer: CustomerPublic | None = None
    identified: bool = False
    prediction: JourneyPrediction | None = None
    nlu_status: str = "no_reason"  # ok | unavailable | no_reason
    popped: bool = False
    queue: asyncio.Queue[CallEvent] = field(default_factory=asyncio.Queue)
    worker: asyncio.Task[None] | None = None
    lookup: asyncio.Task[None] | None = None
    analysis: asyncio.Task[None] | None = None


class CallSessionManager:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        rasa: RasaClient,
        hub: PanelHub,
        low_confidence: float = 0.5,
    ) -> None:
        self._db = sessions
        self._traces = TraceBuffer(sessions)
        self._rasa = rasa
        self._hub = hub
        self._low_confidence = low_confidence
        self.calls: dict[str, CallSession] = {}

    # -- bridge side -------------------------------------------------------------------------
    async def handle(self, event: CallEvent) -> None:
        """Queue the event on its call's worker (created on the call's first event)."""
        call = self.calls.get(event.call_id)
        if call is None:
            call = CallSession(event.call_id)
            self.calls[event.call_id] = call
            call.worker = asyncio.create_task(self._work(call), name=f"call-{event.call_id}")
        call.queue.put_nowait(event)

    async def _work(self, call: CallSession) -> None:
        while True:
            event = await call.queue.get()
            try:
                await self._apply(call, event)
            except Exception:
                log.exception("call %s: event %s failed", call.call_id, event.event)
            if event.event is CallEventKind.ENDED:
                self.calls.pop(call.call_id, None)
                return

    async def _apply(self, call: CallSession, event: CallEvent) -> None:
        call.caller_number = event.caller_number or call.caller_number
        call.agent = event.agent or call.agent
        self._traces.record(f"call.{event.event.value}", COPILOT, call_id=event.call_id,
                            caller_number=event.caller_number, agent=event.agent, ivr_choice=event.ivr_choice,
                            has_reason=bool(event.reason_transcript))
        if call.lookup is None and call.caller_number:
            call.lookup = asyncio.create_task(self._identify(call))
        if event.reason_transcript and event.reason_transcript.strip() != (call.reason or ""):
            call.reason = event.reason_transcript.strip()
            call.analysis = asyncio.create_task(self._analyse(call, call.reason))
            if call.popped:  # the reason came after the pop: update the panel when it is analysed
                await self._push_pop(call)

        if event.event is CallEventKind.ANSWERED:
            call.state = "answered"
            await self._push_pop(call)
        elif event.event is not CallEventKind.REASON and event.event is not CallEventKind.OFFERED:
            call.state = event.event.value
            self._hub.publish({"type": "call_update", "call_id": call.call_id, "state": call.state}, call.agent)

    # -- identification and analysis ---------------------------------------------------------
    async def _identify(self, call: CallSession) -> None:
        actor = COPILOT.on_call(call.call_id)

        def lookup() -> CustomerPublic | None:
            with transaction(self._db) as db:
                return CustomerService(db, actor).find_by_line(call.caller_number or "")

        call.customer = await asyncio.to_thread(lookup)
        call.identified = call.customer is not None

    async def _analyse(self, call: CallSession, text: str) -> None:
        try:
            prediction = await self._rasa.classify(text)
        except NluUnavailable as exc:
            log.warning("call %s: NLU unavailable (%s)", call.call_id, exc)
            call.prediction, call.nlu_status = None, "unavailable"
            self._trace("nlu.unavailable", call, error=str(exc)[:300])
            return
        call.prediction, call.nlu_status = prediction, "ok"
        self._trace("nlu.predicted", call, journey=prediction.journey, confidence=prediction.confidence,
                    intent=prediction.intent, entities=prediction.entities)

    def _trace(self, name: str, call: CallSession, actor: Actor = COPILOT, **data: Any) -> None:
        self._traces.record(name, actor, call_id=call.call_id,
                            customer_id=call.customer.id if call.customer else None, **data)

    def flush_traces(self) -> bool:
        """Wait until every trace recorded so far is committed (tests, shutdown)."""
        return self._traces.flush()

    # -- panel side --------------------------------------------------------------------------
    def pop_message(self, call: CallSession) -> dict[str, Any]:
        p = call.prediction
        return {
            "type": "screen_pop",
            "call_id": call.call_id,
            "state": call.state,
            "caller_number": call.caller_number,
            "customer": call.customer.model_dump(mode="json") if call.customer else None,
            "identified": call.identified,
            "reason": call.reason,
            "journey": p.journey if p else None,
            "journey_label": label_for(p.journey) if p else None,
            "confidence": p.confidence if p else None,
            "low_confidence": bool(p and (p.intent == "nlu_fallback" or p.confidence < self._low_confidence)),
            "acts": p.acts if p else [],
            "secondary_journeys": p.secondary if p else [],
            "entities": p.entities if p else [],
            "nlu_status": call.nlu_status,
        }

    async def _push_pop(self, call: CallSession) -> None:
        pending = [t for t in (call.lookup, call.analysis) if t is not None]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        message = self.pop_message(call)
        call.popped = True
        delivered = self._hub.publish(message, call.agent)
        self._trace("screen_pop.sent", call, journey=message["journey"], identified=call.identified,
                    panels=delivered, nlu_status=call.nlu_status)

    async def attach_customer(self, call_id: str, customer_id: int, advisor: Actor) -> None:
        """The advisor picked the customer by hand (unknown number): re-pop with them."""
        call = self.calls.get(call_id)
        if call is None:
            raise KeyError(call_id)

        def read() -> CustomerPublic:
            with transaction(self._db) as db:
                return CustomerService(db, advisor.on_call(call_id)).get(customer_id)

        call.customer = await asyncio.to_thread(read)
        call.identified = True
        await self._push_pop(call)

    async def chat(self, call_id: str, text: str, advisor: Actor) -> dict[str, Any]:
        """Relay an advisor's message to the call's Rasa conversation (sender = call id)."""
        call = self.calls.get(call_id)
        if call is None:
            return {"type": "chat_reply", "call_id": call_id, "messages": [],
                    "error": "Cet appel est terminé ou inconnu."}
        metadata = {"advisor": advisor.login, "profile": advisor.profile, "call_id": call_id,
                    "customer_id": call.customer.id if call.customer else None}
        self._trace("chat.asked", call, advisor.on_call(call_id), text=text[:500])
        try:
            replies = await self._rasa.chat(call_id, text, metadata)
        except NluUnavailable:
            return {"type": "chat_reply", "call_id": call_id, "messages": [],
                    "error": "Le copilote est indisponible pour le moment."}
        messages = [{"text": r.get("text"), "custom": r.get("custom")} for r in replies]
        return {"type": "chat_reply", "call_id": call_id, "messages": messages}

    async def aclose(self) -> None:
        for call in list(self.calls.values()):
            for task in (call.worker, call.lookup, call.analysis):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
        self.calls.clear()
        await asyncio.to_thread(self._traces.close)
