"""Choose the constants of nlu/chat_intent.py by cross-validation on the training data (held-out sets unused).

Each training example is predicted by classifiers trained without it (5 stratified folds, the settings of
assistant/config.yml): the journeys' (trained on the caller reasons), the chat intents' (on the chat examples)
and « is it an advisor's request? » (on both); each rule of the grid then decides every prediction. Reported:
the share of the advisor's chat examples decided right (``chat``), the share of caller reasons typed in the chat
that stay their journey (``journeys kept``: the copilot then lists the journey's acts) and the fallbacks. Run in
the Rasa runtime:

    PYTHONPATH=. .venv-rasa/bin/python nlu_eval/chat_thresholds.py
"""

import sys
from itertools import product
from pathlib import Path

import numpy as np
import yaml
from sklearn.model_selection import StratifiedKFold, cross_val_predict

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "nlu_eval"))
from compare_classifiers import training_set  # noqa: E402

from nlu.chat_intent import CHAT, CHAT_LABELS, REASON, decide  # noqa: E402
from nlu.components.tfidf_svm_classifier import TfidfSvmIntentClassifier, build  # noqa: E402


def _rankings(probs: np.ndarray, classes: list[str]) -> list[list[dict]]:
    return [[{"name": c, "confidence": float(p)} for c, p in zip(classes, row, strict=True)] for row in probs]


def _out_of_fold(settings: dict, texts: list[str], labels: np.ndarray, inside: list[int], outside: list[int],
                 folds: StratifiedKFold) -> dict[int, np.ndarray]:
    """Probabilities of a classifier trained on the ``inside`` examples: cross-validated for them, from the
    classifier trained on all of them for the ``outside`` ones (which it never learns)."""
    probs = dict(zip(inside, cross_val_predict(build(settings), [texts[i] for i in inside], labels[inside], cv=folds,
                                               method="predict_proba"), strict=True))
    whole = build(settings).fit([texts[i] for i in inside], labels[inside])
    probs.update(zip(outside, whole.predict_proba([texts[i] for i in outside]), strict=True))
    return probs


def main() -> None:
    config = yaml.safe_load((REPO / "assistant" / "config.yml").read_text())
    params = next(c for c in config["pipeline"] if c["name"].endswith("TfidfSvmIntentClassifier"))
    settings = {**TfidfSvmIntentClassifier.get_default_config(), **{k: v for k, v in params.items() if k != "name"}}
    texts, labels = training_set(None)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=42)
    chat = [i for i, lab in enumerate(labels) if lab in CHAT_LABELS]
    journeys = [i for i, lab in enumerate(labels) if lab not in CHAT_LABELS]
    journey_probs = _out_of_fold(settings, texts, labels, journeys, chat, folds)
    chat_probs = _out_of_fold(settings, texts, labels, chat, journeys, folds)
    kinds = np.array([CHAT if lab in CHAT_LABELS else REASON for lab in labels])
    kind_probs = cross_val_predict(build(settings), texts, kinds, cv=folds, method="predict_proba")[:, 0]  # chat
    journey_classes = sorted(set(labels[journeys]))
    chat_classes = sorted(set(labels[chat]))
    rankings = {i: _rankings(journey_probs[i][None, :], journey_classes)[0] for i in range(len(labels))}
    chat_rankings = {i: _rankings(chat_probs[i][None, :], chat_classes)[0] for i in range(len(labels))}
    print(f"{len(chat)} chat examples, {len(journeys)} caller reasons, 5 folds\n")
    print("| request ≥ | chat best ≥ | fallback < | chat | journeys kept | chat fallbacks |")
    print("| --- | --- | --- | --- | --- | --- |")
    for share, chat_min, threshold in product((0.3, 0.4, 0.5, 0.6, 0.7), (0.1, 0.2, 0.3), (0.2, 0.3, 0.4)):
        decided = [decide(rankings[i], chat_rankings[i], float(kind_probs[i]), share, chat_min, threshold)[0]
                   for i in range(len(labels))]
        chat_right = np.mean([decided[i] == labels[i] for i in chat])
        kept = np.mean([decided[i] == labels[i] for i in journeys])
        fallbacks = np.mean([decided[i] == "nlu_fallback" for i in chat])
        print(f"| {share} | {chat_min} | {threshold} | {chat_right:.3f} | {kept:.3f} | {fallbacks:.3f} |")


if __name__ == "__main__":
    main()
