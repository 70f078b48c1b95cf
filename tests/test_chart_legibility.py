"""The charts can be read (issue 19): built from records made here, shown in headless Chromium at a 1280 px and a
390 px window, every chart's text is measured where the browser draws it. No two labels overlap, text is at least
12 px, every impact window is wide enough to see, no fishbone label crosses a bone, and the metrics charts say how
many incidents each figure comes from and give a p90 only from enough of them.

A chart is one SVG file holding a wide and a narrow layout, each named by an SVG <view> (`X.svg#wide`,
`X.svg#narrow`), and the page shows one of them by a <picture>. The page cannot reach an image's text, so the test
reads which view the <img> shows (its currentSrc's fragment) and its drawn size, opens the file, and measures every
<text> of that view's layout with getBBox (in the layout's own units), then scales by drawn width / view width.
Every check runs on both layouts; measure_chart also checks that each view shows exactly its own layout: a view
per layout, at the layout's origin, its layout's drawing inside it, the views apart, nothing drawn outside a
layout.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support import assert_ok, build, chromium_browser, make_kb, page_path, serve, service, sev1_incident

from generator.analyze.metrics import P90_MIN_INCIDENTS
from generator.analyze.postmortems import Factor
from generator.model import freeze, incident_from
from generator.render import charts

WIDTHS = (1280, 390)
MIN_FONT_PX = 12.0
MIN_BAND_PX = 24.0
T0 = datetime(2026, 10, 14, 9, 0, tzinfo=UTC)

LONG_CAUSES = [
    ("people", "The on-call engineer had been paged four times that night and missed the first checkout alert."),
    ("process", "Configuration changes skipped the canary: https://wiki.example/runbooks/checkout/canary-policy."),
    ("tools", "The deploy dashboard showed the rollout as healthy because it only sampled the EU-west pods."),
    ("process", "Nobody owned the payments_gateway.connection_pool.max_size setting after the team split."),
    ("inputs", "Carts with more than twenty items overflowed the serializer buffer."),
    ("measurement", "The 5xx alert averaged over fifteen minutes, so a sharp spike took eleven minutes to page."),
]


def _at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _incident(
    number: int, severity: str, day: int, phases: dict[str, float], windows: list[tuple[str, float, float]]
) -> dict[str, Any]:
    """A resolved incident from sev1_incident(): its phases and impact windows in minutes after T0 + `day` days."""
    record = copy.deepcopy(sev1_incident())
    offset = day * 24 * 60
    record.update(id=f"INC-2026-{number:03d}", severity=severity, title=f"Checkout incident {number}")
    for key, minutes in phases.items():
        record[key] = _at(offset + minutes)
    record["impact"] = [
        {"service": s, "level": "partial_outage", "start": _at(offset + a), "end": _at(offset + b)}
        for s, a, b in windows
    ]
    end = offset + phases["resolved_at"]
    start = offset + phases["started_at"]
    record["changes"][0]["at"] = _at(start - 5)
    record["defect_age"]["introduced_at"] = _at(start - 5)
    for action in record["containment"]:
        action["applied_at"] = _at(start + 1)
        action["removed_at"] = None
    record["fix"]["deployed_at"] = _at(end - 1)
    record["verification"]["verified_at"] = _at(end)
    record["timeline"] = [{"at": _at(start), "event": "It started."}, {"at": _at(end), "event": "Resolved."}]
    record["updates"] = [
        {"at": _at(start + 2), "status": "investigating", "message": "Checkout is failing."},
        {"at": _at(end), "status": "resolved", "message": "Checkout works again."},
    ]
    record["postmortem"].update(created=_at(end + 60)[:10], reviewed=_at(end + 60)[:10], finalised=_at(end + 60)[:10])
    return record


PHASES = ("started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at")


def _phases(*minutes: float) -> dict[str, float]:
    return dict(zip(PHASES, minutes, strict=True))


# (a) a 20-minute impact resolved three days later
LONG_TAIL = _incident(101, "SEV1", 0, _phases(0, 3, 5, 20, 3 * 24 * 60), [("api", 0, 20), ("web", 2, 18)])
# (b) every phase minutes apart
CROWDED = _incident(102, "SEV2", 1, _phases(0, 1, 2, 4, 6), [("api", 0, 4), ("web", 1, 5)])
# (c) a fishbone with causes of 60 to 120 characters
FISHBONE = _incident(103, "SEV2", 2, _phases(0, 4, 6, 30, 90), [("api", 0, 30)])
FISHBONE["contributing_factors"] = [{"category": c, "description": d} for c, d in LONG_CAUSES]
# (d) one 803-minute SEV4 among short ones, and one severity with enough incidents for a p90
OUTLIER = _incident(104, "SEV4", 3, _phases(0, 10, 12, 803, 810), [("api", 0, 803)])
ENOUGH = [
    _incident(110 + n, "SEV3", 4 + n, _phases(0, 2, 3, 10 + 3 * n, 60), [("web", 0, 10 + 3 * n)])
    for n in range(P90_MIN_INCIDENTS)
]
RECORDS = [LONG_TAIL, CROWDED, FISHBONE, OUTLIER, *ENOUGH]
assert all(60 <= len(d) <= 120 for _, d in LONG_CAUSES)


@dataclass
class Shown:
    """One chart as a page shows it: the file and view (its fragment), drawn size, and what that view's layout
    holds (in its own units)."""

    page: str
    viewport: int
    src: str
    drawn_width: float
    drawn_height: float
    svg: dict[str, Any]

    @property
    def view(self) -> str:
        return self.src.rpartition("#")[2]

    @property
    def scale(self) -> float:
        return self.drawn_width / self.svg["width"]

    @property
    def name(self) -> str:
        return f"{self.src.rsplit('/', 1)[-1]} on {self.page} at {self.viewport} px"


# Every layout of a chart file: the views (the root's <view> children) and the layouts (its <g> children), in
# order; what each layout draws, in the layout's own units (getBBox is in an element's user space, which for
# everything inside a <g transform> is the group's).
MEASURE = """() => {
  const svg = document.querySelector('svg');
  const box = (b) => ({x: b.x, y: b.y, w: b.width, h: b.height});
  // a text's lines: its own first line, then one <tspan> each
  const lines = (t) => [...t.childNodes].map(n => n.textContent);
  // each path is lines of one kind, "M x1 y1 L x2 y2" a line, "M x1 y1 H x2" a level one, "M x1 y1 V y2" upright
  const segments = (p) => [...p.getAttribute('d').matchAll(
      /M([-\\d.]+) ([-\\d.]+)(?:L([-\\d.]+) ([-\\d.]+)|H([-\\d.]+)|V([-\\d.]+))/g)]
    .map(m => ({kind: p.getAttribute('class'), x1: +m[1], y1: +m[2],
      x2: m[3] !== undefined ? +m[3] : m[5] !== undefined ? +m[5] : +m[1],
      y2: m[4] !== undefined ? +m[4] : m[6] !== undefined ? +m[6] : +m[2]}));
  // and nothing else: a path the pattern does not read whole would leave lines unchecked
  const unread = [...svg.querySelectorAll('path')].filter(p => p.getAttribute('d').replace(
      /M[-\\d.]+ [-\\d.]+(?:L[-\\d.]+ [-\\d.]+|H[-\\d.]+|V[-\\d.]+)/g, '') !== '').length;
  const children = (name) => [...svg.children].filter(e => e.localName === name);
  const groups = children('g');
  const shift = (g) => {
    const m = g.transform.baseVal.consolidate();
    return m ? {dx: m.matrix.e, dy: m.matrix.f, a: m.matrix.a, d: m.matrix.d} : {dx: 0, dy: 0, a: 1, d: 1};
  };
  return {
    root: {width: svg.getAttribute('width'), height: svg.getAttribute('height'), viewBox: svg.getAttribute('viewBox')},
    stray: [...svg.querySelectorAll('text, rect, path')].filter(e => !groups.some(g => g.contains(e))).length,
    unread,
    views: children('view').map(v => ({name: v.id, x: v.viewBox.baseVal.x, y: v.viewBox.baseVal.y,
      width: v.viewBox.baseVal.width, height: v.viewBox.baseVal.height})),
    layouts: groups.map(g => ({...shift(g), extent: box(g.getBBox()),
      texts: [...g.querySelectorAll('text')].map(t => ({
        text: t.textContent, lines: lines(t), kind: t.getAttribute('class'),
        size: parseFloat(getComputedStyle(t).fontSize), ...box(t.getBBox())})),
      lines: [...g.querySelectorAll('path')].flatMap(segments),
      rects: [...g.querySelectorAll('rect')].map(r => ({kind: r.getAttribute('class'), fill: r.getAttribute('fill'),
        ...box(r.getBBox())})),
    })),
  };
}"""


def view_problems(measured: dict[str, Any]) -> list[str]:
    """What keeps a view from showing exactly its own layout: the root sized (then a view would not decide what an
    image shows), a layout without its view or off its view's origin, a drawing outside its view, two views that
    overlap (one would show part of the other), anything drawn outside every layout."""
    problems = [f"the root <svg> has {k}={v!r}" for k, v in measured["root"].items() if v is not None]
    views, layouts = measured["views"], measured["layouts"]
    if [v["name"] for v in views] != list(charts.WIDTHS) or len(layouts) != len(views):
        problems.append(
            f"views {[v['name'] for v in views]} for {len(layouts)} layouts, not one per {list(charts.WIDTHS)}"
        )
    for view, layout in zip(views, layouts, strict=False):
        if (layout["dx"], layout["dy"], layout["a"], layout["d"]) != (view["x"], view["y"], 1, 1):
            problems.append(f"view {view['name']} at ({view['x']}, {view['y']}), its layout at {layout}")
        e = layout["extent"]
        if (
            e["x"] < -0.5
            or e["y"] < -0.5
            or e["x"] + e["w"] > view["width"] + 0.5
            or e["y"] + e["h"] > view["height"] + 0.5
        ):
            problems.append(f"the {view['name']} layout draws {e} outside its view {view}")
    for i, a in enumerate(views):
        for b in views[i + 1 :]:
            if (
                a["x"] < b["x"] + b["width"]
                and b["x"] < a["x"] + a["width"]
                and a["y"] < b["y"] + b["height"]
                and b["y"] < a["y"] + a["height"]
            ):
                problems.append(f"views {a['name']} and {b['name']} overlap")
    if measured["stray"]:
        problems.append(f"{measured['stray']} parts drawn outside every layout")
    if measured["unread"]:
        problems.append(f"{measured['unread']} paths hold more than the lines the test reads")
    return problems


def overlaps(texts: list[dict[str, Any]], slack: float = 0.5) -> list[str]:
    """Every pair of text boxes that share more than `slack` units both ways."""
    found = []
    for i, a in enumerate(texts):
        for b in texts[i + 1 :]:
            dx = min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"])
            dy = min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"])
            if dx > slack and dy > slack:
                found.append(f"{a['text']!r} and {b['text']!r}")
    return found


def crossings(texts: list[dict[str, Any]], lines: list[dict[str, Any]], kinds: set[str]) -> list[str]:
    """Every text box that a line of one of `kinds` passes through (sampled every half unit)."""
    found = []
    for line in (ln for ln in lines if ln["kind"] in kinds):
        length = max(abs(line["x2"] - line["x1"]), abs(line["y2"] - line["y1"]), 1)
        points = [
            (
                line["x1"] + (line["x2"] - line["x1"]) * k / (2 * length),
                line["y1"] + (line["y2"] - line["y1"]) * k / (2 * length),
            )
            for k in range(int(2 * length) + 1)
        ]
        for t in texts:
            if any(
                t["x"] + 0.5 < x < t["x"] + t["w"] - 0.5 and t["y"] + 0.5 < y < t["y"] + t["h"] - 0.5 for x, y in points
            ):
                found.append(f"a {line['kind']} line crosses {t['text']!r}")
    return found


def measure_chart(context: Any, markup_or_url: str) -> dict[str, dict[str, Any]]:
    """A chart file's layouts by view name, each with its view's width and height and what it draws, after
    checking that every view shows exactly its layout (view_problems)."""
    page = context.new_page()
    try:
        if markup_or_url.startswith("http"):
            page.goto(markup_or_url.partition("#")[0])
        else:
            page.set_content(markup_or_url)
        measured = page.evaluate(MEASURE)
    finally:
        page.close()
    problems = view_problems(measured)
    assert not problems, f"{markup_or_url[:120]}:\n" + "\n".join(problems)
    return {
        view["name"]: {"width": view["width"], "height": view["height"], **layout}
        for view, layout in zip(measured["views"], measured["layouts"], strict=True)
    }


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("legibility")
    root = make_kb(base / "kb", RECORDS, [service("api"), service("web"), service("db")])
    site = base / "site"
    assert_ok(build(root, site))
    return site


def _shown_charts(context: Any, base: str, page_name: str, viewport: int, files: dict[str, Any]) -> list[Shown]:
    """The charts of a page as a window `viewport` px wide shows them; `files` keeps each file's measures."""
    page = context.new_page()
    page.set_viewport_size({"width": viewport, "height": 900})
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url) if "/assets/charts/" in request.url else None)
    page.goto(base + page_name + "/")
    shown = []
    images = page.query_selector_all("article img")
    for img in images:
        img.scroll_into_view_if_needed()
        page.wait_for_function("i => i.complete && i.naturalWidth > 0", arg=img)
        src = img.evaluate("i => i.currentSrc")
        file = src.partition("#")[0]
        if file not in files:
            files[file] = measure_chart(context, file)
        box = img.bounding_box()
        shown.append(Shown(page_name, viewport, src, box["width"], box["height"], files[file][src.partition("#")[2]]))
    page.close()
    # one file a chart, fetched once whatever the view it shows
    assert sorted(fetched) == sorted({s.src.partition("#")[0] for s in shown}), (page_name, viewport, fetched)
    return shown


