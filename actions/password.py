"""Self-service password reset and account unlock, after a second-factor check."""

from __future__ import annotations

from collections.abc import Sequence

from actions.identity import IdentityProvider
from actions.protocol import ActionContext, SimpleAction, Slot, SlotKind
from bot.kernel.domain import Button, Link, Reply
from bot.kernel.i18n import t, tn

MAX_WRONG_CODES = 3


class PasswordReset(SimpleAction):
    """`mode` is "unlock" (account locked) or "reset" (forgotten password)."""

    name = "password_reset"
    confirm = False

    def __init__(self, identity: IdentityProvider) -> None:
        self.identity = identity

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
