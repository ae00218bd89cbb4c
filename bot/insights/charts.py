"""Charts as inline SVG, drawn on the server: no script, no CDN, readable without styles."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time

from babel.dates import format_date
from markupsafe import Markup, escape

from bot.insights.kpis import ChangeImpact, Count, Day
from bot.kernel.i18n import N_, t

# The daily series: the `Day` field, its name on the chart, its colour.
SERIES = (
    ("conversations", N_("conversations"), "#2f6fb0"),
    ("tickets", N_("tickets"), "#c0392b"),
    ("deflected", N_("deflected"), "#27864a"),
)


def _text(x: float, y: float, content: object, *, anchor: str = "start", size: int = 11) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}">'
        f"{escape(str(content))}</text>"
    )


def _empty(text: str) -> Markup:
    return Markup(f'<p class="empty">{escape(text)}</p>')


def bars(
    counts: Sequence[Count], *, label: str, language: str, width: int = 360, row: int = 20
) -> Markup:
    """Horizontal bars, one per name, longest first as given; `label` is already translated."""
    if not counts:
        return _empty(t("Nothing in this period.", language))
    name_width, number_width = 120, 40
    span = width - name_width - number_width
    top = max(c.count for c in counts) or 1
    height = row * len(counts) + 4
    parts = [
        f'<svg class="chart bars" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" aria-label="{escape(label)}"><title>{escape(label)}</title>'
    ]
    for n, count in enumerate(counts):
        y = n * row + 2
        length = max(1.0, span * count.count / top)
        parts.append(_text(name_width - 6, y + row * 0.7, count.name[:22], anchor="end"))
        parts.append(
            f'<rect x="{name_width}" y="{y + 3}" width="{length:.1f}" height="{row - 6}" '
            f'fill="#2f6fb0"><title>{escape(count.name)}: {count.count}</title></rect>'
        )
        parts.append(_text(name_width + length + 4, y + row * 0.7, count.count))
    parts.append("</svg>")
    return Markup("".join(parts))


def daily(
    days: Sequence[Day],
    changes: Sequence[ChangeImpact],
    *,
    language: str,
    width: int = 760,
    height: int = 240,
) -> Markup:
    """Conversations, tickets and deflected conversations per day, changes as dashed lines."""
    if not days:
        return _empty(t("No day in this period.", language))
    left, right, top_margin, bottom = 36, 12, 14, 30
    plot_w, plot_h = width - left - right, height - top_margin - bottom
    peak = max(max(d.conversations, d.tickets, d.deflected) for d in days) or 1
    step = plot_w / max(1, len(days) - 1)

    def x_of(index: float) -> float:
        return left + (index * step if len(days) > 1 else plot_w / 2)

    def y_of(value: float) -> float:
        return top_margin + plot_h * (1 - value / peak)

    label = escape(t("Per day", language))
    title = escape(t("Conversations, tickets and deflected conversations per day", language))
    parts = [
        f'<svg class="chart daily" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" aria-label="{label}"><title>{title}</title>',
        f'<line x1="{left}" y1="{y_of(0):.1f}" x2="{width - right}" y2="{y_of(0):.1f}" '
        'stroke="#888"/>',
        _text(left - 4, y_of(peak) + 4, peak, anchor="end"),
        _text(left - 4, y_of(0) + 4, 0, anchor="end"),
    ]
    every = max(1, len(days) // 10)
    for n, day in enumerate(days):
        if n % every == 0 or n == len(days) - 1:
            shown = format_date(day.day, "d MMM", locale=language)
            # the first and last labels lean inwards: centred, they would be cut at the edges
            anchor = "start" if n == 0 else "end" if n == len(days) - 1 else "middle"
            parts.append(_text(x_of(n), height - 10, shown, anchor=anchor))
    first = datetime.combine(days[0].day, time(), tzinfo=UTC)
    for change in changes:
        offset = (change.deployed_at - first).total_seconds() / 86400
        x = x_of(offset)
        parts.append(
            f'<line x1="{x:.1f}" y1="{top_margin}" x2="{x:.1f}" y2="{y_of(0):.1f}" '
            f'stroke="#8e44ad" stroke-dasharray="4 3"><title>{escape(change.reference)}: '
            f"{escape(change.title)}</title></line>"
        )
        parts.append(_text(x + 3, top_margin + 10, change.reference, size=10))
    for field, name, colour in SERIES:
        shown = escape(t(name, language))
        points = " ".join(
            f"{x_of(n):.1f},{y_of(getattr(day, field)):.1f}" for n, day in enumerate(days)
        )
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2">'
            f"<title>{shown}</title></polyline>"
        )
        for n, day in enumerate(days):
            value = getattr(day, field)
            parts.append(
                f'<circle cx="{x_of(n):.1f}" cy="{y_of(value):.1f}" r="2.5" fill="{colour}">'
                f"<title>{day.day.isoformat()} {shown}: {value}</title></circle>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def legend(language: str) -> Markup:
    items = "".join(
        f'<span class="key"><svg width="12" height="12" aria-hidden="true"><rect width="12" '
        f'height="12" fill="{colour}"/></svg> {escape(t(name, language))}</span>'
        for _, name, colour in SERIES
    )
    change = escape(t("a change or release deployed", language))
    return Markup(f'<p class="legend">{items} <span class="key">┆ {change}</span></p>')
