"""The incident.io translator (generator/importers/incidentio.py) on the API v2 fixtures of tests/fixtures/incidentio:
every incident accounted for, the impact windows of the fixture README's table, severity, status, follow-ups, custom
fields, a knowledge base of the translated records that the real validator passes, malformed input as SourceError,
and a translation that is deterministic and leaves its input alone."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from support import REPO, SCHEMAS, dump_yaml, run_cli

from generator.importers import SourceError, SourceRecord, Translation
from generator.importers.incidentio import severity_for, translate

FIXTURES = REPO / "tests" / "fixtures" / "incidentio"
INCIDENTS = json.loads((FIXTURES / "incidents.json").read_text(encoding="utf-8"))
FOLLOW_UPS = json.loads((FIXTURES / "follow_ups.json").read_text(encoding="utf-8"))
ID_OF = {incident["reference"]: incident["id"] for incident in INCIDENTS["incidents"]}

# The fixture README's table: services by name, window start and end (None: open), downtime minutes, and the
# level its "Customer impact" value gives. INC-105 (triage) and INC-106 (declined) have no window.
WINDOWS: dict[str, tuple[tuple[str, ...], str, str | None, int | None, str]] = {
    "INC-101": (("CDN",), "2025-09-01T23:45:00Z", "2025-09-02T01:22:00Z", 97, "major_outage"),
    "INC-102": (("Payments",), "2025-07-02T18:05:00Z", "2025-07-02T18:58:00Z", 53, "partial_outage"),
    "INC-103": (("Public API",), "2025-12-10T07:10:00Z", "2025-12-10T10:55:00Z", 225, "degraded_performance"),
    "INC-104": (("Webhooks",), "2025-12-17T18:00:00Z", None, None, "partial_outage"),
    "INC-107": (
        ("Authentication", "Dashboard"),
        "2025-10-14T09:05:00+01:00",
        "2025-10-14T10:02:00+01:00",
        57,
        "partial_outage",
    ),
    "INC-108": (
        ("Payments", "Webhooks"),
        "2025-11-20T09:05:00-05:00",
        "2025-11-20T10:25:00-05:00",
        80,
        "degraded_performance",
    ),
}
NO_WINDOW = {"INC-105"}
NOT_IMPORTED = {"INC-106": "declined in incident.io, not an incident; not imported"}


def fixture_documents() -> list[tuple[str, Any]]:
    return [("incidents.json", INCIDENTS), ("follow_ups.json", FOLLOW_UPS)]


@pytest.fixture(scope="module")
def translation() -> Translation:
    return translate(fixture_documents())


def by_reference(translation: Translation) -> dict[str, dict[str, Any]]:
    keys = {key: reference for reference, key in ID_OF.items()}
    return {keys[record.key]: record.record for record in translation.incidents}


def service_names(translation: Translation) -> dict[str, str]:
    return {service.record["id"]: service.record["name"] for service in translation.services}


def minutes(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() / 60


def incident_like(reference: str = "INC-101", **changes: Any) -> dict[str, Any]:
    """A deep copy of a fixture incident with top-level keys replaced."""
    incident = copy.deepcopy(next(i for i in INCIDENTS["incidents"] if i["reference"] == reference))
    incident.update(changes)
    return incident


def one(incident: dict[str, Any], follow_ups: list[dict[str, Any]] | None = None) -> Translation:
    documents: list[tuple[str, Any]] = [("incidents.json", {"incidents": [incident]})]
    if follow_ups is not None:
        documents.append(("follow_ups.json", {"follow_ups": follow_ups}))
    return translate(documents)


def set_timestamp(incident: dict[str, Any], name: str, value: Any) -> None:
    entry = next(e for e in incident["incident_timestamp_values"] if e["incident_timestamp"]["name"] == name)
    entry["value"] = None if value is None else {"value": value}


def custom_field(name: str, field_type: str, values: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "custom_field": {"id": f"field-{name}", "name": name, "field_type": field_type, "options": []},
        "values": values,
    }


def option(value: str) -> dict[str, Any]:
    return {"value_option": {"id": f"option-{value}", "custom_field_id": "f", "sort_key": 0, "value": value}}


# --- every incident accounted for --------------------------------------------------------------------------


def test_every_fixture_incident_is_translated_or_listed_with_its_reason(translation: Translation) -> None:
    translated = set(by_reference(translation))
    assert translated == set(WINDOWS) | NO_WINDOW
    for reference, reason in NOT_IMPORTED.items():
        lines = [line for line in translation.unmapped if line.startswith(f"{reference} (")]
        assert lines == [f"{reference} (Search latency alert): {reason}"]
    assert len(translated) + len(NOT_IMPORTED) == len(INCIDENTS["incidents"]) == 8
    assert translation.system == "incident.io"
    assert translation.source == "incidentio"


def test_records_carry_their_source_and_no_id(translation: Translation) -> None:
    for reference, record in by_reference(translation).items():
        assert "id" not in record
        provenance = record["provenance"]
        assert "written_on" not in provenance
        assert provenance["method"] == "imported"
        assert provenance["source"] == {
            "system": "incident.io",
            "id": ID_OF[reference],
            "url": f"https://app.incident.io/fernhill/incidents/{reference[4:]}",
        }
        assert provenance["notes"].startswith(f"incident.io reference {reference}.")
        assert record["kind"] == "incident"


# --- impact windows -----------------------------------------------------------------------------------------


def test_the_readme_table_is_the_one_these_tests_check() -> None:
    """The transcription above is the README's table: its start, end and downtime columns."""
    readme = (FIXTURES / "README.md").read_text(encoding="utf-8")
    rows = re.findall(
        r"^\| (INC-\d+) \| `\w+` \|[^|]+\|[^|]+\| ([^|]+) \| (\S+) \| ([^|]+) \| ([^|]+) \|$", readme, re.M
    )
    assert len(rows) == 8
    for reference, services, start, end, downtime in rows:
        if reference in WINDOWS:
            names, our_start, our_end, our_minutes, _ = WINDOWS[reference]
            assert tuple(services.split(", ")) == names
            assert start == our_start
            assert end.split()[0] == (our_end or "open")
            assert downtime.split()[0] == (str(our_minutes) if our_minutes is not None else "open")
        else:
            assert start == "–" and reference in NO_WINDOW | set(NOT_IMPORTED)


