import string

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import iban as stdnum_iban

from crm_core.services import validation as v


@pytest.mark.parametrize(("raw", "expected"), [("69003", "69003"), ("20 000", "20000"), ("97400", "97400"),
                                               ("01000", "01000"), ("95880", "95880")])
def test_postcodes_of_real_departments(raw: str, expected: str) -> None:
    assert v.postcode("postcode", raw) == expected


@pytest.mark.parametrize("raw", ["00100", "96000", "6900", "690033", "ABCDE", "", "97700x"])
def test_impossible_postcodes_are_refused_in_french(raw: str) -> None:
    with pytest.raises(v.FieldInvalid, match="Code postal invalide") as caught:
        v.postcode("postcode", raw)
    assert caught.value.field == "postcode"


@given(st.from_regex(r"\A(0[1-9]|[1-8][0-9]|9[0-5])[0-9]{3}\Z"))
def test_every_metropolitan_postcode_is_accepted(code: str) -> None:
    assert v.postcode("postcode", code) == code


@given(st.text(alphabet=string.digits, min_size=0, max_size=8).filter(lambda s: len(s) != 5))
def test_no_postcode_of_another_length_passes(code: str) -> None:
    with pytest.raises(v.FieldInvalid):
        v.postcode("postcode", code)


def _iban(bban: str) -> str:
    return "FR" + stdnum_iban.calc_check_digits("FR00" + bban) + bban


@given(st.text(alphabet=string.digits, min_size=23, max_size=23))
def test_an_iban_with_right_check_digits_is_accepted_and_one_digit_off_is_not(bban: str) -> None:
    good = _iban(bban)
    assert v.iban("iban", good) == good
    flipped = good[:-1] + str((int(good[-1]) + 1) % 10)
    with pytest.raises(v.FieldInvalid, match="IBAN invalide"):
        v.iban("iban", flipped)


def test_iban_is_accepted_with_spaces_and_masked_for_display() -> None:
    assert v.iban("iban", "FR76 3000 6000 0112 3456 7890 189") == "FR7630006000011234567890189"
    assert v.mask_iban("FR7630006000011234567890189") == "FR76 •••• •••• 0189"


@pytest.mark.parametrize(
    ("raw", "expected"), [("06 12 34 56 78", "+33612345678"), ("+33 1 44 55 66 77", "+33144556677")]
)
def test_valid_phones_become_e164(raw: str, expected: str) -> None:
    assert v.phone("contact_phone", raw) == expected


@given(st.text(max_size=20))
def test_phone_validation_never_crashes(raw: str) -> None:
    try:
        result = v.phone("contact_phone", raw)
    except v.FieldInvalid as exc:
        assert "téléphone" in exc.message
    else:
        assert result.startswith("+")


@pytest.mark.parametrize("raw", ["camille", "a@", "@exemple.fr", "a b@exemple.fr", "x@exemple"])
def test_bad_emails_are_refused(raw: str) -> None:
    with pytest.raises(v.FieldInvalid, match="e-mail"):
        v.email("email", raw)


def test_free_text_is_trimmed_and_bounded() -> None:
    assert v.text("city", "  Lyon ", 80, "La ville") == "Lyon"
    with pytest.raises(v.FieldInvalid, match="obligatoire"):
        v.text("city", "   ", 80, "La ville")
    with pytest.raises(v.FieldInvalid, match="caractères non autorisés"):
        v.text("city", "Ly\x00on", 80, "La ville")
    with pytest.raises(v.FieldInvalid, match="80 caractères"):
        v.text("city", "x" * 81, 80, "La ville")
