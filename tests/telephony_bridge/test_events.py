import json
from pathlib import Path

import pytest

from telephony_bridge.events import CallEventKind, InvalidCallEvent, json_schema, parse_call_event

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "schemas" / "call-event.schema.json"


def test_a_complete_event_is_read() -> None:
    event = parse_call_event(json.dumps({
        "call_id": "c-1", "event": "offered", "caller_number": "0712345678",
        "reason_transcript": "je déménage", "ivr_choice": "2", "agent": "n1.demo",
        "occurred_at": "2026-11-23T09:00:00",
    }))
    assert event.event is CallEventKind.OFFERED
    assert event.occurred_at is not None and event.occurred_at.utcoffset() is not None


@pytest.mark.parametrize(
    ("frame", "complaint"),
    [
        ("not json", "message"),
        ("[]", "message"),
        ('{"event": "answered"}', "call_id"),
        ('{"call_id": "c", "event": "exploded"}', "event"),
        ('{"call_id": "c", "event": "answered", "colour": "red"}', "colour"),
        ('{"call_id": "a b", "event": "answered"}', "call_id"),
        (json.dumps({"call_id": "c", "event": "offered", "reason_transcript": "x" * 10_001}), "reason_transcript"),
    ],
)
def test_malformed_frames_are_refused_with_the_field_at_fault(frame: str, complaint: str) -> None:
    with pytest.raises(InvalidCallEvent) as caught:
        parse_call_event(frame)
    assert str(caught.value).startswith("invalid CallEvent:")
    assert complaint in str(caught.value)


def test_the_documented_schema_is_the_one_the_code_enforces() -> None:
    documented = json.loads(SCHEMA_FILE.read_text())
    assert documented == json_schema(), "regenerate it: copilot bridge schema --write " + str(SCHEMA_FILE)
    assert set(documented["required"]) == {"call_id", "event"}
