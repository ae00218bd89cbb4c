"""A chat client's locale ("fr-FR", "en_GB", "fr") as one of Guichet's languages."""

from __future__ import annotations

from typing import get_args

from bot.kernel.language import Language

SUPPORTED: tuple[Language, ...] = get_args(Language)


def supported_language(locale: str | None) -> Language | None:
    """The language a locale starts with when Guichet speaks it, else None."""
    prefix = (locale or "").strip().lower().replace("_", "-").split("-", 1)[0]
    return next((language for language in SUPPORTED if prefix == language), None)


def language_of(locale: str | None, default: Language) -> Language:
    """The language of a locale, or `default` for one Guichet does not speak."""
    return supported_language(locale) or default
