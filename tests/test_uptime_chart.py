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
from collections import Counter
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
    build,
    chromium_browser,
    copy_kb,
    incident,
    make_kb,
    run_cli,
    serve,
    service_record,
    update,
    window,
)

from generator.analyze.availability import DayFigure, MeasuredWindow, Weights, daily_downtime
from generator.analyze.uptime import (
    StripIncident,
    UptimeDay,
    UptimeStrip,
    day_level,
    recent_strip,
    strip_days_ending,
    uptime_strip,
)
from generator.render.charts import uptime_day_items, uptime_day_words, uptime_runs
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


def has_maintenance(service: str, day: date) -> bool:
    start, end = local_day(day)
    return any(r.kind == "maintenance" and overlaps(r.span(), start, min(end, CUTOFF)) for r in records_of(service))


def expected_elements(service: str, days: list[date]) -> list[tuple[date, date]]:
    """The strip's elements as (first day, last day), worked out from the records: a day with incidents or
    maintenance alone; consecutive days with neither and one level (operational, or not measured yet) one
    element."""
    elements: list[tuple[date, date]] = []
    for day in days:
        quiet = not expected_incidents(service, day) and not has_maintenance(service, day)
        if elements and quiet and elements[-1][1] == day - timedelta(days=1):
            previous = elements[-1][1]
            previous_quiet = not expected_incidents(service, previous) and not has_maintenance(service, previous)
            if previous_quiet and expected_level(service, previous) == expected_level(service, day):
                elements[-1] = (elements[-1][0], day)
                continue
        elements.append((day, day))
    return elements


def element_words(first: date, last: date) -> str:
    return day_words(first) if first == last else f"{day_words(first)} to {day_words(last)}"


def label_days(label: str) -> tuple[date, date]:
    """The first and last day an element's label names: "4 August 2026: ..." or "4 August 2026 to 9 September
    2026: ..."."""
    named = label.split(":")[0].split(" to ")
    assert len(named) in (1, 2), label
    first, last = (datetime.strptime(words, "%d %B %Y").date() for words in (named[0], named[-1]))
    assert first <= last, label
    return first, last


def days_of(label: str) -> list[date]:
    first, last = label_days(label)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


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


# --- what a screen reader reads -------------------------------------------------------------------------------------


def _ax_name(cdp: Any, node: dict[str, Any]) -> str:
    """The name Chromium's accessibility tree gives one DOM node (CDP Accessibility.getPartialAXTree): what a
    screen reader announces for it. An ignored node has none."""
    found = cdp.send("Accessibility.getPartialAXTree", {**node, "fetchRelatives": False})["nodes"][0]
    return "" if found.get("ignored") else str(found.get("name", {}).get("value", ""))


def accessible_names(page: Any, selector: str) -> list[str]:
    """The accessible name of each element `selector` matches, in document order, from Chromium's tree."""
    cdp = page.context.new_cdp_session(page)
    try:
        root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        nodes = cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": selector})["nodeIds"]
        return [_ax_name(cdp, {"nodeId": node}) for node in nodes]
    finally:
        cdp.detach()


def focused_name(page: Any) -> str:
    """The accessible name of the element that has the focus."""
    cdp = page.context.new_cdp_session(page)
    try:
        focused = cdp.send("Runtime.evaluate", {"expression": "document.activeElement"})["result"]["objectId"]
        return _ax_name(cdp, {"objectId": focused})
    finally:
        cdp.detach()


