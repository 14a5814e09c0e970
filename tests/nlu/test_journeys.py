"""How a Rasa parse becomes the primary and secondary journeys shown to the advisor (pure Python)."""

import pytest

from nlu.journeys import CLAUSES, FIRST_REQUEST, primary_and_secondary


def parse(text: str, ranking: dict[str, float], clauses: list[tuple[str, float]] = (),
          first: tuple[str, float] | None = None) -> dict:  # type: ignore[type-arg, assignment]
    result = {"text": text, "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking.items()],
              CLAUSES: [{"text": "…", "name": n, "confidence": c} for n, c in clauses]}
    if first:
        result[FIRST_REQUEST] = {"text": "…", "name": first[0], "confidence": first[1]}
    return result


@pytest.mark.parametrize("text", ["", "   ", "silence", "bonjour", "allô oui bonjour madame", "euh attendez"])
def test_nothing_said_yet_is_no_journey(text: str) -> None:
    assert primary_and_secondary(parse(text, {"out_of_scope": 0.97})) == (None, 0.0, [])


@pytest.mark.parametrize("text", ["bonjour je veux résilier", "oui ma box ne marche plus", "la météo"])
def test_a_greeting_with_a_request_is_a_request(text: str) -> None:
    assert primary_and_secondary(parse(text, {"terminate": 0.9}))[0] == "terminate"


def test_the_best_journey_is_primary_and_the_other_clauses_confident_journeys_are_secondary() -> None:
    p = parse("je déménage et en plus je veux la fibre", {"move": 0.7, "change_offer": 0.2},
              clauses=[("move", 0.9), ("change_offer", 0.8), ("complaint", 0.3)])
    assert primary_and_secondary(p) == ("move", 0.7, ["change_offer"])  # complaint is under the threshold


def test_the_first_request_stated_before_an_additive_connector_is_primary() -> None:
    p = parse("je veux changer de forfait et puis comprendre ma facture", {"billing_payment": 0.8,
                                                                            "change_offer": 0.15},
              clauses=[("change_offer", 0.9), ("billing_payment", 0.85)], first=("change_offer", 0.9))
    assert primary_and_secondary(p) == ("change_offer", 0.9, ["billing_payment"])


@pytest.mark.parametrize("first", [("change_offer", 0.45), ("out_of_scope", 0.9)])
def test_an_unsure_or_out_of_scope_first_request_does_not_take_over(first: tuple[str, float]) -> None:
    p = parse("…", {"billing_payment": 0.8, "change_offer": 0.15}, first=first)
    assert primary_and_secondary(p)[0] == "billing_payment"


def test_out_of_scope_has_no_secondary_journey() -> None:
    p = parse("le numéro de la mairie et aussi celui de la poste", {"out_of_scope": 0.8},
              clauses=[("manage_account", 0.7)], first=("manage_account", 0.7))
    assert primary_and_secondary(p) == ("out_of_scope", 0.8, [])
