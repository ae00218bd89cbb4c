"""What the suggestion service says itself, in English and French."""

from __future__ import annotations

from bot.kernel.language import Language

MESSAGES: dict[str, dict[str, str]] = {
    "create_ticket_with_text": {
        "en": "Create a ticket with this text",
        "fr": "Créer un ticket avec ce texte",
    },
    "chat_with_agent": {"en": "Chat with an agent", "fr": "Discuter avec un technicien"},
    "ticket_snippet": {
        "en": "A technician will take over: “{text}”",
        "fr": "Un technicien prendra le relais : « {text} »",
    },
    "agent_snippet": {
        "en": "Talk to someone from the service desk now.",
        "fr": "Parlez dès maintenant à quelqu'un du centre de services.",
    },
}


def t(key: str, language: Language, **values: str) -> str:
    return MESSAGES[key][language].format(**values)
