import pytest

from crm_core.phone import InvalidPhoneNumber, to_e164, to_national


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("0612345678", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0033612345678", "+33612345678"),
        ("06.12.34.56.78", "+33612345678"),
        ("09 72 12 34 56", "+33972123456"),
    ],
)
def test_french_numbers_take_one_canonical_form(raw: str, expected: str) -> None:
    assert to_e164(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "abc", "06 12", "++33"])
def test_unreadable_numbers_are_refused_in_french(raw: str) -> None:
    with pytest.raises(InvalidPhoneNumber, match="Numéro de téléphone"):
        to_e164(raw)


def test_display_form_is_national() -> None:
    assert to_national("+33612345678") == "06 12 34 56 78"
