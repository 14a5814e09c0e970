"""The one field-level filter every output of the CRM goes through, so a profile never reads elsewhere
what it may not read in the 360° view.

Everything here rests on ``fields.can_see``: each piece of an output (a history item, an eligibility
reason, a trace, a part of a screen pop, a chat answer) is tied to the 360° field whose content it
reveals, and is shown only when that field is visible to the actor. Deny by default: an unknown trace
name, interaction topic or pop key is not shown.
"""

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from stdnum import iban as stdnum_iban

from crm_core.models import Interaction, TraceEvent
from crm_core.services import eligibility as elig
from crm_core.services import habilitations, trace_names
from crm_core.services.actor import Actor
from crm_core.services.fields import BY_NAME, can_see, visible_fields

if TYPE_CHECKING:
    from crm_core.services.view360 import CustomerFile

Permissions = Collection[str]
F = TypeVar("F", bound="CustomerFile")

__all__ = ["NEUTRAL_REASON", "INTERACTION_TOPICS", "can_see", "visible_fields", "require_field", "customer_file",
           "interactions", "history_traces", "eligibility", "trace", "traces", "pop", "mask_ibans", "masked"]

# -- chat answers and other single reads -----------------------------------------------------------------


def require_field(actor: Actor, field_name: str) -> None:
    """NotAllowed (French message) unless the actor may see this 360° field."""
    if not can_see(actor.permissions, field_name):
        label = BY_NAME[field_name].label if field_name in BY_NAME else field_name
        raise habilitations.NotAllowed(
            f"Le profil « {actor.profile} » n'est pas habilité à voir cette information ({label}).")


# -- the 360° view ---------------------------------------------------------------------------------------

# What an interaction is about → the 360° fields its summary reveals (Interaction.topic).
INTERACTION_TOPICS: dict[str, tuple[str, ...]] = {
    "general": (),
    "billing": ("invoice_history",),
    "collection": ("collection",),
    "support": ("support_history",),
}


def _all_visible(permissions: Permissions, names: Iterable[str]) -> bool:
    return all(can_see(permissions, name) for name in names)


def interactions(items: Iterable[Interaction], permissions: Permissions) -> list[Interaction]:
    """The interactions whose topic the actor may see (an unknown topic is never shown)."""
    return [i for i in items
            if i.topic in INTERACTION_TOPICS and _all_visible(permissions, INTERACTION_TOPICS[i.topic])]


def history_traces(items: Iterable[TraceEvent], permissions: Permissions) -> list[TraceEvent]:
    """The traces the 360° history may list to the actor: named in the history and visible (see ``trace``)."""
    labels = trace_names.history_labels()
    return [t for t in items if t.name in labels and trace(t.name, t.data, permissions) is not None]


NEUTRAL_REASON = "critère réservé à un autre profil"


def eligibility(verdicts: Iterable[elig.Verdict], permissions: Permissions) -> list[elig.Verdict]:
    """Each failed rule's reason if the actor may see the field it reveals, else one neutral reason.

    The verdict itself never changes: an offer the customer is not eligible to stays « non éligible ».
    """
    shown = []
    for verdict in verdicts:
        reasons: list[str] = []
        for i, reason in enumerate(verdict.reasons):
            field_name = elig.REVEALS.get(verdict.rules[i]) if i < len(verdict.rules) else None  # unknown: hidden
            text = reason if field_name and can_see(permissions, field_name) else NEUTRAL_REASON
            if text not in reasons:
                reasons.append(text)
        shown.append(replace(verdict, reasons=reasons))
    return shown


def customer_file(file: F, permissions: Permissions) -> F:
    """The customer's file with only what the actor may see in the parts shared by several fields."""
    return replace(file, interactions=interactions(file.interactions, permissions),
                   traces=history_traces(file.traces, permissions),
                   eligibility=eligibility(file.eligibility, permissions),
                   # a complaint says how often it was already compensated only to whom may see the gestures
                   gestures=file.gestures if can_see(permissions, "gestures") else [])


# -- traces ----------------------------------------------------------------------------------------------


def trace(name: str, data: dict[str, Any] | None, permissions: Permissions) -> dict[str, Any] | None:
    """The trace's data as the actor may see it, or None when the trace must not be shown at all.

    Shown only when the name is registered and every field it reveals is visible; an edit's ``changes``
    are cut to the visible fields (None when none is left); lists of field names are cut to the visible
    ones; IBANs in free text are masked unless the payment method is visible.
    """
    spec = trace_names.get(name)
    if spec is None or not _all_visible(permissions, spec.reveals):
        return None
    shown = dict(data or {})
    changes = shown.get("changes")
    if isinstance(changes, list):
        kept = [c for c in changes if isinstance(c, dict)
                and can_see(permissions, trace_names.CHANGED_FIELDS.get(str(c.get("field")), ""))]
        if changes and not kept:
            return None
        shown["changes"] = kept
    for key in spec.field_lists:
        if isinstance(shown.get(key), list):
            shown[key] = [f for f in shown[key] if isinstance(f, str) and can_see(permissions, f)]
    if spec.guarded and not _shows_visible(permissions, shown.get("shows")):
        for key in spec.guarded:  # an act's French summary and result: only with every field they show
            shown.pop(key, None)
    return shown if can_see(permissions, "payment_method") else _mask_deep(shown)


def _shows_visible(permissions: Permissions, shows: Any) -> bool:
    """Whether the actor may see every 360° field a trace's ``shows`` lists (none listed: nothing shown)."""
    return isinstance(shows, list) and all(isinstance(f, str) and can_see(permissions, f) for f in shows)