@pytest.fixture(scope="module")
def context() -> Iterator[Any]:
    """One browser for the module: Playwright's sync API cannot run two at once."""
    with chromium_browser() as browser:
        context = browser.new_context()
        yield context
        context.close()


@pytest.fixture(scope="module")
def charts_shown(site: Path, context: Any) -> list[Shown]:
    pages = [f"incidents/{r['id']}" for r in (LONG_TAIL, CROWDED, FISHBONE)] + ["metrics"]
    for name in pages:
        assert page_path(site, name).is_file(), name
    files: dict[str, Any] = {}
    with serve(site) as base:
        return [s for name in pages for viewport in WIDTHS for s in _shown_charts(context, base, name, viewport, files)]


def test_each_page_shows_its_charts_at_the_width_that_fits(charts_shown: list[Shown]) -> None:
    found: dict[tuple[str, int], list[Shown]] = {}
    for s in charts_shown:
        found.setdefault((s.page, s.viewport), []).append(s)
    for (page, viewport), shown in found.items():
        expected = "narrow" if viewport < 720 else "wide"
        assert all(s.view == expected for s in shown), (page, viewport, [s.src for s in shown])
    assert len(found[("incidents/INC-2026-103", 1280)]) == 2  # the timeline and the fishbone
    assert len(found[("metrics", 390)]) == 3  # detect, mitigate, per month
    # the same files at both widths: one file a chart, holding both layouts
    for page in {s.page for s in charts_shown}:
        assert [s.src.partition("#")[0] for s in found[(page, 1280)]] == [
            s.src.partition("#")[0] for s in found[(page, 390)]
        ]
    for s in charts_shown:
        assert s.drawn_width >= 0.95 * s.svg["width"], f"{s.name} is drawn at {s.drawn_width:.0f} px, shrunk"
        # the image has its view's shape, so it shows that view's layout whole and unstretched
        assert abs(s.drawn_height - s.drawn_width * s.svg["height"] / s.svg["width"]) < 1, (
            f"{s.name}: drawn {s.drawn_width:.0f} x {s.drawn_height:.0f}, view {s.svg['width']} x {s.svg['height']}"
        )


