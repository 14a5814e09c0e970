"""What the advisor's chat message asks, from three classifiers: the journeys' (caller reasons), and the chat's
own two (``nlu.components.chat_classifier``): whether the message is an advisor's request at all, and which chat
intent it is.

In the chat an advisor talks about the customer (« combien elle doit pour résilier ? ») with the words callers use
(« résilier »). The rule: when the message is an advisor's request with at least ``CHAT_SHARE`` probability, the
chat classifier, which only tells chat intents apart, says which (if its best has ``CHAT_MIN_CONFIDENCE``);
otherwise the best journey wins when it has ``FALLBACK_THRESHOLD`` (the copilot lists its acts), else
``nlu_fallback``. The constants are chosen by cross-validation on the training data (nlu_eval/chat_thresholds.py),
never on a held-out set.

The screen pop does not use this: it reads the journeys' own ranking (``nlu.journeys``).
"""

from typing import Any

from crm_core.acts.catalogue import CHAT as CHAT_INTENTS
from crm_core.acts.catalogue import CONFIRM_INTENTS

CHAT_LABELS = frozenset(CHAT_INTENTS) | frozenset(CONFIRM_INTENTS)
CHAT_RANKING = "chat_ranking"  # parse keys written by the chat classifier
CHAT_PROBABILITY = "chat_probability"
# A message's metadata saying it is a caller's reason from the bridge, not an advisor's chat: the chat
# classifiers are not run on it (the journeys' ranking is all the copilot reads of it; nlu/channels/copilot.py)
CALL_REASON = {"copilot": "call_reason"}
CHAT, REASON = "chat", "reason"  # the two classes of « is it an advisor's request? »
FALLBACK = "nlu_fallback"
CHAT_SHARE = 0.4
CHAT_MIN_CONFIDENCE = 0.2
FALLBACK_THRESHOLD = 0.3


def _sorted(ranking: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    return sorted((r for r in ranking or [] if r.get("name") and r["name"] != FALLBACK),
                  key=lambda r: -float(r.get("confidence") or 0.0))


def decide(ranking: list[dict[str, Any]], chat_ranking: list[dict[str, Any]] | None = None,
           chat_probability: float | None = None, share: float = CHAT_SHARE,
           chat_min: float = CHAT_MIN_CONFIDENCE, threshold: float = FALLBACK_THRESHOLD) -> tuple[str, float]:
    """(intent, confidence) of a message from the journeys' ranking and the chat classifiers' outputs.

    Without the chat classifiers' outputs (a model trained with one classifier of every intent), the chat
    intents of ``ranking`` stand for them."""
    ranked = _sorted(ranking)
    chat = _sorted(chat_ranking) or [r for r in ranked if r["name"] in CHAT_LABELS]
    if chat_probability is None:
        chat_probability = sum(float(r["confidence"]) for r in ranked if r["name"] in CHAT_LABELS)
    if chat and chat_probability >= share and float(chat[0]["confidence"]) >= chat_min:
        return chat[0]["name"], float(chat[0]["confidence"])
    reasons = [r for r in ranked if r["name"] not in CHAT_LABELS]
    if reasons and float(reasons[0]["confidence"]) >= threshold:
        return reasons[0]["name"], float(reasons[0]["confidence"])
    return FALLBACK, float(reasons[0]["confidence"]) if reasons else 0.0
