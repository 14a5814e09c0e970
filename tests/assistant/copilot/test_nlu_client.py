from assistant.copilot.nlu_client import prediction_from_parse


def _parse(ranking: list[tuple[str, float]], text: str = "je déménage") -> dict:
    return {"text": text, "intent": {"name": ranking[0][0], "confidence": ranking[0][1]},
            "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking], "entities": []}


def test_the_best_journey_wins_and_brings_its_acts() -> None:
    p = prediction_from_parse(_parse([("move", 0.8), ("breakdown", 0.15), ("terminate", 0.05)]))
    assert (p.journey, p.confidence) == ("move", 0.8)
    assert [a["code"] for a in p.acts][:2] == ["check_eligibility", "update_postal_address"]
    assert p.secondary == []


def test_advisor_chat_intents_are_not_journeys() -> None:
    p = prediction_from_parse(_parse([("copilot_commitment_end", 0.7), ("terminate", 0.2), ("move", 0.1)]))
    assert (p.journey, p.confidence, p.intent) == ("terminate", 0.2, "copilot_commitment_end")


def test_no_ranking_means_no_journey() -> None:
    p = prediction_from_parse({"text": "ma box", "intent": None, "intent_ranking": [], "entities": []})
    assert (p.journey, p.confidence, p.acts) == (None, 0.0, [])


def test_entities_keep_their_text() -> None:
    parse = _parse([("move", 0.9)], text="je pars à Nantes")
    parse["entities"] = [{"entity": "city", "value": "Nantes", "start": 10, "end": 16}]
    assert prediction_from_parse(parse).entities == [{"entity": "city", "value": "Nantes", "text": "Nantes"}]


def test_a_second_reason_in_the_same_call_is_a_secondary_journey_with_its_acts() -> None:
    p = prediction_from_parse(_parse([("move", 0.55), ("change_offer", 0.35), ("terminate", 0.05)],
                                     text="je déménage et je veux passer à la fibre"))
    assert p.journey == "move"
    assert p.secondary == [{"journey": "change_offer", "label": "Je change d'offre et/ou de matériel"}]
    codes = [a["code"] for a in p.acts]
    assert codes.index("update_postal_address") < codes.index("change_offer")
    assert len(codes) == len(set(codes))


def test_weak_alternatives_and_out_of_scope_are_not_secondary_reasons() -> None:
    assert prediction_from_parse(_parse([("move", 0.85), ("change_offer", 0.1)])).secondary == []
    assert prediction_from_parse(_parse([("move", 0.6), ("out_of_scope", 0.3)])).secondary == []
    assert prediction_from_parse(_parse([("out_of_scope", 0.6), ("move", 0.3)])).secondary == []


def test_nothing_said_is_out_of_scope_whatever_the_ranking() -> None:
    p = prediction_from_parse(_parse([("move", 0.7), ("breakdown", 0.2)], text="silence"))
    assert (p.journey, p.confidence, p.secondary) == ("out_of_scope", 1.0, [])


def test_a_journey_that_wins_one_clause_of_the_reason_is_secondary() -> None:
    parse = _parse([("move", 0.62), ("breakdown", 0.2), ("billing_payment", 0.12), ("terminate", 0.06)],
                   text="je déménage et en plus ma box ne marche plus")
    parse["clauses"] = [{"text": "je déménage", "name": "move", "confidence": 0.9},
                        {"text": "ma box ne marche plus", "name": "breakdown", "confidence": 0.7}]
    assert [s["journey"] for s in prediction_from_parse(parse).secondary] == ["breakdown"]
    # a clause winner the whole utterance does not support at all, or an unsure one, is not shown
    parse["clauses"][1] = {"text": "ma box ne marche plus", "name": "terminate", "confidence": 0.7}
    assert prediction_from_parse(parse).secondary == []
    parse["clauses"][1] = {"text": "ma box ne marche plus", "name": "breakdown", "confidence": 0.3}
    assert prediction_from_parse(parse).secondary == []