@pytest.mark.parametrize("reference", sorted(WINDOWS))
def test_impact_windows_follow_the_readme_table(translation: Translation, reference: str) -> None:
    names, start, end, expected_minutes, level = WINDOWS[reference]
    record = by_reference(translation)[reference]
    named = service_names(translation)
    assert [named[service] for service in record["services"]] == list(names)
    assert [named[window["service"]] for window in record["impact"]] == list(names)
    for window in record["impact"]:
        assert window["start"] == start  # exactly as incident.io writes it, offset and all
        assert window.get("end") == end
        assert window["level"] == level
        if end is not None:
            assert minutes(window["start"], window["end"]) == expected_minutes
    assert record["started_at"] == start


def test_offsets_other_than_utc_are_kept_and_measure_right(translation: Translation) -> None:
    records = by_reference(translation)
    inc107, inc108 = records["INC-107"], records["INC-108"]
    assert inc107["detected_at"] == "2025-10-14T09:12:40.512+01:00"
    assert inc108["resolved_at"] == "2025-11-20T10:40:00-05:00"
    assert [minutes(w["start"], w["end"]) for w in inc107["impact"]] == [57, 57]
    assert [minutes(w["start"], w["end"]) for w in inc108["impact"]] == [80, 80]


def test_an_active_incident_has_an_open_window(translation: Translation) -> None:
    record = by_reference(translation)["INC-104"]
    assert record["status"] == "identified"  # live, "Fixing"
    assert record["resolved_at"] is None and record["mitigated_at"] is None
    assert record["impact"] == [{"service": "webhooks", "level": "partial_outage", "start": "2025-12-17T18:00:00Z"}]


def test_no_window_without_impact_started_at(translation: Translation) -> None:
    record = by_reference(translation)["INC-105"]
    assert record["impact"] == []
    assert record["started_at"] is None
    assert record["detected_at"] == "2025-12-18T09:41:07.330412Z"


