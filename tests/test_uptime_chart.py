"""The 90-day uptime strips of the monthly reports (templates/public/_uptime.md.j2), as Chromium shows them.

The knowledge base is small and every expectation is worked out here from the records' windows, without the
generator's availability code: each local day's worst level (maintenance left out; maintenance alone is "under
maintenance"), and each strip's availability as a brute-force sweep over the windows with the weights below.
The reports are in Europe/Berlin, so days begin at 22:00 or 23:00 UTC and 25 October 2026 lasts 25 hours; the
weights are not the defaults (degraded performance counts), so a wrong weight shows.

api, as the records say (local times):

* 3 August 00:00-00:45 major outage: the October strip's first day.
* 10 September 22:00 to 13 September 02:00 partial outage, with 5 minutes of major outage on 11 September inside
  it: four days of partial outage, the middle one major (the old chart drew all four red: "over 30 minutes").
* 1 October an hour of degraded performance; 2 October planned maintenance alone; 5 October planned maintenance
  with half an hour of partial outage inside it (maintenance does not hide an outage).
* 14 October: a partial outage with a hostile title and an hour of degraded performance: two incident links.
* 25 October (25 hours long): an hour of major outage; 31 October 23:40 to 1 November 00:20 major outage.
* 10 November from 07:00, ongoing at the cut-off (12:00 UTC): partial outage.

web has no impact at all.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from html import unescape
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from support import (
    assert_ok,
    chromium_browser,
    incident,
    make_kb,
    run_cli,
    serve,
    service_record,
    update,
    window,
)

from generator.analyze.availability import DayFigure, MeasuredWindow, Weights, daily_downtime
from generator.analyze.uptime import day_level, recent_strip, strip_days_ending, uptime_strip
from generator.render.markdown import markdown_environment

AS_OF = "2026-11-10T12:00:00Z"
CUTOFF = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
ZONE = ZoneInfo("Europe/Berlin")
WEIGHT = {"major_outage": 1.0, "partial_outage": 0.5, "degraded_performance": 0.1}
RANK = {"degraded_performance": 1, "partial_outage": 2, "major_outage": 3}  # worse is higher
SETTINGS = f"""\
report:
  timezone: {ZONE.key}
  weights:
    major_outage: {WEIGHT["major_outage"]}
    partial_outage: {WEIGHT["partial_outage"]}
    degraded_performance: {WEIGHT["degraded_performance"]}
public:
  site_name: Acme status
  site_url: https://status.acme.example/
  company: Acme
