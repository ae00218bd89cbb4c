"""Settings of the knowledge gaps, agents' articles, notices and KPIs (`GUICHET_INSIGHTS__*`)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class InsightsSettings(BaseModel):
    # Questions closer than this cosine distance are one gap (docs/console.md, "Knowledge gaps").
    gap_distance: float = Field(0.5, gt=0.0, lt=2.0)
    gap_days: int = Field(
        7, ge=1, le=90, description="a gap report's period, against the one before"
    )
    # Where agents' articles are written, under articles/<lang>/ of the knowledge-base folder.
    articles_folder: str = Field("agents", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    # Hours before and after a change's deployment compared on the KPI dashboard.
    change_window_hours: float = Field(24.0, gt=0, le=24 * 14)
    # Publish the notice of grouped outage reports at once; false: agents publish or dismiss.
    auto_publish_outages: bool = True
