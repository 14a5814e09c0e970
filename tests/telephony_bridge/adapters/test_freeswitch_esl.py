import asyncio
import logging
from typing import Any

import pytest

from telephony_bridge.adapters import freeswitch_esl
from telephony_bridge.adapters._common import AdapterError, Backoff, BridgeForwarder
from telephony_bridge.adapters.freeswitch_esl import FsState, parse_plain, translate
from tests.telephony_bridge.adapters.conftest import (
    TOKEN,
    assert_valid_v2,
    at,
    expected,
    load_plain,
    without_ids,
)

CALL = "a3c1e7f2-5b9d-4e08-8f61-2d4b7c90e1a5"
CORE = "2f0d5c3e-8a41-4c55-9d0e-3b1f7a9c6e21"
REASON = "bonjour on déménage à Lille le mois prochain"
CALLER = {"caller_number": "0712345678"}

# What call.events means, written from its events (not from the adapter's output).
EXPECTED = expected(CALL, [
    {"event": "offered", "sequence": 5001, "occurred_at": at(0.01)} | CALLER,
    {"event": "data", "data": {"contract": "C-1042"}, "sequence": 5006, "occurred_at": at(0.9)} | CALLER,
    {"event": "dtmf", "digits": "2", "sequence": 5009, "occurred_at": at(0.95)} | CALLER,
    {"event": "transcript", "transcript": {"text": REASON, "final": True, "speaker": "caller"}, "sequence": 5012,
     "occurred_at": at(1.0)} | CALLER,
    {"event": "answered", "agent": "n1.demo", "sequence": 5022, "occurred_at": at(1.25)} | CALLER,
    {"event": "held", "agent": "n1.demo", "sequence": 5040, "occurred_at": at(120)} | CALLER,
    {"event": "resumed", "agent": "n1.demo", "sequence": 5043, "occurred_at": at(150)} | CALLER,
    {"event": "transferred", "transfer": {"kind": "attended", "queue": "user/n2.demo"}, "sequence": 5060,
     "occurred_at": at(190)} | CALLER,
    {"event": "transferred", "transfer": {"kind": "blind", "queue": "3000"}, "sequence": 5080,
     "occurred_at": at(300)} | CALLER,
    {"event": "ended", "agent": "n1.demo", "data": {"hangup_cause": "NORMAL_CLEARING"}, "sequence": 5099,
     "occurred_at": at(360)} | CALLER,
])


def _translate_all(bodies: list[str], state: FsState | None = None) -> list:
    state = state or FsState()
    return [event for body in bodies for event in translate(body, state)]


def test_plain_events_are_url_decoded() -> None:
    headers = parse_plain(load_plain("freeswitch_esl", "call.events")[3])
    assert headers["Application-Data"] == f"call_reason={REASON}"
    assert headers["Event-Date-GMT"] == "Tue, 01 Dec 2026 09:00:01 GMT"


def test_a_whole_call_translates_to_the_canonical_events() -> None:
    produced = _translate_all(load_plain("freeswitch_esl", "call.events"))
    assert without_ids(produced) == EXPECTED
    assert_valid_v2(produced)
    assert produced[0].event_id == f"fs:5001@{CORE}"  # the engine's own numbering
    assert len({e.event_id for e in produced}) == len(produced)


def test_a_replayed_engine_event_gets_the_same_event_id() -> None:
    bodies = load_plain("freeswitch_esl", "call.events")
    first = _translate_all(bodies)
    assert [e.event_id for e in _translate_all(bodies)] == [e.event_id for e in first]
    state = FsState()
    _translate_all(bodies[:3], state)
    assert translate(bodies[2], state) == [first[2]]  # the same DTMF event twice: same id, same sequence


def test_variables_on_a_created_channel_make_the_agent_the_data_and_the_reason() -> None:
    create = parse_plain(load_plain("freeswitch_esl", "call.events")[0])
    create |= {"variable_copilot_agent": "n1.grenoble", "variable_call_reason": REASON,
               "variable_copilot_data_segment": "gold"}
    produced = translate(create, FsState())
    assert without_ids(produced) == expected(CALL, [
        {"event": "offered", "agent": "n1.grenoble", "data": {"segment": "gold"}, "sequence": 5001,
         "occurred_at": at(0.01)} | CALLER,
        {"event": "transcript", "agent": "n1.grenoble", "transcript": {"text": REASON}, "occurred_at": at(0.01)}
        | CALLER,  # its own id and no sequence: 5001 again would be dropped as stale
    ])
    assert [e.event_id for e in produced] == [f"fs:5001@{CORE}", f"fs:5001@{CORE}:1"]
    assert_valid_v2(produced)


