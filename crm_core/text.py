"""Human text: search keys (no case, no accents) and the one validator every text field goes through.

``clean_text`` refuses what a person never types but an attacker or a bad copy-paste brings: controls (C0, C1,
ANSI escapes), invisible format characters (bidi overrides and isolates, zero-width spaces and joiners, BOM, soft
hyphen), surrogates, private-use characters and the Unicode line and paragraph separators. ``safe_text`` is the
same rule as a pydantic type, with the rule published in the JSON Schema as a ``pattern``.
"""

import unicodedata
from functools import lru_cache, partial
from typing import Annotated, Any

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

# Unicode general categories no human text field accepts: Cc controls, Cf format, Cs surrogates, Co private use,
# Zl line separator, Zp paragraph separator.
FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})
# The only controls a multi-line text may carry.
MULTILINE_CONTROLS = frozenset("\n\t")
# The pydantic error type of a refused text (the API shows its French message).
ERROR_TYPE = "text_forbidden_characters"

_KINDS = {"Cc": "caractère de contrôle", "Cf": "caractère invisible de mise en forme",
          "Cs": "demi-caractère isolé", "Co": "caractère à usage privé", "Zl": "séparateur de ligne",
          "Zp": "séparateur de paragraphe"}
_MESSAGE = ("{subject} contient des caractères non autorisés (dont {code_point}, {kind}) : retapez la saisie "
            "sans copier-coller.")


class ForbiddenCharacter(ValueError):
    """Text holding a character of a forbidden category; ``message`` says which, in French."""

    def __init__(self, char: str) -> None:
        self.char = char
        self.code_point = f"U+{ord(char):04X}"
        self.kind = _KINDS[unicodedata.category(char)]
        self.message = self.message_for("Le texte")
        super().__init__(self.message)

    def message_for(self, subject: str) -> str:
        """The French message about one field: ``subject`` is its label (« L'adresse »)."""
        return _MESSAGE.format(subject=subject, code_point=self.code_point, kind=self.kind)


def fold(text: str) -> str:
    """``Lefèvre`` → ``lefevre``; ``Nguyễn`` → ``nguyen``."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def is_forbidden(char: str, *, multiline: bool = False) -> bool:
    if multiline and char in MULTILINE_CONTROLS:
        return False
    return unicodedata.category(char) in FORBIDDEN_CATEGORIES


def clean_text(value: str, *, multiline: bool = False) -> str:
    """``value`` NFC-normalised and stripped, or ``ForbiddenCharacter`` if it holds a forbidden character.

    The whole value is checked before stripping, so a trailing control is refused, not silently dropped.
    ``multiline`` lets ``\\n`` and ``\\t`` through (a transcript, a comment); nothing else of the forbidden
    categories ever is, ``\\r`` included. Whether an empty result is acceptable is the caller's business."""
    normalized = unicodedata.normalize("NFC", value)
    for char in normalized:
        if is_forbidden(char, multiline=multiline):
            raise ForbiddenCharacter(char)
    return normalized.strip()


def _validate(value: str, multiline: bool) -> str:
    try:
        return clean_text(value, multiline=multiline)
    except ForbiddenCharacter as exc:
        raise PydanticCustomError(ERROR_TYPE, exc.message, {"code_point": exc.code_point}) from None


@lru_cache(maxsize=2)
def allowed_pattern(multiline: bool = False) -> str:
    """A JSON Schema ``pattern`` matching exactly the texts ``clean_text`` accepts (surrogates aside: JSON text
    cannot carry a lone one). Computed from this Python's Unicode tables, once, when a schema is first built.

    BMP characters are written ``\\uXXXX``; the few astral ones literally, the one spelling that Python, Rust
    (jsonschema-rs) and ECMAScript with the ``u`` flag all read the same way."""
    ranges: list[list[int]] = []
    for code in range(0x110000):
        char = chr(code)
        if unicodedata.category(char) == "Cs" or not is_forbidden(char, multiline=multiline):
            continue
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])

    def spell(code: int) -> str:
        return f"\\u{code:04x}" if code <= 0xFFFF else chr(code)

    return "^[^" + "".join(spell(a) if a == b else f"{spell(a)}-{spell(b)}" for a, b in ranges) + "]*$"


def _publish_pattern(schema: dict[str, Any], multiline: bool) -> None:
    schema["pattern"] = allowed_pattern(multiline)


def safe_text(max_length: int | None = None, *, multiline: bool = False) -> Any:
    """The ``clean_text`` rule as a pydantic type: ``name: safe_text(80)``, ``email: safe_text(200) | None``.

    A refused value is a validation error of type ``text_forbidden_characters`` whose message is French.
    ``max_length`` bounds the raw value, before stripping."""
    published = partial(_publish_pattern, multiline=multiline)
    return Annotated[str, Field(max_length=max_length, json_schema_extra=published),
                     AfterValidator(partial(_validate, multiline=multiline))]


SafeText = safe_text()
MultilineSafeText = safe_text(multiline=True)
