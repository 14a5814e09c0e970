from assistant.copilot.nlu_client import prediction_from_parse


def _parse(ranking: list[tuple[str, float]], text: str = "je déménage") -> dict:
    return {"text": text, "intent": {"name": ranking[0][0], "confidence": ranking[0][1]},
            "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking], "entities": []}


def test_the_best_journey_wins_and_brings_its_acts() -> None:
    p = prediction_from_parse(_parse([("move", 0.8), ("breakdown", 0.15), ("terminate", 0.05)]))
    assert (p.journey, p.confidence) == ("move", 0.8)
    assert [a["code"] for a in p.acts][:2] == ["check_eligibility", "update_postal_address"]


def test_advisor_chat_intents_are_not_journeys() -> None:
    p = prediction_from_parse(_parse([("copilot_commitment_end", 0.7), ("terminate", 0.2), ("move", 0.1)]))
    assert (p.journey, p.confidence, p.intent) == ("terminate", 0.2, "copilot_commitment_end")


def test_no_ranking_means_no_journey() -> None:
    p = prediction_from_parse({"text": "", "intent": None, "intent_ranking": [], "entities": []})
    assert (p.journey, p.confidence, p.acts) == (None, 0.0, [])


def test_entities_keep_their_text() -> None:
    parse = _parse([("move", 0.9)], text="je pars à Nantes")
    parse["entities"] = [{"entity": "city", "value": "Nantes", "start": 10, "end": 16}]
    assert prediction_from_parse(parse).entities == [{"entity": "city", "value": "Nantes", "text": "Nantes"}]
