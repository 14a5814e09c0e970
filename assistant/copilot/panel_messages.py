"""The panel websocket's messages, typed: what a panel may send (validated) and what it receives.

``docs/schemas/panel-inbound.schema.json`` is generated from ``PanelInbound`` (``copilot panel schema``)
and kept equal by a test. A frame of any other shape gets a French ``error`` frame; the socket stays open.
"""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

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


def json_schema() -> dict[str, Any]:
    schema = _INBOUND.json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "PanelInbound"
    schema["$id"] = "https://mon-crm-copilot.example/schemas/panel-inbound.schema.json"
    return schema
