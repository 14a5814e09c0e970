"""The advisor's questions about the customer (« il doit combien ? »): answered from the 360° view, naming the
field each answer comes from, through the permission filter and traced as a read of those fields only."""

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.crm import NotFromCopilot, call_context, crm_session
from crm_core.acts.catalogue import CHAT
from crm_core.services.customers import CustomerNotFound, CustomerService
from crm_core.services.habilitations import NotAllowed


def answer_text(fields: list[dict[str, Any]]) -> str:
    parts = []
    for f in fields:
        display = f["display"] if isinstance(f["display"], str) else " ; ".join(f["display"])
        parts.append(f"{f['label']} (360° › {f['block_label']}) : {display}")
    return "\n".join(parts)


class ActionAnswerQuestion(Action):
    def name(self) -> str:
        return "action_answer_question"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name") or ""
        chat = CHAT.get(intent)
        if chat is None or not chat.fields:
            dispatcher.utter_message(text="Je n'ai pas compris la question.")
            return []
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
                fields = CustomerService(session, actor).fields(customer_id, list(chat.fields))
        except CustomerNotFound:
            dispatcher.utter_message(text=f"Le client {customer_id} est introuvable dans le CRM.")
            return []
        except NotAllowed as exc:
            dispatcher.utter_message(text=str(exc))
            return []
        dispatcher.utter_message(text=answer_text(fields), json_message={
            "kind": "answer", "fields": [{"name": f["name"], "label": f["label"], "block": f["block"],
                                          "value": f["value"], "display": f["display"]} for f in fields]})
        return []
