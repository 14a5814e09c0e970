"""Personal data out of a caller's reason before a trainer reads it or it becomes a training example.

Masks e-mail addresses (also spoken: « jean point martin arobase gmail point com »), IBANs, card numbers,
phone numbers (written or spelled out: « zéro six douze… »), other long numbers (customer and contract
references) and the names of the call's customer. A masked span reads as a French placeholder
(« ‹téléphone› »), so the trainer sees that something was said there, never what.
"""

import re
import unicodedata
from collections.abc import Iterable

import phonenumbers

from nlu.text.numbers import words_to_digits

PLACEHOLDERS = {
    "email": "‹e-mail›", "iban": "‹iban›", "card": "‹carte›", "phone": "‹téléphone›", "number": "‹numéro›",
    "name": "‹nom›",
}
# Fictitious values that stand for each placeholder in the training data (a classifier trained on real
# speech reads digits and addresses there; no personal data ever reaches the repository).
STAND_INS = {
    "‹e-mail›": "prenom.nom@exemple.fr", "‹iban›": "FR76 3000 6000 0112 3456 7890 189",
    "‹carte›": "4970 1012 3456 7890", "‹téléphone›": "06 01 02 03 04", "‹numéro›": "123456", "‹nom›": "Dupont",
}

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_SPOKEN_EMAIL = re.compile(r"\b[\w.-]+(?:\s+(?:point|tiret|underscore)\s+[\w-]+)*\s+(?:arobase|at)\s+[\w-]+"
                           r"(?:\s+point\s+\w+)+", re.IGNORECASE)
_IBAN = re.compile(r"\b[A-Za-z]{2}\d{2}(?:[\s-]?[A-Za-z0-9]{4}){2,7}(?:[\s-]?[A-Za-z0-9]{1,3})?\b")
_DIGIT_RUN = re.compile(r"(?<![\w‹])\+?\d(?:[\s.\-/]?\d){5,}(?![\w›])")


def _mask_digit_run(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    if 13 <= len(digits) <= 19:
        return PLACEHOLDERS["card"]
    if len(digits) >= 9 and _is_phone(match.group()):
        return PLACEHOLDERS["phone"]
    return PLACEHOLDERS["number"]


def _is_phone(text: str) -> bool:
    try:
        return phonenumbers.is_possible_number(phonenumbers.parse(text, "FR"))
    except phonenumbers.NumberParseException:
        return False


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text.casefold()) if unicodedata.category(c) != "Mn")


def _mask_names(text: str, names: Iterable[str]) -> str:
    """Each word of the customer's names (3 letters or more), wherever it appears, also inside a hyphenated or
    apostrophed word (« Dupont-Martin », « N'Diaye »)."""
    folded = {_fold(w) for name in names for w in re.split(r"[\s'’-]+", name or "") if len(w) >= 3}
    if not folded:
        return text
    def word(match: re.Match[str]) -> str:
        parts = match.group().split("-")
        if all(_fold(p) in folded for p in parts):  # « Jean-Pierre »: one name
            return PLACEHOLDERS["name"]
        return "-".join(PLACEHOLDERS["name"] if _fold(p) in folded else p for p in parts)

    return re.sub(r"[^\W\d_]+(?:-[^\W\d_]+)*", word, text)


def mask(text: str, names: Iterable[str] = ()) -> str:
    """The text with its personal data replaced by placeholders (spelled-out numbers are read as digits)."""
    text = _EMAIL.sub(PLACEHOLDERS["email"], text or "")
    text = _SPOKEN_EMAIL.sub(PLACEHOLDERS["email"], text)
    text = _IBAN.sub(lambda m: PLACEHOLDERS["iban"] if sum(c.isdigit() for c in m.group()) >= 10 else m.group(),
                     text)
    if re.search(r"\d|\b(?:z[ée]ro|un|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|douze|vingt|trente|quarante|"
                 r"cinquante|soixante)\b", text, re.IGNORECASE):
        spelled = words_to_digits(text)
        if _DIGIT_RUN.search(spelled):  # read spelled-out numbers only when they hide a long number
            text = spelled
    text = _DIGIT_RUN.sub(_mask_digit_run, text)
    return _mask_names(text, names)


def unmask_for_training(text: str) -> str:
    """A masked text as a training example: each placeholder replaced by its fictitious stand-in."""
    for placeholder, value in STAND_INS.items():
        text = text.replace(placeholder, value)
    return text
