"""ServiceNow incidents through the Table API."""

from __future__ import annotations

from bot.settings.itsm import ItsmSettings
from connectors.itsm.servicenow.backend import ServiceNowBackend


def build(settings: ItsmSettings) -> ServiceNowBackend:
    return ServiceNowBackend(settings.servicenow, timeout=settings.timeout_seconds)
