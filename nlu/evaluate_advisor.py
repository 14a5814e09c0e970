"""Evaluate the advisor-chat intents (the advisor's questions and orders to the copilot) on their held-out set.

Run in the Rasa runtime (``copilot nlu evaluate --advisor`` does it for you)::

    .venv-rasa/bin/python -m nlu.evaluate_advisor --model MODEL.tar.gz --out DIR \
        [--heldout nlu_eval/advisor_heldout.jsonl]

The labels are the chat intents of ``crm_core.acts.catalogue.CHAT_INTENTS`` plus the answers to « Je confirme ? »
(``affirm``, ``deny``). The predicted label is the parse's top intent, as the copilot's rules see it: an
``nlu_fallback`` (confidence under the FallbackClassifier's threshold, or two intents too close) or a journey is
an error. Held-out items whose text, normalised (:func:`normalise`), is also a training example are dropped and
counted (``dropped_in_training``): the figures are on sentences training never saw.

Writes ``DIR/metrics.json``, ``DIR/report.md`` and ``DIR/confusion_matrix.png``. The pure-Python helpers
(:func:`normalise`, :func:`training_texts`, :func:`load_heldout`) are also used by the tests (app runtime).
"""

import argparse
import json
import re
import statistics
import sys
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

from crm_core.acts.catalogue import CHAT_INTENTS, CONFIRM_INTENTS, JOURNEY_CODES

REPO = Path(__file__).resolve().parents[1]
ADVISOR_HELDOUT = REPO / "nlu_eval" / "advisor_heldout.jsonl"
TRAINING_NLU = REPO / "assistant" / "data" / "nlu"
ADVISOR_LABELS: tuple[str, ...] = tuple(c.intent for c in CHAT_INTENTS) + tuple(CONFIRM_INTENTS)
FALLBACK = "nlu_fallback"
JOURNEY_COLUMN = "(a journey)"  # confusion-matrix column for advisor lines taken for a caller's reason
OTHER_COLUMN = "(other)"
# Entity annotations of Rasa's training format: "[Lyon](city)", '[Lyon]{"entity": "city"}' -> "Lyon".
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def normalise(text: str) -> str:
    """Lowercase, accents folded, punctuation removed (as a space), whitespace collapsed.

    « Passe-le en prélèvement ! » and « passe le en prelevement » are the same sentence.
    """
    folded = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(re.sub(r"[\W_]+", " ", folded).split())


def training_texts(nlu_dir: Path = TRAINING_NLU) -> dict[str, str]:
    """Every training example of ``nlu_dir/*.yml`` (annotations removed), normalised -> its intent."""
    import yaml

    texts: dict[str, str] = {}
    for path in sorted(nlu_dir.glob("*.yml")):
        for block in (yaml.safe_load(path.read_text()) or {}).get("nlu") or []:
            if "intent" not in block or "examples" not in block:
                continue
            examples = block["examples"]
            if isinstance(examples, str):
                lines = [line.strip()[2:] for line in examples.splitlines() if line.strip().startswith("- ")]
            else:
                lines = [e["text"] if isinstance(e, dict) else str(e) for e in examples]
            for line in lines:
                texts.setdefault(normalise(_ANNOTATION.sub(r"\1", line)), block["intent"])
    return texts


def load_heldout(path: Path = ADVISOR_HELDOUT) -> list[dict[str, Any]]:
    items = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    unknown = sorted({i["intent"] for i in items} - set(ADVISOR_LABELS))
    if unknown:
        raise ValueError(f"{path}: intents that are not advisor-chat intents: {unknown}")
    return items


def split_seen(items: list[dict[str, Any]], training: dict[str, str]) -> tuple[list[dict], list[dict]]:
    """(items whose normalised text training never saw, items dropped because it did)."""
    kept, dropped = [], []
    for item in items:
        seen = training.get(normalise(item["text"]))
        if seen is None:
            kept.append(item)
        else:
            dropped.append({"id": item["id"], "text": item["text"], "intent": item["intent"],
                            "training_intent": seen})
    return kept, dropped


def _shown(path: Path) -> str:
    """The path as the report shows it: relative to the repository when inside it."""
    resolved = path.resolve()
    return str(resolved.relative_to(REPO)) if resolved.is_relative_to(REPO) else str(path)


def _column(predicted: str) -> str:
    if predicted in ADVISOR_LABELS or predicted == FALLBACK:
        return predicted
    return JOURNEY_COLUMN if predicted in JOURNEY_CODES else OTHER_COLUMN


def _best_below_fallback(parse: dict[str, Any]) -> tuple[str | None, float]:
    """The classifier's own best intent (what the FallbackClassifier overrode), for reading the errors."""
    for r in parse.get("intent_ranking") or []:
        if r.get("name") != FALLBACK:
            return r.get("name"), float(r.get("confidence") or 0.0)
    return None, 0.0


