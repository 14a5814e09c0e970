"""Asterisk ARI → CallEvent.

The events are the ARI websocket's JSON messages, as published in Asterisk's
``rest-api/api-docs/events.json`` (https://github.com/asterisk/asterisk/blob/master/rest-api/api-docs/events.json;
rendered at https://docs.asterisk.org/Latest_API/API_Documentation/Asterisk_REST_Interface/Asterisk_REST_Data_Models/).

A call is the channel that enters our Stasis application (``StasisStart``): the call id is that channel's id, the
caller number its ``caller.number``, the advisor the channel variable ``COPILOT_AGENT`` (listed in ari.conf's
``channelvars``, or set later: ``ChannelVarset``) or a Stasis argument ``agent=<login>``. ARI numbers nothing, so
an event's id is a digest of the whole engine event (a replay gives the same id) and no ``sequence`` is set: the
websocket delivers in order.

| ARI event | CallEvent |
| --- | --- |
| StasisStart (state Ring/Ringing; Up: also answered) | offered |
| ChannelStateChange to Up | answered |
| ChannelDtmfReceived | dtmf |
| ChannelHold / ChannelUnhold | held / resumed |
| ChannelVarset CALL_REASON / COPILOT_DATA_<KEY> / COPILOT_AGENT | transcript (final, caller) / data / (the agent) |
| BridgeBlindTransfer / BridgeAttendedTransfer (result Success) | transferred blind / attended |
| ChannelDestroyed | ended (``data.hangup_cause``) |
"""

import asyncio
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from telephony_bridge.adapters._common import (
    AdapterError,
    Backoff,
    BridgeForwarder,
    build,
    call_id_of,
    digest_id,
)
from telephony_bridge.events import CallEvent, Transcript, Transfer

log = logging.getLogger(__name__)

AGENT_VARIABLE = "COPILOT_AGENT"
REASON_VARIABLE = "CALL_REASON"
DATA_PREFIX = "COPILOT_DATA_"
DTMF_DIGITS = set("0123456789*#ABCD")


@dataclass
class AriCall:
    call_id: str
    caller_number: str | None = None
    agent: str | None = None
    answered: bool = False


@dataclass
class AriState:
    """The calls seen by one ARI connection, by the id of their channel in our Stasis application."""

    calls: dict[str, AriCall] = field(default_factory=dict)


def _channel(raw: dict[str, Any], key: str = "channel", required: bool = True) -> dict[str, Any] | None:
    channel = raw.get(key)
    if channel is None and not required:
        return None
    if not isinstance(channel, dict) or not isinstance(channel.get("id"), str):
        raise AdapterError(f"ARI {raw.get('type')}: '{key}' missing or without an id")
    return channel


def _when(raw: dict[str, Any]) -> datetime | None:
    stamp = raw.get("timestamp")
    if stamp is None:
        return None
    try:
        return datetime.fromisoformat(stamp)
    except (TypeError, ValueError) as exc:
        raise AdapterError(f"ARI {raw.get('type')}: timestamp not ISO 8601: {stamp!r}") from exc


def _agent_of(channel: dict[str, Any], args: list[Any] | None = None) -> str | None:
    variables = channel.get("channelvars") or {}
    if isinstance(variables, dict) and variables.get(AGENT_VARIABLE):
        return str(variables[AGENT_VARIABLE])
    for arg in args or []:
        if isinstance(arg, str) and arg.startswith("agent=") and len(arg) > 6:
            return arg[6:]
    return None


