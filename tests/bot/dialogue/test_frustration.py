"""Frustrated users are heard in French and English; plain problem reports are not mistaken."""

from __future__ import annotations

import pytest

from bot.dialogue.frustration import frustrated
from bot.kernel.i18n import t
from bot.services import Services
from tests.bot.dialogue.chat import Chat

FRUSTRATED = [
    "c'est la troisième fois que je demande, c'est nul, rien ne marche !!!",
    "c'est la troisieme fois que je demande, c'est nul, rien ne marche !!!",
    "C'EST LA TROISIEME FOIS QUE JE DEMANDE",
    "ras le bol de ce truc",
    "ras-le-bol, vraiment",
    "ça fait 3 fois que j'explique mon problème",
    "ca fait trois fois que je pose la question",
    "c'est la 4e fois que j'écris",
    "toujours pas de réponse depuis lundi",
    "c'est toujours pas réglé !!!",
    "c'est n'importe quoi ce bot",
    "c’est n’importe quoi",
    "personne ne répond, je fais comment ?",
    "personne repond jamais ici",
    "j'en ai marre, rien ne fonctionne",
    "franchement ça sert à rien",
    "rien ne marche !!!",
    "RIEN NE MARCHE DEPUIS CE MATIN !!",
    "combien de fois faut-il le dire ?",
    "vous êtes nuls",
    "it's the third time I ask, this is rubbish, nothing works !!!",
    "for the 3rd time: my laptop does not start",
    "I've asked 4 times already",
    "this is useless",
    "nobody answers, what a waste of time",
    "still not working!!!",
    "NOTHING WORKS AT ALL!!",
    "how many times do I have to say it",
]
NOT_FRUSTRATED = [
    "rien ne marche sur mon imprimante",
    "rien ne fonctionne depuis la mise à jour windows",
    "nothing works on my laptop since this morning",
    "le wifi ne marche toujours pas après le redémarrage",
    "the printer still does not print",
    "j'ai redémarré deux fois mon pc et l'écran reste noir",
    "I restarted it 3 times, still a black screen",
    "le VPN ne marche pas sur SAP !!!",
    "mon écran est nul, il faut le changer",
    "mon imprimante fait des traits noirs",
    "Outlook crashes when I open the PDF attachment",
    "Merci beaucoup !!",
    "je voudrais annuler ma demande",
]


@pytest.mark.parametrize("text", FRUSTRATED)
def test_user_writes_a_frustrated_message(text: str) -> None:
    assert frustrated(text)


@pytest.mark.parametrize("text", NOT_FRUSTRATED)
def test_user_reports_a_problem_calmly(text: str) -> None:
    assert not frustrated(text)


@pytest.mark.slow
@pytest.mark.parametrize(
    "text",
    [
        "c'est la troisième fois que je demande, c'est nul, rien ne marche !!!",
        "ras le bol, ça fait 3 fois que je demande",
        "it's the third time I ask, this is rubbish, nothing works !!!",
    ],
)
async def test_frustrated_user_gets_a_person_not_a_cancel(services: Services, text: str) -> None:
    chat = await Chat.start(services)
    answer = await chat.say(text)
    conversation = await services.conversations.get(chat.conversation_id)
    assert conversation.state.handed_off
    assert t("There is nothing in progress to cancel.", conversation.language) not in answer
    assert (
        t("I'm sorry this is taking so long. Let me get you a human.", conversation.language)
        in answer
    )


@pytest.mark.slow
async def test_problem_report_with_rien_ne_marche_is_answered_not_cancelled(
    services: Services,
) -> None:
    chat = await Chat.start(services)
    answer = await chat.say("rien ne marche sur mon imprimante")
    conversation = await services.conversations.get(chat.conversation_id)
    assert not conversation.state.handed_off
    assert "annuler" not in answer
