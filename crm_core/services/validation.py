"""French formats for what advisors type: e-mail, phone, postcode, IBAN, BIC, free text.

Each validator returns the canonical form or raises ``FieldInvalid`` with a French message. Services
collect them into one ``ValidationFailed`` so that an edit with two mistakes reports both and writes nothing.
"""

import re
import unicodedata
from dataclasses import dataclass

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as StdnumError


class FieldInvalid(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass
class ValidationFailed(ValueError):
    errors: list[FieldInvalid]

    def __str__(self) -> str:
        return "; ".join(f"{e.field} : {e.message}" for e in self.errors)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def text(field: str, value: str, max_length: int, label: str) -> str:
    cleaned = unicodedata.normalize("NFC", value).strip()
    if not cleaned:
        raise FieldInvalid(field, f"{label} est obligatoire.")
    if _CONTROL.search(cleaned):
        raise FieldInvalid(field, f"{label} contient des caractères non autorisés.")
    if len(cleaned) > max_length:
        raise FieldInvalid(field, f"{label} ne doit pas dépasser {max_length} caractères.")
    return cleaned


def email(field: str, value: str) -> str:
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise FieldInvalid(field, "Adresse e-mail invalide (exemple : prenom.nom@exemple.fr).") from exc


def phone(field: str, value: str) -> str:
    """A valid phone number, French by default, in E.164."""
    try:
        parsed = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException as exc:
        raise FieldInvalid(field, "Numéro de téléphone illisible (exemple : 06 12 34 56 78).") from exc
    if not phonenumbers.is_valid_number(parsed):
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
