"""An approver's Approve / Reject buttons in the chat (Slack, Teams, the web widget).

The decider is the conversation's user, and only for a message whose sender the channel's own
connector proved (`proven`: Slack's request signature, Teams' JWT, the portal's signed token).
A conversation's channel name proves nothing: through the generic HTTP API an agent writes into
anyone's conversation and an admin starts one on any channel, so messages that came that way
(and Rasa's REST channel, the CLI) cannot decide. Rejecting asks for a reason,
which the approver may skip.
"""

from __future__ import annotations

import logging

from bot.kernel.approvals import NotTheApprover
from bot.kernel.domain import Button, Conversation, Reply, payload
from bot.kernel.errors import Conflict, NotFound
from bot.kernel.i18n import t
from bot.tickets.approvals import APPROVE, REJECT, AlreadyDecided, ApprovalService
from nlu.entities import fold

logger = logging.getLogger(__name__)
KEEP_WORDS = {"cancel", "annuler", "annule", "stop", "laisse tomber", "forget it"}


class ApprovalChat:
    def __init__(self, approvals: ApprovalService) -> None:
        self.approvals = approvals

    async def button(
        self,
        conversation: Conversation,
        intent: str,
        reference: str,
        reason: str | None,
        *,
        proven: bool,
    ) -> list[Reply]:
        """Approve, or reject: with the reason given, else ask for one."""
        language = conversation.language
        conversation.state.awaiting_rejection = None
        if intent == REJECT and reason is None:
            refused = await self._refusal(conversation, reference, proven=proven)
            if refused is not None:
                return refused
            conversation.state.awaiting_rejection = reference
            return [
                Reply(
                    text=t(
                        "Why do you reject {reference}? Write the reason the requester will "
                        "read, or reject without one.",
                        language,
                        reference=reference,
                    ),
                    buttons=[
                        Button(
                            title=t("Reject without a reason", language),
                            payload=payload(REJECT, ticket=reference, reason=""),
                        ),
                        Button(
                            title=t("Keep it waiting", language),
                            payload=payload("keep_waiting", ticket=reference),
                        ),
                    ],
                )
            ]
        return await self.decide(
            conversation, reference, approved=intent == APPROVE, reason=reason, proven=proven
        )

    async def reason(self, conversation: Conversation, text: str, *, proven: bool) -> list[Reply]:
        """The message after "why do you reject?": the reason, or a change of mind."""
        reference = conversation.state.awaiting_rejection or ""
        conversation.state.awaiting_rejection = None
        if fold(text).strip(" !.") in KEEP_WORDS or text.strip() == "/keep_waiting":
            return [self.kept(conversation, reference)]
        return await self.decide(
            conversation, reference, approved=False, reason=text, proven=proven
        )

    @staticmethod
    def kept(conversation: Conversation, reference: str) -> Reply:
        conversation.state.awaiting_rejection = None
        return Reply(
            text=t(
                "All right: {reference} still waits for your decision.",
                conversation.language,
                reference=reference,
            )
        )

    async def decide(
        self,
        conversation: Conversation,
        reference: str,
        *,
        approved: bool,
        reason: str | None,
        proven: bool,
    ) -> list[Reply]:
        language = conversation.language
        refused = await self._refusal(conversation, reference, proven=proven)
        if refused is not None:
            return refused
        try:
            decision = await self.approvals.decide(
                reference, by=conversation.user_id, approved=approved, reason=reason
            )
        except (NotTheApprover, AlreadyDecided, Conflict, NotFound) as error:
            return [self._refused(error, reference, language)]
        requester = await self.approvals.name_of(decision.ticket.requester)
        return [
            Reply(
                text=t(
                    "Done: you approved {reference} for {requester}, who is told. The service "
                    "desk takes it from here.",
                    language,
                    reference=reference,
                    requester=requester,
                )
                if approved
                else t(
                    "Done: you rejected {reference} for {requester}, who is told.",
                    language,
                    reference=reference,
                    requester=requester,
                )
            )
        ]

    async def _refusal(
        self, conversation: Conversation, reference: str, *, proven: bool
    ) -> list[Reply] | None:
        """Why this user may not decide now (unproven sender, not the approver, already
        decided...), or None."""
        language = conversation.language
        if not proven:
            logger.warning(
                "approval of %s refused in conversation %s: its channel did not prove the sender",
                reference,
                conversation.id,
            )
            return [
                Reply(
                    text=t(
                        "Approvals are decided in Slack, Teams or the web widget, where Guichet "
                        "knows who you are. Nothing was changed.",
                        language,
                    )
                )
            ]
        try:
            await self.approvals.check(reference, by=conversation.user_id)
        except (NotTheApprover, AlreadyDecided, Conflict, NotFound) as error:
            return [self._refused(error, reference, language)]
        return None

    @staticmethod
    def _refused(error: Exception, reference: str, language: str) -> Reply:
        if isinstance(error, AlreadyDecided):
            text = (
                t(
                    "{reference} was already approved by {name}.",
                    language,
                    reference=reference,
                    name=error.by_name,
                )
                if error.decision == "approved"
                else t(
                    "{reference} was already rejected by {name}.",
                    language,
                    reference=reference,
                    name=error.by_name,
                )
            )
        elif isinstance(error, NotTheApprover):
            text = t(
                "Only the approver of {reference} (or an administrator) may decide on it. "
                "Nothing was changed.",
                language,
                reference=reference,
            )
        else:
            text = t("{reference} is not waiting for approval.", language, reference=reference)
        return Reply(text=text)
