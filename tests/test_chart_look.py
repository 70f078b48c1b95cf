"""The charts as a reader sees them (issue 19): one file per chart, a page's <picture> naming the file and its
views; in the colour scheme the reader picks with the header's toggle (whatever the OS prefers) the charts are
light on dark or dark on light like the page, their text readable and the impact levels told apart; and every
chart of the metrics page has a heading that says what it shows.

The colours are read from screenshots of each chart as the page draws it in headless Chromium (filters included),
decoded by the browser: the background at a corner (the charts draw none of their own), the text at each label's
box (from the chart's own geometry, test_chart_legibility.measure_chart), each impact window at its middle.
"""

from __future__ import annotations

import base64
import copy
import html
import itertools
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from support import assert_ok, build, chromium_browser, make_kb, page_path, parse_html, serve, service, sev1_incident
from test_chart_legibility import measure_chart

from generator.render.charts import LEVEL_COLOURS

WINDOWS = {"api": "major_outage", "web": "partial_outage", "db": "degraded_performance"}
LAPTOP, PHONE = 1280, 390
MIN_TEXT_CONTRAST = 4.5  # WCAG AA for text
MIN_COLOUR_DIFFERENCE = 20.0  # CIE76 delta E: two colours a reader tells apart at a glance


def _record() -> dict[str, Any]:
    """A resolved SEV1 with a window at each impact level, one service each, and contributing factors."""
    record = copy.deepcopy(sev1_incident())
    record["services"] = list(WINDOWS)
    template = record["impact"][0]
    record["impact"] = [{**template, "service": name, "level": level} for name, level in WINDOWS.items()]
    for window in record["impact"]:
        window.pop("note", None)
    assert record["contributing_factors"], "the fishbone needs factors"
    return record


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("chart-look")
    root = make_kb(base / "kb", [_record()], [service(name) for name in WINDOWS])
    site = base / "site"
    assert_ok(build(root, site))
    return site


@pytest.fixture(scope="module")
def base_url(site: Path) -> Iterator[str]:
    with serve(site) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium_browser() as launched:
        yield launched


POSTMORTEM = f"incidents/{sev1_incident()['id']}"
PAGES = (POSTMORTEM, "metrics")


# --- one file per chart ----------------------------------------------------------------------------------


def _pictures(markup: str) -> list[list[Any]]:
    """The tags of each <picture> of a page, in order."""
    pictures: list[list[Any]] = []
    inside = False
    for tag in parse_html(markup).tags:
        if tag.name == "picture":
            pictures.append([])
            inside = True
        elif inside and tag.name in ("source", "img"):
            pictures[-1].append(tag)
            inside = tag.name != "img"  # the <img> is a <picture>'s last child
    return pictures


def test_each_chart_is_one_file_whose_views_the_page_names(site: Path) -> None:
    """Every <picture> of a page with charts: a <source> for phones and an <img>, both naming one file in
    assets/charts that exists, each by a fragment that is a <view> of that file, sized as that view; and no other
    chart files."""
    charts = site / "assets" / "charts"
    names = sorted(p.name for p in charts.iterdir())
    assert names and not [n for n in names if n.endswith("-narrow.svg")], names
    named = set()
    for name in PAGES:
        page = page_path(site, name)
        pictures = _pictures(page.read_text(encoding="utf-8"))
        assert len(pictures) == (2 if name == POSTMORTEM else 3), (name, pictures)
        for source, img in pictures:
            assert source.name == "source" and img.name == "img", (source, img)
            assert source.get("media") == "(max-width: 719px)" and "ikb-chart" in (img.get("class") or "").split()
            files = set()
            for tag, url, view in ((source, source.get("srcset"), "narrow"), (img, img.get("src"), "wide")):
                assert url and not urlsplit(url).scheme, url
                target = (page.parent / unquote(urlsplit(url).path)).resolve()
                assert target.is_file() and target.parent == charts.resolve(), f"{name}: {url} -> {target}"
                assert urlsplit(url).fragment == view, url
                box = re.search(rf'<view id="{view}" viewBox="0 (\d+) ([\d.]+) (\d+)"/>', target.read_text("utf-8"))
                assert box, f"{target.name} has no view {view}"
                assert (tag.get("width"), tag.get("height")) == (box[2], box[3]), (url, tag.attrs, box[0])
                files.add(target.name)
            assert len(files) == 1, f"{name}: the <source> and <img> of a <picture> name two files: {files}"
            named |= files
    assert named == set(names), f"chart files no page shows, or missing: {set(names) ^ named}"


# --- the reader's colour scheme --------------------------------------------------------------------------

# The palette toggle's options (mkdocs.yml), by their media queries; the toggle goes automatic -> light -> dark.
CHOSEN = {"light": "(prefers-color-scheme: light)", "dark": "(prefers-color-scheme: dark)"}