def markup_names(html: str) -> list[str]:
    """Each strip element's name as its markup gives it: its aria-label, else the text of the element its
    aria-labelledby names (a line break read as a space). The browser tests check Chromium reads the same."""
    names = []
    for item in re.findall(r"<li[^>]*>.*?</li>", html):
        label = re.match(r'<li[^>]* aria-label="([^"]*)"', item)
        if label:
            names.append(unescape(label.group(1)))
            continue
        named = re.match(r'<li[^>]* aria-labelledby="([^"]+)"', item)
        assert named, item
        detail = re.search(rf'<[a-z]+ [^>]*id="{re.escape(named.group(1))}"[^>]*>(.*?)</span></li>', item)
        assert detail, item
        names.append(unescape(re.sub(r"<[^>]+>", "", detail.group(1).replace("<br>", " "))))
    return names


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
  const list = strip.querySelector(".ikb-uptime-days");
  return {
    box: box(strip),
    name: list.getAttribute("aria-label"),
    gap: parseFloat(getComputedStyle(list).columnGap),
    summary: strip.querySelector(".ikb-uptime-summary").innerText,
    days: Array.from(list.children, li => ({
      box: box(li), focusable: li.tabIndex === 0,
      days: getComputedStyle(li).getPropertyValue("--days").trim()})),
    legend: Array.from(strip.querySelectorAll(".ikb-uptime-legend > li"), li => ({
      words: li.innerText.trim(), box: box(li.querySelector(".ikb-uptime-swatch"))})),
  };
}"""


def day_bars(element: dict[str, Any], gap: float) -> list[dict[str, float]]:
    """The box of each day's bar in a strip's element: an element of n days (as its label names them) is n bars
    of one width with a gap between each two (templates/public/theme/assets/uptime.css)."""
    box, count = element["box"], len(days_of(element["label"]))
    width = (box["w"] - (count - 1) * gap) / count
    return [{**box, "x": box["x"] + i * (width + gap), "w": width} for i in range(count)]


def read_strips(page: Any) -> dict[str, dict[str, Any]]:
    """Each strip on the page by service name: its days (the label of the element holding it, the colour Chromium
    painted in the middle of the day's bar, whether the element is focusable), its elements (label and --days),
    its legend (words and the painted colour of each swatch) and its summary. An element's label is its accessible
    name in Chromium's tree."""
    strips = {}
    names = iter(accessible_names(page, ".ikb-uptime-days > li"))
    for strip in page.locator(".ikb-uptime").all():
        strip.scroll_into_view_if_needed()
        shown = strip.evaluate(GEOMETRY)
        for element in shown["days"]:
            element["label"] = next(names)
        _, _, rows = png_pixels(strip.screenshot(animations="disabled", scale="css"))
        origin = shown["box"]

        def colour(box: dict[str, float], origin: dict[str, float] = origin, rows: list[bytes] = rows) -> str:
            return pixel(rows, box["x"] - origin["x"] + box["w"] / 2, box["y"] - origin["y"] + box["h"] / 2)

        name = re.match(r"Uptime of (.+), one bar a day", shown["name"])
        assert name, shown["name"]
        strips[name.group(1)] = {
            "summary": shown["summary"],
            "days": [
                (e["label"], colour(bar), e["focusable"]) for e in shown["days"] for bar in day_bars(e, shown["gap"])
            ],
            "elements": [(e["label"], e["days"]) for e in shown["days"]],
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
        assert [day for label, _ in strip["elements"] for day in days_of(label)] == days
        assert [label_days(label) for label, _ in strip["elements"]] == expected_elements(service, days)
        assert [int(count) for _, count in strip["elements"]] == [len(days_of(lb)) for lb, _ in strip["elements"]]
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
    """Each element's accessible name (in Chromium's tree: a quiet element's aria-label, an incident day's detail)
    says its date (a run's first and last), its downtime and its level in the tables' words, and the incidents;
    the days of a run all have its level and no incident."""
    page = open_page(browser, f"{public}reports/2026-10/")
    try:
        labels = accessible_names(page, ".ikb-uptime-days[aria-label^='Uptime of API,'] > li")
    finally:
        page.close()
    days = strip_days(date(2026, 10, 31))
    october = (local_day(date(2026, 10, 1))[0], local_day(date(2026, 10, 31))[1])
    by_day = {day: label for label in labels for day in days_of(label)}
    assert list(by_day) == days
    for day, label in by_day.items():
        level = expected_level("api", day)
        assert label.startswith(f"{element_words(*label_days(label))}: "), label
        assert f", {level}" in label, (day, label)
        for r in expected_incidents("api", day):
            # a report knows the titles of its month's incidents; an earlier one is named by its id
            assert (r.title if overlaps(r.span(), *october) else r.id) in label, (day, label)
        if len(days_of(label)) > 1:  # a run: quiet days of one level, saying so of the whole span
            assert not expected_incidents("api", day) and not has_maintenance("api", day), (day, label)
            assert label.endswith(f": no downtime, {level}."), label
    assert by_day[date(2026, 8, 4)] == "4 August 2026 to 9 September 2026: no downtime, operational."
    assert by_day[date(2026, 9, 9)] == by_day[date(2026, 8, 4)]
    assert by_day[date(2026, 8, 3)].startswith("3 August 2026: 45 minutes of downtime, major outage.")
    assert by_day[date(2026, 10, 2)] == "2 October 2026: no downtime, under maintenance for 2 hours."
    # 25 October has 25 hours: its hour of major outage is 60 minutes, whatever the clock said
    assert by_day[date(2026, 10, 25)].startswith("25 October 2026: 1 hour of downtime, major outage.")
    # 30 minutes of partial outage (0.5) and an hour of degraded performance (0.1): 15 + 6 weighted minutes
    # as the detail reads: no full stop after the last incident (the old aria-label had one)
    assert by_day[date(2026, 10, 14)] == (
        f"14 October 2026: 21 minutes of downtime, partial outage. Incidents: {HOSTILE}; API second"
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
        '{% from "public/_uptime.md.j2" import strip %}'
        "{{ strip(uptime_strip(days, weights, titles), base, key=1) | safe }}"
    )
    return template.render(days=figures, weights=WEIGHTS, titles=incidents, base=base)


def test_days_after_the_cut_off_are_not_measured_yet_and_the_legend_says_so() -> None:
    figures = daily_downtime(
        "api", windows_of("api"), date(2026, 11, 1), 30, cutoff=CUTOFF, tz=ZONE, weights=WEIGHTS
    )  # November, to its end: measured to the 10th at noon
    html = render_strip(figures, {})
    levels = [
        level or "operational"
        for level, count in re.findall(r'<li(?: data-level="([a-z_]+)")?(?: style="--days:(\d+)")? tabindex', html)
        for _ in range(int(count or 1))
    ]
    assert levels[10:] == ["not_measured_yet"] * 20
    assert levels[9] == "partial_outage"  # the cut-off day, as far as it is measured
    assert 'aria-label="11 November 2026 to 30 November 2026: not measured yet."' in html
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


def quiet(day: date, level: str = "operational", maintenance: float = 0.0) -> UptimeDay:
    return UptimeDay(day, level, 0.0, maintenance, 0.0 if level == "not_measured_yet" else 1440.0, ())


def test_a_run_of_alike_quiet_days_is_one_element_and_nothing_else_is() -> None:
    """uptime_day_items on days made here: consecutive days with no incident, downtime or maintenance and one
    level are one element naming its first and last day, `--days` their count; a level change, a day with an
    incident, a day with maintenance (even the same minutes as the next: "for 30 minutes" said of a span would
    read as 30 minutes in all) and a missing date each end a run; a lone quiet day is as it always was."""
    first = date(2024, 3, 1)
    on = [first + timedelta(days=i) for i in range(16)]
    outage = UptimeDay(on[5], "partial_outage", 12.0, 0.0, 1440.0, (StripIncident("INC-2024-001", "Slow"),))
    days = (
        *(quiet(d) for d in on[:3]),  # 1-3 March: a run
        quiet(on[3], "under_maintenance", 30.0),
        quiet(on[4], "under_maintenance", 30.0),  # the same words as the 4th but for the date: alone all the same
        outage,
        quiet(on[6]),  # a lone quiet day between two days that are not
        UptimeDay(on[7], "operational", 0.0, 0.0, 1440.0, (StripIncident("INC-2024-002", None),)),  # no downtime
        *(quiet(d) for d in on[8:11]),  # 9-11 March
        *(quiet(d, "not_measured_yet") for d in on[11:13]),  # 12-13 March: another level, another run
        quiet(on[14], "not_measured_yet"),  # the 15th: not the day after the 13th
        quiet(on[15], "not_measured_yet"),
    )
    strip = UptimeStrip(days, None, 0.0, 0.0, WEIGHTS)
    assert [(run[0].day, run[-1].day) for run in uptime_runs(days)] == [
        (on[0], on[2]),
        (on[3], on[3]),
        (on[4], on[4]),
        (on[5], on[5]),
        (on[6], on[6]),
        (on[7], on[7]),
        (on[8], on[10]),
        (on[11], on[12]),
        (on[14], on[15]),
    ]
    lines = str(uptime_day_items(strip, "../history/", 7)).splitlines()
    assert len(lines) == 9
    assert lines[0] == (
        '<li style="--days:3" tabindex="0" aria-label="1 March 2024 to 3 March 2024: no downtime, operational."></li>'
    )
    assert lines[1] == (
        '<li data-level="under_maintenance" tabindex="0"'
        ' aria-label="4 March 2024: no downtime, under maintenance for 30 minutes."></li>'
    )
    assert lines[2] == lines[1].replace("4 March", "5 March")
    # a day with incidents is named by its detail, whose id is the strip's key and the day's place in the strip
    assert lines[3] == (
        '<li data-level="partial_outage" tabindex="0" aria-labelledby="u7.5"><span class="ikb-uptime-detail"'
        ' id="u7.5">6 March 2024: 12 minutes of downtime, partial outage.<br>Incident:'
        ' <a href="../history/INC-2024-001/">Slow</a></span></li>'
    )
    assert lines[4] == '<li tabindex="0" aria-label="7 March 2024: no downtime, operational."></li>'
    assert lines[5].startswith('<li data-level="operational" tabindex="0" aria-labelledby="u7.7"><span')
    assert markup_names(lines[5]) == ["8 March 2024: no downtime, operational. Incident: INC-2024-002"]
    assert lines[6] == (
        '<li style="--days:3" tabindex="0" aria-label="9 March 2024 to 11 March 2024: no downtime, operational."></li>'
    )
    assert lines[7] == (
        '<li data-level="not_measured_yet" style="--days:2" tabindex="0"'
        ' aria-label="12 March 2024 to 13 March 2024: not measured yet."></li>'
    )
    assert 'aria-label="15 March 2024 to 16 March 2024: not measured yet."' in lines[8]
    # in German, the span in the catalogue's words ("%(first)s to %(last)s") within the day's sentence
    german = str(uptime_day_items(strip, "../history/", 7, language="de")).splitlines()
    assert 'aria-label="1. März 2024 bis 3. März 2024: keine Ausfallzeit, in Betrieb."' in german[0]
    assert 'aria-label="12. März 2024 bis 13. März 2024: noch nicht gemessen."' in german[7]
    assert 'aria-label="7. März 2024: keine Ausfallzeit, in Betrieb."' in german[4]
    assert markup_names(german[3]) == ["6. März 2024: 12 Minuten Ausfallzeit, Teilausfall. Störung: Slow"]


def test_the_elements_of_a_real_strip_cover_its_days_once_in_order() -> None:
    """Over the records' 90 days (recent_strip, as the home page calls it): the elements' day counts add up to
    90, each label names its element's first and last day, each element starts the day after the previous one
    ends, a run's days all say the same but for the date, and no day of a run has an incident."""
    strip = recent_strip("api", windows_of("api"), CUTOFF, tz=ZONE, weights=WEIGHTS)
    runs = list(uptime_runs(strip.days))
    labels = markup_names(str(uptime_day_items(strip, "history/", 1)))
    assert len(labels) == len(runs) < 90
    assert sum(len(run) for run in runs) == 90
    assert [day for run in runs for day in run] == list(strip.days)
    for run, label in zip(runs, labels, strict=True):
        assert label_days(label) == (run[0].day, run[-1].day)
        assert [d.day for d in run] == [run[0].day + timedelta(days=i) for i in range(len(run))]
        if len(run) > 1:
            assert all(not d.incidents and not d.downtime_minutes and not d.maintenance_minutes for d in run)
            assert len({uptime_day_words(d).split(": ", 1)[1] for d in run}) == 1, run
    for before, after in pairwise(runs):
        assert after[0].day == before[-1].day + timedelta(days=1)
        alike = {uptime_day_words(d).split(": ", 1)[1] for d in (before[-1], after[0])}
        mergeable = not any(d.incidents or d.maintenance_minutes for d in (before[-1], after[0]))
        assert len(alike) == 2 or not mergeable, (before[-1], after[0])  # a run is as long as it can be


def test_a_strip_without_a_key_is_refused() -> None:
    """Two strips on a page without keys of their own would give their details the same ids."""
    figures = daily_downtime("api", windows_of("api"), date(2026, 10, 14), 1, cutoff=CUTOFF, tz=ZONE, weights=WEIGHTS)
    template = markdown_environment().from_string(
        '{% from "public/_uptime.md.j2" import strip %}{{ strip(uptime_strip(days, weights), "x/") | safe }}'
    )
    with pytest.raises(ValueError, match="key="):
        template.render(days=figures, weights=WEIGHTS)


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
            '{{ strip(s, "history/", name="API", from_index=true, key=1) | safe }}'
        )
        .render(s=strip)
    )
    assert html.startswith('<div class="ikb-uptime"') and "\n\n" not in html.strip()  # one HTML block
    assert '<a href="history/INC-2026-312/">Ongoing</a>' in html
    assert "(downtime weighted by level: major outage 1.0, partial outage 0.5, degraded performance 0.1;" in html


