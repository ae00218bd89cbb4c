"""The bot's words chosen at run time: a status, a category, a slot's question... Each table
maps a value to its English text, marked with `N_` so that `pybabel extract` finds it; the
code translates it where it is said, `t(STATUS_NAMES[status], language)`. Every other sentence
is written where it is used (`bot.kernel.i18n`)."""

from __future__ import annotations

from bot.kernel.i18n import N_, t

# Small talk: the intent's answer.
SMALL_TALK: dict[str, str] = {
    "greet": N_(
        "Hello! I'm Guichet, the IT help desk assistant. Tell me about your problem or "
        "what you need."
    ),
    "goodbye": N_("Goodbye, and have a good day!"),
    "thank": N_("You're welcome! Anything else I can do?"),
    "bot_challenge": N_(
        "I'm a bot, Guichet, the IT help desk assistant. I can put you in touch with a "
        "human agent at any time."
    ),
    "help": N_(
        "I can answer IT questions from the knowledge base, create a ticket, tell you "
        "where your tickets are, order equipment or software, or put you through to an "
        "agent."
    ),
}

# The question asking for a slot, by the slot's name.
SLOT_QUESTIONS: dict[str, str] = {
    "description": N_("Please describe the problem in a few words."),
    "impact": N_("Who is affected?"),
    "urgency": N_("How urgent is it?"),
    "catalog_item": N_("What would you like to order?"),
    "ticket_number": N_("What is the ticket number (for example INC-000123)?"),
    "category": N_("Which category fits best?"),
    "comment": N_("What would you like to add to the ticket?"),
    "code": N_("Please type the 6-digit code."),
}

IMPACT_LABELS: dict[str, str] = {
    "person": N_("Only me"),
    "team": N_("My team"),
    "organisation": N_("The whole organisation"),
}
URGENCY_LABELS: dict[str, str] = {
    "low": N_("It can wait"),
    "high": N_("It slows my work down"),
    "critical": N_("It blocks my work"),
}
CATEGORY_LABELS: dict[str, str] = {
    "hardware": N_("Hardware"),
    "software": N_("Software"),
    "network": N_("Network"),
    "security": N_("Security"),
    "access": N_("Access"),
    "request": N_("Request"),
    "other": N_("Other"),
}
# The labelled slots' values, by the slot kind's name (`impact`, `urgency`, `category`).
SLOT_LABELS: dict[str, dict[str, str]] = {
    "impact": IMPACT_LABELS,
    "urgency": URGENCY_LABELS,
    "category": CATEGORY_LABELS,
}

STATUS_NAMES: dict[str, str] = {
    "new": N_("new"),
    "assigned": N_("assigned"),
    "in_progress": N_("in progress"),
    "awaiting_information": N_("awaiting information"),
    "pending": N_("pending"),
    "resolved": N_("resolved"),
    "closed": N_("closed"),
    "rejected": N_("rejected"),
    "reopened": N_("reopened"),
}

# Who approves a catalog item: "(needs approval from {approver})".
APPROVER_NAMES: dict[str, str] = {
    "manager": N_("your manager"),
    "app_owner": N_("the application owner"),
    "security": N_("the security team"),
    "none": N_("nobody"),
}


def status_name(status: str, language: str) -> str:
    """A ticket status as people say it; an unknown one as it is."""
    return t(STATUS_NAMES[status], language) if status in STATUS_NAMES else status


def category_name(category: str, language: str) -> str:
    """A ticket category's name; a category of the site's own as it is."""
    return t(CATEGORY_LABELS[category], language) if category in CATEGORY_LABELS else category
