"""Order an item from the service catalog."""

from __future__ import annotations

from actions.protocol import ActionContext, Slot, SlotKind
from actions.tickets import transcript_excerpt
from bot.domain import Link, Reply
from bot.messages import t
from bot.storage.tickets import NewTicket
from knowledge_index.documents import CatalogItem


class OrderItem:
    name = "order_item"
    slots = (Slot("catalog_item", SlotKind.CATALOG_ITEM),)
    confirm = True

    def _item(self, context: ActionContext) -> CatalogItem:
        item = context.knowledge.catalog_item(context.slots["catalog_item"])
        if item is None:
            raise LookupError(context.slots["catalog_item"])
        return item

    def summary(self, context: ActionContext) -> str:
        item, language = self._item(context), context.language
        approval = (
            t("order_needs_approval", language, approver=item.approver)
            if item.requires_approval
            else ""
        )
        return t(
            "order_summary",
            language,
            item=item.title.get(language),  # type: ignore[arg-type]
            approval=approval,
            days=item.delivery_days,
        )

    async def run(self, context: ActionContext) -> list[Reply]:
        item, conversation = self._item(context), context.conversation
        language = conversation.language
        ticket = await context.tickets.create(
            NewTicket(
                kind="request",
                requester=conversation.user_id,
                channel=conversation.channel,
                conversation_id=conversation.id,
                title=item.title.en,
                description=item.title.en,
                category="request",
                impact="person",
                urgency="low",
                priority="P4",
                language=language,
                details={
                    "catalog_item": item.id,
                    "requires_approval": item.requires_approval,
                    "approver": item.approver,
                    "approval": "waiting" if item.requires_approval else "not_needed",
                    "transcript": transcript_excerpt(context),
                },
            )
        )
        if item.requires_approval:
            ticket = await context.tickets.transition(
                ticket.reference, "pending", actor="guichet:approval"
            )
        next_step = t("order_awaiting_approval", language) if item.requires_approval else ""
        return [
            Reply(
                text=t(
                    "order_created",
                    language,
                    reference=ticket.reference,
                    item=item.title.get(language),
                    next_step=next_step,
                ),
                links=[Link(title=item.title.get(language), url=f"/catalog/{item.id}")],
            )
        ]
