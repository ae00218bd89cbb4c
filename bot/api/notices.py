"""Incident notices: agents publish, update and close them; outage candidates wait for them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from bot.api.deps import ServicesDep
from bot.api.insights import InsightsDep
from bot.api.schemas import RowId
from bot.auth.deps import AgentUser
from bot.insights.notices import Candidate
from bot.kernel.notices import NewNotice, Notice

router = APIRouter(prefix="/api/v1/notices", tags=["notices"])


class NoticeText(NewNotice):
    model_config = ConfigDict(extra="forbid")


class CandidateNotice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notice: NoticeText | None = None


@router.get("", response_model=list[Notice])
async def notices(
    services: ServicesDep,
    _user: AgentUser,
    active: Annotated[bool, Query(description="only the active ones")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[Notice]:
    """Notices, newest first."""
    if active:
        return await services.notices.list_active()
    return await services.notices.recent(limit=limit)


@router.post("", response_model=Notice, status_code=201)
async def publish(body: NoticeText, services: ServicesDep, user: AgentUser) -> Notice:
    """Publish a notice: it tops the omnibox for matching queries and is told first in chat."""
    notice = await services.notices.publish(NewNotice(**body.model_dump()))
    await services.auth.audit(user, "notice.publish", target_kind="notice", target=str(notice.id))
    return notice


@router.put("/{notice_id}", response_model=Notice)
async def update(
    notice_id: RowId, body: NoticeText, services: ServicesDep, user: AgentUser
) -> Notice:
    """Change a notice's text (the situation evolved: "fix expected at 11:00")."""
    notice = await services.notices.update(notice_id, NewNotice(**body.model_dump()))
    await services.auth.audit(user, "notice.update", target_kind="notice", target=str(notice_id))
    return notice


@router.post("/{notice_id}/close", response_model=Notice)
async def close(notice_id: RowId, services: ServicesDep, user: AgentUser) -> Notice:
    """The incident is over: the notice is no longer shown."""
    notice = await services.notices.close(notice_id)
    await services.auth.audit(user, "notice.close", target_kind="notice", target=str(notice_id))
    return notice


@router.get("/candidates", response_model=list[Candidate])
async def candidates(insights: InsightsDep, _user: AgentUser) -> list[Candidate]:
    """Grouped outage reports (major-incident candidates) and the state of their notice."""
    return await insights.candidates.all()


@router.post("/candidates/{reference}/publish", response_model=Notice)
async def publish_candidate(
    reference: str,
    insights: InsightsDep,
    services: ServicesDep,
    user: AgentUser,
    body: CandidateNotice | None = None,
) -> Notice:
    """Publish the candidate's notice, with its proposed text or the one given."""
    text = NewNotice(**body.notice.model_dump()) if body and body.notice else None
    notice = await insights.candidates.publish(reference, text, actor=user.email)
    await services.auth.audit(
        user, "notice.publish", target_kind="ticket", target=reference, data={"notice": notice.id}
    )
    return notice


@router.post("/candidates/{reference}/dismiss", response_model=Candidate)
async def dismiss_candidate(
    reference: str, insights: InsightsDep, services: ServicesDep, user: AgentUser
) -> Candidate:
    """Not worth a notice: its notice (if any) is closed and it stays dismissed."""
    candidate = await insights.candidates.dismiss(reference, actor=user.email)
    await services.auth.audit(user, "notice.dismiss", target_kind="ticket", target=reference)
    return candidate