# Colours from a PNG (base64) that the browser decodes: the background (a pixel in a corner, which no chart draws
# on), for each box the pixel that differs most from the background in luminance (a label's ink), and the pixel
# at each point.
PIXELS = """async ([data, boxes, points]) => {
  const image = new Image();
  image.src = 'data:image/png;base64,' + data;
  await image.decode();
  const canvas = new OffscreenCanvas(image.width, image.height);
  const context = canvas.getContext('2d');
  context.drawImage(image, 0, 0);
  const px = context.getImageData(0, 0, image.width, image.height).data;
  const at = (x, y) => { const i = (y * image.width + x) * 4; return [px[i], px[i + 1], px[i + 2]]; };
  const luma = ([r, g, b]) => 0.2126 * r + 0.7152 * g + 0.0722 * b;
  const background = at(1, 1);
  const ink = boxes.map(([x0, y0, x1, y1]) => {
    let best = background;
    for (let y = Math.max(0, Math.floor(y0)); y < Math.min(image.height, Math.ceil(y1)); y++)
      for (let x = Math.max(0, Math.floor(x0)); x < Math.min(image.width, Math.ceil(x1)); x++)
        if (Math.abs(luma(at(x, y)) - luma(background)) > Math.abs(luma(best) - luma(background))) best = at(x, y);
    return best;
  });
  return {background, ink, points: points.map(([x, y]) => at(Math.round(x), Math.round(y))), size: [image.width, image.height]};
}"""


def luminance(rgb: tuple[int, ...] | list[int]) -> float:
    """WCAG relative luminance of an sRGB colour (0-255 channels)."""

    def linear(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(c) for c in rgb[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(a: Any, b: Any) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def colour_difference(a: Any, b: Any) -> float:
    """CIE76 delta E between two sRGB colours (through CIE Lab, D65)."""

    def lab(rgb: Any) -> tuple[float, float, float]:
        def linear(c: float) -> float:
            c /= 255
            return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

        r, g, b = (linear(c) for c in rgb[:3])
        x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
        y = 0.2126 * r + 0.7152 * g + 0.0722 * b
        z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

        def f(t: float) -> float:
            return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

        return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))

    return math.dist(lab(a), lab(b))


def open_in_scheme(browser: Any, base_url: str, path: str, width: int, scheme: str) -> Any:
    """The page in a window `width` px wide, the scheme picked with the header's toggle while the OS prefers the
    other one: the charts must follow the reader's choice, not the OS."""
    os_prefers = "light" if scheme == "dark" else "dark"
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=os_prefers)
    page = context.new_page()
    page.goto(base_url + path + "/", wait_until="load")
    for _ in range(3):
        if page.evaluate("() => document.body.getAttribute('data-md-color-media')") == CHOSEN[scheme]:
            break
        before = page.evaluate("() => document.body.getAttribute('data-md-color-media')")
        page.locator("form[data-md-component=palette] label:visible").click()
        page.wait_for_function(f"() => document.body.getAttribute('data-md-color-media') !== {before!r}")
    state = page.evaluate(
        "() => [document.body.getAttribute('data-md-color-media'), document.body.getAttribute('data-md-color-scheme')]"
    )
    assert state == [CHOSEN[scheme], "slate" if scheme == "dark" else "default"], state
    return page


def chart_colours(page: Any, files: dict[str, Any]) -> list[dict[str, Any]]:
    """Each chart of the page as drawn: its name, background, the ink of each label and each window's colour by
    impact level."""
    found = []
    for img in page.query_selector_all("article img.ikb-chart"):
        img.scroll_into_view_if_needed()
        page.wait_for_function("i => i.complete && i.naturalWidth > 0", arg=img)
        src = img.evaluate("i => i.currentSrc")
        file, _, view = src.partition("#")
        if file not in files:
            files[file] = measure_chart(page.context, file)
        layout = files[file][view]
        box = img.bounding_box()
        scale = box["width"] / layout["width"]
        shot = base64.b64encode(img.screenshot(animations="disabled")).decode()
        texts = [t for t in layout["texts"] if t["text"].strip()]
        bands = [r for r in layout["rects"] if r["kind"] and "band" in r["kind"]]
        pixels = page.evaluate(
            PIXELS,
            [
                shot,
                [[t["x"] * scale, t["y"] * scale, (t["x"] + t["w"]) * scale, (t["y"] + t["h"]) * scale] for t in texts],
                [[(r["x"] + r["w"] / 2) * scale, (r["y"] + r["h"] / 2) * scale] for r in bands],
            ],
        )
        levels = {colour: level for level, colour in LEVEL_COLOURS.items()}
        found.append(
            {
                "name": f"{src.rsplit('/', 1)[-1]} at {page.viewport_size['width']} px",
                "background": pixels["background"],
                "texts": [(t["text"], t["kind"] or "", ink) for t, ink in zip(texts, pixels["ink"], strict=True)],
                "levels": {
                    levels[r["fill"]]: colour
                    for r, colour in zip(bands, pixels["points"], strict=True)
                    if r["fill"] in levels
                },
            }
        )
    return found


