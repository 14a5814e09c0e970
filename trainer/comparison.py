"""A candidate beside the model in production, on each held-out set both were scored on.

Figures (accuracy, macro-F1) with their change, per-journey precision/recall/F1 with the change in F1, the
most frequent confusions, the confusion matrix, and the reasons that got better or worse. Set A's reasons
are shown; sets B and C stay blind (counts only): a trainer who read their errors would write examples for
them, and they would stop measuring how the NLU does on callers nobody has heard.

A candidate is *worse* than production when its accuracy is lower on any held-out set: publishing it then
needs ``force`` and a reason.
"""

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from crm_core.acts.catalogue import label_for
from crm_core.models.trainer import NluModel
from trainer.dataset import HELDOUT_SETS

SHOWN_SETS = ("A",)  # whose reasons the comparison may show
EPSILON = 1e-9


@lru_cache(maxsize=8)
def _texts(path: Path, stamp: float) -> dict[str, str]:
    return {item["id"]: item["text"] for item in map(json.loads, filter(str.strip, path.read_text().splitlines()))}


def heldout_text(set_name: str, item_id: str) -> str | None:
    path = HELDOUT_SETS.get(set_name)
    if set_name not in SHOWN_SETS or path is None or not path.exists():
        return None
    return _texts(path, path.stat().st_mtime).get(item_id)


def worse_on(candidate: NluModel, production: NluModel | None) -> list[str]:
    if production is None or production.id == candidate.id:
        return []
    theirs, ours = production.metrics or {}, candidate.metrics or {}
    return [name for name in ours if name in theirs and ours[name]["accuracy"] < theirs[name]["accuracy"] - EPSILON]


def _moved(name: str, ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    before = {r["id"]: r for r in theirs.get("rows", [])}
    better, worse = [], []
    for row in ours.get("rows", []):
        old = before.get(row["id"])
        if old is None or (old["predicted"] == row["expected"]) == (row["predicted"] == row["expected"]):
            continue
        item = {"set": name, "id": row["id"], "expected": row["expected"], "before": old["predicted"],
                "after": row["predicted"], "confidence": row["confidence"], "text": heldout_text(name, row["id"])}
        (better if row["predicted"] == row["expected"] else worse).append(item)
    return {"better": better, "worse": worse}


def compare(candidate: NluModel, production: NluModel | None) -> dict[str, Any]:
    theirs_all = (production.metrics or {}) if production and production.id != candidate.id else {}
    sets: dict[str, Any] = {}
    for name, ours in (candidate.metrics or {}).items():
        theirs = theirs_all.get(name)
        per_journey = []
        for journey, m in ours["per_journey"].items():
            old = (theirs or {}).get("per_journey", {}).get(journey)
            per_journey.append({"journey": journey, "label": label_for(journey) or journey,
                                "precision": m["precision"], "recall": m["recall"], "f1": m["f1"],
                                "support": m["support"],
                                "delta_f1": None if old is None else m["f1"] - old["f1"],
                                "delta_precision": None if old is None else m["precision"] - old["precision"],
                                "delta_recall": None if old is None else m["recall"] - old["recall"]})
        moved = _moved(name, ours, theirs) if theirs else {"better": [], "worse": []}
        sets[name] = {
            "examples": ours.get("examples"),
            "candidate": {"accuracy": ours["accuracy"], "macro_f1": ours["macro_f1"]},
            "production": None if theirs is None else {"accuracy": theirs["accuracy"], "macro_f1": theirs["macro_f1"]},
            "delta": None if theirs is None else {"accuracy": ours["accuracy"] - theirs["accuracy"],
                                                  "macro_f1": ours["macro_f1"] - theirs["macro_f1"]},
            "worse": theirs is not None and ours["accuracy"] < theirs["accuracy"] - EPSILON,
            "per_journey": per_journey,
            "confused_with": ours.get("confused_with", []),
            "confusion": {"labels": ours.get("labels", []), "matrix": ours.get("confusion", [])},
            "better_count": len(moved["better"]),
            "worse_count": len(moved["worse"]),
            "blind": name not in SHOWN_SETS,
            "better": moved["better"] if name in SHOWN_SETS else [],
            "worse_examples": moved["worse"] if name in SHOWN_SETS else [],
        }
    return {"production_id": production.id if production else None, "sets": sets,
            "worse_on": worse_on(candidate, production)}