def test_no_customer_impact_means_no_windows() -> None:
    incident = incident_like("INC-101")
    incident["custom_field_entries"][1]["values"] = [option("No customer impact")]
    record = one(incident).incidents[0].record
    assert record["impact"] == []


def test_window_ends_at_resolved_when_fixed_is_unset_and_resolution_falls_back_to_closed() -> None:
    incident = incident_like("INC-102")
    set_timestamp(incident, "Fixed at", None)
    record = one(incident).incidents[0].record
    assert record["impact"][0]["end"] == "2025-07-02T19:30:00Z"
    set_timestamp(incident, "Resolved at", None)
    record = one(incident).incidents[0].record
    assert record["resolved_at"] == "2025-07-09T10:15:00.004912Z"  # Closed at: the category is closed
    assert "end" not in record["impact"][0]
    assert "Closed" not in [entry["event"].split()[0] for entry in record.get("timeline", [])]


# --- severity and status ------------------------------------------------------------------------------------


def test_fixture_severities(translation: Translation) -> None:
    severities = {reference: record["severity"] for reference, record in by_reference(translation).items()}
    assert severities == {
        "INC-101": "SEV1",
        "INC-102": "SEV1",
        "INC-103": "SEV2",
        "INC-104": "SEV1",
        "INC-105": "SEV3",
        "INC-107": "SEV2",
        "INC-108": "SEV2",
    }


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Critical", "SEV1"),
        ("MAJOR", "SEV2"),
        ("minor", "SEV3"),
        ("SEV1", "SEV1"),
        ("sev4", "SEV4"),
        ("Sev 2", "SEV2"),
        ("SEV-3 - Minor", "SEV3"),
        ("P1", "SEV1"),
        ("p4", "SEV4"),
        ("P0", None),
        ("SEV12", None),
        ("Low", None),
    ],
)
def test_severity_names(name: str, expected: str | None) -> None:
    assert severity_for(name) == expected


def test_an_unknown_severity_is_null_and_named() -> None:
    incident = incident_like("INC-101")
    incident["severity"] = {**incident["severity"], "name": "Cosmic"}
    translation = one(incident)
    assert translation.incidents[0].record["severity"] is None
    assert any("severity 'Cosmic'" in line for line in translation.unmapped)


def test_fixture_statuses(translation: Translation) -> None:
    statuses = {reference: record["status"] for reference, record in by_reference(translation).items()}
    assert statuses == {
        "INC-101": "resolved",
        "INC-102": "resolved",
        "INC-103": "resolved",  # learning: post-incident
        "INC-104": "identified",
        "INC-105": "investigating",  # triage
        "INC-107": "resolved",
        "INC-108": "resolved",
    }


@pytest.mark.parametrize(
    ("category", "name", "expected"),
    [
        ("triage", "Triage", "investigating"),
        ("live", "Investigating", "investigating"),
        ("live", "Fixing", "identified"),
        ("live", "Identified", "identified"),
        ("live", "Monitoring", "monitoring"),
        ("paused", "Paused", "investigating"),
        ("learning", "Documenting", "resolved"),
        ("closed", "Closed", "resolved"),
    ],
)
def test_status_categories(category: str, name: str, expected: str) -> None:
    incident = incident_like("INC-104")
    incident["incident_status"] = {**incident["incident_status"], "category": category, "name": name}
    record = one(incident).incidents[0].record
    assert record["status"] == expected
    assert f"Status in incident.io: {name} ({category})." in record["provenance"]["notes"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"category": "declined"}, "declined in incident.io, not an incident; not imported"),
        ({"category": "canceled"}, "canceled in incident.io, not an incident; not imported"),
        ({"category": "merged"}, "merged into another incident in incident.io; not imported"),
        ({"mode": "test"}, "a test incident in incident.io; not imported"),
        ({"mode": "tutorial"}, "a tutorial incident in incident.io; not imported"),
    ],
)
def test_incidents_that_are_not_imported(change: dict[str, str], reason: str) -> None:
    incident = incident_like("INC-101")
    if "mode" in change:
        incident["mode"] = change["mode"]
    else:
        incident["incident_status"] = {**incident["incident_status"], **change}
    translation = one(incident, [f for f in FOLLOW_UPS["follow_ups"] if f["incident_id"] == incident["id"]])
    assert translation.incidents == [] and translation.services == []
    assert translation.unmapped[0] == f"INC-101 (CDN assets failing to load in all regions): {reason}"
    assert sum("that incident is not imported" in line for line in translation.unmapped) == 2


