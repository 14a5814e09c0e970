"""The handover of a transfer, drafted in French from the call's record (its trace) and the CRM, never
invented: each section says where it comes from, and ``for_reader`` cuts it to what the receiving advisor
may see (the one permission filter's rule, field by field) before the readable text is written again.

Sections: ``reason`` (the caller's own words), ``journey``, ``identity_check``, ``customer_facts`` (the 360°
facts the journey needs, with their priority), ``acts_done``, ``diagnostics_tried`` (with results),
``remaining``, ``flags`` (complaint, guardianship, electronic tag, debt, mood) and ``text``.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from crm_core.acts import scripts
from crm_core.acts.catalogue import ACTS, label_for
from crm_core.services import formatting as fmt
from crm_core.services import permission_filter
from crm_core.services.fields import can_see
from crm_core.text import fold
from crm_core.transfers.call_record import CallRecord, next_script_step
from crm_core.transfers.routing import Routing

DIAGNOSTIC_ACTS = ("diagnose_line", "run_script", "check_eligibility", "check_withdrawal_period",
                   "check_commitment_end", "explain_invoice", "review_complaints")
# The 360° fields the flags are read from (read for every journey, shown only to whom may see them)
FLAG_FIELDS = ("guardianship", "electronic_tag", "balance", "collection", "ongoing_events")
REASON_FIELD = "phones"  # the caller's words may hold numbers: shown as the call's traces are
FLAG_LABELS = {"complaint": "Réclamation", "guardianship": "Mesure de protection", "electronic_tag":
               "Bracelet électronique", "debt": "Impayé", "unhappy": "Client mécontent"}


def draft(routing: Routing, record: CallRecord, team: str, view: Mapping[str, dict[str, Any]],
          prerequisites: list[dict[str, Any]], checked: set[str], flags: list[dict[str, Any]],
          customer_name: str | None = None) -> dict[str, Any]:
    """The handover of ``record`` to ``team``; ``view``: the 360° fields read for it (name → field with its
    ``value``, ``display``, ``label``, ``priority``), as the sending advisor may see them; ``flags``: the call's
    (``draft_flags``, which the routing reads first)."""
    journey = record.journey
    identity = next((p for p in prerequisites if p["code"] == "identity_checked"), None)
    handover: dict[str, Any] = {
        "call_id": record.call_id,
        "customer_id": record.customer_id,
        "customer_name": customer_name,
        "team": team,
        "team_label": routing.teams[team].label,
        "reason": {"text": record.reason, "field": REASON_FIELD} if record.reason else None,
        "journey": {"code": journey, "label": label_for(journey), "corrected": record.corrected,
                    "predicted": record.predicted_journey},
        "identity_check": {
            "checked": bool(identity and identity["done"]) or "identity_checked" in checked,
            "source": identity["source"] if identity and identity["done"] else
            ("advisor" if "identity_checked" in checked else None),
            "identified_by": record.identified_by if record.customer_id is not None else None,
        },
        "customer_facts": [_fact(view[name]) for name in routing.facts_for(journey) if name in view],
        "acts_done": [{"act": a.act, "label": a.label, "summary": a.summary, "at": a.at.isoformat(), "by": a.by,
                       "shows": list(a.shows)} for a in record.acts],
        "diagnostics_tried": [_diagnostic(a) for a in record.acts if a.act in DIAGNOSTIC_ACTS],
        "remaining": _remaining(record, prerequisites),
        "flags": flags,
    }
    handover["text"] = text(handover)
    return handover


def _fact(f: dict[str, Any]) -> dict[str, Any]:
    return {"field": f["name"], "label": f["label"], "priority": f["priority"], "display": f["display"]}


def _diagnostic(a: Any) -> dict[str, Any]:
    solved = a.result.get("solved") if a.act == "run_script" else None
    return {"act": a.act, "label": a.label, "result": a.summary, "solved": solved, "at": a.at.isoformat(),
            "shows": list(a.shows)}


def _remaining(record: CallRecord, prerequisites: list[dict[str, Any]]) -> list[dict[str, Any]]:
    left: list[dict[str, Any]] = []
    for a in record.acts:
        step = next_script_step(a)
        if step:
            script = scripts.get(str(a.result.get("script")))
            left.append({"text": f"Script « {script.title if script else a.result.get('script')} » non résolu : "
                                 f"reprendre à « {step} »", "source": "script", "shows": list(a.shows)})
        later_script = any(b.act == "run_script" and b.at >= a.at and b.result.get("line") == a.result.get("line")
                           for b in record.acts if b is not a)
        if a.act == "diagnose_line" and a.result.get("resume_at") and not later_script:  # else the script's own
            left.append({"text": f"Reprendre à : {a.result['resume_at']}", "source": "diagnosis",
                         "shows": list(a.shows)})
    done = set(record.acts_done)
    for n in record.not_done:
        if n.act in done:
            continue
        label = next((a.label for a in record.acts if a.act == n.act), None) or _act_label(n.act)
        if n.stage == "previewed":
            left.append({"text": f"{label} : préparé, non validé", "source": "act_previewed", "shows": []})
        else:
            left.append({"text": f"{label} : refusé — {n.reason or 'sans motif'}", "source": "act_refused",
                         "shows": ["lines"]})  # an act's refusal may name the lines (trace act.refused)
    left += [{"text": f"À faire : {p['label']}", "source": "prerequisite", "shows": []}
             for p in prerequisites if not p["done"] and not p["blocking"]]
    return left


def _act_label(code: str) -> str:
    spec = ACTS.get(code)
    return spec.label if spec else code


def _display(f: dict[str, Any]) -> str:
    shown = f["display"]
    return " ; ".join(shown) if isinstance(shown, list) else str(shown)


def draft_flags(routing: Routing, record: CallRecord, view: Mapping[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The call's flags, each with the detail that shows it and the 360° field it comes from."""
    flags: list[dict[str, Any]] = []

    def flag(code: str, detail: str, field: str | None) -> None:
        flags.append({"code": code, "label": FLAG_LABELS[code], "detail": detail, "field": field})

    events = view.get("ongoing_events")
    complaints = [e for e in (events["value"] if events and isinstance(events["value"], list) else [])
                  if isinstance(e, dict) and e.get("kind") in ("complaint", "escalation")]
    if complaints:
        shown = events["display"] if isinstance(events["display"], list) else [events["display"]]  # type: ignore[index]
        flag("complaint", " ; ".join(s for s in shown if s.startswith("Réclamation")) or _display(events),  # type: ignore[arg-type]
             "ongoing_events")
    elif record.journey == "complaint":
        flag("complaint", "Appel pour une réclamation", None)
    if (g := view.get("guardianship")) and g["value"]:
        flag("guardianship", _display(g), "guardianship")
    if (tag := view.get("electronic_tag")) and tag["value"]:
        flag("electronic_tag", _display(tag), "electronic_tag")
    balance = view.get("balance")
    if balance and _negative(balance["value"]):
        flag("debt", f"Solde du compte : {_display(balance)}", "balance")
    if (c := view.get("collection")) and c["value"]:
        flag("debt", _display(c), "collection")
    words = _unhappy(routing, record)
    if words:
        flag("unhappy", ", ".join(f"« {w} »" for w in words) + " (mots du client)", REASON_FIELD)
    return flags