# --- keyboard, pointer and a phone ------------------------------------------------------------------------------


# The focused element: a link, or a strip element and whether its detail is shown ('' or 'hidden ').
FOCUSED = """() => {
  const e = document.activeElement;
  if (e.tagName === 'A') return 'link ' + e.getAttribute('href');
  const before = getComputedStyle(e, '::before');
  const detail = e.querySelector('.ikb-uptime-detail');
  const shown = e.matches(':empty') ? before.display === 'block' && before.content === JSON.stringify(
      e.getAttribute('aria-label')) : detail !== null && detail.checkVisibility({visibilityProperty: true});
  return shown ? '' : 'hidden ';
}"""


def focused(page: Any) -> str:
    """What has the focus: 'link <href>', else the element's accessible name, after 'hidden ' if its detail is
    not shown."""
    shown = page.evaluate(FOCUSED)
    return shown if shown.startswith("link ") else shown + focused_name(page)


def test_the_keyboard_reaches_every_day_and_the_links_in_its_detail(browser: Any, public: str) -> None:
    """Tab from the strip's first day: each element in order (a run of alike quiet days once, each other day
    once), its detail shown while it has the focus, and after a day with incidents, its links; the detail of
    14 October says the date, the minutes, the level and both incidents, and Enter on a link opens the incident's
    history."""
    page = open_page(browser, f"{public}reports/2026-10/")
    try:
        days = page.locator(".ikb-uptime-days[aria-label^='Uptime of API,'] > li")
        days.first.focus()
        visited = []
        for _ in range(200):
            visited.append(focused(page))
            if visited[-1].startswith("14 October 2026"):
                break
            page.keyboard.press("Tab")
        expected = []
        elements = expected_elements("api", strip_days(date(2026, 10, 31)))
        for first, last in elements:
            expected.append(element_words(first, last))
            if first == date(2026, 10, 14):
                break
            expected += [f"link ../../history/{r.id}/" for r in expected_incidents("api", first) if first == last]
        assert [v if v.startswith("link ") else v.split(":")[0] for v in visited] == expected
        assert "4 August 2026 to 9 September 2026" in expected  # a run, reached once

        october_14 = days.nth(elements.index((date(2026, 10, 14), date(2026, 10, 14))))
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
        quiet = days.nth(1)  # 4 August to 9 September: no incident; its detail is its label, drawn by the style sheet
        shown = "el => { const s = getComputedStyle(el, '::before'); return [s.display, s.content]; }"
        assert quiet.evaluate(shown)[0] == "none"
        quiet.scroll_into_view_if_needed()
        box = quiet.bounding_box()
        assert box is not None
        for x in (box["x"] + 1, box["x"] + box["width"] - 1):  # anywhere on the run, its first bar to its last
            page.mouse.move(0, 0)
            assert quiet.evaluate(shown)[0] == "none"
            page.mouse.move(x, box["y"] + box["height"] / 2)
            assert quiet.evaluate(shown) == ["block", '"4 August 2026 to 9 September 2026: no downtime, operational."']
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


