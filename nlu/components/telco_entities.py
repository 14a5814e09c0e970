"""Telco entities for the copilot: spaCy ``EntityRuler`` on blank French, plus patterns, with canonical values.

| entity | example said | value |
| --- | --- | --- |
| phone_number | « zéro six douze trente quatre… », « 06 12 34 56 78 », « +33 6… » | ``0612345678`` |
| amount | « quarante deux euros », « 12,50 € » | ``42.00`` |
| date | « le quinze décembre », « mardi prochain » | ISO date, relative to the day of the call |
| equipment | « le décodeur », « mon iPhone 15 » | ``decoder``, ``iphone`` |
| offer | « la fibre », « l'option internationale » | ``fibre``, ``OPT_INTERNATIONAL`` |
| city | « à saint malo » | ``Saint-Malo`` |

Runs after ``FrenchTranscriptTokenizer`` (spelled numbers are already digits). Not trainable.
"""

import re
import unicodedata
from datetime import date
from typing import Any

import spacy
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.text.dates import find_dates
from nlu.text.lexicon import CITIES, EQUIPMENT, OFFERS

PHONE = re.compile(r"(?<![\d+])(?:\+33\s?|0033\s?|0)([1-9](?:[\s.-]?\d{2}){4})(?!\d)")
AMOUNT = re.compile(r"(?<![\d,.])(\d{1,6})(?:[,.](\d{1,2}))?\s?(?:€|euros?\b|eur\b)"
                    r"(?:\s(?:et\s)?(\d{1,2})\s?centimes?)?", re.IGNORECASE)


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


def build_ruler() -> Any:
    """A blank French pipeline whose entity ruler knows the lexicon (accent- and case-insensitive)."""
    nlp = spacy.blank("fr")
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "NORM"})
    patterns = []
    for label, table in (("equipment", EQUIPMENT), ("offer", OFFERS)):
        for canonical, forms in table.items():
            patterns += [{"label": label, "pattern": _fold(f), "id": canonical} for f in forms]
    patterns += [{"label": "city", "pattern": _fold(c).replace("-", " "), "id": c} for c in CITIES]
    patterns += [{"label": "city", "pattern": _fold(c), "id": c} for c in CITIES if "-" in c]
    ruler.add_patterns(patterns)
    return nlp


def extract(nlp: Any, text: str, today: date) -> list[dict[str, Any]]:
    """Entities of one (normalised) text, without overlaps, in text order."""
    found: list[dict[str, Any]] = []

    def add(start: int, end: int, entity: str, value: Any) -> None:
        if not any(start < e["end"] and e["start"] < end for e in found):
            found.append({"start": start, "end": end, "value": value, "entity": entity, "confidence": 1.0})

    for m in PHONE.finditer(text):
        add(m.start(), m.end(), "phone_number", "0" + re.sub(r"\D", "", m.group(1)))
    for m in AMOUNT.finditer(text):
        cents = m.group(2) or m.group(3) or "0"
        add(m.start(), m.end(), "amount", f"{int(m.group(1))}.{int(cents.ljust(2, '0')):02d}")
    for d in find_dates(text, today):
        add(d.start, d.end, "date", d.value)
    folded = _fold(text)  # same length as ``text`` for Latin text: offsets stay valid
    doc = nlp(folded.replace("-", " ")) if len(folded) == len(text) else nlp(text)
    for ent in doc.ents:
        add(ent.start_char, ent.end_char, ent.label_, ent.ent_id_)
    return sorted(found, key=lambda e: e["start"])


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class TelcoEntityExtractor(GraphComponent, EntityExtractorMixin):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "TelcoEntityExtractor":
        return cls()

    def __init__(self) -> None:
        self._nlp = build_ruler()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        today = date.today()
        for message in messages:
            entities = self.add_extractor_name(extract(self._nlp, message.get(TEXT) or "", today))
            message.set(ENTITIES, message.get(ENTITIES, []) + entities, add_to_output=True)
        return messages
