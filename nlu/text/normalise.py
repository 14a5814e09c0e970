"""Speech-transcript and chat normalisation before classification.

Removes fillers and stutters, turns spelled numbers into digits, mends frequent recognition confusions,
strips control characters and bounds the length, so that a 10,000-character paste cannot slow the parse.
"""

import re
import unicodedata

from nlu.text.numbers import words_to_digits

MAX_CHARS = 1000
FILLERS = ("euh", "heu", "euhh", "hum", "hmm", "bah", "ben", "hein", "bref", "pfff", "pff")
_FILLER = re.compile(r"\b(?:" + "|".join(FILLERS) + r")\b[,.]?\s*", re.IGNORECASE)
_STUTTER = re.compile(r"\b(\w+)(?:\s+\1\b)+", re.IGNORECASE)
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u2028-\u202e\ufeff]")
_SPACES = re.compile(r"\s+")
# Frequent speech-recognition and chat confusions, as (pattern, replacement); applied on lower-cased text.
CONFUSIONS: tuple[tuple[str, str], ...] = (
    (r"\bsa (marche|fonctionne|capte|coupe|rame)\b", r"ça \1"),
    (r"\b(box|fibre|ligne|connexion|télé|tv|facture) et (coupée?|morte?|en panne|bloquée?|trop)\b", r"\1 est \2"),
    (r"\brésill?i?er\b", "résilier"),
    (r"\bresill?i?er\b", "résilier"),
    (r"\bresiliation\b", "résiliation"),
    (r"\bdemenag", "déménag"),
    (r"\bfactur[ée]?e?\b", "facture"),
    (r"\bprelev", "prélèv"),
    (r"\bjsuis\b", "je suis"),
    (r"\bjveux\b", "je veux"),
    (r"\bjai\b", "j'ai"),
    (r"\bpk\b", "pourquoi"),
    (r"\bsvp\b|\bstp\b", "s'il vous plaît"),
    (r"\bbjr\b", "bonjour"),
    (r"\bslt\b", "salut"),
    (r"\bwi-?fi\b", "wifi"),
)
_CONFUSIONS = tuple((re.compile(p), r) for p, r in CONFUSIONS)


def normalise(text: str, max_chars: int = MAX_CHARS) -> str:
    """The text a classifier should see: lower case, no fillers or stutters, numbers as digits."""
    text = unicodedata.normalize("NFC", text or "")
    text = _CONTROL.sub(" ", _ANSI.sub(" ", text))[: max_chars * 2]
    text = text.replace("’", "'").lower()
    text = _FILLER.sub(" ", text)
    text = _STUTTER.sub(r"\1", text)
    for pattern, replacement in _CONFUSIONS:
        text = pattern.sub(replacement, text)
    text = words_to_digits(text)
    text = _SPACES.sub(" ", text).strip()
    if not re.search(r"\w", text):  # punctuation or emoji only: nothing was said
        return ""
    return text[:max_chars]
