"""Courtesy and one-letter typos do not hide articles: what the user typed, as searched."""

from __future__ import annotations

import pytest

from bot.services import Components, Services
from knowledge_index.index import SearchQuery
from knowledge_index.query import corrected, expanded, without_courtesy

ARTICLES = ("procedure", "faq", "known_error")


@pytest.mark.parametrize(
    ("typed", "searched"),
    [
        ("Bonjour, mon imprimante ne fonctionne plus", "mon imprimante ne fonctionne plus"),
        ("bonjour mon imprimante ne fonctionne plus merci !", "mon imprimante ne fonctionne plus"),
        ("Salut ! le VPN coupe, merci d'avance", "le VPN coupe"),
        ("Hello, my printer is broken. Thanks", "my printer is broken"),
        ("hi please reset my password", "reset my password"),
        ("Outlook crashes, svp", "Outlook crashes"),
        ("bonjour", "bonjour"),  # nothing else: left as it is
        ("merci", "merci"),
        ("the hi-fi in the meeting room", "the hi-fi in the meeting room"),
    ],
)
def test_user_greets_or_thanks_around_the_problem(typed: str, searched: str) -> None:
    assert without_courtesy(typed) == searched


@pytest.mark.slow
@pytest.mark.parametrize(
    ("typed", "complete", "searched"),
    [
        ("pasword", True, "password"),
        ("pasword", False, "password"),  # not the beginning of any word: a typo
        ("reset my pasword", True, "reset my password"),
        ("imprimnte bloquée", True, "imprimante bloquée"),
        ("passw", False, "passw"),  # being typed: left for completion
        ("password", True, "password"),
        ("wifi", True, "wifi"),  # short words are left alone
    ],
)
def test_user_makes_a_one_letter_typo(
    components: Components, typed: str, complete: bool, searched: str
) -> None:
    index = components.knowledge.require()
    assert corrected(typed, index.lexical, complete=complete) == searched


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_user_types_pasword_in_the_omnibox_and_gets_articles(services: Services) -> None:
    found = await services.suggestions.suggest("pasword", language="en")
    kinds = {s.type for s in found.suggestions}
    assert "action" in kinds
    assert {"procedure", "faq"} & kinds, [(s.type, s.id, s.score) for s in found.suggestions]


@pytest.mark.slow
async def test_greeting_before_the_problem_does_not_lower_the_score(components: Components) -> None:
    knowledge = components.knowledge
    plain = await knowledge.search(
        SearchQuery("mon imprimante ne fonctionne plus", "fr", types=ARTICLES)
    )
    greeted = await knowledge.search(
        SearchQuery("Bonjour, mon imprimante ne fonctionne plus, merci", "fr", types=ARTICLES)
    )
    assert [h.entry.group for h in greeted] == [h.entry.group for h in plain]
    assert greeted[0].score == pytest.approx(plain[0].score)
    assert greeted[0].entry.category == "printing"


@pytest.mark.parametrize(
    ("typed", "complete", "searched"),
    [
        ("j'ai oublie mon mdp", True, "j'ai oublie mon mot de passe"),
        ("aide maj windows", True, "aide mise a jour windows"),
        ("Pb imprimante", True, "probleme imprimante"),
        ("forgot my pwd", True, "forgot my password"),
        ("reinit mdp", False, "reinit mdp"),  # the last word is being typed: left as typed
        ("reinit mdp ", False, "reinit mot de passe "),  # a space says it is finished
        ("maje", True, "maje"),  # whole words only
    ],
)
def test_user_types_shorthand(typed: str, complete: bool, searched: str) -> None:
    assert expanded(typed, complete=complete) == searched


async def test_not_sure_reads_the_shorthand_as_typed(components: Components) -> None:
    knowledge = components.knowledge
    typed = await knowledge.find(SearchQuery("reinit mdp confluence", "fr"))
    spelled = await knowledge.find(SearchQuery("reinit mot de passe confluence", "fr"))
    # Shown: the results of the words "mdp" stands for ...
    assert [h.entry.id for h in typed.hits] == [h.entry.id for h in spelled.hits]
    # ... judged: the text as typed, its unknown word counted as unknown.
    assert typed.evidence.match.unknown > spelled.evidence.match.unknown
    assert typed.evidence.hits != typed.hits and spelled.evidence.hits == spelled.hits


async def test_without_shorthand_not_sure_reads_what_is_searched(components: Components) -> None:
    found = await components.knowledge.find(SearchQuery("reset my password", "en"))
    assert found.evidence.hits is found.hits and found.evidence.match is found.match


async def test_not_sure_weighs_the_words_of_what_is_asked_less(components: Components) -> None:
    # "besoin" is in every request: the same results shown, the unknown word weighing more in
    # what "not sure" reads.
    found = await components.knowledge.find(SearchQuery("besoin d'un refroidisseur", "fr"))
    assert found.evidence.match is not found.match
    assert found.evidence.match.unknown > found.match.unknown > 0.0
    plain = await components.knowledge.find(SearchQuery("refroidisseur ecran", "fr"))
    assert plain.evidence.match is plain.match
