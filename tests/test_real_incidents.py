"""Real incidents without invented values: policy profiles by provenance (and `policy:` in incidentkb.yml), exact,
approximate and date-only times, impact of other kinds and its timing, stated figures, and how the internal and
public sites show a record written from its sources.

Records are written to a real knowledge base (tests/support.py: KB) and validated through the library entry point
(real loader, real schema, the knowledge base's own incidentkb.yml), or through the real command line in a
subprocess where the command's own behaviour is the point (--strict, settings findings, building the sites).
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from support import (
    KB,
    SERVICES,
    assert_ok,
    build,
    dump_yaml,
    explain,
    html_text,
    make_kb,
    node_position,
    parse_html,
    rules_of,
    sev1_incident,
    write_record,
)

from generator.analyze.availability import incident_windows, service_month
from generator.analyze.metrics import minutes_between
from generator.model import ApproximateMinutes, ApproximateTime, DateOnly, incident_from, parse_time
from generator.validate import TIME_FORMS, ValidationResult

RECORD_FILE = "incidents/2026/2026-10-14-orders-failed.yaml"
CUTOFF = datetime(2026, 11, 23, 12, tzinfo=UTC)


# --- helpers --------------------------------------------------------------------------------------------------


def summary_of(result: ValidationResult) -> list[tuple[str, str]]:
    """(rule, severity) of every finding, sorted."""
    return sorted((f.rule, f.severity.value) for f in result.findings)


def write_and_validate(kb: KB, data: dict[str, Any], relative: str = RECORD_FILE) -> tuple[str, ValidationResult]:
    text = dump_yaml(data)
    path = kb.write(relative, text)
    return text, kb.validate(path)


def from_sources(method: str | None, *, severity: str | None = "SEV1") -> dict[str, Any]:
    """A resolved incident as a public write-up gives it: no root cause, no action items, no customer updates and no
    resolved_at. `method` is provenance.method (None: no provenance section, which means live)."""
    record: dict[str, Any] = {
        "id": "INC-2026-120",
        "title": "Orders failed in the EU region",
        "severity": severity,
        "status": "resolved",
        "kind": "incident",
        "services": ["api"],
        "started_at": "2026-10-14T09:12:00Z",
        "resolved_at": None,
        "impact": [
            {"service": "api", "level": "major_outage", "start": "2026-10-14T09:12:00Z", "end": "2026-10-14T09:52:00Z"}
        ],
        "summary": {"public": "Orders failed for most customers in the EU region."},
    }
    if method is not None:
        record["provenance"] = {"method": method, "written_on": "2026-11-16", "by": "Review team"}
    return record


def action_item(number: int, *, due: str = "2027-01-31", status: str = "open") -> dict[str, Any]:
    return {"title": f"Action item {number}", "owner": "platform", "due": due, "status": status, "kind": "prevent"}


def complete_live_sev1(items: int = 3) -> dict[str, Any]:
    """A live resolved SEV1 with everything the default live profile asks for, and `items` action items."""
    record = from_sources("live")
    record["resolved_at"] = "2026-10-14T11:30:00Z"
    record["root_cause"] = {
        "category": "code_defect",
        "description": "A fixed-size buffer in the order serializer.",
        "five_whys": ["Orders failed.", "The serializer raised.", "Its buffer was too small."],
    }
    record["updates"] = [{"at": "2026-10-14T09:30:00Z", "status": "investigating", "message": "Orders fail."}]
    record["action_items"] = [action_item(n) for n in range(1, items + 1)]
    return record


def with_overdue_item(record: dict[str, Any]) -> dict[str, Any]:
    record["action_items"] = [action_item(1, due="2026-11-01", status="in_progress")]
    return record


def write_settings(kb: KB, text: str) -> None:
    kb.write("incidentkb.yml", "report:\n  timezone: UTC\n" + text)


# --- 1. policy profiles -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["reconstructed", "imported"])
def test_a_record_from_sources_needs_no_postmortem_severity_or_resolved_at(kb: KB, method: str) -> None:
    _, result = write_and_validate(kb, from_sources(method))
    assert result.findings == []
    assert result.ok
    _, result = write_and_validate(kb, from_sources(method, severity=None))
    assert result.findings == []


@pytest.mark.parametrize("method", ["live", None])
def test_the_same_live_record_gets_the_full_post_mortem_policy(kb: KB, method: str | None) -> None:
    text, result = write_and_validate(kb, from_sources(method))
    assert summary_of(result) == [
        ("action-items-count", "error"),
        ("public-update-required", "error"),
        ("resolved-at-required", "error"),
        ("root-cause-required", "error"),
    ]
    messages = {f.rule: f.message for f in result.findings}
    assert messages["root-cause-required"] == "a resolved SEV1 needs a root_cause with a description and its five_whys"
    assert messages["action-items-count"].startswith("a resolved SEV1 needs 2 to 4 action items (has 0)")
    assert messages["public-update-required"] == "a resolved SEV1 needs at least one public customer update"
    resolved = rules_of(result, "resolved-at-required")[0]
    assert (resolved.line, resolved.column) == node_position(text, ["resolved_at"])
    assert "only a reconstructed or imported record may leave it null" in resolved.message


@pytest.mark.parametrize("method", ["live", None])
def test_a_live_record_needs_its_severity(kb: KB, method: str | None) -> None:
    record = from_sources(method, severity=None)
    record["resolved_at"] = "2026-10-14T11:30:00Z"
    text, result = write_and_validate(kb, record)
    assert summary_of(result) == [("severity-required", "error")]
    found = result.findings[0]
    assert (found.line, found.column) == node_position(text, ["severity"])
    assert found.message.startswith("a live record needs its severity (SEV1 to SEV4")
    # the same record, assessed: nothing (a SEV3 needs no post-mortem)
    record["severity"] = "SEV3"
    assert write_and_validate(kb, record)[1].findings == []


def test_policy_can_hold_reconstructed_sev1s_to_a_root_cause(kb: KB) -> None:
    write_settings(
        kb,
        "policy:\n  reconstructed:\n    postmortem: {kinds: [incident], severities: [SEV1], requires: [root_cause]}\n",
    )
    _, result = write_and_validate(kb, from_sources("reconstructed"))
    assert summary_of(result) == [("root-cause-required", "error")]  # nothing else the profile does not name
    assert result.findings[0].message == "a resolved SEV1 needs a root_cause with a description"
    assert (result.findings[0].line, result.findings[0].column) == (1, 1)
    # not for a SEV2, not once the root cause is described, and not for the imported profile
    assert write_and_validate(kb, from_sources("reconstructed", severity="SEV2"))[1].findings == []
    described = from_sources("reconstructed")
    described["root_cause"] = {"category": "unknown", "description": "Unknown: the logs had expired."}
    assert write_and_validate(kb, described)[1].findings == []
    assert write_and_validate(kb, from_sources("imported"))[1].findings == []
    # the live profile keeps its defaults
    assert len(write_and_validate(kb, from_sources("live"))[1].findings) == 4


def test_policy_can_change_the_number_of_action_items_of_live_records(kb: KB) -> None:
    _, result = write_and_validate(kb, complete_live_sev1(items=6))
    assert summary_of(result) == [("action-items-count", "error")]
    assert result.findings[0].message == (
        "a resolved SEV1 needs 2 to 4 action items (has 6); more than that and none get done"
    )
    assert write_and_validate(kb, complete_live_sev1(items=3))[1].findings == []

    write_settings(kb, "policy:\n  live:\n    postmortem: {action_items_min: 1, action_items_max: 8}\n")
    assert write_and_validate(kb, complete_live_sev1(items=6))[1].findings == []
    assert write_and_validate(kb, complete_live_sev1(items=1))[1].findings == []
    _, result = write_and_validate(kb, complete_live_sev1(items=9))
    assert [f.message for f in result.findings] == [
        "a resolved SEV1 needs 1 to 8 action items (has 9); more than that and none get done"
    ]
    # the keys it does not give stay the default's: a root cause is still required
    missing_cause = complete_live_sev1(items=6)
    del missing_cause["root_cause"]
    assert summary_of(write_and_validate(kb, missing_cause)[1]) == [("root-cause-required", "error")]


@pytest.mark.parametrize(
    ("settings", "live", "reconstructed"),
    [
        ("", [("action-item-overdue", "warning")], []),
        ("policy:\n  live: {overdue_action_items: error}\n", [("action-item-overdue", "error")], []),
        ("policy:\n  live: {overdue_action_items: 'off'}\n", [], []),
        (
            "policy:\n  reconstructed: {overdue_action_items: warning}\n",
            [("action-item-overdue", "warning")],
            [("action-item-overdue", "warning")],
        ),
    ],
    ids=["default", "live-error", "live-off", "reconstructed-warning"],
)
def test_policy_decides_whether_overdue_action_items_are_reported(
    kb: KB, settings: str, live: list[tuple[str, str]], reconstructed: list[tuple[str, str]]
) -> None:
    write_settings(kb, settings)
    live_record = with_overdue_item(from_sources("live", severity="SEV3"))
    live_record["resolved_at"] = "2026-10-14T11:30:00Z"
    text, result = write_and_validate(kb, live_record)
    assert summary_of(result) == live
    for found in result.findings:
        assert (found.line, found.column) == node_position(text, ["action_items", 0, "due"])
        assert found.message == "action item 'Action item 1' was due 2026-11-01 and is still in_progress"
    assert summary_of(write_and_validate(kb, with_overdue_item(from_sources("reconstructed")))[1]) == reconstructed


def _finding_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if re.match(r"^[^\s:][^:]*:\d+:\d+: (error|warning)\[", line)]


def test_strict_turns_overdue_warnings_into_errors_only_on_live_records(empty_kb: KB) -> None:
    reconstructed = with_overdue_item(from_sources("reconstructed"))
    empty_kb.write(RECORD_FILE, dump_yaml(reconstructed))
    proc = empty_kb.validate_cli("--strict")
    assert proc.returncode == 0, explain(proc)
    assert _finding_lines(proc.stdout + proc.stderr) == []

    live = with_overdue_item(from_sources("live", severity="SEV3"))
    live.update(id="INC-2026-121", resolved_at="2026-10-14T11:30:00Z")
    live_file = "incidents/2026/2026-10-14-live-orders-failed.yaml"
    text = dump_yaml(live)
    empty_kb.write(live_file, text)
    line, column = node_position(text, ["action_items", 0, "due"])
    expected = (
        f"{live_file}:{line}:{column}: {{}}[action-item-overdue]: action item 'Action item 1' was due 2026-11-01 "
        "and is still in_progress"
    )

    proc = empty_kb.validate_cli()
    assert proc.returncode == 0, explain(proc)
    assert _finding_lines(proc.stdout + proc.stderr) == [expected.format("warning")]

    proc = empty_kb.validate_cli("--strict")
    assert proc.returncode == 1, explain(proc)
    assert "Traceback" not in proc.stderr
    assert _finding_lines(proc.stdout + proc.stderr) == [expected.format("error")]


def test_an_invalid_policy_key_is_a_settings_finding_at_its_line(empty_kb: KB) -> None:
    empty_kb.write(RECORD_FILE, dump_yaml(with_overdue_item(from_sources("reconstructed"))))
    empty_kb.write("incidentkb.yml", "policy:\n  reconstructed:\n    overdue: warning\n")
    proc = empty_kb.validate_cli()
    assert proc.returncode == 1, explain(proc)
    assert _finding_lines(proc.stdout + proc.stderr) == [
        "incidentkb.yml:3:5: error[schema]: policy.reconstructed.overdue: unknown key 'overdue'"
    ]

    empty_kb.write("incidentkb.yml", "policy:\n  reconstructed:\n    overdue_action_items: sometimes\n")
    proc = empty_kb.validate_cli()
    assert proc.returncode == 1, explain(proc)
    lines = _finding_lines(proc.stdout + proc.stderr)
    assert len(lines) == 1, lines
    assert lines[0].startswith(
        'incidentkb.yml:3:27: error[schema]: policy.reconstructed.overdue_action_items: "sometimes" is not one of'
    )

    empty_kb.write("incidentkb.yml", "policy:\n  archived: {}\n")
    proc = empty_kb.validate_cli()
    assert _finding_lines(proc.stdout + proc.stderr) == [
        "incidentkb.yml:2:3: error[schema]: policy.archived: unknown key 'archived'"
    ]

    # the valid key: no settings finding, and the reconstructed record's overdue item now warns
    empty_kb.write("incidentkb.yml", "policy:\n  reconstructed:\n    overdue_action_items: warning\n")
    proc = empty_kb.validate_cli()
    assert proc.returncode == 0, explain(proc)
    lines = _finding_lines(proc.stdout + proc.stderr)
    assert len(lines) == 1 and "warning[action-item-overdue]" in lines[0], lines
    assert lines[0].startswith(RECORD_FILE)


# --- 2. times ---------------------------------------------------------------------------------------------------


def timed_record() -> dict[str, Any]:
    """The full SEV1 with a containment action and a publication: a value in every kind of time field."""
    record = sev1_incident()
    record["id"] = "INC-2026-130"
    record["containment"] = [
        {"action": "rollback", "applied_at": "2026-10-14T09:48:00Z", "removed_at": "2026-10-14T11:10:00Z"}
    ]
    record["publications"] = [{"kind": "postmortem", "url": "https://blog.example/pm", "at": "2026-10-20T10:00:00Z"}]
    return record


TIME_FIELDS: dict[str, tuple[list[str | int], str]] = {
    # field: (where it is, an approximate value that keeps the record's order)
    "started_at": (["started_at"], "2026-10-14T09:12:00Z"),
    "detected_at": (["detected_at"], "2026-10-14T09:15:00Z"),
    "impact.start": (["impact", 0, "start"], "2026-10-14T09:12:00Z"),
    "impact.end": (["impact", 0, "end"], "2026-10-14T09:52:00Z"),
    "containment.applied_at": (["containment", 0, "applied_at"], "2026-10-14T09:48:00Z"),
    "containment.removed_at": (["containment", 0, "removed_at"], "2026-10-14T11:10:00Z"),
    "timeline.at": (["timeline", 1, "at"], "2026-10-14T09:15:00Z"),
    "publications.at": (["publications", 0, "at"], "2026-10-20T10:00:00Z"),
}


def set_at(record: dict[str, Any], where: list[str | int], value: Any) -> None:
    node: Any = record
    for part in where[:-1]:
        node = node[part]
    node[where[-1]] = value


def json_path(where: list[str | int]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p) for i, p in enumerate(where))


def test_the_timed_record_is_valid(kb: KB) -> None:
    assert write_and_validate(kb, timed_record(), "incidents/2026/2026-10-14-timed.yaml")[1].findings == []


@pytest.mark.parametrize("form", ["approximate", "date"])
@pytest.mark.parametrize("field", sorted(TIME_FIELDS))
def test_approximate_and_date_only_times_validate_in_every_time_field(kb: KB, field: str, form: str) -> None:
    where, exact = TIME_FIELDS[field]
    record = timed_record()
    value: Any = {"about": exact} if form == "approximate" else exact[:10]
    set_at(record, where, value)
    _, result = write_and_validate(kb, record, "incidents/2026/2026-10-14-timed.yaml")
    assert not rules_of(result, "schema"), result.findings
    assert result.ok, result.findings
    if form == "date" and field.startswith("impact."):  # shown, but availability cannot measure it
        assert summary_of(result) == [("impact-unmeasured", "warning")]
    else:
        assert result.findings == []
    parsed = parse_time(value)
    assert isinstance(parsed, ApproximateTime if form == "approximate" else DateOnly)


MALFORMED = {
    "no offset, a space": "2026-10-14 09:12",
    "about without offset": {"about": "2026-10-14T09:12:00"},
    "around": {"around": "2026-10-14T09:12:00Z"},
}


@pytest.mark.parametrize("bad", sorted(MALFORMED))
@pytest.mark.parametrize("field", sorted(TIME_FIELDS))
def test_a_malformed_time_is_one_schema_finding_in_words(kb: KB, field: str, bad: str) -> None:
    where, _ = TIME_FIELDS[field]
    record = timed_record()
    value = MALFORMED[bad]
    set_at(record, where, value)
    text, result = write_and_validate(kb, record, "incidents/2026/2026-10-14-timed.yaml")
    assert len(result.findings) == 1, result.findings
    found = result.findings[0]
    assert found.rule == "schema"
    assert found.message == f"{json_path(where)}: {json.dumps(value)} is not a time: {TIME_FORMS}"
    assert "is not a time: write an exact time with its offset" in found.message
    assert not any(regex in found.message for regex in ("^(", "[0-9]", "{2}", "$", "\\"))
    assert (found.line, found.column) == node_position(text, where)


def test_time_order_compares_a_date_only_detection_by_its_day(kb: KB) -> None:
    record = timed_record()
    record["detected_at"] = "2026-10-14"  # same day as started_at 09:12: may lie on either side
    _, result = write_and_validate(kb, record, "incidents/2026/2026-10-14-timed.yaml")
    assert result.findings == []

    record["detected_at"] = "2026-10-13"
    text, result = write_and_validate(kb, record, "incidents/2026/2026-10-14-timed.yaml")
    assert summary_of(result) == [("time-order", "error")]
    found = result.findings[0]
    assert found.message == "detected_at (2026-10-13) is before started_at (2026-10-14T09:12:00Z)"
    assert (found.line, found.column) == node_position(text, ["detected_at"])


def test_a_leap_second_inside_about_is_reported_not_a_crash(kb: KB) -> None:
    record = timed_record()
    record["timeline"][-1]["at"] = {"about": "2026-10-14T23:59:60Z"}
    text, result = write_and_validate(kb, record, "incidents/2026/2026-10-14-timed.yaml")
    assert summary_of(result) == [("schema", "error")]
    found = result.findings[0]
    assert (
        found.message == "'2026-10-14T23:59:60Z' is not a date-time that can be represented (a leap second?); use :59"
    )
    assert (found.line, found.column) == node_position(text, ["timeline", len(record["timeline"]) - 1, "at", "about"])
    # through the command line too: an exit status, no traceback
    proc = kb.validate_cli(kb.path("incidents/2026/2026-10-14-timed.yaml"))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, explain(proc)
    assert "leap second" in proc.stdout

    record["timeline"][-1]["at"] = {"about": "2026-10-14T23:59:59Z"}
    assert write_and_validate(kb, record, "incidents/2026/2026-10-14-timed.yaml")[1].findings == []


def test_minutes_between_is_approximate_or_unknown() -> None:
    exact, approx, day = (
        parse_time("2026-10-14T09:12:00Z"),
        parse_time({"about": "2026-10-14T09:52:00Z"}),
        parse_time("2026-10-14"),
    )
    assert minutes_between(exact, parse_time("2026-10-14T09:52:00Z")) == 40
    assert not isinstance(minutes_between(exact, parse_time("2026-10-14T09:52:00Z")), ApproximateMinutes)
    assert isinstance(minutes_between(exact, approx), ApproximateMinutes)
    assert minutes_between(exact, approx) == 40
    assert minutes_between(day, approx) is None
    assert minutes_between(exact, None) is None


# --- 3. availability ----------------------------------------------------------------------------------------------


def availability_record(*impact: dict[str, Any], status: str = "resolved", method: str = "reconstructed") -> dict:
    record = from_sources(method)
    record["status"] = status
    record["impact"] = list(impact)
    if status == "resolved":
        record["resolved_at"] = "2026-10-14T11:00:00Z"
    return record


def october_downtime(record: dict[str, Any]) -> float:
    incident = incident_from(record, RECORD_FILE)
    figure = service_month("api", 0.999, incident_windows([incident]), 2026, 10, cutoff=CUTOFF)
    assert figure is not None
    return figure.downtime_minutes


def window(start: Any, end: Any = "absent", **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"service": "api", "level": "major_outage", "start": start, **extra}
    if end != "absent":
        entry["end"] = end
    return entry


def test_an_approximate_window_counts_as_written() -> None:
    record = availability_record(window({"about": "2026-10-14T09:12:00Z"}, {"about": "2026-10-14T09:52:00Z"}))
    incident = incident_from(record, RECORD_FILE)
    assert len(incident.impact) == 1 and incident.other_impact == ()
    assert october_downtime(record) == pytest.approx(40)
    exact = availability_record(window("2026-10-14T09:12:00Z", "2026-10-14T09:42:00Z"))
    assert october_downtime(exact) == pytest.approx(30)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-10-14", {"about": "2026-10-14T09:52:00Z"}),
        ({"about": "2026-10-14T09:12:00Z"}, "2026-10-14"),
        ("2026-10-14T09:12:00Z", None),
        ("2026-10-14T09:12:00Z", "absent"),
    ],
    ids=["date-only-start", "date-only-end", "end-null", "end-absent"],
)
def test_an_unmeasurable_window_counts_for_nothing_and_is_other_impact(kb: KB, start: Any, end: Any) -> None:
    record = availability_record(window(start, end))
    incident = incident_from(record, RECORD_FILE)
    assert incident.impact == ()
    assert len(incident.other_impact) == 1
    entry = incident.other_impact[0]
    assert (entry.kind, entry.level, entry.unmeasured) == ("availability", "major_outage", True)
    assert october_downtime(record) == 0
    _, result = write_and_validate(kb, record)
    assert summary_of(result) == [("impact-unmeasured", "warning")]
    reason = "not recorded" if end in (None, "absent") else "a date only"
    assert f"its start or end is {reason}" in result.findings[0].message


def test_a_window_without_end_on_an_open_record_counts_to_the_cut_off() -> None:
    record = availability_record(window("2026-10-31T23:00:00Z"), status="identified")
    incident = incident_from(record, RECORD_FILE)
    assert len(incident.impact) == 1 and incident.other_impact == ()
    assert october_downtime(record) == pytest.approx(60)  # to the end of October


def test_a_residual_window_validates_and_counts(kb: KB) -> None:
    residual = window("2026-10-14T10:30:00Z", "2026-10-14T12:00:00Z", timing="residual")  # resolved at 11:00
    record = availability_record(window("2026-10-14T09:12:00Z", "2026-10-14T09:52:00Z"), residual)
    _, result = write_and_validate(kb, record)
    assert result.findings == []
    incident = incident_from(record, RECORD_FILE)
    assert [w.timing for w in incident.impact] == ["during", "residual"]
    assert october_downtime(record) == pytest.approx(40 + 90)
    assert incident.impact_minutes == pytest.approx(40)  # a stated duration is compared without the residual part

    del residual["timing"]
    text, result = write_and_validate(kb, record)
    assert summary_of(result) == [("impact-window", "error")]
    assert result.findings[0].message.startswith(
        "impact ends (2026-10-14T12:00:00Z) after the incident was resolved (2026-10-14T11:00:00Z)"
    )
    assert (result.findings[0].line, result.findings[0].column) == node_position(text, ["impact", 1, "end"])


def test_a_data_loss_entry_never_counts(kb: KB) -> None:
    lost = {
        "service": "api",
        "kind": "data_loss",
        "start": "2026-10-14T09:12:00Z",
        "end": "2026-10-14T10:12:00Z",
        "quantities": [{"measure": "count", "value": 1200, "unit": "orders"}],
    }
    record = availability_record(lost)
    _, result = write_and_validate(kb, record)
    assert result.findings == []
    incident = incident_from(record, RECORD_FILE)
    assert incident.impact == ()
    assert [(e.kind, e.unmeasured) for e in incident.other_impact] == [("data_loss", False)]
    assert incident.other_impact[0].quantities[0].unit == "orders"
    assert october_downtime(record) == 0
    # the same hour as an availability window does count
    assert october_downtime(availability_record(window("2026-10-14T09:12:00Z", "2026-10-14T10:12:00Z"))) == 60


def test_impact_before_the_start_needs_timing_before_detection(kb: KB) -> None:
    early = window("2026-10-14T08:00:00Z", "2026-10-14T09:30:00Z")
    record = availability_record(early)
    text, result = write_and_validate(kb, record)
    assert summary_of(result) == [("impact-window", "error")]
    found = result.findings[0]
    assert found.message == (
        "impact starts (2026-10-14T08:00:00Z) before the incident started (2026-10-14T09:12:00Z); if it did "
        "(data lost before anyone noticed), say timing: before_detection"
    )
    assert (found.line, found.column) == node_position(text, ["impact", 0, "start"])
    early["timing"] = "before_detection"
    _, result = write_and_validate(kb, record)
    assert result.findings == []
    assert october_downtime(record) == pytest.approx(90)


# --- 5. stated-duration -------------------------------------------------------------------------------------------


def stated_record(*stated: dict[str, Any]) -> dict[str, Any]:
    record = availability_record(window("2026-10-14T09:12:00Z", "2026-10-14T09:52:00Z"))  # 40 minutes
    record["stated"] = list(stated)
    return record


@pytest.mark.parametrize(
    ("minutes", "approximate", "warned"),
    [
        (42, False, True),
        (38.5, False, True),
        (41, False, False),  # exactly a minute off: within rounding
        (39, False, False),
        (40, False, False),
        (44, True, False),  # about 44: a tenth is 4.4
        (45, True, True),  # about 45: a tenth is 4.5, off by 5
        (36.5, True, False),
        (44, False, True),
    ],
)
def test_stated_duration_warns_beyond_a_minute_or_a_tenth(
    kb: KB, minutes: float, approximate: bool, warned: bool
) -> None:
    record = stated_record({"source": "Status page", "duration_minutes": minutes, "approximate": approximate})
    text, result = write_and_validate(kb, record)
    if not warned:
        assert result.findings == []
        return
    assert summary_of(result) == [("stated-duration", "warning")]
    found = result.findings[0]
    assert found.message == (
        f"Status page states {minutes:g} minutes; the record's impact windows give 40 (check the times, or say in "
        "the note what the source measured)"
    )
    assert (found.line, found.column) == node_position(text, ["stated", 0, "duration_minutes"])


def test_stated_duration_is_checked_per_source(kb: KB) -> None:
    record = stated_record(
        {"source": "Blog", "duration_minutes": 40},
        {"source": "Press", "duration_minutes": 27},
        {"source": "Tweet", "duration_minutes": None},
    )
    text, result = write_and_validate(kb, record)
    assert [(f.rule, f.line) for f in result.findings] == [
        ("stated-duration", node_position(text, ["stated", 1, "duration_minutes"])[0])
    ]
    assert result.ok  # never an error


# --- 6. impact-kind ------------------------------------------------------------------------------------------------


def test_a_data_loss_entry_with_a_level_is_an_impact_kind_error(kb: KB) -> None:
    lost = {"service": "api", "kind": "data_loss", "level": "major_outage", "start": "2026-10-14T09:12:00Z"}
    lost["end"] = "2026-10-14T09:30:00Z"
    record = availability_record(lost)
    text, result = write_and_validate(kb, record)
    assert summary_of(result) == [("impact-kind", "error")]
    found = result.findings[0]
    assert found.message == "level is for availability impact; a data_loss entry says how much in quantities instead"
    assert (found.line, found.column) == node_position(text, ["impact", 0, "level"])
    del lost["level"]
    assert write_and_validate(kb, record)[1].findings == []
    lost["level"] = None  # null is no level
    assert write_and_validate(kb, record)[1].findings == []


@pytest.mark.parametrize(
    ("quantity", "message", "where"),
    [
        ({"measure": "share", "value": 20}, "a share needs `of`: what it is a share of (users, requests, traffic)", []),
        ({"measure": "count", "value": 8}, "a count needs `unit`: what is counted (devices, orders, writes)", []),
        ({"measure": "money", "value": 9.5}, "a money needs `currency`: its ISO 4217 code (USD, EUR)", []),
        (
            {"measure": "share", "value": 120, "of": "requests"},
            "a share is a percentage from 0 to 100, not 120",
            ["value"],
        ),
    ],
)
def test_a_quantity_says_what_it_measures(kb: KB, quantity: dict[str, Any], message: str, where: list[str]) -> None:
    lost = {"service": "api", "kind": "data_loss", "start": "2026-10-14T09:12:00Z", "end": "2026-10-14T09:30:00Z"}
    record = availability_record({**lost, "quantities": [quantity]})
    record["stated"] = [{"source": "Blog post", "quantities": [quantity]}]
    text, result = write_and_validate(kb, record)
    assert [(f.rule, f.message) for f in result.findings] == [("quantity-incomplete", message)] * 2
    positions = sorted((f.line, f.column) for f in result.findings)
    expected = [node_position(text, [*place, "quantities", 0, *where]) for place in (["impact", 0], ["stated", 0])]
    assert positions == sorted(expected)
    complete = {"share": {"of": "requests", "value": 20}, "count": {"unit": "orders"}, "money": {"currency": "USD"}}
    fixed = {**quantity, **complete[quantity["measure"]]}
    record["impact"][0]["quantities"] = [fixed]
    record["stated"][0]["quantities"] = [fixed]
    assert write_and_validate(kb, record)[1].findings == []


# --- 4. rendering ---------------------------------------------------------------------------------------------------

RECONSTRUCTED: dict[str, Any] = {
    "id": "INC-2026-101",
    "title": "Checkout failed for many customers",
    "severity": "SEV1",
    "status": "resolved",
    "kind": "incident",
    "services": ["api"],
    "provenance": {"method": "reconstructed", "written_on": "2026-11-16", "by": "Review team"},
    "postmortem": {"status": "in_review", "authors": ["Ana Lima", "Jonas Berg"], "reviewers": ["Payments leads"]},
    "started_at": {"about": "2026-10-14T09:12:00Z"},
    "detected_at": "2026-10-14",
    "mitigated_at": {"about": "2026-10-14T09:52:00Z"},
    "resolved_at": None,
    "impact": [
        {
            "service": "api",
            "level": "major_outage",
            "start": {"about": "2026-10-14T09:12:00Z"},
            "end": {"about": "2026-10-14T09:52:00Z"},
            "quantities": [{"measure": "share", "value": 20, "of": "requests", "approximate": True}],
        }
    ],
    "summary": {"public": "Checkout failed for many customers."},
    "containment": [{"action": "rollback", "applied_at": {"about": "2026-10-14T09:40:00Z"}}],
    "stated": [
        {"source": "Press article", "duration_minutes": 27},
        {"source": "Status page", "duration_minutes": 41},
        {"source": "Engineering blog", "duration_minutes": 44, "approximate": True},
    ],
    "third_parties": [
        {"name": "Example CDN", "role": "cause", "incident_url": "https://status.cdn.example/incidents/42"}
    ],
    "publications": [
        {
            "kind": "postmortem",
            "title": "What happened on 14 October",
            "url": "https://blog.example/pm",
            "at": "2026-10-20",
        }
    ],
}

LIVE: dict[str, Any] = {
    "id": "INC-2026-102",
    "title": "Search was slow",
    "severity": "SEV3",
    "status": "resolved",
    "kind": "incident",
    "services": ["web"],
    "started_at": "2026-10-20T10:00:00Z",
    "resolved_at": "2026-10-20T11:00:00Z",
    "impact": [
        {"service": "web", "level": "partial_outage", "start": "2026-10-20T10:00:00Z", "end": "2026-10-20T10:30:00Z"}
    ],
    "summary": {"public": "Searches were slow."},
    "containment": [{"action": "feature_flag_off", "applied_at": "2026-10-20T10:20:00Z", "removed_at": None}],
    "stated": [{"source": "Status page", "duration_minutes": 31}],
}

LIVE_WITH_PROVENANCE: dict[str, Any] = {
    **copy.deepcopy(LIVE),
    "id": "INC-2026-103",
    "started_at": "2026-10-22T10:00:00Z",
    "resolved_at": "2026-10-22T11:00:00Z",
    "impact": [
        {"service": "web", "level": "partial_outage", "start": "2026-10-22T10:00:00Z", "end": "2026-10-22T10:30:00Z"}
    ],
    "containment": [
        {
            "action": "feature_flag_off",
            "applied_at": "2026-10-22T10:20:00Z",
            "removed_at": "2026-10-22T10:50:00Z",
        }
    ],
    "provenance": {"method": "live", "by": "Search on-call"},
    "stated": [],
}

ONGOING: dict[str, Any] = {
    "id": "INC-2026-104",
    "title": "Checkout is failing",
    "severity": "SEV2",
    "status": "identified",
    "kind": "incident",
    "services": ["api"],
    "started_at": "2026-11-23T09:00:00Z",
    "resolved_at": None,
    "impact": [{"service": "api", "level": "major_outage", "start": "2026-11-23T09:00:00Z"}],
    "summary": {"public": "Checkout is failing for some customers."},
    "updates": [{"at": "2026-11-23T09:10:00Z", "status": "identified", "message": "We found the cause."}],
}


@pytest.fixture(scope="module")
def rendering_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_kb(
        tmp_path_factory.mktemp("real") / "kb", [LIVE, LIVE_WITH_PROVENANCE, ONGOING], list(SERVICES.values())
    )
    write_record(root / "incidents/2026/2026-10-14-checkout-failed.yaml", RECONSTRUCTED)
    return root


@pytest.fixture(scope="module")
def internal_site(rendering_kb: Path) -> Path:
    site = rendering_kb.parent / "site"
    assert_ok(build(rendering_kb, site))
    return site


@pytest.fixture(scope="module")
def public_site(rendering_kb: Path) -> Path:
    site = rendering_kb.parent / "public-site"
    assert_ok(build(rendering_kb, site, "--public"))
    return site


class Tables(HTMLParser):
    """Every table of a page as rows of cell texts (whitespace collapsed)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # Minified HTML leaves out the end tags of cells and rows: a new cell or row ends the one before.
        if tag in ("table", "tr", "td", "th"):
            self._close_cell()
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th", "tr", "thead", "tbody", "table"):
            self._close_cell()

    def _close_cell(self) -> None:
        if self._cell is not None and self.tables and self.tables[-1]:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
        self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def page(site: Path, incident_id: str) -> str:
    return (site / "incidents" / incident_id / "index.html").read_text(encoding="utf-8")


