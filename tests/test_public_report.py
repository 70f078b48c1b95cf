"""The monthly report contract: `incidentkb report MONTH --format json|markdown`, through the real CLI.

The knowledge base is small and every figure is worked out by hand in the test (exact fractions):

* api: a 35-minute major outage on October 14 (October has 44640 minutes), plus an hour of degraded
  performance (shown, not downtime).
* web: two incidents whose major outages overlap (10:00-10:30 and 10:20-10:50): 50 minutes, not 60; a
  two-hour planned maintenance (not downtime); in November an ongoing major outage.
* search: 100 minutes of partial outage, weighted 0.3: 30 minutes.
* auth: a major outage from October 31 23:50 to November 1 00:20 UTC: 10 minutes in October, 20 in November.
* db: not listed publicly.
"""

from __future__ import annotations

import functools
import json
import re
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from support import (
    REPO,
    REPORT_SETTINGS,
    KnowledgeBaseWriter,
    incident,
    run_cli,
    run_ok,
    service_record,
    unescape_markdown,
    update,
    window,
)

AS_OF = "2026-11-10T12:00:00Z"
OCTOBER = 31 * 24 * 60  # 44640
NOVEMBER_SO_FAR = 9 * 24 * 60 + 12 * 60  # November 1 00:00 to November 10 12:00 UTC: 13680


def write_services(kb: KnowledgeBaseWriter) -> None:
    kb.service(service_record("api", "API", 0.999))
    kb.service(service_record("web", "Website", 0.995))
    kb.service(service_record("search", "Search", 0.999))
    kb.service(service_record("auth", "Sign-in", 0.9995))
    kb.service(service_record("db", None, 0.9995))


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("report") / "kb"
    kb = KnowledgeBaseWriter(root)
    kb.settings(REPORT_SETTINGS.format(timezone="UTC"))
    write_services(kb)
    kb.incident(
        "api-errors",
        incident(
            "INC-2026-201",
            "API requests failed",
            "2026-10-14T09:12:00Z",
            [window("api", "major_outage", "2026-10-14T09:12:00Z", "2026-10-14T09:47:00Z")],
            services=["api", "db"],
            updates=[update("2026-10-14T09:20:00Z", "investigating", "API requests are failing.")],
        ),
    )
    kb.incident(
        "api-slow",
        incident(
            "INC-2026-202",
            "API responses were slow",
            "2026-10-16T08:00:00Z",
            [window("api", "degraded_performance", "2026-10-16T08:00:00Z", "2026-10-16T09:00:00Z")],
        ),
    )
    kb.incident(
        "website-down",
        incident(
            "INC-2026-203",
            "The website was down",
            "2026-10-20T10:00:00Z",
            [window("web", "major_outage", "2026-10-20T10:00:00Z", "2026-10-20T10:30:00Z")],
        ),
    )
    kb.incident(
        "website-down-again",
        incident(
            "INC-2026-204",
            "The website was down again",
            "2026-10-20T10:20:00Z",
            [window("web", "major_outage", "2026-10-20T10:20:00Z", "2026-10-20T10:50:00Z")],
        ),
    )
    kb.incident(
        "search-errors",
        incident(
            "INC-2026-205",
            "Some searches failed",
            "2026-10-22T12:00:00Z",
            [window("search", "partial_outage", "2026-10-22T12:00:00Z", "2026-10-22T13:40:00Z")],
        ),
    )
    kb.incident(
        "website-maintenance",
        incident(
            "INC-2026-206",
            "Planned website maintenance",
            "2026-10-25T01:00:00Z",
            [window("web", "major_outage", "2026-10-25T01:00:00Z", "2026-10-25T03:00:00Z")],
            kind="maintenance",
        ),
    )
    kb.incident(
        "sign-in-at-midnight",
        incident(
            "INC-2026-207",
            "Sign-in failed around midnight",
            "2026-10-31T23:50:00Z",
            [window("auth", "major_outage", "2026-10-31T23:50:00Z", "2026-11-01T00:20:00Z")],
        ),
    )
    kb.incident(
        "website-down-now",
        incident(
            "INC-2026-208",
            "The website is down",
            "2026-11-10T11:00:00Z",
            [window("web", "major_outage", "2026-11-10T11:00:00Z")],
            status="investigating",
            updates=[update("2026-11-10T11:05:00Z", "investigating", "We are looking into it.")],
        ),
    )
    return root


