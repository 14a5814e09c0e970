"""One session per call: identify the caller, classify the reason, pop the screen, relay the chat.

Events of one call are handled in order by that call's own worker, so a slow step of one call never
delays another call, and the bridge acknowledges each frame at once. What the bridge may not do is refused
at once, before the worker (``CallRules``): moving a call to another advisor without a transfer. Calls
that stay silent longer than the idle timeout are expired. A call belongs to the advisor it is presented to
(``crm_core.services.call_access``): chat, customer choice and the API's ``X-Call-Id`` check it.
"""

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from assistant.copilot import call_log, call_timing, context, ivr
from assistant.copilot.nlu_client import JourneyPrediction, NluUnavailable, RasaClient, suggested_acts
from assistant.copilot.panel_hub import PanelHub, Subscriber
from crm_core.acts.catalogue import label_for
from crm_core.core.db import transaction
from crm_core.models.base import utcnow
from crm_core.phone import InvalidPhoneNumber, to_e164
from crm_core.schemas.customer import CustomerPublic
from crm_core.services.actor import Actor
from crm_core.services.call_access import CallOwner, require_call
from crm_core.services.customers import CustomerService
from crm_core.services.habilitations import centre_of, system_actor
from crm_core.services.trace_buffer import TraceBuffer
from crm_core.transfers import call_record
from nlu.assertion import make_assertion
from telephony_bridge.events import CallEvent, CallEventKind
from telephony_bridge.websocket import EventRefused

log = logging.getLogger(__name__)

COPILOT = system_actor()
TRANSFER_STATES = {"transferred_warm", "transferred_cold"}
ANSWERED_STATES = {"answered", "held", "resumed"}
# Events that say something about the call without changing its state (panels get no call_update)
INFORMATION = {CallEventKind.REASON, CallEventKind.OFFERED, CallEventKind.TRANSCRIPT, CallEventKind.DTMF,
               CallEventKind.DATA}
# Events that only make sense on a call already under way: refused for a call never offered nor answered
MID_CALL = {CallEventKind.HELD, CallEventKind.RESUMED, CallEventKind.TRANSFERRED, CallEventKind.TRANSFERRED_WARM,
            CallEventKind.TRANSFERRED_COLD}
SEEN_EVENT_IDS = 500  # per call: event ids remembered to drop duplicates and replays
CALL_QUEUE = 2000  # events of one call waiting for its worker; beyond, the adapter is told to send again
RECENT_CALLS = 10_000  # ended calls remembered (after-call work), oldest forgotten first
RECENT_FOR_S = 3600.0


# What a CTI sends about a call under its own id: tied to the engine's live call from the same number
CORRELATED = {CallEventKind.DATA, CallEventKind.TRANSCRIPT, CallEventKind.DTMF}


def _e164(number: str | None) -> str | None:
    try:
        return to_e164(number) if number else None
    except InvalidPhoneNumber:
        return None


class EventRejected(EventRefused):
    """The bridge may not do this to the call (the message is for the adapter's logs)."""


