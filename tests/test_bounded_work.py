"""Bounded work for any valid input: no record, however it is written, can take the build down.

- Escaping is linear: a megabyte of each Markdown or HTML special character is escaped in a fraction of a second.
- Python-Markdown is not: each escaped special is one inline match, and each match rebuilds the text of its whole
  paragraph (markdown.treeprocessors.InlineProcessor.__applyPattern), so a paragraph of n specials costs n²; no
  escaping avoids it (a backslash escape and an entity are one match each). The schema's maximum lengths bound
  it instead: a field of 0.9 MB of specials (hours of build before) is a schema finding at once, and the largest
  valid record builds within the time limit.
- Reports cover the last `history_months` (default 120) months, from the first impact at the earliest: an impact
  window in 1971 makes 120 report pages, not 669; 7,000 windows over 56 years build within the time limit.
- Values that crashed the build (a 300-digit id: "File name too long"; the years 9999 and 0001: OverflowError) are
  schema findings; the first and last valid years (1970 and 2100, at the extreme offsets) build.

Time limits are subprocess timeouts (TIME_LIMIT), generous for a slow machine: what they guard took minutes to
hours before.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support import (
    AS_OF,
    FINDING_LINE,
    REPO,
    assert_ok,
    copy_kb,
    explain,
    html_text,
    load_schema,
    make_kb,
    page_path,
    resolve,
    run_cli,
    service,
    sev1_incident,
    write_record,
)

from generator.analyze.report import report_months
from generator.knowledge_base import KnowledgeBase
from generator.site import load_knowledge_base

TIME_LIMIT = 60  # seconds, per command
# Each special as a repeating unit: emphasis, intra-word emphasis, an entity, code, escapes, HTML, links, tables.
SPECIALS = ["*", "_a", "&", "`", "\\", "<", "[", "|"]
SERVICES = [service("api"), service("db"), service("web")]


def build_site(root: Path, site: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli(
        "build", "--site-dir", site, "--as-of", AS_OF, "--jobs", "1", *extra, root=root, cwd=REPO, timeout=TIME_LIMIT
    )


def kb_of(root: Path, incidents: list[dict[str, Any]]) -> Path:
    """A knowledge base of these incidents, each in a file with a short name of its `started_at` date (an id
    of any length fits in it)."""
    kb = make_kb(root, [], SERVICES)
    for number, incident in enumerate(incidents):
        day = incident["started_at"][:10]
        write_record(kb / "incidents" / day[:4] / f"{day}-record-{number:03d}.yaml", incident)
    return kb


def run_of(unit: str, length: int) -> str:
    return (unit * (length // len(unit) + 1))[:length]


def findings(result: subprocess.CompletedProcess[str]) -> list[tuple[str, int, int, str]]:
    """`(path, line, column, message)` of every error finding printed."""
    return [
        (m["path"], int(m["line"]), int(m["col"]), m.group(0).split("]: ", 1)[1])
        for m in FINDING_LINE.finditer(result.stdout + result.stderr)
    ]


def report_pages(site: Path) -> list[str]:
    return sorted(p.parent.name for p in site.glob("reports/*/index.html"))


def months_back(count: int) -> list[str]:
    """The `count` months ending with the month of AS_OF, oldest first, as YYYY-MM."""
    cutoff = datetime.fromisoformat(AS_OF)
    last = cutoff.year * 12 + cutoff.month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(last - count + 1, last + 1)]


# --- escaping ---------------------------------------------------------------------------------------------

ESCAPE_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from generator.render.markdown import code, codeblock, escape_markdown, front_matter_value, link, oneline, paragraphs
    for unit in sys.argv[1:]:
        text = (unit * (1_000_000 // len(unit) + 1))[:1_000_000]
        start = time.perf_counter()
        outputs = [escape_markdown(text), paragraphs(text), oneline(text), code(text), codeblock(text),
                   link(text, "x.md"), front_matter_value(text)]
        assert all(len(out) <= 6 * len(text) + 100 for out in outputs), unit
        print(repr(unit), round(time.perf_counter() - start, 3))
    """
)


def test_escaping_a_megabyte_of_each_special_is_linear_work() -> None:
    """Every escape and filter of record text is linear: a megabyte of each special character, and of line-start
    markers and line breaks, through all of them in one process within the time limit (3 s here; an escape that
    inserts each backslash by slicing, one copy of the text per special, took more than 60 s)."""
    units = [*SPECIALS, "-\n", "1.\n", "a  \n", "\n \n", " \t"]
    try:
        result = subprocess.run(
            [sys.executable, "-c", ESCAPE_SCRIPT, *units],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=TIME_LIMIT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"escaping 1 MB of each of {units} took more than {TIME_LIMIT} s")
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(result.stdout.splitlines()) == len(units), result.stdout


