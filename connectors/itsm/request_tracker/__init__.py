"""Request Tracker 5 through its REST2 API."""

from __future__ import annotations

from bot.settings.itsm import ItsmSettings
from connectors.itsm.request_tracker.backend import RequestTrackerBackend


def build(settings: ItsmSettings) -> RequestTrackerBackend:
    return RequestTrackerBackend(settings.request_tracker, timeout=settings.timeout_seconds)
