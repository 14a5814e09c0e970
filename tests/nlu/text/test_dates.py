from datetime import date

import pytest

from nlu.text.dates import find_dates

MONDAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("le 15 décembre", "2026-12-15"),
        ("le 1er janvier 2027", "2027-01-01"),
        ("le 3 janvier", "2027-01-03"),  # said in November: next January
        ("le 3/01", "2027-01-03"),
        ("15/12/2026", "2026-12-15"),
        ("mardi", "2026-11-24"),
        ("mardi prochain", "2026-12-01"),
        ("lundi dernier", "2026-11-16"),
        ("demain", "2026-11-24"),
        ("après-demain", "2026-11-25"),
        ("hier", "2026-11-22"),
        ("dans 3 jours", "2026-11-26"),
        ("la semaine prochaine", "2026-11-30"),
        ("fin du mois", "2026-11-30"),
    ],
)
def test_french_date_expressions_resolve_to_iso(text: str, iso: str) -> None:
    assert [d.value for d in find_dates(f"je voudrais un rendez-vous {text} si possible", MONDAY)] == [iso]


def test_impossible_dates_and_plain_text_give_nothing() -> None:
    assert find_dates("le 31 février", MONDAY) == []
    assert find_dates("ma box ne marche plus", MONDAY) == []


def test_spans_point_at_the_expression() -> None:
    text = "coupure depuis lundi dernier et rendez-vous le 15 décembre"
    found = find_dates(text, MONDAY)
    assert [text[d.start:d.end] for d in found] == ["lundi dernier", "le 15 décembre"]
