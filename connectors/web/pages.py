"""Pages Guichet serves itself: the knowledge base's articles and catalog items (the URLs
suggestions point to), and in development a demo intranet page with the widget on it."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse

from bot.api.deps import ServicesDep
from bot.api.page_language import LANGUAGES, page_language
from bot.auth import optional_user
from bot.kernel.errors import NotAuthenticated
from bot.kernel.i18n import t
from bot.kernel.language import Language
from bot.services import Services
from connectors.web.layout import bar, page, widget_tag
from connectors.web.missing import missing, search_results
from knowledge_index.documents import Entry, article_text
from knowledge_index.suggest import MAX_SUGGEST_CHARACTERS

FAVICON = Path(__file__).resolve().parent / "static" / "favicon.svg"
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,119}")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_CODE = re.compile(r"`([^`]+)`")
_LIST = re.compile(r"^(?:[-*]|\d+\.) ")


def inline(text: str) -> str:
    escaped = html.escape(text)
    return _CODE.sub(r"<code>\1</code>", _BOLD.sub(r"<strong>\1</strong>", escaped))


def render_body(body: str) -> str:
    """Enough Markdown for the sample articles: headings, lists, paragraphs, bold, code."""
    parts: list[str] = []
    items: list[str] = []
    for line in [*body.splitlines(), ""]:
        stripped = line.strip()
        if _LIST.match(stripped):
            items.append(f"<li>{inline(_LIST.sub('', stripped, count=1))}</li>")
            continue
        if items:
            parts.append("<ul>" + "".join(items) + "</ul>")
            items = []
        if not stripped:
            continue
        level = len(stripped) - len(stripped.lstrip("#"))
        if 1 <= level <= 3 and stripped[level:].startswith(" "):
            parts.append(f"<h{level + 1}>{inline(stripped[level:].strip())}</h{level + 1}>")
        else:
            parts.append(f"<p>{inline(stripped)}</p>")
    return "\n".join(parts)


def _feedback(language: Language, entry_id: str, query: str) -> str:
    """ "Was this helpful?" on an article, recorded through `POST /api/v1/search/feedback`."""
    said = {
        "question": t("Was this article helpful?", language),
        "yes": t("Yes", language),
        "no": t("No", language),
        "thanks": t("Thank you: your answer helps us improve the help.", language),
        "failed": t("Your answer could not be recorded. Try again in a moment.", language),
    }
    e = {key: html.escape(text, quote=True) for key, text in said.items()}
    return (
        f'<section class="feedback" aria-labelledby="feedback-question"'
        f' data-entry="{html.escape(entry_id, quote=True)}"'
        f' data-query="{html.escape(query, quote=True)}"'
        f' data-thanks="{e["thanks"]}" data-failed="{e["failed"]}">'
        f'<h2 id="feedback-question">{e["question"]}</h2>'
        f'<button type="button" data-helpful="true">{e["yes"]}</button>'
        f'<button type="button" data-helpful="false">{e["no"]}</button>'
        f'<p class="feedback-status" role="status"></p></section>'
    )


def article_router(*, demo: bool) -> APIRouter:
    """`/kb/{lang}/{slug}` and `/catalog/{id}`; the widget on them is signed in in the demo.
    An address that names nothing gets a page saying so (in the reader's language) with a
    search box, never the API's JSON."""
    pages = APIRouter(include_in_schema=False)
    widget = widget_tag(signed_in=demo)

    @pages.get("/kb/search", response_class=HTMLResponse)
    async def search(
        request: Request,
        services: ServicesDep,
        q: Annotated[str, Query(max_length=MAX_SUGGEST_CHARACTERS)] = "",
    ) -> HTMLResponse:
        language = page_language(request, services)
        return HTMLResponse(
            page(
                language=language,
                title=t("Search the help", language),
                body=bar(language) + await search_results(services, q, language),
                widget=widget,
            )
        )

    @pages.get("/kb/{language}/{slug}", response_class=HTMLResponse)
    async def article(
        request: Request, language: str, slug: str, services: ServicesDep, q: str = ""
    ) -> HTMLResponse:
        found = services.knowledge.require()  # 503 without an index
        entry = None
        if language in LANGUAGES and _SLUG.fullmatch(slug):
            entry = found.entry(slug, language)
        if entry is not None and entry.groups and not await _may_read(request, services, entry):
            entry = None  # restricted to groups the reader is not in: as if it did not exist
        if entry is None or not entry.url.startswith("/kb/"):
            return missing(page_language(request, services), widget)
        body = (
            f"{bar(entry.language)}<main><article><h1>{html.escape(entry.title)}</h1>"
            f"{render_body(_without_title(article_text(entry)))}</article>"
            f"{_feedback(entry.language, entry.id, q[:MAX_SUGGEST_CHARACTERS] or entry.title)}"
            "</main>"
        )
        return HTMLResponse(
            page(
                language=entry.language,
                title=entry.title,
                body=body,
                widget=widget,
                script="/widget/article.js",
            )
        )

    @pages.get("/catalog/{item_id}", response_class=HTMLResponse)
    async def catalog_item(
        request: Request, item_id: str, services: ServicesDep, lang: str = "en"
    ) -> HTMLResponse:
        item = services.knowledge.catalog_item(item_id) if _SLUG.fullmatch(item_id) else None
        if item is None or lang not in LANGUAGES:
            return missing(page_language(request, services), widget)
        language: Language = lang
        title = item.title.get(language)
        order = html.escape(t("Open the help button and ask to order it.", language))
        body = (
            f"{bar(language)}<main><article><h1>{html.escape(title)}</h1>"
            f"<p>{html.escape(item.description.get(language))}</p>"
            f"<p><em>{order}</em></p></article></main>"
        )
        return HTMLResponse(page(language=language, title=title, body=body, widget=widget))

    @pages.get("/kb", response_class=HTMLResponse)
    @pages.get("/kb/{rest:path}", response_class=HTMLResponse)
    async def elsewhere(request: Request, services: ServicesDep) -> HTMLResponse:
        return missing(page_language(request, services), widget)

    @pages.get("/favicon.ico")
    async def favicon() -> FileResponse:
        return FileResponse(FAVICON, media_type="image/svg+xml")

    return pages


async def _may_read(request: Request, services: Services, entry: Entry) -> bool:
    try:
        principal = await optional_user(request)
    except NotAuthenticated:  # a stale session: the page is read as by anyone
        principal = None
    return (await services.readers.of(principal)).may_read(entry.groups)


def _without_title(body: str) -> str:
    """Articles start with their title as a level-1 heading (sometimes longer: "… – FAQ");
    the page's own heading is the title, so that one goes."""
    first, _, rest = body.lstrip().partition("\n")
    return rest if first.startswith("# ") else body