# --- maximum lengths --------------------------------------------------------------------------------------

# Where each special goes: the kinds of field there are (a line, a few sentences, prose, list items).
HOSTILE_FIELDS: list[tuple[str, list[str | int], int]] = [
    ("*", ["summary", "public"], 2000),
    ("_a", ["summary", "internal"], 10000),
    ("&", ["root_cause", "description"], 10000),
    ("`", ["timeline", 0, "event"], 2000),
    ("\\", ["updates", 0, "message"], 2000),
    ("<", ["lessons", "went_wrong", 0], 2000),
    ("[", ["action_items", 0, "title"], 500),
    ("|", ["impact", 0, "note"], 2000),
]


def set_at(record: dict[str, Any], path: list[str | int], value: str) -> None:
    target: Any = record
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value


def test_a_field_of_900_kb_of_specials_is_a_finding_not_hours_of_build(tmp_path: Path) -> None:
    """One record per special, each with 0.9 MB of it in one field: before, every one of them was valid and its
    build ran for hours (quadratic: 40,000 `*` cost 8 s, 160,000 cost 140 s); now each is one schema finding at
    its field, naming the limit, and nothing is built."""
    incidents = []
    for number, (unit, path, _) in enumerate(HOSTILE_FIELDS, start=101):
        record = sev1_incident()
        record["id"] = f"INC-2026-{number}"
        set_at(record, path, run_of(unit, 900_000 // len(json.dumps(unit)[1:-1])))  # JSON doubles a backslash
        incidents.append(record)
    kb = kb_of(tmp_path / "kb", incidents)
    result = build_site(kb, tmp_path / "site")
    assert result.returncode == 1, explain(result)
    assert "Traceback" not in result.stderr, explain(result)
    assert not (tmp_path / "site").exists()
    found = findings(result)
    assert len(found) == len(HOSTILE_FIELDS), [f[:3] for f in found]
    for (unit, path, limit), (_, _, _, message) in zip(HOSTILE_FIELDS, sorted(found), strict=True):
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
        assert message.startswith(f"{where}: "), message[:200]
        assert re.search(rf"\b({limit}|{limit:,})\b", message[-300:]), (unit, message[-300:])  # names the limit


SCHEMA = load_schema("incident")


def filled(value: Any, node: dict[str, Any], units: list[str]) -> Any:
    """`value` with every free-text string replaced by its field's maxLength of the next special in turn."""
    node = resolve(SCHEMA, node)
    if node.get("x-time"):
        return value  # a time (its forms are patterned)
    if isinstance(value, dict):
        return {key: filled(item, node["properties"][key], units) for key, item in value.items()}
    if isinstance(value, list):
        return [filled(item, node.get("items") or {}, units) for item in value]
    if isinstance(value, str) and not {"pattern", "format", "enum"} & node.keys():
        assert "maxLength" in node, f"a free-text field without a maximum length: {node}"
        units.append(units.pop(0))
        return run_of(units[-1], node["maxLength"])
    return value


def test_the_largest_valid_record_of_specials_builds_within_the_time_limit(tmp_path: Path) -> None:
    """A resolved SEV1 with nearly every field, each free-text field at its maximum length of one special (in
    turn): valid, and both sites build within the time limit (about 5 s and 1 s here), showing the text as written."""
    record = filled(sev1_incident(), SCHEMA, list(SPECIALS))
    kb = kb_of(tmp_path / "kb", [record])
    internal, public = tmp_path / "site", tmp_path / "public"
    assert_ok(build_site(kb, internal))
    assert_ok(build_site(kb, public, "--public"))
    page = html_text(page_path(internal, f"incidents/{record['id']}").read_text(encoding="utf-8"))
    assert record["root_cause"]["description"] in page
    assert record["summary"]["internal"] in page
    history = html_text(page_path(public, f"history/{record['id']}").read_text(encoding="utf-8"))
    assert record["summary"]["public"] in history


# --- values that crashed the build ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "where"),
    [
        # Each of the first four was valid and failed the build: "File name too long" (both sites), and an
        # OverflowError with a traceback (the internal site) where the offset moves the instant out of years 1-9999.
        (lambda r: r.update(id="INC-2026-" + "9" * 300), "id"),
        (lambda r: r["changes"][0].update(at="9999-12-31T23:59:00-01:00"), "changes[0].at"),
        (lambda r: r["defect_age"].update(introduced_at="9999-12-31T23:59:00-01:00"), "defect_age.introduced_at"),
        (lambda r: r["timeline"][0].update(at="0001-01-01T00:00:00+01:00"), "timeline[0].at"),
        # Outside the bounds too, though they did not crash.
        (lambda r: r["impact"][0].update(start="1969-12-31T23:59:59Z"), "impact[0].start"),
        (lambda r: r["action_items"][0].update(due="2101-01-01"), "action_items[0].due"),
        (lambda r: r["failure_boundary"].update(customers_affected=2**53), "failure_boundary.customers_affected"),
    ],
    ids=[
        "id-300-digits",
        "change-9999",
        "introduced-9999",
        "timeline-0001",
        "impact-1969",
        "due-2101",
        "customers-2-to-the-53",
    ],
)
def test_a_value_that_crashed_the_build_is_a_finding(tmp_path: Path, change: Any, where: str) -> None:
    """A schema finding at the value, from both builds: no traceback, nothing built."""
    record = sev1_incident()
    change(record)
    kb = kb_of(tmp_path / "kb", [record])
    for extra in ([], ["--public"]):
        result = build_site(kb, tmp_path / "site", *extra)
        assert result.returncode == 1, explain(result)
        assert "Traceback" not in result.stderr, explain(result)
        assert [message.split(": ", 1)[0] for *_, message in findings(result)] == [where], explain(result)
        assert not (tmp_path / "site").exists()


def test_the_first_and_last_valid_years_build_at_the_extreme_offsets(tmp_path: Path) -> None:
    """1970-01-01 at +14:00 is still 1969 in UTC, and 2100-12-31 at -12:00 already 2101: both build, in report
    time zones at both ends of the world (the internal site in one, the public one in the other), with 120
    report pages."""
    record = {
        "id": "INC-1970-001",
        "title": "Checkout was slow",
        "severity": "SEV3",
        "status": "investigating",
        "kind": "incident",
        "services": ["api", "web"],
        "started_at": "1970-01-01T00:00:00+14:00",
        "impact": [
            {
                "service": "api",
                "level": "partial_outage",
                "start": "1970-01-01T00:00:00+14:00",
                "end": "2100-12-31T23:59:59-12:00",
            },
            {"service": "web", "level": "major_outage", "start": "2100-12-31T23:59:59.999999-23:59"},
        ],
        "summary": {"public": "Checkout was slow."},
        "timeline": [{"at": "2100-12-31T23:59:59-23:59", "event": "The last moment a record can name."}],
        "action_items": [{"title": "Plan ahead", "status": "open", "kind": "prevent", "due": "2100-12-31"}],
    }
    kb = kb_of(tmp_path / "kb", [record])
    for zone, extra in (("Etc/GMT+12", []), ("Pacific/Kiritimati", ["--public"])):  # UTC-12 and UTC+14
        settings = f"report:\n  timezone: {zone}\npublic:\n  site_url: https://status.example.com/\n"
        (kb / "incidentkb.yml").write_text(settings, encoding="utf-8")
        assert_ok(build_site(kb, tmp_path / zone, *extra))
        assert len(report_pages(tmp_path / zone)) == 120


# --- the range of report months ---------------------------------------------------------------------------


def incident_in(year: int) -> dict[str, Any]:
    return {
        "id": f"INC-{year}-001",
        "title": "Checkout was slow",
        "severity": "SEV3",
        "status": "resolved",
        "kind": "incident",
        "services": ["api"],
        "started_at": f"{year}-03-02T10:00:00Z",
        "resolved_at": f"{year}-03-02T12:00:00Z",
        "impact": [
            {
                "service": "api",
                "level": "partial_outage",
                "start": f"{year}-03-02T10:00:00Z",
                "end": f"{year}-03-02T11:00:00Z",
            }
        ],
        "summary": {"public": "Checkout was slow."},
    }


def test_an_incident_in_1971_makes_ten_years_of_reports_not_fifty_five(tmp_path: Path) -> None:
    """Before, reports began with the first impact: 669 months from 1971-03 (a window in 1900 made 10,834 pages).
    Now both sites hold the last 120 months; the old incident keeps its own pages."""
    kb = kb_of(tmp_path / "kb", [incident_in(1971)])
    internal, public = tmp_path / "site", tmp_path / "public"
    assert_ok(build_site(kb, internal))
    assert_ok(build_site(kb, public, "--public"))
    assert report_pages(internal) == months_back(120)
    assert report_pages(public) == months_back(120)
    assert page_path(internal, "incidents/INC-1971-001").is_file()
    assert page_path(public, "history/INC-1971-001").is_file()


def test_history_months_sets_how_many_months_are_reported(tmp_path: Path) -> None:
    kb = kb_of(tmp_path / "kb", [incident_in(1971)])
    settings = "report:\n  history_months: 24\npublic:\n  site_url: https://status.example.com/\n"
    (kb / "incidentkb.yml").write_text(settings, encoding="utf-8")
    assert_ok(build_site(kb, tmp_path / "public", "--public"))
    assert report_pages(tmp_path / "public") == months_back(24)


@pytest.mark.parametrize("value", ["0", "1201", "2.5", "true", '"120"'])
def test_history_months_out_of_range_is_a_settings_finding(tmp_path: Path, value: str) -> None:
    kb = kb_of(tmp_path / "kb", [incident_in(2026)])
    (kb / "incidentkb.yml").write_text(f"report:\n  history_months: {value}\n", encoding="utf-8")
    result = build_site(kb, tmp_path / "public", "--public")
    assert result.returncode == 1, explain(result)
    assert [(path, line, column) for path, line, column, _ in findings(result)] == [("incidentkb.yml", 2, 19)]
    assert "report.history_months" in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        (None, ["2026-08", "2026-09", "2026-10", "2026-11"]),
        (120, ["2026-08", "2026-09", "2026-10", "2026-11"]),  # the first impact is later than the floor
        (2, ["2026-10", "2026-11"]),
        (1, ["2026-11"]),
    ],
)
def test_report_months_run_from_the_later_of_the_first_impact_and_the_floor(
    tmp_path: Path, limit: int | None, expected: list[str]
) -> None:
    """On the example knowledge base (first impact in August 2026), as the build loads it."""
    as_of = datetime.fromisoformat(AS_OF)
    loaded = load_knowledge_base(KnowledgeBase(copy_kb(tmp_path / "kb")), as_of)
    months = report_months(loaded.public, as_of, loaded.settings.zone, limit)
    assert [f"{y:04d}-{m:02d}" for y, m in months] == expected


