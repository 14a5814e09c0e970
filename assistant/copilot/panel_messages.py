"""The panel websocket's messages, typed: what a panel may send (validated) and what it receives.

``docs/schemas/panel-inbound.schema.json`` is generated from ``PanelInbound`` and
``docs/schemas/panel-outbound.schema.json`` from ``PanelOutbound`` (``copilot panel schema --side …``); a test
keeps both equal to the code, and checks that every frame the app sends validates against ``PanelOutbound``.
An inbound frame of any other shape gets a French ``error`` frame; the socket stays open. The protocol, both
ways, with examples: ``docs/panel-protocol.md``.
"""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from crm_core.schemas.acts import ActOutcome, Choice
from crm_core.schemas.transfers import TransferSummary, TransferView
from crm_core.services.call_access import CALL_ID

CallId = Annotated[str, Field(min_length=1, max_length=80, pattern=CALL_ID.pattern,
                              description="The call the message is about.")]


class _Inbound(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Chat(_Inbound):
    """A question to the copilot on a call of one's own."""

    type: Literal["chat"]
    call_id: CallId
    text: Annotated[str, Field(min_length=1, max_length=2000)]


class AttachCustomer(_Inbound):
    """The customer picked by hand for a call whose number was unknown."""

    type: Literal["attach_customer"]
    call_id: CallId
    customer_id: Annotated[int, Field(ge=1, le=2**31 - 1, strict=True)]


class Renew(_Inbound):
    """A new token before the current one expires: permissions are read again."""

    type: Literal["renew"]
    token: Annotated[str, Field(min_length=1, max_length=4096)]


PanelInbound = Annotated[Chat | AttachCustomer | Renew, Field(discriminator="type")]
_INBOUND: TypeAdapter[Chat | AttachCustomer | Renew] = TypeAdapter(PanelInbound)

_FIELD_FR = {"type": "type de message", "call_id": "identifiant d'appel", "text": "texte",
             "customer_id": "numéro de client", "token": "jeton"}


class InvalidFrame(ValueError):
    """A frame that is none of the messages above (the message is French, for the advisor)."""


def parse_inbound(raw: str | bytes | None) -> Chat | AttachCustomer | Renew:
    if raw is None:
        raise InvalidFrame("Message illisible : texte JSON attendu.")
    try:
        return _INBOUND.validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] in ("json_invalid", "json_type", "dict_type", "model_attributes_type", "model_type"):
            raise InvalidFrame("Message illisible : objet JSON avec « type » attendu.") from exc
        if first["type"] in ("union_tag_invalid", "union_tag_not_found"):
            raise InvalidFrame("Type de message inconnu (attendus : chat, attach_customer, renew).") from exc
        where = next((str(p) for p in reversed(first["loc"]) if isinstance(p, str) and p in _FIELD_FR), None)
        raise InvalidFrame(f"Message refusé : {_FIELD_FR[where] if where else 'contenu'} invalide.") from exc


def error(detail: str, call_id: str | None = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "error", "detail": detail}
    if call_id:
        frame["call_id"] = call_id
    return frame


# -- what the panel receives ----------------------------------------------------------------------------
# Built as plain dicts where they are sent (``panel_ws``, ``sessions``, the permission filter of the pop); the
# models say what those dicts are. Unknown keys are refused, so a key added there without being added here
# fails the tests instead of reaching the panels undocumented.


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def _absent(description: str) -> Any:
    """A key that may be missing (never null): left out by the permission filter, or sent only sometimes."""
    return Field(default=None, description=description, json_schema_extra=_no_default)


_HIDDEN = "Left out when the advisor may not see its 360° field ({})."
CallState = Literal["offered", "answered", "held", "resumed", "transferred_warm", "transferred_cold", "ended",
                    "expired"]


