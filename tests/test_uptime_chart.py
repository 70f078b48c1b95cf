"""The 90-day uptime charts of the monthly reports, as files and as a browser draws them.

A chart draws each run of days of one kind as one rectangle filled with that kind's bar pattern (one bar and one
gap a day). The knowledge base is small and every day's kind is worked out by hand here (UTC, weights 1 / 0.3 / 0):

* api, October's chart (August 3 to October 31):
  August 3 00:00-00:45 major outage (45 min: major, the chart's first day); September 10 22:00 to September 13
  02:00 partial outage (36 + 432 + 432 + 36 weighted minutes: four major days in a row); October 1 an hour of
  degraded performance (degraded, not downtime); October 2 planned maintenance (maintenance); October 31 23:40 to
  November 1 00:20 major outage (20 min in October: minor, the chart's last day).
* web: no impact at all (one run of 90 quiet days).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from support import (
    REPORT_SETTINGS,
    KnowledgeBaseWriter,
    chromium_browser,
    html_text,
    incident,
    run_ok,
    serve,
    service_record,
    squash,
    window,
)

from generator.render.charts import UPTIME_COLOURS

AS_OF = "2026-11-10T12:00:00Z"
SVG = "{http://www.w3.org/2000/svg}"
STEP, BAR, GAP = 8, 6, 2
OCTOBER_FIRST_DAY = date(2026, 8, 3)
DAYS = 90


def october_kinds(service_id: str) -> list[str]:
    kinds = ["none"] * DAYS
    if service_id == "api":
        special = {date(2026, 8, 3): "major", date(2026, 10, 1): "degraded", date(2026, 10, 2): "maintenance"}
        special |= {date(2026, 9, day): "major" for day in (10, 11, 12, 13)}
        special[date(2026, 10, 31)] = "minor"
        for day, kind in special.items():
            kinds[(day - OCTOBER_FIRST_DAY).days] = kind
    return kinds


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("uptime") / "kb"
    kb = KnowledgeBaseWriter(root)
    kb.settings(REPORT_SETTINGS.format(timezone="UTC"))
    kb.service(service_record("api", "API", 0.999))
    kb.service(service_record("web", "Website", 0.999))
    records = [
        ("first-day", "2026-08-03T00:00:00Z", "major_outage", "2026-08-03T00:45:00Z", "incident"),
        ("four-days", "2026-09-10T22:00:00Z", "partial_outage", "2026-09-13T02:00:00Z", "incident"),
        ("slow", "2026-10-01T10:00:00Z", "degraded_performance", "2026-10-01T11:00:00Z", "incident"),
        ("upgrade", "2026-10-02T01:00:00Z", "major_outage", "2026-10-02T03:00:00Z", "maintenance"),
        ("midnight", "2026-10-31T23:40:00Z", "major_outage", "2026-11-01T00:20:00Z", "incident"),
    ]
    for number, (slug, start, level, end, kind) in enumerate(records, start=301):
        kb.incident(
            slug,
            incident(f"INC-2026-{number}", f"API {slug}", start, [window("api", level, start, end)], kind=kind),
        )
    out = root.parent / "public-site"
    run_ok(root, "build", "--public", "--site-dir", out, "--as-of", AS_OF)
    return out


def chart_path(site: Path, service_id: str, month: str = "2026-10") -> Path:
    return site / "assets" / "charts" / f"uptime-{service_id}-{month}.svg"


def drawn_kinds(svg: Path) -> list[str | None]:
    """Each day's kind, read back from the runs' positions and pattern fills; None for a day no run covers."""
    root = ET.parse(svg).getroot()
    patterns = {p.get("id"): p for p in root.iter(f"{SVG}pattern")}
    days: list[str | None] = [None] * DAYS
    for rect in root.iter(f"{SVG}rect"):
        fill = rect.get("fill", "")
        if not fill.startswith("url(#"):
            continue
        pattern_id = fill[len("url(#") : -1]
        kind = pattern_id.removeprefix("bar-")
        bar = patterns[pattern_id].find(f"{SVG}rect")
        assert bar is not None and bar.get("fill") == UPTIME_COLOURS[kind], pattern_id
        x, width = float(rect.get("x", "nan")), float(rect.get("width", "nan"))
        assert x % STEP == 0 and (width + GAP) % STEP == 0, (x, width)
        first, count = int(x // STEP), int((width + GAP) // STEP)
        for index in range(first, first + count):
            assert days[index] is None, f"day {index} drawn twice"
            days[index] = kind
    return days


@pytest.mark.parametrize("service_id", ["api", "web"])
def test_each_day_is_drawn_once_in_its_kind(site: Path, service_id: str) -> None:
    assert drawn_kinds(chart_path(site, service_id)) == october_kinds(service_id)


def test_runs_join_equal_days_so_a_quiet_chart_is_one_rectangle(site: Path) -> None:
    def runs(service_id: str) -> int:
        root = ET.parse(chart_path(site, service_id)).getroot()
        return sum(1 for r in root.iter(f"{SVG}rect") if r.get("fill", "").startswith("url(#"))

    # api: major (the first day), none, 4 x major, none, degraded, maintenance, none, minor (the last day)
    assert runs("api") == 8
    assert runs("web") == 1


def test_the_description_lists_every_day_with_impact(site: Path) -> None:
    desc = ET.parse(chart_path(site, "api")).getroot().find(f"{SVG}desc")
    assert desc is not None and desc.text is not None
    listed = [part.split(":")[0] for part in desc.text.removeprefix("Days with impact: ").rstrip(".").split("; ")]
    expected = [
        (OCTOBER_FIRST_DAY + timedelta(days=i)).isoformat() for i, k in enumerate(october_kinds("api")) if k != "none"
    ]
    assert listed == expected


# --- in the browser ---------------------------------------------------------------------------------------------

READ_PIXELS = """async ({url, days, step, bar}) => {
  const image = new Image();
  image.src = url;
  await image.decode();
  const canvas = document.createElement("canvas");
  canvas.width = image.naturalWidth;
  canvas.height = image.naturalHeight;
  const context = canvas.getContext("2d");
  context.drawImage(image, 0, 0);
  const hex = (x, y) => "#" + Array.from(context.getImageData(x, y, 1, 1).data.slice(0, 3))
      .map(v => v.toString(16).padStart(2, "0")).join("");
  const bars = [], gaps = [];
  for (let i = 0; i < days; i++) {
    bars.push(hex(i * step + bar / 2, 21));
    if (i + 1 < days) gaps.push(hex(i * step + bar + 1, 21));
  }
  return {width: image.naturalWidth, bars, gaps};
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium_browser() as instance:
        yield instance


@pytest.mark.parametrize("service_id", ["api", "web"])
def test_the_browser_paints_each_day_in_its_colour(site: Path, browser: Any, service_id: str) -> None:
    """Chromium rasterises the chart: the middle of each day's bar has that day's colour, and every gap between
    two bars is white."""
    with serve(site) as origin:
        page = browser.new_page()
        try:
            page.goto(origin)
            drawn = page.evaluate(
                READ_PIXELS,
                {
                    "url": f"{origin}assets/charts/uptime-{service_id}-2026-10.svg",
                    "days": DAYS,
                    "step": STEP,
                    "bar": BAR,
                },
            )
        finally:
            page.close()
    assert drawn["width"] == DAYS * STEP - GAP
    assert drawn["bars"] == [UPTIME_COLOURS[kind] for kind in october_kinds(service_id)]
    assert drawn["gaps"] == ["#ffffff"] * (DAYS - 1)


def test_the_archive_lists_every_month_newest_first(site: Path) -> None:
    """The archive's rows (sent back by the report workers instead of whole reports), worked out by hand: api's
    downtime over the month's (or, in November, the measured part's) minutes."""
    page = (site / "reports" / "index.html").read_text(encoding="utf-8")
    body = page[page.index("<tbody") : page.index("</table>")]
    # the published HTML is minified: rows and cells are not closed, so they are split at their opening tags
    rows = [
        [squash(html_text(cell)) for cell in re.split(r"<td[^>]*>", row)[1:]] for row in re.split(r"<tr[^>]*>", body)
    ]
    assert [r for r in rows if r] == [
        ["November 2026 (provisional)", "1", "99.854%"],  # 20 of 13,680 minutes (to November 10 12:00)
        ["October 2026", "2", "99.955%"],  # 20 of 44,640 (the degraded hour and the maintenance count nothing)
        ["September 2026", "1", "97.833%"],  # 0.3 x 52 hours = 936 of 43,200
        ["August 2026", "1", "99.899%"],  # 45 of 44,640
    ]
