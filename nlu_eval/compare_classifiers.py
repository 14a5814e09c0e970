"""Compare intent classifiers quickly, outside Rasa, on the same normalised text as the pipeline.

Model selection uses 5-fold cross-validation on the training data only; the held-out score is printed
beside it as the final check. Run in the Rasa runtime (it has scikit-learn):

    PYTHONPATH=. .venv-rasa/bin/python nlu_eval/compare_classifiers.py
"""

import json
import re
import sys
import time
from collections.abc import Collection
from pathlib import Path

import numpy as np
import yaml
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline, make_union
from sklearn.svm import LinearSVC

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from nlu.components.sentence_encoder import SentenceEncoder  # noqa: E402
from nlu.journeys import JOURNEY_CODES  # noqa: E402
from nlu.text.features import word_terms  # noqa: E402
from nlu.text.normalise import normalise  # noqa: E402

ANNOTATION = re.compile(r"\[([^\]]+)\]\([a-z_]+\)")


def training_set(intents: Collection[str] | None = JOURNEY_CODES) -> tuple[list[str], np.ndarray]:
    """The normalised training examples of these intents (None: every intent) and their labels."""
    texts, labels = [], []
    for path in sorted((REPO / "assistant" / "data" / "nlu").glob("*.yml")):
        for block in yaml.safe_load(path.read_text())["nlu"]:
            if "intent" in block and (intents is None or block["intent"] in intents):
                for line in block["examples"].splitlines():
                    if line.strip().startswith("- "):
                        texts.append(normalise(ANNOTATION.sub(r"\1", line.strip()[2:])) or "silence")
                        labels.append(block["intent"])
    return texts, np.array(labels)


def tfidf(chars: tuple[int, int] = (2, 5), words: tuple[int, int] = (1, 2)):  # type: ignore[no-untyped-def]
    return make_union(TfidfVectorizer(analyzer="char_wb", ngram_range=chars, sublinear_tf=True),
                      TfidfVectorizer(ngram_range=words, sublinear_tf=True))


def tfidf_stems(chars: tuple[int, int] = (2, 5), words: tuple[int, int] = (1, 2),  # type: ignore[no-untyped-def]
                sentence_weight: float = 0.0):
    blocks = [TfidfVectorizer(analyzer="char_wb", ngram_range=chars, sublinear_tf=True),
              TfidfVectorizer(tokenizer=word_terms, token_pattern=None, lowercase=False,
                              ngram_range=words, sublinear_tf=True)]
    return make_union(*blocks, *([SentenceEncoder(sentence_weight)] if sentence_weight else []))


CANDIDATES = {
    "counts + logistic regression (Rasa's LogisticRegressionClassifier)": lambda: make_pipeline(
        make_union(CountVectorizer(analyzer="char_wb", ngram_range=(2, 5)), CountVectorizer()),
        LogisticRegression(max_iter=2000, class_weight="balanced")),
    "tf-idf + logistic regression C=10": lambda: make_pipeline(
        tfidf(), LogisticRegression(C=10, max_iter=2000, class_weight="balanced")),
    "tf-idf + linear SVM C=1": lambda: make_pipeline(tfidf(), LinearSVC(C=1, class_weight="balanced")),
    "tf-idf + linear SVM C=0.5": lambda: make_pipeline(tfidf(), LinearSVC(C=0.5, class_weight="balanced")),
    "tf-idf (chars 1-6) + linear SVM": lambda: make_pipeline(tfidf((1, 6)), LinearSVC(C=1, class_weight="balanced")),
    "tf-idf + calibrated linear SVM (chosen until 2026-11-23)": lambda: make_pipeline(
        tfidf(), CalibratedClassifierCV(LinearSVC(C=1, class_weight="balanced"), cv=3)),
    "tf-idf, word stems with negation scope + linear SVM C=1": lambda: make_pipeline(
        tfidf_stems(), LinearSVC(C=1, class_weight="balanced")),
    "tf-idf, word stems with negation scope + linear SVM C=0.5": lambda: make_pipeline(
        tfidf_stems(), LinearSVC(C=0.5, class_weight="balanced")),
    "tf-idf, word stems 1-3 with negation scope + linear SVM C=1": lambda: make_pipeline(
        tfidf_stems(words=(1, 3)), LinearSVC(C=1, class_weight="balanced")),
    "tf-idf, word stems with negation scope + calibrated linear SVM (chosen until the sentence encoder)":
        lambda: make_pipeline(tfidf_stems(), CalibratedClassifierCV(LinearSVC(C=1, class_weight="balanced"), cv=5,
                                                                     ensemble=False)),
    "sentence encoder alone + linear SVM": lambda: make_pipeline(
        SentenceEncoder(1.0), LinearSVC(C=1, class_weight="balanced")),
    "sentence encoder alone + logistic regression C=10": lambda: make_pipeline(
        SentenceEncoder(1.0), LogisticRegression(C=10, max_iter=3000, class_weight="balanced")),
    **{f"tf-idf stems + sentence encoder ×{w} + linear SVM": (lambda w=w: make_pipeline(
        tfidf_stems(sentence_weight=w), LinearSVC(C=1, class_weight="balanced"))) for w in (0.5, 1.0, 1.5)},
    "tf-idf stems + sentence encoder ×0.75 + calibrated linear SVM (chosen)": lambda: make_pipeline(
        tfidf_stems(sentence_weight=0.75),
        CalibratedClassifierCV(LinearSVC(C=1, class_weight="balanced"), cv=5, ensemble=False)),
}


def main() -> None:
    texts, labels = training_set()
    heldout = [json.loads(line) for line in (REPO / "nlu_eval" / "heldout.jsonl").read_text().splitlines() if line]
    h_texts = [normalise(h["text"]) or "silence" for h in heldout]
    h_labels = [h["journey"] for h in heldout]
    folds = StratifiedKFold(5, shuffle=True, random_state=42)
    print(f"{len(texts)} training examples, {len(heldout)} held-out")
    print("| classifier | 5-fold CV accuracy (training data) | held-out accuracy | held-out macro-F1 | fit+CV time |")
    print("| --- | --- | --- | --- | --- |")
    for name, build in CANDIDATES.items():
        t0 = time.perf_counter()
        cv = cross_val_score(build(), texts, labels, cv=folds).mean()
        model = build().fit(texts, labels)
        predicted = model.predict(h_texts)
        print(f"| {name} | {cv:.3f} | {accuracy_score(h_labels, predicted):.3f} | "
              f"{f1_score(h_labels, predicted, average='macro'):.3f} | {time.perf_counter() - t0:.0f} s |")


if __name__ == "__main__":
    main()
