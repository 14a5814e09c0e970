"""The one registry of trace names: every dotted name the code records, and what each one reveals.

A trace is shown to an advisor only when every 360° field it ``reveals`` is visible to them (see
``permission_filter``); a name that is not registered is refused when recorded (``tracing.record``,
``TraceBuffer.record``) and never shown. Registering a name is one line::

    register("call.expired", "phones")

``history`` is the French label of the trace in the 360° history (block alerts), when it appears there;
``field_lists`` names the data keys that hold lists of 360° field names (cut to the visible ones when shown).
The ``changes`` of an edit trace (``[{"field": ..., "before": ..., "after": ...}]``) name model attributes:
``CHANGED_FIELDS`` ties each to the 360° field it belongs to.
"""

from dataclasses import dataclass

from crm_core.services import fields


@dataclass(frozen=True)
class TraceName:
    name: str
    reveals: tuple[str, ...] = ()  # 360° fields whose content the trace's data shows
    history: str | None = None  # French label in the 360° history, if it appears there
    field_lists: tuple[str, ...] = ()  # data keys listing 360° field names
    guarded: tuple[str, ...] = ()  # data keys shown only when every field the data's ``shows`` lists is visible


REGISTRY: dict[str, TraceName] = {}


def register(name: str, *reveals: str, history: str | None = None, field_lists: tuple[str, ...] = (),
             guarded: tuple[str, ...] = ()) -> TraceName:
    """Register a trace name with the 360° fields it reveals (each must be a field of the catalogue)."""
    unknown = [f for f in reveals if f not in fields.BY_NAME]
    if unknown:
        raise ValueError(f"trace {name!r} reveals unknown 360° fields {unknown}")
    REGISTRY[name] = TraceName(name, tuple(reveals), history, field_lists, guarded)
    return REGISTRY[name]


def get(name: str) -> TraceName | None:
    return REGISTRY.get(name)


def require(name: str) -> TraceName:
    """The registered name, or ValueError: nothing untraceable is recorded."""
    spec = REGISTRY.get(name)
    if spec is None:
        raise ValueError(f"unregistered trace name {name!r}: register it in crm_core/services/trace_names.py")
    return spec


def history_labels() -> dict[str, str]:
    """Trace name → French label, for the traces that appear in the 360° history."""
    return {n.name: n.history for n in REGISTRY.values() if n.history}


# What an edit's ``changes[].field`` (a model attribute) belongs to in the 360° view.
CHANGED_FIELDS: dict[str, str] = {
    "email": "email",
    "contact_phone": "phones",
    "address_line": "postal_address",
    "postcode": "postal_address",
    "city": "postal_address",
    "payment_method": "payment_method",
    "options": "offers_options",
    "guardianship": "guardianship",
}
# An act's changes name the 360° field they belong to directly (``crm_core.acts.base.Change``).
for _field in fields.FIELDS:
    CHANGED_FIELDS.setdefault(_field.name, _field.name)

# -- the call: its events carry the caller's number, the NLU and the chat what was said -------------
for _event in ("offered", "answered", "held", "resumed", "transferred_warm", "transferred_cold", "reason",
               "ended", "expired", "unassigned", "access_refused", "event_rejected", "reopened", "restored",
               "transferred", "dtmf", "transcript", "data", "correlated", "wrapup"):
    register(f"call.{_event}", "phones")
register("nlu.predicted", "phones")
register("nlu.unavailable", "phones")
register("screen_pop.sent", "phones", history="Appel reçu")
register("chat.asked", "phones")
register("action.executed", "lines", history="Réponse du copilote")  # recorded before the acts (older databases)

# -- reads of customer data ---------------------------------------------------------------------------
register("customer.lookup")
register("customer.searched")
register("customer.read", field_lists=("fields", "sensitive"))

# -- edits (their ``changes`` are cut to the visible fields, see CHANGED_FIELDS) ----------------------
register("customer.updated", history="Coordonnées modifiées")
register("payment_method.changed", "payment_method", history="Moyen de paiement modifié")
register("option.added", "offers_options", "lines", history="Option ajoutée")
register("option.removed", "offers_options", "lines", history="Option retirée")
register("guardianship.changed", "guardianship", history="Mesure de protection modifiée")

# -- management acts (crm_core.acts): suggested in the pop, opened, previewed, done, dropped, refused ----
register("act.suggested", "phones")  # the pop of a call: its journey's acts
register("nlu.corrected", "phones")  # the advisor switched the journey the NLU detected
register("act.opened")
register("act.previewed")  # changes cut to the visible fields, as for edits
register("act.done", history="Acte réalisé", guarded=("summary", "result"))
register("act.cancelled")
register("act.refused", "lines")  # the French reason may name the customer's lines and offers

# -- level-2 transfers (crm_core.transfers): durations in seconds for the steering ----------------------------
register("transfer.prerequisites_checked")
register("transfer.requested", history="Transfert demandé")
register("transfer.acknowledged")
register("transfer.declined")
register("transfer.picked_up")
register("transfer.closed", history="Transfert clos")
register("transfer.connected")  # the telephony bridge moved the call (transferred_warm / transferred_cold)
register("transfer.refused")

# -- the trainer's console (trainer/): reasons are masked, no customer data -----------------------------------
register("trainer.inbox_read")
register("trainer.inbox_rejected")
register("trainer.example_added")
register("trainer.example_relabelled")
register("trainer.example_retired")
register("trainer.model_training")
register("trainer.model_trained")
register("trainer.model_failed")
register("trainer.model_published")
register("trainer.model_rolled_back")
register("trainer.publish_refused")
register("trainer.publish_failed")
register("trainer.examples_exported")

# -- the steering (steering/): who read which figures; no customer data ----------------------------------------
for _read in ("read", "compared", "acts_read", "calls_listed", "calls_exported", "call_read", "live_read",
              "refused"):
    register(f"kpi.{_read}")
register("steering.rebuilt")  # `copilot steering rebuild`

# -- habilitations and security (no customer data) ----------------------------------------------------
register("habilitation.pack_lent")
register("habilitation.pack_revoked")
register("security.assertion_rejected")
register("session.renewed")
