"""Teams activities to Guichet's types and back: Adaptive Cards for buttons and links."""

from __future__ import annotations

import re
from typing import Any

from microsoft_agents.activity import Activity, ActivityTypes, Attachment, ChannelAccount

from bot.channels.links import outside
from bot.kernel.domain import Reply
from bot.kernel.formats import is_zone

CHANNEL = "teams"
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
_MENTION = re.compile(r"<at>[^<]*</at>", re.IGNORECASE)


def incoming_text(activity: Activity) -> str | None:
    """What the user said: the text without mentions, or the payload of a card's button."""
    value = activity.value
    if isinstance(value, dict):
        chosen = value.get("payload")
        if isinstance(chosen, str):
            return chosen
    text = _MENTION.sub("", activity.text or "").strip()
    return text or None


def workspace_of(activity: Activity) -> str | None:
    """The Microsoft 365 tenant an activity comes from, as a rate-limit key."""
    tenant = activity.conversation.tenant_id if activity.conversation else None
    if not tenant and isinstance(activity.channel_data, dict):
        tenant = (activity.channel_data.get("tenant") or {}).get("id")
    return f"{CHANNEL}:{tenant}" if tenant else None


def timezone_of(activity: Activity) -> str | None:
    """The user's IANA zone: the activity's `localTimezone`, else its `clientInfo` entity's
    `timezone`; None when Teams says nothing this machine knows."""
    candidates: list[object] = [activity.local_timezone]
    for entity in activity.entities or []:
        data = entity.model_dump(by_alias=True) if hasattr(entity, "model_dump") else {}
        if data.get("type") == "clientInfo":
            candidates.append(data.get("timezone") or (entity.model_extra or {}).get("timezone"))
    return next((zone for zone in candidates if isinstance(zone, str) and is_zone(zone)), None)


def email_of(member: ChannelAccount) -> str | None:
    """A Teams member's e-mail (`email`, else `userPrincipalName`), from the connector."""
    extra: dict[str, Any] = member.model_extra or {}
    for key in ("email", "userPrincipalName", "user_principal_name"):
        value = extra.get(key)
        if isinstance(value, str) and "@" in value:
            return value.strip().lower()
    return None


def card(reply: Reply, public_url: str | None = None) -> dict[str, Any]:
    """An Adaptive Card: the text, then a button per choice (Action.Submit) and link."""
    reply = outside(reply, public_url)
    actions: list[dict[str, Any]] = [
        {"type": "Action.Submit", "title": b.title, "data": {"payload": b.payload}}
        for b in reply.buttons
    ]
    actions += [
        {"type": "Action.OpenUrl", "title": link.title, "url": link.url} for link in reply.links
    ]
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "body": [{"type": "TextBlock", "text": reply.text, "wrap": True}],
        "actions": actions,
    }


def reply_activity(reply: Reply, public_url: str | None = None) -> Activity:
    """A plain message, or a card when the reply offers buttons or links.

    Links to Guichet's pages (paths) start with `public_url`; without it they are plain text.
    """
    reply = outside(reply, public_url)
    if not reply.buttons and not reply.links:
        return Activity(type=ActivityTypes.message, text=reply.text, text_format="markdown")
    return Activity(
        type=ActivityTypes.message,
        summary=reply.text[:200],
        attachments=[Attachment(content_type=ADAPTIVE_CARD, content=card(reply, public_url))],
    )


def bot_installed(activity: Activity) -> bool:
    """A conversation update adding the bot to a personal chat (the user installed the app)."""
    bot = activity.recipient.id if activity.recipient else None
    personal = activity.conversation is not None and (
        activity.conversation.conversation_type in (None, "personal")
    )
    return personal and any(m.id == bot for m in activity.members_added or [])