def test_a_resolution_time_on_an_unresolved_incident_goes_to_the_timeline() -> None:
    incident = incident_like("INC-101")
    incident["incident_status"] = {**incident["incident_status"], "category": "live", "name": "Monitoring"}
    record = one(incident).incidents[0].record
    assert record["status"] == "monitoring"
    assert record["resolved_at"] is None  # rule resolved-at-required: set only on a resolved incident
    assert {"at": "2025-09-02T01:22:00Z", "event": "Resolved (incident.io timestamp)"} in record["timeline"]


def test_timeline_holds_the_other_timestamps_in_time_order(translation: Translation) -> None:
    record = by_reference(translation)["INC-101"]
    assert record["timeline"] == [
        {"at": "2025-09-02T00:05:00Z", "event": "Identified (incident.io timestamp)"},
        {"at": "2025-09-04T16:00:11.270418Z", "event": "Closed (incident.io timestamp)"},
    ]
    incident = incident_like("INC-101")
    incident["incident_timestamp_values"].reverse()
    incident["incident_timestamp_values"].append(
        {
            "incident_timestamp": {"id": "t", "name": "Customer notified at", "rank": 9},
            "value": {"value": "2025-09-02T00:30:00+02:00"},
        }
    )
    timeline = one(incident).incidents[0].record["timeline"]
    assert [entry["event"] for entry in timeline] == [
        "Customer notified (incident.io timestamp)",  # 22:30 UTC, before everything else
        "Identified (incident.io timestamp)",
        "Closed (incident.io timestamp)",
    ]


def test_a_phase_out_of_order_is_kept_in_the_timeline() -> None:
    incident = incident_like("INC-101")
    set_timestamp(incident, "Accepted at", "2025-09-01T23:40:00Z")  # before Reported at
    record = one(incident).incidents[0].record
    assert record["acknowledged_at"] is None
    assert {"at": "2025-09-01T23:40:00Z", "event": "Accepted (incident.io timestamp)"} in record["timeline"]
    assert "Accepted at (2025-09-01T23:40:00Z) is before Reported at" in record["provenance"]["notes"]


def test_created_at_stands_in_for_an_unset_reported_at() -> None:
    incident = incident_like("INC-105")
    set_timestamp(incident, "Reported at", None)
    record = one(incident).incidents[0].record
    assert record["detected_at"] == incident["created_at"]
    assert "Reported at is not set" in record["provenance"]["notes"]


# --- follow-ups ---------------------------------------------------------------------------------------------


def test_follow_ups_become_action_items(translation: Translation) -> None:
    records = by_reference(translation)
    statuses = [item["status"] for record in records.values() for item in record["action_items"]]
    assert sorted(statuses) == ["done", "done", "done", "open", "open", "open", "wont_do"]
    assert records["INC-101"]["action_items"] == [
        {
            "title": "Validate certificate bundles before edge rollout",
            "owner": "Tomás Ortega",
            "due": None,
            "status": "done",
            "kind": None,
            "link": None,
        },
        {
            "title": "Add per-region canary for CDN config pushes",
            "owner": "Hannah Becker",
            "due": None,
            "status": "open",
            "kind": None,
            "link": "https://linear.app/fernhill/issue/INFRA-482/per-region-canary-for-cdn-config",
        },
    ]
    assert [item["title"] for item in records["INC-102"]["action_items"]] == [
        "Agree a shared certificate rotation calendar with the card processor",  # created 08:00:00
        "Alert on TLS handshake failures to payment processors",  # created 08:02:10
    ]
    assert records["INC-103"]["action_items"][0]["owner"] is None
    assert records["INC-107"]["action_items"][0]["status"] == "wont_do"
    assert records["INC-108"]["action_items"] == []  # the follow-ups are known: none