def test_no_two_labels_overlap(charts_shown: list[Shown]) -> None:
    problems = [f"{s.name}: {pair}" for s in charts_shown for pair in overlaps(s.svg["texts"])]
    assert not problems, "\n".join(problems)
    assert sum(len(s.svg["texts"]) for s in charts_shown) > 100  # there was text to check


def test_text_is_at_least_12_px_and_inside_its_chart(charts_shown: list[Shown]) -> None:
    problems = []
    for s in charts_shown:
        for t in s.svg["texts"]:
            if t["size"] * s.scale < MIN_FONT_PX:
                problems.append(f"{s.name}: {t['text']!r} is {t['size'] * s.scale:.1f} px")
            if t["x"] < -0.5 or t["x"] + t["w"] > s.svg["width"] + 0.5 or t["y"] + t["h"] > s.svg["height"] + 0.5:
                problems.append(f"{s.name}: {t['text']!r} runs out of the chart")
    assert not problems, "\n".join(problems)


def test_every_impact_window_is_wide_enough_to_see(charts_shown: list[Shown]) -> None:
    bands = [(s, r) for s in charts_shown for r in s.svg["rects"] if r["kind"] == "band"]
    assert len(bands) == (2 + 2 + 1) * 2  # two windows on two incidents, one on the third, in two layouts
    thin = [f"{s.name}: a window {r['w'] * s.scale:.1f} px wide" for s, r in bands if r["w"] * s.scale < MIN_BAND_PX]
    assert not thin, "\n".join(thin)


