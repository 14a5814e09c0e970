"""Runs in the Rasa runtime (make test runs it there); skipped in the app runtime."""

from datetime import date

import pytest

pytest.importorskip("rasa")

from rasa.shared.nlu.constants import ENTITIES, TEXT  # noqa: E402
from rasa.shared.nlu.training_data.message import Message  # noqa: E402

from nlu.components.telco_entities import TelcoEntityExtractor, build_ruler, extract  # noqa: E402
from nlu.text.normalise import normalise  # noqa: E402

CALL_DAY = date(2026, 11, 23)


@pytest.fixture(scope="module")
def nlp():  # type: ignore[no-untyped-def]
    return build_ruler()


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("mon numéro c'est zéro six douze trente quatre cinquante six soixante dix huit",
         [("phone_number", "0612345678")]),
        ("rappelez moi au +33 6 12 34 56 78", [("phone_number", "0612345678")]),
        ("on m'a prélevé quarante deux euros le quinze décembre", [("amount", "42.00"), ("date", "2026-12-15")]),
        ("une facture de 12,50 € pour mon iphone 15", [("amount", "12.50"), ("equipment", "iphone")]),
        ("je déménage à saint malo mardi prochain avec la box",
         [("city", "Saint-Malo"), ("date", "2026-12-01"), ("equipment", "box")]),
        ("le décodeur est en panne et je veux l'option internationale",
         [("equipment", "decoder"), ("offer", "OPT_INTERNATIONAL")]),
        ("passer à la fibre à Besançon", [("offer", "fibre"), ("city", "Besançon")]),
        ("ma box ne marche plus", [("equipment", "box")]),
        ("bonjour", []),
    ],
)
def test_entities_with_canonical_values(nlp, said, expected) -> None:  # type: ignore[no-untyped-def]
    text = normalise(said)
    found = extract(nlp, text, CALL_DAY)
    assert [(e["entity"], e["value"]) for e in found] == expected
    for e in found:
        assert text[e["start"]:e["end"]].strip() == text[e["start"]:e["end"]]


def test_the_component_adds_its_entities_to_the_message() -> None:
    extractor = TelcoEntityExtractor()
    message = Message({TEXT: normalise("ma box ne marche plus à lyon")})
    extractor.process([message])
    assert {(e["entity"], e["value"], e["extractor"]) for e in message.get(ENTITIES)} == {
        ("equipment", "box", "TelcoEntityExtractor"), ("city", "Lyon", "TelcoEntityExtractor")}


@pytest.mark.parametrize("said", ["", "x" * 10_000, "👍👍👍", "¿dónde está mi factura?", "\x00\x1b[2J"])
def test_odd_input_gives_entities_or_nothing_never_an_error(nlp, said) -> None:  # type: ignore[no-untyped-def]
    assert isinstance(extract(nlp, normalise(said), CALL_DAY), list)
