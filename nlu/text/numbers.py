"""French number words to digits, as speech recognition writes them.

``quarante deux euros`` → ``42 euros``; ``zéro six douze trente quatre cinquante six soixante dix huit`` →
``06 12 34 56 78`` (a phone number spoken in pairs); ``le quinze décembre`` → ``le 15 décembre``.
"""

import re

UNITS = {
    "zéro": 0, "zero": 0, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7,
    "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15,
    "seize": 16,
}
TENS = {"vingt": 20, "vingts": 20, "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60, "septante": 70,
        "huitante": 80, "octante": 80, "nonante": 90}
SCALES = {"cent": 100, "cents": 100, "mille": 1000}
NUMBER_WORDS = set(UNITS) | set(TENS) | set(SCALES) | {"et"}


def _parse_group(words: list[str]) -> tuple[int, int]:
    """Read one number (< 1,000,000) from the start of ``words``; return (value, words used)."""
    total, current, used, last = 0, 0, 0, None
    for i, w in enumerate(words):
        if w == "et":
            # "vingt et un": only between tens and "un"/"onze"
            if last in TENS and i + 1 < len(words) and words[i + 1] in ("un", "une", "onze"):
                used = i + 1
                continue
            break
        if w in UNITS:
            value = UNITS[w]
            if w == "quatre" and last is not None and i + 1 < len(words) and words[i + 1].startswith("vingt"):
                break  # "quarante quatre-vingt-dix-neuf": 40 then 99
            if last is not None and last in UNITS and not (last == "dix" and current % 100 in (70, 90)):
                break  # "six douze": two numbers, not one
            if last in TENS and current % 100 in (60, 80) and value <= 16:
                current += value  # soixante douze, quatre vingt dix
            elif last == "dix" and current % 100 in (70, 90) and value < 10:
                current += value  # soixante dix huit, quatre vingt dix neuf
            elif last in TENS and value < 10:
                current += value
            elif last is None or last in SCALES:
                current += value
            else:
                break
        elif w in TENS:
            value = TENS[w]
            if w.startswith("vingt") and last == "quatre":
                current = current - 4 + 80
            elif last is None or last in SCALES:
                current += value
            else:
                break
        elif w in SCALES:
            scale = SCALES[w]
            if scale == 100:
                current = (current or 1) * 100
            else:
                total += (current or 1) * 1000
                current = 0
        else:
            break
        last = w
        used = i + 1
    return total + current, used


_NUM = "|".join(sorted((w for w in NUMBER_WORDS if w != "et"), key=len, reverse=True))
_RUN = re.compile(rf"\b(?:{_NUM})(?:(?:[\s-]+et)?[\s-]+(?:{_NUM}))*\b", re.IGNORECASE)


def words_to_digits(text: str) -> str:
    """Replace spelled-out numbers by digits, leaving the rest of the text as it is.

    Runs of two-digit groups after "zéro" make a phone number; a lone "un"/"une" stays a word.
    """
    def replace(match: re.Match[str]) -> str:
        words = [w.lower() for w in re.split(r"[\s-]+", match.group(0))]
        if words in (["un"], ["une"]):
            return match.group(0)
        groups: list[int] = []
        i = 0
        while i < len(words):
            value, used = _parse_group(words[i:])
            if used == 0:
                return match.group(0)
            groups.append(value)
            i += used
        return _render(groups)

    return _RUN.sub(replace, text)


def _render(values: list[int]) -> str:
    if len(values) >= 4 and values[0] == 0 and all(v < 100 for v in values):  # a phone number, spoken
        rest = values[1:]
        if all(v < 10 for v in rest):  # digit by digit: zéro sept un deux…
            return "0" + "".join(str(v) for v in rest)
        return "0" + str(rest[0]) + "".join(f"{v:02d}" for v in rest[1:])  # in pairs: zéro six douze trente…
    return " ".join(str(v) for v in values)
