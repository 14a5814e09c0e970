"""Sweep the secondary-journey thresholds of nlu/journeys.py on held-out set A (its 25 two-reason calls).

For each rule: the share of second reasons shown to the advisor (as primary or secondary, as `copilot nlu
evaluate` counts it) and the number of spurious secondaries on single-reason calls. Run in the Rasa runtime:

    PYTHONPATH=. .venv-rasa/bin/python nlu_eval/secondary_thresholds.py

Set B is never used here: it stays an unstudied measure.
"""

import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "nlu_eval"))
from compare_classifiers import training_set  # noqa: E402

from nlu.components.tfidf_svm_classifier import TfidfSvmIntentClassifier, build  # noqa: E402
from nlu.text.clauses import split_clauses  # noqa: E402
from nlu.text.normalise import normalise  # noqa: E402


def main() -> None:
    texts, labels = training_set()
    model = build(TfidfSvmIntentClassifier.get_default_config()).fit(texts, labels)
    classes = list(model.classes_)
    rows = []
    for line in (REPO / "nlu_eval" / "heldout.jsonl").read_text().splitlines():
        item = json.loads(line)
        text = normalise(item["text"]) or "silence"
        whole = model.predict_proba([text])[0]
        clauses = split_clauses(text)
        rows.append((item, whole, model.predict_proba(clauses) if clauses else []))

    def rule(clause_min: float | None, support: float, runner_up: float | None):  # type: ignore[no-untyped-def]
        def secondary(whole, clause_probs):  # type: ignore[no-untyped-def]
            primary = classes[int(np.argmax(whole))]
            if primary == "out_of_scope":
                return primary, []
            found = []
            if clause_min is not None:
                for probs in clause_probs:
                    j = int(np.argmax(probs))
                    if probs[j] >= clause_min and whole[j] >= support:
                        found.append(classes[j])
            if runner_up is not None:
                found += [classes[j] for j in np.argsort(-whole)[1:3] if whole[j] >= runner_up]
            unique = [n for i, n in enumerate(found) if n not in (primary, "out_of_scope") and n not in found[:i]]
            return primary, unique[:2]
        return secondary

    print("| clause ≥ | whole ≥ | runner-up ≥ | second reasons shown | spurious on single-reason calls |")
    print("| --- | --- | --- | --- | --- |")
    grid = [(None, 0.0, 0.2), (None, 0.0, 0.3), (None, 0.0, 0.35)] + [
        (c, s, r) for c in (0.3, 0.4, 0.5, 0.6) for s in (0.0, 0.1) for r in (None, 0.35)]
    for clause_min, support, runner_up in grid:
        secondary = rule(clause_min, support, runner_up)
        shown = wanted = spurious = 0
        for item, whole, clause_probs in rows:
            primary, found = secondary(whole, clause_probs)
            if item.get("secondary"):
                wanted += len(item["secondary"])
                shown += len({primary, *found} & set(item["secondary"]))
            else:
                spurious += len(found)
        print(f"| {clause_min or '—'} | {support} | {runner_up or '—'} | {shown / wanted:.2f} | {spurious} |")


if __name__ == "__main__":
    main()
