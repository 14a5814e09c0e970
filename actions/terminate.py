"""Journey "terminate": which line, and when (« résilie sa box au 31 décembre »)."""

from typing import Any

from actions import extract


def register_termination(text: str, form: dict[str, Any], intent: str,
                         entities: list[dict[str, Any]]) -> dict[str, Any]:
    filled: dict[str, Any] = {}
    line = extract.line(text, form)
    if line:
        filled["line"] = line
    when = extract.entity(entities, "date")
    if when:
        filled["termination_date"] = when
    return filled


def register_withdrawal(text: str, form: dict[str, Any], intent: str,
                        entities: list[dict[str, Any]]) -> dict[str, Any]:
    """« sa rétractation pour la commande »: the one order (or line) the words name, if only one does."""
    targets = extract.choices_of(form, "target")
    words = extract.fold(text)
    kind = "order:" if "commande" in words else "line:" if any(w in words for w in ("abonnement", "ligne")) else None
    found = [t for t in targets if kind and str(t["value"]).startswith(kind)]
    return {"target": str(found[0]["value"])} if len(found) == 1 else {}


FILLERS = {"register_termination": register_termination, "register_withdrawal": register_withdrawal}
