"""The bot's words chosen at run time: a status, a category, a slot's question... Each table
maps a value to its English text, marked with `N_` so that `pybabel extract` finds it; the
code translates it where it is said, `t(STATUS_NAMES[status], language)`. Every other sentence
is written where it is used (`bot.kernel.i18n`)."""

from __future__ import annotations

from bot.kernel.i18n import N_, t
from bot.kernel.ticket_models import Ticket

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

# What a payload the user sent without a button asks for (a suggestion, a link): "Order: ...".
PAYLOAD_INTENTS: dict[str, str] = {
    "order_equipment": N_("Order equipment"),
    "software_request": N_("Request software"),
    "access_request": N_("Request access"),
    "human_handoff": N_("Talk to an agent"),
    "open_incident": N_("Create a ticket"),
    "incident_status": N_("My tickets"),
    "password_reset": N_("Reset my password"),
    "account_locked": N_("Unlock my account"),
    "affirm": N_("Yes"),
    "deny": N_("No"),
    "add_comment": N_("Add to a ticket"),
    "reopen": N_("Reopen a ticket"),
    "confirm_resolution": N_("Yes, it works"),
    "article": N_("Read an article"),
}

# What people asked for, by intent, as the KPI page names it (at most 22 characters).
INTENT_NAMES: dict[str, str] = {
    "access_request": N_("Access request"),
    "account_locked": N_("Locked account"),
    "affirm": N_("Yes"),
    "bot_challenge": N_("Is this a bot?"),
    "cancel": N_("Cancel"),
    "deny": N_("No"),
    "email_problem": N_("E-mail problem"),
    "goodbye": N_("Goodbye"),
    "greet": N_("Greeting"),
    "hardware_problem": N_("Hardware problem"),
    "help": N_("Help"),
    "human_handoff": N_("Talk to an agent"),
    "incident_status": N_("Ticket status"),
    "inform": N_("Answer to a question"),
    "mfa_problem": N_("MFA problem"),
    "open_incident": N_("Create a ticket"),
    "order_equipment": N_("Order equipment"),
    "out_of_scope": N_("Out of scope"),
    "password_reset": N_("Forgotten password"),
    "printer_problem": N_("Printer problem"),
    "report_outage": N_("Outage report"),
    "software_problem": N_("Software problem"),
    "software_request": N_("Software request"),
    "thank": N_("Thanks"),
    "vpn_problem": N_("VPN problem"),
    "wifi_problem": N_("Wi-Fi problem"),
}

# Who speaks in a transcript.
TURN_ROLES: dict[str, str] = {"user": N_("employee"), "bot": N_("bot"), "agent": N_("agent")}

# Why a conversation went to a human agent (an escalation's `reason`).
HANDOFF_REASONS: dict[str, str] = {
    "user_request": N_("asked for an agent"),
    "frustration": N_("sounded frustrated"),
    "bot_failed": N_("the bot did not understand twice"),
}

# What a ticket waits for, by its status, as its requester reads it (beside the status's name).
WAITING_FOR: dict[str, str] = {
    "new": N_("waiting for the service desk to take it"),
    "awaiting_information": N_("waiting for your reply"),
    "pending": N_("waiting for a third party (a supplier, another team)"),
    "reopened": N_("waiting for the service desk to take it up again"),
    "resolved": N_("waiting for you to confirm that it works"),
}
AWAITING_APPROVAL = N_("awaiting approval by {approver}")
NOT_APPROVED = N_("not approved by {approver}")

# Who approves a catalog item: "(needs approval from {approver})".
APPROVER_NAMES: dict[str, str] = {
    "manager": N_("your manager"),
    "group:app_owner": N_("the application owner"),
    "group:security": N_("the security team"),
    "none": N_("nobody"),
}
THE_APPROVER = N_("the approver")
A_MEMBER_OF = N_("a member of {group}")


def approver_name(approver: str, language: str) -> str:
    """Who approves, as the requester reads it: "your manager", "a member of purchasing"."""
    if approver in APPROVER_NAMES:
        return t(APPROVER_NAMES[approver], language)
    if approver.startswith("group:"):
        return t(A_MEMBER_OF, language, group=approver.removeprefix("group:"))
    return t(THE_APPROVER, language)


def status_name(status: str, language: str) -> str:
    """A ticket status as people say it; an unknown one as it is."""
    return t(STATUS_NAMES[status], language) if status in STATUS_NAMES else status


def category_name(category: str, language: str) -> str:
    """A ticket category's name; a category of the site's own as it is."""
    return t(CATEGORY_LABELS[category], language) if category in CATEGORY_LABELS else category


def handoff_reason(reason: str, language: str) -> str:
    """Why a conversation went to an agent; a reason of the site's own as it is."""
    return t(HANDOFF_REASONS[reason], language) if reason in HANDOFF_REASONS else reason


def waiting_for(ticket: Ticket, language: str) -> str | None:
    """What the ticket waits for, in words that fit it: a request pending approval awaits its
    approver, a ticket awaiting information the requester's reply, a pending incident a third
    party. None while it is simply being worked on, or once it is done."""
    approval = ticket.details.get("approval") if ticket.kind == "request" else None
    if approval in ("waiting", "rejected") and ticket.status in ("pending", "rejected"):
        approver = str(ticket.details.get("approver") or "")
        # the person's own name once known (the directory's), else who they are to the requester
        named = ticket.details.get(
            "approver_name" if approval == "waiting" else "approver_decision_name"
        )
        if isinstance(named, str) and named:
            if approval == "waiting":
                return t("awaiting {name}'s approval", language, name=named)
            return t("{name} did not approve it", language, name=named)
        who = approver_name(approver, language) if approver != "none" else t(THE_APPROVER, language)
        said = AWAITING_APPROVAL if approval == "waiting" else NOT_APPROVED
        return t(said, language, approver=who)
    return t(WAITING_FOR[ticket.status], language) if ticket.status in WAITING_FOR else None


def intent_name(intent: str, language: str) -> str:
    """What people asked for, in words; an intent of the site's own model as it is."""
    return t(INTENT_NAMES[intent], language) if intent in INTENT_NAMES else intent