def hrefs(markup: str) -> set[str | None]:
    return {tag.get("href") for tag in parse_html(markup).tags if tag.name == "a"}


def table(markup: str, first_header: str) -> list[dict[str, str]]:
    """The rows of the table whose first header cell is `first_header`, as {header: cell}."""
    parser = Tables()
    parser.feed(markup)
    for rows in parser.tables:
        if rows and rows[0] and rows[0][0] == first_header:
            return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    raise AssertionError(f"no table headed {first_header!r}: {[t[0] for t in parser.tables if t]}")


def test_a_reconstructed_record_shows_its_provenance_and_never_ongoing(internal_site: Path) -> None:
    markup = page(internal_site, "INC-2026-101")
    text = html_text(markup)
    assert "Provenance: reconstructed" in text
    assert "Written after the fact from its sources on 2026-11-16 by Review team." in text
    [row] = table(markup, "Severity")
    assert (row["Status"], row["Resolved"]) == ("resolved", "resolved, time not recorded")
    phases = {r["Phase"]: r["Time"] for r in table(markup, "Phase")}
    assert phases["Resolved"] == "resolved, time not recorded"
    assert "Ongoing" not in text and "not yet" not in text


def test_a_live_record_without_provenance_shows_no_banner(internal_site: Path) -> None:
    text = html_text(page(internal_site, "INC-2026-102"))
    assert "Provenance:" not in text
    [row] = table(page(internal_site, "INC-2026-102"), "Severity")
    assert row["Resolved"] == "2026-10-20 11:00 UTC"
    # with a provenance section, a live record says so
    assert "Provenance: live" in html_text(page(internal_site, "INC-2026-103"))