def test_a_long_quiet_tail_is_cut_out_of_the_axis(charts_shown: list[Shown]) -> None:
    for s in (s for s in charts_shown if s.page == "incidents/INC-2026-101" and "timeline" in s.src):
        words = [t["text"] for t in s.svg["texts"]]
        assert any(w.endswith("later") and w.startswith("2 d 23 h") for w in words), words
        assert sum(1 for ln in s.svg["lines"] if ln["kind"] == "break") == 2
        band = next(r for r in s.svg["rects"] if r["kind"] == "band")
        assert band["w"] > s.svg["width"] / 3, (
            f"{s.name}: the 20-minute window is {band['w']:.0f} of {s.svg['width']:.0f}"
        )
        # Started and Mitigated are both shown, apart
        assert {"Started", "Mitigated"} <= {t["lines"][0].split(" ")[0] for t in s.svg["texts"]}


def test_fishbone_labels_wrap_whole_and_cross_no_bone(charts_shown: list[Shown]) -> None:
    fishbones = [s for s in charts_shown if "fishbone" in s.src and s.page == f"incidents/{FISHBONE['id']}"]
    assert len(fishbones) == 2
    for s in fishbones:
        problems = crossings(s.svg["texts"], s.svg["lines"], {"bone", "spine", "rib"})
        assert not problems, f"{s.name}:\n" + "\n".join(problems)
        shown = [_compact(" ".join(t["lines"])) for t in s.svg["texts"] if t["kind"] == "factor"]
        for _, cause in LONG_CAUSES:  # wrapped, not cut: every character is there, in order
            assert _compact(cause) in shown, (cause, shown)
        assert any(len(t["lines"]) >= 3 for t in s.svg["texts"] if t["kind"] == "factor")


