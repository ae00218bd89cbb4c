"""Self-service password reset and account unlock, after a second-factor check.

The person is looked up in the organisation's directory; a one-time code goes to one of the
destinations it lists that a configured sender reaches (`SelfService`, kept by the core). Once
the code is checked, an unlock is done at once; a reset gets a one-time link to Guichet's own
reset page, where the new password goes straight to the directory.

While the bot waits for the code, "I did not get the code" (or the "Send the code again"
button) sends a new one, through the same or another destination, at most MAX_RESENDS times
and not sooner than RESEND_AFTER after the previous one; the flow goes on.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from actions.protocol import ActionContext, SimpleAction, Slot, SlotKind
from bot.kernel.delivery import DeliveryFailed
from bot.kernel.directory import CodeDestination, DirectoryError, Person
from bot.kernel.domain import Button, Link, Reply, payload, utcnow
from bot.kernel.i18n import N_, t, tn
from bot.kernel.self_service import CodeCheck, SelfService, SentCode, TooManyCodes
from knowledge_index.text import fold

MAX_WRONG_CODES = 3
MAX_RESENDS = 3
RESEND_AFTER = timedelta(seconds=30)
RESEND_INTENT = "resend_code"
SENT_AT, RESENDS, DESTINATION = "code_sent_at", "code_resends", "code_destination"

# "I did not get the code", "je ne reçois pas le code", "renvoyer le code", folded.
_NO_CODE = re.compile(
    r"\b("
    r"(pas|jamais|rien) (encore )?(recu|eu)"
    r"|(ne )?(recois|recoit|arrive|vois) (toujours )?(pas|rien)"
    r"|(toujours )?pas (de|d'|le|mon|du) (code|sms|texto|message|appel)"
    r"|(renvoi|renvoy|reenvoy|r?envoie|redonn|nouveau code|autre code|new code|another code)"
    r"|(did ?n[o']?t|did not|have ?n[o']?t|never|not|no) (yet )?"
    r"(get|got|gotten|receive|received|come|arrive|arrived)"
    r"|(no|not the) (code|text|sms)|resend|send (it |me |the code )?(again|another)"
    r"|(code|sms|text) (is ?n[o']?t|not|never|hasn't|has not|doesn't|does not) (coming|come|arriv)"
    r")"
)
_CODEISH = re.compile(r"\b(code|sms|texto|text|message|appel|call|mfa)\b")
FACTOR_LABELS = {
    "sms": N_("a text message to {address}"),
    "voice": N_("a phone call to {address}"),
    "email": N_("an e-mail to {address}"),
}
OTHER_FACTOR_BUTTONS = {
    "sms": N_("Text me instead"),
    "voice": N_("Call me instead"),
    "email": N_("E-mail me instead"),
}


def asks_for_the_code_again(text: str) -> bool:
    """'I did not get the code', 'pas reçu de code', 'renvoyer le code', 'resend'..."""
    folded = fold(text).replace("\u2019", "'")
    return bool(_NO_CODE.search(folded)) and (
        bool(_CODEISH.search(folded)) or len(folded.split()) <= 4
    )


class PasswordReset(SimpleAction):
    """`mode` is "unlock" (account locked) or "reset" (forgotten password)."""

    name = "password_reset"
    confirm = False

    def __init__(
        self,
        self_service: SelfService,
        *,
        max_resends: int = MAX_RESENDS,
        resend_after: timedelta = RESEND_AFTER,
    ) -> None:
        self.self_service = self_service
        self.max_resends = max_resends
        self.resend_after = resend_after

    def slots(self, context: ActionContext) -> Sequence[Slot]:
        return (Slot("code", SlotKind.CODE),)

    async def begin(self, context: ActionContext) -> list[Reply]:
        language, user = context.language, context.conversation.user_id
        try:
            person = await self.self_service.person(user)
        except DirectoryError:
            return _stop(context, _unavailable(language))
        if person is None:
            return _stop(
                context,
                t(
                    "I can't find your account in the directory, so I can't verify you "
                    "here. An agent can help.",
                    language,
                ),
            )
        if not person.destinations:
            return _stop(
                context,
                t(
                    "The directory has no phone number or personal e-mail address I can send "
                    "a code to, so I can't verify you here. An agent can help.",
                    language,
                ),
            )
        destination = person.destinations[0]
        sent = await self._send(context, person, destination)
        if not isinstance(sent, SentCode):
            return sent  # refused, or failed: the other ways are offered
        context.slots[RESENDS] = 0
        return [
            Reply(
                text=t(
                    "To check it's you, I've sent a 6-digit code to {second_factor}. Type "
                    "it here. I will never ask for your password.",
                    language,
                    second_factor=destination.masked(),
                ),
                links=_demo_link(sent, language),
            )
        ]

    async def _send(
        self, context: ActionContext, person: Person, destination: CodeDestination
    ) -> SentCode | list[Reply]:
        """Send a code; on a refusal or a failure, what to tell the person instead."""
        language = context.language
        try:
            sent = await self.self_service.send_code(person, destination, language=language)
        except TooManyCodes as refused:
            return _stop(
                context,
                tn(
                    "For your security I can't send more codes right now: you've asked for "
                    "several in the last hour. Try again in {n} minute, or talk to an agent.",
                    "For your security I can't send more codes right now: you've asked for "
                    "several in the last hour. Try again in {n} minutes, or talk to an agent.",
                    int(str(refused.fields["minutes"])),
                    language,
                ),
            )
        except DirectoryError:
            return _stop(context, _unavailable(language))
        except DeliveryFailed:
            others = [d for d in person.destinations if d.id != destination.id]
            text = t(
                "I couldn't send the code by {method}: the message service did not take it.",
                language,
                method=_method(destination, language),
            )
            if not others:
                return _stop(context, text + " " + t("An agent can help you.", language))
            context.slots[DESTINATION] = destination.id
            return [
                Reply(
                    text=text + " " + t("I can try another way:", language),
                    buttons=[
                        *_other_buttons(person, destination, language),
                        _agent_button(language),
                    ],
                )
            ]
        context.slots[SENT_AT] = utcnow().isoformat()
        context.slots[DESTINATION] = destination.id
        context.slots["wrong_codes"] = 0  # a new code, new tries
        return sent

    async def aside(
        self, context: ActionContext, *, text: str, intent: str, entities: Mapping[str, str]
    ) -> list[Reply] | None:
        """'I did not get the code' while the code is awaited: send a new one, stay here."""
        asked = intent == RESEND_INTENT or (
            not text.startswith("/") and asks_for_the_code_again(text)
        )
        if not asked or context.conversation.state.requested_slot != "code":
            return None
        return await self._resend(context, entities.get("factor"))

    async def _resend(self, context: ActionContext, factor_id: str | None) -> list[Reply]:
        language, user = context.language, context.conversation.user_id
        try:
            person = await self.self_service.person(user)
        except DirectoryError:
            return _stop(context, _unavailable(language))
        if person is None or not person.destinations:
            return []
        resends = int(context.slots.get(RESENDS, 0))
        if resends >= self.max_resends:
            return [
                Reply(
                    text=tn(
                        "I've already sent you {n} new code, and for your security I can't "
                        "send more. An agent can check your phone number with you.",
                        "I've already sent you {n} new codes, and for your security I can't "
                        "send more. An agent can check your phone number with you.",
                        resends,
                        language,
                    ),
                    buttons=[_agent_button(language)],
                )
            ]
        destination = _destination(person, factor_id or context.slots.get(DESTINATION))
        wait = self._wait(context)
        if wait > 0:
            return [
                Reply(
                    text=tn(
                        "A code can take a minute to arrive. If it still hasn't come, I can "
                        "send a new one in {n} second.",
                        "A code can take a minute to arrive. If it still hasn't come, I can "
                        "send a new one in {n} seconds.",
                        wait,
                        language,
                    ),
                    buttons=self._buttons(person, destination, language),
                )
            ]
        sent = await self._send(context, person, destination)
        if not isinstance(sent, SentCode):
            return sent
        context.slots[RESENDS] = resends + 1
        left = self.max_resends - resends - 1
        text = t(
            "I've sent a new 6-digit code by {method}; it replaces the previous one. Type it here.",
            language,
            method=_method(destination, language),
        )
        if left == 0:
            text += " " + t("That was the last new code I can send.", language)
        return [
            Reply(
                text=text,
                buttons=self._buttons(person, destination, language) if left else [],
                links=_demo_link(sent, language),
            )
        ]

    def _wait(self, context: ActionContext) -> int:
        """Seconds before another code may be sent."""
        sent = context.slots.get(SENT_AT)
        if not sent:
            return 0
        ready = datetime.fromisoformat(sent) + self.resend_after
        return max(0, math.ceil((ready - utcnow()).total_seconds()))

    @staticmethod
    def _buttons(person: Person, current: CodeDestination, language: str) -> list[Button]:
        again = Button(
            title=t("Send the code again", language),
            payload=payload(RESEND_INTENT, factor=current.id)
            if len(person.destinations) > 1
            else f"/{RESEND_INTENT}",
        )
        return [again, *_other_buttons(person, current, language)]

    async def run(self, context: ActionContext) -> list[Reply]:
        language, user = context.language, context.conversation.user_id
        state = context.conversation.state
        checked = await self.self_service.verify_code(user, context.slots.pop("code", ""))
        if checked is not CodeCheck.VALID:
            wrong = int(context.slots.get("wrong_codes", 0)) + 1
            if wrong >= MAX_WRONG_CODES or checked is CodeCheck.GONE:
                return [
                    Reply(
                        text=t(
                            "The code could not be verified. For your security I've stopped here; "
                            "an agent can help you.",
                            language,
                        )
                        if wrong >= MAX_WRONG_CODES
                        else t(
                            "That code has expired or was already used. Ask me again for a new "
                            "one, or talk to an agent.",
                            language,
                        ),
                        buttons=[_agent_button(language)],
                    )
                ]
            context.slots["wrong_codes"] = wrong
            state.requested_slot = "code"  # ask again, same action
            left = MAX_WRONG_CODES - wrong
            text = tn(
                "That code is not right. {n} attempt left.",
                "That code is not right. {n} attempts left.",
                left,
                language,
            )
            return [Reply(text=text)]
        try:
            if context.slots.get("mode") == "unlock":
                await self.self_service.unlock(user)
                return [
                    Reply(text=t("Your account is unlocked. You can sign in again now.", language))
                ]
            link = await self.self_service.reset_link(user, language=language)
        except DirectoryError:
            return [Reply(text=_unavailable(language), buttons=[_agent_button(language)])]
        return [
            Reply(
                text=t(
                    "You're verified. Choose a new password with this one-time link (valid "
                    "15 minutes):",
                    language,
                ),
                links=[Link(title=t("Reset my password", language), url=link)],
            )
        ]


def _agent_button(language: str) -> Button:
    return Button(title=t("Talk to an agent", language), payload="/human_handoff")


def _stop(context: ActionContext, text: str) -> list[Reply]:
    """End the action with `text` and the hand-off button."""
    context.conversation.state.active_action = None
    context.conversation.state.requested_slot = None
    return [Reply(text=text, buttons=[_agent_button(context.language)])]


def _unavailable(language: str) -> str:
    return t(
        "I can't reach the company directory right now, so I can't verify you or change your "
        "account. Please try again in a few minutes, or talk to an agent.",
        language,
    )


def _method(destination: CodeDestination, language: str) -> str:
    label = FACTOR_LABELS.get(destination.kind, "{address}")
    return t(label, language, address=destination.masked())


def _other_buttons(person: Person, current: CodeDestination, language: str) -> list[Button]:
    return [
        Button(
            title=t(OTHER_FACTOR_BUTTONS[other.kind], language),
            payload=payload(RESEND_INTENT, factor=other.id),
        )
        for other in person.destinations
        if other.id != current.id and other.kind in OTHER_FACTOR_BUTTONS
    ]


def _destination(person: Person, destination_id: object) -> CodeDestination:
    chosen = next((d for d in person.destinations if d.id == destination_id), None)
    return chosen or person.destinations[0]


def _demo_link(sent: SentCode, language: str) -> list[Link]:
    if sent.demo_inbox is None:
        return []
    return [Link(title=t("Open the demo inbox", language), url=sent.demo_inbox)]
