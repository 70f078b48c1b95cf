"""Static SVG charts, drawn at build time from small templates: no JavaScript, nothing fetched.

Geometry is computed here; the templates only place and format it. Each chart carries <title> and <desc>,
and every page that shows one also shows the same facts as a table (the text equivalent).
"""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from generator.analyze.postmortems import Factor
from generator.model import Incident
from generator.render.markdown import svg_environment
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


UPTIME_COLOURS = {
    "none": "#2e7d32",  # no impact
    "degraded": "#9e9d24",  # degraded performance only: shown, not downtime
    "maintenance": "#1e88e5",
    "minor": "#ef6c00",  # downtime up to 30 weighted minutes
    "major": "#c62828",  # more than 30 weighted minutes
    "future": "#cfd8dc",  # not measured yet
}


UPTIME_BAR_WIDTH, UPTIME_GAP = 6.0, 2.0
UPTIME_STEP = UPTIME_BAR_WIDTH + UPTIME_GAP


@dataclass(frozen=True)
class UptimeRun:
    """Consecutive days of one kind, drawn as one rectangle filled with that kind's bar pattern (a bar and a gap
    per day): a chart is a handful of elements, not 90, because the file is shown as an image, where a bar's
    own tooltip would never appear anyway."""

    kind: str
    x: float
    width: float


def uptime_runs(kinds: list[str]) -> list[UptimeRun]:
    """The day kinds, oldest first, as runs of equal kinds."""
    runs: list[UptimeRun] = []
    first = 0
    for kind, days in itertools.groupby(kinds):
        count = sum(1 for _ in days)
        runs.append(UptimeRun(kind, round(first * UPTIME_STEP, 1), round(count * UPTIME_STEP - UPTIME_GAP, 1)))
        first += count
    return runs


def uptime_class(downtime: float, worst: str | None, maintenance: float, measured: float) -> str:
    if measured <= 0:
        return "future"
    if downtime > 30:
        return "major"
    if downtime > 0:
        return "minor"
    if worst is not None:
        return "degraded"
    return "maintenance" if maintenance > 0 else "none"


def uptime_bars(title: str, days: list[tuple[str, float, str | None, float, float]]) -> str:
    """One bar a day (day, downtime minutes, worst level, maintenance minutes, measured minutes)."""
    kinds = []
    described = []
    for day, downtime, worst, maintenance, measured in days:
        kind = uptime_class(downtime, worst, maintenance, measured)
        kinds.append(kind)
        if kind not in ("none", "future"):
            described.append(
                f"{day}: {downtime:.0f} min downtime" + (f", worst {worst.replace('_', ' ')}" if worst else "")
            )
    description = "Days with impact: " + ("; ".join(described) if described else "none") + "."
    return (
        svg_environment()
        .get_template("charts/uptime.svg.j2")
        .render(
            title=title,
            description=description,
            runs=uptime_runs(kinds),
            colours={kind: UPTIME_COLOURS[kind] for kind in dict.fromkeys(kinds)},
            step=UPTIME_STEP,
            bar_width=UPTIME_BAR_WIDTH,
            width=round(len(days) * UPTIME_STEP - UPTIME_GAP, 1) if days else 10,
            first=days[0][0] if days else "",
            last=days[-1][0] if days else "",
        )
    )
