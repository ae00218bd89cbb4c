"""Slack payloads to Guichet's types and back: Block Kit messages, the search modal, options."""

from __future__ import annotations

import html
import re
from typing import Any

from bot.channels.links import outside
from bot.kernel.domain import Link, Reply, payload
from bot.kernel.i18n import t
from bot.kernel.language import Language
from bot.kernel.links import safe_link
from bot.kernel.notices import Notice
from knowledge_index.suggest import Suggestion

CHANNEL = "slack"
BUTTON_ACTION = re.compile(r"^guichet_button_\d+$")
BUTTONS_BLOCK = "guichet_buttons"
SEARCH_CALLBACK = "guichet_search"
SEARCH_BLOCK, SEARCH_ACTION = "search", "suggestion"
DESCRIBE_BLOCK, DESCRIBE_ACTION = "describe", "text"
NOTICE_VALUE = "notice:"

# Block Kit limits (https://docs.slack.dev/reference/block-kit)
SECTION_TEXT = 3000
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
ACTIONS_ELEMENTS = 25
OPTION_TEXT = 75
OPTION_VALUE = 150
MAX_OPTIONS = 100

_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
_MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")
ICONS = {
    "incident_notice": "📣",
    "action": "⚡",
    "catalog_item": "🛒",
    "procedure": "📄",
    "faq": "❔",
    "known_error": "🩹",
    "create_ticket": "🎫",
    "chat_agent": "👤",
}


def workspace_of(body: dict[str, Any]) -> str | None:
    """The workspace a request comes from (`team_id` of events and commands, `team.id` of
    interactions), as a rate-limit key."""
    team = body.get("team_id") or (body.get("team") or {}).get("id")
    return f"{CHANNEL}:{team}" if team else None


def message_text(text: str) -> str:
    """What the user wrote, without the mention of the bot (`<@U0LAN0Z89> hello`)."""
    text = _MENTION.sub("", text)
    return html.unescape(text).strip()  # Slack escapes &, < and > in message text


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(text: str) -> str:
    """Guichet's light Markdown as Slack mrkdwn: escaped, `**bold**` and `[links](url)`."""
    text = escape(text).replace("**", "*")
    return _MARKDOWN_LINK.sub(lambda m: f"<{m[2]}|{m[1]}>", text)


def _chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def reply_message(reply: Reply, public_url: str | None = None) -> dict[str, Any]:
    """`chat.postMessage` arguments (text for notifications, blocks for display) of a reply.

    Links to Guichet's pages (paths) start with `public_url`; without it they are plain text.
    """
    reply = outside(reply, public_url)
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": chunk}}
        for chunk in _chunks(mrkdwn(reply.text), SECTION_TEXT)
    ]
    if reply.links:
        lines = "\n".join(f"• <{link.url}|{escape(link.title)}>" for link in reply.links)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": lines}})
    if reply.buttons:
        blocks.append(
            {
                "type": "actions",
                "block_id": BUTTONS_BLOCK,
                "elements": [
                    {
                        "type": "button",
                        "action_id": f"guichet_button_{i}",
                        "text": {
                            "type": "plain_text",
                            "text": b.title[:BUTTON_TEXT],
                            "emoji": True,
                        },
                        "value": b.payload[:BUTTON_VALUE],
                    }
                    for i, b in enumerate(reply.buttons[:ACTIONS_ELEMENTS])
                ],
            }
        )
    return {"text": reply.text, "blocks": blocks}


def answered_blocks(
    blocks: list[dict[str, Any]], chosen: str, language: Language
) -> list[dict[str, Any]]:
    """The clicked message's blocks with its buttons replaced by what was chosen."""
    note = {
        "type": "context",
        "elements": [
            {
                "type": "mrkdwn",
                "text": "✓ " + escape(t("You chose: {title}", language, title=chosen)),
            }
        ],
    }
    kept = [b for b in blocks if b.get("block_id") != BUTTONS_BLOCK]
    return [*kept, note]


def search_modal(language: Language, text: str = "") -> dict[str, Any]:
    """The `/helpdesk` modal: suggestions as the user types (external select), or free text."""
    describe: dict[str, Any] = {
        "type": "input",
        "block_id": DESCRIBE_BLOCK,
        "optional": True,
        "label": {"type": "plain_text", "text": t("Or describe what you need", language)},
        "element": {"type": "plain_text_input", "action_id": DESCRIBE_ACTION, "multiline": True},
    }
    if text:
        describe["element"]["initial_value"] = text[:3000]
    return {
        "type": "modal",
        "callback_id": SEARCH_CALLBACK,
        "private_metadata": language,
        "title": {"type": "plain_text", "text": t("IT help desk", language)},
        "submit": {"type": "plain_text", "text": t("Go", language)},
        "close": {"type": "plain_text", "text": t("Cancel", language)},
        "blocks": [
            {
                "type": "input",
                "block_id": SEARCH_BLOCK,
                "optional": True,
                "label": {"type": "plain_text", "text": t("Search the help desk", language)},
                "element": {
                    "type": "external_select",
                    "action_id": SEARCH_ACTION,
                    "min_query_length": 2,
                    "placeholder": {
                        "type": "plain_text",
                        "text": t("Type a few words…", language),
                    },
                },
            },
            describe,
        ],
    }


def suggestion_value(suggestion: Suggestion) -> str:
    """What choosing a suggestion sends to the engine (at most 150 characters, Slack's limit)."""
    if suggestion.type == "incident_notice":
        return NOTICE_VALUE + suggestion.id
    if suggestion.action:
        if len(suggestion.action) <= OPTION_VALUE:
            return suggestion.action
        return suggestion.action.split("{", 1)[0]  # the intent without a too-long text
    return payload("article", article=suggestion.group or suggestion.id)[:OPTION_VALUE]


def options(suggestions: list[Suggestion]) -> list[dict[str, Any]]:
    """Suggestions as `external_select` options, each with the icon of its type."""
    result, seen = [], set()
    for s in suggestions[:MAX_OPTIONS]:
        value = suggestion_value(s)
        if value in seen:
            continue
        seen.add(value)
        label = f"{ICONS.get(s.type, '•')} {s.title}"
        if len(label) > OPTION_TEXT:
            label = label[: OPTION_TEXT - 1] + "…"
        result.append(
            {"text": {"type": "plain_text", "text": label, "emoji": True}, "value": value}
        )
    return result


def submitted(view: dict[str, Any]) -> tuple[str | None, str]:
    """The chosen option's value and the free text of a submitted search modal."""
    values = view.get("state", {}).get("values", {})
    selected = values.get(SEARCH_BLOCK, {}).get(SEARCH_ACTION, {}).get("selected_option")
    text = values.get(DESCRIBE_BLOCK, {}).get(DESCRIBE_ACTION, {}).get("value") or ""
    return (selected or {}).get("value"), text.strip()


def notice_reply(notice: Notice, language: Language) -> Reply:
    """An incident notice chosen in the modal, as a message."""
    url = safe_link(notice.url)
    links = [Link(title=notice.title(language), url=url)] if url else []
    return Reply(text=f"📣 **{notice.title(language)}**\n{notice.body(language)}", links=links)
