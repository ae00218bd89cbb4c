"""The Markdown the bot's messages use, as the console shows them: paragraphs and line breaks,
"- " and "1. " lists, **bold**, *italics*, `code` and [links](https://...): the subset the chat
widget renders. Raw HTML is never passed through (markdown-it with `html` off escapes it), and
markdown-it's link check drops `javascript:`, `vbscript:`, `file:` and `data:` addresses."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markupsafe import Markup

_RENDERER = MarkdownIt("zero", {"html": False, "breaks": True}).enable(
    ["emphasis", "list", "backticks", "link", "newline", "escape"]
)
LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


def _lines_as_the_widget_reads_them(text: str) -> str:
    """A line after a list item that is not an item itself starts a new paragraph, as in the
    widget (CommonMark would carry it on into the item: "- Site: Lyon\\nShall I?")."""
    lines: list[str] = []
    for line in text.splitlines():
        if lines and line.strip() and LIST_ITEM.match(lines[-1]) and not LIST_ITEM.match(line):
            lines.append("")
        lines.append(line)
    return "\n".join(lines)


def markdown(text: str) -> Markup:
    """`text`'s Markdown as safe HTML; every character of `text` outside the subset is escaped."""
    return Markup(_RENDERER.render(_lines_as_the_widget_reads_them(text)))
