"""What the widget and the demo pages say; the widget gets them from `GET /widget/api/session`
as a key → text dict in the user's language, so every visible word comes from here (and is
translated through the catalog, `bot.kernel.i18n`)."""

from __future__ import annotations

from bot.kernel.i18n import N_, t
from bot.kernel.language import Language

MESSAGES: dict[str, str] = {
    "open": N_("IT help"),
    "close": N_("Close"),
    "title": N_("Guichet, IT help desk"),
    "placeholder": N_("Search or describe a problem…"),
    "search_label": N_("Search the IT help"),
    "suggestions_label": N_("Suggestions"),
    "count_none": N_("No suggestions"),
    "count_one": N_("1 suggestion"),
    "count_many": N_("{count} suggestions"),
    "group_incident_notice": N_("Ongoing incidents"),
    "notify_me": N_("Notify me"),
    "notify_me_label": N_("Tell me about this incident when it changes"),
    "notified": N_("You will be told here"),
    "group_maintenance_notice": N_("Planned maintenance"),
    # The entries, best first, headed by how sure the search is that the first one answers.
    "group_answers": N_("Best matches"),
    "group_maybe": N_("Not sure, perhaps one of these"),
    "group_create_ticket": N_("Still stuck?"),
    # The kind of each entry, as a small badge on its row.
    "kind_action": N_("Action"),
    "kind_catalog_item": N_("Catalog"),
    "kind_procedure": N_("Help article"),
    "kind_faq": N_("FAQ"),
    "kind_known_error": N_("Known problem"),
    "chat_label": N_("Conversation with Guichet"),
    "reply_placeholder": N_("Type your reply…"),
    "reply_label": N_("Your reply"),
    "send": N_("Send"),
    "typing": N_("Guichet is typing…"),
    "new_conversation": N_("New conversation"),
    "language": N_("Language"),
    "you": N_("You"),
    "bot": N_("Guichet"),
    "agent": N_("Agent"),
    "said_by": N_("{who}:"),  # before each message, for screen readers
    "agent_named": N_("{name}, service desk"),
    "signed_out": N_(
        "Sign in to the intranet to chat, create tickets or reset your password; the help "
        "articles are open to everyone."
    ),
    "error": N_("Guichet cannot be reached right now. Try again in a moment."),
    "too_long": N_(
        "Your message is too long: {length} characters, the limit is {limit}. Shorten it or "
        "split it."
    ),
    "refused": N_("Guichet could not take this: {reason}"),
    "refused_unknown": N_("Guichet could not take this request. Check it and try again."),
    "not_sent": N_("Not sent"),
    "counter": N_("{length} / {limit} characters"),
    "send_disabled": N_("Shorten your message to send it."),
    "article_back": N_("Back to the intranet"),
    "article_missing": N_("No such article."),
    "catalog_order": N_("Open the help button and ask to order it."),
}


def texts(language: Language) -> dict[str, str]:
    """Every widget text in one language, by key (the widget's script reads them by key)."""
    return {key: t(text, language) for key, text in MESSAGES.items()}
