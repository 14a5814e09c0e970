"""Choose the constants of nlu/chat_intent.py by cross-validation on the training data (held-out sets unused).

Each training example is predicted by a classifier trained without it (5 stratified folds, the pipeline of
assistant/config.yml); each rule of the grid then decides every prediction. Reported: the share of the
advisor's chat examples decided right (``chat``), the share of caller reasons typed in the chat that stay their
journey (``journeys kept``: the copilot then lists the journey's acts) and the fallbacks. Run in the Rasa runtime:

    PYTHONPATH=. .venv-rasa/bin/python nlu_eval/chat_thresholds.py
"""

import re
import sys
from itertools import product
from pathlib import Path

import numpy as np
import yaml
from sklearn.model_selection import StratifiedKFold, cross_val_predict

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from nlu.chat_intent import CHAT_LABELS, decide  # noqa: E402
from nlu.components.tfidf_svm_classifier import TfidfSvmIntentClassifier, build  # noqa: E402
from nlu.text.normalise import normalise  # noqa: E402

ANNOTATION = re.compile(r"\[([^\]]+)\]\([a-z_]+\)")


def training_set() -> tuple[list[str], np.ndarray]:
    texts, labels = [], []
    for path in sorted((REPO / "assistant" / "data" / "nlu").glob("*.yml")):
        for block in yaml.safe_load(path.read_text())["nlu"]:
            if "intent" in block:
                for line in block["examples"].splitlines():
                    if line.strip().startswith("- "):
                        texts.append(normalise(ANNOTATION.sub(r"\1", line.strip()[2:])) or "silence")
                        labels.append(block["intent"])
    return texts, np.array(labels)


def main() -> None:
    config = yaml.safe_load((REPO / "assistant" / "config.yml").read_text())
    params = next(c for c in config["pipeline"] if c["name"].endswith("TfidfSvmIntentClassifier"))
    model = build({**TfidfSvmIntentClassifier.get_default_config(), **{k: v for k, v in params.items() if k != "name"}})
    texts, labels = training_set()
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=42)
    probs = cross_val_predict(model, texts, labels, cv=folds, method="predict_proba")
    classes = sorted(set(labels))
    rankings = [[{"name": c, "confidence": float(p)} for c, p in zip(classes, row, strict=True)] for row in probs]
    chat = [i for i, lab in enumerate(labels) if lab in CHAT_LABELS]
    journeys = [i for i, lab in enumerate(labels) if lab not in CHAT_LABELS]
    print(f"{len(chat)} chat examples, {len(journeys)} caller reasons, 5 folds\n")
    print("| chat ≥ | × best journey | fallback < | ambiguity < | chat | journeys kept | chat fallbacks |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for chat_min, ratio, threshold, ambiguity in product((0.1, 0.2, 0.3), (0.3, 0.5, 0.8, 1.0),
                                                          (0.3, 0.4, 0.5), (0.0, 0.05, 0.1)):
        decided = [decide(r, chat_min, ratio, threshold, ambiguity)[0] for r in rankings]
        chat_right = np.mean([decided[i] == labels[i] for i in chat])
        kept = np.mean([decided[i] == labels[i] for i in journeys])
        fallbacks = np.mean([decided[i] == "nlu_fallback" for i in chat])
        print(f"| {chat_min} | {ratio} | {threshold} | {ambiguity} | {chat_right:.3f} | {kept:.3f} | "
              f"{fallbacks:.3f} |")


if __name__ == "__main__":
    main()
