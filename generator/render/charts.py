"""Static SVG charts, drawn at build time from small templates: no JavaScript, nothing fetched.

Geometry is computed here, labels included (measured and wrapped by chart_text.py, stacked so that none overlaps
another); the templates only place and format it. Each chart is drawn at two widths (WIDTHS) so that its text is
13 CSS px in the content column at a 1280 px window and on a 390 px phone alike, both layouts in one file: the
narrow one drawn below the wide one, each named by an SVG <view> (`X.svg#wide`, `X.svg#narrow`) that a page's
<picture> picks by the window's width (templates/site/_charts.md.j2). The root <svg> has no size or viewBox of its
own, so a view's viewBox alone decides what an image shows, and the file opened by itself shows the wide layout
first. What both layouts share is in the file once: <title>, <desc> and the style sheet. Each chart carries
<title> and <desc>, and every page that shows one also shows the same facts as a table (the text equivalent).

The charts have no background: they are drawn on the page's, and in dark mode the page inverts them
(templates/site/theme/assets/site.css), so one file serves both schemes.

The 90-day uptime strip is HTML instead (templates/public/_uptime.md.j2): one focusable element a day (a run of
alike quiet days is one element), whose detail a pointer, the keyboard and a screen reader all reach. Its days are
made here (uptime_day_items).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from jinja2 import Template
from markupsafe import Markup, escape

from generator.analyze.postmortems import Factor
from generator.analyze.uptime import OPERATIONAL, UptimeDay, UptimeStrip
from generator.model import ApproximateTime, DateOnly, Incident
from generator.render.chart_text import (
    FONT_FAMILY,
    FONT_SIZE,
    LINE_HEIGHT,
    Span,
    stack_rows,
    staircase_rows,
    text_width,
    wrap,
)
from generator.render.i18n import ENGLISH, day_words, days_words, incidents_heading
from generator.render.markdown import duration, html_text, label, svg_environment
from generator.vocabulary import FISHBONE_CATEGORIES, PHASES, phase_title

LEVEL_COLOURS = {"major_outage": "#c62828", "partial_outage": "#ef6c00", "degraded_performance": "#f9a825"}
UNASSESSED_COLOUR = "#90a4ae"  # an impact window whose level is not set yet
PHASE_LABELS = tuple((phase, phase_title(phase)) for phase in PHASES)

# Each chart is drawn twice, at two widths, and the page shows the one that fits (templates/site/_charts.md.j2):
# WIDE is the content column at a 1280 px window (688 CSS px), so its 13-unit text is 13 px there; NARROW fits a
# 390 px phone's column (358 px), where the wide chart would be scaled to half and its text to 6 px. The names
# are the fragments a page shows them by (X.svg#narrow), the wide layout first in the file.
WIDE = 680.0
NARROW = 350.0
WIDTHS = {"wide": WIDE, "narrow": NARROW}
VIEW_GAP = 20  # between one layout and the next below it: no view shows a pixel of another
PAD = 10.0
ASCENT, DESCENT = 0.93 * FONT_SIZE, 0.24 * FONT_SIZE  # DejaVu Sans: a text box is ascent + descent tall


# --- what a chart is made of: the templates draw these and nothing else ---------------------------------------------


@dataclass(frozen=True)
class Text:
    """A label: its lines (one <tspan> each), the first line's baseline at `y`, anchored at `x`."""

    x: float
    y: float
    lines: tuple[str, ...]
    kind: str  # the style class: phase, service, axis, legend, category, factor, effect, value
    anchor: str = "start"
    bold: bool = False
    halo: bool = False  # drawn over a leader line: a white outline keeps it readable

    @property
    def width(self) -> float:
        return max(text_width(line, bold=self.bold) for line in self.lines)

    @property
    def height(self) -> float:
        return ASCENT + DESCENT + LINE_HEIGHT * (len(self.lines) - 1)


@dataclass(frozen=True)
class Stroke:
    x1: float
    y1: float
    x2: float
    y2: float
    kind: str  # leader, axis, tick, break, spine, bone, rib, whisker


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float
    fill: str
    kind: str  # band, bar, head, swatch
    title: str = ""  # a tooltip
    dashed: bool = False