"""
HOSTILE = 'Checkout "slow" <b>bold</b> a | b {{ 7*7 }}'
LEGEND = [
    "major outage",
    "partial outage",
    "degraded performance",
    "under maintenance",
    "operational",
]  # in this order, as the tables word them; "not measured yet" only where a day is


@dataclass(frozen=True)
class Record:
    number: int
    title: str
    level: str
    start: str
    end: str | None
    kind: str = "incident"

    @property
    def id(self) -> str:
        return f"INC-2026-{self.number}"

    def span(self) -> tuple[datetime, datetime]:
        end = datetime.fromisoformat(self.end) if self.end else CUTOFF
        return datetime.fromisoformat(self.start), min(end, CUTOFF)


API = [
    Record(301, "API first day", "major_outage", "2026-08-02T22:00:00Z", "2026-08-02T22:45:00Z"),
    Record(302, "API partial for days", "partial_outage", "2026-09-10T20:00:00Z", "2026-09-13T00:00:00Z"),
    Record(303, "API major inside", "major_outage", "2026-09-11T10:00:00Z", "2026-09-11T10:05:00Z"),
    Record(304, "API slow", "degraded_performance", "2026-10-01T08:00:00Z", "2026-10-01T09:00:00Z"),
    Record(305, "Database upgrade", "major_outage", "2026-10-02T00:00:00Z", "2026-10-02T02:00:00Z", "maintenance"),
    Record(306, "Cache upgrade", "major_outage", "2026-10-05T01:00:00Z", "2026-10-05T03:00:00Z", "maintenance"),
    Record(307, "API errors during the upgrade", "partial_outage", "2026-10-05T02:00:00Z", "2026-10-05T02:30:00Z"),
    Record(308, HOSTILE, "partial_outage", "2026-10-14T09:00:00Z", "2026-10-14T09:30:00Z"),
    Record(309, "API second", "degraded_performance", "2026-10-14T12:00:00Z", "2026-10-14T13:00:00Z"),
    Record(310, "API at the clock change", "major_outage", "2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z"),
    Record(311, "API at midnight", "major_outage", "2026-10-31T22:40:00Z", "2026-10-31T23:20:00Z"),
    Record(312, "API ongoing", "partial_outage", "2026-11-10T06:00:00Z", None),
]
SERVICES = {"api": "API", "web": "Website"}


def records_of(service: str) -> list[Record]:
    return API if service == "api" else []


# --- the expectations, worked out from the records ----------------------------------------------------------------


def local_day(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=ZONE).astimezone(UTC)
    following = day + timedelta(days=1)
    return start, datetime(following.year, following.month, following.day, tzinfo=ZONE).astimezone(UTC)


def overlaps(span: tuple[datetime, datetime], start: datetime, end: datetime) -> bool:
    return min(span[1], end) > max(span[0], start)


def expected_level(service: str, day: date) -> str:
    """The day's level in the words of the tables: the worst impact level of the incidents (not maintenance) in
    force that day, else under maintenance, else operational; not measured yet after the cut-off."""
    start, end = local_day(day)
    end = min(end, CUTOFF)
    if end <= start:
        return "not measured yet"
    levels = [r.level for r in records_of(service) if r.kind != "maintenance" and overlaps(r.span(), start, end)]
    if levels:
        return max(levels, key=RANK.__getitem__).replace("_", " ")
    if any(r.kind == "maintenance" and overlaps(r.span(), start, end) for r in records_of(service)):
        return "under maintenance"
    return "operational"


def expected_incidents(service: str, day: date) -> list[Record]:
    start, end = local_day(day)
    return [r for r in records_of(service) if r.kind != "maintenance" and overlaps(r.span(), start, min(end, CUTOFF))]


def expected_availability(service: str, first: date, last: date) -> float:
    """Brute force: cut the period at every window edge; each piece counts at the highest weight in force."""
    start, end = local_day(first)[0], min(local_day(last)[1], CUTOFF)
    spans = [(*r.span(), WEIGHT[r.level]) for r in records_of(service) if r.kind != "maintenance"]
    edges = sorted({start, end} | {t for s, e, _ in spans for t in (s, e) if start < t < end})
    down = 0.0
    for a, b in pairwise(edges):
        weight = max((w for s, e, w in spans if s <= a and b <= e), default=0.0)
        down += weight * (b - a).total_seconds()
    return 1 - down / (end - start).total_seconds()


def strip_days(last: date) -> list[date]:
    return [last - timedelta(days=89 - i) for i in range(90)]


def day_words(day: date) -> str:
    return f"{day.day} {day.strftime('%B')} {day.year}"


# --- the sites ----------------------------------------------------------------------------------------------------


def record_data(r: Record, service: str = "api") -> dict[str, Any]:
    if r.end is None:
        return incident(
            r.id,
            r.title,
            r.start,
            [window(service, r.level, r.start)],
            status="investigating",
            updates=[update(r.start, "investigating", "We are looking into errors.")],
        )
    return incident(r.id, r.title, r.start, [window(service, r.level, r.start, r.end)], kind=r.kind)


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("uptime")
    root = make_kb(
        base / "kb",
        [record_data(r) for r in API],
        [service_record(sid, name, 0.999) for sid, name in SERVICES.items()],
    )
    (root / "incidentkb.yml").write_text(SETTINGS, encoding="utf-8")
    built = {}
    for name, extra in (("public", ["--public"]), ("internal", [])):
        out = base / f"{name}-site"
        assert_ok(run_cli("build", *extra, "--site-dir", out, "--as-of", AS_OF, root=root, timeout=300))
        built[name] = out
    return built


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium_browser() as instance:
        yield instance


@pytest.fixture(scope="module")
def public(sites: dict[str, Path]) -> Iterator[str]:
    with serve(sites["public"]) as origin:
        yield origin


def open_page(browser: Any, url: str, width: int = 1200, height: int = 900) -> Any:
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url, wait_until="load")
    return page


# --- reading pixels -------------------------------------------------------------------------------------------------


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and the RGB(A) rows of a non-interlaced 8-bit PNG (what Chromium's screenshots are)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks, header = 8, [], b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    step = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * step
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - step] if i >= step else 0
            up, corner = previous[i], previous[i - step] if i >= step else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append(bytes(line[j] for k in range(0, stride, step) for j in range(k, k + 3)))
        previous = line
    return width, height, rows


def pixel(rows: list[bytes], x: float, y: float) -> str:
    row = rows[int(y)]
    return "#" + row[int(x) * 3 : int(x) * 3 + 3].hex()


GEOMETRY = """strip => {
  const box = e => { const r = e.getBoundingClientRect(); return {x: r.x, y: r.y, w: r.width, h: r.height}; };
  return {
    box: box(strip),
    name: strip.querySelector(".ikb-uptime-days").getAttribute("aria-label"),
    summary: strip.querySelector(".ikb-uptime-summary").innerText,
    days: Array.from(strip.querySelectorAll(".ikb-uptime-days > li"), li => ({
      label: li.getAttribute("aria-label"), box: box(li), focusable: li.tabIndex === 0})),
    legend: Array.from(strip.querySelectorAll(".ikb-uptime-legend > li"), li => ({
      words: li.innerText.trim(), box: box(li.querySelector(".ikb-uptime-swatch"))})),
  };
}"""


def read_strips(page: Any) -> dict[str, dict[str, Any]]:
    """Each strip on the page by service name: its days (the aria-label and the colour Chromium painted in the
    middle of the bar), its legend (words and the painted colour of each swatch) and its summary."""
    strips = {}
    for strip in page.locator(".ikb-uptime").all():
        strip.scroll_into_view_if_needed()
        shown = strip.evaluate(GEOMETRY)
        _, _, rows = png_pixels(strip.screenshot(animations="disabled", scale="css"))
        origin = shown["box"]

        def colour(box: dict[str, float], origin: dict[str, float] = origin, rows: list[bytes] = rows) -> str:
            return pixel(rows, box["x"] - origin["x"] + box["w"] / 2, box["y"] - origin["y"] + box["h"] / 2)

        name = re.match(r"Uptime of (.+), one bar a day", shown["name"])
        assert name, shown["name"]
        strips[name.group(1)] = {
            "summary": shown["summary"],
            "days": [(d["label"], colour(d["box"]), d["focusable"]) for d in shown["days"]],
            "legend": [(item["words"], colour(item["box"])) for item in shown["legend"]],
        }
    return strips


# --- colours ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("month", "last"), [("2026-10", date(2026, 10, 31)), ("2026-11", date(2026, 11, 10))])
def test_every_day_is_painted_in_the_colour_of_its_worst_level(
    browser: Any, public: str, month: str, last: date
) -> None:
    """Chromium's pixels: the middle of each day's bar has the colour the legend gives that day's worst level, as
    worked out from the records; every colour used is in the legend, and the legend's colours differ."""
    page = open_page(browser, f"{public}reports/{month}/")
    try:
        strips = read_strips(page)
    finally:
        page.close()
    assert sorted(strips) == sorted(SERVICES.values())
    for service, name in SERVICES.items():
        strip = strips[name]
        legend = dict(strip["legend"])
        assert [words for words, _ in strip["legend"]] == LEGEND
        assert len(set(legend.values())) == len(legend), f"two levels share a colour: {legend}"
        by_colour = {colour: words for words, colour in legend.items()}
        days = strip_days(last)
        assert [label.split(":")[0] for label, _, _ in strip["days"]] == [day_words(d) for d in days]
        assert all(focusable for _, _, focusable in strip["days"])
        unnamed = {colour for _, colour, _ in strip["days"]} - set(by_colour)
        assert not unnamed, f"{name}: colours the legend does not name: {unnamed}"
        painted = [by_colour[colour] for _, colour, _ in strip["days"]]
        expected = [expected_level(service, d) for d in days]
        assert painted == expected, "\n".join(
            f"{d}: painted {p}, expected {e}" for d, p, e in zip(days, painted, expected, strict=True) if p != e
        )
    # what the old chart got wrong, and the days that must not be confused
    api = dict(zip(strip_days(last), (colour for _, colour, _ in strips["API"]["days"]), strict=True))
    if month == "2026-10":
        assert api[date(2026, 9, 10)] == dict(strips["API"]["legend"])["partial outage"]
        assert api[date(2026, 9, 11)] == dict(strips["API"]["legend"])["major outage"]
        assert api[date(2026, 10, 5)] == dict(strips["API"]["legend"])["partial outage"]


