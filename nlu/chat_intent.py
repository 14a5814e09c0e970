"""What the advisor's chat message asks, from the classifier's ranking of every intent (journeys and chat).

One classifier ranks caller reasons (journeys) and advisor messages (chat intents, « oui », « non ») together.
In the chat, an advisor talks about the customer (« combien elle doit pour résilier ? ») with the words callers
use (« résilier »), so the ranking often puts a journey first by a little while the chat intent is the request.
The rule: the best chat intent wins when it has at least ``CHAT_MIN_CONFIDENCE`` and at least ``CHAT_OVER_JOURNEY``
times the best journey's confidence; otherwise the best intent wins when it is clear (``FALLBACK_THRESHOLD``, and
ahead of the next by ``AMBIGUITY_THRESHOLD``), else ``nlu_fallback``. The constants are chosen by
cross-validation on the training data (nlu_eval/chat_thresholds.py), never on a held-out set.

The screen pop does not use this: it reads the journeys' own ranking (``nlu.journeys``).
"""

from typing import Any

from crm_core.acts.catalogue import CHAT, CONFIRM_INTENTS, JOURNEY_CODES

CHAT_LABELS = frozenset(CHAT) | frozenset(CONFIRM_INTENTS)
FALLBACK = "nlu_fallback"
CHAT_MIN_CONFIDENCE = 0.2
CHAT_OVER_JOURNEY = 0.5
FALLBACK_THRESHOLD = 0.4
AMBIGUITY_THRESHOLD = 0.05


def decide(ranking: list[dict[str, Any]], chat_min: float = CHAT_MIN_CONFIDENCE,
           chat_over_journey: float = CHAT_OVER_JOURNEY, threshold: float = FALLBACK_THRESHOLD,
           ambiguity: float = AMBIGUITY_THRESHOLD) -> tuple[str, float]:
    """(intent, confidence) of a message from its intent ranking (``nlu_fallback`` entries are ignored)."""
    ranked = sorted((r for r in ranking if r.get("name") and r["name"] != FALLBACK),
                    key=lambda r: -float(r.get("confidence") or 0.0))
    if not ranked:
        return FALLBACK, 0.0
    chat = next((r for r in ranked if r["name"] in CHAT_LABELS), None)
    journey = next((r for r in ranked if r["name"] in JOURNEY_CODES), None)
    journey_confidence = float(journey["confidence"]) if journey else 0.0
    if chat is not None:
        confidence = float(chat["confidence"])
        if confidence >= chat_min and confidence >= chat_over_journey * journey_confidence:
            return chat["name"], confidence
    top = float(ranked[0]["confidence"])
    runner_up = float(ranked[1]["confidence"]) if len(ranked) > 1 else 0.0
    if top >= threshold and top - runner_up >= ambiguity:
        return ranked[0]["name"], top
    return FALLBACK, top
