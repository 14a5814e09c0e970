"""The baresip adapter on ctrl_tcp events recorded from baresip 1.0 (Debian bookworm) answering SIPp's calls
(``tests/telephony_bridge/baresip/``): manual answer (CALL_INCOMING, then the ``accept`` command) and auto
answer (no CALL_INCOMING), then the runner against a scripted ctrl_tcp and a scripted bridge."""

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from websockets.asyncio.server import serve

from telephony_bridge.adapters._common import AdapterError, Backoff, BridgeForwarder
from telephony_bridge.adapters.baresip import (
    BaresipState,
    call_id_from,
    caller_number_from,
    read_netstring,
    run,
    translate,
)
from telephony_bridge.events import parse_call_event

SAMPLES = Path(__file__).parent / "baresip"
NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def recorded(name: str) -> list[str]:
    return (SAMPLES / name).read_text().splitlines()


def state(**kw: object) -> BaresipState:
    return BaresipState(agent="n1.demo", clock=lambda: NOW, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("sample", ["manual_answer.jsonl", "auto_answer.jsonl"])
def test_a_recorded_call_becomes_offered_answered_dtmf_ended(sample: str) -> None:
    s = state()
    events = [e for line in recorded(sample) for e in translate(line, s)]
    assert [e.event.value for e in events] == ["offered", "answered", "dtmf", "ended"]
    call_id = json.loads(recorded(sample)[0])["id"]
    for rank, e in enumerate(events, 1):
        assert e.version == 2 and e.call_id == call_id and e.agent == "n1.demo"
        assert e.caller_number == "0712345678" and e.sequence == rank and e.occurred_at == NOW
        assert e.event_id == f"bs:{call_id}:{e.event.value}:{rank}"
        assert parse_call_event(e.model_dump_json(exclude_none=True)) == e  # what the bridge will read
    assert events[2].digits == "2"
    assert events[3].data == {"hangup_cause": "Connection reset by peer"}
    assert s.calls == {}


def test_the_demo_reason_is_the_callers_final_transcript_on_offered() -> None:
    s = state(reason="bonjour je déménage à Lille")
    offered = translate(recorded("manual_answer.jsonl")[0], s)[0]
    assert offered.reason_words == "bonjour je déménage à Lille"


def test_a_replayed_call_gets_the_same_event_ids() -> None:
    lines = recorded("manual_answer.jsonl")
    one, two = state(), state()  # the adapter restarted: the same engine events give the same ids
    first = [e.event_id for line in lines for e in translate(line, one)]
    again = [e.event_id for line in lines for e in translate(line, two)]
    assert first == again and len(set(first)) == 4


def test_late_events_of_a_closed_call_and_outgoing_calls_present_nothing() -> None:
    s = state()
    lines = recorded("auto_answer.jsonl")
    for line in lines:
        translate(line, s)
    late = json.loads(lines[0]) | {"type": "CALL_RTCP"}
    assert translate(late, s) == []
    outgoing = json.loads(lines[0]) | {"id": "out-1", "direction": "outgoing", "type": "CALL_ESTABLISHED"}
    assert translate(outgoing, s) == []
    closed_unseen = json.loads(lines[0]) | {"id": "never-seen", "type": "CALL_CLOSED"}
    assert translate(closed_unseen, s) == []


@pytest.mark.parametrize(("raw", "problem"), [
    ("{not json", "not JSON"),
    ("[1, 2]", "not a JSON object"),
    ('{"event": true, "class": "call"}', "neither an event"),
    ('{"hello": 1}', "neither an event"),
    ('{"event": true, "type": "CALL_ESTABLISHED", "direction": "incoming"}', "without a call id"),
    ('{"event": true, "type": "CALL_DTMF_START", "id": "c1", "param": "x"}', "without a key"),
])
def test_a_malformed_message_is_an_adapter_error(raw: str, problem: str) -> None:
    with pytest.raises(AdapterError, match=problem):
        translate(raw, state())


def test_responses_unknown_and_quiet_events_translate_to_nothing() -> None:
    s = state()
    assert translate('{"response": true, "ok": true, "data": ""}', s) == []
    assert translate('{"event": true, "type": "SOMETHING_NEW", "class": "application"}', s) == []
    assert translate('{"event": true, "type": "REGISTER_OK", "class": "register"}', s) == []


def test_hold_and_resume_of_later_baresip_versions() -> None:
    s = state()
    base = json.loads(recorded("manual_answer.jsonl")[0])
    kinds = [e.event.value for t in ("CALL_INCOMING", "CALL_ESTABLISHED", "CALL_HOLD", "CALL_RESUME")
             for e in translate(base | {"type": t}, s)]
    assert kinds == ["offered", "answered", "held", "resumed"]


@pytest.mark.parametrize(("uri", "number"), [
    ("sip:0712345678@127.0.0.1:5070", "0712345678"),
    ("sip:+33712345678;user=phone@example.org", "+33712345678"),
    ("sips:%2B33712345678@example.org", "+33712345678"),
    ("tel:+33712345678", "+33712345678"),
    ('"Camille" <sip:0712345678@example.org>;tag=1', "0712345678"),
    ("sip:anonymous@anonymous.invalid", None),
    ("", None),
    (None, None),
])
def test_the_caller_number_is_the_user_part_of_the_peer_uri(uri: str | None, number: str | None) -> None:
    assert caller_number_from(uri) == number


def test_call_ids_are_sanitised_and_stay_distinct() -> None:
    assert call_id_from("1-29324@127.0.0.1") == "1-29324@127.0.0.1"
    a, b = call_id_from("abc/def+1=="), call_id_from("abc?def+1==")
    assert a != b and a.startswith("abc_def_1-")
    long = call_id_from("x" * 200)
    for cid in (a, b, long):
        assert parse_call_event(json.dumps({"version": 2, "call_id": cid, "event": "offered"})).call_id == cid


async def netstring(data: bytes) -> bytes:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    return await read_netstring(reader)


async def test_netstrings_are_read_and_a_broken_framing_is_a_connection_error() -> None:
    assert await netstring(b'11:{"a": true},') == b'{"a": true}'
    for broken in (b"x1:{},", b'2:{}!', b"5:{}", b""):
        with pytest.raises(ConnectionError):
            await netstring(broken)


def frame(message: str) -> bytes:
    data = message.encode()
    return str(len(data)).encode() + b":" + data + b","


async def test_the_runner_forwards_a_call_and_survives_garbage_and_lost_connections() -> None:
    lines = recorded("auto_answer.jsonl")
    received: list[dict] = []
    connections = 0

    async def softphone(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        if connections == 1:  # half the call, a bad JSON, then a framing the stream cannot survive
            writer.write(b"".join(frame(line) for line in lines[:3]) + frame("{oops") + b"zz:")
        else:  # the rest of the call on the new connection
            writer.write(b"".join(frame(line) for line in lines[3:]))
        await writer.drain()
        await asyncio.sleep(5)
        writer.close()

    async def bridge(ws) -> None:  # type: ignore[no-untyped-def]
        assert ws.request.headers["Authorization"] == "Bearer t0ken"
        async for raw in ws:
            event = json.loads(raw)
            received.append(event)
            await ws.send(json.dumps({"type": "ack", "call_id": event["call_id"], "event": event["event"]}))

    ctrl = await asyncio.start_server(softphone, "127.0.0.1", 0)
    async with serve(bridge, "127.0.0.1", 0) as ws_server:
        bridge_port = ws_server.sockets[0].getsockname()[1]
        forwarder = BridgeForwarder(f"ws://127.0.0.1:{bridge_port}/ws/bridge", "t0ken", backoff=Backoff(0.01, 0.05))
        s = state()
        task = asyncio.create_task(run("127.0.0.1", ctrl.sockets[0].getsockname()[1], forwarder, s,
                                       Backoff(0.01, 0.05)))
        try:
            async with asyncio.timeout(10):
                while len(received) < 4:
                    await asyncio.sleep(0.02)
        finally:
            task.cancel()
            ctrl.close()
    assert [e["event"] for e in received] == ["offered", "answered", "dtmf", "ended"]
    assert {e["version"] for e in received} == {2} and s.connections == 2
