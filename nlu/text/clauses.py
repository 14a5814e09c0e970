"""Split a call reason into the clauses a caller chains requests with, to find the secondary journeys.

"je déménage le mois prochain et en plus je voudrais passer à la fibre" → ["je déménage le mois prochain",
"je voudrais passer à la fibre"]. Each clause is classified on its own; a journey that wins a clause but is
not the primary one is a secondary journey. Plain "et" splits only when a new subject or request follows
("et je…", "et j'…", "et aussi…"), so that "internet et la télé ne marchent plus" stays one clause.
"""

import re

MIN_WORDS = 3
_CONNECTORS = (
    r"[.;!?]+",
    r"\bet (?:aussi|puis|en plus|également|surtout|par ailleurs|sinon|autre chose)\b",
    r"\b(?:en plus|par la même occasion|en même temps|autre chose|deuxième chose|autre question|"
    r"par ailleurs|d'autre part|aussi j'|sinon|ah et|ah oui et|et puis|mais aussi|et sinon)\b",
    r"\bet (?=(?:je|j'|on|il|elle|ils|elles|nous|vous|mon|ma|mes|ça|ca|c'est|est-ce|comment|pourquoi|"
    r"pouvez|peut|faudrait|voudrais|aimerais)\b)",
)  # "mais" never splits: "je ne veux pas résilier mais…" is one request
# Connectors that add a second request to a first one ("je veux changer de forfait et puis comprendre ma
# facture", "je déménage et j'en profite pour passer à la fibre"): what comes before them is a request too, and
# the first one stated (docs/nlu-labelling.md).
_ADDITIVE = re.compile(
    r"\bet (?:aussi|puis|également|sinon|d'ailleurs|après)\b|"
    r"\b(?:et )?(?:en plus|par la même occasion|en même temps|au passage|tant que j'y suis|tant qu'à faire|"
    r"tant qu'on y est|j'en profite|en profiter pour|autre chose|deuxième chose|autre question|par ailleurs|"
    r"d'autre part|mais aussi)\b",
    re.IGNORECASE)
_SPLIT = re.compile("|".join(f"(?:{c})" for c in (*_CONNECTORS, _ADDITIVE.pattern)), re.IGNORECASE)


def split_clauses(text: str) -> list[str]:
    """The clauses of ``text`` with at least ``MIN_WORDS`` words; a single-clause text gives ``[]``."""
    parts = [p.strip(" ,") for p in _SPLIT.split(text or "")]
    clauses = [p for p in parts if len(p.split()) >= MIN_WORDS]
    return clauses if len(clauses) >= 2 else []


def first_request(text: str, clauses: list[str] | None = None) -> str | None:
    """The first clause when the caller chains another request to it with an additive connector ("je veux
    changer de forfait | et puis comprendre ma facture", "je déménage | et j'en profite pour…"), else ``None``.
    ``clauses``: ``split_clauses(text)`` when the caller has it already."""
    clauses = split_clauses(text) if clauses is None else clauses
    if not clauses or not _ADDITIVE.search(text[len(clauses[0]):] if text.startswith(clauses[0]) else text):
        return None
    return clauses[0]
