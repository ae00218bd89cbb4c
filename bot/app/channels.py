"""Every channel Guichet has, in one registry; the app mounts those the settings enable."""

from __future__ import annotations

from bot.channels.plugin import ChannelPlugin
from bot.kernel.registry import Registry
from connectors.rasa_actions.routes import RasaActionsPlugin
from connectors.rasa_rest.routes import RasaRestPlugin
from connectors.slack.routes import SlackPlugin
from connectors.teams.routes import TeamsPlugin
from connectors.web.mount import WebPlugin


def channel_plugins() -> Registry[ChannelPlugin]:
    plugins = Registry[ChannelPlugin]("channel")
    every: tuple[ChannelPlugin, ...] = (
        RasaActionsPlugin(),
        RasaRestPlugin(),
        SlackPlugin(),
        TeamsPlugin(),
        WebPlugin(),
    )
    for plugin in every:
        plugins.register(plugin.name, plugin)
    return plugins