def test_unknown_events_and_other_calls_give_nothing(caplog: pytest.LogCaptureFixture) -> None:
    state = FsState()
    translate(load_plain("freeswitch_esl", "call.events")[0], state)
    with caplog.at_level(logging.DEBUG, logger="telephony_bridge.adapters.freeswitch_esl"):
        assert [translate(body, state) for body in load_plain("freeswitch_esl", "unknown.events")] == [[]] * 4
    assert "HEARTBEAT ignored" in caplog.text


@pytest.mark.parametrize(("index", "says"), [(0, "without Event-Name"), (1, "without DTMF-Digit"),
                                             (2, "not 'Header: value'"), (3, "without Unique-ID"),
                                             (4, "Event-Sequence is not a number")])
def test_malformed_events_raise_a_clear_adapter_error(index: int, says: str) -> None:
    state = FsState()
    translate(load_plain("freeswitch_esl", "call.events")[0], state)
    with pytest.raises(AdapterError, match=says):
        translate(load_plain("freeswitch_esl", "malformed.events")[index], state)


async def test_the_runner_speaks_esl_and_forwards_the_call_even_when_the_bridge_is_lost(fake_bridge: Any) -> None:
    """A fake FreeSWITCH on loopback (auth/request, command/reply, text/event-plain framing) replays the call;
    the bridge loses its connection on the 4th frame: the event in flight is sent again, nothing is lost."""
    bodies = load_plain("freeswitch_esl", "call.events") + load_plain("freeswitch_esl", "unknown.events")
    commands: list[str] = []

    async def freeswitch(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"Content-Type: auth/request\n\n")
        for reply in ("+OK accepted", "+OK event listener enabled plain"):
            commands.append((await reader.readuntil(b"\n\n")).decode().strip())
            writer.write(f"Content-Type: command/reply\nReply-Text: {reply}\n\n".encode())
        for body in bodies:
            data = body.encode()
            writer.write(f"Content-Length: {len(data)}\nContent-Type: text/event-plain\n\n".encode() + data)
        await writer.drain()
        await reader.read()  # until the runner goes
        writer.close()

    bridge = await fake_bridge(lose_frame=4)
    server = await asyncio.start_server(freeswitch, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    forwarder = BridgeForwarder(bridge.url, TOKEN, backoff=Backoff(initial=0.01))
    task = asyncio.create_task(freeswitch_esl.run("127.0.0.1", port, "ClueCon", forwarder))
    try:
        received = await bridge.wait_for(len(EXPECTED))
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        server.close()
    assert without_ids(received) == EXPECTED
    assert bridge.connections == 2
    assert commands == ["auth ClueCon", "event plain " + " ".join(freeswitch_esl.EVENTS)]


async def test_a_wrong_password_is_retried_with_backoff(caplog: pytest.LogCaptureFixture) -> None:
    attempts = 0

    async def freeswitch(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal attempts
        attempts += 1
        writer.write(b"Content-Type: auth/request\n\n")
        await reader.readuntil(b"\n\n")
        writer.write(b"Content-Type: command/reply\nReply-Text: -ERR invalid\n\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(freeswitch, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    forwarder = BridgeForwarder("ws://127.0.0.1:9/ws/bridge", TOKEN, backoff=Backoff(initial=0.01))
    with caplog.at_level(logging.WARNING):
        task = asyncio.create_task(freeswitch_esl.run("127.0.0.1", port, "wrong", forwarder,
                                                      backoff=Backoff(initial=0.01, maximum=0.02)))
        async with asyncio.timeout(5):
            while attempts < 3:
                await asyncio.sleep(0.01)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    server.close()
    assert "FreeSWITCH refused 'auth': -ERR invalid" in caplog.text
