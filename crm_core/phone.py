"""French phone numbers: one canonical form (E.164) for storage and lookup."""

import phonenumbers


class InvalidPhoneNumber(ValueError):
    """Raised with a French message when a number cannot be read."""


def to_e164(raw: str, region: str = "FR") -> str:
    """Return ``+33612345678`` for ``06 12 34 56 78``, ``0033612345678``, ``+33 6 12…``.

    Raises InvalidPhoneNumber when the text is not a possible phone number.
    """
    text = (raw or "").strip()
    if not text:
        raise InvalidPhoneNumber("Numéro de téléphone vide.")
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(f"Numéro de téléphone illisible : « {text[:40]} ».") from exc
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidPhoneNumber(f"Numéro de téléphone impossible : « {text[:40]} ».")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def to_national(e164: str) -> str:
    """``+33612345678`` -> ``06 12 34 56 78`` for display; a foreign number keeps its country code
    (``+44 20 7946 0958``), or it would read as a French one."""
    parsed = phonenumbers.parse(e164, "FR")
    style = (phonenumbers.PhoneNumberFormat.NATIONAL if parsed.country_code == 33
             else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(parsed, style)
