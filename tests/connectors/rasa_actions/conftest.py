"""Guichet served over real HTTP (uvicorn on 127.0.0.1, in the tests' event loop)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from pydantic import SecretStr

from bot.app.web import create_app
from bot.services import Services
from bot.settings.rasa_actions import RasaActionSettings


@pytest.fixture
async def guichet_url(services: Services) -> AsyncIterator[str]:
    """The app with its lifespan, listening on a free port; its URL."""
    app = create_app(services.settings, services)
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, ws="none", lifespan="on")
    )
    serving = asyncio.create_task(server.serve(sockets=[listening]))
    while not server.started:
        assert not serving.done(), "uvicorn stopped before it started"
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving
        listening.close()


TOKEN = "rasa-actions-test-token"


@pytest.fixture
async def http(guichet_url: str, services: Services) -> AsyncIterator[httpx.AsyncClient]:
    """A client that sends the action server's token, as Rasa does (a `?token=` in the URL
    wins over it)."""
    services.settings.rasa_actions = RasaActionSettings(token=SecretStr(TOKEN))
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(base_url=guichet_url, timeout=60.0, headers=headers) as client:
        yield client