def _negative(value: Any) -> bool:
    try:
        return float(value) < 0
    except (TypeError, ValueError):
        return False


def _unhappy(routing: Routing, record: CallRecord) -> list[str]:
    said = f" {fold(record.reason or '')} {' '.join(fold(t) for t in record.chat)} ".replace("’", "'")
    return [w for w in routing.unhappy_words if f" {fold(w)}" in said or f"'{fold(w)}" in said]


def flag_codes(handover: Mapping[str, Any]) -> list[str]:
    return sorted({f["code"] for f in handover.get("flags") or []})


# -- what a reader sees ------------------------------------------------------------------------------------------
def for_reader(handover: Mapping[str, Any], permissions: frozenset[str]) -> dict[str, Any]:
    """The handover as an advisor with ``permissions`` may see it: facts, flags and the acts' results cut to the
    visible fields, IBANs masked, and the text written again from what is left."""
    if not handover:
        return {}

    def visible(field: str | None) -> bool:
        return field is None or can_see(permissions, field)

    def shows_visible(item: Mapping[str, Any]) -> bool:
        return all(can_see(permissions, f) for f in item.get("shows") or [])

    shown = dict(handover)
    reason = handover.get("reason")
    shown["reason"] = reason if reason and visible(reason.get("field")) else None
    shown["customer_facts"] = [f for f in handover.get("customer_facts") or [] if visible(f["field"])]
    shown["flags"] = [f for f in handover.get("flags") or [] if visible(f.get("field"))]
    shown["acts_done"] = [a if shows_visible(a) else {**a, "summary": None} for a in handover.get("acts_done") or []]
    shown["diagnostics_tried"] = [d if shows_visible(d) else {**d, "result": None}
                                  for d in handover.get("diagnostics_tried") or []]
    shown["remaining"] = [r for r in handover.get("remaining") or [] if shows_visible(r)]
    if not visible("identity"):
        shown["customer_name"] = None
    shown["text"] = text(shown)
    return permission_filter.masked(shown, permissions)


