"""Choose the constants of nlu/chat_intent.py by cross-validation on the training data (held-out sets unused).

Each training example is predicted by a classifier trained without it (5 stratified folds, the pipeline of
assistant/config.yml); the chat classifier is cross-validated on the chat examples alone; each rule of the
grid then decides every prediction. Reported: the share of the advisor's chat examples decided right
(``chat``), the share of caller reasons typed in the chat that stay their journey (``journeys kept``: the
copilot then lists the journey's acts) and the fallbacks. Run in the Rasa runtime:

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

from nlu.chat_intent import CHAT_LABELS, decide  # noqa: E402
from nlu.components.tfidf_svm_classifier import TfidfSvmIntentClassifier, build  # noqa: E402


def main() -> None:
    config = yaml.safe_load((REPO / "assistant" / "config.yml").read_text())
    params = next(c for c in config["pipeline"] if c["name"].endswith("TfidfSvmIntentClassifier"))
    settings = {**TfidfSvmIntentClassifier.get_default_config(), **{k: v for k, v in params.items() if k != "name"}}
    texts, labels = training_set(None)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=42)
    joint = cross_val_predict(build(settings), texts, labels, cv=folds, method="predict_proba")
    classes = sorted(set(labels))
    rankings = [[{"name": c, "confidence": float(p)} for c, p in zip(classes, row, strict=True)] for row in joint]
    chat = [i for i, lab in enumerate(labels) if lab in CHAT_LABELS]
    journeys = [i for i, lab in enumerate(labels) if lab not in CHAT_LABELS]
    # the chat classifier: cross-validated on the chat examples, trained on all of them for the caller reasons
    chat_texts, chat_labels = [texts[i] for i in chat], labels[chat]
    chat_classes = sorted(set(chat_labels))
    chat_probs = dict(zip(chat, cross_val_predict(build(settings), chat_texts, chat_labels, cv=folds,
                                                   method="predict_proba"), strict=True))
    whole = build(settings).fit(chat_texts, chat_labels)
    chat_probs.update(zip(journeys, whole.predict_proba([texts[i] for i in journeys]), strict=True))
    chat_rankings = {i: [{"name": c, "confidence": float(p)} for c, p in zip(chat_classes, row, strict=True)]
                     for i, row in chat_probs.items()}
    print(f"{len(chat)} chat examples, {len(journeys)} caller reasons, 5 folds\n")
    print("| chat share ≥ | chat best ≥ | fallback < | chat | journeys kept | chat fallbacks |")
    print("| --- | --- | --- | --- | --- | --- |")
    for share, chat_min, threshold in product((0.1, 0.2, 0.3, 0.4, 0.5), (0.1, 0.2, 0.3), (0.2, 0.3, 0.4)):
        decided = [decide(rankings[i], chat_rankings[i], share, chat_min, threshold)[0] for i in range(len(labels))]
        chat_right = np.mean([decided[i] == labels[i] for i in chat])
        kept = np.mean([decided[i] == labels[i] for i in journeys])
        fallbacks = np.mean([decided[i] == "nlu_fallback" for i in chat])
        print(f"| {share} | {chat_min} | {threshold} | {chat_right:.3f} | {kept:.3f} | {fallbacks:.3f} |")


if __name__ == "__main__":
    main()
