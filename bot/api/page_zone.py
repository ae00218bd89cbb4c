"""The time zone of a server-rendered page's reader: their browser's, which a small script
(`/console/static/zone.js`) keeps in a cookie, else the deployment's default."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import Request

from bot.kernel.formats import hours, is_zone, number, percent, when

ZONE_COOKIE = "guichet_tz"
FALLBACK_ZONE = "UTC"


def page_zone(request: Request) -> str:
    chosen = request.cookies.get(ZONE_COOKIE)
    if chosen is not None and is_zone(chosen):
        return chosen
    services = getattr(request.app.state, "services", None)
    return services.settings.default_timezone if services is not None else FALLBACK_ZONE


def time_callables(language: str, zone: str) -> dict[str, Callable[..., str]]:
    """`when(moment, year=True)`, `percent(share)`, `number(value)` and `duration(hours)` for
    a page's templates, in its language (and zone)."""

    def shown(moment: datetime | None, year: bool = True) -> str:
        return when(moment, language, zone, year=year)

    def share(value: float, digits: int = 1) -> str:
        return percent(value, language, digits=digits)

    def decimal(value: float, digits: int = 1) -> str:
        return number(value, language, digits=digits)

    def duration(value: float) -> str:
        return hours(value, language)

    return {"when": shown, "percent": share, "number": decimal, "duration": duration}