def traces(items: Iterable[dict[str, Any]], permissions: Permissions) -> list[dict[str, Any]]:
    """Trace items (``{"name", "data", ...}``) as the actor may see them, the hidden ones left out."""
    shown = []
    for item in items:
        data = trace(item["name"], item.get("data"), permissions)
        if data is not None:
            shown.append({**item, "data": data})
    return shown


# -- the screen pop --------------------------------------------------------------------------------------

# Keys of the pop shown as they are (the call's state and the NLU's classification of the reason).
POP_KEYS = frozenset({"type", "call_id", "state", "identified", "journey", "journey_label", "confidence",
                      "low_confidence", "acts", "secondary_journeys", "nlu_status", "journey_corrected"})
# Keys of the pop's customer (a CustomerPublic) → the 360° field each belongs to; None: shown to any reader.
POP_CUSTOMER: dict[str, str | None] = {
    "id": None, "identified": None, "version": None,
    "display_name": "identity", "civility": "identity", "first_name": "identity", "last_name": "identity",
    "birth_date": "birth_date", "age": "birth_date", "email": "email", "address": "postal_address",
    "lines": "lines",
}
POP_LINE: dict[str, str | None] = {
    "id": "lines", "number": "lines", "display_number": "lines", "kind": "lines", "status": "lines",
    "offer_code": "offers_options", "offer_label": "offers_options",
    "activation_date": "activation_commitment", "commitment_end": "activation_commitment",
}


def _only(item: dict[str, Any], keys: Mapping[str, str | None], permissions: Permissions) -> dict[str, Any]:
    """The item's keys listed in ``keys`` whose field (None: any reader's) the actor may see."""
    return {k: v for k, v in item.items() if k in keys and _field_visible(permissions, keys[k])}


def _field_visible(permissions: Permissions, field_name: str | None) -> bool:
    return field_name is None or can_see(permissions, field_name)


def pop(message: dict[str, Any], permissions: frozenset[str]) -> dict[str, Any]:
    """The screen-pop message (``CallSessionManager.pop_message``) as the actor may see it.

    Without ``customer:read``: no customer, caller number, reason nor entities, and ``restricted``. Otherwise
    each attribute of the customer only if its 360° field is visible, the caller's number and words only
    with ``phones``, and IBANs in the caller's words masked unless the payment method is visible. Keys not
    listed here (POP_KEYS, POP_CUSTOMER, POP_LINE) are dropped: add a new key there to show it.
    """
    shown: dict[str, Any] = {k: v for k, v in message.items() if k in POP_KEYS}
    readable = habilitations.CUSTOMER_READ in permissions
    shown["restricted"] = not readable
    customer = message.get("customer")
    if readable and isinstance(customer, dict):
        customer = _only(customer, POP_CUSTOMER, permissions)
        if isinstance(customer.get("lines"), list):
            customer["lines"] = [_only(li, POP_LINE, permissions) for li in customer["lines"] if isinstance(li, dict)]
        shown["customer"] = customer
    else:
        shown["customer"] = None
    said = readable and can_see(permissions, "phones")
    shown["caller_number"] = message.get("caller_number") if said else None
    shown["reason"] = message.get("reason") if said else None
    shown["entities"] = list(message.get("entities") or []) if said else []
    if not can_see(permissions, "payment_method"):
        shown["reason"] = _mask_deep(shown["reason"])
        shown["entities"] = _mask_deep(shown["entities"])
    return shown


# -- IBANs in free text ----------------------------------------------------------------------------------

# Where an IBAN may start (a word beginning with a country code and two check digits), and how it goes on:
# 11 to 30 more letters or digits, possibly grouped by spaces. Every start is tried, so a false candidate
# just before an IBAN does not hide it.
_IBAN_START = re.compile(r"(?<![A-Za-z0-9])(?=[A-Za-z]{2}[0-9]{2})")
_IBAN_CANDIDATE = re.compile(r"[A-Za-z]{2}[0-9]{2}(?: ?[A-Za-z0-9]){11,30}")


IBAN_HIDDEN = "[IBAN masqué]"


def mask_ibans(text: str) -> str:
    """Every valid IBAN in ``text`` replaced by « [IBAN masqué] »: for profiles that may not see the payment
    method, not even the last digits that the 360° shows to those who may."""
    out, pos = [], 0
    for start in _IBAN_START.finditer(text):
        at = start.start()
        candidate = _IBAN_CANDIDATE.match(text, at) if at >= pos else None
        found = _longest_iban(candidate.group()) if candidate else None
        if found:
            out += [text[pos:at], IBAN_HIDDEN]
            pos = at + len(found)
    out.append(text[pos:])
    return "".join(out)


def _longest_iban(candidate: str) -> str | None:
    """The longest prefix of ``candidate`` that is a valid IBAN ending at a word boundary."""
    for end in range(len(candidate), 14, -1):
        piece = candidate[:end]
        if piece.endswith(" ") or (end < len(candidate) and candidate[end] != " "):
            continue
        if stdnum_iban.is_valid(piece):
            return piece
    return None


def masked(value: Any, permissions: Permissions) -> Any:
    """``value`` (text, or dicts and lists of it) with its IBANs masked, unless the payment method is visible."""
    return value if can_see(permissions, "payment_method") else _mask_deep(value)


def _mask_deep(value: Any) -> Any:
    if isinstance(value, str):
        return mask_ibans(value)
    if isinstance(value, dict):
        return {k: _mask_deep(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return [_mask_deep(v) for v in value]
    return value
