"""jambonz websocket API → CallEvent.

jambonz connects to *us*: the application's calling webhook (and call status webhook) is a ``ws(s)://`` URL,
subprotocol ``ws.jambonz.org``, and jambonz sends JSON text frames ``{"type", "msgid", "call_sid", "data"…}``
as its websocket API documents (https://www.jambonz.org/docs/ws/overview/, source
https://github.com/jambonz/next-static-site/tree/main/markdown/docs/ws; verbs' hook payloads in
markdown/docs/webhooks/gather.md and sip-refer.md).

The call id is ``call_sid``; every message carries a unique ``msgid``, so the event id is ``jz:<msgid>``. jambonz
gives no order number nor time: no ``sequence``, and ``occurred_at`` is the copilot's reception time.

| jambonz message | CallEvent |
| --- | --- |
| session:new (call_status trying/ringing/early-media; in-progress: also answered) | offered |
| call:status trying/ringing/early-media (not yet offered) | offered |
| call:status in-progress | answered |
| call:status completed/failed/no-answer/busy | ended (``data.call_status``) |
| verb:hook with ``speech`` (``is_final`` false: partial) | transcript (speaker caller) |
| verb:hook with ``digits`` | dtmf |
| verb:hook with ``referStatus`` 2xx (sip:refer's actionHook) | transferred blind |
| session:redirect, session:reconnect, verb:status, jambonz:error | nothing (logged) |

The caller number is ``data.from``; the advisor the ``X-Copilot-Agent`` SIP header of the call
(``data.sip.headers``) or ``copilot_agent`` in the data the application tagged (``data.customerData``).
jambonz hangs up a call whose ``session:new`` is not acknowledged within 5 seconds: the server acks every
``session:new`` and ``verb:hook`` with the verbs it is configured with (none by default).
"""

import asyncio
import base64
import hmac
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from telephony_bridge.adapters._common import AdapterError, BridgeForwarder, build, call_id_of, stable_id
from telephony_bridge.events import CallEvent, Transcript, Transfer

log = logging.getLogger(__name__)

SUBPROTOCOL = "ws.jambonz.org"
RINGING = {"trying", "ringing", "early-media"}
OVER = {"completed", "failed", "no-answer", "busy"}
IGNORED = {"session:redirect", "session:reconnect", "verb:status", "jambonz:error", "error"}


@dataclass
class JambonzCall:
    call_id: str
    caller_number: str | None = None
    agent: str | None = None
    offered: bool = False
    answered: bool = False


@dataclass
class JambonzState:
    calls: dict[str, JambonzCall] = field(default_factory=dict)


def _agent(data: dict[str, Any]) -> str | None:
    headers = (data.get("sip") or {}).get("headers") or {}
    if isinstance(headers, dict):
        for name, value in headers.items():
            if name.lower() == "x-copilot-agent" and value:
                return str(value)
    tagged = data.get("customerData")
    if isinstance(tagged, dict) and tagged.get("copilot_agent"):
        return str(tagged["copilot_agent"])
    return None


