import asyncio
import json
import logging
from typing import Any

import pytest
from websockets.asyncio.server import serve

from telephony_bridge.adapters import asterisk_ari
from telephony_bridge.adapters._common import AdapterError, Backoff, BridgeForwarder
from telephony_bridge.adapters.asterisk_ari import AriState, translate
from tests.telephony_bridge.adapters.conftest import (
    TOKEN,
    assert_valid_v2,
    at,
    expected,
    load_json,
    without_ids,
)

CALL = "1796115598.42"
REASON = "bonjour on déménage à Lille le mois prochain"
CALLER = {"caller_number": "0712345678"}


def _translate_all(messages: list[dict[str, Any]], state: AriState | None = None) -> list:
    state = state or AriState()
    return [event for message in messages for event in translate(message, state)]


# What call.json means, written from its events (not from the adapter's output).
EXPECTED = expected(CALL, [
    {"event": "offered", "agent": "n1.demo", "occurred_at": at(0.010)} | CALLER,
    {"event": "transcript", "agent": "n1.demo", "occurred_at": at(0.8),
     "transcript": {"text": REASON, "final": True, "speaker": "caller"}} | CALLER,
    {"event": "dtmf", "agent": "n1.demo", "digits": "2", "occurred_at": at(0.95)} | CALLER,
    {"event": "answered", "agent": "n1.demo", "occurred_at": at(1.2)} | CALLER,
    {"event": "data", "agent": "n1.demo", "data": {"contract": "C-1042"}, "occurred_at": at(1.3)} | CALLER,
    {"event": "held", "agent": "n1.demo", "occurred_at": at(120)} | CALLER,
    {"event": "resumed", "agent": "n1.demo", "occurred_at": at(150)} | CALLER,
    {"event": "transferred", "agent": "n2.demo", "transfer": {"kind": "attended"}, "occurred_at": at(220)} | CALLER,
    {"event": "transferred", "transfer": {"kind": "blind", "queue": "3000@from-internal"},
     "occurred_at": at(300)} | CALLER,
    {"event": "ended", "agent": "n2.demo", "data": {"hangup_cause": "Normal Clearing"},
     "occurred_at": at(360)} | CALLER,
])


def test_a_whole_call_translates_to_the_canonical_events() -> None:
    produced = _translate_all(load_json("asterisk_ari", "call.json"))
    assert without_ids(produced) == EXPECTED
    assert_valid_v2(produced)
    assert all(e.sequence is None for e in produced)  # ARI numbers nothing: the websocket's order is the order
    ids = [e.event_id for e in produced]
    assert len(set(ids)) == len(ids) and all(i.startswith("ari:") for i in ids)


def test_a_replayed_engine_event_gets_the_same_event_id() -> None:
    messages = load_json("asterisk_ari", "call.json")
    first = _translate_all(messages)
    again = _translate_all(json.loads(json.dumps(messages)))  # another connection, same engine events
    assert [e.event_id for e in again] == [e.event_id for e in first]
    state = AriState()
    _translate_all(messages[:3], state)
    assert translate(messages[2], state)[0].event_id == first[2].event_id  # the same DTMF sent twice
    assert translate(json.dumps(messages[2]), state)[0] == first[2]  # as a websocket text frame too


def test_a_channel_already_up_is_offered_and_answered() -> None:
    start = load_json("asterisk_ari", "call.json")[0]
    start["channel"]["state"] = "Up"
    start["channel"]["channelvars"] = {"COPILOT_AGENT": "n1.grenoble"}
    produced = translate(start, AriState())
    assert [(e.event, e.agent) for e in produced] == [("offered", "n1.grenoble"), ("answered", "n1.grenoble")]
    assert produced[0].event_id != produced[1].event_id
    assert_valid_v2(produced)


def test_unknown_events_and_other_channels_give_nothing(caplog: pytest.LogCaptureFixture) -> None:
    state = AriState()
    translate(load_json("asterisk_ari", "call.json")[0], state)
    with caplog.at_level(logging.DEBUG, logger="telephony_bridge.adapters.asterisk_ari"):
        assert [translate(message, state) for message in load_json("asterisk_ari", "unknown.json")] == [[]] * 5
    assert "PlaybackStarted ignored" in caplog.text


@pytest.mark.parametrize(("index", "says"), [(0, "without a 'type'"), (1, "'channel' missing"),
                                             (2, "'digit' missing"), (3, "timestamp not ISO 8601"),
                                             (4, "must be strings"), (5, "not a usable call id")])
def test_malformed_events_raise_a_clear_adapter_error(index: int, says: str) -> None:
    state = AriState()
    translate(load_json("asterisk_ari", "call.json")[0], state)
    with pytest.raises(AdapterError, match=says):
        translate(load_json("asterisk_ari", "malformed.json")[index], state)


def test_a_frame_that_is_not_json_is_an_adapter_error() -> None:
    with pytest.raises(AdapterError, match="not JSON"):
        translate("{nope", AriState())


def test_events_url() -> None:
    assert asterisk_ari.events_url("http://pbx:8088", "copilot", "user:pass") == \
        "ws://pbx:8088/ari/events?app=copilot&api_key=user%3Apass"


async def test_the_runner_forwards_a_replayed_call_to_the_bridge_and_reconnects(fake_bridge: Any) -> None:
    """A fake Asterisk on loopback drops the first connection after 3 events; the runner comes back and the
    bridge gets the whole call once."""
    messages = [json.dumps(m) for m in load_json("asterisk_ari", "call.json")]
    connections: list[str] = []

    async def asterisk(ws: Any) -> None:
        connections.append(ws.request.path)
        part = messages[:3] if len(connections) == 1 else messages[3:]
        for message in part:
            await ws.send(message)
        if len(connections) > 1:
            await ws.wait_closed()

    bridge = await fake_bridge()
    async with serve(asterisk, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        forwarder = BridgeForwarder(bridge.url, TOKEN, backoff=Backoff(initial=0.01))
        task = asyncio.create_task(asterisk_ari.run(f"http://127.0.0.1:{port}", "copilot", "asterisk:secret",
                                                    forwarder, backoff=Backoff(initial=0.01)))
        try:
            received = await bridge.wait_for(len(EXPECTED))
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    assert without_ids(received) == EXPECTED
    assert connections[0] == "/ari/events?app=copilot&api_key=asterisk%3Asecret" and len(connections) == 2


async def test_a_wrong_bridge_token_keeps_the_events_queued(fake_bridge: Any) -> None:
    bridge = await fake_bridge()
    event = _translate_all(load_json("asterisk_ari", "call.json"))[0]
    forwarder = BridgeForwarder(bridge.url, "not-the-token", backoff=Backoff(initial=0.01, maximum=0.02))
    forwarder.put(event)
    task = asyncio.create_task(forwarder.run())
    async with asyncio.timeout(5):
        while bridge.connections < 3:
            await asyncio.sleep(0.01)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert list(forwarder.queue) == [event] and bridge.events == []


def test_the_queue_is_bounded_and_drops_the_oldest() -> None:
    events = _translate_all(load_json("asterisk_ari", "call.json"))
    forwarder = BridgeForwarder("ws://127.0.0.1:9/ws/bridge", TOKEN, max_queue=3)
    for event in events[:5]:
        forwarder.put(event)
    assert list(forwarder.queue) == events[2:5] and forwarder.dropped == 2
