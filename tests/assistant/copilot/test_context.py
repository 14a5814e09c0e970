"""The customer's situation beside the words (issue 10): each rule on hand-made rankings and situations, what
must not change, the read of the situation on the demo CRM, and the pop of Kévin's roaming complaint."""

import asyncio
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from assistant.copilot import context
from assistant.copilot.context import (
    BOOST,
    OpenEvent,
    OpenOrder,
    RecentContact,
    Situation,
    acts_in_context,
    contextual,
    contextual_parse,
    read_situation,
    rerank,
)
from assistant.copilot.nlu_client import JourneyPrediction, RasaClient, prediction_from_parse, suggested_acts
from assistant.copilot.panel_hub import PanelHub
from assistant.copilot.sessions import CallSessionManager
from crm_core.core.db import transaction
from crm_core.services.habilitations import PROFILES, system_actor
from telephony_bridge.events import CallEvent

MOBILE = frozenset({"mobile"})
BOTH = frozenset({"mobile", "fixed"})
KEVIN = Situation(4, MOBILE, events=(OpenEvent("complaint", "Conteste des frais de roaming facturés en octobre"),))
FIBRE_ORDER = OpenOrder("WEB-2611-0107", "Commande Box Fibre", ("Rendez-vous technicien", "Activation de la ligne"))
PHONE_ORDER = OpenOrder("WEB-2611-0042", "Commande smartphone", ("Livraison en boutique Lyon Part-Dieu",))
NOTHING_OPEN = Situation(7, BOTH)


def best(ranking: list[tuple[str, float]]) -> str:
    return ranking[0][0]


def total(ranking: list[tuple[str, float]]) -> float:
    return sum(c for _, c in ranking)


# -- an identified customer is not becoming a customer ----------------------------------------------------------
NEW_CUSTOMER_RANKING = [("become_customer", 0.62), ("manage_account", 0.14), ("change_offer", 0.10),
                        ("move", 0.04)]


def test_an_identified_customer_asking_about_offers_changes_offer() -> None:
    ranking, fired = rerank(NEW_CUSTOMER_RANKING, Situation(2, BOTH), "je voudrais des renseignements sur la fibre")
    assert fired == ["not_new_customer"] and best(ranking) == "change_offer"
    assert dict(ranking)["become_customer"] == 0.0 and total(ranking) == pytest.approx(total(NEW_CUSTOMER_RANKING))


def test_the_journey_of_an_open_order_takes_become_customer_when_the_caller_speaks_of_it() -> None:
    sophie = Situation(3, MOBILE, orders=(FIBRE_ORDER,),
                       events=(OpenEvent("move", "Emménagement rue de Crimée, box fibre commandée sur le web"),))
    ranking, fired = rerank(NEW_CUSTOMER_RANKING, sophie, "le technicien il passe quand pour ma commande")
    assert best(ranking) == "move" and "not_new_customer" in fired and "open_order" in fired


@pytest.mark.parametrize("said", ["je voudrais une deuxième ligne pour ma fille",  # a new line is becoming a customer
                                  "je voudrais prendre une box internet en plus"])  # so is a service they do not have
def test_a_new_line_or_a_service_not_held_stays_becoming_a_customer(said: str) -> None:
    ranking, fired = rerank(NEW_CUSTOMER_RANKING, Situation(8, MOBILE), said)
    assert (fired, ranking) == ([], NEW_CUSTOMER_RANKING)


def test_a_phone_is_not_a_box() -> None:  # « téléphone » does not name the fixed service a mobile customer lacks
    ranking, fired = rerank(NEW_CUSTOMER_RANKING, Situation(4, MOBILE), "je voudrais changer de téléphone")
    assert (best(ranking), fired) == ("change_offer", ["not_new_customer"])


def test_become_customer_below_another_journey_is_left_alone() -> None:
    ranking = [("breakdown", 0.7), ("become_customer", 0.2)]
    assert rerank(ranking, NOTHING_OPEN, "plus d'internet depuis hier") == (ranking, [])


