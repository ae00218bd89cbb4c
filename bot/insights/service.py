"""The insight parts of one running service, built from its `Services`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.insights.articles import ArticleWriter
from bot.insights.change_impact import ChangeImpact
from bot.insights.changes import ChangeStore
from bot.insights.gaps import GapFinder
from bot.insights.kpis import KpiReport
from bot.insights.notices import OutageCandidates
from bot.services import Services
from bot.settings.insights import InsightsSettings


@dataclass
class Insights:
    services: Services
    settings: InsightsSettings
    kpis: KpiReport
    gaps: GapFinder
    articles: ArticleWriter
    changes: ChangeStore
    candidates: OutageCandidates
    impact: ChangeImpact


def open_insights(services: Services) -> Insights:
    settings = services.settings
    database = services.database
    gaps = GapFinder(database, services.embedder, distance=settings.insights.gap_distance)
    return Insights(
        services=services,
        settings=settings.insights,
        kpis=KpiReport(
            database, change_window=timedelta(hours=settings.insights.change_window_hours)
        ),
        gaps=gaps,
        articles=ArticleWriter(services.knowledge, folder=settings.insights.articles_folder),
        changes=ChangeStore(database),
        candidates=OutageCandidates(database, services.notices, services.tickets.store),
        impact=ChangeImpact(
            database,
            gaps,
            services.embedder,
            baseline=timedelta(weeks=settings.changes.baseline_weeks),
            after=timedelta(hours=settings.changes.after_hours),
            title=settings.changes.similar_title,
        ),
    )
