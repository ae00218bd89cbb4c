"""Spotting a clearly frustrated user, so that a human takes over at once."""

from __future__ import annotations

import re

from nlu.entities import fold

# Folded (lower case, no accents). Kept short on purpose: only unambiguous expressions.
PHRASES = (
    "useless",
    "stupid bot",
    "dumb bot",
    "you are not helping",
    "you're not helping",
    "this is ridiculous",
    "waste of time",
    "for god's sake",
    "fed up",
    "sick of this",
    "i give up",
    "wtf",
    "sert a rien",
    "sers a rien",
    "t'es nul",
    "tu es nul",
    "bot nul",
    "ras le bol",
    "j'en ai marre",
    "marre de",
    "n'importe quoi",
    "c'est pas possible",
    "perte de temps",
    "tu comprends rien",
    "tu ne comprends rien",
    "inutile",
)
_PATTERN = re.compile(r"(?<!\w)(" + "|".join(re.escape(p) for p in PHRASES) + r")(?!\w)")


def frustrated(text: str) -> bool:
    """An explicit complaint, or shouting: three or more words in capitals with '!!' or '??'."""
    if _PATTERN.search(fold(text)):
        return True
    words = [w for w in re.findall(r"[^\W\d_]+", text) if len(w) > 1]
    shouting = len(words) >= 3 and sum(w.isupper() for w in words) >= 0.8 * len(words)
    return shouting and ("!!" in text or "??" in text)