# -- the readable text ------------------------------------------------------------------------------------------
def text(h: Mapping[str, Any]) -> str:
    """The handover as an advisor reads it aloud or pastes it: French, section by section."""
    journey = h.get("journey") or {}
    lines = [f"Transfert vers {h.get('team_label')} — parcours : {journey.get('label') or 'non détecté'}"
             + (" (corrigé par le conseiller)" if journey.get("corrected") else "")]
    if h.get("customer_name"):
        lines.append(f"Client : {h['customer_name']}")
    reason = h.get("reason")
    lines.append(f"Motif (mots du client) : « {reason['text']} »" if reason else "Motif : non recueilli")
    ident = h.get("identity_check") or {}
    by = {"line": "reconnu par sa ligne", "advisor": "rattaché à l'appel par le conseiller"}.get(
        ident.get("identified_by") or "", "non identifié")
    lines.append(f"Identité : {'vérifiée' if ident.get('checked') else 'NON vérifiée'} ; client {by}")
    if h.get("flags"):
        lines.append("Points d'attention :")
        lines += [f"- {f['label']} : {f['detail']}" for f in h["flags"]]
    if h.get("customer_facts"):
        lines.append("Dossier client :")
        lines += [f"- {f['label']} : {_display(f)}" for f in h["customer_facts"]]
    diagnostics = {(d["act"], d["at"]) for d in h.get("diagnostics_tried") or []}
    acts = [a for a in h.get("acts_done") or [] if (a["act"], a["at"]) not in diagnostics]  # with their results below
    if acts or not h.get("diagnostics_tried"):
        lines.append("Actes faits pendant l'appel :" if acts else "Actes faits pendant l'appel : aucun")
    lines += [f"- {fmt.hm(_at(a['at']))} {a['label']}" + (f" — {a['summary']}" if a.get("summary") else "")
              for a in acts]
    if h.get("diagnostics_tried"):
        lines.append("Diagnostics tentés :")
        lines += [f"- {fmt.hm(_at(d['at']))} {d['label']}" + (f" : {d['result']}" if d.get("result") else "")
                  for d in h["diagnostics_tried"]]
    lines.append("Reste à faire :" if h.get("remaining") else "Reste à faire : rien de noté")
    lines += [f"- {r['text']}" for r in h.get("remaining") or []]
    return "\n".join(lines)


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)
