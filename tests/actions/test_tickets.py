"""Ticket actions in chat: proposals, review before creating, duplicates, comments, outages."""

from __future__ import annotations

import re

import pytest

from bot.services import Services
from tests.bot.dialogue.chat import Chat

pytestmark = pytest.mark.slow


async def _ticket(
    chat: Chat, problem: str, impact: str = "Only me", urgency: str = "It blocks my work"
) -> str:
    await chat.say(f"please open a ticket: {problem}")
    await chat.press(impact)
    summary = await chat.press(urgency)
    assert "Shall I go ahead?" in summary
    created = await chat.press("Yes")
    return created.split("Ticket ")[1].split()[0]


async def test_category_is_proposed_and_can_be_changed(services: Services) -> None:
    chat = await Chat.start(services, user="eli@norvane.example")
    await chat.say("the wifi keeps dropping in the meeting room")
    await chat.press("No, still a problem")
    await chat.press("My team")
    summary = await chat.press("It can wait")
    assert "Category: Network" in summary
    await chat.press("Change something")
    await chat.press("Which category fits best?")
    assert "Category: Hardware" in await chat.press("Hardware")
    created = await chat.press("Yes")
    reference = created.split("Ticket ")[1].split()[0]
    assert (await services.tickets.store.get(reference)).category == "hardware"


async def test_review_shows_articles_before_creating(services: Services) -> None:
    chat = await Chat.start(services, user="fay@norvane.example")
    await chat.say("open a ticket: print jobs stay stuck in the queue after the windows update")
    await chat.press("Only me")
    await chat.press("It blocks my work")
    assert "might solve it" in chat.text
    assert any(
        link.url == "/kb/en/printer-jobs-stuck" for reply in chat.replies for link in reply.links
    )


async def test_duplicate_is_offered_as_a_comment(services: Services) -> None:
    user = "gil@norvane.example"
    chat = await Chat.start(services, user=user)
    first = await _ticket(chat, "my second screen stays black after the laptop wakes up")
    again = await Chat.start(services, user=user)
    await again.say(
        "please open a ticket: my second screen stays black when the laptop wakes up from sleep"
    )
    await again.press("Only me")
    await again.press("It blocks my work")
    assert f"already have {first}" in again.text
    added = await again.press(f"Add to {first}")
    assert f"added that to {first}" in added
    comments = await services.tickets.store.comments(first)
    assert "stays black when the laptop wakes up" in comments[0].body
    assert len(await services.tickets.store.open_for(user)) == 1


async def test_comment_from_status_buttons(services: Services) -> None:
    chat = await Chat.start(services, user="hal@norvane.example")
    reference = await _ticket(chat, "Teams has no sound with my Jabra headset")
    await chat.say("what's the status of my tickets?")
    await chat.press(f"Add to {reference}")
    assert "What would you like to add" in chat.text
    assert reference in await chat.say("It also happens with the wired headset")
    (comment,) = await services.tickets.store.comments(reference)
    assert comment.body == "It also happens with the wired headset"


async def test_same_outage_from_three_people_opens_a_major_incident(services: Services) -> None:
    references = []
    for user in ("ian", "jo", "kim"):
        chat = await Chat.start(services, user=f"{user}@norvane.example")
        references.append(
            await _ticket(
                chat, "SAP is down, it shows an error 503 when I log in", impact="My team"
            )
        )
    store = services.tickets.store
    children = [await store.get(reference) for reference in references]
    parent_ref = children[-1].parent_reference
    assert parent_ref and all(child.parent_reference == parent_ref for child in children)
    parent = await store.get(parent_ref)
    assert parent.details["major_incident"] and parent.priority == "P1"
    assert "Major incident candidate" in parent.title
    (notice,) = [n for n in await services.notices.list_active() if n.reference == parent_ref]
    assert "SAP" in notice.title_en and notice.title_fr.startswith("Incident en cours")
    # the next person is told at once and linked
    chat = await Chat.start(services, user="lea@norvane.example")
    await chat.say("please open a ticket: SAP gives me an error 503 at login")
    await chat.press("Only me")
    await chat.press("It blocks my work")
    assert f"ongoing incident {parent_ref}" in chat.text
    created = await chat.press("Yes")
    reference = created.split("Ticket ")[1].split()[0]
    assert (await store.get(reference)).parent_reference == parent_ref


@pytest.mark.parametrize(
    ("language", "problem", "only_me", "priority"),
    [
        ("en", "please open a ticket: my laptop won't boot, I can't work at all", "Only me", "P3"),
        (
            "fr",
            "je veux ouvrir un ticket, mon écran ne s'allume plus, je ne peux plus travailler",
            "Moi seulement",
            "P3",
        ),
        ("fr", "ouvre un ticket : outlook plante, ça bloque mon travail", "Moi seulement", "P3"),
        ("en", "open a ticket: Excel is slow, it slows me down", "Only me", "P4"),
    ],
)
async def test_one_person_who_cannot_work_gets_a_high_enough_priority(
    services: Services, language: str, problem: str, only_me: str, priority: str
) -> None:
    """ITIL: impact one person (low) x urgency work stopped (high) is P3, not P4."""
    chat = await Chat.start(services, user="noa@norvane.example")
    await chat.say(problem)
    summary = await chat.press(only_me)
    assert f"Priority: {priority}" in summary or f"Priorité : {priority}" in summary
    created = await chat.press("Yes" if language == "en" else "Oui")
    reference = re.search(r"INC-\w+", created)
    assert reference is not None
    ticket = await services.tickets.store.get(reference.group())
    assert ticket.priority == priority


async def test_one_person_pressing_it_blocks_my_work_gets_p3(services: Services) -> None:
    chat = await Chat.start(services, user="noa@norvane.example")
    await chat.say("please open a ticket: the docking station does not charge my laptop")
    await chat.press("Only me")
    assert set(chat.buttons) >= {"It can wait", "It slows my work down", "It blocks my work"}
    assert "Priority: P3" in await chat.press("It blocks my work")
