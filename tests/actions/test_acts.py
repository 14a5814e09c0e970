"""Acts ordered in the chat, on recorded trackers: filled from the order, missing parameters asked for, the
preview and « Je confirme ? », nothing written before « oui », refusals in French, forged requests refused."""

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session, sessionmaker

import actions.crm
from actions.acts import ActionAskActAnswer, ActionCancelAct, ActionConfirmAct, ActionPrepareAct
from tests.actions.conftest import run, signed, tracker
from tests.conftest import count_rows

NEW_IBAN = "FR1420041010050500013M02606"


def _payment(crm: sessionmaker[Session], customer_id: int = 1) -> str:
    return str(count_rows(crm, "SELECT count(*) FROM payment_methods pm JOIN accounts a ON a.id = pm.account_id "
                          "WHERE a.customer_id = :c AND pm.active AND pm.iban = :i", c=customer_id, i=NEW_IBAN))


def test_a_read_act_is_answered_at_once_and_traced(crm: sessionmaker[Session]) -> None:
    [message], slots = run(ActionPrepareAct(), "quand finit son engagement ?", "copilot_commitment_end")
    assert "Box Fibre 2 Gb/s + TV (09 72 12 34 56) : engagé jusqu'au 01/09/2027" in message["text"]
    assert "Forfait 5G 200 Go (07 12 34 56 78) : engagement terminé depuis le 15/03/2026" in message["text"]
    assert message["custom"]["kind"] == "act_done"
    assert {li["commitment_end"] for li in message["custom"]["outcome"]["facts"]["lines"]} == {"2027-09-01",
                                                                                              "2026-03-15"}
    assert slots == {"act_pending": None, "act_needs_input": False, "act_answer": None}
    assert count_rows(crm, "SELECT count(*) FROM trace_events WHERE name='act.done' AND actor='n1.demo' "
                      "AND call_id='call-42' AND customer_id=1") == 1


def test_an_order_is_previewed_and_written_only_after_oui(crm: sessionmaker[Session]) -> None:
    text = f"passe-la en prélèvement sur {NEW_IBAN[:4]} {NEW_IBAN[4:8]} {NEW_IBAN[8:]}"
    [preview], slots = run(ActionPrepareAct(), text, "copilot_set_payment")
    assert preview["custom"]["kind"] == "act_preview" and preview["text"].endswith("Je confirme ?")
    assert "FR14 •••• •••• 2606" in preview["text"] and NEW_IBAN not in preview["text"]
    pending = slots["act_pending"]
    assert (pending["code"], pending["stage"], pending["params"]["kind"]) == ("change_payment_method", "confirm",
                                                                             "direct_debit")
    assert pending["params"]["holder"] == "Camille Martin"  # filled from the 360° view
    assert _payment(crm) == "0"  # nothing written yet

    [done], slots = run(ActionConfirmAct(), "oui", "affirm", slots={"act_pending": pending})
    assert done["text"].startswith("C'est fait.") and done["custom"]["kind"] == "act_done"
    assert slots["act_pending"] is None
    assert _payment(crm) == "1"
    assert count_rows(crm, "SELECT count(*) FROM trace_events WHERE name='act.done' AND call_id='call-42'") == 1


def test_non_at_confirmation_writes_nothing(crm: sessionmaker[Session]) -> None:
    _, slots = run(ActionPrepareAct(), f"prélèvement sur {NEW_IBAN}", "copilot_set_payment")
    [said], after = run(ActionCancelAct(), "non", "deny", slots={"act_pending": slots["act_pending"]})
    assert said["text"] == "Entendu, je n'ai rien modifié." and after["act_pending"] is None
    assert _payment(crm) == "0"
    assert count_rows(crm, "SELECT count(*) FROM trace_events WHERE name='act.cancelled' AND call_id='call-42'") == 1
    [nothing], _ = run(ActionConfirmAct(), "oui", "affirm", slots={"act_pending": None})
    assert nothing["text"] == "Il n'y a rien à confirmer."


def test_a_missing_parameter_is_asked_for_then_taken_from_the_answer(crm: sessionmaker[Session]) -> None:
    messages, slots = run(ActionPrepareAct(), "change son mail", "copilot_set_email")
    assert messages == [] and slots["act_needs_input"] is True
    pending = slots["act_pending"]
    assert pending["missing"] == "email"
    [asked], _ = run(ActionAskActAnswer(), "change son mail", "copilot_set_email", slots={"act_pending": pending})
    assert asked["text"] == "Il me faut : e-mail."

    [preview], slots = run(ActionPrepareAct(), "camille.m@exemple.org", "copilot_set_email",
                           slots={"act_pending": pending, "act_answer": "camille.m@exemple.org"})
    assert slots["act_needs_input"] is False and slots["act_pending"]["stage"] == "confirm"
    assert "camille.martin@exemple.fr → camille.m@exemple.org" in preview["text"]


def test_a_wrong_value_is_said_and_asked_again(crm: sessionmaker[Session]) -> None:
    [why], slots = run(ActionPrepareAct(), "mets son mail à camille@@exemple", "copilot_set_email")
    assert "e-mail invalide" in why["text"].lower() or "adresse e-mail invalide" in why["text"].lower()
    assert slots["act_needs_input"] is True and slots["act_pending"]["missing"] == "email"


def test_a_choice_is_answered_by_its_number(crm: sessionmaker[Session]) -> None:
    _, slots = run(ActionPrepareAct(), "donne-moi son RIO", "copilot_give_rio", customer_id=1)
    # the call comes from no known line here: which line is asked (Camille has two)
    pending = slots["act_pending"]
    assert pending["missing"] == "line"
    [asked], _ = run(ActionAskActAnswer(), "donne-moi son RIO", "copilot_give_rio", slots={"act_pending": pending})
    assert "1. " in asked["text"] and "2. " in asked["text"]
    [answer], slots = run(ActionPrepareAct(), "la 2", "copilot_give_rio",
                          slots={"act_pending": pending, "act_answer": "la 2"})
    assert "Code RIO de la ligne" in answer["text"] and slots["act_pending"] is None