def scheme_problems(chart: dict[str, Any], scheme: str) -> list[str]:
    """What makes a chart unreadable in `scheme`: a background unlike the scheme's, text that is not light on dark
    (or dark on light) with AA contrast, impact levels too alike, or too like the background."""
    name, background = chart["name"], chart["background"]
    problems = []
    dark_background = luminance(background) < 0.05
    if dark_background != (scheme == "dark"):
        problems.append(f"{name}: the background {background} is not {scheme}")
    for text, _, ink in chart["texts"]:
        if (luminance(ink) > luminance(background)) != (scheme == "dark"):
            problems.append(f"{name}: {text!r} is {ink}, not {'light' if scheme == 'dark' else 'dark'} on {background}")
        elif contrast(ink, background) < MIN_TEXT_CONTRAST:
            problems.append(f"{name}: {text!r} is {ink} on {background}, contrast {contrast(ink, background):.1f}")
    for (a, ca), (b, cb) in itertools.combinations(chart["levels"].items(), 2):
        if colour_difference(ca, cb) < MIN_COLOUR_DIFFERENCE:
            problems.append(f"{name}: {a} {ca} and {b} {cb} are too alike (delta E {colour_difference(ca, cb):.0f})")
    for level, colour in chart["levels"].items():
        if colour_difference(colour, background) < MIN_COLOUR_DIFFERENCE:
            problems.append(f"{name}: {level} {colour} is too like the background {background}")
    return problems


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_charts_follow_the_scheme_the_reader_picks(browser: Any, base_url: str, scheme: str) -> None:
    files: dict[str, Any] = {}
    charts = []
    for path, width in itertools.product(PAGES, (LAPTOP, PHONE)):
        page = open_in_scheme(browser, base_url, path, width, scheme)
        charts += chart_colours(page, files)
        page.context.close()
    assert len(charts) == 2 * (2 + 3), [c["name"] for c in charts]  # both widths: a post-mortem's 2, metrics' 3
    assert sum(len(c["texts"]) for c in charts) > 50
    timelines = [c for c in charts if "timeline" in c["name"]]
    assert timelines and all(set(c["levels"]) == set(WINDOWS.values()) for c in timelines), timelines
    problems = [p for c in charts for p in scheme_problems(c, scheme)]
    assert not problems, f"{len(problems)} problems in the {scheme} scheme:\n" + "\n".join(problems)


def test_without_the_dark_rule_the_charts_are_dark_on_dark(browser: Any, base_url: str) -> None:
    """The check above can fail: with the site's dark rule for charts switched off, the charts' dark text lies on
    the dark page: nearly every label is reported (not those drawn in a white outline, a halo, nor the fishbone's
    effect on its light head: the check then finds the outline or the head, light on dark)."""
    page = open_in_scheme(browser, base_url, POSTMORTEM, LAPTOP, "dark")
    page.add_style_tag(content=".md-typeset img.ikb-chart { filter: none !important; }")
    charts = chart_colours(page, {})
    page.context.close()
    problems = [p for c in charts for p in scheme_problems(c, "dark")]
    plain = [f"{c['name']}: {text!r}" for c in charts for text, kind, _ in c["texts"] if "halo" not in kind]
    assert len(plain) > 10
    reported = [label for label in plain if any(p.startswith(label + " is ") for p in problems)]
    assert len(reported) >= 0.9 * len(plain), problems


# --- what each metrics chart shows -----------------------------------------------------------------------


def test_every_metrics_chart_has_a_heading_that_says_what_it_shows(site: Path) -> None:
    """The heading just before each chart of the metrics page is the chart's own title (the SVG's <title>), and
    no two charts share one: time to detect and time to mitigate each have theirs."""
    page = page_path(site, "metrics")
    markup = re.sub(r"<a [^>]*headerlink[^>]*>.*?</a>", "", page.read_text(encoding="utf-8"))  # the permalink mark
    headings_and_charts: list[tuple[str | None, str]] = []
    heading = None
    for match in re.finditer(r"<h([1-6])[^>]*>(.*?)</h\1>|<img [^>]*>", markup, re.S):
        if match[0].startswith("<h"):
            heading = html.unescape(re.sub(r"<[^>]+>", "", match[2])).strip()
        elif "ikb-chart" in match[0]:
            src = re.search(r"src=\"?([^\" >]+)", match[0])
            assert src, match[0]
            svg = (page.parent / unquote(urlsplit(src[1]).path)).resolve().read_text(encoding="utf-8")
            title = re.search(r"<title id=\"t\">(.*?)</title>", svg)
            assert title, src[1]
            headings_and_charts.append((heading, html.unescape(title[1])))
    assert len(headings_and_charts) == 3, headings_and_charts
    for heading, title in headings_and_charts:
        assert heading == title, f"the chart {title!r} is under the heading {heading!r}"
    headings = [h for h, _ in headings_and_charts]
    assert len(set(headings)) == len(headings), headings
    assert {"Time to detect by severity", "Time to mitigate by severity"} <= set(headings), headings
