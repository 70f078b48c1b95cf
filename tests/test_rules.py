"""The policy rules of generator/validate.py, one by one: a violation is reported under the rule's name at the
line and column of the value it concerns, and a valid variant of the same record gets no finding of that rule.

Records are written to a real knowledge base (see tests/support.py: KB) and validated through the library entry point
`validate_knowledge_base` (real loader, real schema); test_cli.py runs the same checks through the CLI. Expected
positions come from PyYAML's composer on the written text (`node_position`), not from generator.loader.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import pytest
from support import (
    INVESTIGATING_FILE,
    KB,
    NEAR_MISS_FILE,
    OLD_FILE,
    SEV1_FILE,
    dump_yaml,
    investigating_incident,
    near_miss_incident,
    node_position,
    old_incident,
    rules_of,
    service,
    sev1_incident,
)

from generator.validate import ValidationResult


def write_and_validate(kb: KB, relative: str, data: dict[str, Any]) -> tuple[str, ValidationResult]:
    text = dump_yaml(data)
    path = kb.write(relative, text)
    return text, kb.validate(path)


def assert_finding(
    result: ValidationResult,
    rule: str,
    text: str,
    json_path: Sequence[str | int],
    *,
    path: str,
    severity: str = "error",
    count: int = 1,
) -> None:
    found = [f for f in result.findings if f.rule == rule]
    assert len(found) == count, result.findings
    line, column = node_position(text, json_path)
    assert any((f.path, f.line, f.column, f.severity.value) == (path, line, column, severity) for f in found), (
        f"expected {rule} at {path}:{line}:{column}, got {found}"
    )


def assert_no_finding(result: ValidationResult, rule: str) -> None:
    assert not rules_of(result, rule), result.findings


def assert_clean(result: ValidationResult) -> None:
    assert result.findings == []


# --- the valid knowledge base ---------------------------------------------------------------------------------


def test_valid_knowledge_base_has_no_findings(kb: KB) -> None:
    result = kb.validate()
    assert_clean(result)
    assert {d.path for d in result.incidents} == {SEV1_FILE, INVESTIGATING_FILE, NEAR_MISS_FILE, OLD_FILE}
    assert {d.path for d in result.services} == {"services/api.yaml", "services/db.yaml", "services/web.yaml"}


@pytest.mark.parametrize("relative", [SEV1_FILE, INVESTIGATING_FILE, NEAR_MISS_FILE, OLD_FILE])
def test_each_valid_record_alone_has_no_findings(kb: KB, relative: str) -> None:
    assert_clean(kb.validate(kb.path(relative)))


# --- id-filename --------------------------------------------------------------------------------------------


def test_id_filename_wrong_year_folder(kb: KB) -> None:
    relative = "incidents/2025/2026-10-14-checkout-errors.yaml"
    text, result = write_and_validate(kb, relative, sev1_incident())
    assert_finding(result, "id-filename", text, ["id"], path=relative)
    assert "incidents/2026/" in rules_of(result, "id-filename")[0].message


@pytest.mark.parametrize(
    "name",
    [
        "2026-10-14_checkout-errors.yaml",
        "2026-10-14-Checkout-Errors.yaml",
        "checkout-errors-2026-10-14.yaml",
        "2026-10-14-.yaml",
        "2026-10-14-checkout--errors.yaml",
        "2026-10-14-checkout errors.yaml",
    ],
)
def test_id_filename_name_not_matching_pattern(kb: KB, name: str) -> None:
    relative = f"incidents/2026/{name}"
    text, result = write_and_validate(kb, relative, sev1_incident())
    assert_finding(result, "id-filename", text, [], path=relative)


def test_id_filename_started_at_date_differs(kb: KB) -> None:
    relative = "incidents/2026/2026-10-13-checkout-errors.yaml"
    text, result = write_and_validate(kb, relative, sev1_incident())
    assert_finding(result, "id-filename", text, ["started_at"], path=relative)


def test_id_filename_id_year_differs(kb: KB) -> None:
    record = sev1_incident()
    record["id"] = "INC-2025-014"
    text, result = write_and_validate(kb, SEV1_FILE, record)
    assert_finding(result, "id-filename", text, ["id"], path=SEV1_FILE)


def test_id_filename_positive(kb: KB) -> None:
    # The file is dated by started_at as written (local date), even where the UTC date is the next day.
    assert_no_finding(kb.validate(kb.path(OLD_FILE)), "id-filename")
    record = sev1_incident()
    record["started_at"] = None  # unknown: nothing to compare
    record["detected_at"] = None
    _, result = write_and_validate(kb, SEV1_FILE, record)
    assert_clean(result)


@pytest.mark.parametrize(
    ("relative", "where"),
    [
        ("incidents/2026-10-14-no-year-folder.yaml", ["id"]),
        ("incidents/2026/october/2026-10-14-too-deep.yaml", ["id"]),
        ("incidents/2026/2026-10-14-other-extension.yml", []),
    ],
)
def test_misplaced_incident_files_are_reported_not_skipped(kb: KB, relative: str, where: list[str]) -> None:
    record = sev1_incident()
    record["id"] = "INC-2026-077"
    text = dump_yaml(record)
    kb.write(relative, text)
    result = kb.validate()  # found by the knowledge base's own listing, not because it was named
    assert_finding(result, "id-filename", text, where, path=relative)
    assert len(result.findings) == 1, result.findings


# --- id-unique ----------------------------------------------------------------------------------------------


def test_id_unique_two_files(kb: KB) -> None:
    record = sev1_incident()
    for key in ("started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at"):
        record[key] = record[key].replace("2026-10-14", "2026-10-15")
    record["impact"] = []
    record["updates"] = [{"at": "2026-10-15T09:30:00Z", "status": "resolved", "message": "Fixed."}]
    record["timeline"] = []
    relative = "incidents/2026/2026-10-15-checkout-errors-again.yaml"
    text = dump_yaml(record)
    kb.write(relative, text)

    result = kb.validate()

    assert_finding(result, "id-unique", text, ["id"], path=relative)  # the later file by path
    assert SEV1_FILE in rules_of(result, "id-unique")[0].message
    assert len(result.findings) == 1, result.findings


def test_id_unique_clash_outside_the_selection(kb: KB) -> None:
    """Validating one file still checks its id against the rest of the knowledge base, even when the selected
    file sorts before the one that owns the id."""
    record = investigating_incident()
    record["id"] = "INC-2026-014"  # owned by SEV1_FILE
    record["started_at"] = record["detected_at"] = record["impact"][0]["start"] = "2026-10-01T14:00:00+01:00"
    relative = "incidents/2026/2026-10-01-earlier.yaml"
    text, result = write_and_validate(kb, relative, record)
    assert_finding(result, "id-unique", text, ["id"], path=relative)
    assert SEV1_FILE in rules_of(result, "id-unique")[0].message


def test_id_unique_positive(kb: KB) -> None:
    record = investigating_incident()
    record["id"] = "INC-2026-099"
    _, result = write_and_validate(kb, "incidents/2026/2026-11-02-another.yaml", record)
    assert_clean(result)
    assert_no_finding(kb.validate(kb.path(SEV1_FILE)), "id-unique")  # a file does not clash with itself


def test_id_unique_survives_a_broken_file_outside_the_selection(kb: KB) -> None:
    """A file outside the selection that does not even pass the schema (here its id is a mapping) is reported
    when it is itself validated; validating another file must neither crash nor blame it."""
    kb.write("incidents/2026/2026-11-20-half-written.yaml", "id:\n  year: 2026\n  number: 17\ntitle: Half written\n")
    assert_clean(kb.validate(kb.path(SEV1_FILE)))


# --- unknown-service ----------------------------------------------------------------------------------------


def test_unknown_service_in_services(kb: KB) -> None:
    record = sev1_incident()
    record["services"] = ["api", "web", "search"]
    text, result = write_and_validate(kb, SEV1_FILE, record)
    assert_finding(result, "unknown-service", text, ["services", 2], path=SEV1_FILE)


def test_unknown_service_in_impact_not_listed(kb: KB) -> None:
    record = sev1_incident()
    record["impact"][1]["service"] = "db"  # a known service, but not one of this incident's services
    text, result = write_and_validate(kb, SEV1_FILE, record)
    assert_finding(result, "unknown-service", text, ["impact", 1, "service"], path=SEV1_FILE)


def test_unknown_service_positive(kb: KB) -> None:
    record = sev1_incident()
    record["services"] = ["api", "web", "db"]  # every known service; impact names a subset
    _, result = write_and_validate(kb, SEV1_FILE, record)
    assert_clean(result)


# --- time-order ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phase", "value"),
    [
        ("detected_at", "2026-10-14T09:00:00Z"),
        ("acknowledged_at", "2026-10-14T09:14:00Z"),
        ("mitigated_at", "2026-10-14T09:17:00Z"),
        ("resolved_at", "2026-10-14T09:51:00Z"),
        # Later as text, earlier in time: 10:00+02:00 is 08:00Z, before started_at 09:12Z.
        ("detected_at", "2026-10-14T10:00:00+02:00"),
    ],
)
def test_time_order(kb: KB, phase: str, value: str) -> None:
    record = sev1_incident()
    record[phase] = value
    text, result = write_and_validate(kb, SEV1_FILE, record)
    assert_finding(result, "time-order", text, [phase], path=SEV1_FILE)


def test_time_order_skips_unknown_phases(kb: KB) -> None:
    record = sev1_incident()
    record["acknowledged_at"] = None
    record["mitigated_at"] = "2026-10-14T09:14:00Z"  # before detected_at 09:15, the last known phase
    text, result = write_and_validate(kb, SEV1_FILE, record)
    assert_finding(result, "time-order", text, ["mitigated_at"], path=SEV1_FILE)


def test_time_order_positive(kb: KB) -> None:
    record = sev1_incident()
    record["detected_at"] = "2026-10-14T06:15:00-03:00"  # earlier as text, 09:15Z in time
    record["acknowledged_at"] = None
    record["mitigated_at"] = "2026-10-14T09:52:00Z"
    record["resolved_at"] = "2026-10-14T09:52:00Z"  # the same moment is in order
    record["impact"][1]["end"] = "2026-10-14T09:52:00Z"
    record["updates"][-1]["at"] = "2026-10-14T09:56:00Z"
    record["timeline"][-1]["at"] = "2026-10-14T09:52:00Z"
    _, result = write_and_validate(kb, SEV1_FILE, record)
    assert_clean(result)


def test_leap_second_does_not_crash_the_validator(kb: KB) -> None:
    """2016-12-31T23:59:60Z passes the schema (RFC 3339 allows a leap second), so the policy rules see it; they
    must report or accept it, not crash (datetime.fromisoformat cannot parse second 60)."""
    record = old_incident()
    record["id"] = "INC-2016-001"
    record["started_at"] = "2016-12-31T23:59:60Z"
    record["detected_at"] = record["resolved_at"] = "2017-01-01T00:30:00Z"
    record["impact"] = []
    relative = "incidents/2016/2016-12-31-leap-second.yaml"
    text = dump_yaml(record)
    path = kb.write(relative, text)
    try:
        result = kb.validate(path)
    except Exception as exc:
        pytest.fail(f"validation crashed: {type(exc).__name__}: {exc}")
    line, column = node_position(text, ["started_at"])
    assert all((f.line, f.column) == (line, column) for f in result.findings), result.findings


# --- resolved-at-required -----------------------------------------------------------------------------------


def test_resolved_at_required_when_resolved(kb: KB) -> None:
    record = sev1_incident()
    del record["resolved_at"]
    text, result = write_and_validate(kb, SEV1_FILE, record)
    assert_finding(result, "resolved-at-required", text, ["status"], path=SEV1_FILE)


def test_resolved_at_set_while_not_resolved(kb: KB) -> None:
    record = investigating_incident()
    record["resolved_at"] = "2026-11-02T15:00:00+01:00"
    text, result = write_and_validate(kb, INVESTIGATING_FILE, record)
    assert_finding(result, "resolved-at-required", text, ["resolved_at"], path=INVESTIGATING_FILE)


def test_resolved_at_null_means_unknown(kb: KB) -> None:
    record = old_incident()
    record["resolved_at"] = None
    _, result = write_and_validate(kb, OLD_FILE, record)
    assert_clean(result)


# --- impact-window and open-impact --------------------------------------------------------------------------


def test_impact_window_ends_before_it_starts(kb: KB) -> None:
    record = sev1_incident()
    record["impact"][1]["end"] = "2026-10-14T09:13:00Z"  # starts 09:14
    text, result = write_and_validate(kb, SEV1_FILE, record)
    assert_finding(result, "impact-window", text, ["impact", 1, "end"], path=SEV1_FILE)


def test_impact_window_starts_before_the_incident(kb: KB) -> None:
    record = sev1_incident()
    record["impact"][1]["start"] = "2026-10-14T09:11:59Z"
    text, result = write_and_validate(kb, SEV1_FILE, record)
    assert_finding(result, "impact-window", text, ["impact", 1, "start"], path=SEV1_FILE)


def test_impact_window_ends_after_resolution(kb: KB) -> None:
    record = sev1_incident()
    record["impact"][1]["end"] = "2026-10-14T11:30:01Z"
    text, result = write_and_validate(kb, SEV1_FILE, record)
    assert_finding(result, "impact-window", text, ["impact", 1, "end"], path=SEV1_FILE)


def test_impact_window_positive(kb: KB) -> None:
    record = sev1_incident()
    record["impact"][1]["start"] = "2026-10-14T11:12:00+02:00"  # exactly started_at, in another offset
    record["impact"][1]["end"] = "2026-10-14T11:30:00Z"  # exactly resolved_at
    _, result = write_and_validate(kb, SEV1_FILE, record)
    assert_clean(result)


@pytest.mark.parametrize("end", ["absent", None])
def test_open_impact_on_a_resolved_incident(kb: KB, end: str | None) -> None:
    record = sev1_incident()
    if end == "absent":
        del record["impact"][1]["end"]
    else:
        record["impact"][1]["end"] = end
    text, result = write_and_validate(kb, SEV1_FILE, record)
    assert_finding(result, "open-impact", text, ["impact", 1], path=SEV1_FILE)


def test_open_impact_positive_while_ongoing(kb: KB) -> None:
    for status in ("investigating", "identified", "monitoring"):
        record = investigating_incident()
        record["status"] = status
        _, result = write_and_validate(kb, INVESTIGATING_FILE, record)
        assert_clean(result)


# --- near-miss-impact ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["partial_outage", "major_outage"])
def test_near_miss_impact(kb: KB, level: str) -> None:
    record = near_miss_incident()
    record["impact"] = [
        {"service": "db", "level": level, "start": "2026-11-10T08:01:00Z", "end": "2026-11-10T08:03:00Z"}
    ]
    text, result = write_and_validate(kb, NEAR_MISS_FILE, record)
    assert_finding(result, "near-miss-impact", text, ["impact", 0, "level"], path=NEAR_MISS_FILE)


def test_near_miss_impact_positive(kb: KB) -> None:
    record = near_miss_incident()
    record["impact"] = [
        {
            "service": "db",
            "level": "degraded_performance",
            "start": "2026-11-10T08:01:00Z",
            "end": "2026-11-10T08:03:00Z",
        }
    ]
    _, result = write_and_validate(kb, NEAR_MISS_FILE, record)
    assert_clean(result)
    record = sev1_incident()  # the same levels are fine on an incident
    _, result = write_and_validate(kb, SEV1_FILE, record)
    assert_no_finding(result, "near-miss-impact")


# --- impact-unassessed --------------------------------------------------------------------------------------


def test_impact_unassessed_is_a_warning_while_open(kb: KB) -> None:
    record = investigating_incident()
    record["impact"][0]["level"] = None
    text, result = write_and_validate(kb, INVESTIGATING_FILE, record)
    assert_finding(
        result, "impact-unassessed", text, ["impact", 0, "level"], path=INVESTIGATING_FILE, severity="warning"
    )
    assert result.ok


def test_impact_unassessed_is_an_error_once_resolved(kb: KB) -> None:
    record = sev1_incident()
    record["impact"][1]["level"] = None
    text, result = write_and_validate(kb, SEV1_FILE, record)
    assert_finding(result, "impact-unassessed", text, ["impact", 1, "level"], path=SEV1_FILE)
    assert "set the one on 'web' to degraded_performance, partial_outage or major_outage" in str(result.findings)


def test_impact_unassessed_on_a_near_miss_is_not_also_near_miss_impact(kb: KB) -> None:
    record = near_miss_incident()
    record["status"] = "identified"
    record["resolved_at"] = None
    record["impact"] = [{"service": "db", "level": None, "start": "2026-11-10T08:01:00Z"}]
    text, result = write_and_validate(kb, NEAR_MISS_FILE, record)
    assert_finding(result, "impact-unassessed", text, ["impact", 0, "level"], path=NEAR_MISS_FILE, severity="warning")
    assert_no_finding(result, "near-miss-impact")


# --- maintenance-status -------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["scheduled", "in_progress", "completed"])
def test_maintenance_status_on_an_incident(kb: KB, status: str) -> None:
    record = sev1_incident()
    record["updates"][1]["status"] = status
    text, result = write_and_validate(kb, SEV1_FILE, record)
    assert_finding(result, "maintenance-status", text, ["updates", 1, "status"], path=SEV1_FILE)


def test_maintenance_statuses_on_maintenance(kb: KB) -> None:
    record = investigating_incident()
    record["kind"] = "maintenance"
    record["updates"] = [
        {"at": "2026-11-02T13:00:00+01:00", "status": "scheduled", "message": "Search upgrade at 13:00 UTC."},
        {"at": "2026-11-02T14:00:00+01:00", "status": "in_progress", "message": "The upgrade has started."},
        {"at": "2026-11-02T14:30:00+01:00", "status": "completed", "message": "The upgrade is done."},
    ]
    _, result = write_and_validate(kb, INVESTIGATING_FILE, record)
    assert_clean(result)


# --- updates-order, timeline-order, containment-order -------------------------------------------------------


@pytest.mark.parametrize("key", ["updates", "timeline"])
def test_entries_out_of_order(kb: KB, key: str) -> None:
    record = sev1_incident()
    record[key][1], record[key][2] = record[key][2], record[key][1]
    text, result = write_and_validate(kb, SEV1_FILE, record)
    assert_finding(result, f"{key}-order", text, [key, 2, "at"], path=SEV1_FILE)


@pytest.mark.parametrize("key", ["updates", "timeline"])
def test_entries_in_order_positive(kb: KB, key: str) -> None:
    record = sev1_incident()
    record[key][1]["at"] = record[key][0]["at"]  # the same minute twice is in order
    record[key][2]["at"] = "2026-10-14T11:50:00+02:00"  # 09:50Z, after the entry before, in another offset
    _, result = write_and_validate(kb, SEV1_FILE, record)
    assert_clean(result)


def test_containment_removed_before_applied(kb: KB) -> None:
    record = sev1_incident()
    record["containment"][0]["removed_at"] = "2026-10-14T09:39:00Z"  # applied 09:40
    text, result = write_and_validate(kb, SEV1_FILE, record)
    assert_finding(result, "containment-order", text, ["containment", 0, "removed_at"], path=SEV1_FILE)


def test_containment_order_positive(kb: KB) -> None:
    record = sev1_incident()
    record["containment"][0]["removed_at"] = record["containment"][0]["applied_at"]
    record["containment"][1]["applied_at"] = None  # unknown
    record["containment"][1]["removed_at"] = "2026-10-14T10:00:00Z"
    _, result = write_and_validate(kb, SEV1_FILE, record)
    assert_clean(result)


# --- post-mortem completeness: root-cause-required, action-items-count, action-item-owner, public-update ----


def test_root_cause_missing(kb: KB) -> None:
    record = sev1_incident()
    del record["root_cause"]
    text, result = write_and_validate(kb, SEV1_FILE, record)
    assert_finding(result, "root-cause-required", text, [], path=SEV1_FILE)


@pytest.mark.parametrize(
    "change",
    [{"root_cause": None}, {"five_whys": []}, {"description": None}, {"description": ""}],
    ids=["null", "no-whys", "no-description", "empty-description"],
)
def test_root_cause_incomplete(kb: KB, change: dict[str, Any]) -> None:
    record = sev1_incident()
    if "root_cause" in change:
        record["root_cause"] = None
    else:
        record["root_cause"].update(change)
    text, result = write_and_validate(kb, SEV1_FILE, record)
    assert_finding(result, "root-cause-required", text, ["root_cause"], path=SEV1_FILE)


def test_root_cause_required_for_sev2_too(kb: KB) -> None:
    record = sev1_incident()
    record["severity"] = "SEV2"
    del record["root_cause"]
    text, result = write_and_validate(kb, SEV1_FILE, record)
    assert_finding(result, "root-cause-required", text, [], path=SEV1_FILE)


@pytest.mark.parametrize(
    ("severity", "status", "kind"),
    [("SEV3", "resolved", "incident"), ("SEV1", "monitoring", "incident"), ("SEV1", "resolved", "near_miss")],
)
def test_post_mortem_not_required(kb: KB, severity: str, status: str, kind: str) -> None:
    """Only resolved SEV1/SEV2 incidents need a post-mortem: none of its rules fire otherwise."""
    record = sev1_incident()
    record.update(severity=severity, status=status, kind=kind, updates=[], action_items=[])
    del record["root_cause"]
    if status != "resolved":
        record["resolved_at"] = None
    if kind == "near_miss":
        for window in record["impact"]:
            window["level"] = "degraded_performance"
    _, result = write_and_validate(kb, SEV1_FILE, record)
    assert_clean(result)


def extra_item(number: int) -> dict[str, Any]:
    return {
        "title": f"Follow-up {number}",
        "owner": "platform",
        "due": "2027-02-01",
        "status": "open",
        "kind": "process",
    }


@pytest.mark.parametrize("count", [0, 1, 5])
def test_action_items_count(kb: KB, count: int) -> None:
    record = sev1_incident()
    record["action_items"] = (record["action_items"] + [extra_item(n) for n in range(3)])[:count]
    text, result = write_and_validate(kb, SEV1_FILE, record)
    assert_finding(result, "action-items-count", text, ["action_items"], path=SEV1_FILE)
    message = rules_of(result, "action-items-count")[0].message
    assert f"has {count}" in message
    # The reason given fits the case: too many get none done; too few leave a repeat unaddressed.
    assert ("none get done" in message) == (count > 4)
    assert ("what would prevent, detect or limit a repeat" in message) == (count < 2)


def test_action_items_missing(kb: KB) -> None:
    record = sev1_incident()
    del record["action_items"]
    text, result = write_and_validate(kb, SEV1_FILE, record)
    assert_finding(result, "action-items-count", text, [], path=SEV1_FILE)


@pytest.mark.parametrize("count", [2, 4])
def test_action_items_count_positive(kb: KB, count: int) -> None:
    record = sev1_incident()
    record["action_items"] = (record["action_items"] + [extra_item(1)])[:count]
    _, result = write_and_validate(kb, SEV1_FILE, record)
    assert_clean(result)


@pytest.mark.parametrize(
    ("key", "value"), [("owner", None), ("owner", ""), ("owner", "absent"), ("due", None), ("due", "absent")]
)
def test_action_item_owner_and_due(kb: KB, key: str, value: str | None) -> None:
    record = sev1_incident()
    if value == "absent":
        del record["action_items"][1][key]
    else:
        record["action_items"][1][key] = value
    text, result = write_and_validate(kb, SEV1_FILE, record)
    assert_finding(result, "action-item-owner", text, ["action_items", 1], path=SEV1_FILE)


def test_action_item_owner_positive_outside_post_mortems(kb: KB) -> None:
    record = old_incident()
    record["action_items"] = [{"title": "Look into it", "owner": None, "due": None, "status": "open", "kind": "detect"}]
    _, result = write_and_validate(kb, OLD_FILE, record)
    assert_clean(result)


@pytest.mark.parametrize("updates", [[], "absent"])
def test_public_update_required(kb: KB, updates: list[Any] | str) -> None:
    record = sev1_incident()
    if updates == "absent":
        del record["updates"]
    else:
        record["updates"] = updates
    text, result = write_and_validate(kb, SEV1_FILE, record)
    assert_finding(result, "public-update-required", text, [], path=SEV1_FILE)


def test_public_update_positive_with_one_update(kb: KB) -> None:
    record = sev1_incident()
    record["updates"] = record["updates"][:1]
    _, result = write_and_validate(kb, SEV1_FILE, record)
    assert_clean(result)


# --- action-item-overdue ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["open", "in_progress"])
@pytest.mark.parametrize("strict", [False, True])
def test_action_item_overdue(kb: KB, status: str, strict: bool) -> None:
    record = sev1_incident()
    record["action_items"][1].update(due="2026-11-22", status=status)  # the day before TODAY
    text = dump_yaml(record)
    path = kb.write(SEV1_FILE, text)
    result = kb.validate(path, strict=strict)
    severity = "error" if strict else "warning"
    assert_finding(result, "action-item-overdue", text, ["action_items", 1, "due"], path=SEV1_FILE, severity=severity)
    assert result.ok is not strict


@pytest.mark.parametrize(("due", "status"), [("2026-11-23", "open"), ("2026-11-24", "open"), ("2026-01-01", "wont_do")])
def test_action_item_not_overdue(kb: KB, due: str, status: str) -> None:
    record = sev1_incident()
    record["action_items"][1].update(due=due, status=status)
    _, result = write_and_validate(kb, SEV1_FILE, record)
    assert_clean(result)
    # The record's done item, due 2026-10-28, is not overdue either; judged from an earlier day, nothing is.
    record["action_items"][1].update(due="2026-11-22", status="open")
    kb.write(SEV1_FILE, dump_yaml(record))
    assert_clean(kb.validate(kb.path(SEV1_FILE), today=date(2026, 11, 22), strict=True))


# --- service rules ------------------------------------------------------------------------------------------


def write_service_and_validate(kb: KB, name: str, data: dict[str, Any], *, everything: bool = False):
    text = dump_yaml(data)
    path = kb.write_service(name, text)
    return text, (kb.validate() if everything else kb.validate(path))


def test_service_id_filename(kb: KB) -> None:
    data = service("api")
    data["id"] = "api-gateway"
    text, result = write_service_and_validate(kb, "api", data)
    assert_finding(result, "service-id-filename", text, ["id"], path="services/api.yaml")


@pytest.mark.parametrize("relative", ["services/web.yml", "services/storefront/web.yaml"])
def test_misplaced_service_files_are_reported_not_skipped(kb: KB, relative: str) -> None:
    kb.path("services/web.yaml").unlink()
    text = dump_yaml(service("web"))
    kb.write(relative, text)
    result = kb.validate()
    assert_finding(result, "service-id-filename", text, [], path=relative)
    assert len(result.findings) == 1, result.findings


@pytest.mark.parametrize("public", [{"listed": True}, {"listed": True, "name": None}, {"listed": True, "name": ""}])
def test_public_name_required(kb: KB, public: dict[str, Any]) -> None:
    data = service("web")
    data["public"] = public
    text, result = write_service_and_validate(kb, "web", data)
    assert_finding(result, "public-name-required", text, ["public"], path="services/web.yaml")


def test_public_name_not_required_when_unlisted(kb: KB) -> None:
    data = service("web")
    data["public"] = {"listed": False, "name": None}
    _, result = write_service_and_validate(kb, "web", data)
    assert_clean(result)


def test_unknown_service_in_depends_on(kb: KB) -> None:
    data = service("api")
    data["depends_on"] = ["db", "cache"]
    text, result = write_service_and_validate(kb, "api", data)
    assert_finding(result, "unknown-service", text, ["depends_on", 1], path="services/api.yaml")


def test_dependency_cycle_self(kb: KB) -> None:
    data = service("api")
    data["depends_on"] = ["db", "api"]
    text, result = write_service_and_validate(kb, "api", data, everything=True)
    assert_finding(result, "dependency-cycle", text, ["depends_on", 1], path="services/api.yaml")


def test_dependency_cycle_two_services(kb: KB) -> None:
    data = service("db")
    data["depends_on"] = ["api"]  # api already depends on db
    db_text, result = write_service_and_validate(kb, "db", data, everything=True)
    api_text = kb.path("services/api.yaml").read_text(encoding="utf-8")
    assert_finding(result, "dependency-cycle", db_text, ["depends_on"], path="services/db.yaml", count=2)
    assert_finding(result, "dependency-cycle", api_text, ["depends_on"], path="services/api.yaml", count=2)


def test_dependency_cycle_three_services(kb: KB) -> None:
    data = service("db")
    data["depends_on"] = ["web"]  # web -> api -> db -> web
    _, result = write_service_and_validate(kb, "db", data, everything=True)
    assert {f.path for f in rules_of(result, "dependency-cycle")} == {
        "services/api.yaml",
        "services/db.yaml",
        "services/web.yaml",
    }


def test_dependency_cycle_found_when_validating_only_the_changed_file(kb: KB) -> None:
    """`incidentkb validate services/db.yaml` (what a pre-commit hook runs on the changed file) validates with
    the whole knowledge base as context, as id-unique does: the cycle db -> api -> db must be reported."""
    data = service("db")
    data["depends_on"] = ["api"]
    text, result = write_service_and_validate(kb, "db", data)
    assert_finding(result, "dependency-cycle", text, ["depends_on"], path="services/db.yaml")


def test_dependency_chain_positive(kb: KB) -> None:
    data = service("db")
    data["depends_on"] = []
    _, result = write_service_and_validate(kb, "db", data, everything=True)
    assert_clean(result)  # web -> api -> db is a chain, not a cycle


def test_rules_skip_records_that_fail_the_schema(kb: KB) -> None:
    """Policy rules run only on records that pass the schema: a schema error is not buried under consequences."""
    record = sev1_incident()
    record["severity"] = "SEV0"
    record["detected_at"] = "2026-10-14T09:00:00Z"  # would be a time-order finding
    text, result = write_and_validate(kb, SEV1_FILE, record)
    assert [f.rule for f in result.findings] == ["schema"]
    assert (result.findings[0].line, result.findings[0].column) == node_position(text, ["severity"])
    assert result.incidents == []


# --- lever-command-in-how -------------------------------------------------------------------------------------


def test_a_command_in_a_levers_prose_is_a_warning(kb: KB) -> None:
    data = service("web")
    data["containment_levers"] = [
        {
            "kind": "feature_flag_off",
            "name": "web.fast-path",
            "how": "Run `flagctl set web.fast-path off` now.",
            "minutes_to_effect": 1,
        },
        {
            "kind": "feature_flag_off",
            "name": "web.slow-path",
            "how": "Turn the `slow` flag off.",
            "minutes_to_effect": 1,
        },
    ]
    text, result = write_service_and_validate(kb, "web", data)
    assert_finding(
        result,
        "lever-command-in-how",
        text,
        ["containment_levers", 0, "how"],
        path="services/web.yaml",
        severity="warning",
    )
    assert "(`flagctl set web.fast-path off`)" in rules_of(result, "lever-command-in-how")[0].message


def test_a_lever_with_its_command_in_command_is_clean(kb: KB) -> None:
    data = service("web")
    lever = {"kind": "feature_flag_off", "name": "web.fast-path", "how": "See `flagctl set web.fast-path off`."}
    data["containment_levers"] = [{**lever, "minutes_to_effect": 1, "command": "flagctl set web.fast-path off"}]
    _, result = write_service_and_validate(kb, "web", data)
    assert_no_finding(result, "lever-command-in-how")
