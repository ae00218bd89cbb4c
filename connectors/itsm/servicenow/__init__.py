"""ServiceNow incidents through the Table API."""

from __future__ import annotations

from connectors.itsm.servicenow.backend import ServiceNowBackend
from connectors.itsm.settings import ItsmSettings


def build(settings: ItsmSettings) -> ServiceNowBackend:
    return ServiceNowBackend(settings.servicenow, timeout=settings.timeout_seconds)
