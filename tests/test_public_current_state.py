"""The public site says what is true now (issue: "The public status site says only what is true, now").

One knowledge base, built as of 2026-12-01 12:00 UTC, holds:

* api: an ongoing partial outage since 2026-11-30 08:00 UTC whose last update (2026-11-30 09:00) promised the
  next one by 2026-11-30 15:00 UTC: overdue;
* db: maintenance in progress (scheduled 11:00 to 13:00 UTC today, its window open since 11:00): under maintenance;
* web: maintenance scheduled for 2026-12-09 02:00 to 04:00 UTC (upcoming), and a resolved incident of 2024;
* queue: nothing at all (operational).

Checked in Chromium, at a desktop and a phone viewport: the words and colours of the headline and of each
service's status, the overdue box, the maintenance list; in status.json (validated against its schema, every time
in UTC with Z) and in maintenance.ics, read by two independent parsers (icalendar and ics).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from support import (
    REPO,
    REPORT_SETTINGS,
    KnowledgeBaseWriter,
    chromium_browser,
    incident,
    run_cli,
    serve,
    service_record,
    update,
    window,
)

AS_OF = "2026-12-01T12:00:00Z"
COLOURS = {  # the status marks' colours (the style sheet uptime.css, shared with the strips), as a browser reports them
    "operational": "rgb(46, 125, 50)",
    "partial_outage": "rgb(239, 108, 0)",
    "under_maintenance": "rgb(30, 136, 229)",
}


def knowledge_base(root: Path) -> Path:
    kb = KnowledgeBaseWriter(root)
    root.mkdir(parents=True)
    (root / "incidentkb.yml").write_text(REPORT_SETTINGS.format(timezone="UTC"), encoding="utf-8")
    for service_id, name in (("api", "API"), ("db", "Database"), ("web", "Website"), ("queue", "Queue")):
        kb.service(service_record(service_id, name, 0.999))
    kb.incident(
        "api-errors",
        incident(
            "INC-2026-101",
            "API requests failing for some customers",
            "2026-11-30T08:00:00Z",
            [window("api", "partial_outage", "2026-11-30T08:00:00Z")],
            status="identified",
            severity="SEV2",
            updates=[
                update("2026-11-30T08:10:00Z", "investigating", "Some API requests fail. We are investigating."),
                {
                    **update("2026-11-30T09:00:00Z", "identified", "We found the cause. Next update by 15:00 UTC."),
                    "next_update_at": "2026-11-30T15:00:00Z",
                },
            ],
        ),
    )
    kb.incident(
        "db-upgrade",
        {
            **incident(
                "INC-2026-102",
                "Planned maintenance: database upgrade",
                "2026-12-01T11:00:00Z",
                [{"service": "db", "level": None, "start": "2026-12-01T11:00:00Z"}],
                kind="maintenance",
                status="identified",
                severity="SEV4",
                updates=[
                    update("2026-11-24T10:00:00Z", "scheduled", "We will upgrade the database on 1 December."),
                    update("2026-12-01T11:00:00Z", "in_progress", "The upgrade has started."),
                ],
            ),
            "scheduled": {"start": "2026-12-01T11:00:00Z", "end": "2026-12-01T13:00:00Z"},
        },
    )
    kb.incident(
        "web-migration",
        {
            **incident(
                "INC-2026-103",
                "Planned maintenance: website hosting move",
                "2026-12-09T02:00:00Z",
                [],
                services=["web"],
                kind="maintenance",
                status="identified",
                severity="SEV4",
                updates=[update("2026-11-28T09:00:00Z", "scheduled", "We will move the website to new hosting.")],
            ),
            "scheduled": {"start": "2026-12-09T02:00:00Z", "end": "2026-12-09T04:00:00Z"},
        },
    )
    kb.incident(
        "queue-delays",
        incident(
            "INC-2026-099",
            "Queue deliveries delayed",
            "2026-11-10T10:00:00Z",
            [window("queue", "partial_outage", "2026-11-10T10:00:00Z", "2026-11-10T10:30:00Z")],
            publications=[
                {"kind": "postmortem", "title": "Post-incident review", "url": "https://blog.acme.example/queue"}
            ],
        ),
    )
    kb.incident(
        "old-outage",
        incident(
            "INC-2024-007",
            "Website unavailable",
            "2024-03-05T10:00:00Z",
            [window("web", "major_outage", "2024-03-05T10:00:00Z", "2024-03-05T10:40:29Z")],
            updates=[update("2024-03-05T10:40:29Z", "resolved", "The website is back.")],
        ),
    )
    return root


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = knowledge_base(tmp_path_factory.mktemp("state") / "kb")
    out = tmp_path_factory.mktemp("state") / "public"
    result = run_cli("build", "--public", "--site-dir", out, "--as-of", AS_OF, root=root, cwd=REPO, timeout=300)
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def origin(site: Path) -> Iterator[str]:
    with serve(site) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium_browser() as launched:
        yield launched


def status_cell(page: Any, service: str) -> Any:
    row = page.locator("article table tr", has=page.locator("td", has_text=re.compile(f"^{service}$"))).first
    return row.locator(".ikb-status").first


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}])
def test_the_home_page_says_what_is_true_now(browser: Any, origin: str, viewport: dict[str, int]) -> None:
    page = browser.new_page(viewport=viewport)
    try:
        page.goto(origin)
        headline = page.locator("article .admonition").first
        text = headline.inner_text()
        assert text.startswith("Partial outage") and "Status as of 1 December 2026, 12:00 UTC" in text
        assert "1 open incident" in text
        assert page.evaluate("e => getComputedStyle(e).borderColor", headline.element_handle()) != "rgba(0, 0, 0, 0)"

        overdue = page.locator(".admonition", has_text="Update overdue").first
        assert overdue.is_visible()
        assert "promised the next one by 30 November 2026, 15:00 UTC" in overdue.inner_text()
        body = page.locator("article").inner_text()
        assert "last update 30 November 2026, 09:00 UTC" in body

        expected = {
            "API": ("Partial outage", "partial_outage"),
            "Database": ("Under maintenance", "under_maintenance"),
            "Website": ("Operational", "operational"),
            "Queue": ("Operational", "operational"),
        }
        for service, (words, status) in expected.items():
            cell = status_cell(page, service)
            assert cell.inner_text().strip().endswith(words), service
            mark = cell.locator("span[aria-hidden=true]")
            assert page.evaluate("e => getComputedStyle(e).color", mark.element_handle()) == COLOURS[status]

        maintenance = page.locator("h2", has_text="Planned maintenance")
        assert maintenance.is_visible()
        assert "In progress: Planned maintenance: database upgrade (Database), since 1 December 2026, 11:00 UTC" in body
        assert "Scheduled: Planned maintenance: website hosting move (Website), 9 December 2026, 02:00 UTC" in body
        # one list item each: a maintenance line that ran into the next (a template tag eating its newline) failed
        items = page.locator("h2:has-text('Planned maintenance') + ul > li").all_inner_texts()
        assert [item.split(":", 1)[0] for item in items] == ["In progress", "Scheduled"], items
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]  # nothing runs off
    finally:
        page.close()


def test_a_resolved_incident_of_an_earlier_year_reads_as_resolved(browser: Any, origin: str) -> None:
    page = browser.new_page()
    try:
        page.goto(f"{origin}history/INC-2024-007/")
        text = page.locator("article").inner_text()
        assert "Resolved 5 March 2024, 10:40 UTC" in text  # 10:40:29 rounds to 10:40
        assert "Ongoing" not in text and "What we know so far" not in text
        assert "began 5 March 2024, 10:00 UTC" in text
        page.goto(f"{origin}history/INC-2026-101/")
        text = page.locator("article").inner_text()
        assert text.count("Ongoing") == 1 and "Update overdue" in text
        assert text.index("We found the cause") < text.index("Some API requests fail")  # newest first
        page.goto(f"{origin}history/")
        text = page.locator("article").inner_text()
        assert "5 March 2024, 10:00 UTC" in text and "ongoing, identified" in text
        assert "9 December 2026, 02:00 UTC" in text and "scheduled" in text
    finally:
        page.close()


def test_status_json_is_utc_and_says_what_the_page_says(site: Path) -> None:
    status = json.loads((site / "status.json").read_text())
    schema = json.loads((REPO / "schemas" / "status.schema.json").read_text())
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER).validate(
        status
    )
    assert status["as_of"] == "2026-12-01T12:00:00Z" and status["status"] == "partial_outage"
    assert {s["id"]: s["status"] for s in status["services"]} == {
        "api": "partial_outage",
        "db": "under_maintenance",
        "queue": "operational",
        "web": "operational",
    }
    ongoing = status["ongoing"][0]
    assert ongoing["update_overdue"] is True and ongoing["last_update"]["next_update_by"] == "2026-11-30T15:00:00Z"
    assert [m["id"] for m in status["maintenance"]["in_progress"]] == ["INC-2026-102"]
    assert [(m["id"], m["state"], m["start"]) for m in status["maintenance"]["upcoming"]] == [
        ("INC-2026-103", "scheduled", "2026-12-09T02:00:00Z")
    ]
    times = re.findall(r'"(\d{4}-\d\d-\d\dT[^"]+)"', (site / "status.json").read_text())
    assert times and all(t.endswith("Z") for t in times)


def test_the_status_check_can_fail(site: Path) -> None:
    status = json.loads((site / "status.json").read_text())
    status["as_of"] = "2026-12-01T13:00:00+01:00"
    schema = json.loads((REPO / "schemas" / "status.schema.json").read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(status, schema)


def test_maintenance_calendar_reads_in_two_parsers(site: Path) -> None:
    import icalendar
    import ics

    text = (site / "maintenance.ics").read_text()
    calendar = icalendar.Calendar.from_ical(text)
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"inc-2026-102@status.acme.example", "inc-2026-103@status.acme.example"}
    upcoming = events["inc-2026-103@status.acme.example"]
    assert upcoming.decoded("dtstart") == datetime(2026, 12, 9, 2, 0, tzinfo=UTC)
    assert upcoming.decoded("dtend") == datetime(2026, 12, 9, 4, 0, tzinfo=UTC)
    assert str(upcoming["summary"]) == "Planned maintenance: website hosting move"
    assert str(upcoming["url"]) == "https://status.acme.example/history/INC-2026-103/"

    other = {e.uid: e for e in ics.Calendar(text).events}
    assert set(other) == set(events)
    event = other["inc-2026-102@status.acme.example"]
    assert event.begin.datetime == datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
    assert event.end.datetime == datetime(2026, 12, 1, 13, 0, tzinfo=UTC)  # the scheduled end: still under way
    assert event.name == "Planned maintenance: database upgrade"


def test_a_public_build_without_site_url_is_refused_and_a_preview_is_not(tmp_path: Path) -> None:
    root = knowledge_base(tmp_path / "kb")
    settings = (root / "incidentkb.yml").read_text()
    (root / "incidentkb.yml").write_text(settings.replace("  site_url: https://status.acme.example/\n", ""))
    out = tmp_path / "public"
    refused = run_cli("build", "--public", "--site-dir", out, "--as-of", AS_OF, root=root, cwd=REPO, timeout=300)
    assert refused.returncode == 2 and "public.site_url is not set" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr and not out.exists()
    preview = run_cli(
        "build", "--public", "--preview", "--site-dir", out, "--as-of", AS_OF, root=root, cwd=REPO, timeout=300
    )
    assert preview.returncode == 0, preview.stderr
    assert '"url": "http://127.0.0.1:8000/history/' in (out / "status.json").read_text()
    internal = run_cli("build", "--preview", "--site-dir", tmp_path / "site", "--as-of", AS_OF, root=root, cwd=REPO)
    assert internal.returncode == 2 and "--preview is for --public" in internal.stderr


def test_the_feed_announces_maintenance_in_utc(site: Path) -> None:
    import feedparser

    feed = feedparser.parse((site / "feed.xml").read_text())
    assert not feed.bozo, feed.bozo_exception
    titles = [e.title for e in feed.entries]
    assert "Planned maintenance: website hosting move: scheduled" in titles
    assert "Planned maintenance: database upgrade: in_progress" in titles
    assert all(e.updated.endswith("Z") for e in feed.entries)


def test_validate_warns_the_team_when_a_promised_update_is_overdue(tmp_path: Path) -> None:
    root = knowledge_base(tmp_path / "kb")
    late = run_cli("validate", "--as-of", AS_OF, root=root)
    record = "incidents/2026/2026-11-30-api-errors.yaml"
    line = next(
        number
        for number, text in enumerate((root / record).read_text().splitlines(), start=1)
        if "next_update_at" in text
    )
    assert f"{record}:{line}:" in late.stdout and "warning[update-overdue]" in late.stdout, late.stdout
    assert "promised the next one by 15:00 UTC on 30 November 2026" in late.stdout
    in_time = run_cli("validate", "--as-of", "2026-11-30T14:59:00Z", root=root)
    assert "update-overdue" not in in_time.stdout


def test_the_report_points_at_the_published_review_instead_of_promising_one(site: Path) -> None:
    text = (site / "reports" / "2026-11" / "index.html").read_text()
    section = text[text.index("Queue deliveries delayed") :]
    section = section[: section.index("<h2")] if "<h2" in section else section
    assert section.count("href=https://blog.acme.example/queue>") == 3  # cause, mitigation, prevention (minified)
    assert "to be published with the post-incident review" not in section
    ongoing = text[text.index("API requests failing for some customers") :]
    assert "to be published with the post-incident review" in ongoing  # an open incident: still to come


def test_the_home_pages_per_day_detail_is_reachable_by_keyboard(browser: Any, origin: str) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        page.goto(origin)
        strip = page.locator(".ikb-uptime", has=page.locator("[aria-label*='Uptime of API']")).first
        day = strip.locator("li[tabindex='0']", has=page.locator("a")).last  # 1 December: the open incident
        detail = day.locator(".ikb-uptime-detail")
        assert not detail.is_visible()
        day.focus()
        assert detail.is_visible()
        text = detail.inner_text()
        assert "1 December 2026" in text and "partial outage" in text
        assert "API requests failing for some customers" in text
        page.keyboard.press("Tab")  # into the detail's link, which keeps it shown
        assert page.evaluate("document.activeElement.textContent") == "API requests failing for some customers"
        assert detail.is_visible()
    finally:
        page.close()
