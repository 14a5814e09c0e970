"""The call session on a real SQLite CRM, with the Rasa client replaced by a fake (unit level)."""

import asyncio
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from assistant.copilot.nlu_client import JourneyPrediction, NluUnavailable, prediction_from_parse
from assistant.copilot.panel_hub import PanelHub
from assistant.copilot.sessions import CallSessionManager
from crm_core.models import TraceEvent
from crm_core.services.actor import Actor
from crm_core.services.call_access import NotYourCall
from crm_core.services.habilitations import PROFILES
from nlu.assertion import verify_assertion
from telephony_bridge.events import CallEvent
from tests.conftest import count_rows


class FakeRasa:
    def __init__(self, journey: str | None = "move", down: bool = False, slow_texts: tuple[str, ...] = (),
                 parse: dict[str, Any] | None = None) -> None:
        self.journey, self.down, self.slow_texts, self.parse = journey, down, slow_texts, parse
        self.texts: list[str] = []

    async def classify(self, text: str) -> JourneyPrediction:
        self.texts.append(text)
        await asyncio.sleep(2.0 if text in self.slow_texts else 0.0)
        if self.down:
            raise NluUnavailable("connection refused")
        if self.parse:
            return prediction_from_parse({"text": text, **self.parse})
        return prediction_from_parse({"text": text, "intent_ranking": [{"name": self.journey, "confidence": 0.9}],
                                      "entities": []})

    async def chat(self, sender: str, text: str, assertion: str) -> list[dict[str, Any]]:
        if self.down:
            raise NluUnavailable("connection refused")
        claim = verify_assertion(assertion, SECRET, call_id=sender, text=text)
        return [{"recipient_id": sender, "text": f"echo {text} for {claim.customer_id} by {claim.advisor}"}]


N1 = PROFILES["n1_customer_contact"][1]
SECRET = "the-internal-secret-of-these-tests-0123456789"


def manager_for(sessions: sessionmaker[Session], rasa: FakeRasa, hub: PanelHub, **kw: Any) -> CallSessionManager:
    return CallSessionManager(sessions, rasa, hub, secret=SECRET, **kw)  # type: ignore[arg-type]


def ev(event: str, call_id: str = "c1", **kw: Any) -> CallEvent:
    return CallEvent(call_id=call_id, event=event, **kw)  # type: ignore[arg-type]


async def _next_pop(sub, call_id: str = "c1", timeout: float = 5.0) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    while True:
        message = await asyncio.wait_for(sub.queue.get(), timeout)
        if message["type"] == "screen_pop" and message["call_id"] == call_id:
            return message


async def test_answered_call_pops_customer_journey_and_acts(sqlite_sessions: sessionmaker[Session]) -> None:
    hub = PanelHub()
    sub = hub.subscribe("n1.demo", permissions=N1)
    manager = CallSessionManager(sqlite_sessions, FakeRasa("move"), hub)  # type: ignore[arg-type]
    await manager.handle(ev("offered", caller_number="07 12 34 56 78", agent="n1.demo",
                            reason_transcript="je déménage à Nantes"))
    await manager.handle(ev("answered"))
    pop = await _next_pop(sub)
    assert pop["customer"]["last_name"] == "Martin" and pop["identified"] is True
    assert (pop["journey"], pop["journey_label"], pop["nlu_status"]) == ("move", "Je déménage", "ok")
    assert "move_address" in [a["code"] for a in pop["acts"]]
    await manager.handle(ev("ended"))
    await asyncio.sleep(0.1)
    assert await asyncio.to_thread(manager.flush_traces)
    names = [n for (n,) in _trace_names(sqlite_sessions, "c1")]
    for expected in ("call.offered", "call.answered", "customer.read", "nlu.predicted", "screen_pop.sent",
                     "call.ended"):
        assert expected in names, names
    assert "c1" not in manager.calls


