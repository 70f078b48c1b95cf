"""Static SVG charts, drawn at build time from small templates: no JavaScript, nothing fetched.

Geometry is computed here; the templates only place and format it. Each chart carries <title> and <desc>,
and every page that shows one also shows the same facts as a table (the text equivalent).

The 90-day uptime strip is HTML instead (templates/public/_uptime.md.j2): one focusable element a day, whose
detail a pointer, the keyboard and a screen reader all reach. Its days are made here (uptime_day_items).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from urllib.parse import quote

from markupsafe import Markup, escape

from generator.analyze.postmortems import Factor
from generator.analyze.uptime import NOT_MEASURED, OPERATIONAL, UNDER_MAINTENANCE, UptimeDay, UptimeStrip
from generator.model import Incident
from generator.render.markdown import html_text, minutes_words, svg_environment
from generator.render.markdown import label as words_of
from generator.vocabulary import FISHBONE_CATEGORIES, PHASES, phase_title

LEVEL_COLOURS = {"major_outage": "#c62828", "partial_outage": "#ef6c00", "degraded_performance": "#f9a825"}
UNASSESSED_COLOUR = "#90a4ae"  # an impact window whose level is not set yet
PHASE_LABELS = tuple((phase, phase_title(phase)) for phase in PHASES)


def _truncate(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class Marker:
    label: str
    moment: datetime
    x: float
    label_y: float


@dataclass(frozen=True)
class Band:
    label: str
    level: str | None  # None: not assessed yet
    colour: str
    x: float
    width: float
    y: float
    ongoing: bool


def phase_timeline(incident: Incident, cutoff: datetime) -> str | None:
    """Impact windows as bands, one row per service, with the response phases marked above them."""
    phases = [(name, getattr(incident, key)) for key, name in PHASE_LABELS if getattr(incident, key)]
    moments = [m for _, m in phases] + [w.start for w in incident.impact] + [w.end for w in incident.impact if w.end]
    if len(moments) < 1:
        return None
    first = min(moments)
    last = max([*moments, cutoff] if incident.ongoing else moments)
    span = max((last - first).total_seconds(), 60.0)
    left, width = 150.0, 580.0

    def x_of(moment: datetime) -> float:
        return round(left + width * (moment - first).total_seconds() / span, 1)

    markers = [Marker(name, moment, x_of(moment), 14.0 + 13 * (i % 3)) for i, (name, moment) in enumerate(phases)]
    services = list(dict.fromkeys(w.service for w in incident.impact))
    bands = []
    for window in incident.impact:
        end = window.end or cutoff
        bands.append(
            Band(
                window.service,
                window.level,
                LEVEL_COLOURS.get(window.level or "", UNASSESSED_COLOUR),
                x_of(window.start),
                max(round(x_of(end) - x_of(window.start), 1), 2.0),
                60.0 + 28 * services.index(window.service),
                window.end is None,
            )
        )
    height = 60 + 28 * max(len(services), 1) + 40
    return (
        svg_environment()
        .get_template("charts/timeline.svg.j2")
        .render(
            incident=incident,
            markers=markers,
            bands=bands,
            services=[(s, 60.0 + 28 * i) for i, s in enumerate(services)],
            height=height,
            axis_y=height - 30,
            first=first,
            last=last,
            left=left,
            right=left + width,
            levels=LEVEL_COLOURS,
        )
    )


@dataclass(frozen=True)
class Bone:
    category: str
    x_start: float
    y_end: float
    factors: tuple[tuple[str, float, float], ...]  # text, x, y


MAX_BONES = 8  # four a side fit between the tail and the head


def _bone_categories(factors: Sequence[Factor]) -> list[str]:
    """The default categories, then any the knowledge base added (taxonomies) that these factors use; past
    MAX_BONES only the categories used (the page lists every factor in words)."""
    used = list(dict.fromkeys(f.category for f in factors))
    categories = [*FISHBONE_CATEGORIES, *(c for c in used if c not in FISHBONE_CATEGORIES)]
    if len(categories) > MAX_BONES:
        categories = [c for c in categories if c in used]
    return categories[:MAX_BONES]


def fishbone(incident: Incident, factors: Sequence[Factor]) -> str | None:
    """An Ishikawa diagram: the effect at the head, one bone per fishbone category, factors along each bone."""
    if not factors:
        return None
    spine_y, head_x = 200.0, 640.0
    bones = []
    for index, category in enumerate(_bone_categories(factors)):
        top = index % 2 == 0
        x_start = 80.0 + 180 * (index // 2)
        y_end = 40.0 if top else 360.0
        texts = [_truncate(f.description or "", 34) for f in factors if f.category == category]
        placed = tuple(
            (text, x_start + 14 + 12 * n, (y_end + 30 + 22 * n) if top else (y_end - 30 - 22 * n))
            for n, text in enumerate(texts[:5])
        )
        bones.append(Bone(category, x_start, y_end, placed))
    return (
        svg_environment()
        .get_template("charts/fishbone.svg.j2")
        .render(
            incident=incident,
            bones=bones,
            spine_y=spine_y,
            head_x=head_x,
            effect_lines=textwrap.wrap(_truncate(incident.title, 72), 24)[:3],
            factors=factors,
        )
    )


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    shown: str
    x: float
    y: float
    width: float
    height: float


def bar_chart(title: str, description: str, data: list[tuple[str, float, str]], *, unit: str) -> str:
    """Vertical bars with a label under each and the formatted value above it."""
    plot_height, top = 200.0, 40.0
    slot = max(min(680.0 / max(len(data), 1), 90.0), 24.0)
    peak = max((value for _, value, _ in data), default=0.0) or 1.0
    bars = []
    for i, (label, value, shown) in enumerate(data):
        height = round(plot_height * value / peak, 1)
        bars.append(
            Bar(
                label,
                value,
                shown,
                round(60 + slot * i + slot * 0.15, 1),
                round(top + plot_height - height, 1),
                round(slot * 0.7, 1),
                height,
            )
        )
    return (
        svg_environment()
        .get_template("charts/bars.svg.j2")
        .render(
            title=title,
            description=description,
            bars=bars,
            width=round(max(60 + slot * len(data) + 20, 300), 1),
            baseline=top + plot_height,
            unit=unit,
        )
    )


# --- the uptime strip's days (templates/public/_uptime.md.j2) ------------------------------------------------------


def uptime_day_words(day: UptimeDay) -> str:
    """What a day's detail says, in the tables' words: 14 October 2026: 21 minutes of downtime, partial outage."""
    return _day_words(day.day, day.level, day.downtime_minutes, day.maintenance_minutes)


@lru_cache(maxsize=4096)  # a report's services share their quiet days, and each day is in three months' reports
def _day_words(day: date, level: str, downtime: float, maintenance: float) -> str:
    when = f"{day.day} {day.strftime('%B')} {day.year}"
    if level == NOT_MEASURED:
        return f"{when}: {words_of(level)}."
    words = f"{minutes_words(downtime)} of downtime" if downtime > 0 else "no downtime"
    words += f", {words_of(level)}"
    if maintenance > 0:
        planned = minutes_words(maintenance)
        words += f" for {planned}" if level == UNDER_MAINTENANCE else f", under maintenance for {planned}"
    return f"{when}: {words}."


def uptime_day_items(strip: UptimeStrip, incident_href: str) -> Markup:
    """The strip's days as HTML list items, one a line: each focusable, its `aria-label` the whole detail. A day
    with incidents holds its detail with a link to each (`incident_href` + id + "/"); any other day is an empty
    element whose detail the style sheet draws from its label. Built here rather than in the template: a site
    with ten years of reports has hundreds of thousands of days, most of them alike."""
    return Markup("\n".join(_day_item(day, incident_href) for day in strip.days))


def _day_item(day: UptimeDay, incident_href: str) -> str:
    if not day.incidents:
        return _quiet_item(day.day, day.level, day.downtime_minutes, day.maintenance_minutes)
    said = uptime_day_words(day)
    heading = "Incident:" if len(day.incidents) == 1 else "Incidents:"
    names = "; ".join(i.name for i in day.incidents)
    links = "; ".join(
        f'<a href="{escape(incident_href + quote(i.id, safe="") + "/")}">{html_text(i.name)}</a>' for i in day.incidents
    )
    return (
        f'<li data-level="{escape(day.level)}" tabindex="0" aria-label="{html_text(f"{said} {heading} {names}.")}">'
        f'<span class="ikb-uptime-detail">{html_text(said)}<br>{heading} {links}</span></li>'
    )


@lru_cache(maxsize=8192)
def _quiet_item(day: date, level: str, downtime: float, maintenance: float) -> str:
    # An operational day, the commonest, has no data-level: the style sheet's default colour is operational's.
    level_attribute = "" if level == OPERATIONAL else f' data-level="{escape(level)}"'
    said = html_text(_day_words(day, level, downtime, maintenance))
    return f'<li{level_attribute} tabindex="0" aria-label="{said}"></li>'