@functools.cache
def _report(root: Path, month: str, fmt: str, as_of: str) -> str:
    # The knowledge bases are written once per module and never changed, so each run is needed only once.
    return run_ok(root, "report", month, "--format", fmt, "--as-of", as_of)


def report_json(root: Path, month: str, as_of: str = AS_OF) -> dict[str, Any]:
    return json.loads(_report(root, month, "json", as_of))


def report_markdown(root: Path, month: str, as_of: str = AS_OF) -> str:
    return unescape_markdown(_report(root, month, "markdown", as_of))


def availability(downtime_minutes: int, month_minutes: int) -> float:
    return float(1 - Fraction(downtime_minutes, month_minutes))


def by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["id"]: s for s in report["services"]}


# --- headings -------------------------------------------------------------------------------------------------

HEADING = re.compile(r"^## (?P<when>.+?) \((?:lasting (?P<done>[^)]+)|ongoing, (?P<open>[^)]+) so far)\)$", re.M)
UNITS = {"day": 24 * 60, "hour": 60, "minute": 1}


def words_to_minutes(words: str) -> int:
    if words == "less than a minute":
        return 0
    parts = re.findall(r"(\d+) (day|hour|minute)s?", words)
    assert parts and re.fullmatch(r"(\d+ (day|hour|minute)s?( and | |, )?)+", words), f"not a duration: {words!r}"
    return sum(int(n) * UNITS[unit] for n, unit in parts)


def headings(markdown: str) -> list[tuple[str, int, bool]]:
    """(when, minutes, ongoing) of each incident heading, in page order (Planned maintenance etc. skipped)."""
    return [
        (m["when"], words_to_minutes(m["done"] or m["open"]), m["open"] is not None) for m in HEADING.finditer(markdown)
    ]


def local_when(iso: str, zone: str) -> str:
    moment = datetime.fromisoformat(iso).astimezone(ZoneInfo(zone))
    return f"{moment:%B} {moment.day} {moment:%H:%M} {moment.tzname()}"


def assert_headings_match_data(markdown: str, data: dict[str, Any]) -> None:
    """Each incident heading shows its JSON start in the report zone and its JSON duration, in the same order."""
    shown = headings(markdown)
    expected = [
        (local_when(i["start"], data["timezone"]), round(i["duration_minutes"]), i["end"] is None)
        for i in data["incidents"]
    ]
    assert shown == expected


# --- the JSON contract ----------------------------------------------------------------------------------------


def test_json_has_the_documented_keys_with_the_right_types(kb: Path) -> None:
    data = report_json(kb, "2026-10")
    assert data["month"] == "2026-10"
    assert data["timezone"] == "UTC"
    assert data["weights"] == {"major_outage": 1.0, "partial_outage": 0.3, "degraded_performance": 0.0}
    assert all(type(w) is float for w in data["weights"].values())
    assert data["services"] and data["incidents"]
    for s in data["services"]:
        assert type(s["id"]) is str and type(s["name"]) is str
        assert type(s["availability"]) is float and 0 <= s["availability"] <= 1
        assert type(s["downtime_minutes"]) in (int, float) and s["downtime_minutes"] >= 0
        assert type(s["slo"]) is float and 0 < s["slo"] < 1
        assert type(s["error_budget_used_percent"]) in (int, float)
        assert type(s["provisional"]) is bool
    for i in data["incidents"]:
        assert type(i["id"]) is str and type(i["title"]) is str
        assert datetime.fromisoformat(i["start"]).utcoffset() is not None
        assert type(i["duration_minutes"]) in (int, float)
        assert type(i["services"]) is list and all(type(s) is str for s in i["services"])
        assert i["summary"] is None or type(i["summary"]) is str


def test_only_listed_services_are_reported(kb: Path) -> None:
    data = report_json(kb, "2026-10")
    assert [s["id"] for s in data["services"]] == ["api", "auth", "search", "web"]
    assert {s["id"]: s["name"] for s in data["services"]}["auth"] == "Sign-in"
    assert next(i for i in data["incidents"] if i["id"] == "INC-2026-201")["services"] == ["api"]