def test_an_ongoing_record_reads_ongoing_and_not_resolved_as_of_the_cut_off(internal_site: Path) -> None:
    markup = page(internal_site, "INC-2026-104")
    assert "Ongoing: identified" in html_text(markup)
    assert table(markup, "Severity")[0]["Resolved"] == "ongoing (not resolved as of 2026-11-23 12:00 UTC)"


def test_approximate_and_date_only_times_and_durations_on_the_page(internal_site: Path) -> None:
    markup = page(internal_site, "INC-2026-101")
    phases = {r["Phase"]: r["Time"] for r in table(markup, "Phase")}
    assert phases["Started"] == "about 2026-10-14 09:12 UTC"
    assert phases["Detected"] == "2026-10-14"  # a date only: the date, no time
    assert phases["Mitigated"] == "about 2026-10-14 09:52 UTC"
    [durations] = table(markup, "Time to detect")
    assert durations["Time to detect"] == "not recorded"  # to a date only: no duration
    assert durations["Time to mitigate"] == "about 40 min"
    assert durations["Time to resolve"] == "not recorded"
    [impact] = table(markup, "Service")
    assert (impact["Start"], impact["End"], impact["Duration"]) == (
        "about 2026-10-14 09:12 UTC",
        "about 2026-10-14 09:52 UTC",
        "about 40 min",
    )
    assert "share: about 20% of requests" in impact["Note"]
    # exact times on a live page carry no "about"
    [live_impact] = table(page(internal_site, "INC-2026-102"), "Service")
    assert live_impact["Duration"] == "30 min"


