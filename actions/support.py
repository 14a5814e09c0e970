"""Journeys "breakdown" and "usage_help": the ticket an order opens (« ouvre un ticket : plus d'internet depuis
hier soir »)."""

from typing import Any

from actions import extract


def open_ticket(text: str, form: dict[str, Any], intent: str, entities: list[dict[str, Any]]) -> dict[str, Any]:
    filled: dict[str, Any] = {}
    line = extract.line(text, form)
    if line:
        filled["line"] = line
    summary = extract.after(text, "ticket", "incident")
    if summary:
        filled["summary"] = summary
    return filled


FILLERS = {"open_ticket": open_ticket}
