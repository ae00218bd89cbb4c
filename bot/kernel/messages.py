"""Every sentence the bot says, in English and French. Code refers to them by key."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "greet": {
        "en": "Hello! I'm Guichet, the IT help desk assistant. Tell me about your problem or "
        "what you need.",
        "fr": "Bonjour ! Je suis Guichet, l'assistant du support informatique. Décrivez-moi "
        "votre problème ou ce dont vous avez besoin.",
    },
    "goodbye": {"en": "Goodbye, and have a good day!", "fr": "Au revoir et bonne journée !"},
    "thank": {
        "en": "You're welcome! Anything else I can do?",
        "fr": "Avec plaisir ! Puis-je faire autre chose pour vous ?",
    },
    "bot_challenge": {
        "en": "I'm a bot, Guichet, the IT help desk assistant. I can put you in touch with a "
        "human agent at any time.",
        "fr": "Je suis un robot, Guichet, l'assistant du support informatique. Je peux vous "
        "mettre en relation avec un technicien à tout moment.",
    },
    "help": {
        "en": "I can answer IT questions from the knowledge base, create a ticket, tell you "
        "where your tickets are, order equipment or software, or put you through to an "
        "agent.",
        "fr": "Je peux répondre à vos questions informatiques à partir de la base de "
        "connaissances, créer un ticket, vous dire où en sont vos tickets, commander du "
        "matériel ou un logiciel, ou vous passer un technicien.",
    },
    "out_of_scope": {
        "en": "Sorry, I can only help with IT matters (accounts, computers, software, network, "
        "equipment). For anything else, please contact the relevant department.",
        "fr": "Désolé, je ne peux aider que pour l'informatique (comptes, postes, logiciels, "
        "réseau, matériel). Pour le reste, adressez-vous au service concerné.",
    },
    "affirm_idle": {
        "en": "All right. What can I do for you?",
        "fr": "Entendu. Que puis-je faire pour vous ?",
    },
    "kb_answer": {
        "en": "This article should help: **{title}**\n{snippet}",
        "fr": "Cet article devrait vous aider : **{title}**\n{snippet}",
    },
    "kb_feedback": {
        "en": "Did that solve your problem?",
        "fr": "Est-ce que cela a résolu votre problème ?",
    },
    "kb_choices": {
        "en": "I'm not sure I understood. Is it one of these?",
        "fr": "Je ne suis pas sûr d'avoir compris. S'agit-il de l'un de ces sujets ?",
    },
    "not_understood": {
        "en": "Sorry, I didn't understand. Could you describe your problem in other words?",
        "fr": "Désolé, je n'ai pas compris. Pouvez-vous décrire votre problème autrement ?",
    },
    "not_understood_again": {
        "en": "I still can't find an answer, so I'm bringing in a person.",
        "fr": "Je ne trouve toujours pas de réponse, je fais donc appel à une personne.",
    },
    "solved": {
        "en": "Great, glad it's solved! Anything else?",
        "fr": "Parfait, ravi que ce soit réglé ! Autre chose ?",
    },
    "not_solved": {
        "en": "Sorry it didn't help. Let's create a ticket so that a technician takes over.",
        "fr": "Désolé que cela n'ait pas suffi. Créons un ticket pour qu'un "
        "technicien prenne le relais.",
    },
    "cancelled": {
        "en": "OK, I've cancelled that. What else can I do for you?",
        "fr": "D'accord, j'ai annulé. Que puis-je faire d'autre pour vous ?",
    },
    "nothing_to_cancel": {
        "en": "There is nothing in progress to cancel.",
        "fr": "Il n'y a rien en cours à annuler.",
    },
    "ask_description": {
        "en": "Please describe the problem in a few words.",
        "fr": "Décrivez le problème en quelques mots, s'il vous plaît.",
    },
    "ask_impact": {"en": "Who is affected?", "fr": "Qui est concerné ?"},
    "ask_urgency": {"en": "How urgent is it?", "fr": "Quelle est l'urgence ?"},
    "ask_catalog_item": {
        "en": "What would you like to order?",
        "fr": "Que souhaitez-vous commander ?",
    },
    "choose_catalog_item": {
        "en": "Which of these items do you mean?",
        "fr": "Duquel de ces articles s'agit-il ?",
    },
    "ask_ticket_number": {
        "en": "What is the ticket number (for example INC-000123)?",
        "fr": "Quel est le numéro du ticket (par exemple INC-000123) ?",
    },
    "ask_again": {"en": "Sorry, I didn't get that. ", "fr": "Désolé, je n'ai pas saisi. "},
    "confirm": {"en": "{summary}\nShall I go ahead?", "fr": "{summary}\nJe valide ?"},
    "updated": {"en": "Updated.", "fr": "C'est modifié."},
    "ask_what_to_change": {
        "en": "What would you like to change?",
        "fr": "Que voulez-vous modifier ?",
    },
    "ticket_summary": {
        "en": "I'll create a ticket:\n- Problem: {description}\n- Affected: {impact}\n"
        "- Urgency: {urgency}\n- Category: {category}\n- Priority: {priority}",
        "fr": "Je vais créer un ticket :\n- Problème : {description}\n- Personnes touchées : "
        "{impact}\n- Urgence : {urgency}\n- Catégorie : {category}\n- Priorité : {priority}",
    },
    "ticket_created": {
        "en": "Ticket {reference} is created with priority {priority}. The service desk will "
        'get back to you; you can ask me "where is my ticket?" at any time.',
        "fr": "Le ticket {reference} est créé avec la priorité {priority}. Le support vous "
        "recontactera ; demandez-moi « où en est mon ticket ? » à tout moment.",
    },
    "order_summary": {
        "en": "I'll order: {item}{approval}. Expected delivery: {days} working days.",
        "fr": "Je vais commander : {item}{approval}. Délai prévu : {days} jours ouvrés.",
    },
    "order_needs_approval": {
        "en": " (needs approval from {approver})",
        "fr": " (soumis à l'approbation {approver})",
    },
    "order_created": {
        "en": "Request {reference} is registered for {item}.{next_step}",
        "fr": "La demande {reference} est enregistrée pour {item}.{next_step}",
    },
    "order_awaiting_approval": {
        "en": " It now awaits approval.",
        "fr": " Elle attend maintenant l'approbation.",
    },
    "ticket_status": {
        "en": '{reference} "{title}": status {status}, priority {priority}, opened {opened}.',
        "fr": "{reference} « {title} » : statut {status}, priorité {priority}, ouvert le {opened}.",
    },
    "ticket_unknown": {
        "en": "I can't find a ticket {reference} opened by you.",
        "fr": "Je ne trouve pas de ticket {reference} ouvert à votre nom.",
    },
    "no_open_tickets": {
        "en": "You have no open ticket.",
        "fr": "Vous n'avez aucun ticket en cours.",
    },
    "open_tickets": {"en": "Your open tickets:", "fr": "Vos tickets en cours :"},
    "handoff": {
        "en": "I'm passing you to a human agent with our conversation so far. {waiting} "
        "Expected wait: about {minutes} minutes (service desk hours Mon-Fri 8:00-18:00).",
        "fr": "Je vous passe à un technicien avec notre échange. {waiting} Attente estimée : "
        "environ {minutes} minutes (support ouvert du lundi au vendredi, 8 h-18 h).",
    },
    "handoff_queue": {
        "en": "You are number {position} in the queue.",
        "fr": "Vous êtes en position {position} dans la file.",
    },
    "button_yes": {"en": "Yes", "fr": "Oui"},
    "button_no": {"en": "No", "fr": "Non"},
    "button_change": {"en": "Change something", "fr": "Modifier"},
    "button_solved": {"en": "Yes, solved", "fr": "Oui, c'est réglé"},
    "button_not_solved": {"en": "No, still a problem", "fr": "Non, toujours un problème"},
    "button_agent": {"en": "Talk to an agent", "fr": "Parler à un technicien"},
    "button_ticket": {"en": "Create a ticket", "fr": "Créer un ticket"},
    "button_my_tickets": {"en": "My tickets", "fr": "Mes tickets"},
    "button_order": {"en": "Order equipment", "fr": "Commander du matériel"},
    "impact_person": {"en": "Only me", "fr": "Moi seulement"},
    "impact_team": {"en": "My team", "fr": "Mon équipe"},
    "impact_organisation": {"en": "The whole organisation", "fr": "Toute l'entreprise"},
    "urgency_low": {"en": "It can wait", "fr": "Ça peut attendre"},
    "urgency_high": {"en": "It blocks my work", "fr": "Ça bloque mon travail"},
    "urgency_critical": {"en": "Critical", "fr": "Critique"},
    "status_new": {"en": "new", "fr": "nouveau"},
    "status_assigned": {"en": "assigned", "fr": "assigné"},
    "status_in_progress": {"en": "in progress", "fr": "en cours"},
    "status_awaiting_information": {
        "en": "awaiting information",
        "fr": "en attente d'informations",
    },
    "status_pending": {"en": "pending", "fr": "en suspens"},
    "status_resolved": {"en": "resolved", "fr": "résolu"},
    "status_closed": {"en": "closed", "fr": "clos"},
    "status_rejected": {"en": "rejected", "fr": "rejeté"},
    "status_reopened": {"en": "reopened", "fr": "rouvert"},
    "ticket_resolved": {
        "en": 'Your ticket {reference} "{title}" is resolved. Does it work now?',
        "fr": "Votre ticket {reference} « {title} » est résolu. Est-ce que tout fonctionne ?",
    },
    "ticket_status_changed": {
        "en": "Your ticket {reference} is now {status}.",
        "fr": "Votre ticket {reference} est maintenant {status}.",
    },
    "ticket_comment": {
        "en": "New reply on {reference} from {author}: {body}",
        "fr": "Nouvelle réponse sur {reference} de {author} : {body}",
    },
    "button_works": {"en": "Yes, it works", "fr": "Oui, ça marche"},
    "button_still_broken": {"en": "No, still broken", "fr": "Non, toujours en panne"},
    "ticket_closed_thanks": {
        "en": "Great, I've closed {reference}. Thanks for confirming!",
        "fr": "Parfait, j'ai clôturé {reference}. Merci de la confirmation !",
    },
    "ticket_reopened": {
        "en": "Sorry about that. I've reopened {reference}; the service desk will take it up "
        "again.",
        "fr": "Désolé. J'ai rouvert {reference} ; le support va le reprendre.",
    },
    "ask_category": {
        "en": "Which category fits best?",
        "fr": "Quelle catégorie convient le mieux ?",
    },
    "ask_comment": {
        "en": "What would you like to add to the ticket?",
        "fr": "Que voulez-vous ajouter au ticket ?",
    },
    "ask_code": {"en": "Please type the 6-digit code.", "fr": "Tapez le code à 6 chiffres."},
    "category_hardware": {"en": "Hardware", "fr": "Matériel"},
    "category_software": {"en": "Software", "fr": "Logiciel"},
    "category_network": {"en": "Network", "fr": "Réseau"},
    "category_security": {"en": "Security", "fr": "Sécurité"},
    "category_access": {"en": "Access", "fr": "Accès"},
    "category_request": {"en": "Request", "fr": "Demande"},
    "category_other": {"en": "Other", "fr": "Autre"},
    "review_articles": {
        "en": "Before I create it: these articles might solve it right away.",
        "fr": "Avant de le créer : ces articles pourraient régler le problème tout de suite.",
    },
    "review_duplicate": {
        "en": 'You already have {reference} "{title}" open about something similar. '
        "Add this to it instead of opening a new ticket?",
        "fr": "Vous avez déjà le ticket {reference} « {title} » ouvert sur un sujet proche. "
        "L'ajouter à ce ticket plutôt que d'en ouvrir un nouveau ?",
    },
    "button_add_to": {"en": "Add to {reference}", "fr": "Ajouter à {reference}"},
    "review_incident": {
        "en": 'This looks like the ongoing incident {reference} "{title}": your ticket is '
        "linked to it, so you will hear as soon as it is fixed.",
        "fr": "Cela ressemble à l'incident en cours {reference} « {title} » : votre ticket y "
        "est rattaché, vous serez prévenu dès qu'il sera résolu.",
    },
    "comment_added": {
        "en": "I've added that to {reference}.",
        "fr": "J'ai ajouté cela au ticket {reference}.",
    },
    "button_comment_on": {"en": "Add to {reference}", "fr": "Compléter {reference}"},
    "button_reopen": {"en": "Reopen {reference}", "fr": "Rouvrir {reference}"},
    "approver_manager": {"en": "your manager", "fr": "de votre manager"},
    "approver_app_owner": {"en": "the application owner", "fr": "du responsable de l'application"},
    "approver_security": {"en": "the security team", "fr": "de l'équipe sécurité"},
    "approver_none": {"en": "nobody", "fr": "de personne"},
    "identity_unknown": {
        "en": "I can't find your account in the directory, so I can't verify you here. "
        "An agent can help.",
        "fr": "Je ne trouve pas votre compte dans l'annuaire, je ne peux donc pas vous "
        "vérifier ici. Un technicien peut vous aider.",
    },
    "code_sent": {
        "en": "To check it's you, I've sent a 6-digit code to {second_factor}. Type it here. "
        "I will never ask for your password.",
        "fr": "Pour vérifier que c'est bien vous, j'ai envoyé un code à 6 chiffres au "
        "{second_factor}. Tapez-le ici. Je ne vous demanderai jamais votre mot de passe.",
    },
    "code_wrong": {
        "en": "That code is not right. {left} attempt(s) left.",
        "fr": "Ce code n'est pas le bon. Encore {left} essai(s).",
    },
    "code_refused": {
        "en": "The code could not be verified. For your security I've stopped here; an agent "
        "can help you.",
        "fr": "Le code n'a pas pu être vérifié. Par sécurité, je m'arrête là ; un technicien "
        "peut vous aider.",
    },
    "account_unlocked": {
        "en": "Your account is unlocked. You can sign in again now.",
        "fr": "Votre compte est débloqué. Vous pouvez vous reconnecter.",
    },
    "reset_link": {
        "en": "You're verified. Choose a new password with this one-time link (valid 15 minutes):",
        "fr": "Vous êtes vérifié. Choisissez un nouveau mot de passe avec ce lien à usage "
        "unique (valable 15 minutes) :",
    },
    "reset_link_title": {"en": "Reset my password", "fr": "Réinitialiser mon mot de passe"},
    "frustrated": {
        "en": "I'm sorry this is taking so long. Let me get you a human.",
        "fr": "Désolé que ce soit si long. Je vous passe quelqu'un.",
    },
    "order_approved": {
        "en": "Your request {reference} is approved and goes to the service desk.",
        "fr": "Votre demande {reference} est approuvée et part au support.",
    },
    "order_rejected": {
        "en": "Your request {reference} was not approved.",
        "fr": "Votre demande {reference} n'a pas été approuvée.",
    },
    "language_switched": {
        "en": "I'll answer in English from now on.",
        "fr": "Je vous réponds en français désormais.",
    },
    # the agent console (bot/console)
    "agent_joined": {
        "en": "{agent}, a service desk agent, has joined the conversation.",
        "fr": "{agent}, technicien du support, a rejoint la conversation.",
    },
    "agent_left": {
        "en": "The agent has left the conversation; Guichet, the assistant, is with you again.",
        "fr": "Le technicien a quitté la conversation ; Guichet, l'assistant, est de nouveau "
        "avec vous.",
    },
    # Slack and Teams channels (connectors/slack, connectors/teams)
    "channel_search_title": {"en": "IT help desk", "fr": "Support informatique"},
    "channel_search_label": {
        "en": "Search the help desk",
        "fr": "Rechercher dans le support",
    },
    "channel_search_placeholder": {"en": "Type a few words…", "fr": "Tapez quelques mots…"},
    "channel_search_describe": {
        "en": "Or describe what you need",
        "fr": "Ou décrivez ce dont vous avez besoin",
    },
    "channel_search_submit": {"en": "Go", "fr": "Valider"},
    "channel_search_cancel": {"en": "Cancel", "fr": "Annuler"},
    "channel_search_empty": {
        "en": "Choose a suggestion or describe what you need.",
        "fr": "Choisissez une suggestion ou décrivez ce dont vous avez besoin.",
    },
    "channel_chosen": {"en": "You chose: {title}", "fr": "Vous avez choisi : {title}"},
    "channel_unavailable": {
        "en": "The help desk assistant is starting; try again in a minute.",
        "fr": "L'assistant du support démarre ; réessayez dans une minute.",
    },
    # Chat messages over the rate limits (bot/channels/throttle.py), said once per window
    "channel_rate_limited": {
        "en": "You're sending me messages faster than I can take them. Please wait {wait} "
        "before writing again: until then, your messages are not read.",
        "fr": "Vous m'envoyez des messages plus vite que je ne peux les traiter. Merci "
        "d'attendre {wait} avant de m'écrire à nouveau : d'ici là, vos messages ne sont pas lus.",
    },
    "channel_rate_limited_workspace": {
        "en": "Too many people in your organisation are writing to me right now. Please wait "
        "{wait} before writing again: until then, your messages are not read.",
        "fr": "Trop de personnes de votre organisation m'écrivent en ce moment. Merci d'attendre "
        "{wait} avant de m'écrire à nouveau : d'ici là, vos messages ne sont pas lus.",
    },
    "wait_one_second": {"en": "1 second", "fr": "1 seconde"},
    "wait_seconds": {"en": "{n} seconds", "fr": "{n} secondes"},
    "wait_minutes": {"en": "{n} minutes", "fr": "{n} minutes"},
    # Incident notices told first in chat (bot/dialogue/notices.py)
    "notice_first": {
        "en": "Known ongoing incident: {title}.",
        "fr": "Incident en cours connu : {title}.",
    },
}


def t(key: str, language: str, **values: object) -> str:
    """The message `key` in `language` (English if the language is unknown), filled in."""
    texts = MESSAGES[key]
    text = texts.get(language, texts["en"])
    return text.format(**values) if values else text
