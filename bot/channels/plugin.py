"""The `ChannelPlugin` plug-in point: how a channel joins the app (web, Slack, Teams, Rasa)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from fastapi import FastAPI

from bot.channels.protocol import ChatChannel
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.services import Services

# Called with the opened services when the app starts; returns the channel that pushes to its
# users (ticket updates, agents' messages), registered under its name unless one already is.
ChannelStart = Callable[["Services"], ChatChannel]


class ChannelPlugin(Protocol):
    """One channel. The composition root registers every plug-in in one registry; the app
    mounts those `enabled` by the settings when it is created, and starts what `mount` returned
    once the services are open. A channel translates its vendor's payloads to Guichet's types
    and back; the dialogue and form logic stay in the core.
    """

    @property
    def name(self) -> str: ...

    def enabled(self, settings: Settings) -> bool:
        """Whether the settings configure this channel (Slack needs its secrets, ...)."""
        ...

    def mount(self, app: FastAPI, settings: Settings) -> ChannelStart | None:
        """Add the channel's routes to `app`; None when the channel never pushes."""
        ...
