"""baresip (the advisor's SIP softphone) → CallEvent, through baresip's ``ctrl_tcp`` module.

``ctrl_tcp`` (``module_app ctrl_tcp.so``, ``ctrl_tcp_listen 127.0.0.1:4444`` in baresip's ``config``) sends every
user-agent event as a netstring (``<length>:<json>,``) to the one TCP client connected (a new client replaces the
previous one). Events as baresip 1.0 (Debian bookworm) sends them, recorded in
``tests/telephony_bridge/baresip/*.jsonl``::

    {"event":true,"type":"CALL_INCOMING","class":"call","accountaor":"sip:advisor@127.0.0.1:5060",
     "direction":"incoming","peeruri":"sip:0712345678@127.0.0.1:5070","peerdisplayname":"0712345678",
     "id":"1-29324@127.0.0.1","param":"sip:0712345678@127.0.0.1:5070"}

``id`` is the SIP Call-ID; the call id sent to the copilot is that, kept as is when it fits
``[A-Za-z0-9._:@-]{1,80}``, else its allowed characters and a digest of it.

| baresip event (incoming calls only) | CallEvent |
| --- | --- |
| CALL_INCOMING (the softphone rings: answer mode manual) | offered |
| the first event of a call not offered yet (auto answer sends no CALL_INCOMING: CALL_REMOTE_SDP first) | offered |
| CALL_ESTABLISHED | answered |
| CALL_DTMF_START (``param`` the key; SIP INFO or RFC 2833) | dtmf |
| CALL_HOLD / CALL_RESUME (later baresip versions; 1.0 has none) | held / resumed |
| CALL_CLOSED (``param`` the reason, kept as ``data.hangup_cause``) | ended |

Every CallEvent carries ``version: 2``, the advisor's login this softphone belongs to (``agent``), the caller's
number (the user part of the peer's URI), a per-call ``sequence`` (1, 2, …) and an ``event_id`` made of the call
id, the kind and that number (the bridge drops a resent event as a duplicate). baresip 1.0 passes no SIP header of
the INVITE in its events (an ``X-Call-Reason`` is lost): a fixed call reason for the demo is an option, sent as
the caller's final transcript on ``offered``. Outgoing calls (the advisor dialling out) are not presented.
"""

import asyncio
import contextlib
import hashlib
import json
import logging
import re
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from telephony_bridge.adapters._common import AdapterError, Backoff, BridgeForwarder, build, stable_id
from telephony_bridge.events import CallEvent, Transcript

log = logging.getLogger(__name__)

_ID = re.compile(r"^[A-Za-z0-9._:@-]{1,80}$")
_NOT_ID = re.compile(r"[^A-Za-z0-9._:@-]+")
_NUMBER = re.compile(r"^\+?[0-9][0-9 ().-]{1,31}$")
MAX_CALLS = 1000  # calls followed at once; beyond, the oldest (a CALL_CLOSED lost) is forgotten
MAX_NETSTRING = 1 << 20
# Events that say nothing a CallEvent carries (registration, media, levels, the process's life).
QUIET = frozenset({"CALL_REMOTE_SDP", "CALL_LOCAL_SDP", "CALL_RTPESTAB", "CALL_RTCP", "CALL_MENC", "CALL_DTMF_END",
                   "CALL_PROGRESS", "CALL_RINGING", "CALL_TRANSFER", "CALL_TRANSFER_FAILED", "CALL_REDIRECT",
                   "REGISTERING", "REGISTER_OK", "REGISTER_FAIL", "UNREGISTERING", "FALLBACK_OK", "FALLBACK_FAIL",
                   "MWI_NOTIFY", "VU_REPORT", "VU_TX_REPORT", "VU_RX_REPORT", "AUDIO_ERROR", "END_OF_FILE",
                   "SHUTDOWN", "EXIT", "CREATE", "MODULE", "CUSTOM", "SIPSESS_CONN"})
