from datetime import date
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session, sessionmaker

import actions.account
import actions.crm
from actions.account import ActionCommitmentEnd
from crm_core.core.config import get_crm_settings
from nlu.assertion import make_assertion
from tests.conftest import count_rows

TEXT = "date de fin d'engagement ?"


@pytest.fixture(autouse=True)
def crm(sqlite_sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> sessionmaker[Session]:
    monkeypatch.setattr(actions.crm, "_sessions", lambda: sqlite_sessions)
    monkeypatch.setattr(actions.account, "today", lambda: date(2026, 11, 23))
    return sqlite_sessions


def tracker(metadata: dict[str, Any], sender: str = "call-42", text: str = TEXT) -> Tracker:
    return Tracker.from_dict({
        "sender_id": sender, "slots": {}, "events": [], "paused": False, "followup_action": None,
        "active_loop": {}, "latest_action_name": "action_listen",
        "latest_message": {"text": text, "metadata": metadata,
                           "intent": {"name": "copilot_commitment_end", "confidence": 0.9}, "entities": []},
    })


def signed(advisor: str, customer_id: int | None, call_id: str = "call-42", text: str = TEXT,
           secret: str | None = None, ttl_s: int = 120) -> dict[str, Any]:
    """Metadata as the copilot sends it: its assertion only."""
    key = secret or get_crm_settings().secret("internal_secret")
    return {"assertion": make_assertion(key, advisor=advisor, call_id=call_id, customer_id=customer_id, text=text,
                                        ttl_s=ttl_s)}


def run(metadata: dict[str, Any], sender: str = "call-42", text: str = TEXT) -> list[dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    events = ActionCommitmentEnd().run(dispatcher, tracker(metadata, sender, text), {})
    assert events == []
    return dispatcher.messages


def test_answers_with_each_line_commitment_from_the_crm(crm: sessionmaker[Session]) -> None:
    [message] = run(signed("n1.demo", 1))
    assert "Box Fibre 2 Gb/s + TV (09 72 12 34 56) : engagé jusqu'au 01/09/2027" in message["text"]
    assert "Forfait 5G 200 Go (07 12 34 56 78) : engagement terminé depuis le 15/03/2026" in message["text"]
    assert {li["commitment_end"] for li in message["custom"]["lines"]} == {"2027-09-01", "2026-03-15"}
    assert count_rows(crm, "SELECT count(*) FROM trace_events WHERE name='action.executed' AND actor='n1.demo' "
                      "AND call_id='call-42' AND customer_id=1") == 1
    assert count_rows(crm, "SELECT count(*) FROM trace_events WHERE name='customer.read' AND call_id='call-42'") == 1


def test_a_customer_out_of_commitment_is_said_so() -> None:
    [message] = run(signed("n1.demo", 2))
    assert message["text"].count("sans engagement") == 2


def test_without_an_identified_customer_the_advisor_is_told_what_to_do() -> None:
    [message] = run(signed("n1.demo", None))
    assert "Aucun client" in message["text"]


def test_unknown_customer_and_forbidden_profile_are_answered_not_crashed(crm: sessionmaker[Session]) -> None:
    [missing] = run(signed("n1.demo", 4242))
    assert "introuvable" in missing["text"]
    [forbidden] = run(signed("trainer.demo", 1))
    assert "habilité" in forbidden["text"]
    assert count_rows(crm, "SELECT count(*) FROM trace_events WHERE name='action.executed'") == 0


@pytest.mark.parametrize("forgery", [
    "plain_metadata",  # what an attacker posted to Rasa's REST channel: advisor and customer in clear
    "no_metadata",
    "other_secret",
    "other_call",
    "other_text",
    "expired",
    "garbage",
])
def test_a_request_not_signed_by_the_copilot_for_this_message_reads_nothing(crm: sessionmaker[Session],
                                                                            forgery: str) -> None:
    metadata = {
        "plain_metadata": lambda: {"advisor": "sup.demo", "profile": "supervisor", "customer_id": 2},
        "no_metadata": lambda: {},
        "other_secret": lambda: signed("sup.demo", 2, secret="an-attacker-guessed-this-secret-0123456789"),
        "other_call": lambda: signed("sup.demo", 2, call_id="call-of-someone-else"),
        "other_text": lambda: signed("sup.demo", 2, text="bonjour"),
        "expired": lambda: signed("sup.demo", 2, ttl_s=-1),
        "garbage": lambda: {"assertion": "not.a.jwt"},
    }[forgery]()
    [message] = run(metadata)
    assert message["text"] == actions.crm.REFUSED
    assert "custom" not in message or not message.get("custom")
    assert count_rows(crm, "SELECT count(*) FROM trace_events WHERE name IN ('customer.read', 'action.executed')") == 0
    assert count_rows(crm, "SELECT count(*) FROM trace_events WHERE name='security.assertion_rejected' "
                      "AND call_id='call-42'") == 1