def test_availability_is_an_unrounded_fraction_and_downtime_is_in_minutes(kb: Path) -> None:
    api = by_id(report_json(kb, "2026-10"))["api"]
    assert api["downtime_minutes"] == 35
    assert api["availability"] == availability(35, OCTOBER)  # exactly 1 - 35/44640, correctly rounded once
    assert api["availability"] == pytest.approx(1 - 35 / 44640, rel=0, abs=1e-15)
    assert api["slo"] == 0.999
    assert api["error_budget_used_percent"] == pytest.approx(35 / (0.001 * OCTOBER) * 100, rel=1e-12)
    assert api["provisional"] is False


def test_overlapping_incidents_are_counted_once(kb: Path) -> None:
    web = by_id(report_json(kb, "2026-10"))["web"]
    assert web["downtime_minutes"] == 50  # 10:00-10:50, not 30 + 30
    assert web["availability"] == availability(50, OCTOBER)


def test_partial_outage_is_weighted_and_the_weights_are_printed(kb: Path) -> None:
    search = by_id(report_json(kb, "2026-10"))["search"]
    assert search["downtime_minutes"] == pytest.approx(30, abs=1e-9)  # 100 minutes x 0.3
    assert search["availability"] == pytest.approx(availability(30, OCTOBER), rel=0, abs=1e-15)
    page = report_markdown(kb, "2026-10")
    assert re.search(r"major outage 1\.0, partial outage 0\.3, degraded performance 0\.0", page), page


def test_degraded_performance_is_shown_but_not_downtime(kb: Path) -> None:
    data = report_json(kb, "2026-10")
    assert "INC-2026-202" in [i["id"] for i in data["incidents"]]
    assert by_id(data)["api"]["downtime_minutes"] == 35


def test_maintenance_is_not_downtime(kb: Path) -> None:
    data = report_json(kb, "2026-10")
    assert "INC-2026-206" not in [i["id"] for i in data["incidents"]]
    assert [m["id"] for m in data["maintenance"]] == ["INC-2026-206"]
    web = by_id(data)["web"]
    assert web["downtime_minutes"] == 50
    assert web["maintenance_minutes"] == 120
    page = report_markdown(kb, "2026-10")
    assert "October 25 01:00 UTC (lasting 2 hours): Planned website maintenance" in page


def test_a_window_crossing_the_month_boundary_is_split_between_the_reports(kb: Path) -> None:
    october, november = report_json(kb, "2026-10"), report_json(kb, "2026-11")
    assert by_id(october)["auth"]["downtime_minutes"] == 10
    assert by_id(october)["auth"]["availability"] == availability(10, OCTOBER)
    assert by_id(november)["auth"]["downtime_minutes"] == 20
    assert by_id(november)["auth"]["availability"] == availability(20, NOVEMBER_SO_FAR)
    for data in (october, november):
        entry = next(i for i in data["incidents"] if i["id"] == "INC-2026-207")
        assert entry["start"] == "2026-10-31T23:50:00Z"
        assert entry["duration_minutes"] == 30  # the incident's whole duration, in both months


def test_an_ongoing_incident_is_provisional_and_counts_up_to_as_of(kb: Path) -> None:
    data = report_json(kb, "2026-11")
    web = by_id(data)["web"]
    assert web["provisional"] is True
    assert web["downtime_minutes"] == 60  # 11:00 to the cut-off at 12:00
    assert web["availability"] == availability(60, NOVEMBER_SO_FAR)
    assert by_id(data)["auth"]["provisional"] is False
    entry = next(i for i in data["incidents"] if i["id"] == "INC-2026-208")
    assert entry["duration_minutes"] == 60 and entry["end"] is None
    later = report_json(kb, "2026-11", as_of="2026-11-10T12:30:00Z")
    assert by_id(later)["web"]["downtime_minutes"] == 90
    page = report_markdown(kb, "2026-11")
    assert "## November 10 11:00 UTC (ongoing, 1 hour so far)" in page
    assert "provisional" in page.lower()