@pytest.mark.parametrize(
    ("parse", "low"),
    [
        # Rasa's FallbackClassifier: two journeys too close to call; the pop keeps the best one, marked unsure
        ({"intent": {"name": "nlu_fallback", "confidence": 0.5},
          "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.5}, {"name": "move", "confidence": 0.46},
                             {"name": "change_offer", "confidence": 0.41}]}, True),
        ({"intent": {"name": "move", "confidence": 0.42},
          "intent_ranking": [{"name": "move", "confidence": 0.42}, {"name": "breakdown", "confidence": 0.1}]}, True),
        ({"intent": {"name": "move", "confidence": 0.93},
          "intent_ranking": [{"name": "move", "confidence": 0.93}, {"name": "breakdown", "confidence": 0.03}]}, False),
    ],
)
async def test_an_unsure_prediction_is_shown_but_flagged(sqlite_sessions: sessionmaker[Session],
                                                        parse: dict[str, Any], low: bool) -> None:
    hub = PanelHub()
    sub = hub.subscribe("n1.demo", permissions=N1)
    manager = CallSessionManager(sqlite_sessions, FakeRasa(parse={**parse, "entities": []}), hub)  # type: ignore[arg-type]
    await manager.handle(ev("offered", caller_number="07 12 34 56 78", agent="n1.demo",
                            reason_transcript="je déménage et je veux la fibre"))
    await manager.handle(ev("answered"))
    pop = await _next_pop(sub)
    assert (pop["journey"], pop["low_confidence"]) == ("move", low)


def _trace_names(factory: sessionmaker[Session], call_id: str) -> list[tuple[str]]:
    from sqlalchemy import text

    with factory() as s:
        return list(s.execute(text("SELECT name FROM trace_events WHERE call_id=:c ORDER BY id"), {"c": call_id}))


async def test_unknown_number_pops_an_unidentified_call(sqlite_sessions: sessionmaker[Session]) -> None:
    hub = PanelHub()
    sub = hub.subscribe("n1.demo", permissions=N1)
    manager = CallSessionManager(sqlite_sessions, FakeRasa("breakdown"), hub)  # type: ignore[arg-type]
    await manager.handle(ev("offered", caller_number="07 00 00 00 00", reason_transcript="plus d'internet",
                            agent="n1.demo"))
    await manager.handle(ev("answered"))
    pop = await _next_pop(sub)
    assert pop["customer"] is None and pop["identified"] is False
    assert pop["journey"] == "breakdown"


async def test_nlu_down_still_pops_the_customer(sqlite_sessions: sessionmaker[Session]) -> None:
    hub = PanelHub()
    sub = hub.subscribe("n1.demo", permissions=N1)
    manager = CallSessionManager(sqlite_sessions, FakeRasa(down=True), hub)  # type: ignore[arg-type]
    await manager.handle(ev("offered", caller_number="0798765432", reason_transcript="ma facture", agent="n1.demo"))
    await manager.handle(ev("answered"))
    pop = await _next_pop(sub)
    assert pop["customer"]["first_name"] == "Jean-Pierre"
    assert (pop["journey"], pop["nlu_status"], pop["acts"]) == (None, "unavailable", [])
    assert await asyncio.to_thread(manager.flush_traces)
    assert count_rows(sqlite_sessions, "SELECT count(*) FROM trace_events WHERE name='nlu.unavailable'") == 1


async def test_pops_go_only_to_the_advisor_the_call_is_presented_to(sqlite_sessions: sessionmaker[Session]) -> None:
    hub = PanelHub()
    mine, other = hub.subscribe("n1.demo", permissions=N1), hub.subscribe("n1.other", permissions=N1)
    manager = CallSessionManager(sqlite_sessions, FakeRasa(), hub)  # type: ignore[arg-type]
    await manager.handle(ev("offered", caller_number="0712345678", agent="n1.demo", reason_transcript="je déménage"))
    await manager.handle(ev("answered"))
    await _next_pop(mine)
    assert other.queue.empty()


async def test_a_slow_call_does_not_delay_another(sqlite_sessions: sessionmaker[Session]) -> None:
    hub = PanelHub()
    sub = hub.subscribe("n1.demo", permissions=N1)
    manager = CallSessionManager(sqlite_sessions, FakeRasa(slow_texts=("je déménage",)), hub)  # type: ignore[arg-type]
    await manager.handle(ev("offered", "slow", caller_number="0712345678", reason_transcript="je déménage",
                            agent="n1.demo"))
    await manager.handle(ev("answered", "slow"))
    await manager.handle(ev("offered", "fast", caller_number="0798765432", reason_transcript="je résilie",
                            agent="n1.demo"))
    await manager.handle(ev("answered", "fast"))
    first = await asyncio.wait_for(sub.queue.get(), 5)
    assert first["call_id"] == "fast"


