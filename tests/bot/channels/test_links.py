"""Paths to Guichet's pages made absolute for chat clients outside it; other links untouched."""

from __future__ import annotations

import pytest

from bot.channels.links import absolute, is_path, outside
from bot.kernel.domain import Button, Link, Reply

pytestmark = pytest.mark.unit

BASE = "https://guichet.norvane.example"
PREFIXED = "https://intranet.norvane.example/guichet"


def test_paths_and_absolute_urls_told_apart() -> None:
    assert is_path("/tickets/INC-104233") and is_path("kb/en/vpn")
    for url in ("https://kb.vendor.example/a", "http://x", "mailto:it@norvane.example", "//cdn/x"):
        assert not is_path(url)


@pytest.mark.parametrize(
    ("base", "url", "expected"),
    [
        (BASE, "/tickets/INC-104233", f"{BASE}/tickets/INC-104233"),
        (PREFIXED, "/tickets/INC-104233", f"{PREFIXED}/tickets/INC-104233"),
        (PREFIXED + "/", "/kb/fr/vpn", f"{PREFIXED}/kb/fr/vpn"),  # one slash, prefix kept
        (PREFIXED, "catalog/laptop", f"{PREFIXED}/catalog/laptop"),
        (PREFIXED, "/tickets?status=open", f"{PREFIXED}/tickets?status=open"),
        (BASE, "https://status.vendor.example/vpn", "https://status.vendor.example/vpn"),
        (BASE, "mailto:it@norvane.example", "mailto:it@norvane.example"),
    ],
)
def test_absolute(base: str, url: str, expected: str) -> None:
    assert absolute(url, base) == expected


def test_reply_links_and_markdown_paths_made_absolute_others_kept() -> None:
    reply = Reply(
        text="See [the VPN guide](/kb/en/vpn) or [status](https://status.vendor.example).",
        buttons=[Button(title="Yes", payload="/confirm_resolution")],
        links=[
            Link(title="INC-104233", url="/tickets/INC-104233"),
            Link(title="Vendor", url="https://kb.vendor.example/a"),
        ],
    )
    shown = outside(reply, PREFIXED)
    assert shown.text == (
        f"See [the VPN guide]({PREFIXED}/kb/en/vpn) or [status](https://status.vendor.example)."
    )
    assert shown.links == [
        Link(title="INC-104233", url=f"{PREFIXED}/tickets/INC-104233"),
        Link(title="Vendor", url="https://kb.vendor.example/a"),
    ]
    assert shown.buttons == reply.buttons
    assert reply.links[0].url == "/tickets/INC-104233"  # the core's reply is left as it was


def test_without_a_public_url_paths_become_plain_text() -> None:
    reply = Reply(
        text="See [the VPN guide](/kb/en/vpn).",
        links=[
            Link(title="INC-104233", url="/tickets/INC-104233"),
            Link(title="Vendor", url="https://kb.vendor.example/a"),
        ],
    )
    shown = outside(reply, None)
    assert shown.text == "See the VPN guide (/kb/en/vpn).\nINC-104233: /tickets/INC-104233"
    assert shown.links == [Link(title="Vendor", url="https://kb.vendor.example/a")]


def test_an_agents_message_in_slack_or_teams_leads_with_their_name() -> None:
    shown = outside(Reply(text="Restart the VPN client, please.", sender="Zoé"), BASE)
    assert shown.text == "**Zoé**: Restart the VPN client, please." and shown.sender is None
