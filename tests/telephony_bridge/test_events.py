import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema_rs
import pytest

from telephony_bridge import events
from telephony_bridge.events import CallEventKind, InvalidCallEvent, json_schema, parse_call_event

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "schemas" / "call-event.schema.json"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events, "utcnow", lambda: NOW)


def _event(**fields: object) -> str:
    return json.dumps({"call_id": "c-1", "event": "offered", **fields})


def test_a_complete_event_is_read() -> None:
    event = parse_call_event(_event(caller_number="0712345678", reason_transcript="je déménage", ivr_choice="2",
                                    agent="n1.demo", occurred_at="2026-11-23T08:59:00"))
    assert event.event is CallEventKind.OFFERED
    assert event.occurred_at == NOW - timedelta(minutes=1)  # a naive time is UTC


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


@pytest.mark.parametrize("occurred_at", ["2026-11-16T09:00:00Z", "2026-11-23T09:05:00Z", "2026-11-23T10:04:00+01:00",
                                         "2026-11-20T12:00:00-05:00"])
def test_an_event_time_within_seven_days_before_and_five_minutes_after_is_kept(occurred_at: str) -> None:
    event = parse_call_event(_event(occurred_at=occurred_at))
    assert event.occurred_at == datetime.fromisoformat(occurred_at)


@pytest.mark.parametrize(("occurred_at", "complaint"), [
    ("2026-11-16T08:59:59Z", "plus de 7 jours avant l'heure du copilote (2026-11-23T09:00:00+00:00)"),
    ("1970-01-01T00:00:00", "plus de 7 jours avant"),
    ("2026-11-23T09:05:01Z", "plus de 5 minutes après l'heure du copilote (2026-11-23T09:00:00+00:00)"),
    ("2026-11-23T09:06:00", "plus de 5 minutes après"),
    ("9999-12-31T23:59:59Z", "plus de 5 minutes après"),
])
def test_an_implausible_event_time_is_refused_in_french(occurred_at: str, complaint: str) -> None:
    with pytest.raises(InvalidCallEvent) as caught:
        parse_call_event(_event(occurred_at=occurred_at))
    assert f"occurred_at: Horodatage invraisemblable : {complaint}" in str(caught.value)


@pytest.mark.parametrize(("field", "value", "code_point"), [
    ("caller_number", "07\x1b[31m12345678", "U+001B"),
    ("caller_number", "0712345678\x00", "U+0000"),
    ("agent", "n1.demo\u202e", "U+202E"),
    ("agent", "n1.\u200bdemo", "U+200B"),
    ("ivr_choice", "2\n", "U+000A"),
    ("ivr_choice", "\ufeff2", "U+FEFF"),
    ("reason_transcript", "je déménage\u202e", "U+202E"),
    ("reason_transcript", "je déménage\r\nà Lille", "U+000D"),
    ("reason_transcript", "je déménage\u2028à Lille", "U+2028"),
    ("reason_transcript", "\x1b]8;;https://x.example\x07ici", "U+001B"),
])
def test_text_fields_refuse_controls_and_invisible_characters(field: str, value: str, code_point: str) -> None:
    with pytest.raises(InvalidCallEvent) as caught:
        parse_call_event(_event(**{field: value}))
    assert f"{field}: Le texte contient des caractères non autorisés (dont {code_point}" in str(caught.value)
    documented = json.loads(SCHEMA_FILE.read_text())
    assert not jsonschema_rs.validator_for(documented).is_valid(json.loads(_event(**{field: value})))


def test_a_transcript_keeps_its_line_breaks_and_tabs_and_french() -> None:
    event = parse_call_event(_event(reason_transcript=" bonjour\n\tje déménage à l’Haÿ-les-Roses 🙂 ",
                                    agent=" n1.demo ", caller_number="+33 7 12 34 56 78"))
    assert event.reason_transcript == "bonjour\n\tje déménage à l’Haÿ-les-Roses 🙂"
    assert (event.agent, event.caller_number) == ("n1.demo", "+33 7 12 34 56 78")


# -- version 2 ---------------------------------------------------------------------------------------------------
def _v2(**fields: object) -> str:
    return json.dumps({"version": 2, "call_id": "c-1", **fields})


def test_a_v2_call_reads_as_the_session_needs_it() -> None:
    transfer = parse_call_event(_v2(event="transferred", agent="n2.demo", transfer={"kind": "blind", "queue": "N2"},
                                    event_id="ari-42", sequence=7))
    assert (transfer.is_transfer, transfer.transfer_kind, transfer.state) == (True, "blind", "transferred_cold")
    said = parse_call_event(_v2(event="transcript", transcript={"text": "je déménage", "final": True}))
    assert said.reason_words == "je déménage"
    for partial in ({"text": "je dé", "final": False}, {"text": "d'accord", "speaker": "agent"}):
        assert parse_call_event(_v2(event="transcript", transcript=partial)).reason_words is None
    assert parse_call_event(_v2(event="dtmf", digits="2#")).ivr_digits == "2#"
    assert parse_call_event(_v2(event="data", data={"queue": "sav", "vip": True, "score": 3})).data == {
        "queue": "sav", "vip": True, "score": 3}
    # version 1, deprecated, still read the same way
    old = parse_call_event(_event(event="transferred_warm", agent="n2.demo"))
    assert (old.version, old.is_transfer, old.transfer_kind, old.state) == (1, True, "attended", "transferred_warm")
    assert parse_call_event(_event(event="reason", reason_transcript="ma box")).reason_words == "ma box"


@pytest.mark.parametrize(("frame", "complaint"), [
    (_v2(event="reason", reason_transcript="x"), "« reason » n'existe plus en version 2"),
    (_v2(event="transferred_cold"), "n'existe plus en version 2"),
    (_event(event="dtmf", digits="2"), 'ajoutez "version": 2'),
    (_event(event="answered", event_id="e1"), 'ajoutez "version": 2'),
    (_v2(event="transferred", agent="n2.demo"), "« transferred » sans « transfer »"),
    (_v2(event="dtmf"), "« dtmf » sans « digits »"),
    (_v2(event="dtmf", digits="2; rm"), "digits"),
    (_v2(event="transcript"), "« transcript » sans « transcript »"),
    (_v2(event="transcript", transcript={"text": "x", "speaker": "robot"}), "speaker"),
    (_v2(event="data"), "« data » sans données"),
    (_v2(event="data", data={f"k{i}": i for i in range(51)}), "data"),
    (_v2(event="data", data={"a b": 1}), "data"),
    (_v2(event="data", data={"k": {"nested": 1}}), "data"),
    (_v2(event="answered", sequence=-1), "sequence"),
    (json.dumps({"version": 3, "call_id": "c-1", "event": "answered"}), "version"),
])
def test_a_v2_frame_that_does_not_hold_together_is_refused(frame: str, complaint: str) -> None:
    with pytest.raises(InvalidCallEvent) as caught:
        parse_call_event(frame)
    assert complaint in str(caught.value)