async def test_a_reason_after_the_pop_updates_the_panel(sqlite_sessions: sessionmaker[Session]) -> None:
    hub = PanelHub()
    sub = hub.subscribe("n1.demo", permissions=N1)
    manager = CallSessionManager(sqlite_sessions, FakeRasa("terminate"), hub)  # type: ignore[arg-type]
    await manager.handle(ev("offered", caller_number="0712345678", agent="n1.demo"))
    await manager.handle(ev("answered"))
    first = await _next_pop(sub)
    assert (first["journey"], first["nlu_status"]) == (None, "no_reason")
    await manager.handle(ev("reason", reason_transcript="je veux résilier"))
    second = await _next_pop(sub)
    assert (second["journey"], second["reason"]) == ("terminate", "je veux résilier")


async def test_chat_carries_the_advisor_and_customer_and_survives_rasa_down(
    sqlite_sessions: sessionmaker[Session],
) -> None:
    hub = PanelHub()
    sub = hub.subscribe("n1.demo", permissions=N1)
    manager = manager_for(sqlite_sessions, FakeRasa(), hub)
    await manager.handle(ev("offered", caller_number="0712345678", reason_transcript="je déménage", agent="n1.demo"))
    await manager.handle(ev("answered"))
    await _next_pop(sub)
    reply = await manager.chat("c1", "fin d'engagement ?", Actor("n1.demo"))
    assert reply["messages"][0]["text"] == "echo fin d'engagement ? for 1 by n1.demo"  # signed, verified
    manager._rasa = FakeRasa(down=True)
    reply = await manager.chat("c1", "fin d'engagement ?", Actor("n1.demo"))
    assert reply["messages"] == [] and "indisponible" in reply["error"]
    for call_id, who in (("no-such-call", "n1.demo"), ("c1", "n1.grenoble")):
        with pytest.raises(NotYourCall, match="pas attribué"):
            await manager.chat(call_id, "bonjour", Actor(who))


async def test_a_panel_that_may_not_read_customers_gets_the_pop_without_them(
    sqlite_sessions: sessionmaker[Session],
) -> None:
    hub = PanelHub()
    trainer = hub.subscribe("trainer.demo", permissions=PROFILES["trainer"][1])
    advisor = hub.subscribe("n1.demo", permissions=PROFILES["n1_customer_contact"][1])
    manager = CallSessionManager(sqlite_sessions, FakeRasa(), hub)  # type: ignore[arg-type]
    # a call presented by mistake to a profile without customer access: it learns nothing of the caller
    await manager.handle(ev("offered", "c-trainer", caller_number="0798765432", agent="trainer.demo",
                            reason_transcript="je déménage, mon IBAN est FR76 3000 6000 0112 3456 7890 189"))
    await manager.handle(ev("answered", "c-trainer"))
    await manager.handle(ev("offered", caller_number="0798765432", reason_transcript="je déménage", agent="n1.demo"))
    await manager.handle(ev("answered"))
    seen_by_trainer = await _next_pop(trainer, "c-trainer")
    seen_by_advisor = await _next_pop(advisor)
    assert seen_by_trainer["customer"] is None and seen_by_trainer["restricted"] is True
    for key in ("caller_number", "reason", "entities"):
        assert not seen_by_trainer.get(key), key
    assert "3456" not in str(seen_by_trainer) and "98765432" not in str(seen_by_trainer)
    assert seen_by_advisor["customer"]["last_name"] == "Lefèvre" and seen_by_advisor["restricted"] is False


async def _traced(factory: sessionmaker[Session], manager: CallSessionManager, name: str,
                  call_id: str | None = None) -> int:
    assert await asyncio.to_thread(manager.flush_traces)
    if call_id is None:
        return count_rows(factory, "SELECT count(*) FROM trace_events WHERE name=:n", n=name)
    return count_rows(factory, "SELECT count(*) FROM trace_events WHERE name=:n AND call_id=:c", n=name, c=call_id)