def test_the_words_of_each_day_follow_its_level(browser: Any, public: str) -> None:
    """Each day's label says its date, its downtime and its level in the tables' words, and the incidents."""
    page = open_page(browser, f"{public}reports/2026-10/")
    try:
        labels = page.eval_on_selector_all(
            ".ikb-uptime-days[aria-label^='Uptime of API,'] > li",
            "items => items.map(i => i.getAttribute('aria-label'))",
        )
    finally:
        page.close()
    days = strip_days(date(2026, 10, 31))
    october = (local_day(date(2026, 10, 1))[0], local_day(date(2026, 10, 31))[1])
    for day, label in zip(days, labels, strict=True):
        level = expected_level("api", day)
        assert label.startswith(f"{day_words(day)}: "), label
        assert f", {level}" in label, (day, label)
        for r in expected_incidents("api", day):
            # a report knows the titles of its month's incidents; an earlier one is named by its id
            assert (r.title if overlaps(r.span(), *october) else r.id) in label, (day, label)
    by_day = dict(zip(days, labels, strict=True))
    assert by_day[date(2026, 8, 4)] == "4 August 2026: no downtime, operational."
    assert by_day[date(2026, 10, 2)] == "2 October 2026: no downtime, under maintenance for 2 hours."
    # 25 October has 25 hours: its hour of major outage is 60 minutes, whatever the clock said
    assert by_day[date(2026, 10, 25)].startswith("25 October 2026: 1 hour of downtime, major outage.")
    # 30 minutes of partial outage (0.5) and an hour of degraded performance (0.1): 15 + 6 weighted minutes
    assert by_day[date(2026, 10, 14)] == (
        f"14 October 2026: 21 minutes of downtime, partial outage. Incidents: {HOSTILE}; API second."
    )


