"""Journeys "become_customer" and "change_offer": which line goes to which plan (« passe sa box sur la fibre
1 Gb »); a new customer's file is asked for field by field."""

from typing import Any

from actions import extract


def change_offer(text: str, form: dict[str, Any], intent: str, entities: list[dict[str, Any]]) -> dict[str, Any]:
    filled: dict[str, Any] = {}
    line = extract.line(text, form)
    if line:
        filled["line"] = line
    offer = extract.choice(text, extract.choices_of(form, "offer_code"))
    if offer:
        filled["offer_code"] = offer
    return filled


FILLERS = {"change_offer": change_offer}