async def test_an_agent_change_that_is_not_a_transfer_is_refused_and_traced(
    sqlite_sessions: sessionmaker[Session],
) -> None:
    from assistant.copilot.sessions import EventRejected

    hub = PanelHub()
    first, second = hub.subscribe("n1.demo", permissions=N1), hub.subscribe("n1.grenoble", permissions=N1)
    manager = manager_for(sqlite_sessions, FakeRasa(), hub)
    await manager.handle(ev("offered", caller_number="0712345678", agent="n1.demo", reason_transcript="je déménage"))
    await manager.handle(ev("answered"))
    await _next_pop(first)
    for kind in ("answered", "held", "ended", "reason"):
        with pytest.raises(EventRejected, match="transfer"):
            await manager.handle(ev(kind, agent="n1.grenoble"))
    assert manager.calls["c1"].agent == "n1.demo"
    assert await _traced(sqlite_sessions, manager, "call.event_rejected") == 4
    await manager.handle(ev("transferred_warm", agent="n1.grenoble"))
    pop = await _next_pop(second)  # the new advisor gets the context
    assert pop["customer"]["last_name"] == "Martin" and pop["state"] == "transferred_warm"
    update = await asyncio.wait_for(first.queue.get(), 5)
    assert update == {"type": "call_update", "call_id": "c1", "state": "transferred_warm"}
    with pytest.raises(NotYourCall):  # the first advisor no longer owns it
        await manager.chat("c1", "bonjour", Actor("n1.demo"))


async def test_a_call_with_no_advisor_pops_nothing_and_waits_for_supervisors(
    sqlite_sessions: sessionmaker[Session],
) -> None:
    hub = PanelHub()
    advisor = hub.subscribe("n1.demo", permissions=PROFILES["n1_customer_contact"][1])
    supervisor = hub.subscribe("sup.demo", permissions=PROFILES["supervisor"][1], centre="CCO-LYON")
    manager = manager_for(sqlite_sessions, FakeRasa(), hub)
    await manager.handle(ev("offered", caller_number="0712345678", agent="", reason_transcript="je déménage"))
    await manager.handle(ev("answered"))
    waiting = await asyncio.wait_for(supervisor.queue.get(), 5)
    assert waiting["type"] == "call_unassigned" and set(waiting) == {"type", "call_id", "state", "since"}
    assert advisor.queue.empty()
    assert manager.unassigned() == [{"call_id": "c1", "state": "answered", "since": waiting["since"]}]
    with pytest.raises(NotYourCall):
        await manager.chat("c1", "bonjour", Actor("sup.demo", "supervisor", permissions=PROFILES["supervisor"][1],
                                                  centre="CCO-LYON"))
    await manager.handle(ev("resumed", agent="n1.demo"))  # the call reaches an advisor: they get the pop
    pop = await _next_pop(advisor)
    assert pop["customer"]["last_name"] == "Martin"
    assert manager.unassigned() == []


async def test_a_supervisor_follows_the_calls_of_their_own_centre_only(sqlite_sessions: sessionmaker[Session]) -> None:
    supervisor_rights = PROFILES["supervisor"][1]
    hub = PanelHub()
    lyon_call = hub.subscribe("sup.demo", "c-lyon", supervisor_rights, centre="CCO-LYON")
    grenoble_call = hub.subscribe("sup.demo", "c-gre", supervisor_rights, centre="CCO-LYON")
    manager = manager_for(sqlite_sessions, FakeRasa(), hub)
    await manager.handle(ev("offered", "c-lyon", caller_number="0712345678", agent="n1.demo"))
    await manager.handle(ev("answered", "c-lyon"))
    await manager.handle(ev("offered", "c-gre", caller_number="0798765432", agent="n1.grenoble"))
    await manager.handle(ev("answered", "c-gre"))
    assert (await _next_pop(lyon_call, "c-lyon"))["customer"]["last_name"] == "Martin"
    await asyncio.sleep(0.2)
    assert grenoble_call.queue.empty()
    sup = Actor("sup.demo", "supervisor", permissions=supervisor_rights, centre="CCO-LYON")
    reply = await manager.chat("c-lyon", "fin d'engagement ?", sup)
    assert reply["messages"][0]["text"].endswith("by sup.demo")
    with pytest.raises(NotYourCall):
        await manager.chat("c-gre", "fin d'engagement ?", sup)
    assert await _traced(sqlite_sessions, manager, "call.access_refused") == 1