# -- an open complaint ------------------------------------------------------------------------------------------
KEVIN_RANKING = [("change_offer", 0.232), ("out_of_scope", 0.124), ("become_customer", 0.044),
                 ("billing_payment", 0.029), ("complaint", 0.018)]


@pytest.mark.parametrize("said", ["je conteste encore les frais de roaming",  # its words, and « encore »
                                  "je voudrais savoir où en est ma contestation",  # the complaint itself
                                  "toujours rien pour le roaming"])  # one word of it is enough with « toujours »
def test_an_open_complaint_the_caller_speaks_of_is_the_journey(said: str) -> None:
    ranking, fired = rerank(KEVIN_RANKING, KEVIN, said)
    assert (best(ranking), fired) == ("complaint", ["open_complaint"])
    assert total(ranking) == pytest.approx(total(KEVIN_RANKING))


@pytest.mark.parametrize(("said", "journey"), [
    ("mon téléphone redémarre tout seul plusieurs fois par jour", "breakdown"),
    ("je voudrais ajouter l'option Europe avant de partir en vacances", "change_offer"),
])
def test_an_open_complaint_does_not_take_another_reason(said: str, journey: str) -> None:
    ranking = [(journey, 0.8), ("complaint", 0.1)]
    assert rerank(ranking, KEVIN, said) == (ranking, [])


def test_one_shared_word_without_persistence_is_not_enough() -> None:
    ranking = [("change_offer", 0.6), ("complaint", 0.2)]
    assert rerank(ranking, KEVIN, "je pars en Italie, le roaming c'est inclus ?") == (ranking, [])


# -- an open order ----------------------------------------------------------------------------------------------
ORDER_RANKING = [("out_of_scope", 0.55), ("withdraw", 0.2), ("change_offer", 0.1), ("complaint", 0.05)]
CAMILLE = Situation(1, BOTH, orders=(PHONE_ORDER,))


@pytest.mark.parametrize("said", ["c'est pour le suivi de ma commande",
                                  "est-ce que mon téléphone est arrivé à la boutique"])  # a word of its steps
def test_an_open_order_the_caller_speaks_of_is_followed(said: str) -> None:
    ranking, fired = rerank(ORDER_RANKING, CAMILLE, said)
    assert (best(ranking), fired) == ("change_offer", ["open_order"])


@pytest.mark.parametrize("said", ["je veux annuler ma commande",  # withdraw
                                  "la livraison a une semaine de retard c'est inadmissible",  # complaint
                                  "le technicien est venu et depuis la box marche plus"])  # breakdown
def test_an_open_order_does_not_take_a_cancellation_a_grievance_or_a_fault(said: str) -> None:
    assert rerank(ORDER_RANKING, CAMILLE, said) == (ORDER_RANKING, [])


def test_an_order_mentioned_without_an_open_order_changes_nothing() -> None:
    assert rerank(ORDER_RANKING, NOTHING_OPEN, "c'est pour le suivi de ma commande") == (ORDER_RANKING, [])


def test_an_order_follows_the_acts_first() -> None:
    acts = suggested_acts("change_offer", [])
    assert acts_in_context(acts, ["open_order"], "change_offer")[0]["code"] == "follow_order"
    assert [a["code"] for a in acts_in_context(acts, ["open_order"], "change_offer")].count("follow_order") == 1
    added = acts_in_context(suggested_acts("complaint", []), ["open_order"], "complaint")  # not one of its acts
    assert added[0] == {"code": "follow_order", "label": "Suivre la commande", "writes": False, "journey": "complaint"}
    assert acts_in_context(acts, ["open_complaint"], "change_offer") == acts