# --- the 90-day percentage --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("month", "last"), [("2026-10", date(2026, 10, 31)), ("2026-11", date(2026, 11, 10))])
def test_each_percentage_is_the_availability_of_the_days_shown(
    browser: Any, public: str, month: str, last: date
) -> None:
    page = open_page(browser, f"{public}reports/{month}/")
    try:
        strips = read_strips(page)
    finally:
        page.close()
    for service, name in SERVICES.items():
        figure = expected_availability(service, strip_days(last)[0], last)
        summary = strips[name]["summary"]
        assert summary.startswith(f"{figure * 100:.3f}% available over these 90 days"), (summary, figure)
        assert "weighted as in the table above" in summary


def windows_of(service: str) -> list[MeasuredWindow]:
    return [
        MeasuredWindow(
            service,
            r.level,
            datetime.fromisoformat(r.start),
            datetime.fromisoformat(r.end) if r.end else None,
            r.id,
            maintenance=r.kind == "maintenance",
        )
        for r in records_of(service)
    ]


WEIGHTS = Weights(**WEIGHT)


@pytest.mark.parametrize(
    "cutoff",
    [
        datetime(2026, 10, 31, 23, 0, tzinfo=UTC),  # local midnight: the strip ends on 31 October
        CUTOFF,  # during the ongoing partial outage, on a day measured for 13 of its 24 hours
        datetime(2026, 9, 11, 10, 3, tzinfo=UTC),  # inside the nested major outage
    ],
)
def test_the_strips_availability_is_the_availability_math_over_its_days(cutoff: datetime) -> None:
    """recent_strip (the home page's entry point) against the brute force, to the last float digits."""
    strip = recent_strip("api", windows_of("api") + windows_of("web"), cutoff, tz=ZONE, weights=WEIGHTS)
    first, count = strip_days_ending(cutoff, ZONE)
    last = first + timedelta(days=count - 1)
    assert [d.day for d in strip.days] == [first + timedelta(days=i) for i in range(90)]
    assert last == (cutoff - timedelta(microseconds=1)).astimezone(ZONE).date()
    start, end = local_day(first)[0], min(local_day(last)[1], cutoff)
    spans = [
        (
            datetime.fromisoformat(r.start),
            min(datetime.fromisoformat(r.end) if r.end else cutoff, cutoff),
            WEIGHT[r.level],
        )
        for r in API
        if r.kind != "maintenance"
    ]
    edges = sorted({start, end} | {t for s, e, _ in spans for t in (s, e) if start < t < end})
    down = sum(
        max((w for s, e, w in spans if s <= a and b <= e), default=0.0) * (b - a).total_seconds()
        for a, b in pairwise(edges)
    )
    assert strip.availability == pytest.approx(1 - down / (end - start).total_seconds(), abs=1e-12)
    assert strip.measured_minutes == pytest.approx((end - start).total_seconds() / 60, abs=1e-9)


