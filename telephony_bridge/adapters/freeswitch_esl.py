"""FreeSWITCH event socket (ESL, inbound mode) → CallEvent.

The events are ESL's ``text/event-plain`` bodies: ``Header: value`` lines, values URL-encoded, as documented in
FreeSWITCH's event list and event headers
(https://developer.signalwire.com/freeswitch/FreeSWITCH-Explained/Introduction/Event-System/Event-List_7143557,
https://developer.signalwire.com/freeswitch/FreeSWITCH-Explained/Introduction/Event-System/Event-headers_32178341)
and framed as mod_event_socket says
(https://developer.signalwire.com/freeswitch/FreeSWITCH-Explained/Modules/mod_event_socket_1048924).

A call is an inbound channel (``Call-Direction: inbound`` on ``CHANNEL_CREATE``): its ``Unique-ID`` is the call id.
The advisor's leg (and any other) is tied to it by ``Channel-Call-UUID``, ``Other-Leg-Unique-ID`` or
``variable_bridge_uuid``. The event id is ``fs:<Event-Sequence>@<Core-UUID>`` and the sequence
``Event-Sequence`` (FreeSWITCH numbers its events; the number restarts with the switch, whose Core-UUID changes).

| FreeSWITCH event | CallEvent |
| --- | --- |
| CHANNEL_CREATE (inbound) | offered (+ transcript from ``variable_call_reason``) |
| CHANNEL_ANSWER | answered |
| CHANNEL_HOLD / CHANNEL_UNHOLD | held / resumed |
| DTMF | dtmf |
| CHANNEL_EXECUTE of ``transfer`` / ``att_xfer`` | transferred blind / attended |
| CHANNEL_EXECUTE ``set`` call_reason / copilot_data_<key> / copilot_agent | transcript / data / (the agent) |
| CHANNEL_HANGUP_COMPLETE of the call's own channel | ended (``data.hangup_cause``) |

Channel variables read: ``variable_copilot_agent`` (the advisor's login), ``variable_call_reason`` (the reason,
typed or recognised by the IVR), ``variable_copilot_data_<key>`` (call-attached data), on the events that carry
them (a channel created with them, ``CHANNEL_ANSWER``), or when the dialplan sets them (``CHANNEL_EXECUTE``).
"""

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from telephony_bridge.adapters._common import (
    AdapterError,
    Backoff,
    BridgeForwarder,
    build,
    call_id_of,
    digest_id,
    from_epoch_us,
    stable_id,
)
from telephony_bridge.events import CallEvent, Transcript, Transfer

log = logging.getLogger(__name__)

EVENTS = ("CHANNEL_CREATE", "CHANNEL_ANSWER", "CHANNEL_HOLD", "CHANNEL_UNHOLD", "DTMF", "CHANNEL_EXECUTE",
          "CHANNEL_HANGUP_COMPLETE")
DATA_PREFIX = "variable_copilot_data_"


@dataclass
class FsCall:
    call_id: str
    caller_number: str | None = None
    agent: str | None = None


@dataclass
class FsState:
    """The inbound calls seen by one event socket, by their channel's Unique-ID."""

    calls: dict[str, FsCall] = field(default_factory=dict)


