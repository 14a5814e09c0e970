"""French formats for what advisors type: e-mail, phone, postcode, IBAN, BIC, free text.

Each validator returns the canonical form or raises ``FieldInvalid`` with a French message. Services
collect them into one ``ValidationFailed`` so that an edit with two mistakes reports both and writes nothing.
"""

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, Field
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as StdnumError

from crm_core.core import clock
from crm_core.text import ForbiddenCharacter, clean_text


class FieldInvalid(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass
class ValidationFailed(ValueError):
    errors: list[FieldInvalid]
    detail: str | None = None  # the problem's French detail (default: an edit refused, nothing written)

    def __str__(self) -> str:
        return "; ".join(f"{e.field} : {e.message}" for e in self.errors)


def text(field: str, value: str, max_length: int, label: str, *, multiline: bool = False) -> str:
    """Free text through the shared rule of ``crm_core.text.clean_text`` (no control or invisible character),
    NFC-normalised, stripped, required and bounded; ``label`` starts the French message (« L'adresse »)."""
    try:
        cleaned = clean_text(value, multiline=multiline)
    except ForbiddenCharacter as exc:
        raise FieldInvalid(field, exc.message_for(label)) from exc
    if not cleaned:
        raise FieldInvalid(field, f"{label} est obligatoire.")
    if len(cleaned) > max_length:
        raise FieldInvalid(field, f"{label} ne doit pas dépasser {max_length} caractères.")
    return cleaned


EARLIEST_DATE = date(1900, 1, 1)


def current_date() -> date:
    """Today, for the plausibility of dates (tests monkeypatch it)."""
    return clock.today()


def past_date(field: str, value: date, label: str) -> date:
    """A date that can have happened: from 1900-01-01 to today (a birth, a court decision)."""
    today = current_date()
    if not EARLIEST_DATE <= value <= today:
        raise FieldInvalid(field, f"{label} doit être comprise entre le {EARLIEST_DATE:%d/%m/%Y} et aujourd'hui "
                                  f"({today:%d/%m/%Y}).")
    return value


def iso_birth_date(value: str | None) -> str | None:
    """The search's ``birth_date`` parameter: a real AAAA-MM-JJ date from 1900-01-01 to today, returned as is.

    Raises ``FieldInvalid``, which the API answers as a business refusal (422, French message), as it does for
    the services' own checks: the range moves with today, so the published schema cannot carry it."""
    if value is None:
        return None
    try:
        born = date.fromisoformat(value)
    except ValueError as exc:
        raise FieldInvalid("birth_date", "Date de naissance impossible.") from exc
    past_date("birth_date", born, "La date de naissance")
    return value


IsoBirthDate = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$"), AfterValidator(iso_birth_date)]


def email(field: str, value: str) -> str:
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise FieldInvalid(field, "Adresse e-mail invalide (exemple : prenom.nom@exemple.fr).") from exc


def _french_possible(parsed: phonenumbers.PhoneNumber) -> bool:
    """A French number of the right length in a range the library's metadata may not list yet (07 1x…):
    the numbers our own lines use must be accepted when an advisor types them again."""
    return parsed.country_code == 33 and len(str(parsed.national_number)) == 9 and \
        phonenumbers.is_possible_number(parsed)


def phone(field: str, value: str) -> str:
    """A valid phone number, French by default, in E.164."""
    try:
        parsed = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException as exc:
        raise FieldInvalid(field, "Numéro de téléphone illisible (exemple : 06 12 34 56 78).") from exc
    if not (phonenumbers.is_valid_number(parsed) or _french_possible(parsed)):
        raise FieldInvalid(field, "Numéro de téléphone invalide (exemple : 06 12 34 56 78).")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


_POSTCODE = re.compile(r"^(?:0[1-9]|[1-8]\d|9[0-5]|97[1-6]|98[4-9])\d{2,3}$")


def postcode(field: str, value: str) -> str:
    """A French postcode: five digits, of a department that exists (01–95, overseas 971–976, 984–989)."""
    compact = value.replace(" ", "")
    if len(compact) != 5 or not compact.isdigit() or not _POSTCODE.match(compact):
        raise FieldInvalid(field, "Code postal invalide : cinq chiffres d'un département existant (ex. 69003).")
    return compact


def iban(field: str, value: str) -> str:
    try:
        return stdnum_iban.validate(value)
    except StdnumError as exc:
        raise FieldInvalid(field, "IBAN invalide : vérifiez sa saisie (clé de contrôle incorrecte).") from exc


def bic(field: str, value: str) -> str:
    try:
        return stdnum_bic.validate(value)
    except StdnumError as exc:
        raise FieldInvalid(field, "BIC invalide (8 ou 11 caractères, ex. BNPAFRPPXXX).") from exc


def mask_iban(value: str | None) -> str | None:
    """``FR76 •••• … 0189``: what traces and screens show of an IBAN."""
    if not value:
        return value
    compact = stdnum_iban.compact(value)
    return f"{compact[:4]} •••• •••• {compact[-4:]}"
