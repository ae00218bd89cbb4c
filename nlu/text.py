"""Text folding shared by the extractors, the validator and the dialogue engine."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower-case and strip accents; keeps length so offsets stay valid for most text."""
    if text.isascii():  # nothing to decompose or strip (a message is folded a dozen times)
        return text.lower()
    decomposed = unicodedata.normalize("NFD", text.casefold())
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
