"""The configured channels on the app: their routes at creation, their pushes while it runs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI

from bot.channels.addresses import ChannelAddressStore
from bot.channels.dispatch import NotificationDispatcher
from bot.channels.protocol import ChatChannel
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.services import Services

# Called with the opened services in the lifespan; returns the channel that pushes to users.
ChannelFactory = Callable[["Services"], ChatChannel]


def mount_channels(app: FastAPI, settings: Settings) -> None:
    """Mount the routes of the channels whose settings are present (Slack, Teams)."""
    factories: list[ChannelFactory] = getattr(app.state, "channel_factories", [])
    if settings.slack_signing_secret and settings.slack_bot_token:
        from connectors.slack.routes import mount as mount_slack

        factories.append(mount_slack(app, settings))
    if settings.teams.app_id:
        from connectors.teams.routes import mount as mount_teams

        factories.append(mount_teams(app, settings))
    app.state.channel_factories = factories
    app.state.channel_settings = settings.channels


@asynccontextmanager
async def running_channels(app: FastAPI, services: Services) -> AsyncIterator[None]:
    """Register the mounted channels and deliver queued notifications while the app runs."""
    opened: list[ChatChannel] = []
    for factory in getattr(app.state, "channel_factories", []):
        channel = factory(services)
        opened.append(channel)
        if channel.name not in services.channels.names():
            services.channels.register(channel.name, channel)
    dispatcher = NotificationDispatcher(
        services.database,
        ChannelAddressStore(services.database),
        services.conversations,
        services.channels,
    )
    app.state.dispatcher = dispatcher
    services.notifier.on_queued = dispatcher.wake
    stop = asyncio.Event()
    channel_settings = getattr(app.state, "channel_settings", services.settings.channels)
    task = asyncio.create_task(dispatcher.run(stop, channel_settings.notify_interval_seconds))
    try:
        yield
    finally:
        stop.set()
        await task
        services.notifier.on_queued = None
        for channel in opened:
            close = getattr(channel, "aclose", None)
            if close is not None:
                await close()
