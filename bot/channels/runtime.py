"""The configured channels on the app: their routes at creation, their pushes while it runs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI

from bot.channels.addresses import ChannelAddressStore
from bot.channels.dispatch import NotificationDispatcher
from bot.channels.plugin import ChannelPlugin, ChannelStart
from bot.channels.protocol import ChatChannel
from bot.kernel.registry import Registry
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.services import Services


def mount_channels(app: FastAPI, settings: Settings, plugins: Registry[ChannelPlugin]) -> None:
    """Mount the routes of the channels the settings enable; keep what starts them."""
    starts: list[ChannelStart] = getattr(app.state, "channel_starts", [])
    for name in plugins:
        plugin = plugins.get(name)
        if plugin.enabled(settings) and (start := plugin.mount(app, settings)) is not None:
            starts.append(start)
    app.state.channel_starts = starts
    app.state.channel_settings = settings.channels


@asynccontextmanager
async def running_channels(app: FastAPI, services: Services) -> AsyncIterator[None]:
    """Register the mounted channels and deliver queued notifications while the app runs."""
    opened: list[ChatChannel] = []
    for start in getattr(app.state, "channel_starts", []):
        channel = start(services)
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
    services.notifier.on_queued = services.reach.on_queued = dispatcher.wake
    dispatcher.before_round = services.incidents.catch_up
    stop = asyncio.Event()
    channel_settings = getattr(app.state, "channel_settings", services.settings.channels)
    task = asyncio.create_task(dispatcher.run(stop, channel_settings.notify_interval_seconds))
    try:
        yield
    finally:
        stop.set()
        await task
        services.notifier.on_queued = services.reach.on_queued = None
        for channel in opened:
            close = getattr(channel, "aclose", None)
            if close is not None:
                await close()