@dataclass
class CallSession:
    call_id: str
    caller_number: str | None = None
    agent: str | None = None
    agent_centre: str | None = None
    state: str = "offered"
    reason: str | None = None
    customer: CustomerPublic | None = None
    identified: bool = False
    prediction: JourneyPrediction | None = None
    parse: dict[str, Any] | None = None  # the NLU's parse of the reason: every journey's confidence
    situation: context.Situation | None = None  # what the CRM knows of the caller, to re-rank the journeys
    journey: str | None = None  # set by the advisor when the NLU's journey was wrong (``correct_journey``)
    restored: bool = False  # reopened for level 2: ``journey`` is the transfer's, not an advisor's correction
    nlu_status: str = "no_reason"  # ok | unavailable | no_reason
    popped_to: str | None = None  # the advisor whose panel got the last pop
    shared: set[str] = field(default_factory=set)  # level-2 advisors who took the call's transfer
    expired: bool = False
    ivr_choice: str | None = None  # the last IVR choice (DTMF)
    data: dict[str, Any] = field(default_factory=dict)  # call-attached data (CTI), merged event after event
    seen: OrderedDict[str, None] = field(default_factory=OrderedDict)  # event ids applied (duplicates dropped)
    sequence: int = -1  # the highest ``sequence`` applied (older events dropped)
    times: dict[str, float] = field(default_factory=dict)  # ring, talk and hold, for the handling-time KPIs
    heard: str | None = None  # the call reason as received so far (``reason`` follows once analysed)
    end_recorded: bool = False  # the bridge's « ended » is traced (the reaper's expiry is not then)
    restored: bool = False  # rebuilt from the trace after the app restarted: its panel gets the pop on reconnect
    restoring: bool = False  # being rebuilt: nothing is pushed to panels
    started_at: str = field(default_factory=lambda: utcnow().isoformat())
    last_event: float = field(default_factory=time.monotonic)
    # the events waiting for the call's worker, each with the reason heard so far (bounded: back-pressure)
    queue: asyncio.Queue[tuple[CallEvent, str | None]] = field(
        default_factory=lambda: asyncio.Queue(maxsize=CALL_QUEUE))
    worker: asyncio.Task[None] | None = None
    lookup: asyncio.Task[None] | None = None
    analysis: asyncio.Task[None] | None = None

    def owner(self, active: bool = True) -> CallOwner:
        return CallOwner(self.call_id, self.agent, self.agent_centre, active,
                         self.customer.id if self.customer is not None else None, frozenset(self.shared))