# -- open events: move, scheduled termination, withdrawal, collection -------------------------------------------
@pytest.mark.parametrize(("event", "said", "journey"), [
    (OpenEvent("move", "Déménagement à Bordeaux le 15 décembre, transfert de la box"),
     "je vous appelle pour la box, pour Bordeaux", "move"),
    (OpenEvent("scheduled_termination", "Résiliation de la ligne mobile au 31 décembre"),
     "je voudrais avancer la date de fin de ma ligne", "terminate"),
    (OpenEvent("withdrawal", "Rétractation de la commande du Pixel 8, colis à retourner"),
     "quand est-ce que je serai remboursé du téléphone renvoyé", "withdraw"),
    (OpenEvent("collection", "Relance pour deux factures impayées"),
     "mon père a reçu un courrier qui dit qu'il vous doit de l'argent", "billing_payment"),
])
def test_an_open_event_the_caller_speaks_of_is_the_journey(event: OpenEvent, said: str, journey: str) -> None:
    ranking = [("manage_account", 0.5), ("out_of_scope", 0.3), (journey, 0.05)]
    reranked, fired = rerank(ranking, Situation(9, BOTH, events=(event,)), said)
    assert best(reranked) == journey and len(fired) == 1


@pytest.mark.parametrize(("event", "said", "journey"), [
    (OpenEvent("move", "Déménagement à Bordeaux le 15 décembre"), "internet coupe tout le temps", "breakdown"),
    (OpenEvent("move", "Déménagement à Bordeaux le 15 décembre"), "je voudrais changer mon adresse mail",
     "manage_account"),
    (OpenEvent("move", "Déménagement à Bordeaux le 15 décembre"), "ma facture de décembre a doublé",
     "billing_payment"),
    (OpenEvent("scheduled_termination", "Résiliation au 31 décembre"), "mon portable affiche pas de service",
     "breakdown"),
    (OpenEvent("withdrawal", "Rétractation de la commande du Pixel 8"), "comment on règle la messagerie vocale",
     "usage_help"),
    (OpenEvent("collection", "Relance pour deux factures impayées"),
     "je voudrais mettre mon adresse pour recevoir ses courriers", "manage_account"),
])
def test_an_open_event_does_not_take_another_reason(event: OpenEvent, said: str, journey: str) -> None:
    ranking = [(journey, 0.6), ("move", 0.1), ("terminate", 0.1), ("withdraw", 0.05), ("billing_payment", 0.05)]
    assert rerank(ranking, Situation(9, BOTH, events=(event,), in_collection=event.kind == "collection"), said) \
        == (ranking, [])


def test_a_fault_of_a_line_suspended_for_a_debt_is_about_paying() -> None:
    ranking = [("breakdown", 0.8), ("billing_payment", 0.05)]
    suspended = Situation(104, frozenset({"fixed"}), suspended=True, in_collection=True)
    assert best(rerank(ranking, suspended, "internet est coupé depuis hier")[0]) == "billing_payment"
    reminded = Situation(2, frozenset({"fixed"}), in_collection=True)  # not suspended: a fault is a fault
    assert rerank(ranking, reminded, "internet est coupé depuis hier") == (ranking, [])


def test_a_caller_coming_back_about_a_recent_contact() -> None:
    situation = Situation(7, BOTH, contacts=(RecentContact("support", "Débit faible le soir : test de ligne lancé"),))
    ranking = [("out_of_scope", 0.5), ("breakdown", 0.2)]
    assert best(rerank(ranking, situation, "je vous rappelle pour le débit du soir")[0]) == "breakdown"
    assert rerank(ranking, situation, "le débit du soir") == (ranking, [])  # not coming back


def test_a_rule_gives_its_journey_the_boost_share_of_the_others() -> None:
    ranking, _ = rerank([("change_offer", 0.4), ("complaint", 0.1)], KEVIN, "je conteste les frais de roaming")
    assert dict(ranking) == pytest.approx({"complaint": 0.1 + 0.4 * BOOST, "change_offer": 0.4 * (1 - BOOST)})