KINDS = {"CALL_INCOMING": "offered", "CALL_ESTABLISHED": "answered", "CALL_DTMF_START": "dtmf",
         "CALL_HOLD": "held", "CALL_RESUME": "resumed", "CALL_CLOSED": "ended"}


@dataclass
class BsCall:
    call_id: str
    caller_number: str | None
    sequence: int = 0


@dataclass
class BaresipState:
    """The incoming calls of one softphone, by baresip's call id; what every event of them carries."""

    agent: str | None = None
    reason: str | None = None
    calls: OrderedDict[str, BsCall] = field(default_factory=OrderedDict)
    closed: OrderedDict[str, None] = field(default_factory=OrderedDict)  # late events of these are ignored
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    connections: int = 0  # ctrl_tcp connections made (tests wait for the first)


def call_id_from(raw: str) -> str:
    """baresip's call id (the SIP Call-ID) as a CallEvent call id: itself when it fits, else its allowed
    characters and a digest (two Call-IDs that differ only by refused characters stay two calls)."""
    if _ID.match(raw):
        return raw
    kept = _NOT_ID.sub("_", raw)[:56].strip("_") or "call"
    return f"{kept}-{hashlib.sha256(raw.encode()).hexdigest()[:23]}"


def caller_number_from(uri: str | None) -> str | None:
    """The user part of ``sip:0712345678@host:port`` (``sips:``, ``tel:``, ``<…>`` and parameters allowed) when
    it is a number; None for ``anonymous`` or no URI (the copilot then pops an unidentified caller)."""
    if not uri:
        return None
    value = uri.strip()
    if "<" in value and ">" in value:
        value = value[value.index("<") + 1:value.index(">")]
    value = re.sub(r"^(sips?|tel):", "", value, flags=re.IGNORECASE)
    user = unquote(value.split("@", 1)[0].split(";", 1)[0]).strip()
    return user if _NUMBER.match(user) else None


def translate(raw: Mapping[str, Any] | str | bytes, state: BaresipState) -> list[CallEvent]:
    """One ctrl_tcp message (its JSON, or decoded) → the CallEvents it means (none for most)."""
    if isinstance(raw, str | bytes):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise AdapterError(f"baresip message is not JSON: {exc}") from exc
    if not isinstance(raw, Mapping):
        raise AdapterError(f"baresip message is not a JSON object: {type(raw).__name__}")
    if raw.get("response") is True:
        return []  # the answer to a command (the adapter sends none)
    kind = raw.get("type")
    if raw.get("event") is not True or not isinstance(kind, str) or not kind:
        raise AdapterError(f"baresip message is neither an event nor a response: {str(dict(raw))[:200]}")
    if kind not in KINDS:
        if kind not in QUIET:
            log.info("baresip event %s ignored (unknown to the adapter)", kind)
        if kind.startswith("CALL_"):
            call = _call(raw, state, create=True)  # auto answer: the call shows first by its SDP
            return call[1] if call else []
        return []
    found = _call(raw, state, create=kind != "CALL_CLOSED")
    if found is None:
        return []
    call, events = found
    if kind == "CALL_INCOMING":
        return events  # offered, made by _call for this new call (or already sent)
    fields: dict[str, Any] = {}
    if kind == "CALL_DTMF_START":
        digit = raw.get("param")
        if not isinstance(digit, str) or not re.fullmatch(r"[0-9*#A-D]", digit.upper()):
            raise AdapterError(f"baresip CALL_DTMF_START without a key: {digit!r}")
        fields["digits"] = digit.upper()
    if kind == "CALL_CLOSED":
        state.calls.pop(_raw_id(raw), None)
        state.closed[_raw_id(raw)] = None
        if len(state.closed) > MAX_CALLS:
            state.closed.popitem(last=False)
        reason = raw.get("param")
        if isinstance(reason, str) and reason.strip():
            fields["data"] = {"hangup_cause": reason.strip()[:200]}
    return events + [_event(call, KINDS[kind], state, **fields)]


def _raw_id(raw: Mapping[str, Any]) -> str:
    value = raw.get("id")
    if not isinstance(value, str) or not value.strip():
        raise AdapterError(f"baresip {raw.get('type')} without a call id")
    return value


