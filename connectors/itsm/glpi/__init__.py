"""GLPI tickets through its REST API (`apirest.php`)."""

from __future__ import annotations

from bot.settings.itsm import ItsmSettings
from connectors.itsm.glpi.backend import GlpiBackend


def build(settings: ItsmSettings) -> GlpiBackend:
    return GlpiBackend(settings.glpi, timeout=settings.timeout_seconds)