# -- the parse and the prediction -------------------------------------------------------------------------------
def kevin_parse(said: str = "je conteste encore les frais de roaming") -> dict[str, Any]:
    ranking = [("copilot_complaints", 0.31), *KEVIN_RANKING, ("breakdown", 0.01)]
    return {"text": said, "intent": {"name": "nlu_fallback", "confidence": 0.5},
            "intent_ranking": [{"name": n, "confidence": c} for n, c in sorted(ranking, key=lambda x: -x[1])],
            "entities": []}


def test_the_parse_keeps_its_chat_intents_and_the_journeys_rules() -> None:
    new, fired = contextual_parse(kevin_parse(), KEVIN)
    assert fired == ["open_complaint"]
    assert {"name": "copilot_complaints", "confidence": 0.31} in new["intent_ranking"]
    prediction = prediction_from_parse(new)
    assert prediction.journey == "complaint" and prediction.acts[0]["code"] == "review_complaints"
    assert prediction.intent == "nlu_fallback"  # the message's intent is Rasa's, untouched


def test_a_clause_cannot_make_a_known_customer_new_again() -> None:
    parse = {"text": "je veux la fibre et puis changer mon mail",
             "intent_ranking": [{"name": "become_customer", "confidence": 0.6},
                                {"name": "manage_account", "confidence": 0.3}],
             "first_request": {"text": "je veux la fibre", "name": "become_customer", "confidence": 0.8},
             "clauses": [{"text": "je veux la fibre", "name": "become_customer", "confidence": 0.8},
                         {"text": "changer mon mail", "name": "manage_account", "confidence": 0.9}]}
    new, fired = contextual_parse(parse, Situation(2, BOTH))
    assert fired == ["not_new_customer"]
    assert prediction_from_parse(new).journey == "change_offer"
    assert [c["name"] for c in new["clauses"]] == ["change_offer", "manage_account"]


def test_the_context_applies_only_to_the_customer_it_was_read_for() -> None:
    prediction = prediction_from_parse(kevin_parse())
    assert contextual(prediction, kevin_parse(), KEVIN, 4)[0].journey == "complaint"  # type: ignore[union-attr]
    assert contextual(prediction, kevin_parse(), KEVIN, 1) == (prediction, [])  # another customer was attached
    assert contextual(prediction, kevin_parse(), KEVIN, None) == (prediction, [])  # not identified
    assert contextual(prediction, None, KEVIN, 4) == (prediction, [])  # a client that gave no parse


def test_rules_on_a_restricted_field_are_not_named_in_the_pop_trace() -> None:
    assert context.for_trace(["open_complaint", "in_collection"]) == ["open_complaint", "restricted"]


# -- the read, on the demo CRM ----------------------------------------------------------------------------------
def test_the_situation_is_read_from_the_crm_and_traced(sqlite_sessions: sessionmaker[Session]) -> None:
    actor = system_actor().on_call("c-read")
    with transaction(sqlite_sessions) as db:
        kevin, sophie, jean_pierre = (read_situation(db, cid, actor) for cid in (4, 3, 2))
    assert kevin.open("complaint")[0].summary == "Conteste des frais de roaming facturés en octobre"
    assert kevin.universes == MOBILE and not kevin.orders and not kevin.in_collection
    assert sophie.orders[0].kind == "Commande Box Fibre" and "Rendez-vous technicien" in sophie.orders[0].pending
    assert [e.kind for e in sophie.events] == ["move"]
    assert jean_pierre.in_collection and jean_pierre.universes == BOTH
    with sqlite_sessions() as s:
        rows = list(s.execute(text("SELECT customer_id, data FROM trace_events WHERE name='customer.read' "
                                   "AND call_id='c-read' ORDER BY id")))
    assert [r[0] for r in rows] == [4, 3, 2]
    assert '"view": "context"' in rows[0][1] and '"orders"' in rows[0][1] and '"collection"' in rows[0][1]


