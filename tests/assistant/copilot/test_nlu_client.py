from assistant.copilot.nlu_client import prediction_from_parse


def _parse(ranking: list[tuple[str, float]], text: str = "je déménage") -> dict:
    return {"text": text, "intent": {"name": ranking[0][0], "confidence": ranking[0][1]},
            "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking], "entities": []}


def test_the_best_journey_wins_and_brings_its_acts() -> None:
    p = prediction_from_parse(_parse([("move", 0.8), ("breakdown", 0.15), ("terminate", 0.05)]))
    assert (p.journey, p.confidence) == ("move", 0.8)
    assert [a["code"] for a in p.acts][:2] == ["move_address", "check_eligibility"]
    assert all(a["journey"] == "move" for a in p.acts)
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


def _clauses(parse: dict, *clauses: tuple[str, str, float]) -> dict:
    return {**parse, "clauses": [{"text": t, "name": n, "confidence": c} for t, n, c in clauses]}


def test_a_second_reason_in_the_same_call_is_a_secondary_journey_with_its_acts() -> None:
    p = prediction_from_parse(_clauses(_parse([("move", 0.55), ("change_offer", 0.35), ("terminate", 0.05)],
                                              text="je déménage et je veux passer à la fibre"),
                                       ("je déménage", "move", 0.9),
                                       ("je veux passer à la fibre", "change_offer", 0.8)))
    assert p.journey == "move"
    assert p.secondary == [{"journey": "change_offer", "label": "Je change d'offre et/ou de matériel"}]
    codes = [a["code"] for a in p.acts]
    assert codes.index("move_address") < codes.index("change_offer")  # the primary journey's acts first
    assert {a["journey"] for a in p.acts if a["code"] == "change_offer"} == {"change_offer"}
    assert len(codes) == len(set(codes))


def test_runners_up_unsure_clauses_and_out_of_scope_are_not_secondary_reasons() -> None:
    # one request: the runner-up of the ranking is a doubt about the primary, not a second reason
    assert prediction_from_parse(_parse([("move", 0.55), ("change_offer", 0.4)])).secondary == []
    two = _parse([("move", 0.6), ("out_of_scope", 0.3)], text="je déménage et sinon quel temps fait-il")
    assert prediction_from_parse(_clauses(two, ("je déménage", "move", 0.9),
                                          ("quel temps fait-il", "out_of_scope", 0.9))).secondary == []
    assert prediction_from_parse(_clauses(two, ("je déménage", "move", 0.9),
                                          ("quel temps fait-il", "breakdown", 0.3))).secondary == []
    oos = _parse([("out_of_scope", 0.6), ("move", 0.3)], text="quel temps fait-il et je déménage")
    assert prediction_from_parse(_clauses(oos, ("quel temps fait-il", "out_of_scope", 0.9),
                                          ("je déménage", "move", 0.9))).secondary == []


def test_nothing_said_yet_is_no_journey_whatever_the_ranking() -> None:
    for text in ("silence", "bonjour", "allô oui bonjour madame"):
        p = prediction_from_parse(_parse([("out_of_scope", 0.97), ("breakdown", 0.02)], text=text))
        assert (p.journey, p.confidence, p.secondary, p.acts, p.unsure) == (None, 0.0, [], [], False)


def test_the_most_confident_clauses_come_first_and_at_most_two_are_shown() -> None:
    parse = _clauses(_parse([("move", 0.5), ("breakdown", 0.2), ("billing_payment", 0.2), ("complaint", 0.1)],
                            text="je déménage et ma box ne marche plus et ma facture a doublé et je veux un geste"),
                     ("je déménage", "move", 0.9), ("ma box ne marche plus", "breakdown", 0.6),
                     ("ma facture a doublé", "billing_payment", 0.8), ("je veux un geste", "complaint", 0.5))
    assert [s["journey"] for s in prediction_from_parse(parse).secondary] == ["billing_payment", "breakdown"]
