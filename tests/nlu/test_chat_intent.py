"""The chat message's intent from the two rankings (nlu/chat_intent.py)."""

from nlu.chat_intent import decide


def _r(**confidences: float) -> list[dict]:
    return [{"name": n, "confidence": c} for n, c in confidences.items()]


def test_a_chat_request_spread_over_journeys_is_the_chat_classifier_s_best() -> None:
    # « combien il paierait pour résilier » : terminate first overall, but the chat intents hold 40 %
    joint = _r(terminate=0.45, copilot_commitment_end=0.25, copilot_balance=0.15, billing_payment=0.15)
    chat = _r(copilot_commitment_end=0.8, copilot_balance=0.2)
    assert decide(joint, chat, share=0.3, chat_min=0.2, threshold=0.3) == ("copilot_commitment_end", 0.8)


def test_a_caller_reason_typed_in_the_chat_stays_its_journey() -> None:
    joint = _r(terminate=0.85, copilot_commitment_end=0.1, move=0.05)
    chat = _r(copilot_commitment_end=0.9, affirm=0.1)
    assert decide(joint, chat, share=0.3, chat_min=0.2, threshold=0.3) == ("terminate", 0.85)


def test_nothing_clear_is_a_fallback() -> None:
    joint = _r(terminate=0.25, move=0.25, copilot_balance=0.1, breakdown=0.2, complaint=0.2)
    chat = _r(copilot_balance=0.15, copilot_offers=0.15)
    assert decide(joint, chat, share=0.3, chat_min=0.2, threshold=0.3)[0] == "nlu_fallback"
    assert decide([], None) == ("nlu_fallback", 0.0)


def test_without_the_chat_classifier_the_joint_ranking_s_chat_intents_are_used() -> None:
    joint = _r(affirm=0.5, deny=0.1, terminate=0.4)
    assert decide(joint, None, share=0.3, chat_min=0.2, threshold=0.3) == ("affirm", 0.5)


def test_the_request_classifier_decides_chat_or_reason() -> None:
    journeys = _r(terminate=0.7, billing_payment=0.3)
    chat = _r(copilot_commitment_end=0.9, copilot_balance=0.1)
    assert decide(journeys, chat, 0.8, share=0.5)[0] == "copilot_commitment_end"  # an advisor's request
    assert decide(journeys, chat, 0.2, share=0.5)[0] == "terminate"  # a caller's reason typed in the chat
    assert decide(journeys, _r(copilot_balance=0.15, deny=0.1), 0.8, share=0.5, chat_min=0.2)[0] == "terminate"
