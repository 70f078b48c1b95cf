"""The spreadsheet importer's translator (generator/importers/spreadsheet.py) and its mapping schema.

The fixture (tests/fixtures/csv) is a made-up incident log; its README holds the expected phases and impact
windows, computed by hand, as tables these tests read, so the README and the tests cannot drift apart.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from support import REPO, dump_yaml, explain, node_position, run_cli

from generator.importers import SourceError, Translation
from generator.importers.spreadsheet import FIELDS, load_mapping, translate
from generator.model import parse_time
from generator.schemas import taxonomies_from

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "csv"
CSV_NAME = "incidents.csv"
MAPPING_TEXT = (FIXTURES / "mapping.yaml").read_text(encoding="utf-8")
CSV_TEXT = (FIXTURES / CSV_NAME).read_bytes().decode("utf-8")  # with its byte-order mark: translate drops it


def fixture_translation() -> Translation:
    return translate(CSV_TEXT, CSV_NAME, load_mapping(MAPPING_TEXT, "mapping.yaml"))


def incidents_by_key(translation: Translation) -> dict[str, dict[str, Any]]:
    return {incident.key: incident.record for incident in translation.incidents}


def readme_table(heading: str) -> list[dict[str, str | None]]:
    """The rows of the first table under `## heading` in the fixture README, `null` read as None."""
    section = (FIXTURES / "README.md").read_text(encoding="utf-8").split(f"## {heading}\n", 1)[1].split("\n## ")[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]

    def cells(line: str) -> list[str]:
        return [cell.strip() for cell in line.strip().strip("|").split("|")]

    header = cells(lines[0])
    return [
        {name: None if value == "null" else value for name, value in zip(header, cells(line), strict=True)}
        for line in lines[2:]
    ]


BASE_MAPPING = "system: sheet\nid_column: Ref\nfields:\n  title: Title\n  started_at: Start\n  services: Service\n"


def small_csv(mapping_extra: str = "", **columns: str) -> tuple[str, dict[str, Any]]:
    """A one-row sheet (Ref R-1, service Search) with the given columns, and a mapping that names Ref, Title,
    Start and Service, and what `mapping_extra` adds."""
    header = ["Ref", "Title", "Start", "Service", *columns]
    row = ["R-1", "Something broke", "2026-05-05T12:00:00+02:00", "Search", *columns.values()]
    text = "\n".join(",".join(_quoted(cell) for cell in line) for line in (header, row)) + "\n"
    return text, load_mapping(BASE_MAPPING + mapping_extra, "m.yaml")


def _quoted(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"' if any(c in cell for c in ',"\n') else cell


# --- the fixture, against the README --------------------------------------------------------------------------


def test_phases_are_as_the_readme_computes_them() -> None:
    records = incidents_by_key(fixture_translation())
    expected = readme_table("Expected phases (computed by hand)")
    assert [row["Ref"] for row in expected] == list(records)
    for row in expected:
        record = records[str(row["Ref"])]
        for key in ("kind", "severity", "status", "started_at", "detected_at", "mitigated_at", "resolved_at"):
            assert record[key] == row[key], (row["Ref"], key)


def test_impact_windows_and_minutes_are_as_the_readme_computes_them() -> None:
    records = incidents_by_key(fixture_translation())
    expected = readme_table("Expected impact windows (computed by hand)")
    found = [(key, window) for key, record in records.items() for window in record["impact"]]
    assert len(found) == len(expected)
    for (key, window), row in zip(found, expected, strict=True):
        assert (key, window["service"], window["level"], window["start"]) == (
            row["Ref"],
            row["service"],
            row["level"],
            row["start"],
        )
        if row["end"] == "open":
            assert window["end"] is None
            continue
        assert window["end"] == row["end"]
        start, end = parse_time(window["start"]), parse_time(window["end"])
        assert start is not None and end is not None
        assert (end - start).total_seconds() / 60 == int(str(row["minutes"])), key
    assert records["BW-109"]["impact"] == []  # impact "None": no windows at all


def test_the_records_hold_what_the_cells_hold() -> None:
    records = incidents_by_key(fixture_translation())
    first = records["BW-101"]
    assert first["title"] == "Shipment tracking page did not load"
    assert first["summary"] == {
        "public": "Customers could not open the shipment tracking page for about 40 minutes.",
        "internal": "Release 7.3 shipped a bundle that referenced a missing chunk.",
    }
    assert first["root_cause"] == {
        "description": "A minified bundle referenced a chunk the build had dropped.",
        "category": "code_defect",
    }
    assert first["tags"] == ["deploy", "frontend"]
    assert first["provenance"] == {
        "method": "imported",
        "source": {"system": "ops incident log", "id": "BW-101", "url": "https://sheets.example/ops-log#BW-101"},
    }
    assert "id" not in first and "written_on" not in first["provenance"]  # the writer's to add
    assert records["BW-102"]["services"] == ["booking-api", "partner-portal"]
    assert records["BW-102"]["summary"]["internal"] == (
        "Line one: the connection pool was exhausted.\n"
        'Line two: raised the pool from 50 to 200, "for now".\n'
        "Follow-up: alert on pool usage."
    )
    assert records["BW-102"]["tags"] == ["api", "partner-integrations"]
    assert records["BW-109"]["services"] == ["unassigned"]
    assert "url" not in records["BW-109"]["provenance"]["source"]
    assert "root_cause" not in records["BW-108"]  # no cell fills it
    assert records["BW-110"]["title"] == (
        "Partner portal shipment lists loaded slowly and some partners saw timeouts when they opened the shipment "
        "list, the label archive or the invoice overview…"
    )  # 182 characters cut at a word: at most 160


def test_formula_looking_cells_are_plain_text() -> None:
    records = incidents_by_key(fixture_translation())
    assert records["BW-107"]["summary"]["internal"] == (
        '=HYPERLINK("https://wiki.example/runbooks/label-printer","label printer runbook")'
    )
    text, mapping = small_csv("  summary.internal: Notes\n", Notes="=1+2")
    assert translate(text, "s.csv", mapping).incidents[0].record["summary"]["internal"] == "=1+2"


def test_services_are_made_once_each_from_the_names_in_the_sheet() -> None:
    translation = fixture_translation()
    by_id = {service.record["id"]: service for service in translation.services}
    assert list(by_id) == ["shipment-tracking", "booking-api", "partner-portal", "label-printing", "unassigned"]
    tracking = by_id["shipment-tracking"]
    assert tracking.key == "Shipment Tracking"
    assert tracking.record["public"] == {"listed": True, "name": "Shipment Tracking"}  # services: {listed: true}
    assert tracking.record["owner_team"] is None and tracking.record["slo"] == {"availability": None}
    assert by_id["unassigned"].record["public"]["listed"] is False  # never published under that name
    assert (translation.system, translation.source) == ("ops incident log", "brightwater-ops-log")


def test_services_are_unlisted_and_source_is_the_file_stem_by_default() -> None:
    text, mapping = small_csv()
    translation = translate(text, "exports/ops-log.csv", mapping)
    assert translation.source == "ops-log"
    assert translation.services[0].record["public"]["listed"] is False


# --- values -----------------------------------------------------------------------------------------------------


def test_values_map_the_sheets_words_trimmed_and_in_any_case() -> None:
    extra = (
        "  severity: {column: Sev, values: {P1: SEV1, '2': SEV2, Unknown: null}}\n"
        "  status: {column: State, values: {Closed: resolved}}\n"
        "  resolved_at: End\n"
    )
    rows = [("  p1 ", " CLOSED"), ("2", "closed"), ("sev3", "Monitoring"), ("Unknown", "resolved"), ("Sev A", "")]
    header = "Ref,Title,Start,Service,Sev,State,End\n"
    body = "".join(f"R-{n},T,2026-05-05,Search,{sev},{state},\n" for n, (sev, state) in enumerate(rows, start=1))
    mapping = load_mapping(BASE_MAPPING + extra, "m.yaml")
    translation = translate(header + body, "s.csv", mapping)
    found = [(i.record["severity"], i.record["status"]) for i in translation.incidents]
    # our own words match too (sev3, Monitoring); null says "not recorded" without a report; an empty status
    # falls back to the default (investigating: the row has no resolved_at)
    assert found == [
        ("SEV1", "resolved"),
        ("SEV2", "resolved"),
        ("SEV3", "monitoring"),
        (None, "resolved"),
        (None, "investigating"),
    ]
    assert translation.unmapped == ["s.csv row 6 (Ref R-5): severity 'Sev A' is not in the mapping's values"]


def test_a_word_without_values_must_be_one_of_ours() -> None:
    text, mapping = small_csv("  kind: Kind\n", Kind="Outage")
    translation = translate(text, "s.csv", mapping)
    assert translation.incidents[0].record["kind"] == "incident"  # the default
    assert translation.unmapped == [
        "s.csv row 2 (Ref R-1): kind 'Outage' in column 'Kind' is not one of 'incident', 'near_miss' or 'maintenance'"
    ]


def test_values_may_name_what_the_knowledge_base_adds_to_our_enums() -> None:
    extra = "  root_cause.category: {column: Cause, values: {Bit flip: cosmic_ray}}\n"
    text = "Ref,Title,Start,Service,Cause\nR-1,T,2026-05-05,Search,bit flip\n"
    with pytest.raises(SourceError, match="'cosmic_ray' is not one of 'code_defect'"):
        load_mapping(BASE_MAPPING + extra, "m.yaml")  # not without the knowledge base's taxonomies
    taxonomies = taxonomies_from({"root_cause_categories": {"cosmic_ray": "A bit flipped in memory"}})
    mapping = load_mapping(BASE_MAPPING + extra, "m.yaml", taxonomies=taxonomies)
    record = translate(text, "s.csv", mapping, taxonomies=taxonomies).incidents[0].record
    assert record["root_cause"] == {"category": "cosmic_ray"}


def test_summary_public_is_null_unless_mapped() -> None:
    text, mapping = small_csv("  summary.internal: Notes\n", Notes="internal detail")
    record = translate(text, "s.csv", mapping).incidents[0].record
    assert record["summary"] == {"public": None, "internal": "internal detail"}


def test_a_status_that_is_not_resolved_keeps_no_resolution_time() -> None:
    text, mapping = small_csv("  status: State\n  resolved_at: End\n", State="monitoring", End="2026-05-05T13:00:00Z")
    translation = translate(text, "s.csv", mapping)
    record = translation.incidents[0].record
    assert (record["status"], record["resolved_at"]) == ("monitoring", None)
    assert translation.unmapped == [
        "s.csv row 2 (Ref R-1): status is 'monitoring' but column 'End' holds '2026-05-05T13:00:00Z'; "
        "resolved_at left null"
    ]


# --- unmapped lines ---------------------------------------------------------------------------------------------


def test_unmapped_lines_name_the_row_the_column_and_why() -> None:
    unmapped = fixture_translation().unmapped
    assert unmapped[:2] == [
        "incidents.csv: column 'Pager' is not in the mapping; its values are kept nowhere (9 non-empty cells)",
        "incidents.csv: column 'Reviewed' is not in the mapping; its values are kept nowhere (2 non-empty cells)",
    ]
    assert "incidents.csv row 8 (Ref BW-107): severity 'Sev A' is not in the mapping's values" in unmapped
    assert any(
        line.startswith(
            "incidents.csv row 9 (Ref BW-108): mitigated_at 'soon after lunch' in column 'Mitigated' is not a time"
        )
        for line in unmapped
    )
    assert "incidents.csv row 10 (Ref BW-109): no service in column 'Services'; filed under 'Unassigned'" in unmapped
    assert (
        "incidents.csv row 10 (Ref BW-109): url 'wiki/bw-109' in column 'Link' is not an http(s) address; left out"
        in unmapped
    )
    assert "incidents.csv row 11 (Ref BW-110): title is 182 characters long; cut at a word to at most 160" in unmapped
    assert "incidents.csv row 12: the Ref cell is empty; the row was skipped" in unmapped
    assert not any("row 13" in line for line in unmapped)  # an empty row holds nothing to lose
    rows = Counter(line.split(":")[0] for line in unmapped)
    assert rows == {
        "incidents.csv": 2,
        "incidents.csv row 5 (Ref BW-104)": 1,
        "incidents.csv row 6 (Ref BW-105)": 1,
        "incidents.csv row 8 (Ref BW-107)": 1,
        "incidents.csv row 9 (Ref BW-108)": 1,
        "incidents.csv row 10 (Ref BW-109)": 2,
        "incidents.csv row 11 (Ref BW-110)": 1,
        "incidents.csv row 12": 1,
    }


def test_a_row_longer_than_the_header_and_characters_that_are_not_text_are_reported() -> None:
    text = "Ref,Title,Start,Service\nR-1,Bell\x07 rang,2026-05-05,Search,extra\n"
    translation = translate(text, "s.csv", small_csv()[1])
    assert translation.incidents[0].record["title"] == "Bell rang"
    assert translation.unmapped[0] == (
        "s.csv row 2 (Ref R-1): 1 cell(s) beyond the header row's columns; their values are kept nowhere"
    )
    assert translation.unmapped[1].startswith("s.csv row 2 (Ref R-1): title in column 'Title' held U+0007, a control")


# --- times ------------------------------------------------------------------------------------------------------


def test_dst_gaps_are_null_and_overlaps_the_first_reading() -> None:
    records = incidents_by_key(fixture_translation())
    unmapped = fixture_translation().unmapped
    assert records["BW-104"]["detected_at"] is None
    assert (
        "incidents.csv row 5 (Ref BW-104): detected_at '29.03.2026 02:20' in column 'Detected' does not exist in "
        "Europe/Berlin: the clocks skipped it when daylight saving time began" in unmapped
    )
    assert records["BW-105"]["started_at"] == "2026-10-25T02:30:00+02:00"  # fold=0: the first 02:30
    assert (
        "incidents.csv row 6 (Ref BW-105): started_at '25.10.2026 02:30' in column 'Start' happened twice in "
        "Europe/Berlin (the clocks went back); read as the first, 2026-10-25T02:30:00+02:00" in unmapped
    )
    # the hour after each change is unambiguous, at the new offset
    assert records["BW-104"]["mitigated_at"] == "2026-03-29T03:10:00+02:00"
    assert records["BW-105"]["resolved_at"] == "2026-10-25T03:15:00+01:00"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2026-11-20T07:05:00Z", "2026-11-20T07:05:00Z"),  # with an offset: kept exactly as written
        ("2026-11-20t07:05:00.250+05:30", "2026-11-20t07:05:00.250+05:30"),
        ("2026-11-20 07:05+0100", "2026-11-20T07:05:00+01:00"),  # an offset, not in RFC 3339 form: normalised
        ("2026-11-20 07:05", "2026-11-20T07:05:00+01:00"),  # no offset: the time zone's
        ("2026-07-20T07:05:00", "2026-07-20T07:05:00+02:00"),
        ("2026-11-20", "2026-11-20"),  # a date stays a date
        ("about 2026-11-20T07:05:00Z", {"about": "2026-11-20T07:05:00Z"}),
        ("~20.11.2026 07:05", {"about": "2026-11-20T07:05:00+01:00"}),
        ("20.11.2026 07:05", "2026-11-20T07:05:00+01:00"),  # the time_format
        ("1969-12-31", None),
        ("2026-11-20T25:00:00Z", None),
        ("2026-W47", None),
        ("46346.5", None),  # a spreadsheet's serial number
    ],
)
def test_times(cell: str, expected: object) -> None:
    text, mapping = small_csv(
        "  detected_at: Detected\ntime_zone: Europe/Berlin\ntime_format: '%d.%m.%Y %H:%M'\n", Detected=cell
    )
    translation = translate(text, "s.csv", mapping)
    assert translation.incidents[0].record["detected_at"] == expected
    assert bool(translation.unmapped) == (expected is None)


def test_a_time_without_offset_or_time_zone_is_null_and_reported() -> None:
    text, mapping = small_csv("  detected_at: Detected\n", Detected="2026-05-05 12:10")
    translation = translate(text, "s.csv", mapping)
    assert translation.incidents[0].record["detected_at"] is None
    assert translation.unmapped == [
        "s.csv row 2 (Ref R-1): detected_at '2026-05-05 12:10' in column 'Detected' has no offset, and the mapping "
        "names no time_zone to read it in"
    ]


def test_a_time_format_without_a_time_of_day_gives_dates() -> None:
    text, mapping = small_csv("  detected_at: Detected\ntime_format: '%d/%m/%Y'\n", Detected="05/05/2026")
    assert translate(text, "s.csv", mapping).incidents[0].record["detected_at"] == "2026-05-05"


# --- the CSV's shape ------------------------------------------------------------------------------------------


def test_a_semicolon_sheet_with_commas_in_its_cells_is_read() -> None:
    text = '\ufeffRef;Title;Start\r\nR-1;Slow, then down;2026-05-05\r\nR-2;"Two\r\nlines";2026-05-06\r\n'
    mapping = load_mapping(BASE_MAPPING.replace("  services: Service\n", ""), "m.yaml")
    translation = translate(text, "s.csv", mapping)
    assert [i.record["title"] for i in translation.incidents] == ["Slow, then down", "Two lines"]
    assert [i.record["services"] for i in translation.incidents] == [["unassigned"], ["unassigned"]]
    assert translation.unmapped == ["s.csv: the mapping names no services column; every row is 'Unassigned'"]


def test_a_mapped_column_missing_from_the_header_is_an_error_naming_it() -> None:
    mapping = load_mapping(MAPPING_TEXT, "mapping.yaml")
    text = CSV_TEXT.replace(",Cause type,", ",Cause kind,", 1)
    with pytest.raises(SourceError) as caught:
        translate(text, CSV_NAME, mapping)
    assert "incidents.csv: column 'Cause type' (root_cause.category) is not in the header row" in str(caught.value)


def test_two_rows_with_one_id_are_an_error() -> None:
    text = "Ref,Title,Start,Service\nR-1,A,2026-05-05,S\nR-2,B,2026-05-05,S\nR-1,C,2026-05-06,S\n"
    with pytest.raises(SourceError, match=r"s\.csv: Ref 'R-1' is on rows 2, 4; each row needs its own id"):
        translate(text, "s.csv", small_csv()[1])


@pytest.mark.parametrize("text", ["", "\ufeff\r\n", 'Ref,Title,Start,Service\nR-1,"never closed,2026-05-05,S\n'])
def test_an_empty_or_broken_csv_is_an_error(text: str) -> None:
    with pytest.raises(SourceError, match=r"^s\.csv: "):
        translate(text, "s.csv", small_csv()[1])


# --- the mapping file -----------------------------------------------------------------------------------------


def mapping_errors(text: str) -> list[str]:
    with pytest.raises(SourceError) as caught:
        load_mapping(text, "mapping.yaml")
    return str(caught.value).splitlines()


def test_an_unknown_field_name_points_at_its_key() -> None:
    text = MAPPING_TEXT.replace("  url: Link", "  link_url: Link")
    line, column = node_position(text, ["fields", "link_url"], key=True)
    assert mapping_errors(text) == [f"mapping.yaml:{line}:{column}: fields.link_url: unknown key 'link_url'"]


def test_a_values_target_not_in_our_enum_points_at_it() -> None:
    text = MAPPING_TEXT.replace("P2: SEV2", "P2: SEV9")
    line, column = node_position(text, ["fields", "severity", "values", "P2"])
    assert mapping_errors(text) == [
        f"mapping.yaml:{line}:{column}: fields.severity.values.P2: 'SEV9' is not one of 'SEV1', 'SEV2', 'SEV3' or "
        "'SEV4' (or null)"
    ]


def test_a_missing_system_is_reported_at_the_top() -> None:
    text = MAPPING_TEXT.replace("system: ops incident log\n", "")
    line, column = node_position(text, [])  # where the top-level mapping begins, under the comments
    assert (line, column) == (3, 1)
    assert mapping_errors(text) == [f'mapping.yaml:{line}:{column}: (top level): "system" is a required property']


def test_every_problem_of_a_mapping_is_listed_in_file_order() -> None:
    text = (
        MAPPING_TEXT.replace("system: ops incident log\n", "")
        .replace("time_zone: Europe/Berlin", "time_zone: Europe/Atlantis")
        .replace("Slow: degraded_performance", "Slow: slow")
        .replace("  tags:", "  tag:")
        .replace("Open: investigating", "open: investigating")
        .replace("Monitoring: monitoring", "OPEN: monitoring")  # the same word as open, in another case
    )
    lines = mapping_errors(text)
    positions = [tuple(map(int, line.split(":")[1:3])) for line in lines]
    assert positions == sorted(positions)
    assert [line.split(": ", 1)[1] for line in lines] == [
        '(top level): "system" is a required property',
        "time_zone: unknown time zone 'Europe/Atlantis'; use an IANA name such as Europe/Berlin or UTC",
        "fields.status.values: 'OPEN' is the same word as 'open'",
        "fields.impact_level.values.Slow: 'slow' is not one of 'degraded_performance', 'partial_outage', "
        "'major_outage' or 'none' (or null)",
        "fields.tag: unknown key 'tag'",
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('time_format: "%d.%m.%Y %H:%M"', "time_format: '%H:%M'"), "does not hold a whole date"),
        (('time_format: "%d.%m.%Y %H:%M"', "time_format: '%d %Q'"), "is not a format strptime can read"),
        (("  title: Summary", "  title: {column: Summary, split: ','}"), "fields.title.split: unknown key 'split'"),
        (("  started_at: Start", "  started_at: 2026"), 'fields.started_at: 2026 is not of types "string", "object"'),
        (("fields:", "fields: [oops"), "mapping.yaml:"),  # YAML syntax
    ],
)
def test_other_mapping_problems(change: tuple[str, str], message: str) -> None:
    old, new = change
    assert old in MAPPING_TEXT
    errors = mapping_errors(MAPPING_TEXT.replace(old, new))
    assert any(message in line for line in errors), errors
    assert all(line.startswith("mapping.yaml:") and line.split(":")[1].isdigit() for line in errors)


def test_translate_refuses_a_mapping_that_did_not_pass_load_mapping() -> None:
    mapping = load_mapping(MAPPING_TEXT, "mapping.yaml")
    broken = {**mapping, "fields": {**mapping["fields"], "severity": {"column": "Sev", "values": {"1": "SEV0"}}}}
    with pytest.raises(SourceError, match="'SEV0' is not one of"):
        translate(CSV_TEXT, CSV_NAME, broken)


def test_the_schema_and_the_translator_name_the_same_fields() -> None:
    schema = json.loads((REPO / "schemas" / "csv-mapping.schema.json").read_text(encoding="utf-8"))
    assert list(schema["properties"]["fields"]["properties"]) == list(FIELDS)


# --- the records are valid, and translating is pure -----------------------------------------------------------


def test_translated_records_validate_in_a_knowledge_base(tmp_path: Path) -> None:
    translation = fixture_translation()
    root = tmp_path / "kb"
    for service in translation.services:
        record = copy.deepcopy(service.record)
        record["provenance"]["written_on"] = "2026-12-01"
        _write(root / "services" / f"{record['id']}.yaml", record)
    numbers: Counter[str] = Counter()
    for incident in translation.incidents:
        record = copy.deepcopy(incident.record)
        day = _day(record.get("started_at") or record["detected_at"])
        numbers[day[:4]] += 1
        record = {"id": f"INC-{day[:4]}-{numbers[day[:4]]:03d}", **record}
        record["provenance"]["written_on"] = "2026-12-01"
        _write(root / "incidents" / day[:4] / f"{day}-{incident.key.lower()}.yaml", record)
    result = run_cli("validate", root=root, timeout=120)
    assert result.returncode == 0, explain(result)
    assert "error[" not in result.stdout + result.stderr, explain(result)
    assert "0 error(s), 1 warning(s)" in result.stdout, explain(result)  # BW-110's unassessed window


def _day(value: str | dict[str, str]) -> str:
    return (value["about"] if isinstance(value, dict) else value)[:10]


def _write(path: Path, record: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_yaml(record), encoding="utf-8")


def test_translating_twice_gives_the_same_and_changes_no_input() -> None:
    mapping = load_mapping(MAPPING_TEXT, "mapping.yaml")
    before = copy.deepcopy(mapping)
    first = translate(CSV_TEXT, CSV_NAME, mapping)
    second = translate(CSV_TEXT, CSV_NAME, mapping)
    assert first == second
    assert mapping == before
    first.incidents[0].record["title"] = "changed"  # nothing is shared between two translations
    assert second.incidents[0].record["title"] == "Shipment tracking page did not load"