async def test_attaching_a_customer_to_someone_elses_call_is_refused_and_traced(
    sqlite_sessions: sessionmaker[Session],
) -> None:
    hub = PanelHub()
    owner = hub.subscribe("n1.demo", permissions=N1)
    manager = manager_for(sqlite_sessions, FakeRasa(), hub)
    await manager.handle(ev("offered", caller_number="0700000000", agent="n1.demo"))
    await manager.handle(ev("answered"))
    await _next_pop(owner)
    intruder = Actor("n1.grenoble", permissions=PROFILES["n1_customer_contact"][1], centre="CCO-GRENOBLE")
    with pytest.raises(NotYourCall):
        await manager.attach_customer("c1", 1, intruder)
    assert manager.calls["c1"].customer is None
    assert await _traced(sqlite_sessions, manager, "call.access_refused") == 1
    assert await _traced(sqlite_sessions, manager, "customer.read") == 0


async def test_a_silent_call_expires(sqlite_sessions: sessionmaker[Session]) -> None:
    hub = PanelHub()
    sub = hub.subscribe("n1.demo", permissions=N1)
    manager = manager_for(sqlite_sessions, FakeRasa(), hub, idle_timeout_s=0.3)
    manager.start()
    try:
        await manager.handle(ev("offered", caller_number="0712345678", agent="n1.demo"))
        await manager.handle(ev("answered"))
        await _next_pop(sub)
        update = await asyncio.wait_for(sub.queue.get(), 5)
        assert update == {"type": "call_update", "call_id": "c1", "state": "expired"}
        for _ in range(50):
            if "c1" not in manager.calls:
                break
            await asyncio.sleep(0.05)
        assert "c1" not in manager.calls
        assert await _traced(sqlite_sessions, manager, "call.expired") == 1
        owner = manager.owner("c1")  # after-call work on it is still the advisor's, but it is over
        assert owner is not None and owner.agent == "n1.demo" and owner.active is False
    finally:
        await manager.aclose()


# -- protocol version 2 ----------------------------------------------------------------------------------------
def v2(event: str, call_id: str = "c2", **kw: Any) -> CallEvent:
    return CallEvent(version=2, call_id=call_id, event=event, **kw)  # type: ignore[arg-type]


async def test_duplicates_replays_stale_and_late_events_are_dropped_and_said(
        sqlite_sessions: sessionmaker[Session]) -> None:
    hub = PanelHub()
    sub = hub.subscribe("n1.demo", permissions=N1)
    manager = manager_for(sqlite_sessions, FakeRasa("move"), hub)
    try:
        offered = v2("offered", caller_number="0712345678", agent="n1.demo", event_id="e1", sequence=1)
        assert await manager.handle(offered) is None
        assert await manager.handle(offered) == "duplicate"  # the engine sent it twice
        assert await manager.handle(v2("answered", event_id="e3", sequence=3)) is None
        assert await manager.handle(v2("held", event_id="e2", sequence=2)) == "stale"  # older than « answered »
        await _next_pop(sub, "c2")
        assert await manager.handle(v2("ended", event_id="e4", sequence=4)) is None
        await asyncio.sleep(0.1)
        assert await manager.handle(v2("held", event_id="e5", sequence=5)) == "ended"  # a late one: no new call
        assert "c2" not in manager.calls
        assert await _traced(sqlite_sessions, manager, "call.held", "c2") == 0
        assert await _traced(sqlite_sessions, manager, "call.offered", "c2") == 1
    finally:
        await manager.aclose()


