"""Which journey of a multi-request call is the primary one: the whole utterance's best, or the first request's?

The labelling guide (docs/nlu-labelling.md) says the primary journey is the one the caller insists on or states
as the goal, and the first one stated when two are equal. This sweep compares, on out-of-fold predictions of the
training data (5-fold cross-validation) and on held-out set A, the classifier's choice on the whole utterance
with "the first clause's journey when it is confident enough". Run in the Rasa runtime:

    PYTHONPATH=. .venv-rasa/bin/python nlu_eval/primary_rule.py

Set B is never used here: it stays an unstudied measure.
"""

import json
import sys
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedKFold

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "nlu_eval"))
from compare_classifiers import training_set  # noqa: E402

from nlu.components.tfidf_svm_classifier import TfidfSvmIntentClassifier, build  # noqa: E402
from nlu.text.clauses import first_request, split_clauses  # noqa: E402
from nlu.text.normalise import normalise  # noqa: E402

# (expected, style, whole-utterance probs, clause probs, probs of the request before an additive connector)
Row = tuple[str, str, np.ndarray, list[np.ndarray], np.ndarray | None]


def scored(model, texts: list[str], expected: list[str], styles: list[str]) -> list[Row]:  # type: ignore[no-untyped-def]
    clauses = [split_clauses(t) for t in texts]
    firsts = [first_request(t) for t in texts]
    probs = model.predict_proba(texts + [c for cs in clauses for c in cs] + [f for f in firsts if f])
    rest = iter(probs[len(texts):])
    rows = [(e, s, p, [next(rest) for _ in cs]) for e, s, p, cs in zip(expected, styles, probs[: len(texts)], clauses,
                                                                          strict=True)]
    return [(*row, next(rest) if f else None) for row, f in zip(rows, firsts, strict=True)]


def out_of_fold_rows() -> list[Row]:
    texts, labels = training_set()
    rows: list[Row] = []
    config = TfidfSvmIntentClassifier.get_default_config()
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(texts, labels):
        model = build(config).fit([texts[i] for i in train], labels[train])
        rows += scored(model, [texts[i] for i in test], list(labels[test]), ["train"] * len(test))
    return rows


def heldout_rows() -> list[Row]:
    texts, labels = training_set()
    model = build(TfidfSvmIntentClassifier.get_default_config()).fit(texts, labels)
    items = [json.loads(line) for line in (REPO / "nlu_eval" / "heldout.jsonl").read_text().splitlines()]
    return scored(model, [normalise(i["text"]) or "silence" for i in items], [i["journey"] for i in items],
                  [i["style"] for i in items])


def accuracy(rows: list[Row], classes: list[str], first_min: float | None, whole_min: float,
             tie: float | None = None, others_min: float | None = None) -> tuple[float, int]:
    """``first_min``/``whole_min``: the first clause's journey wins when it is that confident on the clause and
    on the whole utterance. ``tie``: it wins only when the whole utterance's ranking puts it within ``tie`` of the
    best ("when two are equal, the first one stated is primary"). ``others_min``: only when another clause asks
    for a different in-scope journey with that confidence (two real requests, not context then request)."""
    right = changed = 0
    for expected, _, whole, clause_probs, _ in rows:
        best = int(np.argmax(whole))
        primary = classes[best]
        if first_min is not None and clause_probs and primary != "out_of_scope":
            first = int(np.argmax(clause_probs[0]))
            others = [int(np.argmax(q)) for q in clause_probs[1:] if q.max() >= (others_min or 0.0)]
            if (classes[first] != "out_of_scope" and clause_probs[0][first] >= first_min
                    and whole[first] >= whole_min and classes[first] != primary
                    and (tie is None or whole[best] - whole[first] <= tie)
                    and (others_min is None or any(o != first and classes[o] != "out_of_scope" for o in others))):
                primary, changed = classes[first], changed + 1
        right += primary == expected
    return right / len(rows), changed


def additive_accuracy(rows: list[Row], classes: list[str], first_min: float) -> tuple[float, int]:
    """The request before an additive connector ("… et puis …", "… et au passage …") is primary when its
    journey is in scope and has at least ``first_min`` on it."""
    right = changed = 0
    for expected, _, whole, _, first in rows:
        primary = classes[int(np.argmax(whole))]
        if first is not None and primary != "out_of_scope":
            j = int(np.argmax(first))
            if classes[j] not in ("out_of_scope", primary) and first[j] >= first_min:
                primary, changed = classes[j], changed + 1
        right += primary == expected
    return right / len(rows), changed


def main() -> None:
    _, labels = training_set()
    classes = sorted(set(labels))
    sets = {"CV on training data": out_of_fold_rows(), "held-out set A": heldout_rows()}
    multi = {"set A two-reason calls": [r for r in sets["held-out set A"] if r[1] == "multi"],
             "set A single-reason calls": [r for r in sets["held-out set A"] if r[1] != "multi"]}
    sets |= multi
    print("| first clause ≥ | whole ≥ | within of the best | other clause ≥ | " + " | ".join(sets) + " |")
    print("| --- | --- | --- | --- | " + " | ".join("---" for _ in sets) + " |")
    grid = [(None, 0.0, None, None)] + [(f, w, None, None) for f in (0.4, 0.6) for w in (0.0, 0.1, 0.2)] + [
        (f, 0.0, t, o) for f in (0.4, 0.6) for t in (0.1, 0.2, 0.3, None) for o in (None, 0.5, 0.7)]
    for first_min, whole_min, tie, others_min in grid:
        cells = []
        for rows in sets.values():
            acc, changed = accuracy(rows, classes, first_min, whole_min, tie, others_min)
            cells.append(f"{acc:.3f} ({changed} changed)")
        print(f"| {first_min or '— (whole utterance)'} | {whole_min} | {tie or '—'} | {others_min or '—'} | "
              + " | ".join(cells) + " |")
    print("\n| request before an additive connector ≥ | " + " | ".join(sets) + " |")
    print("| --- | " + " | ".join("---" for _ in sets) + " |")
    for first_min in (0.3, 0.4, 0.5, 0.6, 0.7):
        cells = [f"{acc:.3f} ({changed} changed)"
                 for acc, changed in (additive_accuracy(rows, classes, first_min) for rows in sets.values())]
        print(f"| {first_min} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
