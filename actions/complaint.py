"""Journey "complaint": what the complaint is about, and the gesture's amount and reason (« fais-lui un geste de
10 euros pour la coupure »)."""

from typing import Any

from actions import extract


def open_complaint(text: str, form: dict[str, Any], intent: str, entities: list[dict[str, Any]]) -> dict[str, Any]:
    summary = extract.after(text, "reclamation sur", "reclamation pour", "reclamation concernant", "reclamation :",
                            "reclamation")
    return {"summary": summary} if summary else {}


def grant_gesture(text: str, form: dict[str, Any], intent: str, entities: list[dict[str, Any]]) -> dict[str, Any]:
    filled: dict[str, Any] = {}
    amount = extract.amount(text, entities)
    if amount:
        filled["amount"] = amount
    reason = extract.after(text, " pour ", " motif ", " parce que ", " suite a ")
    if reason:
        filled["reason"] = reason
    return filled


FILLERS = {"open_complaint": open_complaint, "grant_gesture": grant_gesture}