# Beside each strip, the same strip drawn as it was before runs: an element per day, coloured by background-color
# (the style sheet's rule for one day then), each run's days as that many lone elements of its level.
DRAW_EACH_DAY = """() => Array.from(document.querySelectorAll(".ikb-uptime-days"), (list, index) => {
  const lone = list.cloneNode(false);
  lone.removeAttribute("aria-label");
  lone.id = "ikb-each-day-" + index;
  for (const element of list.children) {
    const days = parseInt(element.style.getPropertyValue("--days") || "1");
    for (let i = 0; i < days; i++) {
      const day = document.createElement("li");
      if (element.dataset.level) day.dataset.level = element.dataset.level;
      day.style.backgroundImage = "none";
      day.style.backgroundColor = "var(--ikb-day)";
      lone.append(day);
    }
  }
  list.after(lone);
  list.id = "ikb-runs-" + index;
  return index;
})"""
BOXES = """list => {
  const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.right]; };
  return {list: box(list), gap: parseFloat(getComputedStyle(list).columnGap), items: Array.from(list.children,
    li => ({box: box(li), days: parseInt(li.style.getPropertyValue("--days") || "1")}))};
}"""


def middle_row(locator: Any) -> tuple[list[str], float]:
    """The colours of the row of pixels across the middle of an element's screenshot, and its left edge."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box is not None
    width, height, rows = png_pixels(locator.screenshot(animations="disabled", scale="css"))
    return [pixel(rows, x, height // 2) for x in range(width)], box["x"]


def bars_in(row: list[str], background: str) -> list[tuple[int, int, str]]:
    """The bars a row of pixels shows: (first pixel, last pixel, colour) of each stretch that is not background."""
    bars: list[tuple[int, int, str]] = []
    for x, colour in enumerate(row):
        if colour == background:
            continue
        if bars and bars[-1][1] == x - 1 and bars[-1][2] == colour:
            bars[-1] = (bars[-1][0], x, colour)
        else:
            bars.append((x, x, colour))
    return bars


@pytest.mark.parametrize(("width", "gap"), [(1280, 2.0), (390, 1.0)])
@pytest.mark.parametrize("month", ["2026-10", "2026-11"])
def test_a_run_is_drawn_as_its_days_were(browser: Any, public: str, width: int, gap: float, month: str) -> None:
    """Each strip beside the same strip drawn an element a day (DRAW_EACH_DAY), on a desktop and a phone: the
    strips are as wide; each element starts where its first day's bar did and ends where its last day's did, a
    run of n days as wide as n lone bars and n - 1 gaps (within 1 px); and Chromium paints 90 bars either way,
    each the colour of its day, each starting and ending within a pixel of where it did, with the page's
    background in the middle of every gap (within a pixel)."""
    page = open_page(browser, f"{public}reports/{month}/", width=width)
    try:
        background = page.evaluate(
            "() => { const c = document.createElement('canvas').getContext('2d');"
            " c.fillStyle = getComputedStyle(document.body).backgroundColor; return c.fillStyle; }"
        )
        strips = page.evaluate(DRAW_EACH_DAY)
        assert len(strips) == 2
        for index in strips:
            runs, lone = page.locator(f"#ikb-runs-{index}"), page.locator(f"#ikb-each-day-{index}")
            shown, each = runs.evaluate(BOXES), lone.evaluate(BOXES)
            for element, name in zip(shown["items"], accessible_names(page, f"#ikb-runs-{index} > li"), strict=True):
                element["label"] = name  # its accessible name: for a run, "<first> to <last>: ..."
            assert shown["gap"] == each["gap"] == gap
            assert shown["list"] == each["list"]  # the total width is unchanged
            assert len(each["items"]) == 90 and len(shown["items"]) < 90
            bar = each["items"][0]["box"][1] - each["items"][0]["box"][0]
            assert all(abs(d["box"][1] - d["box"][0] - bar) < 0.05 for d in each["items"])
            assert abs(each["items"][-1]["box"][1] - each["list"][1]) < 0.05
            first = 0
            for element in shown["items"]:
                n = element["days"]
                assert n == len(days_of(element["label"]))
                left, right = element["box"]
                assert abs(left - each["items"][first]["box"][0]) <= 1, (element, first)
                assert abs(right - each["items"][first + n - 1]["box"][1]) <= 1, (element, first)
                assert abs(right - left - (n * bar + (n - 1) * gap)) <= 1, (element, bar)
                first += n
            assert first == 90

            drawn, drawn_x = middle_row(runs)
            was, was_x = middle_row(lone)
            assert drawn_x == was_x and len(drawn) == len(was)
            now, then = bars_in(drawn, background), bars_in(was, background)
            assert len(then) == 90, then  # the reference is what it should be: a bar a day
            assert len(now) == 90, f"{len(now)} bars painted, not 90"
            for day, (a, b) in enumerate(zip(now, then, strict=True)):
                assert a[2] == b[2], (day, a, b)
                assert abs(a[0] - b[0]) <= 1 and abs(a[1] - b[1]) <= 1, (day, a, b)
            # the middle of each gap, as the reference has it, is the background (a run's inner bars are drawn in
            # its box as Chromium snaps it to whole pixels, so one may be a pixel off where its lone day's was)
            for before, after in pairwise(each["items"]):
                x = int((before["box"][1] + after["box"][0]) / 2 - drawn_x)
                assert was[x] == background and background in drawn[x - 1 : x + 2], (x, drawn[x - 2 : x + 3])
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
    bars: strips.flatMap(s => Array.from(s.querySelectorAll(".ikb-uptime-days > li"), li => {
        // [the width of each of the element's bars, its days]: n bars and the n - 1 gaps between them
        const days = parseInt(li.style.getPropertyValue("--days") || "1");
        const gap = parseFloat(getComputedStyle(li.parentElement).columnGap);
        return [(li.getBoundingClientRect().width - (days - 1) * gap) / days, days]; })),
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
    assert sum(count for _, count in before["bars"]) == 2 * 90
    assert min(width for width, _ in before["bars"]) >= 2.5, before["bars"]
    assert before["smallest"] >= 12 and detail_px >= 12 and quiet_px >= 12, (before["smallest"], detail_px, quiet_px)
    assert max(before["legendRows"]) > 1  # the legend wraps rather than overflowing
    assert detail_box is not None and detail_box["x"] >= 0 and detail_box["x"] + detail_box["width"] <= 390


# --- both sites ship the style sheet ----------------------------------------------------------------------------

# Each strip's display and the days its elements hold (a run's --days, else 1): tests/test_public_browser.py too.
STRIP_DAYS = """() => Array.from(document.querySelectorAll('.ikb-uptime-days'), o => [getComputedStyle(o).display,
  Array.from(o.children, li => parseInt(li.style.getPropertyValue('--days') || '1')).reduce((a, b) => a + b, 0)])"""


@pytest.mark.parametrize("site", ["public", "internal"])
def test_both_sites_ship_the_style_sheet_and_show_the_strips(browser: Any, sites: dict[str, Path], site: str) -> None:
    assert (sites[site] / "assets" / "uptime.css").is_file()
    with serve(sites[site]) as origin:
        page = open_page(browser, f"{origin}reports/2026-10/")
        try:
            styled = page.evaluate(STRIP_DAYS)
            link = page.locator(".ikb-uptime-days > li .ikb-uptime-detail a").first.get_attribute("href")
            assert link is not None
            page.goto(f"{origin}reports/2026-10/{link}")
            heading = page.locator("h1").first.inner_text()
        finally:
            page.close()
    assert styled == [["flex", 90], ["flex", 90]]
    assert "INC-2026-301" in heading or "API first day" in heading  # the link reaches the incident's page


# --- an incident day's accessible name, on the example knowledge base's public site ---------------------------------

# Each strip element holding a detail: its id references, its detail's parts and every id on the page.
INCIDENT_DAYS = """() => ({
  ids: Array.from(document.querySelectorAll('[id]'), e => e.id),
  days: Array.from(document.querySelectorAll('.ikb-uptime-days > li'), li => ({li, detail:
      li.querySelector(':scope > .ikb-uptime-detail')})).filter(d => d.detail).map(({li, detail}) => ({
    labelledby: li.getAttribute('aria-labelledby'), label: li.getAttribute('aria-label'), id: detail.id,
    named: document.getElementById(li.getAttribute('aria-labelledby')) === detail,
    sentence: detail.firstChild.textContent, heading: detail.childNodes[2].textContent.trim(),
    links: Array.from(detail.querySelectorAll('a'), a => [a.textContent, a.getAttribute('href')]),
  })),
})"""


@pytest.fixture(scope="module")
def example_public(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The repository's example knowledge base (a copy), built as its public site and served."""
    base = tmp_path_factory.mktemp("example-public")
    site = base / "site"
    assert_ok(build(copy_kb(base / "kb"), site, "--public"))
    with serve(site) as origin:
        yield origin