@dataclass
class Drawing:
    width: float
    texts: list[Text] = field(default_factory=list)
    strokes: list[Stroke] = field(default_factory=list)
    boxes: list[Box] = field(default_factory=list)
    height: float = 0.0

    def text(self, x: float, y: float, lines: Sequence[str], kind: str, **style: Any) -> Text:
        placed = Text(_n(x), _n(y), tuple(lines), kind, **style)
        self.texts.append(placed)
        return placed

    def line(self, x1: float, y1: float, x2: float, y2: float, kind: str) -> None:
        self.strokes.append(Stroke(_n(x1), _n(y1), _n(x2), _n(y2), kind))

    def box(self, x: float, y: float, width: float, height: float, fill: str, kind: str, **more: Any) -> None:
        self.boxes.append(Box(_n(x), _n(y), _n(width), _n(height), fill, kind, **more))

    def markup(self, *, tooltips: bool = True) -> str:
        """The drawing as SVG elements: boxes, then the lines of each kind as one path, then text on top. Without
        `tooltips`, boxes have no <title>: an image shows none, and a file opened by itself has them once, on
        the layout it shows first.

        Written here rather than in a template, like the uptime strip's days: a 10,000-incident site draws 40,000
        layouts (20,000 files), and a template loop that escapes every coordinate took most of their time. Only
        text is record text, and it is escaped; everything else is numbers and the class names above."""
        out = []
        for b in self.boxes:
            classes = " ".join(c for c in (b.kind if b.kind != "swatch" else "", "dashed" if b.dashed else "") if c)
            attributes = f' class="{classes}"' if classes else ""
            rounded = ' rx="6"' if b.kind == "head" else ""
            shape = (
                f'<rect{attributes} x="{b.x}" y="{b.y}" width="{b.width}" height="{b.height}" fill="{b.fill}"{rounded}'
            )
            out.append(f"{shape}><title>{escape(b.title)}</title></rect>" if b.title and tooltips else f"{shape}/>")
        paths: dict[str, list[str]] = {}
        for s in self.strokes:  # "M x1 y1 L x2 y2" a line, a third of the bytes of a <line>; H x2 or V y2 if level
            end = f"V{s.y2}" if s.x1 == s.x2 else f"H{s.x2}" if s.y1 == s.y2 else f"L{s.x2} {s.y2}"
            paths.setdefault(s.kind, []).append(f"M{s.x1} {s.y1}{end}")
        out.extend(f'<path class="{kind}" d="{"".join(d)}"/>' for kind, d in paths.items())
        for t in self.texts:
            classes = " ".join(c for c in (t.kind if f"text.{t.kind}" in STYLE_RULES else "", "halo" * t.halo) if c)
            anchor = f' text-anchor="{t.anchor}"' if t.anchor != "start" else ""
            # the first line is the text's own (it starts where the text does), each further one a <tspan>
            first, *rest = (str(escape(line)) for line in t.lines)
            body = first + "".join(f'<tspan x="{t.x}" dy="{_n(LINE_HEIGHT)}">{line}</tspan>' for line in rest)
            attributes = f' class="{classes}"' if classes else ""
            out.append(f'<text{attributes} x="{t.x}" y="{t.y}"{anchor}>{body}</text>')
        return "\n".join(out)

    def selectors(self) -> set[str]:
        """The style rules (STYLE_RULES) this drawing's parts use."""
        used = {f"path.{s.kind}" for s in self.strokes} | {f"rect.{b.kind}" for b in self.boxes}
        used |= {f"text.{t.kind}" for t in self.texts} | {"text.halo" for t in self.texts if t.halo}
        return used | {"rect.dashed" for b in self.boxes if b.dashed}


def _style(drawings: Sequence[Drawing]) -> Markup:
    """The style sheet of a chart file: the rules its layouts use, and no others (the files stay small)."""
    used = set().union(*(d.selectors() for d in drawings))
    rules = "".join(f"{selector}{{{rule}}}" for selector, rule in STYLE_RULES.items() if selector in used)
    base = f"text{{font:{_n(FONT_SIZE)}px {FONT_FAMILY};fill:#263238}}path{{fill:none;stroke:#263238}}"
    return Markup(f"<style>{base}{rules}</style>")


# The look of each kind of part (the class names the layout gives them), by element: an axis line and an axis
# label share a name, not a look. A line is drawn in the text's colour unless its kind says otherwise (_style).
STYLE_RULES = {
    "text.category": "font-weight:bold",
    "text.factor": "fill:#37474f",
    "text.halo": "paint-order:stroke;stroke:#fff;stroke-width:4px;stroke-linejoin:round",
    "path.leader": "stroke:#78909c;stroke-dasharray:3 3",
    "path.break": "stroke-width:2",
    "path.spine": "stroke-width:3",
    "path.bone": "stroke:#546e7a;stroke-width:2",
    "path.rib": "stroke:#90a4ae",
    "path.whisker": "stroke:#1a237e;stroke-width:2",
    "rect.head": "stroke:#263238",
    "rect.dashed": "stroke:#263238;stroke-dasharray:4 2",
}


@lru_cache(maxsize=8)
def _template(name: str) -> Template:
    """A chart's template, looked up once (a lookup checks the file's time on every call)."""
    return svg_environment().get_template(f"charts/{name}")


def _n(value: float) -> float:
    """A coordinate to a tenth of a unit, written without ".0" (the files stay small)."""
    rounded = round(value, 1)
    return int(rounded) if rounded == int(rounded) else rounded


@dataclass(frozen=True)
class View:
    """One layout in a chart file: the <view> a page shows it by (`X.svg#{name}`), where it is drawn in the file
    (`top`) and its size, in user units, which are CSS px when the image is drawn at `width`."""

    name: str
    top: int
    width: float
    height: int


@dataclass(frozen=True)
class Chart:
    """A chart file: the SVG, holding every layout, and its views, widest first."""

    svg: str
    views: tuple[View, ...]


