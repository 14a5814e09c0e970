"""The shared validator of human text (``crm_core.text``): what it refuses, what French text it keeps."""

import unicodedata
from typing import Annotated, Any

import jsonschema_rs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, Field, ValidationError

from crm_core.text import (
    ERROR_TYPE,
    FORBIDDEN_CATEGORIES,
    ForbiddenCharacter,
    allowed_pattern,
    clean_text,
    safe_text,
)

# Each with the category that forbids it: bidi embeddings, overrides and isolates, marks, zero-width characters, BOM,
# soft hyphen, C0 and C1 controls (an ANSI escape among them), separators, surrogates, private use.
FORBIDDEN = [
    pytest.param("12 rue de la Paix\u202e", "U+202E", id="RLO-bidi-override"),
    pytest.param("\u202aLyon", "U+202A", id="LRE-bidi-embedding"),
    pytest.param("Ly\u2066on\u2069", "U+2066", id="LRI-bidi-isolate"),
    pytest.param("Lyon\u2069", "U+2069", id="PDI-pop-isolate"),
    pytest.param("Ly\u200fon", "U+200F", id="RLM"),
    pytest.param("Ly\u200eon", "U+200E", id="LRM"),
    pytest.param("Ly\u200bon", "U+200B", id="zero-width-space"),
    pytest.param("Ly\u200don", "U+200D", id="zero-width-joiner"),
    pytest.param("Ly\u2060on", "U+2060", id="word-joiner"),
    pytest.param("\ufeffLyon", "U+FEFF", id="BOM"),
    pytest.param("Ly\u00adon", "U+00AD", id="soft-hyphen"),
    pytest.param("Lyon\x00", "U+0000", id="NUL"),
    pytest.param("\x1b[31mLyon\x1b[0m", "U+001B", id="ANSI-escape"),
    pytest.param("Ly\x7fon", "U+007F", id="DEL"),
    pytest.param("Ly\x85on", "U+0085", id="NEL-C1"),
    pytest.param("Ly\x9bon", "U+009B", id="CSI-C1"),
    pytest.param("Ly\u2028on", "U+2028", id="line-separator"),
    pytest.param("Ly\u2029on", "U+2029", id="paragraph-separator"),
    pytest.param("Ly\ud800on", "U+D800", id="lone-surrogate"),
    pytest.param("Ly\ue000on", "U+E000", id="private-use"),
    pytest.param("Ly\U000e0041on", "U+E0041", id="tag-character"),
    pytest.param("Lyon\n", "U+000A", id="trailing-newline"),
    pytest.param("Ly\ton", "U+0009", id="tab"),
    pytest.param("Ly\ron", "U+000D", id="carriage-return"),
]

FRENCH = ["Lefèvre", "Nguyễn", "8 rue de l'Église", "8 rue de l’Église", "Œuvre", "Mme Camille Martin 🙂",
          "Jean-Pierre", "Saint-Étienne-du-Rouvray", "12\u00a0bis", "« Je déménage »", "Ça coûte 10\u202f€",
          "O’Connor-Müller", "Dvořák", "1er étage, bât. B"]


@pytest.mark.parametrize(("raw", "code_point"), FORBIDDEN)
def test_every_forbidden_category_is_refused_in_french(raw: str, code_point: str) -> None:
    with pytest.raises(ForbiddenCharacter) as caught:
        clean_text(raw)
    assert caught.value.code_point == code_point
    assert unicodedata.category(caught.value.char) in FORBIDDEN_CATEGORIES
    assert caught.value.message.startswith("Le texte contient des caractères non autorisés")
    assert code_point in caught.value.message and "copier-coller" in caught.value.message
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("text", FRENCH)
def test_french_text_is_kept(text: str) -> None:
    assert clean_text(text) == text
    assert clean_text(f"  {text}\u00a0 ") == text


def test_text_is_nfc_normalised_and_stripped() -> None:
    assert clean_text(" Lefe\u0300vre ") == "Lefèvre"  # « è » typed as e + combining grave accent
    assert clean_text("   ") == ""


