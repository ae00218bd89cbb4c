"""How text becomes search terms: folding, words, stop words and French/English stems.

Everything is folded first (lower case, no accents) so "écran", "Ecran" and "ecran" are the same
word, as employees type them. Stems are taken of the folded word, in the language of the text;
a query, whose language is not known, is stemmed both ways.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

from bot.kernel.language import Language

# Text is cut into words at ordinary spaces only: a French no-break space (before "?", ":",
# inside « ») keeps its punctuation with the word, as it must stay when shown.
SPACES = re.compile(r"[ \t\n\r\f\v]+")
_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
# French elisions: l'imprimante, d'accès, qu'il, j'ai
_ELISION = re.compile(r"^(?:l|d|j|qu|n|s|c|m|t)'")

STOP_WORDS = frozenset(
    """
    a an and are as at be but by can do does for from has have how i if in into is it its me my
    of on or our please so that the their then there these this to was we what when where which
    who why will with you your am been being did get got i'm im
    au aux avec ce ces cet cette dans de des du elle en est et etre il ils je la le les leur lui
    ma mais me mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta
    te tes toi ton tu un une vos votre vous y c ca comment est-ce quoi j l d s n m t qu
    hi hello thanks thank regards
    ai avons avez ont suis sommes etes sont tout tous toute toutes tres deja depuis peux peut
    pouvez bien aussi aujourd hui aujourdhui bonjour merci svp stp salut cordialement
    """.split()
)

LANGUAGES: tuple[Language, ...] = ("en", "fr")
_STEMMERS = {"en": Stemmer.Stemmer("english"), "fr": Stemmer.Stemmer("french")}


def fold(text: str) -> str:
    """Lower case without accents; "Écran bloqué" -> "ecran bloque"."""
    if text.isascii():  # most words and queries: nothing to decompose (the same string)
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("’", "'")


def words(text: str) -> list[str]:
    """Folded words, elisions removed; "wi-fi" gives "wi", "fi" and "wifi"."""
    found: list[str] = []
    for match in _WORD.finditer(fold(text)):
        word = _ELISION.sub("", match.group(0))
        parts = re.split(r"[-']", word)
        found.extend(p for p in parts if p)
        if len(parts) > 1:
            found.append("".join(parts))
    return found


@lru_cache(maxsize=200_000)
def stem(word: str, language: Language) -> str:
    """The stem of a folded word; French stems also lose a final "e" (bloque/bloquee)."""
    stemmed: str = _STEMMERS[language].stemWord(word)
    if language == "fr" and len(stemmed) > 3 and stemmed.endswith("e"):
        stemmed = stemmed[:-1]
    return stemmed


def terms(text: str, language: Language) -> list[str]:
    """The stems of a text's words, stop words left out."""
    return [stem(w, language) for w in words(text) if w not in STOP_WORDS]


def query_words(text: str) -> tuple[list[str], bool]:
    """The words of a query, and whether its last word is still being typed.

    A word being typed is kept even when it looks like a stop word: "outlook ma" may become
    "outlook mailbox".
    """
    folded = words(text)
    typing = bool(folded) and not text[-1].isspace() and text[-1] not in ".?!,;:"
    kept = [w for w in folded[:-1] if w not in STOP_WORDS] if folded else []
    if folded and (typing or folded[-1] not in STOP_WORDS):
        kept.append(folded[-1])
    return kept or folded, typing
