import pytest

from bot.channels.locale import language_of, supported_language


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("fr-FR", "fr"), ("fr_CA", "fr"), ("FR", "fr"), ("en-GB", "en"), (" en ", "en")],
)
def test_a_locale_guichet_speaks(locale: str, expected: str) -> None:
    assert supported_language(locale) == expected
    assert language_of(locale, "fr" if expected == "en" else "en") == expected


@pytest.mark.parametrize("locale", ["de-DE", "", None, "french", "e"])
def test_any_other_locale_is_the_default(locale: str | None) -> None:
    assert supported_language(locale) is None
    assert language_of(locale, "fr") == "fr" and language_of(locale, "en") == "en"
