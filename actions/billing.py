"""Journey "billing_payment": what an advisor's order says about the payment method and invoices."""

from typing import Any

from actions import extract
from crm_core.text import fold

KINDS = (("prelev", "direct_debit"), ("carte", "card"), ("cb", "card"), ("virement", "transfer"), ("cheque", "cheque"))


def change_payment_method(text: str, form: dict[str, Any], intent: str,
                          entities: list[dict[str, Any]]) -> dict[str, Any]:
    """« passe-le en prélèvement sur FR76 … »: the kind said (or implied by an IBAN) and the IBAN."""
    filled: dict[str, Any] = {}
    words = fold(text)
    kind = next((k for word, k in KINDS if word in words.split() or word in words), None)
    found = extract.iban(text)
    if found:
        filled["iban"] = found
        kind = kind or "direct_debit"
    if kind:
        filled["kind"] = kind
    return filled


def send_invoice_duplicate(text: str, form: dict[str, Any], intent: str,
                           entities: list[dict[str, Any]]) -> dict[str, Any]:
    filled: dict[str, Any] = {}
    words = fold(text)
    if "courrier" in words or "poste" in words:
        filled["channel"] = "letter"
    elif "mail" in words:
        filled["channel"] = "email"
    invoices = next((p["choices"] for p in form["params"] if p["name"] == "invoice"), None) or []
    picked = extract.choice(text, invoices) if any(m in words for m in ("facture de", "derniere", "numero")) else None
    if picked:
        filled["invoice"] = picked
    return filled


FILLERS = {"change_payment_method": change_payment_method, "send_invoice_duplicate": send_invoice_duplicate}
