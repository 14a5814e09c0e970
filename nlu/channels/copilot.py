"""The only door into Rasa's conversations: the copilot's channel, which refuses unsigned messages.

``/webhooks/copilot/webhook`` takes the REST channel's JSON (``sender``, ``message``, ``metadata``) but
runs the message only when ``metadata.assertion`` is a valid assertion of the copilot for this sender
(the call) and this text (``nlu.assertion``). Rasa's own ``rest`` channel is not mounted
(``assistant/credentials.yml`` lists this one only), so a process on the same host cannot talk to a
call's conversation by posting plain metadata.
"""

import asyncio
import functools
import hmac
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from nlu.assertion import AssertionRefused, model_signature, reason_signature, verify_assertion
from nlu.chat_intent import CALL_REASON

log = logging.getLogger(__name__)
SENDER = re.compile(r"^[A-Za-z0-9._:@-]{1,80}$")
ORDER_TTL_S = 60
# Published models are loaded only from the trainer's registry (COPILOT_MODELS_DIR, as the app's setting)
DEFAULT_MODELS_DIR = Path(__file__).resolve().parents[2] / ".build" / "models" / "registry"


def models_dir() -> Path:
    return Path(os.environ.get("COPILOT_MODELS_DIR") or DEFAULT_MODELS_DIR).resolve()


def swap_model(agent: Any, processor: Any) -> None:
    """What ``Agent.load_model`` does after building the processor, done at once on the server's loop: the
    conversations (tracker and lock stores, action endpoint) stay; a message already being handled finishes
    with the processor it started with."""
    agent.processor = processor
    agent.domain = processor.domain
    agent._set_fingerprint(None)
    agent.tracker_store.domain = agent.domain
    if hasattr(agent.nlg, "responses"):
        agent.nlg.responses = agent.domain.responses if agent.domain else {}


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
        self._loading = asyncio.Lock()

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

        @hook.route("/model", methods=["POST"])
        async def load_model(request: Request) -> HTTPResponse:
            """Load a published model into this running server (the trainer's console): the new model is built
            in a worker thread while this one keeps answering, then swapped in at once, conversations kept.
            Signed with the internal secret (``X-Copilot-Signature``: path and time, valid 60 s); the archive
            must be inside the trainer's registry folder."""
            try:
                body = request.json
            except Exception:
                body = None
            path, issued = (body.get("path"), body.get("issued_at")) if isinstance(body, dict) else (None, None)
            if not isinstance(path, str) or not isinstance(issued, int) or len(path) > 1000:
                return response.json({"error": "path and issued_at expected"}, status=400)
            signature = request.headers.get("x-copilot-signature", "")
            if not hmac.compare_digest(signature, model_signature(self.secret, path, issued)) or \
                    abs(time.time() - issued) > ORDER_TTL_S:
                log.warning("copilot channel: model load refused, signature wrong or order too old (from %s)",
                            request.ip)
                return response.json({"error": "signature refused"}, status=401)
            target = Path(path).resolve()
            if not target.is_relative_to(models_dir()) or not target.name.endswith(".tar.gz") or not target.is_file():
                return response.json({"error": f"not a model archive of the registry: {target.name}"}, status=400)
            from rasa.core.processor import MessageProcessor

            agent = request.app.ctx.agent
            async with self._loading:
                started = time.perf_counter()
                try:
                    processor = await asyncio.get_running_loop().run_in_executor(None, functools.partial(
                        MessageProcessor, model_path=target, tracker_store=agent.tracker_store,
                        lock_store=agent.lock_store, action_endpoint=agent.action_endpoint, generator=agent.nlg,
                        http_interpreter=agent.http_interpreter))
                except Exception as exc:  # a broken archive leaves the running model in place
                    log.exception("copilot channel: model %s could not be loaded", target.name)
                    return response.json({"error": f"{type(exc).__name__}: {exc}"[:500]}, status=422)
                swap_model(agent, processor)
            seconds = time.perf_counter() - started
            log.info("copilot channel: model %s (%s) loaded in %.1f s", target.name, agent.model_id, seconds)
            return response.json({"model_id": agent.model_id, "model_file": target.name,
                                  "seconds": round(seconds, 2)})

        return hook