def evaluate(model: Path, heldout: Path, out: Path, label: str) -> dict[str, Any]:
    from nlu.evaluate import confusion_png, metrics, predict

    items = load_heldout(heldout)
    kept, dropped = split_seen(items, training_texts())
    parses, timings = predict(model, [i["text"] for i in kept])
    rows = []
    for item, parse in zip(kept, parses, strict=True):
        intent = parse.get("intent") or {}
        best, best_confidence = _best_below_fallback(parse)
        rows.append({"id": item["id"], "text": item["text"], "expected": item["intent"],
                     "predicted": intent.get("name") or FALLBACK,
                     "confidence": round(float(intent.get("confidence") or 0.0), 3),
                     "best_intent": best, "best_confidence": round(best_confidence, 3), "style": item.get("style")})
    expected = [r["expected"] for r in rows]
    predicted = [r["predicted"] for r in rows]
    result = metrics(expected, predicted, labels=ADVISOR_LABELS, per="per_intent")
    dropped_per_intent = Counter(d["intent"] for d in dropped)
    for name, m in result["per_intent"].items():
        m["dropped_in_training"] = dropped_per_intent.get(name, 0)
    errors = [r for r in rows if r["expected"] != r["predicted"]]
    timings.sort()
    result.update({
        "label": label, "model": model.name, "heldout": _shown(heldout),
        "heldout_items": len(items), "dropped_in_training": len(dropped), "examples": len(rows),
        "parse_ms": {"p50": statistics.median(timings), "p95": timings[int(0.95 * (len(timings) - 1))]},
        "errors_by_kind": {"other_chat_intent": sum(1 for e in errors if e["predicted"] in ADVISOR_LABELS),
                           "nlu_fallback": sum(1 for e in errors if e["predicted"] == FALLBACK),
                           "journey": sum(1 for e in errors if e["predicted"] in JOURNEY_CODES),
                           "other": sum(1 for e in errors if _column(e["predicted"]) == OTHER_COLUMN)},
        "by_style": {st: sum(1 for r in rows if r["style"] == st and r["expected"] == r["predicted"]) /
                     max(1, sum(1 for r in rows if r["style"] == st))
                     for st in sorted({r["style"] for r in rows}, key=str)},
        "errors": errors,
        "dropped": dropped,
    })
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(result, ensure_ascii=False, indent=2, default=float))
    columns = list(ADVISOR_LABELS) + [FALLBACK, JOURNEY_COLUMN]
    mapped = [_column(p) for p in predicted]
    if OTHER_COLUMN in mapped:
        columns.append(OTHER_COLUMN)
    confusion_png(expected, mapped, out / "confusion_matrix.png", f"{label} — advisor chat, held-out ({len(rows)})",
                  labels=ADVISOR_LABELS, columns=columns, what="intent")
    (out / "report.md").write_text(report(result))
    return result


def report(r: dict[str, Any]) -> str:
    kinds = r["errors_by_kind"]
    lines = [f"# NLU evaluation — advisor chat — {r['label']}", "",
             f"Model `{r['model']}` on `{r['heldout']}`: {r['heldout_items']} advisor lines written apart "
             f"from the training data; {r['dropped_in_training']} of them are also training examples once "
             "normalised (lowercase, accents folded, punctuation removed) and are left out, so the figures are on "
             f"the {r['examples']} lines training never saw.", "",
             "The predicted label is the parse's top intent, as the copilot's rules see it: `nlu_fallback` (no "
             "intent confident enough) and a caller journey are errors.", "",
             "| measure | value |", "| --- | --- |",
             f"| intent accuracy | {r['accuracy']:.3f} |", f"| macro-F1 | {r['macro_f1']:.3f} |",
             f"| lowest recall | {min(m['recall'] for m in r['per_intent'].values()):.2f} |",
             f"| errors: another chat intent / nlu_fallback / a journey | {kinds['other_chat_intent']} / "
             f"{kinds['nlu_fallback']} / {kinds['journey']} |",
             f"| parse p50 / p95 (in-process) | {r['parse_ms']['p50']:.1f} ms / {r['parse_ms']['p95']:.1f} ms |",
             "", "![confusion matrix](confusion_matrix.png)", "",
             "| intent | precision | recall | F1 | n (held-out, kept) | dropped (in training) |",
             "| --- | --- | --- | --- | --- | --- |"]
    for name, m in r["per_intent"].items():
        lines.append(f"| {name} | {m['precision']:.2f} | {m['recall']:.2f} | {m['f1']:.2f} | {m['support']} | "
                     f"{m['dropped_in_training']} |")
    lines += ["", "| style | accuracy |", "| --- | --- |"]
    lines += [f"| {k} | {v:.2f} |" for k, v in r["by_style"].items()]
    lines += ["", f"## Errors ({len(r['errors'])})", "",
              "| text | expected | predicted | confidence | classifier's best (if fallback) |",
              "| --- | --- | --- | --- | --- |"]
    for e in r["errors"]:
        text = e["text"].replace("|", "/")
        best = f"{e['best_intent']} {e['best_confidence']:.2f}" if e["predicted"] == FALLBACK else ""
        lines.append(f"| {text} | {e['expected']} | {e['predicted']} | {e['confidence']:.2f} | {best} |")
    lines += ["", f"## Left out: also in the training data ({len(r['dropped'])})", ""]
    if r["dropped"]:
        lines += ["| id | text | held-out intent | training intent |", "| --- | --- | --- | --- |"]
        lines += [f"| {d['id']} | {d['text'].replace('|', '/')} | {d['intent']} | {d['training_intent']} |"
                  for d in r["dropped"]]
    else:
        lines.append("None.")
    return "\n".join(lines) + "\n"


def main() -> int:
    from nlu.evaluate import _quiet

    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--heldout", type=Path, default=ADVISOR_HELDOUT)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--label", default=None)
    args = parser.parse_args()
    _quiet()
    result = evaluate(args.model, args.heldout, args.out, args.label or args.model.name)
    summary = {k: result[k] for k in ("label", "accuracy", "macro_f1", "parse_ms", "examples", "heldout_items",
                                      "dropped_in_training")}
    summary["min_recall"] = min(m["recall"] for m in result["per_intent"].values())
    print(json.dumps(summary, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
