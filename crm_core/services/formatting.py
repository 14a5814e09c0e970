"""How values read in French on an advisor's screen."""

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from crm_core.phone import to_national

_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre")
LINE_STATUS = {"active": "active", "suspended": "suspendue", "terminated": "résiliée"}
OWNERSHIP = {"bought": "achetée", "rented": "louée", "lent": "prêtée"}
CHANNELS = {"web": "web", "shop": "boutique", "phone": "téléphone", "letter": "courrier", "email": "e-mail",
            "sms": "SMS", "direct_debit": "prélèvement", "card": "carte bancaire", "transfer": "virement",
            "cheque": "chèque"}
EVENT_KINDS = {"move": "Déménagement", "complaint": "Réclamation", "scheduled_termination": "Résiliation programmée",
               "withdrawal": "Rétractation", "collection": "Recouvrement", "death": "Décès du titulaire",
               "escalation": "Réclamation escaladée"}
PAYER_QUALITY = {"good": "bon payeur", "watch": "à surveiller", "bad": "mauvais payeur"}
LOYALTY = {"standard": "Standard", "silver": "Argent", "gold": "Or"}
GUARDIANSHIP = {"tutelle": "Sous tutelle", "curatelle": "Sous curatelle", "sauvegarde": "Sous sauvegarde de justice"}


def d(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    return value.strftime("%d/%m/%Y")


def dt(value: datetime) -> str:
    return value.strftime("%d/%m/%Y %H:%M")


PARIS = ZoneInfo("Europe/Paris")


def hm(value: datetime) -> str:
    """The time of day in France (a naive value is UTC, as the database gives it back)."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(PARIS).strftime("%H:%M")


def month(value: date) -> str:
    return f"{_MONTHS[value.month - 1]} {value.year}"


def eur(value: Decimal | float | int) -> str:
    amount = f"{Decimal(value):,.2f}".replace(",", "\u202f").replace(".", ",")
    return f"{amount} €"


def phone(e164: str | None) -> str:
    return to_national(e164) if e164 else "—"


def years_between(start: date, end: date) -> int:
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def data_volume(mb: int) -> str:
    """Telecom volumes are decimal (1 Go = 1 000 Mo, as plans count them): ``214 Go``, ``48,2 Go``, ``310 Mo``."""
    if mb < 1000:
        return f"{mb} Mo"
    go = round(mb / 1000, 1)
    return (f"{go:.0f} Go" if go == int(go) or go >= 100 else f"{go:.1f} Go").replace(".", ",")


def add_months(start: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it has no such day)."""
    import calendar

    year, month0 = divmod(start.month - 1 + months, 12)
    year += start.year
    day = min(start.day, calendar.monthrange(year, month0 + 1)[1])
    return date(year, month0 + 1, day)
