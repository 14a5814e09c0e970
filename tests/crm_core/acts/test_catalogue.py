"""The one catalogue of journeys and acts (crm_core/acts/catalogue.py) against everything that repeats it:
the Rasa domain and rules, the NLU data, the act services and the chat's actions. Any disagreement fails here."""

import inspect
from pathlib import Path

import yaml
from rasa_sdk import Action

import actions.acts
import actions.journeys
import actions.questions
from crm_core.acts.base import REGISTRY
from crm_core.acts.catalogue import ACT_LIST, ACTS, CHAT, CHAT_INTENTS, CONFIRM_INTENTS, JOURNEY_CODES, JOURNEYS
from crm_core.acts.service import catalogue
from crm_core.services.fields import BY_NAME
from crm_core.services.habilitations import PROFILES

ASSISTANT = Path(__file__).resolve().parents[3] / "assistant"


def _yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def _training_intents() -> dict[str, int]:
    counts: dict[str, int] = {}
    for path in (ASSISTANT / "data" / "nlu").glob("*.yml"):
        for block in _yaml(path).get("nlu", []):
            if "intent" in block:
                counts[block["intent"]] = counts.get(block["intent"], 0) + len(
                    [x for x in block["examples"].splitlines() if x.strip()])
    return counts


def test_the_domain_declares_exactly_the_journeys_and_the_chat_intents() -> None:
    journeys = _yaml(ASSISTANT / "domain" / "journeys.yml")["intents"]
    chat = _yaml(ASSISTANT / "domain" / "copilot.yml")["intents"]
    assert journeys == list(JOURNEY_CODES)
    assert set(chat) == set(CHAT) | set(CONFIRM_INTENTS)


def test_the_nlu_data_trains_every_intent_and_no_other() -> None:
    counts = _training_intents()
    assert set(counts) == set(JOURNEY_CODES) | set(CHAT) | set(CONFIRM_INTENTS)
    assert all(n >= 30 for n in counts.values()), {k: n for k, n in counts.items() if n < 30}


def test_every_chat_intent_has_its_rule_and_its_action() -> None:
    rules = _yaml(ASSISTANT / "data" / "rules" / "copilot.yml")["rules"]
    first_action = {}
    for rule in rules:
        steps = rule["steps"]
        if steps and "intent" in steps[0]:
            first_action.setdefault(steps[0]["intent"], set()).add(steps[1]["action"])
    for chat in CHAT_INTENTS:
        expected = "action_prepare_act" if chat.act else "action_answer_question"
        assert first_action.get(chat.intent) == {expected}, chat.intent
    assert first_action["affirm"] == {"action_confirm_act"} and first_action["deny"] == {"action_cancel_act"}
    for journey in JOURNEY_CODES:  # what the caller wants, typed by the advisor: the journey's acts
        assert first_action.get(journey) == {"action_journey_acts"}, journey


def test_the_domain_s_actions_are_the_action_server_s() -> None:
    declared = set(_yaml(ASSISTANT / "domain" / "copilot.yml")["actions"])
    served = {cls().name() for module in (actions.acts, actions.journeys, actions.questions)
              for _, cls in inspect.getmembers(module, inspect.isclass)
              if issubclass(cls, Action) and cls is not Action and cls.__module__ == module.__name__}
    assert declared == served


def test_every_act_of_the_catalogue_has_its_service_and_nothing_else_does() -> None:
    assert set(REGISTRY) == set(ACTS)


def test_acts_name_real_fields_permissions_and_journeys() -> None:
    granted = set().union(*(permissions for _, permissions in PROFILES.values()))
    for act in ACT_LIST:
        assert act.permission in granted, act.code
        assert all(f in BY_NAME for f in act.reads), act.code
        assert act.journeys and all(j in JOURNEY_CODES for j in act.journeys), act.code
    for chat in CHAT_INTENTS:
        assert (chat.act in ACTS) if chat.act else all(f in BY_NAME for f in chat.fields), chat.intent


def test_every_journey_has_at_least_two_acts_one_of_which_writes() -> None:
    for code, journey in JOURNEYS.items():
        if code == "out_of_scope":
            continue
        assert len(journey.acts) >= 2, code
        assert any(ACTS[a].writes for a in journey.acts), code


def test_the_api_lists_what_the_catalogue_holds() -> None:
    listed = catalogue()
    assert [a["code"] for a in listed] == [a.code for a in ACT_LIST]
    assert all({"code", "label", "journeys", "permission", "params", "writes"} <= set(a) for a in listed)
