"""What a query says, before it is searched: courtesy taken off, one-letter typos corrected.

"Bonjour, mon imprimante ne fonctionne plus, merci" is searched as "mon imprimante ne
fonctionne plus": greetings and thanks match every article a little and none well, so they
only dilute the score. A word the index has never seen that is one edit away from a word it
has ("pasword", "imprimnte") is replaced by that word, so that the embedder, which knows
nothing of typos, reads the word meant; the lexical index has its own typo tolerance.
"""

from __future__ import annotations

import re
from dataclasses import replace

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from knowledge_index.index import SearchQuery
from knowledge_index.lexical import LexicalIndex
from knowledge_index.text import STOP_WORDS, fold

MIN_TYPO_LENGTH = 5  # shorter words have too many neighbours one edit away
# Shorthand employees type, read as the words it stands for: the embedder knows "mot de passe"
# and "mise a jour", not "mdp" and "maj". Chosen from common French and English IT usage, not
# from the evaluation sets; only words nothing else means in a ticket.
ABBREVIATIONS = {
    "mdp": "mot de passe",
    "maj": "mise a jour",
    "pb": "probleme",
    "pbm": "probleme",
    "prob": "probleme",
    "bal": "boite aux lettres",
    "ordi": "ordinateur",
    "appli": "application",
    "applis": "applications",
    "pj": "piece jointe",
    "cnx": "connexion",
    "msg": "message",
    "tel": "telephone",
    "imprim": "imprimante",
    "pwd": "password",
    "passwd": "password",
    "acct": "account",
    "pls": "please",
    "laptp": "laptop",
}
# Folded, longest first so that "merci beaucoup" goes before "merci".
COURTESY = sorted(
    {
        "bonjour",
        "bonsoir",
        "salut",
        "coucou",
        "bjr",
        "slt",
        "hello",
        "hi",
        "hey",
        "good morning",
        "good afternoon",
        "dear",
        "merci",
        "merci beaucoup",
        "merci d'avance",
        "merci par avance",
        "d'avance merci",
        "svp",
        "stp",
        "s'il vous plait",
        "s'il te plait",
        "please",
        "pls",
        "plz",
        "thanks",
        "thank you",
        "thanks in advance",
        "many thanks",
        "cordialement",
        "bien cordialement",
        "regards",
        "best regards",
        "cheers",
    },
    key=len,
    reverse=True,
)
_COURTESY = "|".join(re.escape(c) for c in COURTESY)
_EDGE = r"[\s,.;:!?()\-]*"
_LEADING = re.compile(rf"^{_EDGE}(({_COURTESY}){_EDGE})+", re.IGNORECASE)
_TRAILING = re.compile(rf"{_EDGE}(({_COURTESY}){_EDGE})+$", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+")


def without_courtesy(text: str) -> str:
    """The text without greetings and thanks at its start and end; unchanged if that is all."""
    folded = fold(text)  # same length as `text` for Latin text, so spans carry over
    if len(folded) != len(text):
        return text
    start = _LEADING.match(folded)
    begin = start.end() if start else 0
    end_match = _TRAILING.search(folded, begin)
    end = end_match.start() if end_match else len(text)
    rest = text[begin:end].strip()
    return rest if _WORD.search(rest) else text


def corrected(text: str, lexical: LexicalIndex, *, complete: bool = True) -> str:
    """Words unknown to the index replaced by the one word one edit away, when there is one.

    Unless the query is `complete`, its last word may be half-typed: it is corrected only when
    no word of the index begins with it.
    """
    vocabulary = lexical.surface_words
    matches = list(_WORD.finditer(text))
    pieces: list[str] = []
    last = 0
    for position, match in enumerate(matches):
        word = fold(match.group())
        if len(word) < MIN_TYPO_LENGTH or word in vocabulary or word in STOP_WORDS:
            continue
        typing = not complete and position == len(matches) - 1
        if typing and lexical.begins_a_word(word):
            continue
        near = process.extract(word, lexical.surface, scorer=Levenshtein.distance, score_cutoff=1)
        if not near:
            continue
        # The likeliest of the words one edit away: the one in most passages.
        best = max(near, key=lambda found: lexical.passages_with(found[2]))[0]
        pieces += [text[last : match.start()], best]
        last = match.end()
    return "".join(pieces) + text[last:] if pieces else text


def expanded(text: str, *, complete: bool = True) -> str:
    """Shorthand words replaced by what they stand for; unless the text is `complete`, its
    last word may be half-typed and is left as it is ("co" may become "compte")."""
    matches = list(_WORD.finditer(text))
    typing = not complete and not text[-1:].isspace()
    pieces: list[str] = []
    last = 0
    for position, match in enumerate(matches):
        full = ABBREVIATIONS.get(fold(match.group()))
        if full is None or (typing and position == len(matches) - 1):
            continue
        pieces += [text[last : match.start()], full]
        last = match.end()
    return "".join(pieces) + text[last:] if pieces else text


def normalised(query: SearchQuery, lexical: LexicalIndex, *, expand: bool = True) -> SearchQuery:
    """The query as it is searched (see the module docstring); with `expand` off, shorthand
    stays as typed (the words "not sure" reads)."""
    text = without_courtesy(query.text)
    if expand:
        text = expanded(text, complete=query.complete)
    text = corrected(text, lexical, complete=query.complete)
    if not query.complete and query.text[-1:].isspace() and not text[-1:].isspace():
        text += " "  # a trailing space says the last word is finished: keep it
    return query if text == query.text else replace(query, text=text)
