"""A Rasa tokenizer for French call reasons: normalises the transcript, then spaCy's French tokenizer.

The normalisation (``nlu.text.normalise``) removes fillers and stutters, writes spelled numbers as digits,
mends frequent recognition confusions and bounds the length; spaCy's blank French pipeline splits
elisions ("l'abonnement" → "l'", "abonnement"). The original text is kept as ``original_text``.
"""

from typing import Any

import spacy
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.journeys import SILENCE
from nlu.text.normalise import MAX_CHARS, normalise

ORIGINAL_TEXT = "original_text"
# An utterance with nothing left after normalisation ("euh…", "", emoji) is read as SILENCE: the classifiers
# need at least one token, and nlu.journeys makes such calls out of scope.


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class FrenchTranscriptTokenizer(Tokenizer):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
            "normalise": True,
            "max_chars": MAX_CHARS,
        }

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "FrenchTranscriptTokenizer":
        return cls(config)

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self._nlp = spacy.blank("fr")

    def _prepare(self, message: Message) -> None:
        text = message.get(TEXT)
        if self._config["normalise"] and isinstance(text, str) and message.get(ORIGINAL_TEXT) is None:
            message.set(ORIGINAL_TEXT, text, add_to_output=True)  # the actions check the copilot's signature on it
            message.set(TEXT, normalise(text, self._config["max_chars"]) or SILENCE)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for message in training_data.training_examples:
            self._prepare(message)
        return super().process_training_data(training_data)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._prepare(message)
        return super().process(messages)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text = message.get(attribute) or ""
        tokens = [Token(t.text, t.idx) for t in self._nlp.make_doc(text) if not t.is_space]
        return self._apply_token_pattern(tokens)