def test_a_day_is_its_worst_level_then_maintenance_then_operational() -> None:
    def figure(worst: str | None, maintenance: float = 0.0, length: float = 1440.0) -> DayFigure:
        return DayFigure(date(2026, 10, 1), 0.0, worst, maintenance, length, ())

    assert day_level(figure("degraded_performance", maintenance=60)) == "degraded_performance"
    assert day_level(figure(None, maintenance=60)) == "under_maintenance"
    assert day_level(figure(None)) == "operational"
    assert day_level(figure("major_outage", length=0)) == "not_measured_yet"


# --- the macro on its own: days after the cut-off, escaping --------------------------------------------------------


def render_strip(figures: list[DayFigure], incidents: dict[str, str], base: str = "../history/") -> str:
    template = markdown_environment().from_string(
        '{% from "public/_uptime.md.j2" import strip %}{{ strip(uptime_strip(days, weights, titles), base) | safe }}'
    )
    return template.render(days=figures, weights=WEIGHTS, titles=incidents, base=base)


def test_days_after_the_cut_off_are_not_measured_yet_and_the_legend_says_so() -> None:
    figures = daily_downtime(
        "api", windows_of("api"), date(2026, 11, 1), 30, cutoff=CUTOFF, tz=ZONE, weights=WEIGHTS
    )  # November, to its end: measured to the 10th at noon
    html = render_strip(figures, {})
    levels = [m or "operational" for m in re.findall(r'<li(?: data-level="([a-z_]+)")? tabindex', html)]
    assert levels[10:] == ["not_measured_yet"] * 20
    assert levels[9] == "partial_outage"  # the cut-off day, as far as it is measured
    assert 'aria-label="11 November 2026: not measured yet."' in html
    legend = re.findall(r'<span class="ikb-uptime-swatch" data-level="[a-z_]+"></span>([a-z ]+)</li>', html)
    assert legend == [*LEGEND, "not measured yet"]
    strip = uptime_strip(figures, WEIGHTS)
    assert strip.availability == pytest.approx(
        1 - strip.downtime_minutes / strip.measured_minutes
    ) and strip.measured_minutes == pytest.approx((CUTOFF - local_day(date(2026, 11, 1))[0]).total_seconds() / 60)


def test_record_text_in_the_strip_is_escaped_for_html_and_leaves_markdown_nothing_to_do() -> None:
    figures = daily_downtime("api", windows_of("api"), date(2026, 10, 14), 1, cutoff=CUTOFF, tz=ZONE, weights=WEIGHTS)
    html = render_strip(figures, {"INC-2026-308": HOSTILE})
    assert "<b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "a | b" not in html and "a &#124; b" in html  # no table pipe in the Markdown source
    assert "&quot;slow&quot;" in html and "&#123;&#123; 7&#42;7 &#125;&#125;" in html  # never template source
    assert f">{HOSTILE}</a>" in unescape(html)  # the same text, to a browser
    assert "\\" not in html  # a backslash escape would show inside an HTML block
    assert '<a href="../../history/INC-2026-308/">' in html  # the built page's address (directory URLs)
    assert ">INC-2026-309</a>" in html  # a title not passed: the id


