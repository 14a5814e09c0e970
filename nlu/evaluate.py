"""Evaluate the journey classifier on the held-out set (and optionally by cross-validation).

Run in the Rasa runtime (``copilot nlu evaluate`` does it for you)::

    .venv-rasa/bin/python -m nlu.evaluate --model MODEL.tar.gz --heldout nlu_eval/heldout.jsonl --out DIR
    .venv-rasa/bin/python -m nlu.evaluate --config CONFIG.yml --heldout … --out DIR [--cv 5]

Writes ``DIR/metrics.json``, ``DIR/report.md`` and ``DIR/confusion_matrix.png``. Training never reads
the held-out file: with ``--config`` a model is trained on ``assistant/data`` only.
"""

import argparse
import asyncio
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nlu.journeys import JOURNEY_CODES, primary_and_secondary

REPO = Path(__file__).resolve().parents[1]


def _quiet() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.disable(logging.WARNING)


def train(config: Path, data: list[Path], out: Path, name: str) -> tuple[Path, float]:
    from rasa.model_training import train_nlu

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        nlu_dir = Path(tmp) / "nlu"
        nlu_dir.mkdir()
        for i, path in enumerate(data):
            (nlu_dir / f"{i}-{path.name}").write_text(path.read_text())
        model = train_nlu(str(config), str(nlu_dir), str(out), fixed_model_name=name,
                          domain=str(REPO / "assistant" / "domain"))
    return Path(model), time.perf_counter() - t0


def predict(model: Path, texts: list[str]) -> tuple[list[dict[str, Any]], list[float]]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    loop = asyncio.new_event_loop()
    parses, timings = [], []
    for text in texts:
        t0 = time.perf_counter()
        parses.append(loop.run_until_complete(agent.parse_message(text)))
        timings.append((time.perf_counter() - t0) * 1000)
    return parses, timings


def metrics(expected: list[str], predicted: list[str], labels: Sequence[str] = JOURNEY_CODES,
            per: str = "per_journey") -> dict[str, Any]:
    """Accuracy over every example; macro-F1 and ``per`` (precision, recall, F1, support) over ``labels``.

    A prediction outside ``labels`` (``nlu_fallback``, another classifier's label) is an error: it lowers the
    expected label's recall and no label's precision.
    """
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    labels = list(labels)
    p, r, f, s = precision_recall_fscore_support(expected, predicted, labels=labels, zero_division=0)
    return {
        "accuracy": accuracy_score(expected, predicted),
        "macro_f1": f1_score(expected, predicted, labels=labels, average="macro", zero_division=0),
        per: {lab: {"precision": p[i], "recall": r[i], "f1": f[i], "support": int(s[i])}
              for i, lab in enumerate(labels)},
    }


