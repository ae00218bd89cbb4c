"""Self-service password reset and account unlock, after a second-factor check."""

from __future__ import annotations

from collections.abc import Sequence

from actions.identity import IdentityProvider
from actions.protocol import ActionContext, SimpleAction, Slot, SlotKind
from bot.kernel.domain import Button, Link, Reply
from bot.kernel.messages import t

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
                    text=t("identity_unknown", language),
                    buttons=[Button(title=t("button_agent", language), payload="/human_handoff")],
                )
            ]
        await self.identity.send_code(user)
        return [Reply(text=t("code_sent", language, second_factor=account.second_factor))]

    async def run(self, context: ActionContext) -> list[Reply]:
        language, user = context.language, context.conversation.user_id
        state = context.conversation.state
        if not await self.identity.verify_code(user, context.slots.pop("code", "")):
            wrong = int(context.slots.get("wrong_codes", 0)) + 1
            if wrong >= MAX_WRONG_CODES:
                return [
                    Reply(
                        text=t("code_refused", language),
                        buttons=[
                            Button(title=t("button_agent", language), payload="/human_handoff")
                        ],
                    )
                ]
            context.slots["wrong_codes"] = wrong
            state.requested_slot = "code"  # ask again, same action
            return [Reply(text=t("code_wrong", language, left=MAX_WRONG_CODES - wrong))]
        if context.slots.get("mode") == "unlock":
            await self.identity.unlock(user)
            return [Reply(text=t("account_unlocked", language))]
        link = await self.identity.reset_link(user)
        return [
            Reply(
                text=t("reset_link", language),
                links=[Link(title=t("reset_link_title", language), url=link)],
            )
        ]