def test_follow_up_fields_without_a_home_get_one_line_each(translation: Translation) -> None:
    assert "priority of 7 follow-ups: no field for it; kept nowhere" in translation.unmapped
    assert "labels of 7 follow-ups: no field for it; kept nowhere" in translation.unmapped
    assert sum(line.startswith("priority") for line in translation.unmapped) == 1


def test_deleted_and_orphan_follow_ups_are_named() -> None:
    follow_ups = copy.deepcopy([f for f in FOLLOW_UPS["follow_ups"] if f["incident_id"] == ID_OF["INC-101"]])
    follow_ups[0]["status"] = "deleted"
    follow_ups.append({**follow_ups[1], "id": "orphan", "incident_id": "01NOTINTHEDOCUMENTS"})
    translation = one(incident_like("INC-101"), follow_ups)
    assert [item["title"] for item in translation.incidents[0].record["action_items"]] == [
        "Add per-region canary for CDN config pushes"
    ]
    assert any("deleted in incident.io; left out" in line for line in translation.unmapped)
    assert any(
        line == "follow-up orphan: its incident 01NOTINTHEDOCUMENTS is not in the documents; not imported"
        for line in translation.unmapped
    )


def test_without_a_follow_ups_document_action_items_are_not_recorded() -> None:
    assert "action_items" not in one(incident_like("INC-101")).incidents[0].record


# --- custom fields, roles, prose ----------------------------------------------------------------------------


def test_root_cause_from_the_custom_field(translation: Translation) -> None:
    records = by_reference(translation)
    assert records["INC-101"]["root_cause"] == {
        "category": None,
        "description": "Malformed certificate bundle in edge deploy",
    }
    assert all("root_cause" not in records[reference] for reference in ("INC-104", "INC-105"))


def test_other_custom_fields_become_tags_and_paragraphs() -> None:
    incident = incident_like("INC-101")
    incident["custom_field_entries"] += [
        custom_field("Region", "single_select", [option("EU West")]),
        custom_field("Product area", "multi_select", [option("Checkout"), option("Sign-in & SSO")]),
        custom_field("Detected by", "single_select", [option("日本")]),  # nothing of it makes a tag
        custom_field("Customer tickets", "numeric", [{"value_numeric": "42"}]),
        custom_field("Status page", "link", [{"value_link": "https://status.fernhill.example/x"}]),
    ]
    translation = one(incident)
    record = translation.incidents[0].record
    assert record["tags"] == ["type-production", "region-eu-west", "product-area-checkout", "product-area-sign-in-sso"]
    assert record["summary"]["internal"].endswith(
        "\n\nCustomer tickets: 42\n\nStatus page: https://status.fernhill.example/x"
    )
    assert any("'Detected by: 日本' cannot become a tag" in line for line in translation.unmapped)


def test_summary_is_internal_only_and_roles_are_kept(translation: Translation) -> None:
    for record in by_reference(translation).values():
        assert record["summary"]["public"] is None
    record = by_reference(translation)["INC-102"]
    assert record["summary"]["internal"].startswith("Card authorizations failed for 38% of requests")
    assert record["postmortem"] == {"incident_commander": "Priya Raman"}
    assert record["evidence"] == [
        {
            "title": "Post-mortem document (incident.io)",
            "url": "https://docs.fernhill.example/postmortems/inc-102",
            "kind": "document",
        }
    ]
    incident = incident_like("INC-102")
    incident["incident_role_assignments"].append(
        {"assignee": {"id": "u", "name": "Ana Lima"}, "role": {"id": "r", "name": "Comms lead", "role_type": "custom"}}
    )
    notes = one(incident).incidents[0].record["provenance"]["notes"]
    assert "Roles in incident.io: Comms lead: Ana Lima." in notes


def test_a_long_name_is_cut_at_a_word() -> None:
    name = "Checkout " * 30
    translation = one(incident_like("INC-101", name=name))
    title = translation.incidents[0].record["title"]
    assert len(title) <= 160 and title.endswith("Checkout…")
    assert any("name longer than 160 characters" in line for line in translation.unmapped)


