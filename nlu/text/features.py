"""Word features for the intent classifier: negation scope and French stems.

Bags of n-grams cannot read "je ne veux pas résilier mais ma facture a doublé": "résilier" counts for
terminate. Here the words a negation governs are marked (``neg_résil``), so that they become features of their
own, and words are reduced to their Snowball stems so that "résilier / résiliation / résilié" or
"déménage / déménagement" share one feature whatever form a caller uses.
"""

import re
from functools import lru_cache

import snowballstemmer

# Words that open a negation scope, and how many words it covers at most.
NEGATORS = frozenset({"pas", "plus", "jamais", "non", "sans", "aucun", "aucune", "ni", "rien"})
SCOPE = 2
# Words that close a scope: a new clause starts ("je ne veux pas résilier mais…").
CLAUSE_BREAKS = frozenset({"mais", "et", "car", "parce", "puis", "alors", "donc", "juste", "seulement", "plutôt",
                           "sauf", "que", "qu", "par", "contre", "simplement", "uniquement"})
# Words inside a scope that are not what is negated: skipped without using up the scope.
SCOPE_TRANSPARENT = frozenset({"de", "d'", "du", "des", "le", "la", "les", "l'", "mon", "ma", "mes", "me", "m'",
                               "te", "se", "s'", "en", "y", "à", "au", "aux", "a", "encore", "vraiment", "tout"})
_TOKEN = re.compile(r"\w+'?|'", re.UNICODE)
_STEMMER = snowballstemmer.stemmer("french")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return _STEMMER.stemWord(word)


def word_terms(text: str) -> list[str]:
    """The classifier's word tokens: lower-case stems, the ones a negation governs prefixed with ``neg_``."""
    terms: list[str] = []
    scope = 0
    for token in _TOKEN.findall(text.lower()):
        if token in CLAUSE_BREAKS or token in NEGATORS:
            scope = SCOPE if token in NEGATORS else 0
            terms.append(token)
            continue
        if scope and token not in SCOPE_TRANSPARENT:
            terms.append("neg_" + stem(token))
            scope -= 1
        else:
            terms.append(stem(token))
    return terms
