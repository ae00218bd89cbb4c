"""Order an item from the service catalog: the item, its own fields, approval when needed."""

from __future__ import annotations

from collections.abc import Sequence

from actions.assets import held_licence, holdings, words
from actions.protocol import ActionContext, SimpleAction, Slot, SlotKind
from actions.tickets import transcript_excerpt
from bot.kernel.domain import Link, Reply
from bot.kernel.i18n import t, tn
from bot.kernel.messages import approver_name
from bot.kernel.ticket_models import NewTicket
from knowledge_index.documents import CatalogField, CatalogItem


def field_slot(field: CatalogField) -> Slot:
    return Slot(
        name=f"field_{field.name}",
        kind=SlotKind.CHOICE if field.type == "choice" else SlotKind.TEXT,
        required=field.required,
        label={"en": field.label.en + "?", "fr": field.label.fr + "\u202f?"},
        options=tuple((o.value, {"en": o.en, "fr": o.fr}) for o in field.options),
    )


class OrderItem(SimpleAction):
    name = "order_item"
    confirm = True

    def _item(self, context: ActionContext) -> CatalogItem | None:
        item_id = context.slots.get("catalog_item")
        return context.knowledge.catalog_item(item_id) if item_id else None

    def slots(self, context: ActionContext) -> Sequence[Slot]:
        item = self._item(context)
        fields = [field_slot(field) for field in item.fields] if item else []
        return (Slot("catalog_item", SlotKind.CATALOG_ITEM), *fields)

    async def begin(self, context: ActionContext) -> list[Reply]:
        """A licence the user already holds is not ordered twice."""
        already = await self._already_held(context)
        if already:
            context.conversation.state.active_action = None
        return already

    async def review(self, context: ActionContext) -> list[Reply]:
        return await self._already_held(context)

    async def _already_held(self, context: ActionContext) -> list[Reply]:
        item = self._item(context)
        if item is None or item.category != "software":
            return []
        named = words(" ".join([item.title.en, *item.tags]))
        licence = held_licence(await holdings(context), named)
        if licence is None:
            return []
        language = context.language
        return [
            Reply(
                text=t(
                    "You already have a licence for {product} ({tag}): no need to order a "
                    "second one. If it does not work, tell me and I'll open a ticket.",
                    language,
                    product=licence.model,
                    tag=licence.tag or licence.upstream_id,
                )
            )
        ]

    def _values(self, item: CatalogItem, context: ActionContext) -> dict[str, str]:
        values = {}
        for field in item.fields:
            value = context.slots.get(f"field_{field.name}")
            if value:
                option = next((o for o in field.options if o.value == value), None)
                label = getattr(option, context.language, value) if option else value
                values[field.label.get(context.language)] = label  # type: ignore[arg-type]
        return values

    def summary(self, context: ActionContext) -> str:
        item, language = self._item(context), context.language
        assert item is not None
        approval = (
            t(
                " (needs approval from {approver})",
                language,
                approver=approver_name(item.approver, language),
            )
            if item.requires_approval
            else ""
        )
        lines = "".join(
            "\n" + t("- {label}: {value}", language, label=label, value=value)
            for label, value in self._values(item, context).items()
        )
        return (
            tn(
                "I'll order: {item}{approval}. Expected delivery: {days} working day.",
                "I'll order: {item}{approval}. Expected delivery: {days} working days.",
                item.delivery_days,
                language,
                item=item.title.get(language),  # type: ignore[arg-type]
                approval=approval,
                days=item.delivery_days,
            )
            + lines
        )

    async def run(self, context: ActionContext) -> list[Reply]:
        item, conversation = self._item(context), context.conversation
        assert item is not None
        language = conversation.language
        fields = {f.name: context.slots.get(f"field_{f.name}") for f in item.fields}
        ticket = await context.tickets.create(
            NewTicket(
                kind="request",
                requester=conversation.user_id,
                channel=conversation.channel,
                conversation_id=conversation.id,
                # In the requester's language, as it is sent to the ITSM tools (docs/tickets.md).
                title=t("Order: {item}", language, item=item.title.get(language))[:200],
                description="\n".join(
                    [
                        item.title.get(language),
                        *(
                            t("{label}: {value}", language, label=label, value=value)
                            for label, value in self._values(item, context).items()
                        ),
                    ]
                ),
                category="request",
                impact="person",
                urgency="low",
                priority="P5",
                language=language,
                details={
                    "catalog_item": item.id,
                    "fields": fields,
                    "cost_eur": item.cost_eur,
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
            request_approval = context.services.get("request_approval")
            if request_approval is not None:  # find the approver and tell them
                await request_approval(ticket.reference)
        next_step = t(" It now awaits approval.", language) if item.requires_approval else ""
        return [
            Reply(
                text=t(
                    "Request {reference} is registered for {item}.{next_step}",
                    language,
                    reference=ticket.reference,
                    item=item.title.get(language),
                    next_step=next_step,
                ),
                links=[  # the new request's own page, to follow it
                    Link(
                        title=t("Request {reference}", language, reference=ticket.reference),
                        url=f"/tickets/{ticket.reference}",
                    )
                ],
            )
        ]