def test_thousands_of_impact_windows_over_decades_build_within_the_time_limit(tmp_path: Path) -> None:
    """7,000 windows from 1970 to 2026 in one valid file of nearly 1 MB: before, one report per month since 1970
    (682 pages); now 120, in a few seconds."""
    start, end = datetime(1970, 1, 1, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC)
    step = (end - start) / 7000

    def at(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    windows = [
        {
            "service": "api",
            "level": "partial_outage",
            "start": at(start + i * step),
            "end": at(start + i * step + timedelta(minutes=30)),
        }
        for i in range(7000)
    ]
    record = {**incident_in(1970), "started_at": at(start), "resolved_at": at(end), "impact": windows}
    kb = kb_of(tmp_path / "kb", [record])
    assert next((kb / "incidents").rglob("*.yaml")).stat().st_size > 1_000_000  # the loader's limit is 1 MiB
    assert_ok(build_site(kb, tmp_path / "public", "--public"))
    assert report_pages(tmp_path / "public") == months_back(120)


def test_a_service_with_a_huge_id_or_text_is_a_finding_that_does_not_repeat_the_value(tmp_path: Path) -> None:
    """A 245-character service id made the charts' file names too long for the file system; a megabyte of text
    in a runbook field was a quadratic render. Both are findings now, and a finding never repeats the value."""
    kb = kb_of(tmp_path / "kb", [])
    long_id = "s" * 245
    huge = service("web")
    huge["description"] = "*" * 900_000
    write_record(kb / "services" / "web.yaml", huge)
    write_record(kb / "services" / f"{long_id}.yaml", {**service("web"), "id": long_id})
    result = build_site(kb, tmp_path / "site")
    assert result.returncode == 1, explain(result)
    assert "Traceback" not in result.stderr
    messages = {path: message for path, _, _, message in findings(result)}
    assert len(messages) == 2, explain(result)[:3000]
    assert messages["services/web.yaml"] == "description: is 900,000 characters long; the limit is 2,000"
    assert messages[f"services/{long_id}.yaml"] == "id: is 245 characters long; the limit is 64"
    assert len(result.stdout + result.stderr) < 5_000