async def test_the_callers_final_words_make_the_reason_and_the_ivr_and_data_are_kept(
        sqlite_sessions: sessionmaker[Session]) -> None:
    hub = PanelHub()
    sub = hub.subscribe("n1.demo", permissions=N1)
    rasa = FakeRasa("move")
    manager = manager_for(sqlite_sessions, rasa, hub)
    try:
        await manager.handle(v2("offered", caller_number="0712345678", agent="n1.demo"))
        await manager.handle(v2("dtmf", digits="2"))
        await manager.handle(v2("data", data={"queue": "demenagement", "crm_case": "A-12"}))
        await manager.handle(v2("transcript", transcript={"text": "bonjour", "final": False}))  # partial: not yet
        await manager.handle(v2("transcript", transcript={"text": "bonjour je déménage", "final": True}))
        await manager.handle(v2("transcript", transcript={"text": "très bien", "final": True, "speaker": "agent"}))
        await manager.handle(v2("transcript", transcript={"text": "à Nantes le mois prochain", "final": True}))
        await manager.handle(v2("answered"))
        pop = await _next_pop(sub, "c2")
        call = manager.calls["c2"]
        assert pop["reason"] == "bonjour je déménage à Nantes le mois prochain" == call.reason
        assert (call.ivr_choice, call.data) == ("2", {"queue": "demenagement", "crm_case": "A-12"})
        assert rasa.texts[-1] == "bonjour je déménage à Nantes le mois prochain"
        assert "très bien" not in " ".join(rasa.texts)  # the advisor's words are not the caller's reason
    finally:
        await manager.aclose()


async def test_the_end_of_a_call_records_its_ring_talk_hold_and_wrap_up_times(
        sqlite_sessions: sessionmaker[Session]) -> None:
    now = [100.0]
    hub = PanelHub()
    manager = manager_for(sqlite_sessions, FakeRasa("move"), hub, clock=lambda: now[0])
    try:
        for at, event in ((100.0, "offered"), (104.0, "answered"), (130.0, "held"), (150.0, "resumed"),
                          (170.0, "held"), (175.0, "ended")):
            now[0] = at
            extra = {"caller_number": "0712345678", "agent": "n1.demo"} if event == "offered" else {}
            await manager.handle(v2(event, **extra))
            await asyncio.sleep(0.02)  # each event applied at its own time
        await asyncio.sleep(0.1)
        assert await asyncio.to_thread(manager.flush_traces)
        with sqlite_sessions() as s:
            ended = s.scalar(select(TraceEvent).where(TraceEvent.call_id == "c2", TraceEvent.name == "call.ended"))
        assert ended is not None
        # rang 4 s; answered 71 s of which 25 s on hold (20 s, then 5 s still on hold when it ended)
        assert ended.data["durations"] == {"ring_s": 4.0, "talk_s": 46.0, "hold_s": 25.0}
        for at, event in ((200.0, "offered"), (215.0, "answered")):  # the advisor's next call, 25 s after
            now[0] = at
            extra = {"caller_number": "0798765432", "agent": "n1.demo"} if event == "offered" else {}
            await manager.handle(v2(event, call_id="c3", **extra))
        assert await asyncio.to_thread(manager.flush_traces)
        with sqlite_sessions() as s:
            wrapup = s.scalar(select(TraceEvent).where(TraceEvent.name == "call.wrapup"))
        assert wrapup is not None and wrapup.call_id == "c2"
        assert (wrapup.data["wrapup_s"], wrapup.data["next_call"]) == (25.0, "c3")
    finally:
        await manager.aclose()


async def test_a_v2_transfer_moves_the_call_like_a_v1_one(sqlite_sessions: sessionmaker[Session]) -> None:
    hub = PanelHub()
    first = hub.subscribe("n1.demo", permissions=N1)
    second = hub.subscribe("n2.demo", permissions=PROFILES["n2_technical"][1])
    manager = manager_for(sqlite_sessions, FakeRasa("breakdown"), hub)
    try:
        await manager.handle(v2("offered", caller_number="0712345678", agent="n1.demo"))
        await manager.handle(v2("answered"))
        await _next_pop(first, "c2")
        await manager.handle(v2("transferred", agent="n2.demo", transfer={"kind": "attended"}))
        assert (await _next_pop(second, "c2"))["state"] == "transferred_warm"
        left = await asyncio.wait_for(first.queue.get(), 5)
        assert left == {"type": "call_update", "call_id": "c2", "state": "transferred_warm"}
    finally:
        await manager.aclose()