@pytest.mark.parametrize("page_path", ["reports/2026-10/", ""])
def test_an_incident_day_is_named_by_its_detail(browser: Any, example_public: str, page_path: str) -> None:
    """A report and the home page: each day with incidents is named, in Chromium's accessibility tree, by its
    detail (aria-labelledby, no copy of its words in an aria-label): the day's sentence, the heading and its
    incidents' names, as the detail shows them on focus, both before it has the focus and with it; the ids are
    unique on the page (the same incident is in several of its strips) and short; the detail is shown on focus,
    only its own."""
    page = open_page(browser, example_public + page_path)
    try:
        found = page.evaluate(INCIDENT_DAYS)
        days = found["days"]
        names = accessible_names(page, ".ikb-uptime-days > li:has(> .ikb-uptime-detail)")
        assert len(days) == len(names) > 3
        duplicates = [i for i, n in Counter(found["ids"]).items() if n > 1]
        assert not duplicates, f"ids used twice on the page: {duplicates}"
        shared = Counter(href for day in days for _, href in day["links"])
        assert max(shared.values()) > 1  # an incident in several strips: the uniqueness above means something
        items = page.locator(".ikb-uptime-days > li:has(> .ikb-uptime-detail)")
        for index, (day, name) in enumerate(zip(days, names, strict=True)):
            assert day["label"] is None and day["labelledby"] == day["id"] and day["named"], day
            assert re.fullmatch(r"u\d{1,2}\.\d{1,2}", day["id"]), day["id"]
            titles = [title for title, _ in day["links"]]
            assert day["heading"] == ("Incident:" if len(titles) == 1 else "Incidents:"), day
            assert re.fullmatch(r"\d{1,2} [A-Z][a-z]+ 20\d\d: .+ downtime, .+\.", day["sentence"]), day
            said = f"{day['sentence']} {day['heading']} {'; '.join(titles)}"
            assert name == said, (name, said)
            item = items.nth(index)
            item.focus()
            detail = item.locator(".ikb-uptime-detail")
            assert detail.is_visible() and page.locator(".ikb-uptime-detail:visible").count() == 1
            assert " ".join(detail.inner_text().split("\n")) == said  # what it shows, in its two lines
            assert focused_name(page) == said  # what a screen reader announces on the focus
    finally:
        page.close()
