"""The canonical CallEvent: the one shape every telephony adapter produces.

Sent as JSON text frames over the bridge websocket (``/ws/bridge``). The JSON Schema in
``docs/schemas/call-event.schema.json`` is generated from this model (``copilot bridge schema``).

Version 2 (``"version": 2``) adds ``transferred`` (blind or attended, ``transfer``), ``dtmf`` (``digits``),
``transcript`` (partial or final, with the speaker), ``data`` (call-attached data), ``event_id`` (replays and
duplicates are dropped) and ``sequence`` (an event older than one already applied is dropped). Version 1 frames
(no ``version``) are still accepted: ``transferred_warm``/``transferred_cold`` are attended/blind transfers
and ``reason`` a final transcript of the caller; they are deprecated (docs/call-event.md).
"""

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
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
    TRANSFERRED = "transferred"  # v2: ``transfer.kind`` blind or attended, ``agent`` the advisor it goes to
    DTMF = "dtmf"  # v2: ``digits`` keyed in the IVR
    TRANSCRIPT = "transcript"  # v2: ``transcript`` (partial or final, with its speaker)
    DATA = "data"  # v2: call-attached data only (``data``)
    ENDED = "ended"
    TRANSFERRED_WARM = "transferred_warm"  # v1, deprecated: ``transferred`` with ``transfer.kind`` attended
    TRANSFERRED_COLD = "transferred_cold"  # v1, deprecated: ``transferred`` with ``transfer.kind`` blind
    REASON = "reason"  # v1, deprecated: ``transcript`` final, speaker caller


V2_ONLY = frozenset({CallEventKind.TRANSFERRED, CallEventKind.DTMF, CallEventKind.TRANSCRIPT, CallEventKind.DATA})
V1_ONLY = frozenset({CallEventKind.TRANSFERRED_WARM, CallEventKind.TRANSFERRED_COLD, CallEventKind.REASON})
TRANSFER_KINDS = frozenset({CallEventKind.TRANSFERRED, CallEventKind.TRANSFERRED_WARM,
                            CallEventKind.TRANSFERRED_COLD})
DataValue = safe_text(1000) | int | float | bool | None


class Transcript(BaseModel):
    """What speech recognition (the engine's, or the site's) heard: partial while the speaker talks, then final."""

    model_config = ConfigDict(extra="forbid")

    text: Annotated[safe_text(10_000, multiline=True), Field(description="The words heard.")]
    final: Annotated[bool, Field(description="False while the engine may still change it.")] = True
    speaker: Annotated[Literal["caller", "agent", "ivr", "unknown"], Field(
        description="Who said it: only the caller's final words make the call reason.")] = "caller"


class Transfer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Annotated[Literal["blind", "attended"], Field(
        description="blind (cold): the call goes without the advisors talking; attended (warm): they talk first.")]
    queue: Annotated[safe_text(80) | None, Field(description="The queue or group it goes to, if no advisor.")] = None


class CallEvent(BaseModel):
    """One step of one call, as the copilot understands it whatever the telephony engine."""

    model_config = ConfigDict(extra="forbid", title="CallEvent")

    version: Annotated[Literal[1, 2], Field(description="The protocol version; absent: 1 (deprecated).")] = 1
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
    event_id: Annotated[
        str | None,
        Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9._:@-]+$",
              description="v2: the engine's id of this event; an event already seen is acknowledged and dropped."),
    ] = None
    sequence: Annotated[
        int | None,
        Field(ge=0, le=2**53, description="v2: the event's rank in its call; an event older than one already "
                                          "applied is acknowledged and dropped (out-of-order delivery)."),
    ] = None
    digits: Annotated[
        str | None, Field(max_length=32, pattern=r"^[0-9*#A-D]+$", description="v2 ``dtmf``: the keys pressed.")
    ] = None
    transcript: Annotated[Transcript | None, Field(description="v2 ``transcript``: what was heard.")] = None
    transfer: Annotated[Transfer | None, Field(description="v2 ``transferred``: how; ``agent`` says to whom.")] = None
    data: Annotated[
        dict[Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")], DataValue] | None,
        Field(max_length=50, description="v2: call-attached data (CTI), merged into the call's; ≤ 50 keys."),
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


    @model_validator(mode="after")
    def _consistent(self) -> "CallEvent":
        kind = self.event
        if self.version == 2 and kind in V1_ONLY:
            raise PydanticCustomError("v1_event", "« {kind} » n'existe plus en version 2 : utilisez {instead}.",
                                      {"kind": kind.value, "instead": _V2_INSTEAD[kind]})
        if self.version == 1 and (kind in V2_ONLY or self.transcript or self.transfer or self.digits
                                  or self.data is not None or self.event_id or self.sequence is not None):
            raise PydanticCustomError("v2_field", "Champ ou événement de la version 2 : ajoutez \"version\": 2.")
        if kind is CallEventKind.TRANSFERRED and self.transfer is None:
            raise PydanticCustomError("transfer_missing", "« transferred » sans « transfer » (blind ou attended).")
        if kind is CallEventKind.DTMF and not self.digits:
            raise PydanticCustomError("digits_missing", "« dtmf » sans « digits ».")
        if kind is CallEventKind.TRANSCRIPT and self.transcript is None:
            raise PydanticCustomError("transcript_missing", "« transcript » sans « transcript ».")
        if kind is CallEventKind.DATA and not self.data:
            raise PydanticCustomError("data_missing", "« data » sans données.")
        return self

    # -- what the call session reads, whatever the version ---------------------------------------------------
    @property
    def is_transfer(self) -> bool:
        return self.event in TRANSFER_KINDS

    @property
    def transfer_kind(self) -> str | None:
        """attended (warm) or blind (cold), for either version."""
        if self.event is CallEventKind.TRANSFERRED_WARM:
            return "attended"
        if self.event is CallEventKind.TRANSFERRED_COLD:
            return "blind"
        return self.transfer.kind if self.transfer else None

    @property
    def state(self) -> str:
        """The call's state after this event, as the panels know it (v1 names for the transfers)."""
        kind = self.transfer_kind
        if kind is not None:
            return "transferred_warm" if kind == "attended" else "transferred_cold"
        return self.event.value

    @property
    def reason_words(self) -> str | None:
        """The caller's words this event brings: v1 ``reason_transcript``, v2 a final transcript of the caller."""
        if self.reason_transcript:
            return self.reason_transcript
        t = self.transcript
        return t.text if t is not None and t.final and t.speaker == "caller" and t.text.strip() else None

    @property
    def ivr_digits(self) -> str | None:
        return self.digits or self.ivr_choice


_V2_INSTEAD = {CallEventKind.TRANSFERRED_WARM: "« transferred » avec « transfer »: {\"kind\": \"attended\"}",
               CallEventKind.TRANSFERRED_COLD: "« transferred » avec « transfer »: {\"kind\": \"blind\"}",
               CallEventKind.REASON: "« transcript » (final, speaker caller)"}


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
