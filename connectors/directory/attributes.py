"""Reading the attributes directories keep in their own forms: language tags, phone numbers."""

from __future__ import annotations

import re

from bot.kernel.directory import CodeDestination, DestinationKind

LANGUAGES = frozenset({"fr", "en"})
_EXTENSION = re.compile(r"\s*(x|ext\.?)\s*\d+$", re.IGNORECASE)


def language_of(tag: str | None) -> str | None:
    """ "fr-FR", "fr_CA", "EN" → "fr" / "en"; a language Guichet does not speak → None."""
    if not tag:
        return None
    primary = tag.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else None


def e164(number: str | None) -> str | None:
    """ "+33 6 12 34 56 78", "+1 (206) 555-5555 x123" → "+33612345678", "+12065555555";
    None when the number is not international (no country code to send a text to)."""
    if not number:
        return None
    number = _EXTENSION.sub("", number.strip())
    digits = "".join(c for c in number if c.isdigit())
    if not number.startswith("+") or not 8 <= len(digits) <= 15:
        return None
    return f"+{digits}"


def phone_destinations(
    key: str, number: str | None, *, sms: bool = True
) -> tuple[CodeDestination, ...]:
    """A mobile receives texts and calls; an office line only calls."""
    phone = e164(number)
    if phone is None:
        return ()
    voice = CodeDestination(f"{key}-voice", DestinationKind.VOICE, phone)
    return (CodeDestination(key, DestinationKind.SMS, phone), voice) if sms else (voice,)