class _Outbound(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Session(_Outbound):
    type: str
    advisor: str = Field(description="The advisor's login.")
    profile: str = Field(description="The advisor's business profile (n1_customer_contact, supervisor…).")
    permissions: list[str] = Field(description="Today's effective permissions (profile and lent packs), sorted.")
    expires_at: datetime = Field(description="When the token expires: the socket closes then (code 4401) unless "
                                             "the panel sends ``renew`` before.")


class Hello(_Session):
    """On connection, once the token is accepted."""

    type: Literal["hello"]


class Renewed(_Session):
    """The answer to ``renew``: the new token's expiry and the permissions read again."""

    type: Literal["renewed"]


class SessionExpired(_Outbound):
    """The token expired without a renewal: the socket closes next (code 4401)."""

    type: Literal["session_expired"]
    detail: str = Field(description="French, for the advisor.")


class Error(_Outbound):
    """A frame or a request refused (French reason); the socket stays open unless the token was refused."""

    type: Literal["error"]
    detail: str = Field(description="French, for the advisor.")
    call_id: CallId = _absent("The call the refused request was about (only for chat and attach_customer).")


class PopLine(_Outbound):
    """One of the customer's lines (``CustomerPublic.lines``), cut by the permission filter (``POP_LINE``)."""

    id: int = _absent(_HIDDEN.format("lines"))
    number: str = _absent(_HIDDEN.format("lines"))
    display_number: str = _absent(_HIDDEN.format("lines"))
    kind: str = _absent(_HIDDEN.format("lines"))
    status: str = _absent(_HIDDEN.format("lines"))
    offer_code: str = _absent(_HIDDEN.format("offers_options"))
    offer_label: str = _absent(_HIDDEN.format("offers_options"))
    activation_date: date = _absent(_HIDDEN.format("activation_commitment"))
    commitment_end: date | None = _absent(_HIDDEN.format("activation_commitment"))


class PopCustomer(_Outbound):
    """The caller (``CustomerPublic``), cut by the permission filter (``POP_CUSTOMER``): ``id``, ``identified``
    and ``version`` are always there, every other key only when its 360° field is visible to the advisor."""

    id: int
    identified: bool
    version: int = Field(description="The customer's version, for the acts' optimistic lock.")
    display_name: str = _absent(_HIDDEN.format("identity"))
    civility: str = _absent(_HIDDEN.format("identity"))
    first_name: str = _absent(_HIDDEN.format("identity"))
    last_name: str = _absent(_HIDDEN.format("identity"))
    birth_date: date | None = _absent(_HIDDEN.format("birth_date"))
    age: int | None = _absent(_HIDDEN.format("birth_date"))
    email: str | None = _absent(_HIDDEN.format("email"))
    address: str = _absent(_HIDDEN.format("postal_address"))
    lines: list[PopLine] = _absent(_HIDDEN.format("lines"))


class SuggestedAct(_Outbound):
    """An act the call's journeys call for: the primary journey's first, then the secondary ones'."""

    code: str
    label: str
    writes: bool = Field(description="Whether the act changes the customer's file (else it only reads).")
    journey: str = Field(description="The journey that suggests it.")


class SecondaryJourney(_Outbound):
    """Another reason of the same call."""

    journey: str
    label: str


class Entity(_Outbound):
    """Something the NLU found in the caller's words (IBANs masked unless the payment method is visible)."""

    entity: str | None
    value: Any
    text: Any = Field(description="The words as said (the value when the extractor gave no position).")


class ScreenPop(_Outbound):
    """The call's context, for the advisor it is presented to (and the supervisors following it), through the
    permission filter: without ``customer:read`` no customer, number, reason nor entities (``restricted``)."""

    type: Literal["screen_pop"]
    call_id: CallId
    state: CallState
    caller_number: str | None = Field(description="Null unless the advisor may see the phones.")
    customer: PopCustomer | None = Field(description="Null for an unknown number or a restricted panel.")
    identified: bool = Field(description="Whether the caller's customer is known (by the number or by hand).")
    reason: str | None = Field(description="The call reason as said; null unless the advisor may see the phones.")
    journey: str | None = Field(description="The primary journey (the NLU's, or the advisor's correction).")
    journey_label: str | None
    journey_corrected: bool = Field(description="The advisor chose the journey (``POST /api/calls/{id}/journey``).")
    confidence: float | None = Field(ge=0, le=1, description="The NLU's confidence; null when corrected or none.")
    low_confidence: bool = Field(description="The reason is in doubt: the panel asks the advisor to confirm it.")
    acts: list[SuggestedAct]
    secondary_journeys: list[SecondaryJourney]
    entities: list[Entity]
    nlu_status: Literal["ok", "unavailable", "no_reason"]
    restricted: bool = Field(description="The advisor may not read customer data (no ``customer:read``).")


class CallUpdate(_Outbound):
    """The call moved on (held, resumed, transferred: the first advisor sees it leave; ended or expired)."""

    type: Literal["call_update"]
    call_id: CallId
    state: Literal["held", "resumed", "transferred_warm", "transferred_cold", "ended", "expired"]


class CallUnassigned(_Outbound):
    """For supervisors: a call that waits for an advisor (no customer data)."""

    type: Literal["call_unassigned"]
    call_id: CallId
    state: CallState
    since: datetime = Field(description="When the copilot heard of the call first.")


# The « custom » payloads of the copilot's chat messages (the actions' ``json_message``).
class AnswerField(_Outbound):
    name: str = Field(description="The 360° field.")
    label: str
    block: str = Field(description="The 360° block it is shown in.")
    value: Any
    display: str | list[str] = Field(description="French, as the 360° view shows it.")


class Answer(_Outbound):
    """A question about the customer answered from the 360° view (``actions/questions.py``)."""

    kind: Literal["answer"]
    fields: list[AnswerField]


class PreviewOutcome(ActOutcome):
    """What the act will change, read and say (``crm_core.acts.service``); nothing written yet."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["preview"]


class DoneOutcome(ActOutcome):
    """What the act changed, read and said (``crm_core.acts.service``)."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["done"]


class ActPreview(_Outbound):
    """An act ordered in the chat, previewed: nothing is written before the advisor answers « oui »."""

    kind: Literal["act_preview"]
    outcome: PreviewOutcome


class ActDone(_Outbound):
    """An act done: a read answered at once, or a change confirmed by « oui »."""

    kind: Literal["act_done"]
    outcome: DoneOutcome


class QuestionParam(_Outbound):
    name: str
    label: str
    required: bool
    choices: list[Choice] | None = Field(description="The values to choose from, answered by their number "
                                                     "(1, 2…); null: free input.")


class ActQuestion(_Outbound):
    """A parameter the ordered act still needs: the advisor's next message answers it."""

    kind: Literal["act_question"]
    param: QuestionParam


class JourneyActs(_Outbound):
    """What the advisor typed is a journey: its acts (``actions/journeys.py``)."""

    kind: Literal["journey"]
    journey: str
    acts: list[str] = Field(description="The journey's act codes, in the order the panel suggests them.")


Custom = Annotated[Answer | ActPreview | ActDone | ActQuestion | JourneyActs, Field(discriminator="kind")]


class BotMessage(_Outbound):
    """One message of the copilot as Rasa's channel gives it: a text, or the custom payload of the text before
    it (Rasa sends them as two messages in a row), and a text with blank lines as several messages."""

    text: str | None
    custom: Custom | None


class ChatReply(_Outbound):
    """The copilot's answer to a ``chat`` frame, to the advisor who asked."""

    type: Literal["chat_reply"]
    call_id: CallId
    messages: list[BotMessage]
    error: str = _absent("French: the copilot could not be reached (then ``messages`` is empty).")


class TransferOffered(_Outbound):
    """To the panels of a level-2 team: a warm transfer to acknowledge or decline, with its handover cut to what
    the advisor may see (``crm_core.transfers.handover.for_reader``)."""

    type: Literal["transfer_offered"]
    call_id: CallId
    transfer: TransferView


class TransferUpdate(_Outbound):
    """A transfer moved on: to the level-1 advisor who asked for it (acknowledged, declined with its reason,
    picked up, closed with the outcome) and to the team's panels (requested in the basket, taken, declined,
    cancelled), so that their lists follow."""

    type: Literal["transfer_update"]
    call_id: CallId
    event: Literal["requested", "acknowledged", "declined", "picked_up", "closed", "cancelled"]
    transfer: TransferSummary
    by: str = Field(description="The login of the advisor who did it.")
    by_name: str | None = Field(description="Their name, as colleagues know them.")


Outbound = (Hello | Renewed | SessionExpired | Error | ScreenPop | CallUpdate | CallUnassigned | ChatReply
            | TransferOffered | TransferUpdate)
PanelOutbound = Annotated[Outbound, Field(discriminator="type")]
OUTBOUND: TypeAdapter[Outbound] = TypeAdapter(PanelOutbound)

_SCHEMAS = {"inbound": (_INBOUND, "PanelInbound"), "outbound": (OUTBOUND, "PanelOutbound")}


def json_schema(side: Literal["inbound", "outbound"] = "inbound") -> dict[str, Any]:
    """The JSON Schema of what a panel may send (inbound) or what it receives (outbound)."""
    adapter, title = _SCHEMAS[side]
    schema = adapter.json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = title
    schema["$id"] = f"https://mon-crm-copilot.example/schemas/panel-{side}.schema.json"
    return schema