def _render(template: str, drawings: Sequence[Drawing], **facts: Any) -> Chart:
    """One file for a chart's layouts (one drawing per WIDTHS entry, in order): each drawn in a group below the
    previous one and named by a <view> of exactly its size, heights rounded up to whole units so that a page can
    give an <img> the same width and height (the image takes its aspect ratio from them)."""
    views: list[View] = []
    groups: list[str] = []
    top = 0
    for name, drawing in zip(WIDTHS, drawings, strict=True):
        view = View(name, top, _n(drawing.width), math.ceil(drawing.height))
        views.append(view)
        placed = f'<g transform="translate(0 {top})">' if top else "<g>"
        groups.append(f"{placed}\n{drawing.markup(tooltips=not groups)}\n</g>")
        top += view.height + VIEW_GAP
    named = "".join(f'<view id="{v.name}" viewBox="0 {v.top} {v.width} {v.height}"/>' for v in views)
    svg = _template(template).render(style=_style(drawings), parts=Markup(named + "\n" + "\n".join(groups)), **facts)
    return Chart(svg, tuple(views))


def _legend(drawing: Drawing, items: Sequence[tuple[str, str, bool]], y: float) -> float:
    """Colour swatches with their words, flowing onto a new line when the next would not fit; the y below."""
    x, baseline = PAD, y + ASCENT
    for words, colour, dashed in items:
        width = 16 + text_width(words) + 16
        if x > PAD and x + width > drawing.width - PAD:
            x, baseline = PAD, baseline + LINE_HEIGHT + 4
        drawing.box(x, baseline - 10, 12, 10, colour, "swatch", dashed=dashed)
        drawing.text(x + 16, baseline, [words], "legend")
        x += width
    return baseline + DESCENT


# --- the timeline ---------------------------------------------------------------------------------------------------

MIN_STEP = 30.0  # no step between two moments is drawn narrower, so every impact window is at least this wide
MIN_BAND = 24.0  # the narrowest band, when there are too many moments for MIN_STEP
BREAK_WIDTH = 44.0  # a quiet gap cut out of the axis
QUIET_BREAK = timedelta(hours=2)  # a gap with no impact at all longer than this is cut out
BAND_HEIGHT = 18.0
NARROW_FLAG = 140.0  # a phase label's width on a narrow chart: "Acknowledged" fits, longer lists wrap


@dataclass(frozen=True)
class Marker:
    label: str  # the phases at this moment: "Detected, Acknowledged"
    moment: datetime


@dataclass(frozen=True)
class Band:
    label: str
    level: str | None  # None: not assessed yet
    start: datetime
    end: datetime
    ongoing: bool


def _clock(moment: datetime, first: datetime) -> str:
    """A moment as short as it can be read: 09:15 on the first moment's day (the axis names it), else with the day."""
    utc = moment.astimezone(UTC)
    if isinstance(moment, DateOnly):
        return f"{utc.day} {utc:%b}"
    shown = f"{utc:%H:%M}" if utc.date() == first.astimezone(UTC).date() else f"{utc.day} {utc:%b} {utc:%H:%M}"
    return f"about {shown}" if isinstance(moment, ApproximateTime) else shown


def _gap_words(gap: timedelta) -> str:
    return f"{duration(gap / timedelta(minutes=1))} later"


def _step_widths(steps: Sequence[timedelta | None], available: float) -> list[float]:
    """How wide each step between consecutive moments is drawn: a cut-out gap (None) BREAK_WIDTH, the others in
    proportion to their length but none narrower than MIN_STEP (fewer if they do not fit)."""
    lengths = [s.total_seconds() for s in steps if s is not None]
    breaks = len(steps) - len(lengths)
    if not lengths:  # one moment (no steps), or nothing but cut-out gaps
        return [available / breaks] * breaks if breaks else []
    break_width = min(BREAK_WIDTH, available / 2 / max(breaks, 1))  # the cut-out gaps take half the axis at most
    room = available - break_width * breaks
    floor = min(MIN_STEP, room / len(lengths))
    # Pixels per second: the shortest steps are held at the floor, the rest share what is left in proportion.
    # Hold the shortest one at a time until the rest, so scaled, are all above the floor.
    ordered = sorted(lengths)
    held, rest = 0, sum(ordered)
    scale = (room - floor * held) / rest
    while held < len(ordered) - 1 and ordered[held] * scale < floor:
        rest -= ordered[held]
        held += 1
        scale = (room - floor * held) / rest
    return [break_width if s is None else max(floor, scale * s.total_seconds()) for s in steps]


def _quiet(start: datetime, end: datetime, bands: Sequence[Band], span: timedelta) -> bool:
    """A gap to cut out: no window open, longer than QUIET_BREAK and than a quarter of the whole (so a day of
    windows three hours apart keeps its axis whole)."""
    return end - start > max(QUIET_BREAK, span / 4) and not any(b.start < end and b.end > start for b in bands)


def _timeline_facts(incident: Incident, cutoff: datetime) -> tuple[list[Marker], list[Band]]:
    phases: dict[datetime, list[str]] = {}
    for key, name in PHASE_LABELS:
        if getattr(incident, key):
            phases.setdefault(getattr(incident, key), []).append(name)
    if incident.ongoing:  # where the open windows end for now
        phases.setdefault(max([cutoff, *phases]), []).append("Now")
    markers = [Marker(", ".join(names), moment) for moment, names in sorted(phases.items())]
    bands = [Band(w.service, w.level, w.start, w.end or max(cutoff, w.start), w.end is None) for w in incident.impact]
    return markers, bands


