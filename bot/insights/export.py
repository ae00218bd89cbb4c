"""The KPIs as CSV, one figure per row: `section,name,value,numerator,denominator`."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from bot.insights.kpis import Count, Kpis, Mean, Rate

Row = tuple[str, str, object, object, object]
HEADER = ("section", "name", "value", "numerator", "denominator")
RATES = (
    "deflection_rate",
    "first_contact_resolution",
    "reopen_rate",
    "sla_first_response",
    "sla_resolution",
    "satisfaction",
    "csat",
    "resolution_rate",
)
MEANS = ("mean_time_to_assign", "mean_time_to_resolve")
VOLUMES = (
    "tickets_by_category",
    "tickets_by_channel",
    "tickets_by_language",
    "conversations_by_channel",
    "conversations_by_language",
    "top_intents",
)


def _value(value: float | None) -> object:
    return "" if value is None else value


def rows(kpis: Kpis) -> Iterator[Row]:
    yield "period", "from", kpis.start.isoformat(), "", ""
    yield "period", "to", kpis.end.isoformat(), "", ""
    for name in ("conversations", "escalations", "tickets"):
        yield "volume", name, getattr(kpis, name), "", ""
    for name in RATES:
        figure: Rate = getattr(kpis, name)
        yield "rate", name, _value(figure.value), figure.numerator, figure.denominator
    waiting = kpis.backlog
    yield "backlog", "open_tickets", waiting.open_tickets, "", ""
    yield "backlog", "median_age_hours", _value(waiting.median_age_hours), "", waiting.open_tickets
    yield "backlog", "oldest_age_hours", _value(waiting.oldest_age_hours), "", waiting.open_tickets
    for name in MEANS:
        mean: Mean = getattr(kpis, name)
        yield "hours", name, _value(mean.hours), "", mean.count
    for name in VOLUMES:
        counted: list[Count] = getattr(kpis, name)
        for count in counted:
            yield name, count.name, count.count, "", ""
    for query in kpis.top_failing_queries:
        yield "top_failing_queries", f"{query.query} ({query.language})", query.total, "", ""
    for change in kpis.changes:
        section = f"change {change.reference}"
        yield section, "deployed_at", change.deployed_at.isoformat(), "", ""
        yield section, "tagged_tickets", change.tagged_tickets, "", ""
        yield section, f"tickets_{change.window_hours:g}h_before", change.tickets_before, "", ""
        yield section, f"tickets_{change.window_hours:g}h_after", change.tickets_after, "", ""
    for day in kpis.daily:
        for name in ("conversations", "deflected", "tickets", "escalations"):
            yield f"daily_{name}", day.day.isoformat(), getattr(day, name), "", ""


def to_csv(kpis: Kpis) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows(kpis))
    return buffer.getvalue()
