"""What the advisor's chat message asks, from two rankings: the classifier of every intent (journeys and chat)
and the classifier of the chat intents alone (``nlu.components.chat_classifier``).

One classifier ranks caller reasons (journeys) and advisor messages together; in the chat an advisor talks about
the customer (« combien elle doit pour résilier ? ») with the words callers use (« résilier »), so it spreads a
chat message over journeys and chat intents alike. The rule: when the chat intents together hold at least
``CHAT_SHARE`` of the first classifier's confidence, the message is a chat request and the chat classifier, which
only tells chat intents apart, says which (if its best has ``CHAT_MIN_CONFIDENCE``); otherwise the best intent
wins when it has ``FALLBACK_THRESHOLD`` (a journey: the copilot lists its acts), else ``nlu_fallback``. The
constants are chosen by cross-validation on the training data (nlu_eval/chat_thresholds.py), never on a held-out set.

The screen pop does not use this: it reads the journeys' own ranking (``nlu.journeys``).
"""

from typing import Any

from crm_core.acts.catalogue import CHAT, CONFIRM_INTENTS

CHAT_LABELS = frozenset(CHAT) | frozenset(CONFIRM_INTENTS)
CHAT_RANKING = "chat_ranking"  # parse key written by the chat classifier
FALLBACK = "nlu_fallback"
CHAT_SHARE = 0.2
CHAT_MIN_CONFIDENCE = 0.2
FALLBACK_THRESHOLD = 0.3


def decide(ranking: list[dict[str, Any]], chat_ranking: list[dict[str, Any]] | None = None,
           share: float = CHAT_SHARE, chat_min: float = CHAT_MIN_CONFIDENCE,
           threshold: float = FALLBACK_THRESHOLD) -> tuple[str, float]:
    """(intent, confidence) of a message from the rankings (``nlu_fallback`` entries are ignored)."""
    ranked = sorted((r for r in ranking if r.get("name") and r["name"] != FALLBACK),
                    key=lambda r: -float(r.get("confidence") or 0.0))
    if not ranked:
        return FALLBACK, 0.0
    chat_mass = sum(float(r["confidence"]) for r in ranked if r["name"] in CHAT_LABELS)
    chat = sorted(chat_ranking or [r for r in ranked if r["name"] in CHAT_LABELS],
                  key=lambda r: -float(r.get("confidence") or 0.0))
    if chat and chat_mass >= share and float(chat[0]["confidence"]) >= chat_min:
        return chat[0]["name"], float(chat[0]["confidence"])
    top = float(ranked[0]["confidence"])
    if top >= threshold:
        return ranked[0]["name"], top
    return FALLBACK, top
