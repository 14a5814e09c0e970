"""Near-duplicate reasons: one key per wording, and groups of keys that say nearly the same thing.

The key is the text as the classifier reads it (``nlu.text.normalise``: lower case, fillers and stutters
out, spelled numbers as digits), without accents or punctuation, digits as 0. Two keys are near-duplicates
when their character trigrams overlap by ``threshold`` (Jaccard) or more: « ma box ne marche plus » and
« ma box marche plus » group together, « ma box ne marche plus » and « ma ligne mobile ne marche plus » not.
"""

import hashlib
import re
import unicodedata
from collections.abc import Iterable

from nlu.text.normalise import normalise

KEY_CHARS = 200


def text_key(text: str) -> str:
    folded = "".join(c for c in unicodedata.normalize("NFD", normalise(text)) if unicodedata.category(c) != "Mn")
    folded = re.sub(r"\d", "0", folded)
    folded = re.sub(r"[^\w‹›]+", " ", folded).strip()
    if len(folded) <= KEY_CHARS:
        return folded
    return folded[: KEY_CHARS - 17] + "#" + hashlib.sha256(folded.encode()).hexdigest()[:16]


def group_id(key: str) -> str:
    """A short, URL-safe id of a group (its first key's)."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _trigrams(key: str) -> set[str]:
    padded = f"  {key} "
    return {padded[i: i + 3] for i in range(len(padded) - 2)}


def group_keys(keys: Iterable[str], threshold: float = 0.75) -> list[list[str]]:
    """Keys (most frequent first) gathered into groups of near-duplicates; each group starts with its first key."""
    groups: list[tuple[set[str], list[str]]] = []
    for key in keys:
        grams = _trigrams(key)
        for head, members in groups:
            if len(grams & head) / max(1, len(grams | head)) >= threshold:
                members.append(key)
                break
        else:
            groups.append((grams, [key]))
    return [members for _, members in groups]