def _call(raw: Mapping[str, Any], state: BaresipState, create: bool) -> tuple[BsCall, list[CallEvent]] | None:
    """The call the event is about and the ``offered`` to send first if it is new; None for an outgoing call or
    one never offered (a CALL_CLOSED of a call refused before it was seen)."""
    raw_id = _raw_id(raw)
    if raw.get("direction", "incoming") != "incoming":
        log.debug("baresip %s on outgoing call %s: not presented", raw.get("type"), raw_id)
        return None
    call = state.calls.get(raw_id)
    if call is not None:
        return call, []
    if not create or raw_id in state.closed:
        return None
    call = BsCall(call_id_from(raw_id), caller_number_from(raw.get("peeruri")))
    state.calls[raw_id] = call
    if len(state.calls) > MAX_CALLS:
        lost, _ = state.calls.popitem(last=False)
        log.warning("more than %d baresip calls followed: forgetting %s (its CALL_CLOSED was lost)", MAX_CALLS, lost)
    reason = Transcript(text=state.reason) if state.reason else None
    return call, [_event(call, "offered", state, transcript=reason)]


def _event(call: BsCall, kind: str, state: BaresipState, **fields: Any) -> CallEvent:
    call.sequence += 1
    return build(call.call_id, kind, event_id=stable_id("bs", call.call_id, kind, call.sequence),
                 sequence=call.sequence, caller_number=call.caller_number, agent=state.agent,
                 occurred_at=state.clock(), **fields)


# -- the ctrl_tcp client --------------------------------------------------------------------------------------------
async def read_netstring(reader: asyncio.StreamReader) -> bytes:
    """One netstring's payload; a broken framing (the stream cannot be resynchronised) is a ConnectionError."""
    try:
        head = await reader.readuntil(b":")
    except asyncio.IncompleteReadError as exc:
        raise ConnectionError("ctrl_tcp closed") from exc
    except asyncio.LimitOverrunError as exc:
        raise ConnectionError("ctrl_tcp framing lost (no netstring length)") from exc
    length = head[:-1].strip()
    if not length.isdigit() or int(length) > MAX_NETSTRING:
        raise ConnectionError(f"ctrl_tcp framing lost (netstring length {length[:20]!r})")
    try:
        payload = await reader.readexactly(int(length) + 1)
    except asyncio.IncompleteReadError as exc:
        raise ConnectionError("ctrl_tcp closed in a netstring") from exc
    if payload[-1:] != b",":
        raise ConnectionError("ctrl_tcp framing lost (netstring without its comma)")
    return payload[:-1]


async def run(host: str, port: int, bridge: BridgeForwarder, state: BaresipState | None = None,
              backoff: Backoff | None = None) -> None:
    """Connect to baresip's ctrl_tcp and forward its incoming calls to the bridge, until cancelled; both
    connections are retried with exponential backoff."""
    state = state or BaresipState()
    backoff = backoff or Backoff()
    sender = asyncio.create_task(bridge.run(), name="baresip-bridge")
    try:
        while True:
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 10)
                try:
                    state.connections += 1
                    log.info("connected to baresip ctrl_tcp %s:%d", host, port)
                    backoff.reset()
                    await _session(reader, bridge, state)
                finally:
                    writer.close()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # unreachable, closed, framing lost: wait, then connect again
                delay = backoff.next_delay()
                log.warning("baresip ctrl_tcp %s:%d: %s; retrying in %.1f s", host, port, exc or type(exc).__name__,
                            delay)
                await asyncio.sleep(delay)
    finally:
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender  # its websocket closed before the loop goes


async def _session(reader: asyncio.StreamReader, bridge: BridgeForwarder, state: BaresipState) -> None:
    while True:
        payload = await read_netstring(reader)
        try:
            for event in translate(payload, state):
                bridge.put(event)
        except AdapterError as exc:
            log.warning("baresip event skipped: %s", exc)