def confusion_png(expected: list[str], predicted: list[str], path: Path, title: str,
                  labels: Sequence[str] = JOURNEY_CODES, columns: Sequence[str] | None = None,
                  what: str = "journey") -> None:
    """Confusion matrix: ``labels`` as rows (expected), ``columns`` (default ``labels``) as predicted."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix

    labels = list(labels)
    columns = list(columns) if columns is not None else labels
    extra = [c for c in columns if c not in labels]
    matrix = confusion_matrix(expected, predicted, labels=labels + extra)[: len(labels)]
    matrix = matrix[:, [(labels + extra).index(c) for c in columns]]
    fig, ax = plt.subplots(figsize=(max(9.0, 0.6 * len(columns)), max(8.0, 0.55 * len(labels))))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(columns)), columns, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel(f"predicted {what}")
    ax.set_ylabel(f"expected {what}")
    ax.set_title(title)
    for i in range(len(labels)):
        for j in range(len(columns)):
            if matrix[i, j]:
                ax.text(j, i, str(matrix[i, j]), ha="center", va="center",
                        color="white" if matrix[i, j] > matrix.max() / 2 else "black")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def evaluate(model: Path, heldout: Path, out: Path, train_seconds: float | None, label: str) -> dict[str, Any]:
    items = [json.loads(line) for line in heldout.read_text().splitlines() if line.strip()]
    parses, timings = predict(model, [i["text"] for i in items])
    rows = []
    for item, parse in zip(items, parses, strict=True):
        journey, confidence, secondary = primary_and_secondary(parse)
        rows.append({"id": item["id"], "text": item["text"], "expected": item["journey"],
                     "predicted": journey or "out_of_scope", "confidence": round(confidence, 3),
                     "expected_secondary": item.get("secondary", []), "secondary": secondary,
                     "style": item.get("style")})
    expected = [r["expected"] for r in rows]
    predicted = [r["predicted"] for r in rows]
    result = metrics(expected, predicted)
    multi = [r for r in rows if r["expected_secondary"]]
    hits = sum(1 for r in multi for s in r["expected_secondary"] if s in r["secondary"] or s == r["predicted"])
    wanted = sum(len(r["expected_secondary"]) for r in multi)
    extra = sum(len(r["secondary"]) for r in rows if not r["expected_secondary"])
    timings.sort()
    result.update({
        "label": label, "model": model.name, "examples": len(rows),
        "train_seconds": train_seconds,
        "parse_ms": {"p50": statistics.median(timings), "p95": timings[int(0.95 * (len(timings) - 1))]},
        "secondary": {"multi_examples": len(multi), "recall": hits / wanted if wanted else None,
                      "spurious_on_single": extra},
        "by_style": {st: sum(1 for r in rows if r["style"] == st and r["expected"] == r["predicted"]) /
                     max(1, sum(1 for r in rows if r["style"] == st)) for st in sorted({r["style"] for r in rows})},
        "errors": [r for r in rows if r["expected"] != r["predicted"]],
    })
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(result, ensure_ascii=False, indent=2, default=float))
    confusion_png(expected, predicted, out / "confusion_matrix.png", f"{label} — held-out ({len(rows)})")
    (out / "report.md").write_text(report(result))
    return result


def report(r: dict[str, Any]) -> str:
    lines = [f"# NLU evaluation — {r['label']}", "",
             f"Model `{r['model']}` on the held-out set ({r['examples']} call reasons never seen in training).", "",
             "| measure | value |", "| --- | --- |",
             f"| journey accuracy | {r['accuracy']:.3f} |", f"| macro-F1 | {r['macro_f1']:.3f} |",
             f"| parse p50 / p95 (in-process) | {r['parse_ms']['p50']:.1f} ms / {r['parse_ms']['p95']:.1f} ms |"]
    if r.get("train_seconds"):
        lines.append(f"| training time | {r['train_seconds']:.0f} s |")
    sec = r["secondary"]
    if sec["recall"] is not None:
        lines.append(f"| secondary journeys found (multi-reason calls) | {sec['recall']:.2f} of "
                     f"{sec['multi_examples']} calls' second reasons |")
        lines.append(f"| spurious secondary journeys on single-reason calls | {sec['spurious_on_single']} |")
    lines += ["", "![confusion matrix](confusion_matrix.png)", "", "| journey | precision | recall | F1 | n |",
              "| --- | --- | --- | --- | --- |"]
    for name, m in r["per_journey"].items():
        lines.append(f"| {name} | {m['precision']:.2f} | {m['recall']:.2f} | {m['f1']:.2f} | {m['support']} |")
    lines += ["", "| style | accuracy |", "| --- | --- |"]
    lines += [f"| {k} | {v:.2f} |" for k, v in r["by_style"].items()]
    lines += ["", f"## Errors ({len(r['errors'])})", "", "| text | expected | predicted | confidence |",
              "| --- | --- | --- | --- |"]
    for e in r["errors"]:
        text = e["text"].replace("|", "/")
        lines.append(f"| {text} | {e['expected']} | {e['predicted']} | {e['confidence']:.2f} |")
    return "\n".join(lines) + "\n"


def cross_validate(config: Path, folds: int, out: Path) -> dict[str, Any]:
    """Stratified k-fold over the training data (the held-out set is not used)."""
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData
    from sklearn.model_selection import StratifiedKFold

    data = load_data(str(REPO / "assistant" / "data" / "nlu"))
    examples = [m for m in data.intent_examples]
    labels = [m.get("intent") for m in examples]
    accuracies = []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=42)
    for k, (train_idx, test_idx) in enumerate(splitter.split(examples, labels)):
        with tempfile.TemporaryDirectory() as tmp:
            fold_file = Path(tmp) / "fold.yml"
            fold_file.write_text(RasaYAMLWriter().dumps(TrainingData([examples[i] for i in train_idx])))
            model, _ = train(config, [fold_file], Path(tmp), f"fold{k}")
            tests = [examples[i] for i in test_idx if examples[i].get("intent") in JOURNEY_CODES]
            parses, _ = predict(model, [m.get("text") for m in tests])
            predicted = [primary_and_secondary(p)[0] or "out_of_scope" for p in parses]
            expected = [m.get("intent") for m in tests]
            accuracies.append(sum(a == b for a, b in zip(expected, predicted, strict=True)) / len(tests))
    result = {"folds": folds, "accuracy_per_fold": accuracies, "accuracy_mean": statistics.mean(accuracies)}
    out.mkdir(parents=True, exist_ok=True)
    (out / "cross_validation.json").write_text(json.dumps(result, indent=2))
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", type=Path)
    source.add_argument("--config", type=Path)
    parser.add_argument("--heldout", type=Path, default=REPO / "nlu_eval" / "heldout.jsonl")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--label", default=None)
    parser.add_argument("--cv", type=int, default=0, help="also run a k-fold cross-validation (needs --config)")
    args = parser.parse_args()
    _quiet()
    train_seconds = None
    model = args.model
    if args.config:
        nlu_files = sorted((REPO / "assistant" / "data" / "nlu").glob("*.yml"))
        model, train_seconds = train(args.config, nlu_files, args.out / "model", "eval")
    result = evaluate(model, args.heldout, args.out, train_seconds, args.label or (args.config or model).name)
    summary = {k: result[k] for k in ("label", "accuracy", "macro_f1", "parse_ms", "train_seconds", "secondary")}
    summary["min_recall"] = min(m["recall"] for m in result["per_journey"].values())
    if args.cv:
        if not args.config:
            parser.error("--cv needs --config")
        summary["cross_validation"] = cross_validate(args.config, args.cv, args.out)
    print(json.dumps(summary, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
