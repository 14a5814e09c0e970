"""Acts ordered in French in the chat: prepare (fill from the order, ask what is missing), preview, confirm.

The flow, driven by the rules of ``assistant/data/rules/copilot.yml``:

1. an order (``copilot_set_payment``…) → ``action_prepare_act``: the act's form is opened through the act
   service (filled from the call and the 360° view), completed from the words of the order by the journey's
   module (``actions.account``, ``actions.billing``, ``actions.move``…), and either a missing parameter is
   asked for (the form ``act_param_form`` takes the next message as the answer) or the preview is shown with
   « Je confirme ? »;
2. « oui » → ``action_confirm_act`` executes it; « non » → ``action_cancel_act`` drops it. Nothing is written
   before « oui ». An act that only reads is done at once.

The act itself (habilitation, rules, transaction, trace) is ``crm_core.acts.service.ActService``'s.
"""

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import account, billing, complaint, extract, move, offers, support, terminate
from actions.crm import NotFromCopilot, act_service, call_context, said
from crm_core.acts.base import ActRefused
from crm_core.acts.catalogue import ACTS, CHAT
from crm_core.services.errors import NotFound, StaleVersion
from crm_core.services.habilitations import NotAllowed
from crm_core.services.validation import ValidationFailed

FILLERS = {**account.FILLERS, **billing.FILLERS, **move.FILLERS, **terminate.FILLERS, **offers.FILLERS,
           **support.FILLERS, **complaint.FILLERS}
PENDING, NEEDS_INPUT, ANSWER = "act_pending", "act_needs_input", "act_answer"
FORM = "act_param_form"
NO_CUSTOMER = "Aucun client n'est identifié sur cet appel : recherchez-le d'abord."
REFUSALS = (ActRefused, NotAllowed, NotFound, StaleVersion)


