"""The dialogue engine end to end: real NLU, real index, real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app.services import open_services
from bot.services import Components, Services
from bot.settings import load_settings
from knowledge_index.feedback import ARTICLE_TYPES, FeedbackKnowledgeBase
from knowledge_index.index import SearchQuery
from tests.bot.dialogue.chat import Chat

pytestmark = pytest.mark.slow


async def test_greeting_in_each_language(services) -> None:
    chat = await Chat.start(services)
    assert "Guichet" in await chat.say("hello")
    assert "Talk to an agent" in chat.buttons
    chat = await Chat.start(services)
    assert "Bonjour" in await chat.say("bonjour !")
    assert "Parler à un technicien" in chat.buttons
    assert "Entendu" in await chat.say("ok")  # a short word does not switch mid-conversation
    assert "Hello" in await chat.say("hello")  # but a greeting does


async def test_kb_question_is_answered_with_a_link_and_feedback(services) -> None:
    chat = await Chat.start(services)
    await chat.say("my vpn keeps disconnecting every few minutes at the hotel")
    assert "VPN" in chat.replies[0].text
    assert chat.replies[0].links[0].url == "/kb/en/vpn-hotel-wifi-drops"
    assert set(chat.buttons) == {"Yes, solved", "No, still a problem"}
    assert "glad" in await chat.press("Yes, solved")


async def test_french_question_gets_the_french_article(services) -> None:
    chat = await Chat.start(services)
    await chat.say("comment connecter mon téléphone au wifi NORVANE-CORP ?")
    assert chat.replies[0].links[0].url == "/kb/fr/wifi-corporate-connect"
    language, _ = await chat.state()
    assert language == "fr"


async def test_ticket_created_after_asking_for_missing_details(services) -> None:
    chat = await Chat.start(services, user="bob@norvane.example")
    assert "describe" in await chat.say("I want to open a ticket")
    assert "Who is affected" in await chat.say("The screen of my laptop flickers all the time")
    assert "How urgent" in await chat.say("only me")
    summary = await chat.say("it blocks my work")
    assert "flickers" in summary and "P3" in summary  # one person who cannot work: ITIL P3
    created = await chat.say("yes")
    assert "INC-" in created
    reference = created.split("Ticket ")[1].split()[0]
    ticket = await services.tickets.store.get(reference)
    assert (ticket.requester, ticket.impact, ticket.urgency, ticket.priority) == (
        "bob@norvane.example",
        "person",
        "critical",
        "P3",
    )
    assert ticket.status == "new"
    assert any("flickers" in turn["text"] for turn in ticket.details["transcript"])
    assert reference in await chat.say("where is my ticket?")


async def test_ticket_in_french_with_buttons_and_entities_up_front(services) -> None:
    chat = await Chat.start(services, user="chloe@norvane.example")
    await chat.say(
        "je veux créer un ticket, l'imprimante du 3e étage n'imprime plus rien, "
        "toute l'équipe est bloquée"
    )
    language, slots = await chat.state()
    assert language == "fr" and slots["impact"] == "team"
    assert "urgence" in chat.text
    summary = await chat.press("Ça bloque mon travail")
    assert "P2" in summary and "Je valide" in summary  # a whole team blocked: ITIL P2
    assert "est créé" in await chat.press("Oui")


async def test_cancel_in_the_middle_forgets_the_form(services) -> None:
    chat = await Chat.start(services)
    await chat.say("open a ticket please")
    await chat.say("Excel crashes when I open the budget file")
    assert "cancelled" in await chat.say("cancel")
    _, slots = await chat.state()
    assert "description" not in slots
    assert await services.tickets.store.open_for("alice@norvane.example") == []
    chat_fr = await Chat.start(services, language="fr")
    await chat_fr.say("je veux ouvrir un ticket")
    assert "annulé" in await chat_fr.say("annuler")


async def test_correction_before_confirmation(services) -> None:
    chat = await Chat.start(services)
    await chat.say("I'd like to log a ticket: the docking station does not charge my laptop")
    await chat.press("Only me")
    await chat.press("It can wait")
    assert "P5" in chat.text
    corrected = await chat.say("actually the whole team is affected")
    assert "Updated" in corrected and "P4" in corrected
    await chat.press("Change something")
    assert "How urgent is it?" in chat.buttons
    await chat.press("How urgent is it?")
    assert "P2" in await chat.press("It blocks my work")
    assert "INC-" in await chat.say("yes")


async def test_kb_did_not_help_leads_to_a_ticket(services) -> None:
    chat = await Chat.start(services)
    await chat.say("Outlook crashes at startup")
    await chat.press("No, still a problem")
    assert "Who is affected" in chat.text
    _, slots = await chat.state()
    assert slots["description"] == "Outlook crashes at startup"


async def test_unsure_offers_an_agent_then_hands_off_after_two_failures(services) -> None:
    chat = await Chat.start(services)
    await chat.say("qwfp arst zxcv")
    assert "Talk to an agent" in chat.buttons
    await chat.say("zxcv qwfp arst qwfp")
    assert "bringing in a person" in chat.text and "queue" in chat.text
    assert await services.tickets.store.waiting_escalations() == 1


async def test_article_choices_when_unsure(services) -> None:
    chat = await Chat.start(services)
    await chat.say("screens")
    if "Is it one of these?" in chat.text:  # the index may also answer outright
        assert "Talk to an agent" in chat.buttons and len(chat.buttons) >= 3


@pytest.mark.parametrize(
    ("sentence", "sure", "answered"),
    [
        ("my vpn keeps disconnecting every few minutes at the hotel", True, True),
        # Skype is not in the knowledge base: likely enough answerable for search to head its
        # list "Best matches", not enough for the chat to give the Outlook article as the answer.
        # (Confidence 0.65; "skype keeps crashing" fell to 0.49, "not sure", with the round-4
        # abstention model: a sentence between the two levels is what this case needs.)
        ("skype crashes", True, False),
        # An application the knowledge base never covers.
        ("workday payslip not loading", False, False),
    ],
)
async def test_the_chat_answers_outright_by_the_same_confidence_as_search(
    services: Services, sentence: str, sure: bool, answered: bool
) -> None:
    knowledge = services.engine.knowledge
    assert isinstance(knowledge, FeedbackKnowledgeBase)
    assert knowledge.sureness is services.suggestions.sureness  # one judge of "sure"
    verdict = await knowledge.answer(SearchQuery(sentence, "en", limit=3, types=ARTICLE_TYPES))
    assert (verdict.sure, verdict.answer) == (sure, answered)
    chat = await Chat.start(services)
    await chat.say(sentence)
    assert bool(chat.replies[0].links) is answered, chat.text
    assert ("Did that solve your problem?" in chat.text) is answered
    if sure and not answered:
        # Not an answer: the closest articles offered to choose from ("Is it one of these?", or
        # the recognised topic's articles), beside a technician and a ticket.
        offered = [b.payload for r in chat.replies for b in r.buttons]
        assert any(p not in {"/human_handoff", "/open_incident"} for p in offered), chat.text


async def test_frustration_brings_a_human_at_once(services) -> None:
    chat = await Chat.start(services, language="fr")
    await chat.say("j'ai un souci avec mon portable")
    await chat.say("tu sers à rien, j'en ai marre")
    assert "Je vous passe quelqu'un" in chat.text
    assert await services.tickets.store.waiting_escalations() == 1


async def test_out_of_scope_is_not_an_it_answer(services) -> None:
    chat = await Chat.start(services)
    assert "only help with IT" in await chat.say("what's on the canteen menu today?")


async def test_order_from_the_catalog(services) -> None:
    chat = await Chat.start(services, user="dan@norvane.example")
    await chat.say("I need a wireless headset for my calls")
    assert "headset" in chat.text.lower() and "Shall I go ahead?" in chat.text
    created = await chat.press("Yes")
    assert "REQ-" in created
    reference = created.split("Request ")[1].split()[0]
    ticket = await services.tickets.store.get(reference)
    assert ticket.kind == "request" and ticket.details["catalog_item"]


async def test_language_is_sticky_and_can_be_overridden(services) -> None:
    chat = await Chat.start(services)
    await chat.say("bonjour, mon VPN ne marche plus depuis ce matin")
    assert (await chat.state())[0] == "fr"
    await chat.say("ok")  # too short to switch
    assert (await chat.state())[0] == "fr"
    await chat.say("ok", language="en")  # the interface switched to English
    assert (await chat.state())[0] == "en"
    await chat.say("ok", language="en")
    assert (await chat.state())[0] == "en"
    # but a message clearly written in French is answered in French (issue 14)
    await chat.say("bonjour tout le monde, je suis là", language="en")
    assert (await chat.state())[0] == "fr"


async def test_restart_loses_nothing(
    components: Components, database_url: str, tmp_path: Path
) -> None:
    settings = load_settings(data_dir=tmp_path, database_url=database_url)
    first = await open_services(settings, components)
    chat = await Chat.start(first)
    await chat.say("please create a ticket, my keyboard has stopped working")
    await first.close()
    second = await open_services(settings, components)
    try:
        resumed = Chat(second, chat.conversation_id)
        assert "How urgent" in await resumed.say("only me")
        conversation = await second.conversations.get(chat.conversation_id)
        assert [turn.role for turn in conversation.transcript] == ["user", "bot", "user", "bot"]
        assert conversation.transcript[0].at <= conversation.transcript[-1].at
    finally:
        await second.close()


async def test_ticket_with_the_omnibox_text(services) -> None:
    chat = await Chat.start(services)
    await chat.say('/open_incident{"description": "The VPN drops every ten minutes in Lyon"}')
    assert "Who is affected" in chat.text
    _, slots = await chat.state()
    assert slots["description"] == "The VPN drops every ten minutes in Lyon"


@pytest.mark.parametrize(
    ("sentence", "language"),
    [("vpn", "en"), ("imprimante en panne bourrage papier", "fr")],
)
async def test_an_article_answer_names_its_title_once(
    services: Services, sentence: str, language: str
) -> None:
    chat = await Chat.start(services, language=language)
    await chat.say(sentence)
    answer = chat.replies[0]
    assert answer.links, chat.text
    title = answer.links[0].title
    assert answer.text.count(title) == 1, answer.text