def phase_timeline(incident: Incident, cutoff: datetime) -> Chart | None:
    """Impact windows as bands, one row per service, under the response phases, on an axis that keeps every
    window legible: a quiet gap longer than QUIET_BREAK (no window open) is cut out and labelled, and no step
    between two moments is narrower than MIN_STEP. Phase labels are flags whose leader lines drop to the axis,
    stacked in rows so that none overlaps another or is crossed by a leader (chart_text.staircase_rows)."""
    markers, bands = _timeline_facts(incident, cutoff)
    moments = sorted({m.moment for m in markers} | {b.start for b in bands} | {b.end for b in bands})
    if not moments:
        return None
    drawings = [_timeline_drawing(markers, bands, moments, width) for width in WIDTHS.values()]
    return _render("timeline.svg.j2", drawings, incident=incident, markers=markers, bands=bands)


def _timeline_drawing(
    markers: Sequence[Marker], bands: Sequence[Band], moments: Sequence[datetime], width: float
) -> Drawing:
    first = moments[0]
    span = moments[-1] - first
    steps = [None if _quiet(a, b, bands, span) else b - a for a, b in itertools.pairwise(moments)]
    narrow = width < WIDE
    labels = [_marker_lines(m, first, narrow) for m in markers]
    label_widths = [max(text_width(line) for line in lines) + 4 for lines in labels]

    drawing = Drawing(width)
    right_margin = label_widths[-1] if markers and markers[-1].moment == moments[-1] else 0.0
    for _ in range(6):  # the plot's right end leaves room for the labels that start near it
        xs = _positions(moments, steps, PAD, width - PAD - right_margin)
        overflow = max(
            (xs[m.moment] + w - (width - PAD) for m, w in zip(markers, label_widths, strict=True)), default=0
        )
        if overflow <= 0.5:
            break
        right_margin += overflow
    spans = [Span(xs[m.moment], xs[m.moment] + w, xs[m.moment]) for m, w in zip(markers, label_widths, strict=True)]
    rows = staircase_rows(spans)
    row_height = LINE_HEIGHT * max((len(lines) for lines in labels), default=1) + 4
    top = PAD
    for marker, lines, row in zip(markers, labels, rows, strict=True):
        drawing.text(xs[marker.moment] + 4, top + row * row_height + ASCENT, lines, "phase")
    label_rows = (max(rows) + 1) if rows else 0
    y = top + label_rows * row_height + 6

    services = list(dict.fromkeys(b.label for b in bands))
    service_y: dict[str, float] = {}
    for service in services:
        name = drawing.text(PAD, y + ASCENT, wrap(service, width - 2 * PAD), "service", halo=True)
        service_y[service] = y + name.height + 2
        y = service_y[service] + BAND_HEIGHT + 8
    axis_y = y + 4
    for marker, row in zip(markers, rows, strict=True):  # a leader from each flag's row down to the axis
        drawing.line(xs[marker.moment], top + row * row_height, xs[marker.moment], axis_y, "leader")
    for band in bands:
        x = xs[band.start]
        drawn = max(xs[band.end] - x, MIN_BAND)
        x = min(x, width - PAD - drawn)
        drawing.box(
            x,
            service_y[band.label],
            drawn,
            BAND_HEIGHT,
            LEVEL_COLOURS.get(band.level or "", UNASSESSED_COLOUR),
            "band",
            title=f"{band.label}: {label(band.level) if band.level else 'not assessed'}, {_clock(band.start, first)}"
            f" to {'now' if band.ongoing else _clock(band.end, first)}",
            dashed=band.ongoing,
        )
    y = _draw_axis(drawing, moments, steps, xs, axis_y, first)
    levels = dict.fromkeys(b.level for b in bands)
    legend = [(label(lv) or "", LEVEL_COLOURS[lv], False) for lv in LEVEL_COLOURS if lv in levels]
    if None in levels:
        legend.append(("not assessed", UNASSESSED_COLOUR, False))
    if any(b.ongoing for b in bands):
        legend.append(("ongoing (dashed edge)", "#ffffff", True))
    drawing.height = round(_legend(drawing, legend, y + 6) + PAD if legend else y + PAD, 1)
    return drawing


def _marker_lines(marker: Marker, first: datetime, narrow: bool) -> tuple[str, ...]:
    """A flag's text: "Detected 09:15" on one line, or the phases wrapped over the time on a narrow chart."""
    clock = _clock(marker.moment, first)
    if not narrow:
        return (f"{marker.label} {clock}",)
    return (*wrap(marker.label, NARROW_FLAG), clock)


def _positions(
    moments: Sequence[datetime], steps: Sequence[timedelta | None], left: float, right: float
) -> dict[datetime, float]:
    x = left
    xs = {moments[0]: left}
    for moment, step_width in zip(moments[1:], _step_widths(steps, right - left), strict=True):
        x += step_width
        xs[moment] = x
    return xs


