from datetime import date
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session, sessionmaker

import actions.account
import actions.crm
from actions.account import ActionCommitmentEnd
from tests.conftest import count_rows


@pytest.fixture(autouse=True)
def crm(sqlite_sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> sessionmaker[Session]:
    monkeypatch.setattr(actions.crm, "_sessions", lambda: sqlite_sessions)
    monkeypatch.setattr(actions.account, "today", lambda: date(2026, 11, 23))
    return sqlite_sessions


def tracker(metadata: dict[str, Any], sender: str = "call-42") -> Tracker:
    return Tracker.from_dict({
        "sender_id": sender, "slots": {}, "events": [], "paused": False, "followup_action": None,
        "active_loop": {}, "latest_action_name": "action_listen",
        "latest_message": {"text": "date de fin d'engagement ?", "metadata": metadata,
                           "intent": {"name": "copilot_commitment_end", "confidence": 0.9}, "entities": []},
    })


def run(metadata: dict[str, Any]) -> list[dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    events = ActionCommitmentEnd().run(dispatcher, tracker(metadata), {})
    assert events == []
    return dispatcher.messages


def test_answers_with_each_line_commitment_from_the_crm(crm: sessionmaker[Session]) -> None:
    [message] = run({"advisor": "n1.demo", "profile": "n1_customer_contact", "customer_id": 1})
    assert "Box Fibre 2 Gb/s + TV (09 72 12 34 56) : engagé jusqu'au 01/09/2027" in message["text"]
    assert "Forfait 5G 200 Go (07 12 34 56 78) : engagement terminé depuis le 15/03/2026" in message["text"]
    assert {li["commitment_end"] for li in message["custom"]["lines"]} == {"2027-09-01", "2026-03-15"}
    assert count_rows(crm, "SELECT count(*) FROM trace_events WHERE name='action.executed' AND actor='n1.demo' "
                      "AND call_id='call-42' AND customer_id=1") == 1
    assert count_rows(crm, "SELECT count(*) FROM trace_events WHERE name='customer.read' AND call_id='call-42'") == 1


def test_a_customer_out_of_commitment_is_said_so() -> None:
    [message] = run({"advisor": "n1.demo", "customer_id": 2})
    assert message["text"].count("sans engagement") == 2


def test_without_an_identified_customer_the_advisor_is_told_what_to_do() -> None:
    [message] = run({"advisor": "n1.demo", "customer_id": None})
    assert "Aucun client" in message["text"]


def test_unknown_customer_and_forbidden_profile_are_answered_not_crashed(crm: sessionmaker[Session]) -> None:
    [missing] = run({"advisor": "n1.demo", "customer_id": 4242})
    assert "introuvable" in missing["text"]
    [forbidden] = run({"advisor": "trainer.demo", "profile": "trainer", "customer_id": 1})
    assert "habilité" in forbidden["text"]
    assert count_rows(crm, "SELECT count(*) FROM trace_events WHERE name='action.executed'") == 0
