"""What the omnibox marks in a suggestion: the words the query matched, the typed part of the
word being typed, never a stop word."""

from __future__ import annotations

from itertools import compress

import pytest

from bot.settings import SAMPLE_KB_DIR
from knowledge_index.highlight import Matcher, _scanned, highlight, snippet
from knowledge_index.lexical import stems_of
from knowledge_index.text import words

pytestmark = pytest.mark.unit


def test_typing_pa_marks_the_typed_part_of_password_not_the_word_pas() -> None:
    shown = highlight("Je ne reçois pas le code du password", set(), prefix="pa")
    assert shown == "Je ne reçois pas le code du <mark>pa</mark>ssword"


def test_a_matched_word_is_marked_whole_and_a_stop_word_never() -> None:
    stems = stems_of("imprimante") | stems_of("pas")
    shown = highlight("L'imprimante ne répond pas", stems)
    assert shown == "L&#x27;<mark>imprimante</mark> ne répond pas"


def test_an_accented_word_being_typed_is_marked_from_its_start() -> None:
    assert highlight("Écran noir", set(), prefix="ec") == "<mark>Éc</mark>ran noir"


def test_the_snippet_opens_on_the_first_real_match() -> None:
    text = "Ce n'est pas grave. " * 10 + "Changez votre password ici."
    assert "<mark>pa</mark>ssword" in snippet(text, set(), prefix="pa", words=8)


def test_a_completion_of_the_typed_word_is_marked_as_far_as_it_was_typed() -> None:
    stems = stems_of("password")  # the search completed "pa" to "password"
    assert highlight("Reset a password", stems, prefix="pa") == "Reset a <mark>pa</mark>ssword"


def _passages() -> list[str]:
    articles = sorted((SAMPLE_KB_DIR / "articles").rglob("*.md"))
    return [p for a in articles for p in a.read_text("utf-8").split("\n\n") if p.strip()]


def test_the_first_mark_found_from_the_index_is_the_one_measuring_finds() -> None:
    # `Matcher.first_marked` reads a passage's index of stems and folded tokens; measuring
    # the tokens one by one, in order, is the reference. Prefixes and stems from the
    # passages' own words (found early, late, or in another passage) and from none.
    passages = _passages()
    typed = sorted({w for p in passages[::7] for w in words(p)})[::3]
    checked = marked = 0
    for number, passage in enumerate(passages):
        scanned = _scanned(passage)
        others = typed[number % 164 :: 164]
        for prefix in [None, "zq", *(w[:n] for w in others for n in (2, 3, 5))]:
            for stems in [frozenset(), *(stems_of(w) for w in others[:4])]:
                matcher = Matcher(stems, prefix)
                measured = next(
                    compress(range(len(scanned.tokens)), map(matcher, scanned.tokens)), None
                )
                assert matcher.first_marked(scanned) == measured, (passage[:40], prefix, stems)
                checked += 1
                marked += measured is not None
    assert marked > 1_000 and checked - marked > 1_000  # both cases, many times
