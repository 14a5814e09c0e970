"""The chat intents told apart by a classifier that knows only them (the advisor's questions, orders, « oui »,
« non »): the same TF-IDF + sentence-embedding + SVM as the journeys' (``tfidf_svm_classifier``), trained on the
chat examples alone, written to the parse as ``chat_ranking`` for ``nlu.chat_intent.decide``. The intent and the
ranking of every intent stay the first classifier's."""

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.chat_intent import CHAT_LABELS, CHAT_RANKING
from nlu.components.tfidf_svm_classifier import TfidfSvmIntentClassifier, build


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class ChatIntentClassifier(TfidfSvmIntentClassifier):
    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(TEXT) and m.get(INTENT) in CHAT_LABELS]
        if not examples:
            return self._resource
        labels = np.array([m.get(INTENT) for m in examples])
        folds = min(self.config["calibration_folds"], int(np.unique(labels, return_counts=True)[1].min()))
        self.pipeline = build({**self.config, "calibration_folds": max(folds, 2)})
        self.pipeline.fit([m.get(TEXT) for m in examples], labels)
        self._persist()
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        if self.pipeline is None or not messages:
            return messages
        probabilities = self.pipeline.predict_proba([m.get(TEXT) or "" for m in messages])
        classes = [str(c) for c in self.pipeline.classes_]
        for message, probs in zip(messages, probabilities, strict=True):
            ranking = sorted(({"name": c, "confidence": float(p)} for c, p in zip(classes, probs, strict=True)),
                             key=lambda r: -r["confidence"])
            message.set(CHAT_RANKING, ranking, add_to_output=True)
        return messages