def _compact(text: str) -> str:
    """Text without spaces and hyphens, which wrapping adds or moves."""
    return "".join(text.split()).replace("-", "")


def test_metrics_say_how_many_incidents_and_give_p90_only_from_enough(site: Path, charts_shown: list[Shown]) -> None:
    mitigate = [s for s in charts_shown if "metrics-mitigate" in s.src]
    assert len(mitigate) == 2
    for s in mitigate:
        words = " ".join(" ".join(t["lines"]) for t in s.svg["texts"])
        assert "SEV4 (1 incident): median 13 h 23 min" in words, words
        assert f"p90: not enough incidents (1 of {P90_MIN_INCIDENTS})" in words, words
        assert f"SEV3 ({P90_MIN_INCIDENTS} incidents): median" in words and "p90 " in words.split("SEV3")[1], words
        bars = [r for r in s.svg["rects"] if r["kind"] == "bar"]
        assert len(bars) == 4 and min(b["w"] for b in bars) * s.scale >= 24, "a severity's bar is too thin to see"
        assert sum(1 for ln in s.svg["lines"] if ln["kind"] == "whisker") == 2  # the p90 line of SEV3 only
    table = page_path(site, "metrics").read_text(encoding="utf-8")
    assert "p90: not enough incidents (1)" in table
    assert f"({P90_MIN_INCIDENTS})" in table


