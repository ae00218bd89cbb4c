"""A browser's side of the console's forms, over HTTP in-process."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI

HTML = {"Accept": "text/html"}


def open_browser(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://guichet.test", headers=HTML
    )


def hidden(page: str, name: str) -> str:
    """The value of the form's hidden field `name` (the CSRF token, say)."""
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no {name} in the page"
    return match.group(1)
