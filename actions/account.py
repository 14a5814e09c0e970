"""Journey "manage_account": what an advisor's order says about contacts and the RIO."""

from typing import Any

from actions import extract


def update_contact_details(text: str, form: dict[str, Any], intent: str,
                           entities: list[dict[str, Any]]) -> dict[str, Any]:
    """« change son mail en … » / « son nouveau numéro c'est le 06 … »: only the field the order is about."""
    if intent == "copilot_set_email":
        found = extract.email(text)
        return {"email": found} if found else {}
    if intent == "copilot_set_phone":
        found = extract.phone(text)
        return {"contact_phone": found} if found else {}
    return {}


def give_rio(text: str, form: dict[str, Any], intent: str,
             entities: list[dict[str, Any]]) -> dict[str, Any]:
    number = extract.phone(text)  # « le RIO du 06 … »: that line, if it is one of the customer's
    return {"line": number} if number else {}


FILLERS = {"update_contact_details": update_contact_details, "give_rio": give_rio}