def test_an_incident_without_affected_services_is_unassigned() -> None:
    incident = incident_like("INC-101")
    incident["custom_field_entries"][0]["values"] = []
    translation = one(incident)
    assert translation.incidents[0].record["services"] == ["unassigned"]
    assert [window["service"] for window in translation.incidents[0].record["impact"]] == ["unassigned"]
    assert [service.record["id"] for service in translation.services] == ["unassigned"]
    assert translation.services[0].key == "unassigned"
    assert translation.services[0].record["public"]["listed"] is False
    assert any("no 'Affected services' value" in line for line in translation.unmapped)


def test_services_are_imported_once_each_and_unlisted(translation: Translation) -> None:
    assert sorted(service_names(translation).values()) == [
        "Authentication",
        "CDN",
        "Dashboard",
        "Payments",
        "Public API",
        "Webhooks",
    ]  # Search only in the declined INC-106
    for service in translation.services:
        assert service.record["public"] == {"listed": False, "name": service.record["name"]}
        assert service.record["provenance"]["source"] == {"system": "incident.io", "id": service.key}


def test_fields_without_a_home_get_one_line_each(translation: Translation) -> None:
    assert "slack_channel_name (7 incidents): no field in incidentkb records" in translation.unmapped
    assert "has_debrief (1 incident): no field in incidentkb records" in translation.unmapped
    assert not any(line.startswith(("duration_metrics", "external_issue_reference")) for line in translation.unmapped)
    incident = incident_like("INC-101", organisation_id="01ORG")
    assert "organisation_id (1 incident): not known to this importer; not imported" in one(incident).unmapped


# --- the records pass the schemas and the rules -------------------------------------------------------------


def schema_validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def written(record: SourceRecord, **extra: Any) -> dict[str, Any]:
    """The record as the writer writes it: with an id and provenance.written_on."""
    data = copy.deepcopy(record.record)
    data["provenance"]["written_on"] = "2026-12-01"
    return {**extra, **data}


def test_records_pass_the_schemas(translation: Translation) -> None:
    incidents, services = schema_validator("incident.schema.json"), schema_validator("service.schema.json")
    for index, record in enumerate(translation.incidents, 1):
        data = written(record, id=f"INC-2025-{index:03d}")
        assert not list(incidents.iter_errors(data)), [e.message for e in incidents.iter_errors(data)]
    for service in translation.services:
        assert not list(services.iter_errors(written(service)))


def test_a_knowledge_base_of_the_translation_validates(tmp_path: Path, translation: Translation) -> None:
    root = tmp_path / "kb"
    (root / "services").mkdir(parents=True)
    for service in translation.services:
        path = root / "services" / f"{service.record['id']}.yaml"
        path.write_text(dump_yaml(written(service)), encoding="utf-8")
    for index, record in enumerate(translation.incidents, 1):
        day = (record.record["started_at"] or record.record["detected_at"])[:10]
        folder = root / "incidents" / day[:4]
        folder.mkdir(parents=True, exist_ok=True)
        data = written(record, id=f"INC-{day[:4]}-{index:03d}")
        (folder / f"{day}-x{index}.yaml").write_text(dump_yaml(data), encoding="utf-8")
    result = run_cli("validate", root=root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 error(s)" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


# --- malformed input ----------------------------------------------------------------------------------------


def broken_timestamp() -> dict[str, Any]:
    documents = copy.deepcopy(INCIDENTS)
    documents["incidents"][3]["incident_timestamp_values"][2]["value"] = {"value": 1732111500}
    return documents


def without_id() -> dict[str, Any]:
    documents = copy.deepcopy(INCIDENTS)
    del documents["incidents"][2]["id"]
    return documents


def with_incident(key: str, value: Any) -> dict[str, Any]:
    documents = copy.deepcopy(INCIDENTS)
    documents["incidents"][3][key] = value
    return documents


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"incidents": {"id": "x"}}, "incidents.json: incidents: expected a list"),
        (without_id(), "incidents.json: incidents[2].id: required, but missing or empty"),
        (
            broken_timestamp(),
            "incidents.json: incidents[3].incident_timestamp_values[2].value.value: expected a string",
        ),
        (
            with_incident("incident_timestamp_values", "soon"),
            "incidents.json: incidents[3].incident_timestamp_values: expected a list",
        ),
        (with_incident("severity", "Major"), "incidents.json: incidents[3].severity: expected an object"),
        (["not", "an", "object"], "incidents.json: (top level): expected a JSON object"),
        ({"data": []}, "incidents.json: (top level): neither an incident.io incidents list"),
        ({"incidents": [42]}, "incidents.json: incidents[0]: expected an object"),
    ],
)
def test_malformed_input_names_the_file_and_the_path(document: Any, message: str) -> None:
    with pytest.raises(SourceError) as raised:
        translate([("incidents.json", document)])
    assert str(raised.value).startswith(message)


