"""Text keys for searching as people type: no case, no accents."""

import unicodedata


def fold(text: str) -> str:
    """``Lefèvre`` → ``lefevre``; ``Nguyễn`` → ``nguyen``."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
