"""The canonical CallEvent: the one shape every telephony adapter produces.

Sent as JSON text frames over the bridge websocket (``/ws/bridge``). The JSON Schema in
``docs/schemas/call-event.schema.json`` is generated from this model (``copilot bridge schema``).
"""

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from crm_core.text import safe_text

# How far ``occurred_at`` may be from the copilot's clock: a replayed or skewed engine, not a forged history.
MAX_AGE = timedelta(days=7)
MAX_AHEAD = timedelta(minutes=5)


def utcnow() -> datetime:
    """The copilot's clock for ``occurred_at`` (tests monkeypatch it)."""
    return datetime.now(UTC)


class CallEventKind(StrEnum):
    OFFERED = "offered"
    ANSWERED = "answered"
    HELD = "held"
    RESUMED = "resumed"
    TRANSFERRED_WARM = "transferred_warm"
    TRANSFERRED_COLD = "transferred_cold"
    REASON = "reason"
    ENDED = "ended"


class CallEvent(BaseModel):
    """One step of one call, as the copilot understands it whatever the telephony engine."""

    model_config = ConfigDict(extra="forbid", title="CallEvent")

    call_id: Annotated[
        str,
        Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9._:@-]+$",
              description="Identifier of the call, stable across its events."),
    ]
    event: Annotated[CallEventKind, Field(description="What happened to the call.")]
    caller_number: Annotated[
        safe_text(32) | None, Field(description="Calling number (CLI) as the engine gives it.")
    ] = None
    reason_transcript: Annotated[
        safe_text(10_000, multiline=True) | None,
        Field(description="The call reason as said (speech recognition) or typed; may hold line breaks and tabs."),
    ] = None
    ivr_choice: Annotated[safe_text(32) | None, Field(description="Menu choice made in the IVR (DTMF).")] = None
    agent: Annotated[
        safe_text(80) | None, Field(description="Login of the advisor the call is presented to.")
    ] = None
    occurred_at: Annotated[
        datetime | None,
        Field(description="When the engine saw it (ISO 8601, naive times are UTC); defaults to reception. At most "
                          "7 days before and 5 minutes after the copilot's clock."),
    ] = None

    @field_validator("occurred_at")
    @classmethod
    def _plausible(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return value
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        now = utcnow()
        if value < now - MAX_AGE:
            raise PydanticCustomError("datetime_too_old", "Horodatage invraisemblable : plus de 7 jours avant "
                                      "l'heure du copilote ({now}).", {"now": now.isoformat(timespec="seconds")})
        if value > now + MAX_AHEAD:
            raise PydanticCustomError("datetime_too_far_ahead", "Horodatage invraisemblable : plus de 5 minutes "
                                      "après l'heure du copilote ({now}).", {"now": now.isoformat(timespec="seconds")})
        return value


class InvalidCallEvent(ValueError):
    """A frame that is not a CallEvent; the message says why, field by field."""


def parse_call_event(raw: str | bytes) -> CallEvent:
    try:
        return CallEvent.model_validate_json(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'message'}: {err['msg']}" for err in exc.errors()[:10]
        )
        raise InvalidCallEvent(f"invalid CallEvent: {problems}") from exc


def json_schema() -> dict:
    schema = CallEvent.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://mon-crm-copilot.example/schemas/call-event.schema.json"
    return schema