# --- the checks can fail ------------------------------------------------------------------------------------------


def test_the_overlap_check_fails_on_labels_in_one_row(monkeypatch: pytest.MonkeyPatch, context: Any) -> None:
    """The old layout put the phase labels in fixed rows; drawn so, labels minutes apart overlap and the check says so."""
    incident = incident_from(freeze(CROWDED), "crowded")
    good = charts.phase_timeline(incident, T0 + timedelta(days=30))
    monkeypatch.setattr(charts, "staircase_rows", lambda spans, **_: [0] * len(spans))
    broken = charts.phase_timeline(incident, T0 + timedelta(days=30))
    assert good and broken
    for view, layout in measure_chart(context, good.svg).items():
        assert overlaps(layout["texts"]) == [], view
    for view, layout in measure_chart(context, broken.svg).items():
        assert overlaps(layout["texts"]), view


def test_the_bone_check_fails_on_unwrapped_labels(monkeypatch: pytest.MonkeyPatch, context: Any) -> None:
    incident = incident_from(freeze(FISHBONE), "fishbone")
    factors = [Factor(c, d) for c, d in LONG_CAUSES]
    monkeypatch.setattr(charts, "wrap", lambda text, width, **_: (text,))
    broken = charts.fishbone(incident, factors)
    assert broken
    with pytest.raises(AssertionError, match="outside its view"):  # unwrapped causes run out of the chart
        measure_chart(context, broken.svg)
    svg = _measure_unchecked(context, broken.svg)["wide"]
    assert crossings(svg["texts"], svg["lines"], {"bone", "spine", "rib"})
    assert overlaps(svg["texts"])


def test_the_view_check_fails_on_layouts_that_overlap(monkeypatch: pytest.MonkeyPatch, context: Any) -> None:
    """Layouts drawn closer than their heights: a view would show part of the next layout."""
    incident = incident_from(freeze(CROWDED), "crowded")
    good = charts.phase_timeline(incident, T0 + timedelta(days=30))
    monkeypatch.setattr(charts, "VIEW_GAP", -60)
    broken = charts.phase_timeline(incident, T0 + timedelta(days=30))
    assert good and broken
    assert set(measure_chart(context, good.svg)) == {"wide", "narrow"}
    with pytest.raises(AssertionError, match="views wide and narrow overlap"):
        measure_chart(context, broken.svg)


def _measure_unchecked(context: Any, markup: str) -> dict[str, dict[str, Any]]:
    page = context.new_page()
    try:
        page.set_content(markup)
        measured = page.evaluate(MEASURE)
    finally:
        page.close()
    return {v["name"]: {**v, **layout} for v, layout in zip(measured["views"], measured["layouts"], strict=True)}