class CallSessionManager:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        rasa: RasaClient,
        hub: PanelHub,
        low_confidence: float = 0.5,
        *,
        secret: str = "",
        assertion_ttl_s: int = 120,
        idle_timeout_s: float = 7200.0,
        clock: Callable[[], float] = time.monotonic,
        journal_dir: Path | None = None,
        ivr_menu: ivr.IvrMenu | None = None,
    ) -> None:
        self._ivr = ivr_menu
        self._db = sessions
        self._traces = TraceBuffer(sessions, journal_dir=journal_dir)  # journaled: a kill loses no trace
        self._rasa = rasa
        self._hub = hub
        self._low_confidence = low_confidence
        self._secret = secret
        self._assertion_ttl_s = assertion_ttl_s
        self.idle_timeout_s = idle_timeout_s
        self._clock = clock
        self._centres: dict[str, tuple[float, str | None]] = {}
        self._reaper: asyncio.Task[None] | None = None
        self.calls: dict[str, CallSession] = {}
        self.recent: OrderedDict[str, tuple[float, CallOwner]] = OrderedDict()
        self._ended_by: dict[str, tuple[float, str]] = {}  # advisor → when their last call ended, and which
        # the bridge moved a call (transferred_warm / transferred_cold): the transfer desk attaches it
        self.on_transfer: Callable[[str, str, str | None], Awaitable[None]] | None = None

    def start(self) -> None:
        """Start expiring silent calls (the app's lifespan calls it)."""
        if self._reaper is None:
            self._reaper = asyncio.create_task(self._reap(), name="call-reaper")

    # -- bridge side -------------------------------------------------------------------------
    async def handle(self, event: CallEvent) -> str | None:
        """Check the event against the call, then queue it on the call's worker (made on its first event).

        Returns why the event was dropped (acknowledged, not applied) or None: ``duplicate`` (its ``event_id``
        was seen), ``stale`` (its ``sequence`` is older than one applied), ``ended`` (the call is over)."""
        call = self.calls.get(event.call_id)
        if call is None and event.event in CORRELATED and event.caller_number:
            call = self._same_caller(event)  # CTI data about a call the telephony engine knows by another id
            if call is not None:
                self._traces.record("call.correlated", COPILOT, call_id=call.call_id, other_call_id=event.call_id,
                                    event=event.event.value, by="caller_number")
                event = event.model_copy(update={"call_id": call.call_id})
        agent = event.agent or None  # "" is no advisor
        if call is None:
            if event.event is CallEventKind.ENDED or event.call_id in self.recent:
                return "ended"  # already ended (or expired): a late or replayed event changes nothing
            if event.event in MID_CALL:
                self._traces.record("call.event_rejected", COPILOT, call_id=event.call_id[:80],
                                    event=event.event.value, reason="unknown call")
                raise EventRejected(f"call {event.call_id} never started here: its first event must be offered or "
                                    f"answered, not {event.event.value}")
            call = CallSession(event.call_id)
            self.calls[event.call_id] = call
            call.worker = asyncio.create_task(self._work(call), name=f"call-{event.call_id}")
        if call.queue.full():  # back-pressure: the adapter sends it again later (nothing recorded yet)
            raise EventRejected(f"call {call.call_id} is busy ({call.queue.qsize()} events waiting): send it again")
        if event.event_id is not None:
            if event.event_id in call.seen:
                return "duplicate"
            call.seen[event.event_id] = None
            if len(call.seen) > SEEN_EVENT_IDS:
                call.seen.popitem(last=False)
        if event.sequence is not None:
            if event.sequence <= call.sequence and event.event is not CallEventKind.ENDED:
                return "stale"
            call.sequence = max(call.sequence, event.sequence)
        if agent and call.agent and agent != call.agent and not event.is_transfer:
            self._traces.record("call.event_rejected", COPILOT, call_id=call.call_id, event=event.event.value,
                                agent=call.agent, claimed_agent=agent[:80])
            raise EventRejected(f"call {call.call_id} is presented to another advisor: only a transfer "
                                "(transferred_warm, transferred_cold) moves it")
        if agent and agent != call.agent:
            call.agent = agent  # set here, so that a second event in the same burst is checked against it
            call.agent_centre = None
        call.last_event = self._clock()
        call.caller_number = event.caller_number or call.caller_number  # known at once (CTI correlation)
        self._receive(call, event)  # traced (journaled) before the adapter gets its ack
        call.queue.put_nowait((event, call.heard))
        return None

    def _wrap_up(self, call: CallSession, event: CallEvent, at: float | None) -> None:
        """The after-call work of an advisor's call: from its end to the next call presented to them (the engine
        presents it once they are ready again; ``call.wrapup`` on the ended call; longer than ``WRAP_UP_MAX_S`` is
        a pause, not wrap-up: recorded as unknown)."""
        now = self._clock() if at is None else at
        if event.event is CallEventKind.ENDED and call.agent:
            self._ended_by[call.agent] = (now, call.call_id)
        elif (event.event in (CallEventKind.OFFERED, CallEventKind.ANSWERED) and call.agent
              and call.agent in self._ended_by and self._ended_by[call.agent][1] != call.call_id):
            ended_at, previous = self._ended_by.pop(call.agent)
            seconds = now - ended_at
            self._traces.record("call.wrapup", COPILOT, call_id=previous, agent=call.agent, next_call=call.call_id,
                                wrapup_s=round(seconds, 3) if seconds <= call_timing.WRAP_UP_MAX_S else None)

    def _same_caller(self, event: CallEvent) -> CallSession | None:
        """The one live call from the same number as ``event`` (none when no call, or several, match)."""
        number = _e164(event.caller_number)
        if number is None:
            return None
        matches = [c for c in self.calls.values() if not c.expired and _e164(c.caller_number) == number]
        return matches[0] if len(matches) == 1 else None

    def _receive(self, call: CallSession, event: CallEvent, occurred_at: float | None = None) -> dict[str, Any]:
        """The event's own trace, recorded as it is received (so an acknowledged event is never lost: the trace
        buffer journals it at once), with the call reason heard so far and, at the end, the call's durations."""
        words = event.reason_words.strip() if event.reason_words else None
        call.heard = self._reason_after(call.heard, event, words)
        data: dict[str, Any] = {"caller_number": event.caller_number, "agent": event.agent,
                                "ivr_choice": event.ivr_digits, "has_reason": bool(words),
                                "reason": call.heard[:1000] if words and call.heard else None}
        if event.version == 2:
            data |= {"version": 2, "event_id": event.event_id, "sequence": event.sequence}
            if event.transcript is not None:
                data["transcript"] = event.transcript.model_dump()
            if event.transfer is not None:
                data["transfer"] = event.transfer.model_dump()
            if event.data:
                data["data"] = event.data
        if event.event is CallEventKind.ENDED:
            data["durations"] = call_timing.durations(call.times, self._clock() if occurred_at is None
                                                      else occurred_at)
            call.end_recorded = True
        call_timing.note(call.times, event, self._clock() if occurred_at is None else occurred_at)
        if not call.restoring:
            self._wrap_up(call, event, occurred_at)
        if not call.restoring:
            self._traces.record(f"call.{event.event.value}", COPILOT, call_id=event.call_id, **data)
        return data

    async def _work(self, call: CallSession) -> None:
        while True:
            event, heard = await call.queue.get()
            try:
                await self._apply(call, event, heard)
            except Exception:
                log.exception("call %s: event %s failed", call.call_id, event.event)
            if event.event is CallEventKind.ENDED:
                self._forget(call)
                return

    async def _apply(self, call: CallSession, event: CallEvent, heard: str | None) -> None:
        """Apply a received event to the call: look-up, analysis of the reason, pop, panels."""
        call.caller_number = event.caller_number or call.caller_number
        call.ivr_choice = event.ivr_digits or call.ivr_choice
        if event.data:
            call.data.update(event.data)
        expired = call.expired and event.event is CallEventKind.ENDED
        if expired and not call.end_recorded:  # the reaper ended it: its own trace, with the durations
            self._traces.record("call.expired", COPILOT, call_id=call.call_id,
                                durations=call_timing.durations(call.times, self._clock()))
        if call.lookup is None and call.caller_number:
            call.lookup = asyncio.create_task(self._identify(call))
        reason_changed = bool(heard) and heard != (call.reason or "")
        if reason_changed:
            call.reason = heard
            call.analysis = asyncio.create_task(self._analyse(call, heard))  # type: ignore[arg-type]
        if call.agent and call.agent_centre is None:  # while the look-up and the NLU run
            call.agent_centre = await self._centre(call.agent)

        if event.event is CallEventKind.ANSWERED:
            call.state = "answered"
            await self._push_pop(call)
        elif event.event in INFORMATION:
            if reason_changed and call.popped_to:  # the reason came after the pop: update the panel
                await self._push_pop(call)
        else:
            if event.is_transfer and self.on_transfer is not None:
                await self.on_transfer(call.call_id, event.state, call.agent)
            previous = call.popped_to
            call.state = "expired" if expired else event.state
            update = {"type": "call_update", "call_id": call.call_id, "state": call.state}
            if previous and previous != call.agent and not call.restoring:  # transferred: the first sees it leave
                self._hub.publish(update, previous, None)
            if not call.restoring:
                self._hub.publish(update, call.agent, call.agent_centre)
            if call.state in ANSWERED_STATES | TRANSFER_STATES and call.agent != previous:
                await self._push_pop(call)  # the call reached a (new) advisor: they get the context

    @staticmethod
    def _reason_after(heard: str | None, event: CallEvent, words: str | None) -> str | None:
        """The call reason once ``event`` is received: a v1 reason replaces the previous one; a v2 final
        transcript of the caller adds to it (the caller says it in several breaths)."""
        if not words:
            return heard
        if event.event is CallEventKind.TRANSCRIPT and heard:
            return f"{heard} {words}"[:10_000]
        return words

    async def _centre(self, login: str) -> str | None:
        """The advisor's centre, cached for ten minutes (supervisors act on their centre's calls)."""
        cached = self._centres.get(login)
        if cached and self._clock() - cached[0] < 600:
            return cached[1]

        def read() -> str | None:
            with self._db() as session:
                return centre_of(session, login)

        centre = await asyncio.to_thread(read)
        self._centres[login] = (self._clock(), centre)
        return centre

    def _forget(self, call: CallSession) -> None:
        if self.calls.get(call.call_id) is not call:
            return  # reopened since (a cold transfer taken by level 2): the new session is the call now
        self.calls.pop(call.call_id, None)
        self.recent[call.call_id] = (self._clock(), call.owner(active=False))
        self.recent.move_to_end(call.call_id)
        while len(self.recent) > RECENT_CALLS:
            self.recent.popitem(last=False)

    async def _reap(self) -> None:
        """End calls silent for longer than the idle timeout (an engine that never said « ended »)."""
        period = max(0.05, min(30.0, self.idle_timeout_s / 4))
        while True:
            await asyncio.sleep(period)
            now = self._clock()
            for call in list(self.calls.values()):
                if not call.expired and now - call.last_event > self.idle_timeout_s and not call.queue.full():
                    call.expired = True
                    log.info("call %s: silent for %.0f s, expired", call.call_id, now - call.last_event)
                    call.queue.put_nowait((CallEvent(call_id=call.call_id, event=CallEventKind.ENDED), call.heard))

    # -- after a restart ---------------------------------------------------------------------------------
    async def restore(self) -> int:
        """Rebuild the calls in progress when the app stopped or died, from their events' traces (each event is
        traced, journaled, before the adapter gets its ack): their state, customer, reason and journey come
        back, and their advisor's panel gets the pop again when it connects. Returns how many calls."""
        calls = await asyncio.to_thread(call_log.live_calls, self._db, self.idle_timeout_s)
        now_wall, now = utcnow(), self._clock()
        for call_id, traces in calls.items():
            call = CallSession(call_id, restoring=True, restored=True)
            self.calls[call_id] = call
            applied = 0
            for t in traces:
                event = call_log.event_from_trace(t)
                if event is None:
                    continue
                at = now - max(0.0, (now_wall - call_log.aware(t.occurred_at)).total_seconds())
                if event.event_id is not None:
                    call.seen[event.event_id] = None
                if event.sequence is not None:
                    call.sequence = max(call.sequence, event.sequence)
                if event.agent:
                    call.agent, call.agent_centre = event.agent, None
                self._receive(call, event, at)
                await self._apply(call, event, call.heard)
                applied += 1
            call.restoring = False
            call.last_event = now
            call.worker = asyncio.create_task(self._work(call), name=f"call-{call_id}")
            self._trace("call.restored", call, events=applied, state=call.state, agent=call.agent)
        if calls:
            log.warning("%d call(s) in progress restored after a restart", len(calls))
        return len(calls)

    async def welcome(self, sub: Subscriber) -> int:
        """A panel (re)connected: the restored calls of its advisor pop again on it (returns how many)."""
        sent = 0
        for call in list(self.calls.values()):
            if (call.restored and call.agent is not None and sub.advisor in ({call.agent} | call.shared)
                    and call.state in ANSWERED_STATES | TRANSFER_STATES):
                pending = [t for t in (call.lookup, call.analysis) if t is not None]
                if pending:
                    await asyncio.gather(*pending, return_exceptions=True)
                message = self.pop_message(call)
                sent += self._hub.deliver(sub, message)
                self._trace("screen_pop.sent", call, journey=message["journey"],
                            identified=call.identified, panels=1, nlu_status=call.nlu_status, agent=sub.advisor,
                            restored=True)
        return sent

    # -- who may act on a call (crm_core.services.call_access.CallDirectory) -----------------------
    def owner(self, call_id: str) -> CallOwner | None:
        call = self.calls.get(call_id)
        if call is not None:
            return call.owner()
        recent = self.recent.get(call_id)
        if recent is not None and self._clock() - recent[0] < RECENT_FOR_S:
            return recent[1]
        return None

    def refused(self, actor: Actor, call_id: str, door: str) -> None:
        log.warning("call %s: %s refused to %s (%s)", call_id, door, actor.login, actor.profile)
        self._traces.record("call.access_refused", actor.on_call(None), call_id=call_id, door=door,
                            profile=actor.profile)

    def renewed(self, actor: Actor) -> None:
        self._traces.record("session.renewed", actor, profile=actor.profile)

    def unassigned(self) -> list[dict[str, Any]]:
        """Calls that wait for an advisor: what supervisors see of them (no customer data)."""
        return [{"call_id": c.call_id, "state": c.state, "since": c.started_at}
                for c in self.calls.values() if c.agent is None]

    # -- identification and analysis ---------------------------------------------------------
    async def _identify(self, call: CallSession) -> None:
        actor = COPILOT.on_call(call.call_id)

        def lookup() -> tuple[CustomerPublic | None, context.Situation | None]:
            # the reads' traces are written at the commit, not flushed before each query: on SQLite a flushed
            # INSERT would take the database's write lock for the whole look-up, and concurrent look-ups and the
            # trace writer would wait on one another
            with transaction(self._db) as db, db.no_autoflush:
                customer = CustomerService(db, actor).find_by_line(call.caller_number or "")
                return customer, context.read_situation(db, customer.id, actor) if customer else None

        call.customer, call.situation = await asyncio.to_thread(lookup)
        call.identified = call.customer is not None

    async def _analyse(self, call: CallSession, text: str) -> None:
        try:
            prediction, parse = await context.classify(self._rasa, text)
        except NluUnavailable as exc:
            log.warning("call %s: NLU unavailable (%s)", call.call_id, exc)
            call.prediction, call.parse, call.nlu_status = None, None, "unavailable"
            self._trace("nlu.unavailable", call, error=str(exc)[:300])
            return
        call.prediction, call.parse, call.nlu_status = prediction, parse, "ok"
        self._trace("nlu.predicted", call, journey=prediction.journey, confidence=prediction.confidence,
                    intent=prediction.intent, entities=prediction.entities, text=text[:1000],
                    unsure=prediction.unsure or prediction.intent == "nlu_fallback")  # the trainer's inbox

    def _trace(self, name: str, call: CallSession, actor: Actor = COPILOT, **data: Any) -> None:
        self._traces.record(name, actor, call_id=call.call_id,
                            customer_id=call.customer.id if call.customer else None, **data)

    def flush_traces(self) -> bool:
        """Wait until every trace recorded so far is committed (tests, shutdown)."""
        return self._traces.flush()

    def _shown(self, call: CallSession) -> tuple[JourneyPrediction | None, list[str]]:
        """The NLU's prediction re-ranked with the identified caller's situation and the IVR menu choice, and
        the rules that applied (``assistant.copilot.context``, ``assistant.copilot.ivr``); the NLU's own
        ``nlu.predicted`` stays as it was traced."""
        shown, fired = context.contextual(call.prediction, call.parse, call.situation,
                                          call.customer.id if call.identified and call.customer else None)
        if self._ivr is not None and call.ivr_choice:
            shown, moved = self._ivr.apply(shown, shown.parse if shown else None, call.ivr_choice)
            if moved:
                fired = [*fired, ivr.FIRED]
        return shown, fired

    # -- panel side --------------------------------------------------------------------------
    def pop_message(self, call: CallSession) -> dict[str, Any]:
        """The whole pop; each panel gets it through the permission filter (``PanelHub.publish``)."""
        p, fired = self._shown(call)
        journey = call.journey or (p.journey if p else None)
        secondary = [s for s in (p.secondary if p else []) if s["journey"] != journey]
        corrected = call.journey is not None and not call.restored
        return {
            "type": "screen_pop",
            "call_id": call.call_id,
            "state": call.state,
            "caller_number": call.caller_number,
            "customer": call.customer.model_dump(mode="json") if call.customer else None,
            "identified": call.identified,
            "reason": call.reason,
            "journey": journey,
            "journey_label": label_for(journey),
            "journey_corrected": corrected,
            "confidence": None if corrected or p is None else p.confidence,
            "low_confidence": not corrected and bool(p and p.journey and (p.unsure
                                                                          or p.confidence < self._low_confidence)),
            "acts": context.acts_in_context(suggested_acts(journey, [s["journey"] for s in secondary]),
                                            [] if corrected else fired, journey) if journey else [],
            "secondary_journeys": secondary,
            "entities": p.entities if p else [],
            "nlu_status": call.nlu_status,
        }

    async def _push_pop(self, call: CallSession) -> None:
        if call.restoring:  # rebuilt after a restart: the advisor's panel gets it when it connects again
            call.popped_to = call.agent
            return
        pending = [t for t in (call.lookup, call.analysis) if t is not None]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        if call.agent is None:
            # Nobody to present it to: no customer data, number, reason or entities leave; supervisors see
            # that a call waits.
            delivered = self._hub.publish_supervisors({"type": "call_unassigned", "call_id": call.call_id,
                                                       "state": call.state, "since": call.started_at})
            self._trace("call.unassigned", call, panels=delivered)
            return
        message = self.pop_message(call)
        call.popped_to = call.agent
        delivered = self._hub.publish(message, call.agent, call.agent_centre)
        self._trace("screen_pop.sent", call, journey=message["journey"], identified=call.identified,
                    panels=delivered, nlu_status=call.nlu_status, agent=call.agent,
                    context=context.for_trace(self._shown(call)[1]))
        if message["acts"]:
            self._trace("act.suggested", call, journey=message["journey"], corrected=message["journey_corrected"],
                        acts=[a["code"] for a in message["acts"]], agent=call.agent)

    async def correct_journey(self, call_id: str, journey: str, advisor: Actor) -> dict[str, Any]:
        """The advisor says what the call is really about: the pop follows, with that journey's acts; the
        correction is traced with the prediction it replaces (the trainers' material)."""
        require_call(self, advisor, call_id, door="api.journey", active=True)
        call = self.calls[call_id]
        p, shown = call.prediction, self._shown(call)[0]
        replaced = call.journey or (shown.journey if shown else None)
        call.journey = journey
        self._trace("nlu.corrected", call, advisor.on_call(call_id), journey=journey, predicted=replaced,
                    nlu_journey=p.journey if p else None, confidence=p.confidence if p else None,
                    intent=p.intent if p else None, reason=call.reason)
        await self._push_pop(call)
        return {"call_id": call_id, "journey": journey, "journey_label": label_for(journey), "replaced": replaced,
                "acts": self.pop_message(call)["acts"]}

    # -- transfers (assistant.copilot.transfer_desk) -------------------------------------------------------
    async def share(self, call_id: str, login: str) -> bool:
        """A level-2 advisor took the call's transfer: they may act on the live call too (chat, acts) and get its
        pop. False when the call is no longer live."""
        call = self.calls.get(call_id)
        if call is None or call.expired:
            return False
        call.shared.add(login)
        await self._pop_to(call, login)
        return True

    async def reopen(self, call_id: str, advisor: Actor, customer_id: int | None, reason: str | None,
                     journey: str | None) -> None:
        """A cold transfer of an ended call taken by a level-2 advisor: the call is live again for them, with its
        customer, reason and journey, and its copilot conversation (the same Rasa tracker) goes on."""
        def caller() -> str | None:
            with self._db() as db:
                return call_record.read(db, call_id).caller_number

        call = CallSession(call_id, caller_number=await asyncio.to_thread(caller), agent=advisor.login,
                           agent_centre=advisor.centre, state="transferred_cold", reason=reason, journey=journey,
                           restored=journey is not None, nlu_status="ok" if journey else "no_reason")
        if customer_id is not None:
            await self._set_customer(call, customer_id, advisor)
        self.recent.pop(call_id, None)
        self.calls[call_id] = call
        call.worker = asyncio.create_task(self._work(call), name=f"call-{call_id}")
        self._trace("call.reopened", call, advisor.on_call(call_id), agent=advisor.login)
        await self._push_pop(call)

    async def _pop_to(self, call: CallSession, login: str) -> None:
        message = self.pop_message(call)
        delivered = self._hub.publish(message, login, None)
        self._trace("screen_pop.sent", call, journey=message["journey"], identified=call.identified,
                    panels=delivered, nlu_status=call.nlu_status, agent=login, shared=True)

    def hints(self, call_id: str) -> dict[str, Any]:
        """What the call said, to fill an act's form: the caller's number and the entities of the reason."""
        call = self.calls.get(call_id)
        if call is None:
            return {}
        return {"caller_number": call.caller_number, "reason": call.reason,
                "entities": call.prediction.entities if call.prediction else [],
                "journey": call.journey or (shown.journey if (shown := self._shown(call)[0]) else None)}

    async def attach_customer(self, call_id: str, customer_id: int, advisor: Actor) -> None:
        """The advisor picked the customer by hand (unknown number): re-pop with them."""
        require_call(self, advisor, call_id, door="panel.attach_customer", active=True)
        call = self.calls[call_id]
        await self._set_customer(call, customer_id, advisor)
        await self._push_pop(call)

    async def _set_customer(self, call: CallSession, customer_id: int, advisor: Actor) -> None:
        """The call is about this customer: read (traced, as ``advisor``) with the situation the pop needs."""
        def read() -> tuple[CustomerPublic, context.Situation]:
            with transaction(self._db) as db, db.no_autoflush:  # the traces at the commit (see _identify)
                return (CustomerService(db, advisor.on_call(call.call_id)).get(customer_id),
                        context.read_situation(db, customer_id, COPILOT.on_call(call.call_id)))

        call.customer, call.situation = await asyncio.to_thread(read)
        call.identified = True

    async def chat(self, call_id: str, text: str, advisor: Actor) -> dict[str, Any]:
        """Relay an advisor's message to the call's Rasa conversation (sender = call id), with the copilot's
        signed assertion of who asks about which customer."""
        require_call(self, advisor, call_id, door="panel.chat", active=True)
        call = self.calls[call_id]
        customer_id = call.customer.id if call.customer else None
        assertion = make_assertion(self._secret, advisor=advisor.login, call_id=call_id, customer_id=customer_id,
                                   text=text, ttl_s=self._assertion_ttl_s)
        self._trace("chat.asked", call, advisor.on_call(call_id), text=text[:500])
        try:
            replies = await self._rasa.chat(call_id, text, assertion)
        except NluUnavailable:
            return {"type": "chat_reply", "call_id": call_id, "messages": [],
                    "error": "Le copilote est indisponible pour le moment."}
        messages = [{"text": r.get("text"), "custom": r.get("custom")} for r in replies]
        return {"type": "chat_reply", "call_id": call_id, "messages": messages}

    async def conversation(self, call_id: str, advisor: Actor) -> list[dict[str, Any]]:
        """The call's chat as Rasa kept it, for an advisor who may act on the call."""
        require_call(self, advisor, call_id, door="api.conversation")
        events = await self._rasa.conversation(call_id)
        said = [{"at": e.get("timestamp"), "from": "advisor" if e.get("event") == "user" else "copilot",
                 "text": e.get("text")} for e in events if e.get("event") in ("user", "bot") and e.get("text")]
        return said

    async def aclose(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
        for call in list(self.calls.values()):
            for task in (call.worker, call.lookup, call.analysis):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
        self.calls.clear()
        await asyncio.to_thread(self._traces.close)
