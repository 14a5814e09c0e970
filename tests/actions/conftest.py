"""Actions run on recorded trackers, against a seeded SQLite CRM, with the copilot's signed assertion."""

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session, sessionmaker

import actions.crm
from crm_core.core.config import get_crm_settings
from nlu.assertion import make_assertion

CALL = "call-42"


@pytest.fixture(autouse=True)
def crm(sqlite_sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> sessionmaker[Session]:
    monkeypatch.setattr(actions.crm, "_sessions", lambda: sqlite_sessions)
    return sqlite_sessions


def signed(advisor: str, customer_id: int | None, text: str, call_id: str = CALL, secret: str | None = None,
           ttl_s: int = 120) -> dict[str, Any]:
    """Metadata as the copilot sends it: its assertion only."""
    key = secret or get_crm_settings().secret("internal_secret")
    return {"assertion": make_assertion(key, advisor=advisor, call_id=call_id, customer_id=customer_id, text=text,
                                        ttl_s=ttl_s)}


def tracker(text: str, intent: str, metadata: dict[str, Any], slots: dict[str, Any] | None = None,
            sender: str = CALL) -> Tracker:
    return Tracker.from_dict({
        "sender_id": sender, "slots": slots or {}, "events": [], "paused": False, "followup_action": None,
        "active_loop": {}, "latest_action_name": "action_listen",
        "latest_message": {"text": text, "metadata": metadata, "intent": {"name": intent, "confidence": 0.9},
                           "entities": []},
    })


def run(action: Any, text: str, intent: str, advisor: str = "n1.demo", customer_id: int | None = 1,
        slots: dict[str, Any] | None = None, metadata: dict[str, Any] | None = None
        ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(messages, slots set) of one run of the action on one advisor message."""
    dispatcher = CollectingDispatcher()
    meta = metadata if metadata is not None else signed(advisor, customer_id, text)
    events = action.run(dispatcher, tracker(text, intent, meta, slots), {})
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
