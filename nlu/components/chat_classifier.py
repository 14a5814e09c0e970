"""The advisor's chat, told apart by two classifiers of its own beside the journeys' (``tfidf_svm_classifier``):
whether a message is an advisor's request at all (the chat examples against the caller reasons), and which chat
intent it is (questions, orders, « oui », « non »: the chat examples alone). The same TF-IDF + sentence-embedding
+ SVM; written to the parse as ``chat_probability`` and ``chat_ranking`` for ``nlu.chat_intent.decide``."""

from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.pipeline import Pipeline

from nlu.chat_intent import CALL_REASON, CHAT, CHAT_LABELS, CHAT_PROBABILITY, CHAT_RANKING, REASON
from nlu.components.tfidf_svm_classifier import FILE, TfidfSvmIntentClassifier, build, load_pipeline, save_pipeline

KIND_FILE = "chat_or_reason.skops"


def fit(config: dict[str, Any], texts: list[str], labels: np.ndarray) -> Pipeline:
    folds = min(config["calibration_folds"], int(np.unique(labels, return_counts=True)[1].min()))
    return build({**config, "calibration_folds": max(folds, 2)}).fit(texts, labels)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class ChatIntentClassifier(TfidfSvmIntentClassifier):
    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 pipeline: Pipeline | None = None, kind: Pipeline | None = None) -> None:
        super().__init__(config, model_storage, resource, pipeline)
        self.kind = kind

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(TEXT)]
        chat = [m for m in examples if m.get(INTENT) in CHAT_LABELS]
        if not chat:
            return self._resource
        self.pipeline = fit(self.config, [m.get(TEXT) for m in chat], np.array([m.get(INTENT) for m in chat]))
        self.kind = fit(self.config, [m.get(TEXT) for m in examples],
                        np.array([CHAT if m.get(INTENT) in CHAT_LABELS else REASON for m in examples]))
        self._persist()
        return self._resource

    def _persist(self) -> None:
        with self._storage.write_to(self._resource) as directory:
            save_pipeline(self.pipeline, directory / FILE)
            save_pipeline(self.kind, directory / KIND_FILE)

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "ChatIntentClassifier":
        try:
            with model_storage.read_from(resource) as directory:
                pipeline, kind = load_pipeline(directory / FILE), load_pipeline(directory / KIND_FILE)
        except (ValueError, FileNotFoundError):
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, pipeline, kind)

    def process(self, messages: list[Message]) -> list[Message]:
        if self.pipeline is None or self.kind is None or not messages:
            return messages
        chats = []
        for m in messages:
            if _is_call_reason(m):  # the bridge's reason: no chat to look for (half of a parse's time)
                m.set(CHAT_RANKING, [], add_to_output=True)
                m.set(CHAT_PROBABILITY, 0.0, add_to_output=True)
            else:
                chats.append(m)
        if not chats:
            return messages
        texts = [m.get(TEXT) or "" for m in chats]
        probabilities = self.pipeline.predict_proba(texts)
        is_chat = self.kind.predict_proba(texts)[:, list(self.kind.classes_).index(CHAT)]
        classes = [str(c) for c in self.pipeline.classes_]
        for message, probs, chat in zip(chats, probabilities, is_chat, strict=True):
            ranking = sorted(({"name": c, "confidence": float(p)} for c, p in zip(classes, probs, strict=True)),
                             key=lambda r: -r["confidence"])
            message.set(CHAT_RANKING, ranking, add_to_output=True)
            message.set(CHAT_PROBABILITY, float(chat), add_to_output=True)
        return messages


def _is_call_reason(message: Message) -> bool:
    metadata = message.get("metadata")
    return isinstance(metadata, dict) and all(metadata.get(k) == v for k, v in CALL_REASON.items())
