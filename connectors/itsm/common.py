"""Small helpers every backend's translate module shares."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

BREAKS = re.compile(r"<\s*(br|/p|/div|/li)\s*/?\s*>", re.IGNORECASE)
TAGS = re.compile(r"<[^>]+>")


def as_utc(value: datetime) -> datetime:
    """Guichet's times are aware; a naive one is taken as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def comment_text(text: str, author: str | None) -> str:
    """The comment as posted upstream, where the API account is the visible author."""
    return f"{author}:\n{text}" if author else text


def quoted(value: str, quote: str = "'") -> str:
    """A string literal for a query language (TicketSQL, JQL, ...) with its quotes escaped."""
    escaped = value.replace("\\", "\\\\").replace(quote, "\\" + quote)
    return f"{quote}{escaped}{quote}"


def plain_text(markup: str) -> str:
    """A comment written in a rich-text editor (HTML, entities) as the plain text a chat shows."""
    text = BREAKS.sub("\n", markup)
    text = html.unescape(TAGS.sub("", text))
    return re.sub(r"\n{3,}", "\n\n", text).strip()
