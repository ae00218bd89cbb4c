"""The message catalog: the code and the committed catalog say the same messages, every French
entry is translated with the same placeholders, plurals follow each language's rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po

from bot.kernel.i18n import KEYWORDS, TEMPLATE, catalog_path, placeholders, t, tn, tp
from bot.services import Services
from tests.bot.dialogue.chat import Chat

ROOT = Path(__file__).resolve().parents[3]
MessageKey = tuple[str | None, str | tuple[str, ...]]


def _read(path: Path) -> Catalog:
    with path.open("rb") as po:
        return read_po(po)


def _keys(catalog: Catalog) -> set[MessageKey]:
    return {(m.context, m.id) for m in catalog if m.id}


def _extracted() -> set[MessageKey]:
    """What `pybabel extract` finds in the code now, with the Makefile's configuration."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {**DEFAULT_KEYWORDS, **parse_keywords(list(KEYWORDS))}
    found = extract_from_dir(str(ROOT), method_map, options_map, keywords=keywords)
    return {(context, message) for _, _, message, _, context in found}


def test_the_catalog_has_exactly_the_messages_of_the_code() -> None:
    in_code = _extracted()
    for catalog in (_read(TEMPLATE), _read(catalog_path("fr"))):
        assert not in_code - _keys(catalog), "in the code, not in the catalog: `make messages`"
        assert not _keys(catalog) - in_code, "in the catalog, no longer in the code"
    assert len(in_code) > 300  # the bot, the pages, the widget, the console


def _forms(message: Message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def test_every_french_entry_is_translated_with_the_same_placeholders() -> None:
    french = _read(catalog_path("fr"))
    assert french.plural_forms == "nplurals=2; plural=(n > 1);"
    for message in french:
        if not message.id:
            continue
        assert not message.fuzzy, message.id
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        expected = placeholders(ids[0])
        assert all(placeholders(one) == expected for one in ids), message.id
        forms = _forms(message)
        assert len(forms) == (2 if message.pluralizable else 1), message.id
        for form in forms:
            assert form.strip(), f"not translated: {message.id!r}"
            assert placeholders(form) == expected, (message.id, form)


def test_no_message_says_a_count_with_a_parenthesised_plural() -> None:
    """ "essai(s)", "attempt(s)": a count is said with `tn` and the language's plural forms."""
    for message in _read(catalog_path("fr")):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        for text in [*ids, *_forms(message)]:
            assert "(s)" not in text and "(es)" not in text, text


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", ["0 attempts left.", "1 attempt left.", "2 attempts left."]),
        ("fr", ["Encore 0 essai.", "Encore 1 essai.", "Encore 2 essais."]),
    ],
)
def test_a_plural_follows_the_language_rule(language: str, said: list[str]) -> None:
    texts = [
        tn(
            "That code is not right. {n} attempt left.",
            "That code is not right. {n} attempts left.",
            n,
            language,
        )
        for n in (0, 1, 2)
    ]
    assert [text.rsplit(". ", 1)[1] for text in texts] == said


def test_a_context_picks_one_of_two_translations() -> None:
    duplicate = tp("duplicate", "Add to {reference}", "fr", reference="INC-000001")
    comment = tp("comment", "Add to {reference}", "fr", reference="INC-000001")
    assert (duplicate, comment) == ("Ajouter à INC-000001", "Compléter INC-000001")
    assert tp("comment", "Add to {reference}", "en", reference="X") == "Add to X"


def test_english_is_the_message_itself_and_unknown_languages_fall_back_to_it() -> None:
    text = "Did that solve your problem?"
    assert t(text, "en") == t(text, "de") == text
    assert t(text, "fr") == "Est-ce que cela a résolu votre problème\u202f?"


async def test_the_bot_speaks_the_catalog_french_in_a_conversation(services: Services) -> None:
    chat = await Chat.start(services, language="fr")
    said = await chat.say("/greet")
    assert said.startswith("Bonjour\u202f! Je suis Guichet, l'assistant du support informatique.")
    assert "Parler à un technicien" in chat.buttons