def test_annule_while_asked_drops_the_act(crm: sessionmaker[Session]) -> None:
    _, slots = run(ActionPrepareAct(), "change son mail", "copilot_set_email")
    [said], after = run(ActionPrepareAct(), "annule", "deny", slots={"act_pending": slots["act_pending"],
                                                                      "act_answer": "annule"})
    assert said["text"] == "Entendu, je n'ai rien modifié." and after["act_pending"] is None


def test_refusals_are_said_in_french_and_write_nothing(crm: sessionmaker[Session]) -> None:
    [no_customer], _ = run(ActionPrepareAct(), "change son mail en a@b.fr", "copilot_set_email", customer_id=None)
    assert "Aucun client" in no_customer["text"]
    [forbidden], _ = run(ActionPrepareAct(), f"prélèvement sur {NEW_IBAN}", "copilot_set_payment",
                         advisor="n2.demo")
    assert forbidden["text"].startswith("Je ne peux pas le faire : Le profil « n2_technical » n'est pas habilité")
    assert _payment(crm) == "0"


def test_the_customer_changed_since_the_preview_drops_the_act(crm: sessionmaker[Session]) -> None:
    _, slots = run(ActionPrepareAct(), f"prélèvement sur {NEW_IBAN}", "copilot_set_payment")
    [said], _ = run(ActionConfirmAct(), "oui", "affirm", customer_id=3, slots={"act_pending": slots["act_pending"]})
    assert "a changé" in said["text"]
    assert _payment(crm) == "0" and _payment(crm, 3) == "0"


@pytest.mark.parametrize("forgery", ["plain_metadata", "no_metadata", "other_secret", "other_call", "other_text",
                                     "expired", "garbage"])
def test_an_order_not_signed_by_the_copilot_for_this_message_does_nothing(crm: sessionmaker[Session],
                                                                          forgery: str) -> None:
    text = f"prélèvement sur {NEW_IBAN}"
    metadata = {
        "plain_metadata": lambda: {"advisor": "sup.demo", "profile": "supervisor", "customer_id": 2},
        "no_metadata": lambda: {},
        "other_secret": lambda: signed("sup.demo", 2, text, secret="an-attacker-guessed-this-secret-0123456789"),
        "other_call": lambda: signed("sup.demo", 2, text, call_id="call-of-someone-else"),
        "other_text": lambda: signed("sup.demo", 2, "bonjour"),
        "expired": lambda: signed("sup.demo", 2, text, ttl_s=-1),
        "garbage": lambda: {"assertion": "not.a.jwt"},
    }[forgery]()
    [message], _ = run(ActionPrepareAct(), text, "copilot_set_payment", metadata=metadata)
    assert message["text"] == actions.crm.REFUSED
    assert not message.get("custom")
    assert count_rows(crm, "SELECT count(*) FROM trace_events WHERE name LIKE 'act.%' OR name = 'customer.read'") == 0
    assert count_rows(crm, "SELECT count(*) FROM trace_events WHERE name='security.assertion_rejected' "
                      "AND call_id='call-42'") == 1


def test_a_move_ordered_in_a_sentence_is_previewed_then_done(crm: sessionmaker[Session]) -> None:
    text = "elle déménage au 10 rue de Crimée 75019 Paris le 15 janvier"
    dispatcher = CollectingDispatcher()
    moved = tracker(text, "copilot_move", signed("n1.demo", 1, text))
    moved.latest_message["entities"] = [{"entity": "date", "value": "2027-01-15"}]  # as the NLU finds it
    events = ActionPrepareAct().run(dispatcher, moved, {})
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    [preview] = dispatcher.messages
    assert preview["text"].endswith("Je confirme ?"), preview["text"]
    assert "10 rue de Crimée, 75019 Paris" in preview["text"]
    assert slots["act_pending"]["params"] == {"address_line": "10 rue de Crimée", "postcode": "75019",
                                              "city": "Paris", "move_date": "2027-01-15"}
    assert count_rows(crm, "SELECT count(*) FROM customer_events WHERE customer_id = 1 AND kind = 'move'") == 0
    [done], _ = run(ActionConfirmAct(), "oui", "affirm", slots={"act_pending": slots["act_pending"]})
    assert done["text"].startswith("C'est fait."), done["text"]
    assert count_rows(crm, "SELECT count(*) FROM customer_events WHERE customer_id = 1 AND kind = 'move'") == 1


def test_after_an_answer_the_next_missing_value_is_asked_by_the_form(crm: sessionmaker[Session]) -> None:
    dispatcher = CollectingDispatcher()
    first = tracker("crée-lui une fiche client", "copilot_create_customer", signed("n1.demo", None,
                                                                                  "crée-lui une fiche client"))
    events = ActionPrepareAct().run(dispatcher, first, {})
    pending = next(e["value"] for e in events if e.get("name") == "act_pending")
    assert pending["missing"] == "civility"
    answer = tracker("2", "out_of_scope", signed("n1.demo", None, "2"),
                     slots={"act_pending": pending, "act_answer": "2"})
    events = ActionPrepareAct().run(CollectingDispatcher(), answer, {})
    pending = next(e["value"] for e in events if e.get("name") == "act_pending")
    assert pending["params"]["civility"] == "M." and pending["missing"] == "first_name"
    assert any(e["event"] == "followup" and e["name"] == "act_param_form" for e in events)  # whatever the rules