def _draw_axis(
    drawing: Drawing,
    moments: Sequence[datetime],
    steps: Sequence[timedelta | None],
    xs: dict[datetime, float],
    axis_y: float,
    first: datetime,
) -> float:
    """The axis in pieces, a break mark at each cut-out gap; under it the first day and how long each gap lasted.
    Returns the y below its labels."""
    start = xs[moments[0]]
    axis_labels: list[tuple[float, str, str]] = [(start, f"{first.astimezone(UTC):%d %b %Y} (UTC)", "start")]
    for (a, b), step in zip(itertools.pairwise(moments), steps, strict=True):
        if step is not None:
            continue
        inset = min(8.0, (xs[b] - xs[a]) / 4)
        left, right = xs[a] + inset, xs[b] - inset
        drawing.line(start, axis_y, left, axis_y, "axis")
        for x in (left, right):
            drawing.line(x - 4, axis_y + 6, x + 4, axis_y - 6, "break")
        start = right
        axis_labels.append(((xs[a] + xs[b]) / 2, _gap_words(b - a), "middle"))
    drawing.line(start, axis_y, xs[moments[-1]] + (0 if len(moments) > 1 else 1), axis_y, "axis")
    for moment in moments:
        drawing.line(xs[moment], axis_y, xs[moment], axis_y + 4, "tick")
    spans = []
    for x, words, anchor in axis_labels:
        w = text_width(words)
        left = x if anchor == "start" else min(max(x - w / 2, PAD), drawing.width - PAD - w)
        spans.append(Span(left, left + w, x))
    order = sorted(range(len(spans)), key=lambda i: spans[i].start)
    rows = stack_rows([spans[i] for i in order])
    baseline = axis_y + 8 + ASCENT
    for i, row in zip(order, rows, strict=True):
        drawing.text(spans[i].start, baseline + row * LINE_HEIGHT, [axis_labels[i][1]], "axis")
    return baseline + max(rows) * LINE_HEIGHT + DESCENT


# --- the fishbone ---------------------------------------------------------------------------------------------------

MAX_BONES = 8  # the page lists every factor in words; past eight bones a diagram stops being read
MAX_BONES_A_SIDE = 3  # beyond three columns a side, a factor's column is too narrow for words: the fish stands up
SLANT = 22.0  # how far a bone leans towards the head
FACTOR_GAP = 8.0


def _bone_categories(factors: Sequence[Factor]) -> list[str]:
    """The default categories, then any the knowledge base added (taxonomies) that these factors use; past
    MAX_BONES only the categories used (the page lists every factor in words)."""
    used = list(dict.fromkeys(f.category for f in factors))
    categories = [*FISHBONE_CATEGORIES, *(c for c in used if c not in FISHBONE_CATEGORIES)]
    if len(categories) > MAX_BONES:
        categories = [c for c in categories if c in used]
    return categories[:MAX_BONES]


def fishbone(incident: Incident, factors: Sequence[Factor]) -> Chart | None:
    """An Ishikawa diagram: the effect at the head, one bone per category, its factors wrapped beside it. Wide,
    the classic fish: bones above and below a horizontal spine, each factor in the column right of its bone, so a
    wrapped factor never reaches the next bone. Narrow, or with more than MAX_BONES_A_SIDE bones a side, the fish
    stands up: a vertical spine down the left, one bone per category off it, the factors at the full width right
    of the bones, the effect at the foot."""
    if not factors:
        return None
    categories = _bone_categories(factors)
    texts = {c: [" ".join((f.description or "").split()) for f in factors if f.category == c] for c in categories}
    drawings = []
    for width in WIDTHS.values():
        drawing = Drawing(width)
        if width < WIDE or len(categories) > 2 * MAX_BONES_A_SIDE:
            _vertical_fish(drawing, incident.title, categories, texts)
        else:
            _horizontal_fish(drawing, incident.title, categories, texts)
        drawings.append(drawing)
    return _render("fishbone.svg.j2", drawings, incident=incident, factors=factors)


def _factor_block(drawing: Drawing, x: float, y: float, bone_x: float, text: str, text_width_: float) -> float:
    """One factor, wrapped, its first line's box at `y`, a rib from the bone (at `bone_x`) to it; the y below."""
    lines = wrap(text or "(no description)", text_width_)
    drawing.text(x, y + ASCENT, lines, "factor")
    drawing.line(bone_x, y + ASCENT * 0.6, x - 4, y + ASCENT * 0.6, "rib")
    return y + ASCENT + DESCENT + LINE_HEIGHT * (len(lines) - 1)


def _blocks_height(texts: Sequence[str], width: float) -> float:
    lines = sum(len(wrap(t or "(no description)", width)) for t in texts)
    return (ASCENT + DESCENT) * len(texts) + LINE_HEIGHT * (lines - len(texts)) + FACTOR_GAP * max(len(texts) - 1, 0)