async def test_an_event_of_a_call_that_never_started_is_refused_and_a_burst_is_taken_whole(
        sqlite_sessions: sessionmaker[Session]) -> None:
    from assistant.copilot.sessions import EventRejected

    hub = PanelHub()
    manager = manager_for(sqlite_sessions, FakeRasa(down=True), hub)
    try:
        for kind in ("held", "resumed"):
            with pytest.raises(EventRejected, match="never started here"):
                await manager.handle(v2(kind, call_id="ghost"))
        with pytest.raises(EventRejected, match="never started here"):
            await manager.handle(v2("transferred", call_id="ghost", agent="n2.demo", transfer={"kind": "blind"}))
        assert "ghost" not in manager.calls
        # 10,000 events in a burst over 200 calls: every one taken, in order, none lost
        for n in range(200):
            await manager.handle(v2("offered", call_id=f"b-{n}", caller_number="0712345678", agent="n1.demo",
                                    event_id="o", sequence=1))
            for k in range(2, 50):
                await manager.handle(v2("held" if k % 2 else "resumed", call_id=f"b-{n}", event_id=str(k),
                                        sequence=k))
            await manager.handle(v2("ended", call_id=f"b-{n}", event_id="e", sequence=50))
        for _ in range(200):
            if not manager.calls:
                break
            await asyncio.sleep(0.05)
        assert manager.calls == {}
        assert await _traced(sqlite_sessions, manager, "call.held") == 200 * 24
        assert await _traced(sqlite_sessions, manager, "call.ended") == 200
    finally:
        await manager.aclose()


async def test_a_call_whose_worker_lags_pushes_back_and_loses_nothing(sqlite_sessions: sessionmaker[Session],
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.copilot import sessions as module
    from assistant.copilot.sessions import EventRejected

    monkeypatch.setattr(module, "CALL_QUEUE", 3)
    manager = manager_for(sqlite_sessions, FakeRasa(down=True), PanelHub())
    try:
        await manager.handle(v2("offered", caller_number="0712345678", agent="n1.demo", event_id="1", sequence=1))
        refused = 0
        for k in range(2, 12):  # sent faster than the worker applies them: some are pushed back, then sent again
            event = v2("held" if k % 2 else "resumed", event_id=str(k), sequence=k)
            while True:
                try:
                    assert await manager.handle(event) is None
                    break
                except EventRejected as busy:
                    assert "send it again" in str(busy)
                    refused += 1
                    await asyncio.sleep(0.01)
        assert refused > 0
        assert await _traced(sqlite_sessions, manager, "call.held", "c2") == 5
        assert await _traced(sqlite_sessions, manager, "call.resumed", "c2") == 5
    finally:
        await manager.aclose()


async def test_cti_data_under_its_own_id_joins_the_live_call_from_the_same_number(
        sqlite_sessions: sessionmaker[Session]) -> None:
    hub = PanelHub()
    sub = hub.subscribe("n1.demo", permissions=N1)
    manager = manager_for(sqlite_sessions, FakeRasa("move"), hub)
    try:
        await manager.handle(v2("offered", call_id="sip-1", caller_number="+33712345678", agent="n1.demo"))
        await manager.handle(v2("data", call_id="cti-9", caller_number="07 12 34 56 78", data={"contrat": "X-1"}))
        await manager.handle(v2("transcript", call_id="cti-9", caller_number="0712345678",
                                transcript={"text": "je déménage à Nantes", "final": True}))
        await manager.handle(v2("answered", call_id="sip-1"))
        pop = await _next_pop(sub, "sip-1")
        assert pop["reason"] == "je déménage à Nantes" and manager.calls["sip-1"].data == {"contrat": "X-1"}
        assert "cti-9" not in manager.calls
        assert await _traced(sqlite_sessions, manager, "call.correlated", "sip-1") == 2
        # two live calls from one number: nothing is guessed, the CTI's call stays its own
        await manager.handle(v2("offered", call_id="sip-2", caller_number="0712345678", agent="n1.demo"))
        await manager.handle(v2("data", call_id="cti-10", caller_number="0712345678", data={"k": 1}))
        assert "cti-10" in manager.calls
    finally:
        await manager.aclose()