def translate(raw: dict[str, Any] | str | bytes, state: JambonzState) -> list[CallEvent]:
    """One jambonz websocket message → the CallEvents it means."""
    if isinstance(raw, str | bytes):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise AdapterError(f"jambonz message is not JSON: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        raise AdapterError("jambonz message without a 'type'")
    kind = raw["type"]
    if kind in IGNORED or kind not in ("session:new", "call:status", "verb:hook"):
        (log.warning if "error" in kind else log.debug)("jambonz %s not translated", kind)
        return []
    if not isinstance(raw.get("msgid"), str) or not raw["msgid"]:
        raise AdapterError(f"jambonz {kind} without a msgid")
    sid = call_id_of(raw.get("call_sid"), f"jambonz {kind} call_sid")
    data = raw.get("data")
    if not isinstance(data, dict):
        raise AdapterError(f"jambonz {kind} without a data object")
    call = state.calls.get(sid)
    if call is None:
        if kind == "verb:hook":
            log.debug("jambonz verb:hook for unknown call %s", sid)
        call = state.calls[sid] = JambonzCall(sid)
    call.caller_number = data.get("from") or call.caller_number
    call.agent = _agent(data) or call.agent
    ids = iter(range(10))

    def make(event: str, **fields: Any) -> CallEvent:
        n = next(ids)
        base = {"event_id": stable_id("jz", raw["msgid"]) + (f":{n}" if n else ""),
                "caller_number": call.caller_number, "agent": call.agent}
        return build(sid, event, **(base | fields))

    status = data.get("call_status")
    if kind == "verb:hook":
        return _hook(data, make)
    events: list[CallEvent] = []
    if (kind == "session:new" or status in RINGING or status == "in-progress") and not call.offered:
        call.offered = True
        events.append(make("offered"))
    if status == "in-progress" and not call.answered:
        call.answered = True
        events.append(make("answered"))
    if status in OVER:
        state.calls.pop(sid, None)
        events.append(make("ended", data={"call_status": status}))
    return events


def _speech_text(speech: dict[str, Any]) -> str | None:
    alternatives = speech.get("alternatives")
    if not alternatives and isinstance(speech.get("transcripts"), list) and speech["transcripts"]:
        alternatives = speech["transcripts"][0].get("alternatives")
    if not isinstance(alternatives, list) or not alternatives or not isinstance(alternatives[0], dict):
        raise AdapterError("jambonz speech without alternatives")
    text = alternatives[0].get("transcript")
    return text if isinstance(text, str) and text.strip() else None


def _hook(data: dict[str, Any], make: Callable[..., CallEvent]) -> list[CallEvent]:
    events: list[CallEvent] = []
    speech = data.get("speech")
    if isinstance(speech, dict):
        text = _speech_text(speech)
        if text:
            events.append(make("transcript", transcript=Transcript(text=text, final=bool(speech.get("is_final", True)),
                                                                   speaker="caller")))
    digits = data.get("digits")
    if isinstance(digits, str) and digits:
        events.append(make("dtmf", digits=digits))
    refer = data.get("referStatus", data.get("refer_status"))
    if refer is not None and str(refer).startswith("2"):
        events.append(make("transferred", transfer=Transfer(kind="blind"), agent=None))
    return events


# -- the websocket server jambonz connects to ------------------------------------------------------------------------
def ack(msgid: str, verbs: list[dict[str, Any]] | None = None) -> str:
    message: dict[str, Any] = {"type": "ack", "msgid": msgid}
    if verbs:
        message["data"] = verbs
    return json.dumps(message)


class JambonzServer:
    """The websocket endpoint jambonz calls: translates every message, forwards it, acks what must be acked.

    ``verbs`` maps a message type (``session:new``, ``verb:hook``) to the jambonz verbs sent back in its ack
    (e.g. a ``gather`` of the reason, then a ``dial`` of the advisors' queue); ``basic_auth`` is the
    ``(username, password)`` set on the application's webhook in jambonz, checked on the handshake.
    """

    def __init__(self, bridge: BridgeForwarder, verbs: dict[str, list[dict[str, Any]]] | None = None,
                 basic_auth: tuple[str, str] | None = None) -> None:
        self.bridge, self.verbs, self.basic_auth = bridge, verbs or {}, basic_auth
        self.state = JambonzState()
        self._watchers: set[asyncio.Task] = set()

    def _authorised(self, header: str | None) -> bool:
        if self.basic_auth is None:
            return True
        expected = "Basic " + base64.b64encode(":".join(self.basic_auth).encode()).decode()
        return header is not None and hmac.compare_digest(header.encode(), expected.encode())

    def process_request(self, connection: Any, request: Any) -> Any:
        if not self._authorised(request.headers.get("Authorization")):
            return connection.respond(401, "authentication required\n")
        return None

    async def handler(self, ws: Any) -> None:
        async for message in ws:
            try:
                raw = json.loads(message)
            except ValueError:
                log.warning("jambonz frame is not JSON")
                continue
            try:
                for event in translate(raw, self.state):
                    self.bridge.put(event)
            except AdapterError as exc:
                log.warning("jambonz message skipped: %s", exc)
            if isinstance(raw, dict) and raw.get("type") in ("session:new", "verb:hook") and raw.get("msgid"):
                await ws.send(ack(str(raw["msgid"]), self.verbs.get(raw["type"])))

    async def start(self, host: str, port: int) -> Any:
        """Start listening (port 0: any free port) and forwarding; ``close()`` the returned server to stop."""
        from websockets.asyncio.server import serve

        sender = asyncio.create_task(self.bridge.run(), name="jambonz-bridge")
        server = await serve(self.handler, host, port, subprotocols=[SUBPROTOCOL],
                             process_request=self.process_request)
        self._watchers.add(asyncio.create_task(_cancel_when_closed(server, sender)))
        log.info("waiting for jambonz on %s", ", ".join(str(s.getsockname()) for s in server.sockets))
        return server

    async def serve(self, host: str, port: int) -> None:
        """Listen until cancelled (the bridge forwarder runs beside it)."""
        server = await self.start(host, port)
        try:
            await server.serve_forever()
        finally:
            server.close()


async def _cancel_when_closed(server: Any, task: asyncio.Task) -> None:
    try:
        await server.wait_closed()
    finally:
        task.cancel()


def main() -> None:  # pragma: no cover - thin command line wrapper
    import argparse
    import os

    from telephony_bridge.adapters._common import bridge_url

    parser = argparse.ArgumentParser(description="The websocket endpoint of a jambonz application, for the copilot.")
    parser.add_argument("--host", default=os.environ.get("JAMBONZ_LISTEN_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("JAMBONZ_LISTEN_PORT", "3000")))
    parser.add_argument("--verbs", help="JSON file: {\"session:new\": [verbs], \"verb:hook\": [verbs]}")
    parser.add_argument("--copilot-url", default=os.environ.get("COPILOT_URL", "http://127.0.0.1:8000"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    verbs = json.loads(open(args.verbs, encoding="utf-8").read()) if args.verbs else None
    user, password = os.environ.get("JAMBONZ_WS_USER"), os.environ.get("JAMBONZ_WS_PASSWORD")
    server = JambonzServer(BridgeForwarder(bridge_url(args.copilot_url), os.environ["COPILOT_BRIDGE_TOKEN"]),
                           verbs, (user, password) if user and password else None)
    asyncio.run(server.serve(args.host, args.port))


if __name__ == "__main__":  # pragma: no cover
    main()
