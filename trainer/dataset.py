"""The training data a candidate is trained on: the repository's plus the curated examples, as Rasa YAML.

A curated example overrides an example of the repository with the same wording (its near-duplicate key): that
is how a trainer relabels a sentence of the repository. The held-out sets are read only to refuse their
sentences as examples (``heldout_keys``): training never sees them.
"""

import re
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from crm_core.core.config import REPO_ROOT
from trainer.dedup import text_key
from trainer.masking import STAND_INS, unmask_for_training

DATA_DIR = REPO_ROOT / "assistant" / "data"
NLU_DIR = DATA_DIR / "nlu"
HELDOUT_DIR = REPO_ROOT / "nlu_eval"
# The held-out sets a candidate is scored on, by name (set C is scored when its file is there).
HELDOUT_SETS = {"A": HELDOUT_DIR / "heldout.jsonl", "B": HELDOUT_DIR / "heldout_b.jsonl",
                "C": HELDOUT_DIR / "heldout_c.jsonl"}
# Every file of sentences that training must never see (the journeys' sets, the chat's, the context cases).
NEVER_TRAINED = ("heldout*.jsonl", "advisor_heldout.jsonl", "context_cases*.jsonl")
EXPORT_FILE = NLU_DIR / "curated.yml"  # `copilot nlu export` (for the repository)
TRAINING_FILE = "curated_from_database.yml"  # written beside the repository's files for a training
ENTITIES = ("phone_number", "amount", "date", "equipment", "offer", "city")

_INTENT = re.compile(r"^\s*-\s*intent:\s*(\S+)")
_OTHER_ITEM = re.compile(r"^\s*-\s*(?:synonym|regex|lookup):")  # NLU items whose examples are not an intent's
_EXAMPLE = re.compile(r"^(\s+)-\s(.*)$")
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


@dataclass(frozen=True)
class Example:
    text: str
    journey: str
    entities: tuple[tuple[int, int, str, str | None], ...] = ()  # (start, end, entity, value)


def plain(annotated: str) -> str:
    """An example of the YAML without its entity annotations: « ma [box](equipment) » → « ma box »."""
    return _ANNOTATION.sub(r"\1", annotated).strip()


def heldout_sets() -> dict[str, Path]:
    return {name: path for name, path in HELDOUT_SETS.items() if path.exists()}


@lru_cache(maxsize=1)
def _heldout_keys(stamp: tuple[tuple[str, float], ...]) -> frozenset[str]:
    import json

    keys: set[str] = set()
    for name, _ in stamp:
        for line in (HELDOUT_DIR / name).read_text().splitlines():
            if line.strip():
                keys.add(text_key(json.loads(line)["text"]))
    return frozenset(keys)


def heldout_keys() -> frozenset[str]:
    """The keys of every held-out sentence (cached until a file changes)."""
    files = sorted({p for pattern in NEVER_TRAINED for p in HELDOUT_DIR.glob(pattern)})
    return _heldout_keys(tuple((p.name, p.stat().st_mtime) for p in files))


def _examples(lines: list[str]) -> Iterator[tuple[int, str, str]]:
    """(line index, example without annotations, intent) of each example line of an NLU YAML file."""
    intent, block_indent = None, None
    for i, line in enumerate(lines):
        indent = len(line) - len(line.lstrip())
        if m := _INTENT.match(line):
            intent, block_indent = m.group(1), None
        elif _OTHER_ITEM.match(line):
            intent, block_indent = None, None
        elif line.strip().startswith("examples:"):
            block_indent = indent
        elif block_indent is not None and line.strip() and indent <= block_indent:
            block_indent = None
        elif intent and block_indent is not None and (m := _EXAMPLE.match(line)):
            yield i, plain(m.group(2)), intent


@lru_cache(maxsize=2)
def _repository_examples(nlu_dir: Path, stamp: tuple[tuple[str, int, int], ...]) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, _, _ in stamp:
        for _, text, intent in _examples((nlu_dir / name).read_text().splitlines()):
            found.setdefault(text_key(text), intent)
    return found


def repository_examples(nlu_dir: Path = NLU_DIR) -> dict[str, str]:
    """Key → intent of each example of the repository's NLU data (curated.yml included once exported); read again
    only when a file changes (the inbox and every new example ask)."""
    files = sorted(nlu_dir.glob("*.yml"))
    return _repository_examples(nlu_dir, tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in files))


def annotate(example: Example) -> str:
    """The example as one line of Rasa YAML: entities as ``[text](entity)`` or ``[text]{"entity", "value"}``.

    Square brackets and braces a caller typed become parentheses (Rasa reads them as annotations)."""
    masked = any(placeholder in example.text for placeholder in STAND_INS)
    # stand-ins have other lengths than their placeholders: spans measured on a masked text would be misplaced
    text, entities = example.text, () if masked else example.entities
    out, cursor = [], 0
    for start, end, entity, value in sorted(entities):
        out.append(_escape(text[cursor:start]))
        span = _escape(text[start:end])
        if value and value != text[start:end]:
            out.append(f'[{span}]{{"entity": "{entity}", "value": "{_json_escape(value)}"}}')
        else:
            out.append(f"[{span}]({entity})")
        cursor = end
    out.append(_escape(text[cursor:]))
    line = "".join(out)
    return unmask_for_training(line) if masked else line


def _escape(text: str) -> str:
    return text.replace("[", "(").replace("]", ")").replace("{", "(").replace("}", ")").replace("\n", " ")


def _json_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def to_yaml(examples: Iterable[Example], header: str = "") -> str:
    """Rasa 3 NLU YAML, one block per journey, journeys and examples in a stable order."""
    by_journey: dict[str, list[str]] = {}
    for ex in examples:
        by_journey.setdefault(ex.journey, []).append(annotate(ex))
    lines = [f"# {line}" for line in header.splitlines()] + ['version: "3.1"', "nlu:"]
    if not by_journey:
        lines[-1] = "nlu: []"
    for journey in sorted(by_journey):
        lines += [f"  - intent: {journey}", "    examples: |"]
        lines += [f"      - {line}" for line in sorted(by_journey[journey])]
    return "\n".join(lines) + "\n"


def write_training_data(target: Path, curated: list[Example]) -> int:
    """The repository's ``assistant/data`` with the curated examples, in ``target`` (created). Returns the number
    of NLU examples written. Repository examples a curated one rewords or relabels are left out."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(DATA_DIR, target)
    overridden = {text_key(ex.text) for ex in curated}
    written = 0
    for path in sorted((target / "nlu").glob("*.yml")):
        lines = path.read_text().splitlines()
        dropped = {i for i, text, _ in _examples(lines) if text_key(text) in overridden}
        written += sum(1 for _ in _examples(lines)) - len(dropped)
        if dropped:
            path.write_text("\n".join(line for i, line in enumerate(lines) if i not in dropped) + "\n")
    (target / "nlu" / TRAINING_FILE).write_text(
        to_yaml(curated, "Curated by the trainers (database), for this training only."))
    return written + len(curated)