def test_containment_not_removed_reads_by_provenance(internal_site: Path) -> None:
    reconstructed = page(internal_site, "INC-2026-101")
    [row] = table(reconstructed, "Action")
    assert row["Removed"] == "not recorded"
    assert "Configuration debt" not in html_text(reconstructed)

    live = page(internal_site, "INC-2026-102")
    [row] = table(live, "Action")
    assert row["Removed"] == "still in place"
    assert "<strong>still in place</strong>" in live
    assert "Configuration debt" in html_text(live)
    assert "1 containment measure(s) are still in place" in html_text(live)

    removed = page(internal_site, "INC-2026-103")
    [row] = table(removed, "Action")
    assert row["Removed"] == "2026-10-22 10:50 UTC"
    assert "Configuration debt" not in html_text(removed)


def test_stated_figures_are_flagged_only_when_they_differ(internal_site: Path) -> None:
    markup = page(internal_site, "INC-2026-101")
    rows = {r["Source"]: r for r in table(markup, "Source")}
    assert rows["Press article"]["Stated duration"] == "27 min"
    assert rows["Press article"]["From this record"].endswith("(differs)")
    assert rows["Status page"]["Stated duration"] == "41 min"  # exactly a minute off
    assert "differs" not in rows["Status page"]["From this record"]
    assert rows["Engineering blog"]["Stated duration"] == "about 44 min"  # within a tenth
    assert "differs" not in rows["Engineering blog"]["From this record"]
    assert markup.count("<strong>differs</strong>") == 1
    # the live record: 31 stated, 30 computed
    [live] = table(page(internal_site, "INC-2026-102"), "Source")
    assert live["From this record"] == "30 min"