def test_the_month_before_the_first_incident_had_none(kb: Path) -> None:
    data = report_json(kb, "2026-08")
    assert data["incidents"] == [] and data["maintenance"] == []
    assert all(s["availability"] == 1.0 and s["downtime_minutes"] == 0 for s in data["services"])
    page = report_markdown(kb, "2026-08")
    assert "In August 2026 Acme had no incidents that affected customers." in page
    assert not headings(page)


def test_a_month_after_the_cut_off_is_refused(kb: Path) -> None:
    proc = run_cli("report", "2026-12", "--as-of", AS_OF, root=kb, timeout=120)
    assert proc.returncode != 0
    assert "has not begun" in proc.stderr and "Traceback" not in proc.stderr


def test_headings_show_start_and_duration_as_in_the_data(kb: Path) -> None:
    page = report_markdown(kb, "2026-10")
    assert "## October 14 09:12 UTC (lasting 35 minutes)" in page
    assert "## October 22 12:00 UTC (lasting 1 hour 40 minutes)" in page
    assert "In October 2026 Acme had 6 incidents that affected customers." in page
    for month in ("2026-10", "2026-11"):
        assert_headings_match_data(report_markdown(kb, month), report_json(kb, month))


def test_a_multi_day_heading_states_the_same_duration_as_the_data(tmp_path: Path) -> None:
    """26 hours 5 minutes (JSON duration_minutes 1565) must read as such in the heading, not be cut to
    "1 day 2 hours" (1560): a heading never disagrees with its data."""
    kb = KnowledgeBaseWriter(tmp_path / "kb")
    kb.settings(REPORT_SETTINGS.format(timezone="UTC"))
    kb.service(service_record("api", "API", 0.999))
    kb.incident(
        "slow-for-a-day",
        incident(
            "INC-2026-301",
            "API slow for more than a day",
            "2026-10-03T08:00:00Z",
            [window("api", "partial_outage", "2026-10-03T08:00:00Z", "2026-10-04T10:05:00Z")],
        ),
    )
    data = report_json(kb.root, "2026-10")
    assert data["incidents"][0]["duration_minutes"] == 26 * 60 + 5
    assert_headings_match_data(report_markdown(kb.root, "2026-10"), data)


# --- a report time zone other than UTC ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def berlin(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same records twice: once reported in Europe/Berlin, once in UTC."""
    roots = []
    for zone in ("Europe/Berlin", "UTC"):
        root = tmp_path_factory.mktemp(zone.replace("/", "-")) / "kb"
        kb = KnowledgeBaseWriter(root)
        kb.settings(REPORT_SETTINGS.format(timezone=zone))
        kb.service(service_record("api", "API", 0.999))
        kb.incident(
            "late-september",
            incident(
                "INC-2026-401",
                "API errors on the last evening of September",
                "2026-09-30T21:00:00Z",
                [window("api", "major_outage", "2026-09-30T21:00:00Z", "2026-09-30T21:20:00Z")],
            ),
        )
        kb.incident(
            "first-of-october-in-berlin",
            incident(
                "INC-2026-402",
                "API errors just after midnight in Berlin",
                "2026-09-30T22:30:00Z",
                [window("api", "major_outage", "2026-09-30T22:30:00Z", "2026-09-30T23:00:00Z")],
            ),
        )
        kb.incident(
            "november-winter-time",
            incident(
                "INC-2026-403",
                "API errors in November",
                "2026-11-05T10:00:00Z",
                [window("api", "major_outage", "2026-11-05T10:00:00Z", "2026-11-05T10:45:00Z")],
            ),
        )
        roots.append(root)
    return roots[0], roots[1]


BERLIN_AS_OF = "2026-11-20T00:00:00Z"


def test_berlin_month_boundaries_are_local_midnight(berlin: tuple[Path, Path]) -> None:
    in_berlin, in_utc = berlin
    ids = {
        (name, month): [i["id"] for i in report_json(root, month, BERLIN_AS_OF)["incidents"]]
        for name, root in (("berlin", in_berlin), ("utc", in_utc))
        for month in ("2026-09", "2026-10")
    }
    assert ids[("utc", "2026-09")] == ["INC-2026-401", "INC-2026-402"]
    assert ids[("utc", "2026-10")] == []
    assert ids[("berlin", "2026-09")] == ["INC-2026-401"]  # 23:00 CEST on September 30
    assert ids[("berlin", "2026-10")] == ["INC-2026-402"]  # 00:30 CEST on October 1


