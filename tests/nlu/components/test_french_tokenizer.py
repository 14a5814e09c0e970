"""Runs in the Rasa runtime (make test runs it there); skipped in the app runtime."""

import pytest

pytest.importorskip("rasa")

from rasa.engine.graph import ExecutionContext  # noqa: E402
from rasa.engine.storage.local_model_storage import LocalModelStorage  # noqa: E402
from rasa.engine.storage.resource import Resource  # noqa: E402
from rasa.shared.nlu.constants import TEXT, TEXT_TOKENS  # noqa: E402
from rasa.shared.nlu.training_data.message import Message  # noqa: E402
from rasa.shared.nlu.training_data.training_data import TrainingData  # noqa: E402

from nlu.components.french_tokenizer import ORIGINAL_TEXT, SILENCE, FrenchTranscriptTokenizer  # noqa: E402


@pytest.fixture
def tokenizer(tmp_path):  # type: ignore[no-untyped-def]
    return FrenchTranscriptTokenizer.create(FrenchTranscriptTokenizer.get_default_config(),
                                            LocalModelStorage(tmp_path), Resource("tok"),
                                            ExecutionContext(graph_schema=None, model_id="m"))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("said", "tokens"),
    [
        ("euh je je voudrais résilier l'abonnement", ["je", "voudrais", "résilier", "l'", "abonnement"]),
        ("la box et coupée depuis hier", ["la", "box", "est", "coupée", "depuis", "hier"]),
        ("mon numéro zéro six douze trente quatre cinquante six soixante dix huit",
         ["mon", "numéro", "0612345678"]),
        ("jsuis pas content !!!", ["je", "suis", "pas", "content", "!", "!", "!"]),
    ],
)
def test_transcripts_are_normalised_then_tokenised_in_french(tokenizer, said, tokens) -> None:  # type: ignore[no-untyped-def]
    message = Message({TEXT: said})
    tokenizer.process([message])
    assert [t.text for t in message.get(TEXT_TOKENS)] == tokens
    assert message.get(ORIGINAL_TEXT) == said


@pytest.mark.parametrize("said", ["", "euh", "   ", "\x00\x01"])
def test_nothing_left_reads_as_silence_so_classifiers_never_see_an_empty_text(tokenizer, said) -> None:  # type: ignore[no-untyped-def]
    message = Message({TEXT: said})
    tokenizer.process([message])
    assert message.get(TEXT) == SILENCE and [t.text for t in message.get(TEXT_TOKENS)] == [SILENCE]


def test_training_examples_are_normalised_the_same_way(tokenizer) -> None:  # type: ignore[no-untyped-def]
    data = TrainingData([Message({TEXT: "euh la fibre et coupée", "intent": "breakdown"})])
    tokenizer.process_training_data(data)
    assert data.training_examples[0].get(TEXT) == "la fibre est coupée"