def test_the_home_page_entry_point_ends_at_the_cut_off_and_links_from_the_site_root() -> None:
    """What the home page calls: recent_strip for the 90 days ending with the cut-off's day, then the macro with
    from_index (index.md is served at the site's root, so its links are one folder shallower than a report's)."""
    strip = recent_strip(
        "api", windows_of("api"), CUTOFF, tz=ZONE, weights=WEIGHTS, incidents={"INC-2026-312": "Ongoing"}
    )
    assert strip.last_day == date(2026, 11, 10) and strip.first_day == date(2026, 8, 13)
    html = (
        markdown_environment()
        .from_string(
            '{% from "public/_uptime.md.j2" import strip %}'
            '{{ strip(s, "history/", name="API", from_index=true) | safe }}'
        )
        .render(s=strip)
    )
    assert html.startswith('<div class="ikb-uptime"') and "\n\n" not in html.strip()  # one HTML block
    assert '<a href="history/INC-2026-312/">Ongoing</a>' in html
    assert "(downtime weighted by level: major outage 1.0, partial outage 0.5, degraded performance 0.1;" in html


# --- keyboard, pointer and a phone ------------------------------------------------------------------------------


def test_the_keyboard_reaches_every_day_and_the_links_in_its_detail(browser: Any, public: str) -> None:
    """Tab from the strip's first day: every day in order, and after a day with incidents, its links (its detail
    is shown while it has the focus); the detail of 14 October says the date, the minutes, the level and both
    incidents, and Enter on a link opens the incident's history."""
    page = open_page(browser, f"{public}reports/2026-10/")
    try:
        days = page.locator(".ikb-uptime-days[aria-label^='Uptime of API,'] > li")
        days.first.focus()
        visited = []
        for _ in range(200):
            visited.append(
                page.evaluate(
                    "() => { const e = document.activeElement;"
                    " return e.tagName === 'A' ? 'link ' + e.getAttribute('href') : e.getAttribute('aria-label'); }"
                )
            )
            if visited[-1].startswith("14 October 2026"):
                break
            page.keyboard.press("Tab")
        expected = []
        for day in strip_days(date(2026, 10, 31)):
            expected.append(day_words(day))
            if day == date(2026, 10, 14):
                break
            expected += [f"link ../../history/{r.id}/" for r in expected_incidents("api", day)]
        assert [v if v.startswith("link ") else v.split(":")[0] for v in visited] == expected

        october_14 = days.nth(strip_days(date(2026, 10, 31)).index(date(2026, 10, 14)))
        detail = october_14.locator(".ikb-uptime-detail")
        assert detail.is_visible()
        text = detail.inner_text()
        assert text.splitlines() == [
            "14 October 2026: 21 minutes of downtime, partial outage.",
            f"Incidents: {HOSTILE}; API second",
        ]
        links = detail.locator("a")
        assert links.count() == 2 and detail.locator("b").count() == 0
        assert [links.nth(i).inner_text() for i in range(2)] == [HOSTILE, "API second"]
        assert page.locator(".ikb-uptime-detail:visible").count() == 1  # only the focused day's

        page.keyboard.press("Tab")  # into the detail: the first link, the detail still shown
        assert page.evaluate("document.activeElement.textContent") == HOSTILE
        assert detail.is_visible()
        page.keyboard.press("Enter")
        page.wait_for_url("**/history/INC-2026-308/")
        assert HOSTILE in page.locator("h1").first.inner_text()
    finally:
        page.close()


def test_pointing_at_a_day_shows_its_detail(browser: Any, public: str) -> None:
    page = open_page(browser, f"{public}reports/2026-10/")
    try:
        days = page.locator(".ikb-uptime-days[aria-label^='Uptime of API,'] > li")
        quiet = days.nth(1)  # 4 August: no incident, its detail is its label, drawn by the style sheet
        shown = "el => { const s = getComputedStyle(el, '::before'); return [s.display, s.content]; }"
        assert quiet.evaluate(shown)[0] == "none"
        quiet.hover()
        assert quiet.evaluate(shown) == ["block", '"4 August 2026: no downtime, operational."']
        with_incident = days.first  # 3 August
        detail = with_incident.locator(".ikb-uptime-detail")
        assert not detail.is_visible()
        with_incident.hover()
        assert detail.is_visible()
        assert detail.inner_text().splitlines() == [
            "3 August 2026: 45 minutes of downtime, major outage.",
            "Incident: INC-2026-301",  # an August incident: the October report knows its id, not its title
        ]
        detail.locator("a").hover()  # the pointer can go down to the link without losing the detail
        assert detail.is_visible()
    finally:
        page.close()


