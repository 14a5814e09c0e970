"""Journey "manage_account": answers about the customer's account from the CRM."""

from datetime import date
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.crm import NotFromCopilot, call_context, crm_session
from crm_core.core import clock
from crm_core.services import tracing
from crm_core.services.customers import CustomerNotFound, CustomerService
from crm_core.services.habilitations import NotAllowed


def today() -> date:
    return clock.today()


def _fr(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def commitment_phrase(end: date | None, on: date) -> str:
    if end is None:
        return "sans engagement"
    if end < on:
        return f"engagement terminé depuis le {_fr(end)}"
    return f"engagé jusqu'au {_fr(end)}"


class ActionCommitmentEnd(Action):
    def name(self) -> str:
        return "action_commitment_end"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            actor, customer_id = call_context(tracker)
        except NotFromCopilot as exc:
            dispatcher.utter_message(text=str(exc))
            return []
        if customer_id is None:
            dispatcher.utter_message(text="Aucun client n'est identifié sur cet appel : recherchez-le d'abord.")
            return []
        try:
            with crm_session() as session:
                lines = CustomerService(session, actor).commitment_ends(customer_id)
                tracing.record(session, "action.executed", actor, customer_id=customer_id,
                               action=self.name(), lines=len(lines))
        except CustomerNotFound:
            dispatcher.utter_message(text=f"Le client {customer_id} est introuvable dans le CRM.")
            return []
        except NotAllowed as exc:
            dispatcher.utter_message(text=str(exc))
            return []
        if not lines:
            dispatcher.utter_message(text="Ce client n'a aucune ligne.")
            return []
        on = today()
        parts = [f"{li.offer_label} ({li.display_number}) : {commitment_phrase(li.commitment_end, on)}" for li in lines]
        dispatcher.utter_message(
            text="Fin d'engagement — " + " ; ".join(parts) + ".",
            json_message={
                "kind": "commitment_end",
                "lines": [
                    {"number": li.number, "offer": li.offer_label,
                     "commitment_end": li.commitment_end.isoformat() if li.commitment_end else None}
                    for li in lines
                ],
            },
        )
        return []
