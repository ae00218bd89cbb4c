"""Zammad tickets through its REST API."""

from __future__ import annotations

from bot.settings.itsm import ItsmSettings
from connectors.itsm.zammad.backend import ZammadBackend


def build(settings: ItsmSettings) -> ZammadBackend:
    return ZammadBackend(settings.zammad, timeout=settings.timeout_seconds)