def _done(dispatcher: CollectingDispatcher, text: str, custom: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    dispatcher.utter_message(text=text, json_message=custom)
    return [SlotSet(PENDING, None), SlotSet(NEEDS_INPUT, False), SlotSet(ANSWER, None)]


def _ask(pending: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """Ask for one value with the form; after an answer, the next value too (the form comes next whatever the
    rules matched: ``FollowupAction``)."""
    pending["missing"] = name
    return [SlotSet(PENDING, pending), SlotSet(NEEDS_INPUT, True), SlotSet(ANSWER, None), FollowupAction(FORM)]


def outcome_text(outcome: dict[str, Any]) -> str:
    """The French text of a preview or a result: what changes (before → after), what to tell, what was read."""
    parts = [outcome["summary"]]
    parts += [f"{c['label']} : {c['before']} → {c['after']}" for c in outcome["changes"]]
    parts += [f"{d['label']} : {d['value']}" for d in outcome["details"]]
    parts += [f"⚠ {w}" for w in outcome["warnings"]]
    return "\n".join(parts)


def missing_param(pending: dict[str, Any]) -> dict[str, Any] | None:
    return next((p for p in pending["form"] if p["required"] and pending["params"].get(p["name"]) in (None, "")),
                None)


def question(param: dict[str, Any]) -> str:
    text = f"Il me faut : {param['label'].lower()}."
    if param.get("choices"):
        text += "\n" + "\n".join(f"{i}. {c['label']}" for i, c in enumerate(param["choices"], start=1))
    return text


def _refusal_text(exc: Exception) -> str:
    if isinstance(exc, ValidationFailed):
        return "Je ne peux pas le faire : " + " ; ".join(e.message for e in exc.errors)
    return f"Je ne peux pas le faire : {exc}"


class ActionPrepareAct(Action):
    def name(self) -> str:
        return "action_prepare_act"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            actor, customer_id = call_context(tracker)
        except NotFromCopilot as exc:
            return _done(dispatcher, str(exc))
        service = act_service(actor)
        pending = tracker.get_slot(PENDING)
        answer = tracker.get_slot(ANSWER)
        try:
            if answer is not None and isinstance(pending, dict) and pending.get("missing"):
                return self._answered(dispatcher, service, pending, str(answer))
            return self._ordered(dispatcher, service, tracker, customer_id)
        except REFUSALS as exc:
            return _done(dispatcher, _refusal_text(exc))

    def _ordered(self, dispatcher: CollectingDispatcher, service: Any, tracker: Tracker,
                 customer_id: int | None) -> list[dict[str, Any]]:
        """A new order: the act's form filled from the call, then from the order's words."""
        intent = (tracker.latest_message.get("intent") or {}).get("name") or ""
        chat = CHAT.get(intent)
        if chat is None or chat.act is None:
            return _done(dispatcher, "Je n'ai pas compris quel acte faire.")
        if customer_id is None and ACTS[chat.act].needs_customer:
            return _done(dispatcher, NO_CUSTOMER)
        form = service.open(chat.act, customer_id)
        params = {p["name"]: p["value"] for p in form["params"] if p["value"] not in (None, "")}
        params.update(dict(chat.params))
        filler = FILLERS.get(chat.act)
        if filler is not None:
            params.update(filler(said(tracker), form, intent, tracker.latest_message.get("entities") or []))
        form_params = [{k: p[k] for k in ("name", "label", "required", "choices")} for p in form["params"]]
        for p in form_params:
            p["required"] = p["required"] or p["name"] in chat.requires
        pending = {"code": chat.act, "customer_id": customer_id, "params": params, "form": form_params}
        return self._go_on(dispatcher, service, pending)

    def _answered(self, dispatcher: CollectingDispatcher, service: Any, pending: dict[str, Any],
                  answer: str) -> list[dict[str, Any]]:
        """The advisor's answer to the parameter asked for (or « annule »)."""
        if extract.is_cancel(answer):
            service.cancel(pending["code"], pending["customer_id"], "form")
            return _done(dispatcher, "Entendu, je n'ai rien modifié.")
        param = next(p for p in pending["form"] if p["name"] == pending["missing"])
        value = extract.choice(answer, param["choices"]) if param.get("choices") else answer.strip()
        if value is None:
            dispatcher.utter_message(text="Je n'ai pas reconnu ce choix.")
            return _ask(pending, param["name"])
        pending["params"][param["name"]] = value
        return self._go_on(dispatcher, service, pending)

    def _go_on(self, dispatcher: CollectingDispatcher, service: Any, pending: dict[str, Any]) -> list[dict[str, Any]]:
        """Ask for what is missing, else do a read at once, else show the preview and ask to confirm."""
        missing = missing_param(pending)
        if missing is not None:
            return _ask(pending, missing["name"])
        spec = ACTS[pending["code"]]
        try:
            if not spec.writes:
                outcome = service.execute(spec.code, pending["customer_id"], pending["params"])
                return _done(dispatcher, outcome_text(outcome), {"kind": "act_done", "outcome": outcome})
            outcome = service.preview(spec.code, pending["customer_id"], pending["params"])
        except ValidationFailed as exc:  # a value of the order is wrong: say why and ask for it again
            wrong = next((p for p in pending["form"] if p["name"] == exc.errors[0].field), None)
            if wrong is None:
                return _done(dispatcher, _refusal_text(exc))
            pending["params"].pop(wrong["name"], None)
            dispatcher.utter_message(text=exc.errors[0].message)
            return _ask(pending, wrong["name"])
        pending.update(missing=None, stage="confirm", version=outcome["version"])
        dispatcher.utter_message(text=outcome_text(outcome) + "\nJe confirme ?",
                                 json_message={"kind": "act_preview", "outcome": outcome})
        return [SlotSet(PENDING, pending), SlotSet(NEEDS_INPUT, False), SlotSet(ANSWER, None)]


class ActionAskActAnswer(Action):
    """How ``act_param_form`` asks for its one slot: the missing parameter of the pending act."""

    def name(self) -> str:
        return "action_ask_act_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        pending = tracker.get_slot(PENDING)
        if not isinstance(pending, dict) or not pending.get("missing"):
            dispatcher.utter_message(text="Que voulez-vous faire ?")
            return []
        param = next(p for p in pending["form"] if p["name"] == pending["missing"])
        dispatcher.utter_message(text=question(param), json_message={"kind": "act_question", "param": param})
        return []


class ActionConfirmAct(Action):
    def name(self) -> str:
        return "action_confirm_act"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        pending = tracker.get_slot(PENDING)
        if not isinstance(pending, dict) or pending.get("stage") != "confirm":
            return _done(dispatcher, "Il n'y a rien à confirmer.")
        try:
            actor, customer_id = call_context(tracker)
            if customer_id != pending["customer_id"]:
                return _done(dispatcher, "Le client de l'appel a changé : l'acte préparé est abandonné.")
            outcome = act_service(actor).execute(pending["code"], customer_id, pending["params"], pending["version"])
        except NotFromCopilot as exc:
            return _done(dispatcher, str(exc))
        except (*REFUSALS, ValidationFailed) as exc:
            return _done(dispatcher, _refusal_text(exc))
        return _done(dispatcher, "C'est fait. " + outcome_text(outcome), {"kind": "act_done", "outcome": outcome})


class ActionCancelAct(Action):
    def name(self) -> str:
        return "action_cancel_act"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        pending = tracker.get_slot(PENDING)
        if not isinstance(pending, dict):
            return _done(dispatcher, "D'accord, rien n'est en cours.")
        try:
            actor, _customer_id = call_context(tracker)
            stage = "preview" if pending.get("stage") == "confirm" else "form"
            act_service(actor).cancel(pending["code"], pending["customer_id"], stage)
        except (NotFromCopilot, NotAllowed):
            pass  # nothing was written either way
        return _done(dispatcher, "Entendu, je n'ai rien modifié.")
