"""The BM25 index: stems in both languages, accents, half-typed words, typos, coverage."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pytest

from knowledge_index.lexical import Grouping, LexicalIndex
from knowledge_index.text import fold, query_words, terms, words

pytestmark = pytest.mark.unit

TEXTS = [
    ("Impressions bloquées dans la file d'attente de l'imprimante", "fr"),
    ("Réinitialiser un mot de passe oublié", "fr"),
    ("Print jobs stuck in the printer queue", "en"),
    ("Reset a forgotten password", "en"),
    ("Connect to the corporate Wi-Fi network", "en"),
    ("Outlook crashes at startup because of an add-in", "en"),
]


@pytest.fixture(scope="module")
def index() -> LexicalIndex:
    return LexicalIndex.build([t for t, _ in TEXTS], [lang for _, lang in TEXTS])  # type: ignore[misc]


def _best(index: LexicalIndex, query: str, complete: bool = False) -> int:
    return int(np.argmax(index.match(query, complete=complete).coverage))


def test_words_are_folded_and_split() -> None:
    assert fold("Écran BLOQUÉ") == "ecran bloque"


def _fold_by_decomposing(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("’", "'")


def test_an_ascii_text_folds_as_a_decomposed_one() -> None:
    # `fold` skips the decomposition for ASCII texts: every pair of ASCII characters, and
    # the texts of the examples, fold as they did through it
    pairs = [chr(a) + chr(b) + "Zz" for a in range(128) for b in range(128)]
    for text in [*pairs, *(t for t, _ in TEXTS), "Mot de PASSE d'Outlook", "Wi-Fi\tVPN"]:
        assert fold(text) == _fold_by_decomposing(text), repr(text)
    assert fold("L’Écran") == _fold_by_decomposing("L’Écran") == "l'ecran"
    assert words("l'imprimante Wi-Fi") == ["imprimante", "wi", "fi", "wifi"]
    assert terms("les impressions bloquées", "fr") == terms("impression bloquee", "fr")
    assert query_words("mot de pa") == (["mot", "pa"], True)
    assert query_words("mot de passe ") == (["mot", "passe"], False)
    assert query_words("outlook ma") == (["outlook", "ma"], True)  # "ma" may become "mailbox"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("impressions bloquees", 0),  # no accents
        ("IMPRESSION BLOQUÉE", 0),  # case, singular
        ("mot de passe oublie", 1),
        ("print jobs stuck", 2),
        ("forgot password", 3),
        ("wifi", 4),
        ("wi-fi", 4),
        ("outlok crashes", 5),  # one typo
        ("outlook crashs at statup", 5),  # two words with a typo
    ],
)
def test_full_queries(index: LexicalIndex, query: str, expected: int) -> None:
    assert _best(index, query, complete=True) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [("imprim", 0), ("mot de pa", 1), ("reset pass", 3), ("outl", 5), ("corpor", 4)],
)
def test_the_word_being_typed_matches_its_completions(
    index: LexicalIndex, query: str, expected: int
) -> None:
    match = index.match(query)
    assert int(np.argmax(match.coverage)) == expected
    assert match.completion is not None


@pytest.mark.parametrize(("query", "expected"), [("outlook cras", 5), ("reset a forgo", 3)])
def test_a_search_sent_with_its_last_word_cut_short_reads_it_as_a_beginning(
    index: LexicalIndex, query: str, expected: int
) -> None:
    match = index.match(query, complete=True)
    assert int(np.argmax(match.coverage)) == expected
    assert match.coverage[expected] > 0.8  # the cut word counts, nearly as much as whole


def test_a_search_cut_after_one_letter_reads_that_letter_as_a_beginning(
    index: LexicalIndex,
) -> None:
    # "acces compte c": half-typed texts sent to the search route often end on one letter.
    match = index.match("reset forgotten p", complete=True)
    assert match.completion is not None and match.completion.startswith("p")
    assert int(np.argmax(match.coverage)) == 3
    assert match.coverage[3] > 0.9


def test_an_unknown_fragment_of_one_or_two_letters_weighs_little(index: LexicalIndex) -> None:
    # "wireless th floor": "th" is what is left of "4th", not an application the index lacks.
    fragment = index.match("print xq jobs", complete=True)
    word = index.match("print xqzw jobs", complete=True)
    assert 0.0 < fragment.unknown < word.unknown / 2
    assert fragment.coverage[2] > word.coverage[2]


def test_a_finished_search_ending_in_a_known_word_is_not_completed(index: LexicalIndex) -> None:
    assert index.match("reset password", complete=True).completion is None


def test_a_typo_in_the_word_being_typed(index: LexicalIndex) -> None:
    assert _best(index, "outlko") == 5


def test_coverage_says_how_much_of_the_query_matched(index: LexicalIndex) -> None:
    full = index.match("reset forgotten password", complete=True).coverage
    assert full[3] == pytest.approx(1.0, abs=0.05)
    half = index.match("reset password weather", complete=True).coverage
    assert 0.2 < half[3] < 0.8
    assert index.match("weather tomorrow", complete=True).coverage.max() == 0.0
    assert index.match("", complete=True).coverage.max() == 0.0


def test_save_and_load(index: LexicalIndex, tmp_path: Path) -> None:
    index.save(tmp_path)
    loaded = LexicalIndex.load(tmp_path)
    query = "impressions bloquees"
    assert np.allclose(loaded.match(query).coverage, index.match(query).coverage)


def test_a_group_covers_the_words_its_passages_hold_between_them() -> None:
    index = LexicalIndex.build(
        ["vpn access for contractors", "vpn token error", "printer jam", "printer toner"],
        ["en", "en", "en", "en"],
    )
    grouping = Grouping(np.asarray([0, 0, 1, 1], dtype=np.int32), 2)
    match = index.match("vpn token access", complete=True, grouping=grouping)
    assert match.group_coverage is not None
    # No passage holds the three words; the first entry's two passages do between them.
    assert float(match.coverage.max()) < 0.9
    assert float(match.group_coverage[0]) == pytest.approx(1.0, abs=1e-5)
    assert float(match.group_coverage[1]) == 0.0
    assert match.rivals == 1
    assert index.match("vpn token access", complete=True).group_coverage is None


def test_entries_matched_alike_are_rivals() -> None:
    index = LexicalIndex.build(
        ["licence for visio", "licence for acrobat", "licence for jetbrains", "printer jam"],
        ["en", "en", "en", "en"],
    )
    grouping = Grouping(np.asarray([0, 1, 2, 3], dtype=np.int32), 4)
    assert index.match("licence", complete=True, grouping=grouping).rivals == 3
    assert index.match("licence visio", complete=True, grouping=grouping).rivals == 1


def test_a_finished_text_ending_in_a_word_the_index_knows_may_still_be_cut_short() -> None:
    # "w" is a word of a passage, but "update w" was most likely cut while typing "windows".
    index = LexicalIndex.build(
        ["press w to wake the screen", "windows update fails", "printer driver update"],
        ["en", "en", "en"],
    )
    assert _best(index, "update w", complete=True) == 1
    assert _best(index, "update w ", complete=True) != 1  # a space: the word was finished


def test_a_fragment_being_typed_reads_as_the_words_it_begins_not_as_a_stray_word() -> None:
    index = LexicalIndex.build(
        ["w key stuck", "windows update fails", "windows licence"], ["en", "en", "en"]
    )
    match = index.match("w", complete=False)
    assert int(np.argmax(match.coverage)) in (1, 2)  # "w" itself is one of its completions
    assert match.completion == "windows"  # what the embedder reads


def _coverage_term_by_term(index: LexicalIndex, query: str) -> np.ndarray:
    """What `match` computed before its postings were gathered in one pass: each slot's
    alternatives one after the other (the reference)."""
    slots, _ = index.slots(query, complete=False)
    total = np.zeros(index.documents, dtype=np.float32)
    importance = 0.0
    for slot in slots:
        importance += slot.importance
        best = np.zeros(index.documents, dtype=np.float32)
        for term, factor in slot.alternatives.items():
            start, end = index._indptr[term], index._indptr[term + 1]
            docs = index._indices[start:end]
            scaled = index._weights[start:end] * (factor / max(index._term_max[term], 1e-6))
            best[docs] = np.maximum(best[docs], scaled)
        total += best * slot.importance
    return total / importance if importance > 0 else total


def test_a_word_being_typed_with_many_completions_scores_as_each_one_did() -> None:
    words = [
        "printer", "printing", "print", "private", "priority", "profile", "proxy", "project",
        "projector", "program", "properties", "protection", "provider", "problem", "process",
    ]  # fmt: skip
    texts = [f"{a} {b} queue" for a in words for b in words[::3]]
    index = LexicalIndex.build(texts, ["en"] * len(texts))
    grouping = Grouping(np.arange(len(texts), dtype=np.int32) // 5, -(-len(texts) // 5))
    for query in ("pr", "pro", "printer pr", "queue p"):
        match = index.match(query, grouping=grouping)
        assert len(index.slots(query, complete=False)[0][-1].alternatives) > 3  # completions
        np.testing.assert_array_equal(match.coverage, _coverage_term_by_term(index, query))


def test_a_cue_of_what_is_asked_can_weigh_less() -> None:
    # "demande de changer un cable": "demande" is in every request, the cable in none here;
    # read with the cue weighing less, the passage that only shares the cue covers less.
    index = LexicalIndex.build(
        ["demande d'un nouvel ecran", "changer le toner de l'imprimante"],
        ["fr", "fr"],
    )
    plain = index.match("demande cable", complete=True).coverage
    lighter = index.match("demande cable", complete=True, cue_importance=0.6).coverage
    assert 0.0 < lighter[0] < plain[0]
    # Words that are no cue, and a cue still being typed, keep their weight.
    assert index.match("toner cable", complete=True, cue_importance=0.6).coverage[1] == (
        pytest.approx(index.match("toner cable", complete=True).coverage[1])
    )
    assert index.match("cable demande", cue_importance=0.6).coverage[0] == pytest.approx(
        index.match("cable demande").coverage[0]
    )
