"""Grouping reports of the same outage under one parent incident (a major-incident candidate)."""

from __future__ import annotations

from datetime import timedelta

from actions.protocol import ActionContext
from bot.kernel.domain import utcnow
from bot.kernel.i18n import t
from bot.kernel.ticket_models import NewTicket, Ticket
from bot.kernel.tickets import OPEN_STATUSES

WINDOW = timedelta(minutes=30)
MIN_REPORTERS = 3
SIMILARITY = 0.7
GROUPER = "guichet:outage-grouping"


async def group_outage(context: ActionContext, ticket: Ticket) -> Ticket | None:
    """Attach `ticket` to an ongoing parent incident, or open one when enough people report
    the same symptom within the window. Returns the parent, if any."""
    if ticket.parent_reference:
        return None
    desk = context.tickets
    recent = [
        tk
        for tk in await desk.find(
            kind="incident", statuses=OPEN_STATUSES, since=utcnow() - WINDOW, limit=200
        )
        if tk.reference != ticket.reference
    ]
    if not recent:
        return None
    scores = await context.similarity(ticket.description, [tk.description for tk in recent])
    similar = [tk for tk, score in zip(recent, scores, strict=True) if score >= SIMILARITY]
    parents = [tk for tk in similar if tk.details.get("major_incident")]
    parents += [
        await desk.get(ref)
        for ref in {tk.parent_reference for tk in similar if tk.parent_reference}
    ]
    if parents:
        parent = parents[0]
        await desk.link_parent(ticket.reference, parent.reference, actor=GROUPER)
        return parent
    reports = [tk for tk in similar if not tk.details.get("major_incident")] + [ticket]
    if len({tk.requester for tk in reports}) < MIN_REPORTERS:
        return None
    language = str(context.services.get("default_language") or ticket.language)
    parent = await context.tickets.create(
        NewTicket(
            kind="incident",
            requester=GROUPER,
            channel="guichet",
            conversation_id=None,
            # For the service desk: in the organisation's language, the symptom in the words
            # of the report that tipped it (kept in `details` for the incident notice).
            title=t("Major incident candidate: {title}", language, title=ticket.title)[:200],
            description="\n".join(
                f"{tk.reference} ({tk.requester}): {tk.description}" for tk in reports
            ),
            category=ticket.category,
            impact="organisation",
            urgency="critical",
            priority="P1",
            language=language,
            details={
                "symptom": ticket.title,
                "major_incident": True,
                "candidate": True,
                "reports": [tk.reference for tk in reports],
            },
        ),
        actor=GROUPER,
    )
    for report in reports:
        await desk.link_parent(report.reference, parent.reference, actor=GROUPER)
    publish = context.services.get("publish_notice")
    if publish is not None:
        await publish(parent)
    return parent