def parse_plain(body: str | bytes) -> dict[str, str]:
    """An ``text/event-plain`` body → its headers, URL-decoded (a body after a blank line is kept as ``_body``)."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    head, _, rest = body.replace("\r\n", "\n").strip("\n").partition("\n\n")
    headers: dict[str, str] = {}
    for line in head.split("\n"):
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise AdapterError(f"FreeSWITCH event line is not 'Header: value': {line[:80]!r}")
        headers[name.strip()] = unquote(value.strip())
    if rest:
        headers["_body"] = rest
    return headers


def translate(raw: Mapping[str, str] | str | bytes, state: FsState) -> list[CallEvent]:
    """One FreeSWITCH event (plain text body, or its headers) → the CallEvents it means."""
    headers = parse_plain(raw) if isinstance(raw, str | bytes) else dict(raw)
    name = headers.get("Event-Name")
    if not name:
        raise AdapterError("FreeSWITCH event without Event-Name")
    handler = _HANDLERS.get(name)
    if handler is None:
        log.debug("FreeSWITCH %s ignored", name)
        return []
    if not headers.get("Unique-ID"):
        raise AdapterError(f"FreeSWITCH {name} without Unique-ID")
    return handler(headers, state)


def _call_of(h: dict[str, str], state: FsState) -> FsCall | None:
    for key in ("Unique-ID", "Channel-Call-UUID", "Other-Leg-Unique-ID", "variable_bridge_uuid"):
        if h.get(key) in state.calls:
            return state.calls[h[key]]
    log.debug("FreeSWITCH %s on %s: not a call of ours", h["Event-Name"], h["Unique-ID"])
    return None


def _common(h: dict[str, str], call: FsCall, extra: int = 0) -> dict[str, Any]:
    """Ids, order and time from the engine's own headers; ``extra`` > 0 for a second event of one engine event
    (its own id, and no sequence, which would be equal to the first's and dropped as stale)."""
    seq, core = h.get("Event-Sequence"), h.get("Core-UUID")
    if seq is not None and not seq.isdigit():
        raise AdapterError(f"FreeSWITCH Event-Sequence is not a number: {seq!r}")
    event_id = stable_id("fs", f"{seq}@{core}") if seq and core else digest_id("fs", h)
    stamp = h.get("Event-Date-Timestamp")
    if stamp is not None and not stamp.isdigit():
        raise AdapterError(f"FreeSWITCH Event-Date-Timestamp is not a number: {stamp!r}")
    return {"event_id": event_id + (f":{extra}" if extra else ""),
            "sequence": int(seq) if seq and not extra else None,
            "occurred_at": from_epoch_us(stamp) if stamp else None,
            "caller_number": call.caller_number, "agent": call.agent}


def _create(h: dict[str, str], state: FsState) -> list[CallEvent]:
    direction = h.get("Call-Direction") or h.get("Caller-Direction")
    if direction != "inbound" or _call_of(h, state) is not None:
        return []  # an advisor's leg, an outbound call: not a call to present
    uuid = call_id_of(h["Unique-ID"], "FreeSWITCH Unique-ID")
    call = FsCall(uuid, caller_number=h.get("Caller-Caller-ID-Number") or None,
                  agent=h.get("variable_copilot_agent") or None)
    state.calls[uuid] = call
    data = {k[len(DATA_PREFIX):]: v for k, v in h.items() if k.startswith(DATA_PREFIX) and len(k) > len(DATA_PREFIX)}
    events = [build(uuid, "offered", data=data or None, **_common(h, call))]
    if h.get("variable_call_reason"):
        events.append(build(uuid, "transcript", transcript=Transcript(text=h["variable_call_reason"]),
                            **_common(h, call, extra=1)))
    return events


def _answer(h: dict[str, str], state: FsState) -> list[CallEvent]:
    call = _call_of(h, state)
    if call is None or h["Unique-ID"] != call.call_id:
        return []  # the advisor's leg answering is not the call being answered
    call.agent = h.get("variable_copilot_agent") or call.agent
    return [build(call.call_id, "answered", **_common(h, call))]


def _simple(kind: str):
    def handler(h: dict[str, str], state: FsState) -> list[CallEvent]:
        call = _call_of(h, state)
        return [] if call is None else [build(call.call_id, kind, **_common(h, call))]

    return handler


def _dtmf(h: dict[str, str], state: FsState) -> list[CallEvent]:
    digit = h.get("DTMF-Digit")
    if not digit:
        raise AdapterError("FreeSWITCH DTMF without DTMF-Digit")
    call = _call_of(h, state)
    return [] if call is None else [build(call.call_id, "dtmf", digits=digit, **_common(h, call))]


def _execute(h: dict[str, str], state: FsState) -> list[CallEvent]:
    application = h.get("Application")
    if application not in ("transfer", "att_xfer", "set", "export"):
        return []
    call = _call_of(h, state)
    if call is None:
        return []
    if application in ("set", "export"):
        return _set(h, call)
    target = (h.get("Application-Data") or "").split(" ")[0] or None
    kind = "attended" if application == "att_xfer" else "blind"
    return [build(call.call_id, "transferred", transfer=Transfer(kind=kind, queue=target[:80] if target else None),
                  **_common(h, call) | {"agent": None})]


def _set(h: dict[str, str], call: FsCall) -> list[CallEvent]:
    """The dialplan setting one of our variables (``set copilot_agent=n1.demo``, ``set call_reason=…``)."""
    name, sep, value = (h.get("Application-Data") or "").partition("=")
    if not sep or not value:
        return []
    if name == "copilot_agent":
        call.agent = value  # carried by the call's next events
        return []
    if name == "call_reason":
        return [build(call.call_id, "transcript", transcript=Transcript(text=value), **_common(h, call))]
    key = name[len("copilot_data_"):]
    if name.startswith("copilot_data_") and key:
        return [build(call.call_id, "data", data={key: value}, **_common(h, call))]
    return []


def _hangup(h: dict[str, str], state: FsState) -> list[CallEvent]:
    call = state.calls.pop(h["Unique-ID"], None)
    if call is None:
        return []  # another leg hanging up (a transfer's consultation) does not end the call
    cause = h.get("Hangup-Cause")
    return [build(call.call_id, "ended", data={"hangup_cause": cause} if cause else None, **_common(h, call))]


_HANDLERS = {
    "CHANNEL_CREATE": _create,
    "CHANNEL_ANSWER": _answer,
    "CHANNEL_HOLD": _simple("held"),
    "CHANNEL_UNHOLD": _simple("resumed"),
    "DTMF": _dtmf,
    "CHANNEL_EXECUTE": _execute,
    "CHANNEL_HANGUP_COMPLETE": _hangup,
}


# -- the event socket client ----------------------------------------------------------------------------------------
async def read_frame(reader: asyncio.StreamReader) -> tuple[dict[str, str], bytes]:
    """One ESL frame: its headers (up to the blank line), then ``Content-Length`` bytes of body."""
    headers: dict[str, str] = {}
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("event socket closed")
        text = line.decode("utf-8", errors="replace").rstrip("\r\n")
        if not text:
            if headers:
                break
            continue
        name, _, value = text.partition(":")
        headers[name.strip()] = unquote(value.strip())
    length = int(headers.get("Content-Length", "0") or 0)
    body = await reader.readexactly(length) if length else b""
    return headers, body


async def _command(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, command: str) -> str:
    writer.write(f"{command}\n\n".encode())
    await writer.drain()
    while True:
        headers, _ = await read_frame(reader)
        if headers.get("Content-Type") == "command/reply":
            reply = headers.get("Reply-Text", "")
            if not reply.startswith("+OK"):
                raise ConnectionError(f"FreeSWITCH refused '{command.split(' ')[0]}': {reply}")
            return reply


async def run(host: str, port: int, password: str, bridge: BridgeForwarder, state: FsState | None = None,
              backoff: Backoff | None = None, events: tuple[str, ...] = EVENTS) -> None:
    """Connect to FreeSWITCH's event socket, subscribe to ``events`` and forward the calls, until cancelled."""
    state = state or FsState()
    backoff = backoff or Backoff()
    sender = asyncio.create_task(bridge.run(), name="esl-bridge")
    try:
        while True:
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 10)
                try:
                    await _session(reader, writer, password, bridge, state, backoff, events)
                finally:
                    writer.close()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                delay = backoff.next_delay()
                log.warning("FreeSWITCH event socket lost (%s); retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)
    finally:
        sender.cancel()


async def _session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, password: str,
                   bridge: BridgeForwarder, state: FsState, backoff: Backoff, events: tuple[str, ...]) -> None:
    headers, _ = await read_frame(reader)
    if headers.get("Content-Type") != "auth/request":
        raise ConnectionError(f"unexpected greeting from FreeSWITCH: {headers.get('Content-Type')}")
    await _command(reader, writer, f"auth {password}")
    await _command(reader, writer, "event plain " + " ".join(events))
    log.info("subscribed to FreeSWITCH events %s", ", ".join(events))
    backoff.reset()
    while True:
        headers, body = await read_frame(reader)
        kind = headers.get("Content-Type")
        if kind == "text/disconnect-notice":
            raise ConnectionError("FreeSWITCH said goodbye")
        if kind != "text/event-plain":
            continue
        try:
            for event in translate(body, state):
                bridge.put(event)
        except AdapterError as exc:
            log.warning("FreeSWITCH event skipped: %s", exc)


def main() -> None:  # pragma: no cover - thin command line wrapper
    import argparse
    import os

    from telephony_bridge.adapters._common import bridge_url

    parser = argparse.ArgumentParser(description="Forward FreeSWITCH's inbound calls to the copilot.")
    parser.add_argument("--host", default=os.environ.get("ESL_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("ESL_PORT", "8021")))
    parser.add_argument("--copilot-url", default=os.environ.get("COPILOT_URL", "http://127.0.0.1:8000"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    bridge = BridgeForwarder(bridge_url(args.copilot_url), os.environ["COPILOT_BRIDGE_TOKEN"])
    asyncio.run(run(args.host, args.port, os.environ["ESL_PASSWORD"], bridge))


if __name__ == "__main__":  # pragma: no cover
    main()
