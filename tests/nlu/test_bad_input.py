"""Any text gives a valid result: empty, huge, emoji, another language, gibberish."""

from __future__ import annotations

import pytest

from bot.services import Components
from nlu.service import understand

pytestmark = pytest.mark.slow

IT_WORDS = "my vpn keeps dropping and outlook crashes, "


@pytest.mark.parametrize(
    ("text", "intents", "language"),
    [
        ("", {"nlu_fallback"}, None),
        ("   \n\t ", {"nlu_fallback"}, None),
        ("🙂🙂🔥", {"nlu_fallback", "out_of_scope"}, {"en", "fr"}),
        ("qwfp arst zxcv", {"nlu_fallback"}, {"en", "fr"}),
        ("mi impresora no funciona desde ayer", {"out_of_scope"}, {"es"}),
        ("no puedo conectarme a la VPN", {"out_of_scope"}, {"es"}),
        ("Ich habe mein Passwort vergessen", {"out_of_scope"}, {"de"}),
        ("Wie wird das Wetter morgen in Berlin?", {"out_of_scope"}, {"de"}),
    ],
)
async def test_odd_input(
    components: Components, text: str, intents: set[str], language: set[str] | None
) -> None:
    result = await understand(components.parser, components.languages, text)
    assert result.intent in intents, result.ranking[:3]
    assert 0.0 <= result.confidence <= 1.0
    assert result.language in language if language else result.language is None
    body = result.to_rasa()
    assert set(body) == {"text", "intent", "entities", "intent_ranking", "language"}
    assert body["text"] == text


async def test_ten_kilobytes(components: Components) -> None:
    text = (IT_WORDS * 300)[:10_240]
    result = await understand(components.parser, components.languages, text)
    assert result.text == text and len(text) == 10_240
    assert result.language == "en"
    assert result.intent != "nlu_fallback"
    assert all(text[e.start : e.end] == e.text for e in result.entities)
    assert max(e.end for e in result.entities) > 10_000  # entities come from the whole text


async def test_french_and_english_are_not_foreign(components: Components) -> None:
    for text, language in [
        ("le VPN marche pas depuis ce matin", "fr"),
        ("mon outlook crash", "fr"),
        ("my laptop won't boot since yesterday", "en"),
    ]:
        result = await understand(components.parser, components.languages, text)
        assert result.language == language
        assert result.intent != "out_of_scope"


async def test_a_given_language_is_trusted(components: Components) -> None:
    result = await understand(components.parser, components.languages, "hola", language="fr")
    assert result.language == "fr"