# --- hard cases, drawn directly at both widths ----------------------------------------------------------------


def _hard_timelines() -> dict[str, dict[str, Any]]:
    same_minute = _incident(201, "SEV1", 0, _phases(0, 0, 0, 0, 1), [])
    same_minute["impact"] = [
        {"service": f"a-service-with-a-long-name-{n}", "level": "major_outage", "start": _at(0), "end": _at(1)}
        for n in range(4)
    ]
    many = _incident(202, "SEV2", 0, _phases(0, 7, 9, 2500, 2880), [])
    many["impact"] = [
        {"service": f"svc-{n % 4}", "level": level, "start": _at(start), "end": _at(start + length)}
        for n, (start, length, level) in enumerate(
            [
                (0, 3, "major_outage"),
                (2, 40, "partial_outage"),
                (45, 1, "degraded_performance"),
                (300, 15, "major_outage"),
            ]
            + [(600 + 180 * k, 5 + k, "partial_outage") for k in range(8)]
        )
    ]
    ongoing = _incident(203, "SEV2", 0, _phases(0, 2, 4, 6, 8), [("api", 0, 5)])
    ongoing.update(status="investigating", mitigated_at=None, resolved_at=None)
    ongoing["impact"].append({"service": "web", "level": None, "start": _at(3), "end": None})
    approximate = _incident(204, "SEV3", 0, _phases(0, 5, 6, 50, 55), [("api", 0, 50)])
    approximate["detected_at"] = {"about": _at(5)}
    one_moment = _incident(205, "SEV3", 0, _phases(0, 0, 0, 0, 0), [])
    return {
        "same minute": same_minute,
        "twelve windows": many,
        "ongoing": ongoing,
        "approximate": approximate,
        "one moment": one_moment,
    }


HARD_TIMELINES = _hard_timelines()


@pytest.mark.parametrize("case", HARD_TIMELINES)
def test_hard_timelines_stay_legible(case: str, context: Any) -> None:
    incident = incident_from(freeze(HARD_TIMELINES[case]), case)
    chart = charts.phase_timeline(incident, T0 + timedelta(days=3))
    assert chart is not None
    for view, svg in measure_chart(context, chart.svg).items():
        assert svg["texts"], f"{view}: nothing drawn"
        assert not overlaps(svg["texts"]), (view, overlaps(svg["texts"]))
        assert all(t["x"] >= -0.5 and t["x"] + t["w"] <= svg["width"] + 0.5 for t in svg["texts"]), (view, svg["texts"])
        bands = [r for r in svg["rects"] if r["kind"] and "band" in r["kind"]]
        assert len(bands) == len(incident.impact) and all(b["w"] >= MIN_BAND_PX for b in bands), view


def test_a_full_fishbone_stays_legible(context: Any) -> None:
    """Eight bones (the most drawn), three long causes on one, a 200-character cause and title, an unbroken URL."""
    incident = incident_from(freeze({**FISHBONE, "title": "A title that goes on " * 10}), "full")
    categories = ["people", "process", "tools", "inputs", "environment", "measurement", "vendor", "capacity"]
    factors = [Factor(c, LONG_CAUSES[n % len(LONG_CAUSES)][1]) for n, c in enumerate(categories)]
    factors += [Factor("process", "x" * 30 + "/" + "https://example.com/" + "a" * 60), Factor("tools", "word " * 40)]
    chart = charts.fishbone(incident, factors)
    assert chart is not None
    for view, svg in measure_chart(context, chart.svg).items():
        assert sum(1 for ln in svg["lines"] if ln["kind"] == "bone") >= 8, view
        assert not overlaps(svg["texts"]), (view, overlaps(svg["texts"]))
        assert not crossings(svg["texts"], svg["lines"], {"bone", "spine", "rib"}), view
        assert all(t["x"] >= -0.5 and t["x"] + t["w"] <= svg["width"] + 0.5 for t in svg["texts"]), view
