"""Links to Guichet's own pages, for channels that show them outside Guichet (Slack, Teams).

The core gives paths (`/tickets/INC-104233`, `/kb/en/vpn`, `/catalog/laptop`), which the web
widget opens against Guichet's own address. A Slack message or a Teams card is opened by a
chat client that knows nothing of that address, so its translator makes every such path
absolute with the public URL (GUICHET_PUBLIC_URL) before building the vendor payload.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from bot.kernel.domain import Link, Reply
from bot.kernel.links import is_safe_link

# A Markdown link to a path, as an article or a message may hold: `[VPN guide](/kb/en/vpn)`.
_MARKDOWN_PATH_LINK = re.compile(r"\[([^\]]+)\]\((/[^)\s]*)\)")


def is_path(url: str) -> bool:
    """A link relative to Guichet (no scheme, no host); `https://…`, `mailto:…` are not."""
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc


def absolute(url: str, public_url: str) -> str:
    """`url` joined to the public URL, keeping the latter's path prefix; absolute ones as they
    are. (`urljoin` would drop the prefix of `https://intranet.example/guichet` for `/tickets`.)"""
    if not is_path(url):
        return url
    return public_url.rstrip("/") + "/" + url.lstrip("/")


def outside(reply: Reply, public_url: str | None) -> Reply:
    """The reply as a chat client outside Guichet can use it: every path absolute.

    Without a public URL a path cannot be opened from there: its link becomes plain text (the
    title and the path), so nothing offers a button or link that leads nowhere.
    """

    def markdown(match: re.Match[str]) -> str:
        title, path = match[1], match[2]
        return f"[{title}]({absolute(path, public_url)})" if public_url else f"{title} ({path})"

    links: list[Link] = []
    unopenable: list[str] = []
    for link in reply.links:
        if not is_path(link.url):
            if is_safe_link(link.url):
                links.append(link)
            else:  # a `javascript:` link stored before links were checked: never a button
                unopenable.append(link.title)
        elif public_url and link.url:
            links.append(Link(title=link.title, url=absolute(link.url, public_url)))
        else:
            unopenable.append(f"{link.title}: {link.url}" if link.url else link.title)
    text = "\n".join([_MARKDOWN_PATH_LINK.sub(markdown, reply.text), *unopenable])
    if reply.sender:  # Slack and Teams show no author of their own: the agent's name leads
        text = f"**{reply.sender}**: {text}"
    return reply.model_copy(update={"text": text, "links": links, "sender": None})
