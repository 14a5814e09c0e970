"""A screen-pop message as ``CallSessionManager.pop_message`` builds it, for the permission filter's tests."""

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from crm_core.models import Customer
from crm_core.services.customers import to_public


def pop_message(sessions: sessionmaker[Session], customer_id: int, reason: str, iban: str) -> dict[str, Any]:
    """The pop of a call from the customer's first line, the caller saying ``reason`` (with ``iban`` in it)."""
    with sessions() as s:
        customer = to_public(s.get(Customer, customer_id)).model_dump(mode="json")
    return {"type": "screen_pop", "call_id": "c1", "state": "answered", "caller_number": customer["lines"][0]["number"],
            "customer": customer, "identified": True, "reason": reason, "journey": "billing",
            "journey_label": "Ma facture", "confidence": 0.9, "low_confidence": False,
            "acts": [{"code": "a", "label": "Un acte"}], "secondary_journeys": [],
            "entities": [{"entity": "iban", "value": iban, "text": iban}], "nlu_status": "ok"}
