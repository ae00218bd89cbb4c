"""What a reader gets at an address that names nothing (a mistyped or outdated `/kb/...`
link): a 404 page in their language with a search box, and the search results it leads to."""

from __future__ import annotations

import html

from fastapi.responses import HTMLResponse

from bot.kernel.i18n import t
from bot.kernel.language import Language
from bot.services import Services
from connectors.web.layout import bar, page
from connectors.web.translate import KNOWLEDGE_TYPES


def search_box(language: Language, query: str = "") -> str:
    label = html.escape(t("Search the help", language))
    button = html.escape(t("Search", language))
    return (
        f'<form class="search" role="search" action="/kb/search" method="get">'
        f'<input type="hidden" name="lang" value="{language}">'
        f'<label for="kb-q">{label}</label> '
        f'<input id="kb-q" name="q" type="search" value="{html.escape(query, quote=True)}"'
        f' maxlength="200" required> <button type="submit">{button}</button></form>'
    )


def missing(language: Language, widget: str) -> HTMLResponse:
    """A 404 page: what happened, a search box, the way back."""
    title = t("This page does not exist", language)
    explanation = t(
        "No help article or catalog item is at this address: the link may be mistyped or out "
        "of date. Search the help instead:",
        language,
    )
    body = (
        f"{bar(language)}<main><article><h1>{html.escape(title)}</h1>"
        f"<p>{html.escape(explanation)}</p>{search_box(language)}</article></main>"
    )
    return HTMLResponse(page(language=language, title=title, body=body, widget=widget), 404)


async def search_results(services: Services, query: str, language: Language) -> str:
    """The help articles and catalog items that answer `query`, as a list of links."""
    heading = t("Search the help", language)
    found = []
    if query.strip():
        heading = t("Results for “{query}”", language, query=query)
        answers = await services.suggestions.suggest(query, language=language, limit=10)
        found = [s for s in answers.suggestions if s.type in KNOWLEDGE_TYPES and s.url]
    items = "".join(
        f'<li><a href="{html.escape(s.url or "", quote=True)}">{s.title_html}</a>'
        f"<p>{s.snippet}</p></li>"
        for s in found
    )
    nothing = t("Nothing found. Try other words, or open the help button to ask Guichet.", language)
    listing = f'<ul class="results">{items}</ul>' if items else f"<p>{html.escape(nothing)}</p>"
    return (
        f"<main><article><h1>{html.escape(heading)}</h1>{search_box(language, query)}"
        f"{listing if query.strip() else ''}</article></main>"
    )
