"""The channel plug-in point: a channel the settings enable is mounted, then started with the
services, and its pushing channel joins the services' channels; a disabled one leaves no trace."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from bot.app.channels import channel_plugins
from bot.channels.plugin import ChannelPlugin, ChannelStart
from bot.channels.runtime import mount_channels, running_channels
from bot.kernel.domain import Reply
from bot.kernel.registry import DuplicatePlugin, Registry
from bot.services import Services
from bot.settings import Settings


@dataclass
class EchoChannel:
    name: str = "echo"
    pushed: list[tuple[str, list[Reply]]] = field(default_factory=list)

    async def push(
        self, *, user_id: str, conversation_id: str | None, replies: list[Reply]
    ) -> None:
        self.pushed.append((user_id, replies))


@dataclass
class EchoPlugin:
    on: bool
    channel: EchoChannel = field(default_factory=EchoChannel)
    name: str = "echo"

    def enabled(self, settings: Settings) -> bool:
        return self.on

    def mount(self, app: FastAPI, settings: Settings) -> ChannelStart:
        @app.get("/echo")
        async def echo() -> dict[str, bool]:
            return {"ok": True}

        return lambda services: self.channel


def _plugins(plugin: ChannelPlugin) -> Registry[ChannelPlugin]:
    plugins = Registry[ChannelPlugin]("channel")
    plugins.register(plugin.name, plugin)
    return plugins


def _paths(app: FastAPI) -> set[str]:
    return {route.path for route in app.routes if isinstance(route, APIRoute)}


@pytest.mark.unit
def test_every_channel_is_in_the_composition_roots_registry_once() -> None:
    plugins = channel_plugins()
    assert plugins.names() == ["rasa_actions", "rasa_rest", "slack", "teams", "web"]
    with pytest.raises(DuplicatePlugin):
        plugins.register("slack", plugins.get("slack"))


@pytest.mark.unit
def test_a_disabled_channel_is_not_mounted(cache_settings: Settings) -> None:
    app = FastAPI()
    mount_channels(app, cache_settings, _plugins(EchoPlugin(on=False)))
    assert "/echo" not in _paths(app)
    assert app.state.channel_starts == []


async def test_an_enabled_channel_is_mounted_and_joins_the_services(
    services: Services,
) -> None:
    plugin = EchoPlugin(on=True)
    app = FastAPI()
    mount_channels(app, services.settings, _plugins(plugin))
    assert "/echo" in _paths(app)
    assert "echo" not in services.channels.names()
    async with running_channels(app, services):
        assert services.channels.get("echo") is plugin.channel
        await services.channels.get("echo").push(
            user_id="alice@norvane.example", conversation_id=None, replies=[Reply(text="hi")]
        )
    assert plugin.channel.pushed == [("alice@norvane.example", [Reply(text="hi")])]
