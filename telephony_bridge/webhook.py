"""The generic CTI webhook: ``POST /api/bridge/cti``, for a CTI that can call an URL but not hold a websocket.

The body is one CallEvent or a list of at most 100, as JSON. The CTI signs it: ``X-Copilot-Timestamp`` is the
Unix time in seconds, and ``X-Copilot-Signature: sha256=<hex>`` the HMAC-SHA256, keyed with the shared secret,
of ``<timestamp>.<raw body>`` (so that the time cannot be changed without the signature). A request more than
5 minutes from the copilot's clock is refused as a replay. Events are handled by the same handler as the bridge
websocket's, in order; the answer says, per event, whether it was applied, dropped (and why) or refused.
Errors are ``application/problem+json`` in English (the reader is an adapter, not an advisor).
"""

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter, ValidationError

from crm_core.api.problems import problem
from telephony_bridge.events import CallEvent
from telephony_bridge.websocket import CallEventHandler, EventRefused

log = logging.getLogger(__name__)

MAX_EVENTS = 100
MAX_BODY = 1_048_576
MAX_SKEW_S = 300
SIGNATURE = "X-Copilot-Signature"
TIMESTAMP = "X-Copilot-Timestamp"
_EVENTS = TypeAdapter(list[CallEvent])


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The ``X-Copilot-Signature`` value of ``body`` sent at ``timestamp`` (for CTIs, tests and tools)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _unauthorised(detail: str) -> JSONResponse:
    return problem(401, detail, title="Unauthorized")


def cti_webhook_router(handle: CallEventHandler, secret: str, clock: Callable[[], float] = time.time,
                       max_skew_s: int = MAX_SKEW_S) -> APIRouter:
    """``POST /api/bridge/cti``; requests must be signed with ``secret`` (32 characters at least)."""
    if len(secret) < 32:
        raise ValueError("the CTI webhook needs a secret of 32 characters at least")
    router = APIRouter()

    @router.post("/api/bridge/cti", include_in_schema=False)
    async def cti(request: Request) -> JSONResponse:
        body = await request.body()
        if len(body) > MAX_BODY:
            return problem(413, f"body larger than {MAX_BODY} bytes", title="Payload too large")
        stamp, signature = request.headers.get(TIMESTAMP, ""), request.headers.get(SIGNATURE, "")
        if not stamp.isdigit() or not signature:
            return _unauthorised(f"{TIMESTAMP} (Unix seconds) and {SIGNATURE} (sha256=<hex>) are required")
        if abs(clock() - int(stamp)) > max_skew_s:
            log.warning("CTI webhook refused: timestamp %s out of the %d s window", stamp, max_skew_s)
            return _unauthorised(f"{TIMESTAMP} is more than {max_skew_s} seconds from the copilot's clock "
                                 "(replayed or clock skew)")
        if not hmac.compare_digest(signature.encode(), sign(secret, stamp, body).encode()):
            log.warning("CTI webhook refused: bad signature (from %s)", request.client)
            return _unauthorised(f"{SIGNATURE} does not match the body")
        try:
            parsed = json.loads(body)
        except ValueError:
            return problem(422, "the body is not JSON", title="Invalid CallEvents")
        batch = parsed if isinstance(parsed, list) else [parsed]
        if not batch or len(batch) > MAX_EVENTS:
            return problem(422, f"send one CallEvent or a list of 1 to {MAX_EVENTS}", title="Invalid CallEvents")
        try:
            events = _EVENTS.validate_python(batch)
        except ValidationError as exc:
            return _invalid(exc, single=not isinstance(parsed, list))
        return JSONResponse({"results": [await _apply(handle, event) for event in events]})

    return router


async def _apply(handle: CallEventHandler, event: CallEvent) -> dict[str, Any]:
    result: dict[str, Any] = {"call_id": event.call_id, "event": event.event.value}
    if event.event_id is not None:
        result["event_id"] = event.event_id
    try:
        dropped = await handle(event)
    except EventRefused as exc:
        log.warning("CTI event %s/%s refused: %s", event.call_id, event.event, exc)
        return result | {"status": "refused", "detail": str(exc)}
    except Exception:  # one failing event must not lose the others of the batch
        log.exception("CTI event %s/%s failed", event.call_id, event.event)
        return result | {"status": "failed", "detail": "internal error while handling the event"}
    return result | ({"status": "dropped", "dropped": dropped} if dropped else {"status": "applied"})


def _invalid(exc: ValidationError, single: bool) -> JSONResponse:
    """Each field at fault (``event``; ``2.event`` in a list); nothing of the batch is applied."""
    errors = []
    for error in exc.errors()[:50]:
        loc = [str(p) for p in error["loc"]][1 if single else 0:]
        errors.append({"field": ".".join(loc) or "body", "message": error["msg"]})
    return problem(422, "invalid CallEvent: nothing was applied", errors, title="Invalid CallEvents")
