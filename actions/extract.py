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


# Words that name a kind of line: « résilie sa box », « son forfait mobile ».
FIXED_WORDS = ("box", "fixe", "internet", "fibre", "adsl", "tele", "tv", "decodeur", "wifi", "wi-fi", "ethernet")
MOBILE_WORDS = ("mobile", "portable", "forfait", "smartphone", "sim", "telephone")
_POSTCODE = re.compile(r"\b(\d{5})\b")
_AMOUNT = re.compile(r"(\d+(?:[.,]\d{1,2})?)\s*(?:€|euros?|eur)\b", re.IGNORECASE)


def choices_of(form: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return next((p.get("choices") or [] for p in form["params"] if p["name"] == name), [])


def line(text: str, form: dict[str, Any], name: str = "line") -> str | None:
    """The customer's line an order names: by its number, else by its kind (« la box », « son mobile »)."""
    lines = choices_of(form, name)
    number = phone(text)
    if number:
        digits = number[-9:]
        found = [c for c in lines if digits in "".join(ch for ch in c["label"] if ch.isdigit())]
        if len(found) == 1:
            return str(found[0]["value"])
    words = fold(text)
    for kind_words, label_words in ((FIXED_WORDS, ("box",)), (MOBILE_WORDS, ("forfait", "mobile"))):
        if any(re.search(rf"\b{w}", words) for w in kind_words):
            found = [c for c in lines if any(w in fold(c["label"]) for w in label_words)]
            if len(found) == 1:
                return str(found[0]["value"])
    return None


def entity(entities: list[dict[str, Any]], name: str) -> Any:
    return next((e.get("value") for e in entities or [] if e.get("entity") == name and e.get("value")), None)


def address(text: str) -> dict[str, str]:
    """« au 4 rue Pasteur 69007 Lyon »: the street, the postcode and the city around a postcode."""
    found = _POSTCODE.search(text)
    if not found:
        return {}
    before = re.split(r"\b(?:au|à|a|en|vers|dans)\s+(?=\d)", text[: found.start()], flags=re.IGNORECASE)[-1]
    street = before.strip(" ,;:")
    city = re.split(r"\s+(?:le|au|à partir|a partir|des|dès|début|fin|à compter|pour)\b|[,.;]", text[found.end():],
                    flags=re.IGNORECASE)[0].strip(" ,;:")
    filled = {"postcode": found.group(1)}
    if street and any(ch.isdigit() for ch in street[:4]):
        filled["address_line"] = street
    if city:
        filled["city"] = city
    return filled


def amount(text: str, entities: list[dict[str, Any]] | None = None) -> str | None:
    found = _AMOUNT.search(text)
    return found.group(1).replace(",", ".") if found else entity(entities or [], "amount")


def after(text: str, *markers: str) -> str | None:
    """What follows the first of the markers (« ouvre un ticket : plus d'internet » → « plus d'internet »)."""
    folded = fold(text)
    for marker in markers:
        at = folded.find(marker)
        if at >= 0:
            rest = text[at + len(marker):].strip(" :,-–—")
            if len(rest) >= 3:
                return rest
    return None