# -- the pop ----------------------------------------------------------------------------------------------------
class ParsingRasa(RasaClient):
    """The copilot's Rasa client, its server's parse given: the pop can re-rank it."""

    def __init__(self, parse: dict[str, Any]) -> None:
        super().__init__("http://rasa.invalid")
        self._parse = parse

    async def parse(self, said: str) -> dict[str, Any]:
        return {**self._parse, "text": said}


async def pop_of(manager: CallSessionManager, hub: PanelHub, call_id: str, number: str) -> dict[str, Any]:
    """The pop an N1 advisor gets for a call from ``number`` that says Kévin's reason."""
    sub = hub.subscribe("n1.demo", permissions=PROFILES["n1_customer_contact"][1])
    await manager.handle(CallEvent(call_id=call_id, event="offered", caller_number=number,  # type: ignore[arg-type]
                                   agent="n1.demo", reason_transcript="je conteste encore les frais de roaming"))
    await manager.handle(CallEvent(call_id=call_id, event="answered"))  # type: ignore[arg-type]
    while (pop := await asyncio.wait_for(sub.queue.get(), 5))["type"] != "screen_pop":
        pass
    return pop


async def test_kevins_roaming_complaint_pops_as_a_complaint(sqlite_sessions: sessionmaker[Session]) -> None:
    hub, rasa = PanelHub(), ParsingRasa(kevin_parse())
    manager = CallSessionManager(sqlite_sessions, rasa, hub)
    pop = await pop_of(manager, hub, "k1", "07 11 22 33 44")
    assert pop["customer"]["last_name"] == "Moreau"
    assert (pop["journey"], pop["journey_label"]) == ("complaint", "Je ne suis pas content (réclamation)")
    assert pop["acts"][0]["code"] == "review_complaints"
    assert "create_customer" not in [a["code"] for a in pop["acts"]]
    await manager.handle(CallEvent(call_id="k1", event="ended"))  # type: ignore[arg-type]
    await asyncio.sleep(0.1)
    assert await asyncio.to_thread(manager.flush_traces)
    with sqlite_sessions() as s:
        traces = {name: data for name, data in s.execute(text(
            "SELECT name, data FROM trace_events WHERE call_id='k1' AND name IN "
            "('nlu.predicted', 'screen_pop.sent') ORDER BY id"))}
        views = list(s.scalars(text("SELECT data FROM trace_events WHERE call_id='k1' AND name='customer.read'")))
    assert '"journey": "change_offer"' in traces["nlu.predicted"]  # the NLU's own prediction stays traced
    assert '"journey": "complaint"' in traces["screen_pop.sent"]
    assert '"context": ["open_complaint"]' in traces["screen_pop.sent"]
    assert any('"view": "context"' in v for v in views)
    await manager.aclose()
    await rasa.aclose()


async def test_an_unknown_caller_gets_the_nlus_journey(sqlite_sessions: sessionmaker[Session]) -> None:
    hub, rasa = PanelHub(), ParsingRasa(kevin_parse())
    manager = CallSessionManager(sqlite_sessions, rasa, hub)
    pop = await pop_of(manager, hub, "u1", "07 00 00 00 00")
    assert (pop["identified"], pop["journey"]) == (False, "change_offer")
    await manager.aclose()
    await rasa.aclose()


async def test_the_prediction_keeps_its_parse_and_a_bare_prediction_gives_none() -> None:
    class Bare:
        async def classify(self, said: str) -> Any:
            return JourneyPrediction(journey="change_offer", confidence=0.45, acts=[])

    prediction, parse = await context.classify(Bare(), "je conteste encore les frais de roaming")
    assert (prediction.journey, parse) == ("change_offer", None)
    rasa = ParsingRasa(kevin_parse())
    prediction, parse = await context.classify(rasa, "je conteste encore les frais de roaming")
    assert prediction.journey == "change_offer" and parse is not None and parse["intent_ranking"]
    await rasa.aclose()
