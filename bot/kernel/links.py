"""Which links Guichet accepts and gives out: http(s) URLs, or a path on Guichet's own site.

A link stored from an agent or a file ends up as an `href` in the widget, the console and chat
cards: `javascript:` or `data:` there runs in the employee's browser. Browsers ignore tabs and
newlines inside a URL and read a backslash as a slash, so those are refused too.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator

SCHEMES = frozenset({"http", "https"})
# control characters, space, DEL and the backslash (one pass in C; it runs for every link of
# every suggestion)
_REFUSED = re.compile(r"[\x00-\x20\x7f\\]")
PROBLEM = "must be an http(s) URL with a host, or a path on this site starting with a single '/'"


def is_safe_link(url: str) -> bool:
    """An absolute http(s) URL with a host, or a site-relative path ('/kb/en/vpn', not '//x')."""
    if not url or _REFUSED.search(url):
        return False
    if url.startswith("/"):
        return not url.startswith("//")
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in SCHEMES and bool(parts.hostname)


def safe_link(url: str | None) -> str | None:
    """`url` when it may be given out, else None (for links stored before they were checked)."""
    return url if url and is_safe_link(url) else None


def _checked(url: str) -> str:
    if not is_safe_link(url):
        raise ValueError(PROBLEM)
    return url


SafeLink = Annotated[str, AfterValidator(_checked)]
"""A string field that only takes a link `is_safe_link` accepts (a 422 naming the field)."""