def _horizontal_fish(drawing: Drawing, title: str, categories: Sequence[str], texts: dict[str, list[str]]) -> None:
    head_width = 140.0
    effect = wrap(title, head_width - 16)
    head_height = LINE_HEIGHT * len(effect) + 14
    per_side = (len(categories) + 1) // 2
    column = (drawing.width - PAD - head_width - 12 - PAD) / per_side
    text_x_offset = SLANT + 12
    text_room = column - text_x_offset - 10
    top_side = categories[0::2]
    bottom_side = categories[1::2]
    headings = {c: wrap(c, column - 10, bold=True) for c in categories}
    heading_lines = max((len(headings[c]) for c in categories), default=1)
    heading_height = ASCENT + DESCENT + LINE_HEIGHT * (heading_lines - 1)

    def side_height(side: Sequence[str]) -> float:
        return max((_blocks_height(texts[c], text_room) for c in side), default=0.0) + 16

    top_tip = PAD + heading_height + 6
    spine_y = max(top_tip + side_height(top_side) + 10, PAD + head_height / 2)
    bottom_tip = max(spine_y + side_height(bottom_side) + 10, spine_y + head_height / 2 + 4)
    head_x = drawing.width - PAD - head_width
    drawing.line(PAD, spine_y, head_x, spine_y, "spine")
    drawing.box(head_x, spine_y - head_height / 2, head_width, head_height, "#eceff1", "head")
    drawing.text(head_x + 8, spine_y - head_height / 2 + 7 + ASCENT, effect, "effect")
    for index, category in enumerate(categories):
        above = index % 2 == 0
        left = PAD + column * (index // 2)
        tip = top_tip if above else bottom_tip
        drawing.line(left, tip, left + SLANT, spine_y, "bone")
        if above:
            drawing.text(
                left,
                tip - 6 - DESCENT - LINE_HEIGHT * (len(headings[category]) - 1),
                headings[category],
                "category",
                bold=True,
            )
            y = tip + 8
        else:
            drawing.text(left, tip + 6 + ASCENT, headings[category], "category", bold=True)
            y = spine_y + 12
        for text in texts[category]:
            # the rib meets the bone where the bone is at the factor's height
            rib_y = y + ASCENT * 0.6
            bone_x = left + SLANT * (rib_y - tip) / (spine_y - tip)
            y = _factor_block(drawing, left + text_x_offset, y, bone_x, text, text_room) + FACTOR_GAP
    drawing.height = round(bottom_tip + 6 + heading_height + PAD, 1)


def _vertical_fish(drawing: Drawing, title: str, categories: Sequence[str], texts: dict[str, list[str]]) -> None:
    spine_x = PAD + 4
    tip_x = spine_x + SLANT
    text_x = tip_x + 12
    text_room = drawing.width - PAD - text_x
    y = PAD
    for category in categories:
        heading = wrap(category, drawing.width - PAD - tip_x - 6, bold=True)
        drawing.text(tip_x + 6, y + ASCENT, heading, "category", bold=True)
        tip_y = y + ASCENT * 0.6
        y += ASCENT + DESCENT + LINE_HEIGHT * (len(heading) - 1) + 6
        for text in texts[category]:
            y = _factor_block(drawing, text_x, y, tip_x, text, text_room) + FACTOR_GAP
        joint_y = max(y, tip_y + SLANT)
        drawing.line(tip_x, tip_y, spine_x, joint_y, "bone")
        if texts[category]:  # the ribs hang off the bone's tip, so a short upright line joins them
            drawing.line(tip_x, tip_y, tip_x, y - FACTOR_GAP - DESCENT - 4, "bone")
        y = joint_y + 10
    effect = wrap(title, drawing.width - 2 * PAD - 16)
    head_height = LINE_HEIGHT * len(effect) + 14
    drawing.line(spine_x, PAD, spine_x, y, "spine")
    drawing.box(PAD, y, drawing.width - 2 * PAD, head_height, "#eceff1", "head")
    drawing.text(PAD + 8, y + 7 + ASCENT, effect, "effect")
    drawing.height = round(y + head_height + PAD, 1)


# --- the metrics charts ---------------------------------------------------------------------------------------------

BAR_HEIGHT = 14.0
# Log-scale ticks, in minutes: a reader's units (a minute, a quarter hour, an hour, a working day, a day, a week).
DURATION_TICKS = (0.1, 1, 5, 15, 60, 240, 480, 1440, 4320, 10080, 43200)
BAR_COLOUR = "#3949ab"


@dataclass(frozen=True)
class DurationRow:
    """One group's line on a duration chart: its median and p90 in minutes and how many incidents they are from.
    `p90` is None when there are too few incidents for one (`p90_minimum`)."""

    group: str
    count: int
    median: float | None
    p90: float | None
    p90_minimum: int


def _tick_words(minutes: float) -> str:
    if minutes < 1:
        return f"{round(minutes * 60)} s"
    for unit, size in (("w", 10080), ("d", 1440), ("h", 60)):
        if minutes >= size and minutes % size == 0:
            return f"{int(minutes // size)} {unit}"
    return f"{minutes:g} min"


def _row_words(row: DurationRow) -> str:
    if row.count == 0 or row.median is None:
        return f"{row.group}: no data"
    incidents = "1 incident" if row.count == 1 else f"{row.count} incidents"
    p90 = (
        f"p90 {duration(row.p90)}"
        if row.p90 is not None
        else f"p90: not enough incidents ({row.count} of {row.p90_minimum})"
    )
    return f"{row.group} ({incidents}): median {duration(row.median)}, {p90}"


def duration_chart(title: str, rows: Sequence[DurationRow]) -> Chart:
    """Each group's median as a bar and its p90 as a whisker, on a logarithmic axis, so that an 803-minute SEV4
    and a 10-minute SEV1 are both visible; every row says how many incidents its figures come from."""
    drawings = [_duration_drawing(rows, width) for width in WIDTHS.values()]
    return _render("bars.svg.j2", drawings, title=title, description="; ".join(_row_words(r) for r in rows))


def _duration_drawing(rows: Sequence[DurationRow], width: float) -> Drawing:
    drawing = Drawing(width)
    values = [v for r in rows for v in (r.median, r.p90) if v is not None and v > 0]
    # the axis starts a tick below the shortest value, so that the shortest bar is still a bar
    below = [t for t in DURATION_TICKS if t <= min(values, default=1)]
    low = below[-2] if len(below) > 1 else DURATION_TICKS[0]
    high = min((t for t in DURATION_TICKS if t >= max(values, default=60)), default=DURATION_TICKS[-1])
    high = max(high, low * 10)
    left, right = PAD + 6, width - PAD - 6

    def x_of(minutes: float) -> float:
        clamped = min(max(minutes, low), high)
        return left + (right - left) * (math.log(clamped) - math.log(low)) / (math.log(high) - math.log(low))

    y = PAD
    for row in rows:
        words = drawing.text(PAD, y + ASCENT, wrap(_row_words(row), width - 2 * PAD), "value")
        y += words.height + 4
        if row.median is not None and row.count:
            median_x = max(x_of(row.median), left + 2)
            drawing.box(left, y, median_x - left, BAR_HEIGHT, BAR_COLOUR, "bar", title=_row_words(row))
            if row.p90 is not None and x_of(row.p90) > median_x:
                middle = y + BAR_HEIGHT / 2
                drawing.line(median_x, middle, x_of(row.p90), middle, "whisker")
                drawing.line(x_of(row.p90), y + 1, x_of(row.p90), y + BAR_HEIGHT - 1, "whisker")
            y += BAR_HEIGHT
        y += 12
    axis_y = y
    drawing.line(left, axis_y, right, axis_y, "axis")
    shown: list[Span] = []
    for tick in (t for t in DURATION_TICKS if low <= t <= high):
        tick_label = _tick_words(tick)
        w = text_width(tick_label)
        x = x_of(tick)
        start = min(max(x - w / 2, PAD), width - PAD - w)
        span = Span(start, start + w, x)
        if shown and span.start < shown[-1].end + 10:
            continue  # ticks too close on a narrow chart: every other one is dropped
        shown.append(span)
        drawing.line(x, axis_y, x, axis_y + 4, "tick")
        drawing.text(span.start, axis_y + 8 + ASCENT, [tick_label], "axis")
    note = wrap("Logarithmic scale: each step is a multiple. Bar: median; line: p90.", width - 2 * PAD)
    last = drawing.text(PAD, axis_y + 8 + ASCENT + LINE_HEIGHT + 6, note, "legend")
    drawing.height = round(last.y + LINE_HEIGHT * (len(last.lines) - 1) + DESCENT + PAD, 1)
    return drawing


def count_chart(title: str, data: Sequence[tuple[str, int]]) -> Chart:
    """Counts as vertical bars on a linear scale (counts add up, unlike durations); a label under a bar and its
    value over it only where there is room for them (the page's table has every one)."""
    drawings = [_count_drawing(data, width) for width in WIDTHS.values()]
    description = "; ".join(f"{name} {value}" for name, value in data)
    return _render("bars.svg.j2", drawings, title=title, description=description)


def _count_drawing(data: Sequence[tuple[str, int]], width: float) -> Drawing:
    drawing = Drawing(width)
    plot_top, plot_height = PAD + LINE_HEIGHT + 4, 160.0  # room over the tallest bar for its value
    left, right = PAD + 30, width - PAD
    slot = (right - left) / max(len(data), 1)
    peak = max((value for _, value in data), default=0) or 1
    baseline = plot_top + plot_height
    drawing.line(left, baseline, right, baseline, "axis")
    for value in sorted({0, peak}):
        y = baseline - plot_height * value / peak
        drawing.line(left - 4, y, left, y, "tick")
        drawing.text(left - 6, y + ASCENT / 2 - 1, [str(value)], "axis", anchor="end")
    label_width = max((text_width(name) for name, _ in data), default=0.0) + 8
    every = max(1, math.ceil(label_width / slot))  # label one month in `every`
    for index, (name, value) in enumerate(data):
        x = left + slot * index + slot * 0.15
        height = plot_height * value / peak
        drawing.box(x, baseline - height, slot * 0.7, height, BAR_COLOUR, "bar", title=f"{name}: {value}")
        if text_width(str(value)) + 2 <= slot and value:
            drawing.text(x + slot * 0.35, baseline - height - 4, [str(value)], "value", anchor="middle")
        if index % every == 0 and left + slot * index + label_width <= width:
            drawing.text(left + slot * index, baseline + 8 + ASCENT, [name], "axis")
    drawing.height = round(baseline + 8 + ASCENT + DESCENT + PAD, 1)
    return drawing


# --- the uptime strip's days (templates/public/_uptime.md.j2) ------------------------------------------------------


def uptime_day_words(day: UptimeDay, language: str = ENGLISH) -> str:
    """What a day's detail says, in the tables' words: 14 October 2026: 21 minutes of downtime, partial outage."""
    return _day_words(day.day, day.level, day.downtime_minutes, day.maintenance_minutes, language)


@lru_cache(maxsize=4096)  # a report's services share their quiet days, and each day is in three months' reports
def _day_words(day: date, level: str, downtime: float, maintenance: float, language: str = ENGLISH) -> str:
    return day_words(day, level, downtime, maintenance, language)  # the sentences are the catalogue's (i18n.py)


def uptime_day_items(strip: UptimeStrip, incident_href: str, key: int | None, language: str = ENGLISH) -> Markup:
    """The strip's days as HTML list items, one a line, each focusable. A day with incidents holds its detail,
    with a link to each (`incident_href` + id + "/"), and is named by it (`aria-labelledby`), so its words are in
    the page once. Any other day is an empty element whose `aria-label` is its whole detail, drawn by the style
    sheet, and a run of such days that say the same but for their date is one element, `style="--days:n"`, drawn
    as n bars (templates/public/theme/assets/uptime.css): one focus stop rather than n, and most of a report's
    bytes saved. `key` (a number) tells the strip from the page's others: a detail's id is "u<key>.<n>", n its
    day's place in the strip, so ids are short and unique on a page whose strips have keys of their own (a heading's
    id never has a dot). Built here rather than in the template: a site with ten years of reports has hundreds of
    thousands of days, most of them alike."""
    if not isinstance(key, int):  # a template that forgot it would give two strips the same ids
        raise ValueError(f"an uptime strip needs a number, key=, to tell it from a page's other strips, not {key!r}")
    items, place = [], 0
    for run in uptime_runs(strip.days):
        items.append(_run_item(run, f"u{key}.{place}", incident_href, language))
        place += len(run)
    return Markup("\n".join(items))


ONE_DAY = timedelta(days=1)


def uptime_runs(days: Sequence[UptimeDay]) -> Iterator[Sequence[UptimeDay]]:
    """The strip's elements in order, as their days: a run of consecutive days of one level with no incidents,
    downtime or maintenance, else one day alone. Days with minutes are left alone even when alike: a run would
    say "under maintenance for 2 hours" of several days, which reads as 2 hours in all."""
    start, previous_key = 0, None
    for index, day in enumerate(days):
        # what a day must share with the day before to join its run: its level and its date less its position
        key = (
            None
            if day.incidents or day.downtime_minutes or day.maintenance_minutes
            else (day.level, day.day - index * ONE_DAY)
        )
        if index and (key is None or key != previous_key):
            yield days[start:index]
            start = index
        previous_key = key
    if days:
        yield days[start:]


def _run_item(run: Sequence[UptimeDay], detail_id: str, incident_href: str, language: str) -> str:
    if len(run) == 1:
        return _day_item(run[0], detail_id, incident_href, language)
    return _quiet_run_item(run[0].day, run[-1].day, len(run), run[0].level, language)


def _day_item(day: UptimeDay, detail_id: str, incident_href: str, language: str) -> str:
    """A day alone. With incidents, its accessible name is its detail (a hidden element can name another): the
    sentence, then the heading and the incidents' names, as the detail shows them."""
    if not day.incidents:
        return _quiet_item(day.day, day.level, day.downtime_minutes, day.maintenance_minutes, language)
    said = uptime_day_words(day, language)
    heading = incidents_heading(len(day.incidents), language)
    links = "; ".join(
        f'<a href="{escape(incident_href + quote(i.id, safe="") + "/")}">{html_text(i.name)}</a>' for i in day.incidents
    )
    return (
        f'<li data-level="{escape(day.level)}" tabindex="0" aria-labelledby="{detail_id}">'
        f'<span class="ikb-uptime-detail" id="{detail_id}">{html_text(said)}<br>{heading} {links}</span></li>'
    )


@lru_cache(maxsize=8192)
def _quiet_item(day: date, level: str, downtime: float, maintenance: float, language: str) -> str:
    said = html_text(_day_words(day, level, downtime, maintenance, language))
    return f'<li{_level_attribute(level)} tabindex="0" aria-label="{said}"></li>'


@lru_cache(maxsize=4096)  # a run inside a 90-day window is in the three months' reports that show it
def _quiet_run_item(first: date, last: date, count: int, level: str, language: str) -> str:
    said = html_text(days_words(first, last, level, 0.0, 0.0, language))
    return f'<li{_level_attribute(level)} style="--days:{count}" tabindex="0" aria-label="{said}"></li>'


def _level_attribute(level: str) -> str:
    # An operational day, the commonest, has no data-level: the style sheet's default colour is operational's.
    return "" if level == OPERATIONAL else f' data-level="{escape(level)}"'
