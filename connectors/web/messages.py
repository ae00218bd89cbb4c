"""What the widget and the demo pages say, in English and French; the widget gets them from
`GET /widget/api/session`, so every visible word comes from here."""

from __future__ import annotations

from bot.kernel.language import Language

MESSAGES: dict[str, dict[str, str]] = {
    "open": {"en": "IT help", "fr": "Aide informatique"},
    "close": {"en": "Close", "fr": "Fermer"},
    "title": {"en": "Guichet, IT help desk", "fr": "Guichet, support informatique"},
    "placeholder": {
        "en": "Describe a problem or search the help…",
        "fr": "Décrivez un problème ou cherchez dans l'aide…",
    },
    "search_label": {"en": "Search the IT help", "fr": "Chercher dans l'aide informatique"},
    "suggestions_label": {"en": "Suggestions", "fr": "Suggestions"},
    "count_none": {"en": "No suggestions", "fr": "Aucune suggestion"},
    "count_one": {"en": "1 suggestion", "fr": "1 suggestion"},
    "count_many": {"en": "{count} suggestions", "fr": "{count} suggestions"},
    "group_incident_notice": {"en": "Ongoing incidents", "fr": "Incidents en cours"},
    "group_action": {"en": "Actions", "fr": "Actions"},
    "group_catalog_item": {"en": "Service catalog", "fr": "Catalogue de services"},
    "group_procedure": {"en": "Help articles", "fr": "Articles d'aide"},
    "group_faq": {"en": "Help articles", "fr": "Articles d'aide"},
    "group_known_error": {"en": "Known problems", "fr": "Problèmes connus"},
    "group_create_ticket": {"en": "Still stuck?", "fr": "Toujours bloqué ?"},
    "group_chat_agent": {"en": "Still stuck?", "fr": "Toujours bloqué ?"},
    "chat_label": {"en": "Conversation with Guichet", "fr": "Conversation avec Guichet"},
    "reply_placeholder": {"en": "Type your reply…", "fr": "Tapez votre réponse…"},
    "reply_label": {"en": "Your reply", "fr": "Votre réponse"},
    "send": {"en": "Send", "fr": "Envoyer"},
    "typing": {"en": "Guichet is typing…", "fr": "Guichet écrit…"},
    "new_conversation": {"en": "New conversation", "fr": "Nouvelle conversation"},
    "language": {"en": "Language", "fr": "Langue"},
    "you": {"en": "You", "fr": "Vous"},
    "bot": {"en": "Guichet", "fr": "Guichet"},
    "agent": {"en": "Agent", "fr": "Technicien"},
    "signed_out": {
        "en": "Sign in to the intranet to chat, create tickets or reset your password; the help "
        "articles are open to everyone.",
        "fr": "Connectez-vous à l'intranet pour discuter, créer un ticket ou réinitialiser votre "
        "mot de passe ; les articles d'aide sont ouverts à tous.",
    },
    "error": {
        "en": "Guichet cannot be reached right now. Try again in a moment.",
        "fr": "Guichet est injoignable pour le moment. Réessayez dans un instant.",
    },
    "article_back": {"en": "Back to the intranet", "fr": "Retour à l'intranet"},
    "article_missing": {"en": "No such article.", "fr": "Cet article n'existe pas."},
    "catalog_order": {
        "en": "Open the help button and ask to order it.",
        "fr": "Ouvrez le bouton d'aide et demandez à le commander.",
    },
}


def t(key: str, language: Language, **values: object) -> str:
    return MESSAGES[key][language].format(**values)


def texts(language: Language) -> dict[str, str]:
    """Every widget text in one language."""
    return {key: by_language[language] for key, by_language in MESSAGES.items()}
