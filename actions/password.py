"""Self-service password reset and account unlock, after a second-factor check.

While the bot waits for the code, "I did not get the code" (or the "Send the code again"
button) sends a new one, through the same or another of the account's factors, at most
MAX_RESENDS times and not sooner than RESEND_AFTER after the previous one; the flow goes on.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from actions.identity import Account, Factor, IdentityProvider
from actions.protocol import ActionContext, SimpleAction, Slot, SlotKind
from bot.kernel.domain import Button, Link, Reply, payload, utcnow
from bot.kernel.i18n import N_, t, tn
from knowledge_index.text import fold

MAX_WRONG_CODES = 3
MAX_RESENDS = 3
RESEND_AFTER = timedelta(seconds=30)
RESEND_INTENT = "resend_code"
SENT_AT, RESENDS = "code_sent_at", "code_resends"

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
    "app": N_("the authenticator app"),
}
OTHER_FACTOR_BUTTONS = {
    "sms": N_("Text me instead"),
    "voice": N_("Call me instead"),
    "email": N_("E-mail me instead"),
    "app": N_("Use the authenticator app"),
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
        identity: IdentityProvider,
        *,
        max_resends: int = MAX_RESENDS,
        resend_after: timedelta = RESEND_AFTER,
    ) -> None:
        self.identity = identity
        self.max_resends = max_resends
        self.resend_after = resend_after

    def slots(self, context: ActionContext) -> Sequence[Slot]:
        return (Slot("code", SlotKind.CODE),)

    async def begin(self, context: ActionContext) -> list[Reply]:
        language, user = context.language, context.conversation.user_id
        account = await self.identity.lookup(user)
        if account is None:
            context.conversation.state.active_action = None
            return [
                Reply(
                    text=t(
                        "I can't find your account in the directory, so I can't verify you "
                        "here. An agent can help.",
                        language,
                    ),
                    buttons=[
                        Button(title=t("Talk to an agent", language), payload="/human_handoff")
                    ],
                )
            ]
        await self.identity.send_code(user)
        context.slots[SENT_AT], context.slots[RESENDS] = utcnow().isoformat(), 0
        return [
            Reply(
                text=t(
                    "To check it's you, I've sent a 6-digit code to {second_factor}. Type "
                    "it here. I will never ask for your password.",
                    language,
                    second_factor=account.second_factor,
                )
            )
        ]

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
        account = await self.identity.lookup(user)
        if account is None:
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
                    buttons=[
                        Button(title=t("Talk to an agent", language), payload="/human_handoff")
                    ],
                )
            ]
        factor = _factor(account, factor_id)
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
                    buttons=self._buttons(account, factor, language),
                )
            ]
        await self.identity.send_code(user, factor.id if factor_id else None)
        context.slots[SENT_AT], context.slots[RESENDS] = utcnow().isoformat(), resends + 1
        context.slots["wrong_codes"] = 0  # a new code, new tries
        left = self.max_resends - resends - 1
        text = t(
            "I've sent a new 6-digit code by {method}; it replaces the previous one. Type it here.",
            language,
            method=t(FACTOR_LABELS.get(factor.kind, "{address}"), language, address=factor.address),
        )
        if left == 0:
            text += " " + t("That was the last new code I can send.", language)
        return [Reply(text=text, buttons=self._buttons(account, factor, language) if left else [])]

    def _wait(self, context: ActionContext) -> int:
        """Seconds before another code may be sent."""
        sent = context.slots.get(SENT_AT)
        if not sent:
            return 0
        ready = datetime.fromisoformat(sent) + self.resend_after
        return max(0, math.ceil((ready - utcnow()).total_seconds()))

    @staticmethod
    def _buttons(account: Account, current: Factor, language: str) -> list[Button]:
        buttons = [
            Button(
                title=t("Send the code again", language),
                payload=payload(RESEND_INTENT, factor=current.id)
                if len(account.factors) > 1
                else f"/{RESEND_INTENT}",
            )
        ]
        for other in account.factors:
            if other.id != current.id and other.kind in OTHER_FACTOR_BUTTONS:
                buttons.append(
                    Button(
                        title=t(OTHER_FACTOR_BUTTONS[other.kind], language),
                        payload=payload(RESEND_INTENT, factor=other.id),
                    )
                )
        return buttons

    async def run(self, context: ActionContext) -> list[Reply]:
        language, user = context.language, context.conversation.user_id
        state = context.conversation.state
        if not await self.identity.verify_code(user, context.slots.pop("code", "")):
            wrong = int(context.slots.get("wrong_codes", 0)) + 1
            if wrong >= MAX_WRONG_CODES:
                return [
                    Reply(
                        text=t(
                            "The code could not be verified. For your security I've stopped here; "
                            "an agent can help you.",
                            language,
                        ),
                        buttons=[
                            Button(title=t("Talk to an agent", language), payload="/human_handoff")
                        ],
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
        if context.slots.get("mode") == "unlock":
            await self.identity.unlock(user)
            return [Reply(text=t("Your account is unlocked. You can sign in again now.", language))]
        link = await self.identity.reset_link(user)
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


def _factor(account: Account, factor_id: str | None) -> Factor:
    chosen = next((f for f in account.factors if f.id == factor_id), None)
    if chosen is not None:
        return chosen
    if account.factors:
        return account.factors[0]
    return Factor("default", "sms", account.second_factor)
