import pytest

from nlu.text.numbers import words_to_digits


@pytest.mark.parametrize(
    ("said", "written"),
    [
        ("zéro six douze trente quatre cinquante six soixante dix huit", "0612345678"),
        ("zéro sept un deux trois quatre cinq six sept huit", "0712345678"),
        ("mon numéro c'est zéro six vingt et un quarante quatre-vingt-dix-neuf", "mon numéro c'est 06214099"),
        ("quarante deux euros", "42 euros"),
        ("quatre-vingt-dix-neuf euros", "99 euros"),
        ("soixante et onze ans", "71 ans"),
        ("quatre vingts euros", "80 euros"),
        ("trois cent quarante euros", "340 euros"),
        ("mille deux cents euros", "1200 euros"),
        ("deux mille vingt six", "2026"),
        ("le quinze décembre", "le 15 décembre"),
        ("quatre vingt sept euros et trente centimes", "87 euros et 30 centimes"),
    ],
)
def test_spelled_numbers_become_digits(said: str, written: str) -> None:
    assert words_to_digits(said) == written


@pytest.mark.parametrize("text", ["un euro", "une ligne de plus", "j'ai un problème", "et alors", "", "ok 👍"])
def test_text_without_a_spelled_number_is_left_alone(text: str) -> None:
    assert words_to_digits(text) == text
