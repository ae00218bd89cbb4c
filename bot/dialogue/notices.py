"""Ongoing incidents first: when what the employee says matches an active notice, the bot
tells it before anything else ("VPN down in Lyon since 9:10, fix expected 11:00")."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.kernel.domain import Conversation, Link, Reply, utcnow
from bot.kernel.i18n import t
from bot.kernel.language import Language
from bot.kernel.notices import Notice, window_text
from nlu.protocol import FALLBACK_INTENT, ParseResult

# Messages that describe a problem or ask something: the ones a notice may answer.
NOTICE_INTENTS = frozenset(
    {
        "vpn_problem",
        "wifi_problem",
        "email_problem",
        "printer_problem",
        "hardware_problem",
        "software_problem",
        "mfa_problem",
        "access_request",
        "report_outage",
        "open_incident",
        FALLBACK_INTENT,
    }
)
SHOWN_SLOT = "notices_shown"
MAX_NOTICES = 2


class NoticeLookup(Protocol):
    """The active incident notices matching a message, best first."""

    async def matching(self, text: str, language: Language) -> list[Notice]: ...


def notice_reply(
    notice: Notice, language: Language, zone: str | None = None, now: datetime | None = None
) -> Reply:
    body = notice.body(language)
    if notice.kind == "maintenance":
        # When, in the user's zone: "planned Thursday ... 10:00 PM–11:00 PM CET".
        window = window_text(notice, language, zone, now or utcnow())
        text = t("{title}, {window}.", language, title=notice.title(language), window=window)
    else:
        text = t("Known ongoing incident: {title}.", language, title=notice.title(language))
    return Reply(
        text=f"{text}\n{body}" if body else text,
        links=[Link(title=notice.title(language), url=notice.url)] if notice.url else [],
    )


async def notices_first(
    lookup: NoticeLookup | None,
    conversation: Conversation,
    parse: ParseResult,
    replies: list[Reply],
) -> list[Reply]:
    """`replies` preceded by the matching notices not yet told in this conversation."""
    if lookup is None or parse.text.startswith("/") or parse.intent not in NOTICE_INTENTS:
        return replies
    state = conversation.state
    shown = [int(n) for n in state.slots.get(SHOWN_SLOT, [])]
    found = [
        n for n in await lookup.matching(parse.text, conversation.language) if n.id not in shown
    ][:MAX_NOTICES]
    if not found:
        return replies
    state.slots[SHOWN_SLOT] = shown + [n.id for n in found]
    zone = state.timezone
    return [notice_reply(n, conversation.language, zone) for n in found] + replies
