"""Pages Guichet serves itself: the knowledge base's articles and catalog items (the URLs
suggestions point to), and in development a demo intranet page with the widget on it."""

from __future__ import annotations

import html
import re
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse

from bot.api.deps import ServicesDep
from bot.kernel.errors import NotFound
from bot.kernel.i18n import t
from bot.kernel.language import Language

router = APIRouter(include_in_schema=False)
SLUG = Path(min_length=1, max_length=120, pattern=r"^[a-z0-9][a-z0-9-]*$")
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


def page(*, language: Language, title: str, body: str, widget: str) -> str:
    return f"""<!doctype html>
<html lang="{language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<link rel="stylesheet" href="/widget/demo.css">
</head>
<body>
{body}
{widget}
</body>
</html>"""


def widget_tag(*, signed_in: bool) -> str:
    """The one tag an intranet page adds; the demo portal hands out the token."""
    token = ' data-token-url="/demo/portal/token"' if signed_in else ""
    return f'<script src="/widget/guichet.js"{token} defer></script>'


def article_router(*, demo: bool) -> APIRouter:
    """`/kb/{lang}/{slug}` and `/catalog/{id}`; the widget on them is signed in in the demo."""
    pages = APIRouter(include_in_schema=False)

    @pages.get("/kb/{language}/{slug}", response_class=HTMLResponse)
    async def article(
        language: Language, slug: Annotated[str, SLUG], services: ServicesDep
    ) -> HTMLResponse:
        entry = services.knowledge.require().entry(slug, language)  # 503 without an index
        if entry is None or not entry.url.startswith("/kb/"):
            raise NotFound(kind="article", key=f"{language}/{slug}")
        back = html.escape(t("Back to the intranet", language))
        body = (
            f'<header class="bar"><a href="/">{back}</a>'
            f"</header><main><article><h1>{html.escape(entry.title)}</h1>"
            f"{render_body(_without_title(entry.body, entry.title))}</article></main>"
        )
        return HTMLResponse(
            page(language=language, title=entry.title, body=body, widget=widget_tag(signed_in=demo))
        )

    @pages.get("/catalog/{item_id}", response_class=HTMLResponse)
    async def catalog_item(
        item_id: Annotated[str, SLUG], services: ServicesDep, lang: Language = "en"
    ) -> HTMLResponse:
        item = services.knowledge.catalog_item(item_id)
        if item is None:
            raise NotFound(kind="catalog item", key=item_id)
        title = item.title.get(lang)
        back = html.escape(t("Back to the intranet", lang))
        order = html.escape(t("Open the help button and ask to order it.", lang))
        body = (
            f'<header class="bar"><a href="/">{back}</a>'
            f"</header><main><article><h1>{html.escape(title)}</h1>"
            f"<p>{html.escape(item.description.get(lang))}</p>"
            f"<p><em>{order}</em></p></article></main>"
        )
        return HTMLResponse(
            page(language=lang, title=title, body=body, widget=widget_tag(signed_in=demo))
        )

    return pages


def _without_title(body: str, title: str) -> str:
    """Articles repeat their title as the first heading; the page already shows it."""
    first, _, rest = body.lstrip().partition("\n")
    return rest if first.lstrip("# ").strip() == title.strip() else body
