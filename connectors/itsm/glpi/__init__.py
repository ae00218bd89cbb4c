"""GLPI tickets through its REST API (`apirest.php`)."""

from __future__ import annotations

from connectors.itsm.glpi.backend import GlpiBackend
from connectors.itsm.settings import ItsmSettings


def build(settings: ItsmSettings) -> GlpiBackend:
    return GlpiBackend(settings.glpi, timeout=settings.timeout_seconds)
