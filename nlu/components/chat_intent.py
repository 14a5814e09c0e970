"""The pipeline's last step: the message's intent by ``nlu.chat_intent.decide`` from the journeys' ranking and
the chat classifiers' outputs (a fallback when nothing is clear). Replaces Rasa's FallbackClassifier: the ranking is
kept as the classifier made it, so the screen pop still reads the journeys' own confidences."""

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message

from nlu import chat_intent


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class ChatIntentDecider(GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"share": chat_intent.CHAT_SHARE, "chat_min": chat_intent.CHAT_MIN_CONFIDENCE,
                "threshold": chat_intent.FALLBACK_THRESHOLD}

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "ChatIntentDecider":
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            ranking = message.get(INTENT_RANKING_KEY) or []
            if not ranking:
                continue
            name, confidence = chat_intent.decide(ranking, message.get(chat_intent.CHAT_RANKING),
                                                  message.get(chat_intent.CHAT_PROBABILITY), self.config["share"],
                                                  self.config["chat_min"], self.config["threshold"])
            message.set(INTENT, {"name": name, "confidence": confidence}, add_to_output=True)
        return messages
