"""Readers of article files by extension: Markdown with front matter, HTML, plain text.

Each reader turns a file into the metadata and the body of an article. HTML bodies become
Markdown-like text (headings as "#", list items as "-") so long pages split at their headings
like Markdown does. What a file does not say is taken from where it is: the language from an
`en/` or `fr/` folder, the slug from the file name, the title from the first heading or line.
"""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import frontmatter

from bot.kernel.registry import Registry
from knowledge_index.text import SPACES

Metadata = dict[str, Any]
Reader = Callable[[Path], tuple[Metadata, str]]


def _defaults(path: Path, metadata: Metadata, body: str) -> Metadata:
    found = dict(metadata)
    found.setdefault("slug", path.stem)
    if "lang" not in found:
        language = next((part for part in reversed(path.parts[:-1]) if part in {"en", "fr"}), None)
        if language is not None:
            found["lang"] = language
    if "title" not in found:
        first = next((line.strip("# ").strip() for line in body.splitlines() if line.strip()), "")
        if first:
            found["title"] = first
    if "lang" in found and "slug" in found:
        found.setdefault("id", f"{found['lang']}-{found['slug']}")
    return found


def read_markdown(path: Path) -> tuple[Metadata, str]:
    post = frontmatter.load(path)
    return _defaults(path, dict(post.metadata), post.content), post.content


def read_text(path: Path) -> tuple[Metadata, str]:
    """Plain text, optionally with the same front matter as Markdown (default: a general faq)."""
    post = frontmatter.load(path)
    metadata = dict(post.metadata)
    metadata.setdefault("type", "faq")
    metadata.setdefault("category", "general")
    return _defaults(path, metadata, post.content), post.content


class _HtmlText(HTMLParser):
    BLOCKS = frozenset({"p", "div", "section", "article", "br", "tr", "table", "ul", "ol"})
    SKIPPED = frozenset({"script", "style", "nav", "header", "footer", "template", "noscript"})
    FIELDS = frozenset(
        {"id", "slug", "type", "category", "updated", "symptom", "cause", "workaround"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.metadata: Metadata = {}
        self.parts: list[str] = []
        self.title = ""
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "html" and values.get("lang"):
            self.metadata["lang"] = values["lang"].split("-")[0].lower()
        elif tag == "meta" and values.get("name") and "content" in values:
            self._meta(values["name"].lower(), values["content"])
        elif tag == "title":
            self._in_title = True
        elif tag in self.SKIPPED:
            self._skip += 1
        elif tag in {"h1", "h2", "h3"}:
            self.parts.append("\n\n" + "#" * int(tag[1]) + " ")
        elif tag in {"h4", "h5", "h6"} or tag in self.BLOCKS:
            self.parts.append("\n\n")
        elif tag == "li":
            self.parts.append("\n- ")

    def _meta(self, name: str, content: str) -> None:
        name = name.removeprefix("guichet:")
        if name == "keywords":
            self.metadata["tags"] = [t.strip() for t in content.split(",") if t.strip()]
        elif name in self.FIELDS:
            self.metadata[name] = content

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in self.SKIPPED:
            self._skip = max(0, self._skip - 1)
        elif tag in {"h1", "h2", "h3", "h4", "h5", "h6", "li"} or tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._skip:
            self.parts.append(data)


def _parse_html(markup: str) -> tuple[_HtmlText, str]:
    parser = _HtmlText()
    parser.feed(markup)
    parser.close()
    lines = [" ".join(SPACES.split(line.strip())) for line in "".join(parser.parts).splitlines()]
    body = "\n".join(lines).strip()
    while "\n\n\n" in body:
        body = body.replace("\n\n\n", "\n\n")
    return parser, body


def html_text(markup: str) -> str:
    """HTML as Markdown-like text (headings as "#", list items as "-"), for search."""
    return _parse_html(markup)[1]


def read_html(path: Path) -> tuple[Metadata, str]:
    """An HTML page: `<html lang>`, `<title>`, `<meta name="keywords|type|category|updated|
    symptom|cause|workaround">` (also with a `guichet:` prefix), and the text of the page."""
    parser, body = _parse_html(path.read_text(encoding="utf-8"))
    metadata = dict(parser.metadata)
    if parser.title.strip():
        metadata["title"] = " ".join(SPACES.split(parser.title.strip()))
    metadata.setdefault("type", "procedure")
    metadata.setdefault("category", "general")
    return _defaults(path, metadata, body), body


READERS: Registry[Reader] = Registry("article format")
READERS.register(".md", read_markdown)
READERS.register(".html", read_html)
READERS.register(".htm", read_html)
READERS.register(".txt", read_text)