def test_the_duration_from_approximate_windows_reads_about_beside_the_stated_one(internal_site: Path) -> None:
    """The record's own figure is built on approximate times ({about: ...} bounds), as the impact row's is: it
    reads "about 40 min" there too (metrics.ApproximateMinutes)."""
    rows = {r["Source"]: r for r in table(page(internal_site, "INC-2026-101"), "Source")}
    assert rows["Status page"]["From this record"] == "about 40 min"


def test_third_parties_publications_and_the_review_header_are_shown(internal_site: Path) -> None:
    markup = page(internal_site, "INC-2026-101")
    [party] = table(markup, "Party")
    assert (party["Party"], party["Role"], party["Their report"]) == ("Example CDN", "cause", "their incident")
    assert "https://status.cdn.example/incidents/42" in hrefs(markup)
    text = html_text(markup)
    assert "postmortem: What happened on 14 October , 2026-10-20" in text
    assert "https://blog.example/pm" in hrefs(markup)
    [review] = table(markup, "Post-mortem")
    assert (review["Post-mortem"], review["Authors"], review["Reviewers"]) == (
        "in review",
        "Ana Lima, Jonas Berg",
        "Payments leads",
    )
    assert review["Incident commander"] == "not recorded"
    # a record without them has none of these sections
    live = page(internal_site, "INC-2026-102")
    assert "Third parties" not in html_text(live)
    assert "<strong>Published</strong>" in markup and "<strong>Published</strong>" not in live
    with pytest.raises(AssertionError):
        table(live, "Post-mortem")