def test_a_time_that_is_not_rfc_3339_is_malformed() -> None:
    documents = copy.deepcopy(INCIDENTS)
    documents["incidents"][0]["incident_timestamp_values"][0]["value"] = {"value": "18/12/2025 09:41"}
    with pytest.raises(SourceError, match=r"^incidents\.json: incidents\[0\]\.incident_timestamp_values\[0\]"):
        translate([("incidents.json", documents)])


def test_malformed_follow_ups_name_their_file() -> None:
    with pytest.raises(SourceError, match=r"^follow_ups\.json: follow_ups: expected a list$"):
        translate([("follow_ups.json", {"follow_ups": "none"})])
    follow_ups = copy.deepcopy(FOLLOW_UPS)
    follow_ups["follow_ups"][4]["created_at"] = 0
    with pytest.raises(SourceError, match=r"^follow_ups\.json: follow_ups\[4\]\.created_at: expected a string$"):
        translate([("incidents.json", INCIDENTS), ("follow_ups.json", follow_ups)])


def paths(value: Any, prefix: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """Every place in a JSON value."""
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, child in children:
        yield (*prefix, key)
        yield from paths(child, (*prefix, key))


def changed(value: Any, path: tuple[str | int, ...], replacement: Any) -> Any:
    """A copy of `value` with the place at `path` replaced, or removed if `replacement` is REMOVE."""
    result = copy.deepcopy(value)
    parent = result
    for key in path[:-1]:
        parent = parent[key]
    if replacement is REMOVE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    return result


REMOVE = object()


@pytest.mark.parametrize(
    "replacement", [REMOVE, None, 42, "", [], {}], ids=["removed", "null", "42", "empty", "list", "object"]
)
def test_any_missing_or_odd_field_is_translated_or_a_source_error(replacement: Any) -> None:
    """Never a KeyError or TypeError: every field of an incident and of a follow-up, removed or replaced, gives
    either a SourceError or records that still pass the schemas."""
    incident = incident_like("INC-101")
    follow_up = copy.deepcopy(FOLLOW_UPS["follow_ups"][1])
    variants = [(changed(incident, path, replacement), follow_up) for path in paths(incident)]
    variants += [(incident, changed(follow_up, path, replacement)) for path in paths(follow_up)]
    incidents, services = schema_validator("incident.schema.json"), schema_validator("service.schema.json")
    for variant, its_follow_up in variants:
        try:
            translation = one(variant, [its_follow_up])
        except SourceError:
            continue
        for record in translation.incidents:
            assert not list(incidents.iter_errors(written(record, id="INC-2025-001"))), record.record
        for service in translation.services:
            assert not list(services.iter_errors(written(service))), service.record


# --- pages, determinism, the input untouched ----------------------------------------------------------------


def test_pages_are_concatenated_and_an_incident_on_two_pages_kept_once(translation: Translation) -> None:
    first = {"incidents": INCIDENTS["incidents"][:5], "pagination_meta": {"after": "x", "page_size": 5}}
    second = {"incidents": INCIDENTS["incidents"][4:], "pagination_meta": {"page_size": 5}}
    paged = translate([("page-1.json", first), ("page-2.json", second), ("follow_ups.json", FOLLOW_UPS)])
    assert paged == translation


def test_translation_is_deterministic_and_leaves_its_input_alone() -> None:
    documents = fixture_documents()
    before = copy.deepcopy(documents)
    first, second = translate(documents), translate(documents)
    assert first == second
    assert documents == before
    first.incidents[0].record["services"].append("changed")
    assert translate(documents) == second
