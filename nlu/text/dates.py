"""French date expressions to ISO dates, relative to the day of the call.

Handles "aujourd'hui", "demain", "après-demain", "hier", weekdays ("mardi", "mardi prochain", "lundi
dernier"), "le 15 décembre", "le 3/01", "15/12/2026", "dans 3 jours", "la semaine prochaine", "fin du mois".
Spelled numbers are expected as digits already (see ``numbers.words_to_digits``).
"""

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = {"janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
          "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12, "decembre": 12}
WEEKDAYS = {"lundi": 0, "mardi": 1, "mercredi": 2, "jeudi": 3, "vendredi": 4, "samedi": 5, "dimanche": 6}


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    text: str
    value: str  # ISO 8601


def _month_day(day: int, month: int, year: int | None, today: date) -> date | None:
    y = year or today.year
    try:
        found = date(y, month, day)
    except ValueError:
        return None
    if year is None and found < today - timedelta(days=31):
        found = date(y + 1, month, day)  # "le 15 janvier" said in December means next January
    return found


_M = "|".join(MONTHS)
_D = "|".join(WEEKDAYS)
PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"\b(?:le\s+)?(1er|\d{{1,2}})\s+({_M})(?:\s+(\d{{4}}))?\b", re.I), "day_month"),
    (re.compile(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?\b"), "numeric"),
    (re.compile(rf"\b({_D})\s+(prochain|dernier)\b", re.I), "weekday_rel"),
    (re.compile(rf"\b(?:ce\s+)?({_D})\b", re.I), "weekday"),
    (re.compile(r"\baujourd'hui\b", re.I), "today"),
    (re.compile(r"\baprès[- ]demain\b", re.I), "after_tomorrow"),
    (re.compile(r"\bdemain\b", re.I), "tomorrow"),
    (re.compile(r"\bavant[- ]hier\b", re.I), "before_yesterday"),
    (re.compile(r"\bhier\b", re.I), "yesterday"),
    (re.compile(r"\bdans\s+(\d{1,3})\s+jours?\b", re.I), "in_days"),
    (re.compile(r"\bla\s+semaine\s+prochaine\b", re.I), "next_week"),
    (re.compile(r"\bfin\s+du\s+mois\b", re.I), "end_of_month"),
)


def _resolve(kind: str, m: re.Match[str], today: date) -> date | None:
    if kind == "day_month":
        day = 1 if m.group(1).lower() == "1er" else int(m.group(1))
        return _month_day(day, MONTHS[m.group(2).lower()], int(m.group(3)) if m.group(3) else None, today)
    if kind == "numeric":
        day, month = int(m.group(1)), int(m.group(2))
        year = int(m.group(3)) if m.group(3) else None
        if year is not None and year < 100:
            year += 2000
        return _month_day(day, month, year, today) if 1 <= month <= 12 else None
    if kind in ("weekday", "weekday_rel"):
        target = WEEKDAYS[m.group(1).lower()]
        ahead = (target - today.weekday()) % 7
        if kind == "weekday_rel" and m.group(2).lower() == "dernier":
            return today - timedelta(days=(today.weekday() - target) % 7 or 7)
        if kind == "weekday_rel":  # "mardi prochain": the Tuesday of next week
            return today + timedelta(days=7 - today.weekday() + target)
        return today + timedelta(days=ahead or 7)
    if kind == "end_of_month":
        return today.replace(day=calendar.monthrange(today.year, today.month)[1])
    if kind == "in_days":
        return today + timedelta(days=int(m.group(1)))
    offsets = {"today": 0, "tomorrow": 1, "after_tomorrow": 2, "yesterday": -1, "before_yesterday": -2,
               "next_week": 7 - today.weekday()}
    return today + timedelta(days=offsets[kind])


def find_dates(text: str, today: date) -> list[DateMention]:
    """Every date expression in ``text`` with its ISO value; overlapping matches keep the first pattern's."""
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []
    for pattern, kind in PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            value = _resolve(kind, m, today)
            if value is not None:
                found.append(DateMention(m.start(), m.end(), m.group(0), value.isoformat()))
                taken.append((m.start(), m.end()))
    return sorted(found, key=lambda d: d.start)
