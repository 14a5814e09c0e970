"""Intent classifier chosen by measurement: TF-IDF of character and word n-grams, a linear SVM, calibrated.

On the normalised text of ``FrenchTranscriptTokenizer``: character n-grams (within word boundaries) carry
the misspellings, truncations and elisions of transcripts and chats; word n-grams of French stems, with the
words a negation governs marked (``nlu.text.features``), carry the order and "je ne veux pas résilier mais…".
A sentence embedding (Universal Sentence Encoder multilingual, ``nlu.components.sentence_encoder``) adds what
no n-gram carries: that two wordings mean the same. A linear SVM separates the journeys; a sigmoid calibration,
fitted on cross-validated margins, turns its margins into confidences the copilot can threshold. Trains in
seconds. See docs/nlu.md for the comparison.
"""

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline, make_pipeline, make_union
from sklearn.svm import LinearSVC

from nlu.components.sentence_encoder import SentenceEncoder, encoder
from nlu.journeys import CLAUSES, FIRST_REQUEST, JOURNEY_CODES
from nlu.text.clauses import first_request, split_clauses
from nlu.text.features import word_terms

log = logging.getLogger(__name__)
FILE = "tfidf_svm.skops"
TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.", "builtins.", "nlu.text.features.",
                    "nlu.components.sentence_encoder.")


def build(config: dict[str, Any]) -> Pipeline:
    blocks = [
        TfidfVectorizer(analyzer="char_wb", ngram_range=tuple(config["char_ngrams"]), sublinear_tf=True),
        TfidfVectorizer(tokenizer=word_terms, token_pattern=None, lowercase=False,
                        ngram_range=tuple(config["word_ngrams"]), sublinear_tf=True),
    ]
    if config["sentence_weight"]:
        blocks.append(SentenceEncoder(config["sentence_weight"]))
    features = make_union(*blocks)
    svm = LinearSVC(C=config["C"], class_weight="balanced", random_state=config["random_state"])
    # ensemble=False: the calibration is fitted on cross-validated margins, and the SVM itself on all the data
    # (rather than an average of SVMs that each saw only part of it).
    return make_pipeline(features, CalibratedClassifierCV(svm, cv=config["calibration_folds"], method="sigmoid",
                                                          ensemble=False))


def _vectorizers(pipeline: Pipeline) -> list[TfidfVectorizer]:
    return [block for _, block in pipeline.steps[0][1].transformer_list if isinstance(block, TfidfVectorizer)]


def vocabulary_path(path: Path) -> Path:
    return path.with_suffix(".vocabulary.json")


def save_pipeline(pipeline: Pipeline, path: Path) -> None:
    """``skops`` for the estimators, JSON for the n-gram vocabularies (hundreds of thousands of terms): ``skops``
    rebuilds each term as an audited object, 10–20 s of pure Python for a model; JSON reads them in a fraction of
    a second, so a model published into the running server slows its parses only briefly."""
    import skops.io as sio

    vectorizers = _vectorizers(pipeline)
    vocabularies = [v.__dict__.pop("vocabulary_") for v in vectorizers]
    try:
        sio.dump(pipeline, path)
    finally:
        for vectorizer, vocabulary in zip(vectorizers, vocabularies, strict=True):
            vectorizer.vocabulary_ = vocabulary
    vocabulary_path(path).write_text(json.dumps([{k: int(i) for k, i in v.items()} for v in vocabularies],
                                                ensure_ascii=False))


def load_pipeline(path: Path) -> Pipeline:
    """A pipeline saved by ``save_pipeline`` (or by ``skops`` alone, in older models), refusing any type outside
    the trusted modules (ValueError); the sentence encoder's weights are loaded now, not on the first caller's
    parse."""
    import skops.io as sio

    untrusted = sio.get_untrusted_types(file=path)
    unsafe = [t for t in untrusted if not t.startswith(TRUSTED_PREFIXES)]
    if unsafe:
        raise ValueError(f"refusing to load types {unsafe}")
    pipeline = sio.load(path, trusted=untrusted)
    if vocabulary_path(path).exists():
        vocabularies = json.loads(vocabulary_path(path).read_text())
        vectorizers = _vectorizers(pipeline)
        if len(vocabularies) != len(vectorizers) or not all(isinstance(v, dict) for v in vocabularies):
            raise ValueError(f"{vocabulary_path(path).name} does not match the pipeline's vectorizers")
        for vectorizer, vocabulary in zip(vectorizers, vocabularies, strict=True):
            vectorizer.vocabulary_ = vocabulary
    if any(isinstance(block, SentenceEncoder) for _, block in pipeline.steps[0][1].transformer_list):
        encoder()
    return pipeline


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TfidfSvmIntentClassifier(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # intents: "journeys" learns the caller reasons only (the chat intents have their own classifier,
        # nlu.components.chat_classifier); "all" learns every intent of the training data
        return {"char_ngrams": [2, 5], "word_ngrams": [1, 2], "C": 1.0, "calibration_folds": 5,
                "random_state": 42, "ranking_length": 13, "sentence_weight": 0.75, "intents": "all"}

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 pipeline: Pipeline | None = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        self.pipeline = pipeline

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "TfidfSvmIntentClassifier":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(TEXT)
                    and (self.config["intents"] == "all" or m.get(INTENT) in JOURNEY_CODES)]
        if not examples:
            return self._resource
        texts = [m.get(TEXT) for m in examples]
        labels = np.array([m.get(INTENT) for m in examples])
        folds = min(self.config["calibration_folds"], int(np.unique(labels, return_counts=True)[1].min()))
        self.pipeline = build({**self.config, "calibration_folds": max(folds, 2)})
        self.pipeline.fit(texts, labels)
        self._persist()
        return self._resource

    def _persist(self) -> None:
        with self._storage.write_to(self._resource) as directory:
            save_pipeline(self.pipeline, directory / FILE)

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "TfidfSvmIntentClassifier":
        try:
            with model_storage.read_from(resource) as directory:
                pipeline = load_pipeline(directory / FILE)
        except ValueError as exc:
            log.warning("no trained intent classifier in the model (%s)", exc)
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, pipeline)

    def process(self, messages: list[Message]) -> list[Message]:
        if self.pipeline is None or not messages:
            return messages
        texts = [m.get(TEXT) or "" for m in messages]
        clauses = [split_clauses(t) for t in texts]
        # One predict_proba for the utterances and all their clauses (a multi-reason call is classified as a whole,
        # and each of its clauses on its own: see nlu.journeys.primary_and_secondary).
        probabilities = self.pipeline.predict_proba(texts + [c for cs in clauses for c in cs])
        classes = [str(c) for c in self.pipeline.classes_]
        clause_probs = iter(probabilities[len(texts):])
        for message, text, probs, its_clauses in zip(messages, texts, probabilities[: len(texts)], clauses,
                                                     strict=True):
            ranking = sorted(({"name": c, "confidence": float(p)} for c, p in zip(classes, probs, strict=True)),
                             key=lambda r: -r["confidence"])
            message.set("intent", ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking[: self.config["ranking_length"]], add_to_output=True)
            if its_clauses:
                best = [(int(np.argmax(q)), q) for q in (next(clause_probs) for _ in its_clauses)]
                parts = [{"text": clause, "name": classes[i], "confidence": float(q[i])}
                         for clause, (i, q) in zip(its_clauses, best, strict=True)]
                message.set(CLAUSES, parts, add_to_output=True)
                if first_request(text, its_clauses):  # the first clause, when an additive connector follows it
                    message.set(FIRST_REQUEST, parts[0], add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
