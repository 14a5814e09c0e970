"""The call session on a real SQLite CRM, with the Rasa client replaced by a fake (unit level)."""

import asyncio
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from assistant.copilot.nlu_client import JourneyPrediction, NluUnavailable, prediction_from_parse
from assistant.copilot.panel_hub import PanelHub
from assistant.copilot.sessions import CallSessionManager
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

    async def chat(self, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        if self.down:
            raise NluUnavailable("connection refused")
        return [{"recipient_id": sender, "text": f"echo {text} for {metadata['customer_id']}"}]


def ev(event: str, call_id: str = "c1", **kw: Any) -> CallEvent:
    return CallEvent(call_id=call_id, event=event, **kw)  # type: ignore[arg-type]


async def _next_pop(sub, call_id: str = "c1", timeout: float = 5.0) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    while True:
        message = await asyncio.wait_for(sub.queue.get(), timeout)
        if message["type"] == "screen_pop" and message["call_id"] == call_id:
            return message


async def test_answered_call_pops_customer_journey_and_acts(sqlite_sessions: sessionmaker[Session]) -> None:
    hub = PanelHub()
    sub = hub.subscribe("n1.demo")
    manager = CallSessionManager(sqlite_sessions, FakeRasa("move"), hub)  # type: ignore[arg-type]
    await manager.handle(ev("offered", caller_number="07 12 34 56 78", agent="n1.demo",
                            reason_transcript="je déménage à Nantes"))
    await manager.handle(ev("answered"))
    pop = await _next_pop(sub)
    assert pop["customer"]["last_name"] == "Martin" and pop["identified"] is True
    assert (pop["journey"], pop["journey_label"], pop["nlu_status"]) == ("move", "Je déménage", "ok")
    assert "update_postal_address" in [a["code"] for a in pop["acts"]]
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
    sub = hub.subscribe("n1.demo")
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
    sub = hub.subscribe("*")
    manager = CallSessionManager(sqlite_sessions, FakeRasa("breakdown"), hub)  # type: ignore[arg-type]
    await manager.handle(ev("offered", caller_number="07 00 00 00 00", reason_transcript="plus d'internet"))
    await manager.handle(ev("answered"))
    pop = await _next_pop(sub)
    assert pop["customer"] is None and pop["identified"] is False
    assert pop["journey"] == "breakdown"


async def test_nlu_down_still_pops_the_customer(sqlite_sessions: sessionmaker[Session]) -> None:
    hub = PanelHub()
    sub = hub.subscribe("n1.demo")
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
    mine, other = hub.subscribe("n1.demo"), hub.subscribe("n1.other")
    manager = CallSessionManager(sqlite_sessions, FakeRasa(), hub)  # type: ignore[arg-type]
    await manager.handle(ev("offered", caller_number="0712345678", agent="n1.demo", reason_transcript="je déménage"))
    await manager.handle(ev("answered"))
    await _next_pop(mine)
    assert other.queue.empty()


async def test_a_slow_call_does_not_delay_another(sqlite_sessions: sessionmaker[Session]) -> None:
    hub = PanelHub()
    sub = hub.subscribe("*")
    manager = CallSessionManager(sqlite_sessions, FakeRasa(slow_texts=("je déménage",)), hub)  # type: ignore[arg-type]
    await manager.handle(ev("offered", "slow", caller_number="0712345678", reason_transcript="je déménage"))
    await manager.handle(ev("answered", "slow"))
    await manager.handle(ev("offered", "fast", caller_number="0798765432", reason_transcript="je résilie"))
    await manager.handle(ev("answered", "fast"))
    first = await asyncio.wait_for(sub.queue.get(), 5)
    assert first["call_id"] == "fast"


async def test_a_reason_after_the_pop_updates_the_panel(sqlite_sessions: sessionmaker[Session]) -> None:
    hub = PanelHub()
    sub = hub.subscribe("*")
    manager = CallSessionManager(sqlite_sessions, FakeRasa("terminate"), hub)  # type: ignore[arg-type]
    await manager.handle(ev("offered", caller_number="0712345678"))
    await manager.handle(ev("answered"))
    first = await _next_pop(sub)
    assert (first["journey"], first["nlu_status"]) == (None, "no_reason")
    await manager.handle(ev("reason", reason_transcript="je veux résilier"))
    second = await _next_pop(sub)
    assert (second["journey"], second["reason"]) == ("terminate", "je veux résilier")


async def test_chat_carries_the_advisor_and_customer_and_survives_rasa_down(
    sqlite_sessions: sessionmaker[Session],
) -> None:
    from crm_core.services.actor import Actor

    hub = PanelHub()
    sub = hub.subscribe("*")
    manager = CallSessionManager(sqlite_sessions, FakeRasa(), hub)  # type: ignore[arg-type]
    await manager.handle(ev("offered", caller_number="0712345678", reason_transcript="je déménage"))
    await manager.handle(ev("answered"))
    await _next_pop(sub)
    reply = await manager.chat("c1", "fin d'engagement ?", Actor("n1.demo"))
    assert reply["messages"][0]["text"] == "echo fin d'engagement ? for 1"
    manager._rasa = FakeRasa(down=True)
    reply = await manager.chat("c1", "fin d'engagement ?", Actor("n1.demo"))
    assert reply["messages"] == [] and "indisponible" in reply["error"]
    reply = await manager.chat("no-such-call", "bonjour", Actor("n1.demo"))
    assert "terminé ou inconnu" in reply["error"]


async def test_a_panel_that_may_not_read_customers_gets_the_pop_without_them(
    sqlite_sessions: sessionmaker[Session],
) -> None:
    from crm_core.services.habilitations import PROFILES

    hub = PanelHub()
    trainer = hub.subscribe("trainer.demo", permissions=PROFILES["trainer"][1])
    advisor = hub.subscribe("*", permissions=PROFILES["n1_customer_contact"][1])
    manager = CallSessionManager(sqlite_sessions, FakeRasa(), hub)  # type: ignore[arg-type]
    await manager.handle(ev("offered", caller_number="0798765432", reason_transcript="je déménage"))
    await manager.handle(ev("answered"))
    seen_by_trainer = await _next_pop(trainer)
    seen_by_advisor = await _next_pop(advisor)
    assert seen_by_trainer["customer"] is None and seen_by_trainer["restricted"] is True
    assert seen_by_trainer["journey"] == "move"
    assert seen_by_advisor["customer"]["last_name"] == "Lefèvre" and "restricted" not in seen_by_advisor
