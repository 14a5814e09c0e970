"""The copilot's signed assertion: who asks, on which call, about which customer, for this very message.

The copilot signs one for each advisor message it relays to Rasa (HS256 with the internal secret shared by
our processes only). Rasa's copilot channel refuses messages without a valid one, and the custom actions
verify it again before reading anything: the advisor and the customer come from the assertion, never from
what a request says in plain metadata. Pure Python on PyJWT, which both runtimes have.
"""

import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass

import jwt

ISSUER = "mon-crm-copilot"
AUDIENCE = "mon-crm-assistant"
MAX_TTL_S = 600


class AssertionRefused(ValueError):
    """Missing, forged, expired, or made for another call or message (the reason is for logs)."""


@dataclass(frozen=True)
class CallAssertion:
    advisor: str
    call_id: str
    customer_id: int | None
    expires_at: int


def text_digest(text: str) -> str:
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()


def make_assertion(secret: str, *, advisor: str, call_id: str, customer_id: int | None, text: str,
                   ttl_s: int = 120, now: float | None = None) -> str:
    issued = int(now if now is not None else time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": advisor, "call": call_id, "customer": customer_id,
              "msg": text_digest(text), "iat": issued, "exp": issued + min(ttl_s, MAX_TTL_S),
              "jti": uuid.uuid4().hex}
    return jwt.encode(claims, secret, algorithm="HS256")


def verify_assertion(token: object, secret: str, *, call_id: str, text: str | None = None,
                     now: float | None = None) -> CallAssertion:
    """The assertion's content, if it is ours, unexpired, for ``call_id`` and (when given) for ``text``."""
    if not isinstance(token, str) or not token:
        raise AssertionRefused("no assertion")
    if not secret:
        raise AssertionRefused("no secret configured to verify assertions")
    options = {"require": ["exp", "iat", "iss", "aud", "sub"]}
    try:
        if now is None:
            claims = jwt.decode(token, secret, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER,
                                options=options)
        else:  # tests: judge expiry at ``now``
            claims = jwt.decode(token, secret, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER,
                                options={**options, "verify_exp": False})
            if int(claims["exp"]) <= now:
                raise jwt.ExpiredSignatureError("expired")
    except jwt.ExpiredSignatureError as exc:
        raise AssertionRefused("assertion expired") from exc
    except jwt.PyJWTError as exc:
        raise AssertionRefused(f"assertion invalid ({type(exc).__name__})") from exc
    if int(claims["exp"]) - int(claims["iat"]) > MAX_TTL_S:
        raise AssertionRefused("assertion lives too long")
    if claims.get("call") != call_id:
        raise AssertionRefused("assertion made for another call")
    if text is not None and claims.get("msg") != text_digest(text):
        raise AssertionRefused("assertion made for another message")
    customer = claims.get("customer")
    if customer is not None and (not isinstance(customer, int) or isinstance(customer, bool)):
        raise AssertionRefused("assertion names an invalid customer")
    advisor = claims["sub"]
    if not isinstance(advisor, str) or not advisor:
        raise AssertionRefused("assertion names no advisor")
    return CallAssertion(advisor, call_id, customer, int(claims["exp"]))


def reason_signature(secret: str, text: str) -> str:
    """``X-Copilot-Signature`` of a caller's reason the copilot sends to its channel's parse
    (``nlu/channels/copilot.py``): HMAC-SHA256 of the text with the internal secret."""
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def model_signature(secret: str, path: str, issued_at: int) -> str:
    """``X-Copilot-Signature`` of an order to load a published model (``/webhooks/copilot/model``): HMAC-SHA256
    of the archive's path and the order's time, so that an order cannot be replayed later."""
    return hmac.new(secret.encode(), f"model\n{path}\n{issued_at}".encode(), hashlib.sha256).hexdigest()
