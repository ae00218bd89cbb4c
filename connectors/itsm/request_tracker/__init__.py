"""Request Tracker 5 through its REST2 API."""

from __future__ import annotations

from connectors.itsm.request_tracker.backend import RequestTrackerBackend
from connectors.itsm.settings import ItsmSettings


def build(settings: ItsmSettings) -> RequestTrackerBackend:
    return RequestTrackerBackend(settings.request_tracker, timeout=settings.timeout_seconds)