def test_the_public_site_shows_a_reconstructed_record_without_resolved_at_as_resolved(public_site: Path) -> None:
    history = html_text((public_site / "history" / "INC-2026-101" / "index.html").read_text(encoding="utf-8"))
    assert "Resolved (time not recorded)" in history
    assert "Ongoing" not in history
    ongoing = html_text((public_site / "history" / "INC-2026-104" / "index.html").read_text(encoding="utf-8"))
    assert "Ongoing" in ongoing
    status = json.loads((public_site / "status.json").read_text(encoding="utf-8"))
    assert [i["id"] for i in status["ongoing"]] == ["INC-2026-104"]
    recent = {i["id"]: i for i in status["recent"]}
    assert recent["INC-2026-101"]["status"] == "resolved"
    assert recent["INC-2026-101"]["end"] == "2026-10-14T09:52:00Z"


def test_the_rendering_records_are_valid(rendering_kb: Path) -> None:
    proc = KB(rendering_kb).validate_cli()
    assert proc.returncode == 0, explain(proc)
    # only the press article's figure differs by more than the tolerance
    assert [line.split(": ")[1] for line in _finding_lines(proc.stdout)] == ["warning[stated-duration]"]


def test_the_public_history_links_what_was_published_about_the_incident(tmp_path: Path) -> None:
    """publications are public (x-public): GitHub's 2018 history page in tests/realworld links its preliminary
    report and its post-incident analysis with their dates; a publication dated after the cut-off is not shown
    yet (as customers saw the site then)."""
    root = Path(__file__).parent / "realworld"
    site = tmp_path / "site"
    for as_of, expected in (("2026-12-01T00:00:00Z", 2), ("2018-10-25T00:00:00Z", 1)):
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "generator",
                "--root",
                str(root),
                "build",
                "--public",
                "--site-dir",
                str(site),
                "--as-of",
                as_of,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        page = (site / "history" / "INC-2018-001" / "index.html").read_text(encoding="utf-8")
        links = re.findall(r'href="?(https://blog\.github\.com/[^" >]+)', page)
        assert len(links) == expected, (as_of, links)
        assert "2018-10-22" in page
