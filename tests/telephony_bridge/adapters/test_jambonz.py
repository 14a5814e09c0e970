import asyncio
import base64
import json
import logging
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from telephony_bridge.adapters._common import AdapterError, Backoff, BridgeForwarder
from telephony_bridge.adapters.jambonz import SUBPROTOCOL, JambonzServer, JambonzState, translate
from tests.telephony_bridge.adapters.conftest import TOKEN, assert_valid_v2, expected, load_json, without_ids

CALL = "5f2a9c1e-7b3d-4e8a-9c60-1d2e3f4a5b6c"
CALLER = {"caller_number": "+33712345678", "agent": "n1.demo"}

# What call.json means, written from its messages (not from the adapter's output). jambonz gives no time.
EXPECTED = expected(CALL, [
    {"event": "offered"} | CALLER,
    {"event": "answered"} | CALLER,
    {"event": "transcript", "transcript": {"text": "bonjour on déménage", "final": False, "speaker": "caller"}}
    | CALLER,
    {"event": "transcript", "transcript": {"text": "bonjour on déménage à Lille le mois prochain", "final": True,
                                           "speaker": "caller"}} | CALLER,
    {"event": "dtmf", "digits": "2"} | CALLER,
    {"event": "transferred", "transfer": {"kind": "blind"}, "caller_number": "+33712345678"},
    {"event": "ended", "data": {"call_status": "completed"}} | CALLER,
])


def _translate_all(messages: list[dict[str, Any]], state: JambonzState | None = None) -> list:
    state = state or JambonzState()
    return [event for message in messages for event in translate(message, state)]


def test_a_whole_call_translates_to_the_canonical_events() -> None:
    messages = load_json("jambonz", "call.json")
    produced = _translate_all(messages)
    assert without_ids(produced) == EXPECTED
    assert_valid_v2(produced)
    assert produced[0].event_id == "jz:auuH8nQ2kTfY4ZrXx1Lw3A"  # jambonz's own msgid
    assert all(e.sequence is None and e.occurred_at is None for e in produced)


def test_a_replayed_engine_event_gets_the_same_event_id() -> None:
    messages = load_json("jambonz", "call.json")
    first = _translate_all(messages)
    assert [e.event_id for e in _translate_all(messages)] == [e.event_id for e in first]
    state = JambonzState()
    _translate_all(messages[:6], state)
    assert translate(json.dumps(messages[5]), state) == [first[4]]  # the same DTMF hook twice


def test_an_outbound_call_answered_at_once_is_offered_and_answered() -> None:
    new = load_json("jambonz", "call.json")[0]
    new["data"]["call_status"] = "in-progress"
    new["data"]["customerData"] = {"copilot_agent": "n1.grenoble"}
    del new["data"]["sip"]
    produced = translate(new, JambonzState())
    assert [(e.event, e.agent, e.event_id) for e in produced] == [
        ("offered", "n1.grenoble", "jz:auuH8nQ2kTfY4ZrXx1Lw3A"),
        ("answered", "n1.grenoble", "jz:auuH8nQ2kTfY4ZrXx1Lw3A:1")]


def test_unknown_messages_give_nothing(caplog: pytest.LogCaptureFixture) -> None:
    state = JambonzState()
    translate(load_json("jambonz", "call.json")[0], state)
    with caplog.at_level(logging.DEBUG, logger="telephony_bridge.adapters.jambonz"):
        assert [translate(m, state) for m in load_json("jambonz", "unknown.json")] == [[]] * 5
        assert translate({"type": "llm:event", "msgid": "x", "call_sid": CALL, "data": {}}, state) == []
    assert "jambonz:error not translated" in caplog.text


@pytest.mark.parametrize(("index", "says"), [(0, "without a msgid"), (1, "call_sid missing"),
                                             (2, "without a data object"), (3, "without a 'type'"),
                                             (4, "speech without alternatives"), (5, "cannot make a dtmf")])
def test_malformed_messages_raise_a_clear_adapter_error(index: int, says: str) -> None:
    with pytest.raises(AdapterError, match=says):
        translate(load_json("jambonz", "malformed.json")[index], JambonzState())


async def test_the_server_acks_jambonz_and_forwards_the_call(fake_bridge: Any) -> None:
    """jambonz (here a websocket client on loopback) connects to our endpoint with ws.jambonz.org and basic
    auth; session:new and verb:hook are acked (session:new with the configured verbs); the bridge gets the call."""
    bridge = await fake_bridge()
    verbs = [{"verb": "gather", "input": ["speech", "digits"], "actionHook": "/reason"}]
    server = JambonzServer(BridgeForwarder(bridge.url, TOKEN, backoff=Backoff(initial=0.01)),
                           {"session:new": verbs}, basic_auth=("jambonz", "s3cret"))
    listening = await server.start("127.0.0.1", 0)
    url = f"ws://127.0.0.1:{listening.sockets[0].getsockname()[1]}/"
    auth = {"Authorization": "Basic " + base64.b64encode(b"jambonz:s3cret").decode()}
    try:
        with pytest.raises(InvalidStatus):
            async with connect(url, subprotocols=[SUBPROTOCOL], additional_headers={"Authorization": "Basic eDp5"}):
                pass
        acks = []
        async with connect(url, subprotocols=[SUBPROTOCOL], additional_headers=auth) as ws:
            assert ws.subprotocol == SUBPROTOCOL
            for message in load_json("jambonz", "call.json"):
                await ws.send(json.dumps(message))
                if message["type"] in ("session:new", "verb:hook"):
                    acks.append(json.loads(await asyncio.wait_for(ws.recv(), 2)))
            received = await bridge.wait_for(len(EXPECTED))
    finally:
        listening.close()
        await listening.wait_closed()
    assert without_ids(received) == EXPECTED
    assert acks[0] == {"type": "ack", "msgid": "auuH8nQ2kTfY4ZrXx1Lw3A", "data": verbs}
    assert acks[1:] == [{"type": "ack", "msgid": m} for m in ("k2LmN3oP4qR5sT6uV7wX8y", "cvY6kNE8RXdaZdaDcJbViG",
                                                              "Zx9Yw8Vu7Ts6Rq5Po4Nm3L", "Rf4Tg5Yh6Uj7Ik8Ol9Pm0N")]