PHONE_CHECK = """() => {
  const px = e => parseFloat(getComputedStyle(e).fontSize);
  const strips = Array.from(document.querySelectorAll(".ikb-uptime"));
  const texts = strips.flatMap(s => Array.from(s.querySelectorAll(
      ".ikb-uptime-summary, .ikb-uptime-axis span, .ikb-uptime-legend li")));
  return {
    page: [document.documentElement.scrollWidth, window.innerWidth],
    strips: strips.map(s => [s.scrollWidth, s.clientWidth, s.getBoundingClientRect().right]),
    lists: strips.map(s => { const o = s.querySelector(".ikb-uptime-days"); return [o.scrollWidth, o.clientWidth]; }),
    bars: strips.flatMap(s => Array.from(s.querySelectorAll(".ikb-uptime-days > li"),
        li => li.getBoundingClientRect().width)),
    smallest: Math.min(...texts.map(px)),
    legendRows: strips.map(s => new Set(Array.from(s.querySelectorAll(".ikb-uptime-legend li"),
        li => Math.round(li.getBoundingClientRect().top))).size),
  };
}"""


def test_on_a_phone_the_strip_fits_and_its_text_is_readable(browser: Any, public: str) -> None:
    page = open_page(browser, f"{public}reports/2026-10/", width=390, height=844)
    try:
        before = page.evaluate(PHONE_CHECK)
        day = page.locator(".ikb-uptime-days[aria-label^='Uptime of API,'] > li").first
        day.focus()
        detail = day.locator(".ikb-uptime-detail")
        assert detail.is_visible()
        detail_px = float(detail.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
        detail_box = detail.bounding_box()
        quiet = page.locator(".ikb-uptime-days[aria-label^='Uptime of API,'] > li").nth(1)
        quiet.focus()
        quiet_px = float(quiet.evaluate("e => parseFloat(getComputedStyle(e, '::before').fontSize)"))
        after = page.evaluate(PHONE_CHECK)
    finally:
        page.close()
    for state in (before, after):
        assert state["page"][0] <= state["page"][1], f"the page scrolls sideways: {state['page']}"
        for scroll, client, right in state["strips"]:
            assert scroll <= client and right <= 390, state["strips"]
        assert all(scroll <= client for scroll, client in state["lists"]), state["lists"]
    assert len(before["bars"]) == 2 * 90 and min(before["bars"]) >= 2.5, min(before["bars"])
    assert before["smallest"] >= 12 and detail_px >= 12 and quiet_px >= 12, (before["smallest"], detail_px, quiet_px)
    assert max(before["legendRows"]) > 1  # the legend wraps rather than overflowing
    assert detail_box is not None and detail_box["x"] >= 0 and detail_box["x"] + detail_box["width"] <= 390


# --- both sites ship the style sheet ----------------------------------------------------------------------------


@pytest.mark.parametrize("site", ["public", "internal"])
def test_both_sites_ship_the_style_sheet_and_show_the_strips(browser: Any, sites: dict[str, Path], site: str) -> None:
    assert (sites[site] / "assets" / "uptime.css").is_file()
    with serve(sites[site]) as origin:
        page = open_page(browser, f"{origin}reports/2026-10/")
        try:
            styled = page.evaluate(
                "() => Array.from(document.querySelectorAll('.ikb-uptime-days'),"
                " o => [getComputedStyle(o).display, o.children.length])"
            )
            link = page.locator(".ikb-uptime-days > li .ikb-uptime-detail a").first.get_attribute("href")
            assert link is not None
            page.goto(f"{origin}reports/2026-10/{link}")
            heading = page.locator("h1").first.inner_text()
        finally:
            page.close()
    assert styled == [["flex", 90], ["flex", 90]]
    assert "INC-2026-301" in heading or "API first day" in heading  # the link reaches the incident's page
