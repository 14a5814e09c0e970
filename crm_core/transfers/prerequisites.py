"""The checklist of a transfer: each prerequisite of the route, done in the call's trace, ticked by the
advisor, or not done; a blocking one not done stops the transfer."""

from collections.abc import Iterable
from typing import Any

from crm_core.acts.catalogue import ACTS
from crm_core.services import formatting as fmt
from crm_core.transfers.call_record import CallRecord
from crm_core.transfers.routing import Choice, Routing


class UnknownPrerequisite(ValueError):
    pass


def checklist(routing: Routing, choice: Choice, record: CallRecord, checked: Iterable[str]) -> list[dict[str, Any]]:
    """``[{"code", "label", "blocking", "done", "source", "evidence"}]``: ``source`` is ``trace`` (with what
    the trace shows), ``advisor`` (ticked) or None (not done)."""
    ticked = set(checked)
    unknown = sorted(ticked - set(routing.prerequisites))
    if unknown:
        raise UnknownPrerequisite(f"Prérequis inconnu : {', '.join(c[:40] for c in unknown[:5])}.")
    items = []
    for code, blocking in [*((c, True) for c in choice.blocking), *((c, False) for c in choice.advised)]:
        spec = routing.prerequisites[code]
        evidence = _in_trace(spec.done_by, record) if spec.done_by else None
        source = "trace" if evidence else "advisor" if code in ticked else None
        items.append({"code": code, "label": spec.label, "blocking": blocking, "done": source is not None,
                      "source": source, "evidence": evidence})
    return items


def missing(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [p for p in items if p["blocking"] and not p["done"]]


def _in_trace(done_by: Any, record: CallRecord) -> str | None:
    """What in the call's trace shows the prerequisite done (French), or None."""
    if done_by.customer and record.customer_id is not None:
        return "client reconnu par sa ligne" if record.identified_by == "line" else "client rattaché à l'appel"
    for act in record.acts:
        if act.act in done_by.acts:
            return f"{ACTS[act.act].label} à {fmt.hm(act.at)}"
    steps = record.script_steps_done()
    for step in done_by.script_steps:
        if step in steps:
            return f"étape « {step} » d'un script guidé"
    return None
