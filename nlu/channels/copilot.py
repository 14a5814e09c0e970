"""The only door into Rasa's conversations: the copilot's channel, which refuses unsigned messages.

``/webhooks/copilot/webhook`` takes the REST channel's JSON (``sender``, ``message``, ``metadata``) but
runs the message only when ``metadata.assertion`` is a valid assertion of the copilot for this sender
(the call) and this text (``nlu.assertion``). Rasa's own ``rest`` channel is not mounted
(``assistant/credentials.yml`` lists this one only), so a process on the same host cannot talk to a
call's conversation by posting plain metadata.
"""

import hmac
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from nlu.assertion import AssertionRefused, reason_signature, verify_assertion
from nlu.chat_intent import CALL_REASON

log = logging.getLogger(__name__)
SENDER = re.compile(r"^[A-Za-z0-9._:@-]{1,80}$")


class CopilotInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "copilot"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> "CopilotInput":
        secret = str((credentials or {}).get("secret") or "")
        if len(secret) < 32:
            raise ValueError("the copilot channel needs its secret (COPILOT_INTERNAL_SECRET, 32 characters at least)")
        return cls(secret)

    def __init__(self, secret: str) -> None:
        self.secret = secret

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint("copilot_webhook", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = request.json
            except Exception:  # sanic raises its own error on a body that is not JSON
                body = None
            if not isinstance(body, dict):
                return response.json({"error": "JSON object expected"}, status=400)
            sender, text, metadata = body.get("sender"), body.get("message"), body.get("metadata")
            if not isinstance(sender, str) or not SENDER.match(sender) or not isinstance(text, str) or \
                    not text.strip() or len(text) > 4000:
                return response.json({"error": "sender and message expected"}, status=400)
            try:
                verify_assertion((metadata or {}).get("assertion") if isinstance(metadata, dict) else None,
                                 self.secret, call_id=sender, text=text)
            except AssertionRefused as exc:
                log.warning("copilot channel: message for conversation %s refused: %s (from %s)",
                            sender, exc, request.ip)
                return response.json({"error": "assertion refused"}, status=401)
            collector = CollectingOutputChannel()
            await on_new_message(UserMessage(text, collector, sender, input_channel=self.name(),
                                             metadata={"assertion": metadata["assertion"]}))
            return response.json(collector.messages)

        @hook.route("/parse", methods=["POST"])
        async def parse(request: Request) -> HTTPResponse:
            """The copilot's parse of a caller's reason (the bridge's): Rasa's ``/model/parse`` with the message
            marked as a call reason, so the advisor-chat classifiers are not run on it. Signed with the internal
            secret (``X-Copilot-Signature``: HMAC-SHA256 of the text); read-only, so a replay changes nothing."""
            try:
                body = request.json
            except Exception:
                body = None
            text = body.get("text") if isinstance(body, dict) else None
            if not isinstance(text, str) or len(text) > 10_000:
                return response.json({"error": "text expected"}, status=400)
            if not hmac.compare_digest(request.headers.get("x-copilot-signature", ""), reason_signature(self.secret,
                                                                                                       text)):
                log.warning("copilot channel: parse refused, signature missing or wrong (from %s)", request.ip)
                return response.json({"error": "signature refused"}, status=401)
            agent = request.app.ctx.agent
            if agent is None or not agent.is_ready():
                return response.json({"error": "no model loaded"}, status=503)
            parsed = await agent.processor.parse_message(UserMessage(text, metadata=dict(CALL_REASON)))
            return response.json(parsed)

        return hook
