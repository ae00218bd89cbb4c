"""What the omnibox marks in a suggestion: the words the query matched, the typed part of the
word being typed, never a stop word."""

from __future__ import annotations

import pytest

from knowledge_index.highlight import highlight, snippet
from knowledge_index.lexical import stems_of

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
