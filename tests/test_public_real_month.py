"""A real provider's published month, reproduced: GitHub's availability report for June 2024.

The records in tests/data/public/github-2024-06/kb describe the two incidents GitHub reported for that month
(source and certainty: the README.md beside them). The report the real CLI prints for 2024-06 must list the
same incidents, in the same order, with the same start times (to the minute, UTC) and the same durations (to
the minute) as published, in its JSON and in its page headings.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from support import run_ok, unescape_markdown

DATA = Path(__file__).resolve().parent / "data" / "public" / "github-2024-06"
KB = DATA / "kb"
AS_OF = "2024-07-31T00:00:00Z"
HEADING = re.compile(
    r"^## (?P<month>[A-Z][a-z]+) (?P<day>\d+) (?P<time>\d\d:\d\d) UTC \(lasting (?P<words>[^)]+)\)$", re.M
)


@pytest.fixture(scope="module")
def published() -> dict[str, Any]:
    return json.loads((DATA / "expected.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    return json.loads(run_ok(KB, "report", "2024-06", "--format", "json", "--as-of", AS_OF))


@pytest.fixture(scope="module")
def page() -> str:
    return unescape_markdown(run_ok(KB, "report", "2024-06", "--format", "markdown", "--as-of", AS_OF))


def minutes(words: str) -> int:
    units = {"day": 1440, "hour": 60, "minute": 1}
    parts = re.findall(r"(\d+) (day|hour|minute)s?", words)
    assert parts, words
    return sum(int(n) * units[u] for n, u in parts)


def test_the_records_are_valid() -> None:
    assert run_ok(KB, "validate", "--as-of", AS_OF[:10]).startswith("0 error(s), 0 warning(s)")


def test_the_json_lists_the_published_incidents(report: dict[str, Any], published: dict[str, Any]) -> None:
    assert report["month"] == published["month"] and report["timezone"] == "UTC"
    assert report["complete"] is True
    shown = [
        (
            datetime.fromisoformat(i["start"]).astimezone(UTC).strftime("%Y-%m-%dT%H:%M"),
            round(i["duration_minutes"]),
            i["services"],
        )
        for i in report["incidents"]
    ]
    expected = [(i["start_utc"], i["duration_minutes"], i["services"]) for i in published["incidents"]]
    assert shown == expected
    # Whole minutes, as published: no rounding hides a difference.
    assert [i["duration_minutes"] for i in report["incidents"]] == [142, 58]
    assert report["maintenance"] == []


def test_the_headings_match_the_published_ones(page: str, published: dict[str, Any]) -> None:
    assert "In June 2024 GitHub had 2 incidents that affected customers." in page
    shown = [
        (f"2024-06-{int(m['day']):02d}T{m['time']}", minutes(m["words"]))
        for m in HEADING.finditer(page)
        if m["month"] == "June"
    ]
    assert shown == [(i["start_utc"], i["duration_minutes"]) for i in published["incidents"]]
    for entry in published["incidents"]:
        # GitHub's heading form: "June 5 17:05 UTC (lasting 142 minutes)"; the date and time part is identical.
        when = entry["heading_in_github_form"].split(" (")[0]
        assert f"## {when} (lasting " in page


def test_availability_follows_from_the_published_windows(report: dict[str, Any]) -> None:
    services = {s["id"]: s for s in report["services"]}
    assert services["issues"]["downtime_minutes"] == 0  # degraded performance: shown, not downtime
    assert services["migrations"]["downtime_minutes"] == 58
    assert services["migrations"]["availability"] == pytest.approx(1 - 58 / (30 * 24 * 60), rel=0, abs=1e-15)
