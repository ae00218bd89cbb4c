"""Confluence's storage format (XHTML with `ac:` and `ri:` elements) as Markdown-like text.

Headings become "#", list items "-" (or "1."), tables rows of cells joined by " | ", the code
and noformat macros fenced blocks. A macro with a rich-text body (info, note, warning, tip,
panel, expand, ...) keeps its body; other macros (table of contents, children, Jira issues,
attachments, ...) and their parameters are dropped, as are images, emoticons and placeholders.
A link keeps its text, or the title of the page it points to.
https://confluence.atlassian.com/doc/confluence-storage-format-790796544.html
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from knowledge_index.text import SPACES

BLOCKS = frozenset(
    {"p", "div", "br", "table", "blockquote", "hr", "ac:layout-section", "ac:layout-cell"}
)
DROPPED = frozenset(
    {
        "ac:parameter", "ac:image", "ac:emoticon", "ac:placeholder", "ac:task-id",
        "ac:task-status", "script", "style",
    }
)  # fmt: skip
LIST_ITEM = re.compile(r"^(-|\d+\.) ")
CODE_MACROS = frozenset({"code", "noformat"})
# Macros whose body is said with a word first, so that "Note: ..." reads as it did on the page.
CALLOUTS = {"info": "Info", "note": "Note", "warning": "Warning", "tip": "Tip"}


class _StorageText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._dropped = 0
        self._lists: list[list[int]] = []  # per open list: [number of the next item] or [] (ul)
        self._macros: list[str] = []
        self._in_code = False
        self._link: list[str] | None = None  # the text of the open ac:link, None outside one
        self._link_title = ""
        self._cells = 0
        self._in_cell = False

    def _say(self, text: str) -> None:
        if self._link is not None:
            self._link.append(text)
        else:
            self.parts.append(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag in DROPPED:
            self._dropped += 1
        elif self._dropped:
            return
        elif tag == "ac:structured-macro" or tag == "ac:macro":
            name = values.get("ac:name", "")
            self._macros.append(name)
            if name in CALLOUTS:
                self.parts.append(f"\n\n{CALLOUTS[name]}: ")
        elif tag == "ac:plain-text-body":
            self._in_code = bool(self._macros) and self._macros[-1] in CODE_MACROS
        elif tag == "ac:link":
            self._link, self._link_title = [], ""
        elif tag in {"ri:page", "ri:blog-post"}:
            self._link_title = values.get("ri:content-title", "")
        elif tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            self.parts.append("\n\n" + "#" * int(tag[1]) + " ")
        elif tag == "ul" or tag == "ac:task-list":
            self._lists.append([])
        elif tag == "ol":
            self._lists.append([1])
        elif tag == "li" or tag == "ac:task":
            self._item()
        elif tag == "tr":
            self.parts.append("\n")
            self._cells = 0
        elif tag in {"td", "th"}:
            if self._cells:
                self.parts.append(" | ")
            self._cells += 1
            self._in_cell = True
        elif tag == "pre":
            self.parts.append("\n\n```\n")
            self._in_code = True
        elif tag in BLOCKS:
            self.parts.append(" " if self._in_cell else "\n\n")

    def _item(self) -> None:
        depth = max(len(self._lists) - 1, 0)
        numbered = self._lists[-1] if self._lists else []
        if numbered:
            marker = f"{numbered[0]}."
            numbered[0] += 1
        else:
            marker = "-"
        self.parts.append("\n" + "  " * depth + marker + " ")

    def handle_endtag(self, tag: str) -> None:
        if tag in DROPPED:
            self._dropped = max(0, self._dropped - 1)
        elif self._dropped:
            return
        elif tag == "ac:structured-macro" or tag == "ac:macro":
            if self._macros:
                self._macros.pop()
            self.parts.append("\n\n")
        elif tag == "ac:plain-text-body":
            self._in_code = False
        elif tag == "ac:link":
            text = "".join(self._link or []).strip() or self._link_title
            self._link = None
            self.parts.append(text)
        elif tag in {"ul", "ol", "ac:task-list"}:
            if self._lists:
                self._lists.pop()
            if not self._lists:
                self.parts.append("\n")
        elif tag == "pre":
            self.parts.append("\n```\n\n")
            self._in_code = False
        elif tag in {"td", "th"}:
            self._in_cell = False
        elif tag in {"h1", "h2", "h3", "h4", "h5", "h6"} or tag in BLOCKS:
            self.parts.append(" " if self._in_cell else "\n")

    def handle_data(self, data: str) -> None:
        if not self._dropped:
            self._say(data if self._in_code else data.replace("\n", " ").replace("\xa0", " "))

    def unknown_decl(self, data: str) -> None:
        """`<![CDATA[...]]>`: the body of a code macro (or of a plain-text link)."""
        if self._dropped or not data.startswith("CDATA["):
            return
        text = data.removeprefix("CDATA[")
        if self._in_code:
            self.parts.append(f"\n\n```\n{text.strip(chr(10))}\n```\n\n")
        else:
            self._say(text)


def storage_text(markup: str) -> str:
    """The text of a page's `body.storage.value`, for search."""
    parser = _StorageText()
    parser.feed(markup)
    parser.close()
    lines: list[str] = []
    fenced = False
    for line in "".join(parser.parts).splitlines():
        if line.strip() == "```":
            fenced = not fenced
            lines.append("```")
        elif fenced:
            lines.append(line.rstrip())
        else:
            indent = len(line) - len(line.lstrip(" "))
            text = " ".join(SPACES.split(line.strip()))
            lines.append(" " * indent + text if LIST_ITEM.match(text) else text)
    body = "\n".join(lines).strip()
    while "\n\n\n" in body:
        body = body.replace("\n\n\n", "\n\n")
    return body
