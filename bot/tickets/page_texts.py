"""What the employee's ticket pages say, in English and French. Statuses and categories are
the bot's own words (`bot.messages`), so the chat and the pages name them alike."""

from __future__ import annotations

from bot.kernel.language import Language
from bot.kernel.messages import MESSAGES as BOT_MESSAGES
from bot.kernel.messages import t as bot_text

MESSAGES: dict[str, dict[str, str]] = {
    "brand": {"en": "Guichet · IT help desk", "fr": "Guichet · support informatique"},
    "my_tickets": {"en": "My tickets", "fr": "Mes tickets"},
    "sign_out": {"en": "Sign out", "fr": "Se déconnecter"},
    "console": {"en": "Agent console", "fr": "Console des techniciens"},
    "switch_language": {"en": "Français", "fr": "English"},
    "no_tickets": {
        "en": "You have no ticket. Ask the assistant to create one when something is wrong.",
        "fr": "Vous n'avez aucun ticket. Demandez à l'assistant d'en créer un en cas de souci.",
    },
    "open_section": {"en": "Open", "fr": "En cours"},
    "done_section": {"en": "Finished", "fr": "Terminés"},
    "col_reference": {"en": "Ticket", "fr": "Ticket"},
    "col_title": {"en": "Subject", "fr": "Objet"},
    "col_status": {"en": "Status", "fr": "Statut"},
    "col_priority": {"en": "Priority", "fr": "Priorité"},
    "col_updated": {"en": "Last change", "fr": "Dernière modification"},
    "back": {"en": "← My tickets", "fr": "← Mes tickets"},
    "ticket_heading": {"en": "Ticket {reference}", "fr": "Ticket {reference}"},
    "requester": {"en": "Requested by", "fr": "Demandeur"},
    "status": {"en": "Status", "fr": "Statut"},
    "priority": {"en": "Priority", "fr": "Priorité"},
    "category": {"en": "Category", "fr": "Catégorie"},
    "group": {"en": "Handled by", "fr": "Pris en charge par"},
    "group_none": {"en": "not assigned yet", "fr": "pas encore attribué"},
    "opened": {"en": "Opened", "fr": "Ouvert le"},
    "first_response_due": {"en": "First answer expected by", "fr": "Première réponse attendue le"},
    "resolution_due": {"en": "Resolution expected by", "fr": "Résolution attendue le"},
    "answered_at": {"en": "answered {at}", "fr": "répondu le {at}"},
    "late": {"en": "late", "fr": "en retard"},
    "paused": {
        "en": "on hold while waiting for information",
        "fr": "suspendu en attendant des informations",
    },
    "description": {"en": "Description", "fr": "Description"},
    "history": {"en": "History", "fr": "Historique"},
    "history_created": {"en": "Ticket created", "fr": "Ticket créé"},
    "history_status": {
        "en": "Status changed from {old} to {new}",
        "fr": "Statut passé de {old} à {new}",
    },
    "history_priority": {
        "en": "Priority changed from {old} to {new}",
        "fr": "Priorité passée de {old} à {new}",
    },
    "history_category": {"en": "Category set to {new}", "fr": "Catégorie : {new}"},
    "history_group": {"en": "Assigned to {new}", "fr": "Attribué à {new}"},
    "history_approved": {"en": "Request approved", "fr": "Demande approuvée"},
    "history_not_approved": {"en": "Request not approved", "fr": "Demande refusée"},
    "history_comment": {"en": "Comment", "fr": "Commentaire"},
    "who_you": {"en": "you", "fr": "vous"},
    "who_desk": {"en": "the service desk", "fr": "le support"},
    "sync": {"en": "Service desk tools", "fr": "Outils du support"},
    "sync_local": {
        "en": "This ticket is handled in Guichet only.",
        "fr": "Ce ticket est traité dans Guichet uniquement.",
    },
    "sync_synced": {
        "en": "Copied to {backend}{upstream}; up to date.",
        "fr": "Copié dans {backend}{upstream} ; à jour.",
    },
    "sync_pending": {
        "en": "Waiting to be copied to {backend}; Guichet keeps trying on its own.",
        "fr": "En attente de copie dans {backend} ; Guichet réessaie de lui-même.",
    },
    "sync_failed": {
        "en": "Could not be copied to {backend}; your ticket is safe in Guichet and the "
        "service desk sees it.",
        "fr": "La copie dans {backend} a échoué ; votre ticket est bien enregistré dans "
        "Guichet et le support le voit.",
    },
    "sync_upstream": {"en": " as {id}", "fr": " sous le numéro {id}"},
    "add_comment": {"en": "Add a comment", "fr": "Ajouter un commentaire"},
    "send": {"en": "Send", "fr": "Envoyer"},
    "resolved_question": {
        "en": "The service desk says this is resolved. Does it work now?",
        "fr": "Le support indique que c'est résolu. Est-ce que tout fonctionne ?",
    },
    "done_commented": {"en": "Your comment is added.", "fr": "Votre commentaire est ajouté."},
    "done_closed": {
        "en": "Thanks for confirming: the ticket is closed.",
        "fr": "Merci de la confirmation : le ticket est clos.",
    },
    "done_reopened": {
        "en": "The ticket is reopened; the service desk will take it up again.",
        "fr": "Le ticket est rouvert ; le support va le reprendre.",
    },
    "error_conflict": {
        "en": "That is not possible in the ticket's current status ({status}).",
        "fr": "Ce n'est pas possible dans le statut actuel du ticket ({status}).",
    },
    "error_empty": {"en": "The comment is empty.", "fr": "Le commentaire est vide."},
    "not_found_title": {"en": "Ticket not found", "fr": "Ticket introuvable"},
    "not_found": {
        "en": "There is no ticket {reference}. Check the number, or see your tickets.",
        "fr": "Il n'existe pas de ticket {reference}. Vérifiez le numéro, ou consultez vos "
        "tickets.",
    },
    "forbidden_title": {"en": "Not allowed", "fr": "Accès refusé"},
    "forbidden": {
        "en": "This ticket belongs to someone else; only its requester and the service desk "
        "may see it.",
        "fr": "Ce ticket appartient à quelqu'un d'autre ; seuls son demandeur et le support "
        "peuvent le consulter.",
    },
    "forbidden_action": {
        "en": "This action was refused. The form may have expired: reload the ticket's page "
        "and try again.",
        "fr": "Cette action a été refusée. Le formulaire a peut-être expiré : rechargez la "
        "page du ticket et recommencez.",
    },
}


def t(key: str, language: Language, **values: object) -> str:
    text = MESSAGES[key][language]
    return text.format(**values) if values else text


def status_name(status: str, language: Language) -> str:
    return bot_text(f"status_{status}", language)


def category_name(category: str, language: Language) -> str:
    key = f"category_{category}"
    return bot_text(key, language) if key in BOT_MESSAGES else category