def translate(raw: dict[str, Any] | str | bytes, state: AriState) -> list[CallEvent]:
    """One ARI websocket message → the CallEvents it means ([] for what the copilot does not follow)."""
    if isinstance(raw, str | bytes):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise AdapterError(f"ARI message is not JSON: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        raise AdapterError("ARI message without a 'type'")
    kind = raw["type"]
    handler = _HANDLERS.get(kind)
    if handler is None:
        log.debug("ARI %s ignored", kind)
        return []
    return handler(raw, state)


def _common(raw: dict[str, Any], call: AriCall, suffix: str = "") -> dict[str, Any]:
    return {"event_id": digest_id("ari", raw) + suffix, "occurred_at": _when(raw),
            "caller_number": call.caller_number, "agent": call.agent}


def _known(raw: dict[str, Any], state: AriState) -> AriCall | None:
    channel = _channel(raw)
    call = state.calls.get(channel["id"])
    if call is None:
        log.debug("ARI %s on channel %s: not a call of ours", raw["type"], channel["id"])
    return call


def _stasis_start(raw: dict[str, Any], state: AriState) -> list[CallEvent]:
    channel = _channel(raw)
    args = raw.get("args")
    if args is not None and not isinstance(args, list):
        raise AdapterError("ARI StasisStart: 'args' is not a list")
    caller = channel.get("caller") or {}
    call = AriCall(call_id_of(channel["id"], "ARI StasisStart channel.id"),
                   caller_number=(caller.get("number") or None) if isinstance(caller, dict) else None,
                   agent=_agent_of(channel, args))
    state.calls[channel["id"]] = call
    events = [build(call.call_id, "offered", **_common(raw, call))]
    if channel.get("state") == "Up":  # already answered when it entered the application
        call.answered = True
        events.append(build(call.call_id, "answered", **_common(raw, call, ":answered")))
    return events


def _state_change(raw: dict[str, Any], state: AriState) -> list[CallEvent]:
    call = _known(raw, state)
    if call is None or raw["channel"].get("state") != "Up" or call.answered:
        return []
    call.answered = True
    call.agent = _agent_of(raw["channel"]) or call.agent
    return [build(call.call_id, "answered", **_common(raw, call))]


def _dtmf(raw: dict[str, Any], state: AriState) -> list[CallEvent]:
    call = _known(raw, state)
    digit = raw.get("digit")
    if not isinstance(digit, str) or len(digit) != 1:
        raise AdapterError(f"ARI ChannelDtmfReceived: 'digit' missing or not one key: {digit!r}")
    if call is None:
        return []
    if digit not in DTMF_DIGITS:  # E (flash) has no place in ``digits``
        log.debug("ARI DTMF %r ignored", digit)
        return []
    return [build(call.call_id, "dtmf", digits=digit, **_common(raw, call))]


def _hold(kind: str):
    def handler(raw: dict[str, Any], state: AriState) -> list[CallEvent]:
        call = _known(raw, state)
        return [] if call is None else [build(call.call_id, kind, **_common(raw, call))]

    return handler


def _varset(raw: dict[str, Any], state: AriState) -> list[CallEvent]:
    variable, value = raw.get("variable"), raw.get("value")
    if not isinstance(variable, str) or not isinstance(value, str):
        raise AdapterError("ARI ChannelVarset: 'variable' and 'value' must be strings")
    if raw.get("channel") is None:  # a global variable
        return []
    call = _known(raw, state)
    if call is None or not value:
        return []
    if variable == AGENT_VARIABLE:
        call.agent = value  # carried by the call's next events
        return []
    if variable == REASON_VARIABLE:
        return [build(call.call_id, "transcript", transcript=Transcript(text=value, final=True, speaker="caller"),
                      **_common(raw, call))]
    if variable.startswith(DATA_PREFIX) and len(variable) > len(DATA_PREFIX):
        key = variable[len(DATA_PREFIX):].lower()
        return [build(call.call_id, "data", data={key: value}, **_common(raw, call))]
    return []


def _transfer_call(raw: dict[str, Any], state: AriState, keys: tuple[str, ...]) -> AriCall | None:
    for key in keys:
        channel = _channel(raw, key, required=key != keys[0])
        if channel is not None and channel["id"] in state.calls:
            return state.calls[channel["id"]]
    return None


def _blind(raw: dict[str, Any], state: AriState) -> list[CallEvent]:
    call = _transfer_call(raw, state, ("channel", "transferee", "replace_channel"))
    if call is None or raw.get("result") != "Success":
        return []
    exten = raw.get("exten")
    queue = f"{exten}@{raw['context']}" if exten and raw.get("context") else exten
    return [build(call.call_id, "transferred", transfer=Transfer(kind="blind", queue=queue or None),
                  **_common(raw, call) | {"agent": None})]


def _attended(raw: dict[str, Any], state: AriState) -> list[CallEvent]:
    call = _transfer_call(raw, state, ("transferer_first_leg", "transferee", "transferer_second_leg",
                                       "replace_channel"))
    if call is None or raw.get("result") != "Success":
        return []
    target = _channel(raw, "transfer_target", required=False)
    agent = _agent_of(target) if target is not None else None
    if agent:
        call.agent = agent
    return [build(call.call_id, "transferred", transfer=Transfer(kind="attended"),
                  **_common(raw, call) | {"agent": agent})]


def _destroyed(raw: dict[str, Any], state: AriState) -> list[CallEvent]:
    call = _known(raw, state)
    if call is None:
        return []
    del state.calls[raw["channel"]["id"]]
    cause = raw.get("cause_txt")
    return [build(call.call_id, "ended", data={"hangup_cause": cause} if cause else None, **_common(raw, call))]


_HANDLERS = {
    "StasisStart": _stasis_start,
    "ChannelStateChange": _state_change,
    "ChannelDtmfReceived": _dtmf,
    "ChannelHold": _hold("held"),
    "ChannelUnhold": _hold("resumed"),
    "ChannelVarset": _varset,
    "BridgeBlindTransfer": _blind,
    "BridgeAttendedTransfer": _attended,
    "ChannelDestroyed": _destroyed,
}


# -- the runner ---------------------------------------------------------------------------------------------------
def events_url(ari_url: str, app: str, api_key: str) -> str:
    """``http://pbx:8088`` → ``ws://pbx:8088/ari/events?app=…&api_key=user:password``."""
    base = ari_url.replace("https://", "wss://").replace("http://", "ws://").rstrip("/")
    if not base.endswith("/ari"):
        base += "/ari"
    return f"{base}/events?{urlencode({'app': app, 'api_key': api_key})}"


async def run(ari_url: str, app: str, api_key: str, bridge: BridgeForwarder, state: AriState | None = None,
              backoff: Backoff | None = None) -> None:
    """Subscribe to ``app``'s events and forward their CallEvents to the bridge, until cancelled."""
    from websockets.asyncio.client import connect

    state = state or AriState()
    backoff = backoff or Backoff()
    sender = asyncio.create_task(bridge.run(), name="ari-bridge")
    try:
        while True:
            try:
                async with connect(events_url(ari_url, app, api_key), open_timeout=10) as ws:
                    log.info("subscribed to ARI application %s", app)
                    backoff.reset()
                    async for message in ws:
                        try:
                            for event in translate(message, state):
                                bridge.put(event)
                        except AdapterError as exc:
                            log.warning("ARI event skipped: %s", exc)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                delay = backoff.next_delay()
                log.warning("ARI connection lost (%s); retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                continue
            delay = backoff.next_delay()  # Asterisk closed the socket (restart): come back
            await asyncio.sleep(delay)
    finally:
        sender.cancel()


def main() -> None:  # pragma: no cover - thin command line wrapper
    import argparse
    import os

    from telephony_bridge.adapters._common import bridge_url

    parser = argparse.ArgumentParser(description="Forward an Asterisk ARI application's calls to the copilot.")
    parser.add_argument("--ari-url", default=os.environ.get("ARI_URL", "http://127.0.0.1:8088"))
    parser.add_argument("--app", default=os.environ.get("ARI_APP", "copilot"))
    parser.add_argument("--copilot-url", default=os.environ.get("COPILOT_URL", "http://127.0.0.1:8000"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    bridge = BridgeForwarder(bridge_url(args.copilot_url), os.environ["COPILOT_BRIDGE_TOKEN"])
    asyncio.run(run(args.ari_url, args.app, os.environ["ARI_API_KEY"], bridge))


if __name__ == "__main__":  # pragma: no cover
    main()
