"""The Markdown the bot's messages use, as the console shows them: paragraphs and line breaks,
"- " and "1. " lists, **bold**, *italics*, `code` and [links](https://...): the subset the chat
widget renders. Raw HTML is never passed through (markdown-it with `html` off escapes it), and
markdown-it's link check drops `javascript:`, `vbscript:`, `file:` and `data:` addresses."""

from __future__ import annotations

from markdown_it import MarkdownIt
from markupsafe import Markup

_RENDERER = MarkdownIt("zero", {"html": False, "breaks": True}).enable(
    ["emphasis", "list", "backticks", "link", "newline", "escape"]
)


def markdown(text: str) -> Markup:
    """`text`'s Markdown as safe HTML; every character of `text` outside the subset is escaped."""
    return Markup(_RENDERER.render(text))
