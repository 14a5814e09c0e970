"""The canonical CallEvent: the one shape every telephony adapter produces.

Sent as JSON text frames over the bridge websocket (``/ws/bridge``). The JSON Schema in
``docs/schemas/call-event.schema.json`` is generated from this model (``copilot bridge schema``).
"""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


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
        str | None, Field(max_length=32, description="Calling number (CLI) as the engine gives it.")
    ] = None
    reason_transcript: Annotated[
        str | None, Field(max_length=10_000, description="The call reason as said (speech recognition) or typed.")
    ] = None
    ivr_choice: Annotated[str | None, Field(max_length=32, description="Menu choice made in the IVR (DTMF).")] = None
    agent: Annotated[
        str | None, Field(max_length=80, description="Login of the advisor the call is presented to.")
    ] = None
    occurred_at: Annotated[
        datetime | None, Field(description="When the engine saw it (ISO 8601); defaults to reception.")
    ] = None

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
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
