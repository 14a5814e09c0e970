import pytest

from nlu.text.normalise import MAX_CHARS, normalise


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Euh bonjour je je voulais euh résiller ma box", "bonjour je voulais résilier ma box"),
        ("la fibre et coupée depuis hier sa marche pas", "la fibre est coupée depuis hier ça marche pas"),
        ("jsuis pas content pk ma facture a doublé", "je suis pas content pourquoi ma facture a doublé"),
        ("mon numéro c'est zéro six douze trente quatre cinquante six soixante dix huit",
         "mon numéro c'est 0612345678"),
        ("allô allô allô", "allô"),
        ("DEMENAGEMENT   box\tnouvelle adresse", "déménagement box nouvelle adresse"),
        ("ma box ne\x00 s'allume\x1b plus", "ma box ne s'allume plus"),
    ],
)
def test_transcripts_and_chats_are_normalised(raw: str, clean: str) -> None:
    assert normalise(raw) == clean


def test_huge_input_is_bounded_quickly() -> None:
    assert len(normalise("allo je déménage " * 2000)) <= MAX_CHARS


@pytest.mark.parametrize("raw", ["", "   ", "👍👍", "\x00\x01", "¿dónde está?", "مرحبا"])
def test_odd_input_never_raises(raw: str) -> None:
    assert isinstance(normalise(raw), str)


@pytest.mark.parametrize("raw", ["\x1b[2J\x1b[31m", "euh… euh", "👍 !!!", "…"])
def test_nothing_said_normalises_to_nothing(raw: str) -> None:
    assert normalise(raw) == ""