def test_berlin_figures_use_the_real_length_of_the_month(berlin: tuple[Path, Path]) -> None:
    data = report_json(berlin[0], "2026-10", BERLIN_AS_OF)
    assert data["timezone"] == "Europe/Berlin"
    api = by_id(data)["api"]
    assert api["downtime_minutes"] == 30
    # October in Berlin has 745 hours: summer time ends on October 25.
    assert api["availability"] == availability(30, 745 * 60)


def test_berlin_headings_use_local_time_and_zone_names(berlin: tuple[Path, Path]) -> None:
    october = report_markdown(berlin[0], "2026-10", BERLIN_AS_OF)
    assert "## October 1 00:30 CEST (lasting 30 minutes)" in october
    assert "Times are in Europe/Berlin." in october
    november = report_markdown(berlin[0], "2026-11", BERLIN_AS_OF)
    assert "## November 5 11:00 CET (lasting 45 minutes)" in november
    september = report_markdown(berlin[0], "2026-09", BERLIN_AS_OF)
    assert "## September 30 23:00 CEST (lasting 20 minutes)" in september
    for month in ("2026-09", "2026-10", "2026-11"):
        assert_headings_match_data(
            report_markdown(berlin[0], month, BERLIN_AS_OF), report_json(berlin[0], month, BERLIN_AS_OF)
        )
    data = report_json(berlin[0], "2026-10", BERLIN_AS_OF)
    assert data["incidents"][0]["start"] == "2026-09-30T22:30:00Z"  # machine outputs are UTC: 00:30 CEST


def test_impact_that_is_not_availability_is_reported_in_its_public_words_only() -> None:
    """The example's INC-2026-005 also charged customers twice (impact kind financial, with a public description):
    every report format shows it in the published words, never the internal description, and it adds no
    downtime (the services' figures are those of the availability windows alone)."""
    public = "1,318 customers saw a second pending charge for the same order and 212 were charged twice"
    internal = "Duplicate authorisations from the retry path"
    data = report_json(REPO, "2026-09", "2026-11-23T12:00:00Z")
    entry = {i["id"]: i for i in data["incidents"]}["INC-2026-005"]
    assert [(o["kind"], o["start"], o["end"]) for o in entry["other_impact"]] == [
        ("financial", "2026-09-03T17:12:00Z", "2026-09-05")
    ]
    assert entry["other_impact"][0]["description"].startswith(public)
    assert entry["duration_minutes"] == 52  # 17:12 to 18:04: the availability windows, not the refunds' days
    for fmt in ("text", "markdown", "json"):
        text = " ".join(_report(REPO, "2026-09", fmt, "2026-11-23T12:00:00Z").split())
        assert public in text and internal not in text, fmt
    assert "**Financial**:" in report_markdown(REPO, "2026-09", "2026-11-23T12:00:00Z")


def test_an_incident_whose_public_impact_is_not_availability_is_published_without_a_duration() -> None:
    """Knight Capital's 2012 incident (tests/realworld) lost money and sent wrong orders but recorded no downtime:
    it is in the month's report among the incidents without downtime, with its public words, no duration and no
    effect on any service's availability."""
    root = REPO / "tests" / "realworld"
    data = json.loads(run_ok(root, "report", "2012-08", "--format", "json", "--as-of", "2026-12-01T00:00:00Z"))
    assert data["incidents"] == [] and [i["id"] for i in data["without_downtime"]] == ["INC-2012-001"]
    kinds = [o["kind"] for o in data["without_downtime"][0]["other_impact"]]
    assert kinds == ["financial", "wrong_results"]
    assert all(s["downtime_minutes"] == 0 and s["availability"] == 1 for s in data["services"])
    text = run_ok(root, "report", "2012-08", "--as-of", "2026-12-01T00:00:00Z")
    assert "had 1 incident that affected customers" in text and "Incidents without downtime" in text
    assert "lasting" not in text  # no duration is claimed
