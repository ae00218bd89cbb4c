"""The language of a server-rendered page (the employee's ticket pages, the agents' console):
`?lang=`, else the language chosen before (a cookie), else Accept-Language, else the default."""

from __future__ import annotations

from fastapi import Request, Response

from bot.kernel.language import Language
from bot.services import Services

LANGUAGE_COOKIE = "guichet_lang"
LANGUAGES: tuple[Language, ...] = ("en", "fr")
# The language switch names the other language in that language.
LANGUAGE_NAMES: dict[Language, str] = {"en": "English", "fr": "Français"}
_BY_TAG: dict[str, Language] = {language: language for language in LANGUAGES}


def accepted_language(header: str) -> Language | None:
    """The best of our languages in an Accept-Language header: by quality, then by order."""
    ranked: list[tuple[float, int, Language]] = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.partition(";")
        language = _BY_TAG.get(tag.strip().lower().split("-")[0])
        quality, params = 1.0, params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                continue
        if language is not None and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else None


def page_language(request: Request, services: Services) -> Language:
    """`?lang=`, else the language chosen before (a cookie), else Accept-Language, else the
    default. Users have no stored language: what they pick on a page is their preference."""
    for chosen in (request.query_params.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if chosen in _BY_TAG:
            return _BY_TAG[chosen]
    return accepted_language(request.headers.get("accept-language", "")) or (
        services.settings.default_language
    )


def other_language(language: Language) -> Language:
    return "fr" if language == "en" else "en"


def remember_language(response: Response, request: Request, language: Language, path: str) -> None:
    """A language picked with `?lang=` is kept in a cookie for the pages under `path`."""
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE, language, max_age=365 * 86400, samesite="lax", path=path
        )
