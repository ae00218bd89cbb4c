"""Times and shares as a person reads them: in their time zone and language, the zone named.

One formatter for the chat, the ticket pages and the console, so that they agree:

    when(moment, "fr", "Europe/Paris")               -> "4 déc. 2026, 04:16 CET"
    when(moment, "en", "America/New_York", year=False) -> "Dec 3, 10:16 PM EST"
    hours(0.25, "fr") -> "15 min"; hours(3.5, "fr") -> "3,5 h"; hours(50, "en") -> "2.1 days"
    number(1234.5, "fr") -> "1 234,5"

The zone comes from the reader: the browser's (`Intl.DateTimeFormat().resolvedOptions()
.timeZone`), Slack's user `tz`, Teams' `localTimezone`; failing those, the deployment's default
(`GUICHET_DEFAULT_TIMEZONE`). Dates and times follow the language's CLDR formats (Babel).
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date, format_skeleton, format_time, get_datetime_format
from babel.numbers import format_decimal, format_percent
from babel.units import format_unit

UTC_NAME = "UTC"
MAX_ZONE_NAME = 64  # the longest IANA names are about 32 characters


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def is_zone(name: object) -> bool:
    """Whether `name` is an IANA time zone this machine knows ("Europe/Paris")."""
    if not isinstance(name, str) or not name or len(name) > MAX_ZONE_NAME:
        return False
    if name.startswith(("/", ".")) or ".." in name or "\\" in name:
        return False
    try:
        _zone(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def zone(name: str | None, default: str = UTC_NAME) -> ZoneInfo:
    """The zone named `name`, or `default` when there is none or it is not a known zone."""
    if name and is_zone(name):
        return _zone(name)
    return _zone(default) if is_zone(default) else _zone(UTC_NAME)


def when(
    moment: datetime | None, language: str, where: str | tzinfo | None, *, year: bool = True
) -> str:
    """`moment` in the reader's zone and language, with the zone's abbreviation; "" for None."""
    if moment is None:
        return ""
    place = where if isinstance(where, tzinfo) else zone(where)
    local = moment.astimezone(place)
    day = (
        format_date(local, "medium", locale=language)
        if year
        else format_skeleton("MMMd", local, locale=language)
    )
    clock = format_time(local, "short", locale=language)
    pattern = str(get_datetime_format("medium", locale=language))  # "{1}, {0}"
    joined = pattern.replace("{1}", day).replace("{0}", clock)
    return f"{joined} {local.tzname() or place}"


def day_and_time(moment: datetime, language: str, where: str | tzinfo | None) -> str:
    """A moment to come, with its weekday and the zone: "Monday, December 7, 2026, 8:00 AM
    CET", "lundi 7 décembre 2026, 08:00 CET"."""
    place = where if isinstance(where, tzinfo) else zone(where)
    local = moment.astimezone(place)
    day = format_date(local, "full", locale=language)
    clock = format_time(local, "short", locale=language)
    pattern = str(get_datetime_format("long", locale=language))  # "{1} 'at' {0}"
    joined = pattern.replace("{1}", day).replace("{0}", clock).replace("'", "")
    return f"{joined} {local.tzname() or place}"


def percent(value: float, language: str, *, digits: int = 1) -> str:
    """A share (0.25) as the language writes it: "25.0%", "25,0 %"."""
    pattern = Locale.parse(language).percent_formats[None].pattern  # "#,##0 %" in French
    if digits:
        pattern = pattern.replace("0", "0." + "0" * digits, 1)
    return format_percent(value, pattern, locale=language)


def number(value: float, language: str, *, digits: int = 1) -> str:
    """A number as the language writes it, with at most `digits` decimals: "1,234.5", "1 234,5"."""
    return format_decimal(value, "#,##0." + "#" * digits if digits else "#,##0", locale=language)


def hours(value: float, language: str) -> str:
    """A duration given in hours, in the unit that reads best and the language's words: minutes
    under an hour, hours under two days, days beyond ("15 min", "3,5 h", "2.1 days")."""
    if value < 1:
        return format_unit(round(value * 60), "duration-minute", length="short", locale=language)
    if value < 48:
        return format_unit(value, "duration-hour", "short", format="#,##0.#", locale=language)
    return format_unit(value / 24, "duration-day", "short", format="#,##0.#", locale=language)
