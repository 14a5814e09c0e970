"""The services' French checks built on the shared text rule, and dates kept in a plausible range."""

from datetime import date

import pytest

from crm_core.services import validation as v

TODAY = date(2026, 6, 15)


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(v, "current_date", lambda: TODAY)


@pytest.mark.parametrize("raw", ["8 rue de la Paix\u202e", "8 rue\u200b", "\ufeff8 rue", "8 rue\x00", "\x1b[31m8 rue",
                                 "8 rue\x85", "8 rue\u2028bis", "8 ru\u00ade"])
def test_free_text_refuses_invisible_and_control_characters_naming_the_field(raw: str) -> None:
    with pytest.raises(v.FieldInvalid) as caught:
        v.text("address_line", raw, 200, "L'adresse")
    assert caught.value.field == "address_line"
    assert caught.value.message.startswith("L'adresse contient des caractères non autorisés (dont U+")


def test_free_text_keeps_french_and_multiline_only_when_asked() -> None:
    assert v.text("address_line", " 8 rue de l’Église ", 200, "L'adresse") == "8 rue de l’Église"
    assert v.text("note", "ligne 1\nligne 2", 200, "La note", multiline=True) == "ligne 1\nligne 2"
    with pytest.raises(v.FieldInvalid, match="U\\+000A"):
        v.text("note", "ligne 1\nligne 2", 200, "La note")


@pytest.mark.parametrize("day", [date(1900, 1, 1), date(1985, 3, 14), TODAY])
def test_past_dates_from_1900_to_today_are_accepted(day: date) -> None:
    assert v.past_date("court_decision_on", day, "La date") == day


@pytest.mark.parametrize("day", [date(1899, 12, 31), date(1, 1, 1), date(2026, 6, 16), date(9999, 12, 31)])
def test_dates_before_1900_or_after_today_are_refused_in_french(day: date) -> None:
    with pytest.raises(v.FieldInvalid) as caught:
        v.past_date("court_decision_on", day, "La date de la décision du juge")
    assert caught.value.field == "court_decision_on"
    assert caught.value.message == ("La date de la décision du juge doit être comprise entre le 01/01/1900 et "
                                    "aujourd'hui (15/06/2026).")


def test_the_birth_date_of_a_search_is_a_real_date_up_to_today() -> None:
    assert v.iso_birth_date("1985-03-14") == "1985-03-14"
    assert v.iso_birth_date(None) is None
    with pytest.raises(v.FieldInvalid, match="impossible"):
        v.iso_birth_date("1985-02-30")
    for raw in ("1899-12-31", "2026-06-16", "9999-01-01"):
        with pytest.raises(v.FieldInvalid, match="La date de naissance doit être comprise"):
            v.iso_birth_date(raw)