def test_multiline_text_keeps_line_breaks_and_tabs_only() -> None:
    assert clean_text("bonjour\n\tje déménage\n", multiline=True) == "bonjour\n\tje déménage"
    for raw in ("a\rb", "a\u2028b", "a\x1b[2Jb", "a\u202eb", "a\x00b", "a\x0bb"):
        with pytest.raises(ForbiddenCharacter):
            clean_text(raw, multiline=True)


_CORNER_CASES = ("\u202e\u202a\u2066\u2069\u200b\u200d\u2060\ufeff\u00ad\x00\x1b\x85\u2028\u2029\ud800\ue000"
                 "\U000e0001\n\t\r \u00a0éŒ’🙂")
_ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()) | st.sampled_from(_CORNER_CASES), max_size=30)


@given(_ANY_TEXT, st.booleans())
def test_the_validator_returns_clean_text_or_refuses_nothing_in_between(raw: str, multiline: bool) -> None:
    try:
        cleaned = clean_text(raw, multiline=multiline)
    except ForbiddenCharacter as exc:
        assert exc.char in unicodedata.normalize("NFC", raw)
        assert unicodedata.category(exc.char) in FORBIDDEN_CATEGORIES
        assert not (multiline and exc.char in "\n\t")
    else:
        assert cleaned == unicodedata.normalize("NFC", raw).strip()
        allowed = set("\n\t") if multiline else set()
        assert all(unicodedata.category(c) not in FORBIDDEN_CATEGORIES or c in allowed for c in cleaned)


def _accepted(raw: str, multiline: bool) -> bool:
    try:
        clean_text(raw, multiline=multiline)
    except ForbiddenCharacter:
        return False
    return True


@pytest.fixture(scope="module")
def published() -> dict[bool, Any]:
    """The published patterns, read by the schema validator schemathesis uses (jsonschema-rs); built once."""
    return {multiline: jsonschema_rs.validator_for({"type": "string", "pattern": allowed_pattern(multiline)})
            for multiline in (False, True)}


@given(_ANY_TEXT.filter(lambda s: not any(unicodedata.category(c) == "Cs" for c in s)), st.booleans())
def test_the_published_pattern_accepts_exactly_what_the_validator_accepts(published: dict[bool, Any], raw: str,
                                                                          multiline: bool) -> None:
    # JSON cannot carry a lone surrogate, so the pattern leaves them out; on everything else both must agree.
    assert published[multiline].is_valid(raw) == _accepted(raw, multiline)


class _Form(BaseModel):
    name: safe_text(10)
    note: safe_text(multiline=True) | None = None
    address: Annotated[safe_text(40), Field(description="An address")] = ""


def test_the_pydantic_type_refuses_with_its_own_error_type_and_a_french_message() -> None:
    with pytest.raises(ValidationError) as caught:
        _Form(name="Ly\u202eon", note="a\x00b", address="8 rue\u200b")
    errors = {e["loc"][0]: e for e in caught.value.errors()}
    assert set(errors) == {"name", "note", "address"}
    assert {e["type"] for e in errors.values()} == {ERROR_TYPE}
    assert errors["name"]["msg"].startswith("Le texte contient des caractères non autorisés (dont U+202E")
    assert "U+0000, caractère de contrôle" in errors["note"]["msg"]


def test_the_pydantic_type_cleans_bounds_and_publishes_its_rule() -> None:
    form = _Form(name=" Lefe\u0300vre ", note="ligne 1\nligne 2")
    assert (form.name, form.note) == ("Lefèvre", "ligne 1\nligne 2")
    with pytest.raises(ValidationError, match="string_too_long"):
        _Form(name="x" * 11)
    properties = _Form.model_json_schema()["properties"]
    assert properties["name"]["pattern"] == allowed_pattern(False)
    assert properties["note"]["anyOf"][0]["pattern"] == allowed_pattern(True)
    assert properties["address"]["pattern"] == allowed_pattern(False)
