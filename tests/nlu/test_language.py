"""Language detection on the short, mixed messages employees type."""

from __future__ import annotations

import pytest

from bot.services import Components

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("bonjour", "fr"),
        ("oui", "fr"),
        ("merci beaucoup", "fr"),
        ("mon outlook crash", "fr"),
        ("le VPN marche pas", "fr"),
        ("il faut reset mon password", "fr"),
        ("hello", "en"),
        ("thanks", "en"),
        ("my laptop won't boot", "en"),
        ("can you reset my password", "en"),
    ],
)
def test_detects(components: Components, text: str, language: str) -> None:
    assert components.languages.detect(text).language == language
