"""When the advisor types what the caller wants (« il veut résilier sa box »): the journey's acts, to click or
to order in the chat. Nothing is read from the CRM: the catalogue says what the journey calls for."""

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from crm_core.acts.catalogue import acts_for, label_for


class ActionJourneyActs(Action):
    def name(self) -> str:
        return "action_journey_acts"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        journey = (tracker.latest_message.get("intent") or {}).get("name")
        acts = acts_for(journey)
        if not acts:
            dispatcher.utter_message(response="utter_default")
            return []
        dispatcher.utter_message(
            text=f"Motif « {label_for(journey)} » : " + " ; ".join(a.label for a in acts) + ".",
            json_message={"kind": "journey", "journey": journey, "acts": [a.code for a in acts]})
        return []
