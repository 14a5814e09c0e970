"""Values an advisor types in a chat order: an IBAN, an e-mail, a phone number, a choice among a list."""

import re
from typing import Any

import phonenumbers
from stdnum import iban as stdnum_iban

from crm_core.text import fold

_IBAN = re.compile(r"\b[A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]){11,30}\b")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ORDINALS = {"premier": 1, "premiere": 1, "1er": 1, "1ere": 1, "deuxieme": 2, "second": 2, "seconde": 2,
             "troisieme": 3, "quatrieme": 4, "cinquieme": 5, "dernier": -1, "derniere": -1}


def iban(text: str) -> str | None:
    """The first valid IBAN in the text (spaces allowed), compact; an invalid one is returned as typed so that
    the act refuses it with its French message."""
    for found in _IBAN.finditer(text):
        candidate = found.group()
        for end in range(len(candidate), 14, -1):  # the longest valid prefix (words may follow)
            if stdnum_iban.is_valid(candidate[:end]):
                return stdnum_iban.compact(candidate[:end])
    found = _IBAN.search(text)
    return found.group().replace(" ", "") if found else None


def email(text: str) -> str | None:
    """The e-mail address in the text; a word with an « @ » that is not a valid address is returned as typed, so
    that the act refuses it with its French message."""
    found = _EMAIL.search(text)
    if found:
        return found.group().rstrip(".")
    return next((word.strip(".,;") for word in text.split() if "@" in word), None)


def phone(text: str) -> str | None:
    for match in phonenumbers.PhoneNumberMatcher(text, "FR", leniency=phonenumbers.Leniency.POSSIBLE):
        return phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
    return None


def choice(answer: str, choices: list[dict[str, Any]]) -> str | None:
    """The value of the choice the advisor means: its number in the list (« 2 », « la deuxième »), its value,
    or words of its label (« la facture de novembre »)."""
    words = fold(answer).replace("?", " ").replace(".", " ").split()
    if not choices or not words:
        return None
    for word in words:
        index = int(word) if word.isdigit() else _ORDINALS.get(word)
        if index is not None and (1 <= index <= len(choices) or index == -1):
            return str(choices[index - 1 if index > 0 else -1]["value"])
    for c in choices:
        if fold(str(c["value"])) == fold(answer.strip()):
            return str(c["value"])
    scored = [(sum(w in fold(c["label"]) for w in words if len(w) > 2), c) for c in choices]
    best = max(scored, key=lambda s: s[0])
    if best[0] > 0 and [s for s, _ in scored].count(best[0]) == 1:
        return str(best[1]["value"])
    return None


CANCEL_WORDS = {"non", "annule", "annuler", "stop", "laisse", "tomber", "abandonne", "rien"}


def is_cancel(text: str) -> bool:
    words = set(fold(text).replace(",", " ").replace(".", " ").split())
    return bool(words) and len(words) <= 4 and bool(words & CANCEL_WORDS)
