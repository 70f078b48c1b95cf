"""Times in public prose (generator/rules.py, public_prose_times; docs/policy.md): `public-time-zone` warns when a
live record's public text names a clock time without its zone, `public-time-outside` when a time with a zone lies
outside the incident it describes.

Records are written to a real knowledge base (tests/support.py: KB) and validated through the library entry point,
as in tests/test_rules.py; expected positions come from PyYAML's composer on the written text (`node_position`).
The base record is support's SEV1 (09:12 to 11:30 UTC on 14 October 2026), written either as it is (in UTC) or with
the same instants at +02:00, as responders in Berlin log them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from support import (
    INVESTIGATING_FILE,
    KB,
    REPO,
    SEV1_FILE,
    dump_yaml,
    investigating_incident,
    node_position,
    sev1_incident,
)

from generator.knowledge_base import KnowledgeBase
from generator.rules import prose_times
from generator.validate import ValidationResult, validate_knowledge_base

RULES = ("public-time-zone", "public-time-outside")
# Every public text, as where it is in the record.
PUBLIC_TEXTS: list[list[str | int]] = [
    ["summary", "public"],
    ["summary", "public_cause"],
    ["summary", "public_mitigation"],
    ["summary", "public_prevention"],
    ["summary", "public_postmortem"],
    ["updates", 1, "message"],
    ["impact", 0, "public_description"],
]
# The texts that tell the incident's own span: only these are compared with it.
SPAN_TEXTS: list[list[str | int]] = [
    ["summary", "public"],
    ["summary", "public_mitigation"],
    ["updates", 1, "message"],
    ["impact", 0, "public_description"],
]
OTHER_TEXTS: list[list[str | int]] = [
    ["summary", "public_cause"],
    ["summary", "public_prevention"],
    ["summary", "public_postmortem"],
]
PLUS_TWO = timezone(timedelta(hours=2))
BERLIN_ZONE_MESSAGE = (
    "public text names 11:12 without a time zone; readers see tables in UTC: write '09:12 UTC' "
    "(if it is 11:12 at +02:00, as the record's times are written)"
)
SPAN_MESSAGE = "public text says 13:52 UTC, outside the incident (09:12–11:30 UTC on 14 October)"


# --- helpers --------------------------------------------------------------------------------------------------


def at_offset(value: str, zone: timezone = PLUS_TWO) -> str:
    """The same instant written at another offset."""
    return datetime.fromisoformat(value).astimezone(zone).isoformat()


def berlin_sev1() -> dict[str, Any]:
    """The SEV1 with every time of its span and its updates written at +02:00 (the same instants)."""
    record = sev1_incident()
    for key in ("started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at"):
        record[key] = at_offset(record[key])
    for window in record["impact"]:
        window["start"], window["end"] = at_offset(window["start"]), at_offset(window["end"])
    for update in record["updates"]:
        update["at"] = at_offset(update["at"])
    return record


def with_text(record: dict[str, Any], where: Sequence[str | int], text: str) -> dict[str, Any]:
    node: Any = record
    for part in where[:-1]:
        node = node[part]
    node[where[-1]] = text
    return record


def write_and_validate(kb: KB, data: dict[str, Any], relative: str = SEV1_FILE) -> tuple[str, ValidationResult]:
    text = dump_yaml(data)
    return text, kb.validate(kb.write(relative, text))


def found(result: ValidationResult, rule: str | None = None) -> list[Any]:
    return [f for f in result.findings if f.rule in ((rule,) if rule else RULES)]


def assert_one(
    result: ValidationResult, rule: str, text: str, where: Sequence[str | int], message: str, relative: str = SEV1_FILE
) -> None:
    findings = found(result)
    assert [(f.rule, f.message) for f in findings] == [(rule, message)], result.findings
    line, column = node_position(text, where)
    assert (findings[0].path, findings[0].line, findings[0].column) == (relative, line, column)
    assert findings[0].severity.value == "warning"


# --- public-time-zone: a time without its zone ---------------------------------------------------------------


@pytest.mark.parametrize("where", PUBLIC_TEXTS, ids=lambda w: ".".join(map(str, w)))
def test_a_time_without_a_zone_in_each_public_text_is_a_warning_at_the_text(kb: KB, where: list[str | int]) -> None:
    record = with_text(berlin_sev1(), where, "Checkout failed for many customers from 11:12.")
    text, result = write_and_validate(kb, record)
    assert_one(result, "public-time-zone", text, where, BERLIN_ZONE_MESSAGE)


def test_the_warning_points_at_a_block_scalar_as_written_by_hand(kb: KB) -> None:
    record = berlin_sev1()
    record["summary"]["public"] = "PLACEHOLDER"
    text = dump_yaml(record).replace(
        "  public: PLACEHOLDER\n",
        "  public: >-\n    Many customers could not complete checkout\n    from 11:12, for about 40 minutes.\n",
    )
    result = kb.validate(kb.write(SEV1_FILE, text))
    assert_one(result, "public-time-zone", text, ["summary", "public"], BERLIN_ZONE_MESSAGE)
    assert node_position(text, ["summary", "public"])[0] == text.splitlines().index("  public: >-") + 1


def test_a_record_in_utc_is_told_to_add_utc(kb: KB) -> None:
    record = with_text(sev1_incident(), ["summary", "public"], "Checkout failed from 09:12 until 9:52.")
    _, result = write_and_validate(kb, record)
    messages = [f.message for f in found(result, "public-time-zone")]
    assert messages == [
        "public text names 09:12 without a time zone; readers see tables in UTC: write '09:12 UTC'",
        "public text names 9:52 without a time zone; readers see tables in UTC: write '09:52 UTC'",
    ]


def test_am_pm_and_seconds_are_converted(kb: KB) -> None:
    record = with_text(berlin_sev1(), ["summary", "public"], "It began at 11:12:30 am and ended at 1:30 p.m.")
    _, result = write_and_validate(kb, record)
    assert [f.message.split(": write ")[1] for f in found(result)] == [
        "'09:12:30 UTC' (if it is 11:12:30 am at +02:00, as the record's times are written)",
        "'11:30 UTC' (if it is 1:30 p.m. at +02:00, as the record's times are written)",
    ]


def test_each_time_is_named_once_per_text(kb: KB) -> None:
    record = with_text(
        berlin_sev1(), ["summary", "public"], "From 11:12 orders failed; 11:12 was the start, 11:52 the end."
    )
    _, result = write_and_validate(kb, record)
    assert [f.message.split(" without")[0] for f in found(result)] == [
        "public text names 11:12",
        "public text names 11:52",
    ]


@pytest.mark.parametrize(
    "prose",
    [
        "The outage lasted 1:30 hours.",  # a duration written as a clock
        "Recovery took 0:45 min, then 1:30h more.",
        "Traffic rose by a ratio of 3:1 (16:9 screens were fine).",  # a ratio: one digit after the colon
        "Clients on v1.2:30 were affected.",  # part of a version
        "See https://status.example.com/incidents/09:12 and www.example.com/at/10:15 for details.",  # addresses
        "The job runs `at 11:12` every day.",  # a code span
        "The error mentioned 2026-10-14T09:12:00Z in its log line.",  # a timestamp
        "Checkout failed from 09:12 UTC.",  # with its zone
        "Checkout failed from 09:12Z to 09:52 GMT.",
        "Checkout failed from 11:12 CEST (11:12 Europe/Berlin, 11:12 UTC+2, 11:12 +02:00).",
        "Checkout failed from 5:12 a.m. ET, 05:12 EDT and 02:12 PDT.",
        "Checkout failed between 09:12 and 09:52 UTC, 09:12-09:52 UTC and 09:12–09:52 UTC.",
        "Checks ran at 09:15, 09:30 and 09:45 UTC.",
        "All times are in UTC. Checkout failed at 09:12 and recovered at 09:52.",
    ],
)
def test_what_is_not_a_time_without_a_zone(kb: KB, prose: str) -> None:
    record = with_text(berlin_sev1(), ["summary", "public"], prose)
    _, result = write_and_validate(kb, record)
    assert found(result) == [], result.findings


@pytest.mark.parametrize("prose", ["Back at 11:52 local time.", "Back at 11:52 Berlin time."])
def test_local_time_is_no_zone(kb: KB, prose: str) -> None:
    record = with_text(berlin_sev1(), ["summary", "public_mitigation"], prose)
    _, result = write_and_validate(kb, record)
    assert [f.rule for f in found(result)] == ["public-time-zone"]
    assert "write '09:52 UTC'" in found(result)[0].message


def test_a_range_without_any_zone_names_each_time(kb: KB) -> None:
    record = with_text(berlin_sev1(), ["summary", "public"], "Checkout failed between 11:12 and 11:52.")
    _, result = write_and_validate(kb, record)
    assert [f.message.split(" without")[0] for f in found(result)] == [
        "public text names 11:12",
        "public text names 11:52",
    ]


def test_the_suggestion_is_in_the_report_time_zone(kb: KB) -> None:
    kb.write("incidentkb.yml", "report:\n  timezone: Europe/Berlin\n")
    record = with_text(sev1_incident(), ["summary", "public"], "Checkout failed from 09:12.")
    _, result = write_and_validate(kb, record)
    assert [f.message for f in found(result)] == [
        "public text names 09:12 without a time zone; readers see tables in Europe/Berlin: write '11:12 CEST' "
        "(if it is 09:12 at +00:00, as the record's times are written)"
    ]


def test_the_offset_nearest_the_incident_is_assumed_across_a_dst_change(kb: KB) -> None:
    """A record across the end of summer time in Berlin is written at +02:00 and +01:00; "02:40" is read at the
    offset that puts it in the incident: 02:40 at +01:00, 01:40 UTC (at +02:00 it would be 00:40 UTC, before it)."""
    record = dst_record()
    record["summary"]["public"] = "Search failed until 02:40."
    _, result = write_and_validate(kb, record, DST_FILE)
    assert [f.message for f in found(result)] == [
        "public text names 02:40 without a time zone; readers see tables in UTC: write '01:40 UTC' "
        "(if it is 02:40 at +01:00, as the record's times are written)"
    ]


def test_a_record_without_a_time_of_day_gets_no_conversion(kb: KB) -> None:
    record = investigating_incident()
    record.update(started_at="2026-11-02", detected_at=None, impact=[], updates=[])
    record["summary"]["public"] = "Searches have been slow since 14:00."
    _, result = write_and_validate(kb, record, INVESTIGATING_FILE)
    assert [f.message for f in found(result)] == [
        "public text names 14:00 without a time zone; readers see tables in UTC: write it with its zone "
        "('14:00 UTC' if it is UTC)"
    ]


# --- the policy profile: reconstructed and imported records quote their sources -------------------------------


@pytest.mark.parametrize("method", ["reconstructed", "imported"])
def test_a_record_from_sources_keeps_its_quoted_local_times(kb: KB, method: str) -> None:
    record = with_text(berlin_sev1(), ["summary", "public"], "From 11:12 AM checkout failed, until 11:52.")
    record["provenance"] = {"method": method, "written_on": "2026-11-16", "by": "Review team"}
    _, result = write_and_validate(kb, record)
    assert found(result) == [], result.findings


def test_a_live_record_says_so_or_says_nothing(kb: KB) -> None:
    record = with_text(berlin_sev1(), ["summary", "public"], "Checkout failed from 11:12.")
    record["provenance"] = {"method": "live", "written_on": "2026-10-14"}
    _, result = write_and_validate(kb, record)
    assert [f.message for f in found(result)] == [BERLIN_ZONE_MESSAGE]


@pytest.mark.parametrize("method", ["reconstructed", "imported"])
def test_a_record_from_sources_is_still_compared_with_its_span(kb: KB, method: str) -> None:
    record = with_text(berlin_sev1(), ["summary", "public_mitigation"], "Checkout worked again from 13:52 UTC.")
    record["provenance"] = {"method": method, "written_on": "2026-11-16", "by": "Review team"}
    text, result = write_and_validate(kb, record)
    assert_one(result, "public-time-outside", text, ["summary", "public_mitigation"], SPAN_MESSAGE)


# --- public-time-outside: a time with a zone outside the incident ---------------------------------------------


@pytest.mark.parametrize("where", SPAN_TEXTS, ids=lambda w: ".".join(map(str, w)))
def test_a_zoned_time_outside_the_span_is_a_warning_at_the_text(kb: KB, where: list[str | int]) -> None:
    record = with_text(berlin_sev1(), where, "Checkout worked again from 13:52 UTC.")
    text, result = write_and_validate(kb, record)
    assert_one(result, "public-time-outside", text, where, SPAN_MESSAGE)


@pytest.mark.parametrize("where", OTHER_TEXTS, ids=lambda w: ".".join(map(str, w)))
def test_the_cause_prevention_and_post_mortem_are_not_compared(kb: KB, where: list[str | int]) -> None:
    record = with_text(berlin_sev1(), where, "A change made at 06:05 UTC; a fix released at 16:40 UTC.")
    _, result = write_and_validate(kb, record)
    assert found(result) == [], result.findings


@pytest.mark.parametrize(
    ("prose", "outside"),
    [
        ("08:42 UTC", False),  # 30 minutes before the start (09:12 UTC)
        ("08:41 UTC", True),
        ("12:00 UTC", False),  # 30 minutes after resolved_at (11:30 UTC)
        ("12:01 UTC", True),
        ("10:12 CET", False),  # CET as written (+01:00) is 09:12 UTC, though Berlin was on CEST that day
        ("08:12 CET", True),
        ("11:12 CEST", False),
        ("11:12 Europe/Berlin", False),
        ("05:12 EDT", False),
        ("5:12 a.m. ET", False),
        ("4:12 a.m. ET", True),
        ("11:12 IST", False),  # names three zones: not converted
    ],
)
def test_the_span_and_its_tolerance(kb: KB, prose: str, outside: bool) -> None:
    record = with_text(berlin_sev1(), ["summary", "public"], f"Checkout failed from {prose}.")
    _, result = write_and_validate(kb, record)
    assert [f.rule for f in found(result)] == (["public-time-outside"] if outside else []), result.findings


def test_the_message_names_the_span_in_the_zone_written(kb: KB) -> None:
    record = with_text(berlin_sev1(), ["summary", "public"], "Checkout failed from 08:12 CEST.")
    _, result = write_and_validate(kb, record)
    assert [f.message for f in found(result)] == [
        "public text says 08:12 CEST, outside the incident (11:12–13:30 CEST on 14 October)"
    ]


def test_every_time_of_a_range_is_compared(kb: KB) -> None:
    record = with_text(berlin_sev1(), ["summary", "public"], "Checkout failed between 07:12 and 13:52 UTC.")
    _, result = write_and_validate(kb, record)
    assert [f.message for f in found(result)] == [
        "public text says 07:12 UTC, outside the incident (09:12–11:30 UTC on 14 October)",
        "public text says 13:52 UTC, outside the incident (09:12–11:30 UTC on 14 October)",
    ]


@pytest.mark.parametrize(
    "prose",
    [
        "Checkout works again. Next update by 18:00 UTC.",  # a promised update
        "We will post a final update when the fix is released, by 16:00 UTC.",
        "Refunds will be complete at 17:00 UTC tomorrow.",  # another day
        "The change was made at 08:00 UTC on 2 September.",  # dated another day
        "On 13 October at 16:00 UTC a change was made.",
    ],
)
def test_promises_and_other_days_are_not_compared(kb: KB, prose: str) -> None:
    record = with_text(berlin_sev1(), ["updates", 1, "message"], prose)
    _, result = write_and_validate(kb, record)
    assert found(result) == [], result.findings


def test_a_time_dated_on_the_incident_day_is_compared(kb: KB) -> None:
    record = with_text(berlin_sev1(), ["summary", "public"], "Checkout failed at 13:52 UTC on 14 October.")
    _, result = write_and_validate(kb, record)
    assert [f.rule for f in found(result)] == ["public-time-outside"]


def test_an_update_may_name_its_own_time_and_its_next_update(kb: KB) -> None:
    record = berlin_sev1()
    record["updates"][2]["message"] = (
        "This incident is resolved (published at 11:35 UTC); a review follows at 13:40 UTC."
    )
    record["updates"][2]["next_update_at"] = "2026-10-14T13:40:00Z"
    _, result = write_and_validate(kb, record)
    assert found(result) == [], result.findings
    record["summary"]["public"] = "Published at 13:40 UTC."  # the update's times do not widen other texts
    _, result = write_and_validate(kb, record)
    assert [f.rule for f in found(result)] == ["public-time-outside"]


def test_an_open_incident_is_not_compared(kb: KB) -> None:
    record = investigating_incident()  # started 14:00 at +01:00, still investigating
    record["summary"]["public"] = "Searches have been slow since 13:00 UTC; at 03:00 UTC they were fine."
    _, result = write_and_validate(kb, record, INVESTIGATING_FILE)
    assert found(result) == [], result.findings
    record["summary"]["public"] = "Searches have been slow since 14:00."
    _, result = write_and_validate(kb, record, INVESTIGATING_FILE)
    assert [f.message for f in found(result)] == [
        "public text names 14:00 without a time zone; readers see tables in UTC: write '13:00 UTC' "
        "(if it is 14:00 at +01:00, as the record's times are written)"
    ]


# Across midnight: 23:40 UTC on 14 October to 00:50 UTC on 15 October.
MIDNIGHT_FILE = "incidents/2026/2026-10-14-checkout-errors.yaml"


def midnight_record() -> dict[str, Any]:
    record = sev1_incident()
    record.update(
        started_at="2026-10-14T23:40:00Z",
        detected_at="2026-10-14T23:42:00Z",
        acknowledged_at="2026-10-14T23:45:00Z",
        mitigated_at="2026-10-15T00:30:00Z",
        resolved_at="2026-10-15T00:50:00Z",
    )
    record["impact"] = [
        {"service": "api", "level": "major_outage", "start": "2026-10-14T23:40:00Z", "end": "2026-10-15T00:30:00Z"}
    ]
    for update, moment in zip(record["updates"], ("23:50", "00:35", "00:55"), strict=True):
        update["at"] = f"2026-10-{14 if moment > '12' else 15}T{moment}:00Z"
    return record


@pytest.mark.parametrize(
    ("prose", "outside"),
    [
        ("between 23:40 and 00:30 UTC", False),
        ("from 23:40 UTC to 15 October 00:30 UTC", False),
        ("from 01:45 to 02:30 CEST", False),  # 23:45 and 00:30 UTC; in CEST the incident is on 15 October only
        ("at 01:30 UTC", True),
        ("at 00:40 CEST", True),  # 22:40 UTC on 14 October, an hour before the start
    ],
)
def test_inside_and_outside_across_midnight(kb: KB, prose: str, outside: bool) -> None:
    record = with_text(midnight_record(), ["summary", "public"], f"Checkout failed {prose}.")
    _, result = write_and_validate(kb, record, MIDNIGHT_FILE)
    assert [f.rule for f in found(result)] == (["public-time-outside"] if outside else []), result.findings


def test_the_message_names_both_days_across_midnight(kb: KB) -> None:
    record = with_text(midnight_record(), ["summary", "public"], "Checkout failed until 01:30 UTC.")
    _, result = write_and_validate(kb, record, MIDNIGHT_FILE)
    assert [f.message for f in found(result)] == [
        "public text says 01:30 UTC, outside the incident (23:40 UTC on 14 October to 00:50 UTC on 15 October)"
    ]


# Across the end of summer time in Berlin (03:00 CEST became 02:00 CET at 01:00 UTC on 25 October 2026): from
# 02:50 CEST (00:50 UTC) to 02:40 CET (01:40 UTC): its last 40 minutes show clock times Berlin had shown an hour before.
DST_FILE = "incidents/2026/2026-10-25-search-down.yaml"


def dst_record() -> dict[str, Any]:
    return {
        "id": "INC-2026-030",
        "title": "Search failed during the night",
        "severity": "SEV3",
        "status": "resolved",
        "kind": "incident",
        "services": ["web"],
        "started_at": "2026-10-25T02:50:00+02:00",
        "detected_at": "2026-10-25T02:55:00+02:00",
        "resolved_at": "2026-10-25T02:40:00+01:00",
        "impact": [
            {
                "service": "web",
                "level": "partial_outage",
                "start": "2026-10-25T02:50:00+02:00",
                "end": "2026-10-25T02:40:00+01:00",
            }
        ],
        "summary": {"public": "Search failed."},
    }


@pytest.mark.parametrize(
    ("prose", "outside"),
    [
        ("from 02:50 to 02:40 Europe/Berlin", False),  # 02:50 in summer time, 02:40 the second time round
        ("at 02:10 Europe/Berlin", False),  # only its second reading (01:10 UTC) is inside; the first is 00:10 UTC
        ("from 02:50 CEST to 02:40 CET", False),
        ("between 00:50 and 01:40 UTC", False),
        ("until 03:30 Europe/Berlin", True),  # winter time by then: 02:30 UTC (01:30 UTC at +02:00 is inside)
        ("until 03:30 CEST", False),  # as written: 01:30 UTC
    ],
)
def test_inside_and_outside_across_a_dst_change(kb: KB, prose: str, outside: bool) -> None:
    record = with_text(dst_record(), ["summary", "public"], f"Search failed {prose}.")
    _, result = write_and_validate(kb, record, DST_FILE)
    assert [f.rule for f in found(result)] == (["public-time-outside"] if outside else []), result.findings


# --- the scan itself -----------------------------------------------------------------------------------------


def test_prose_times_reads_zones_ranges_and_clock_values() -> None:
    read = [(t.written, t.clock.isoformat(), t.zone) for t in prose_times("From 9:30 p.m. to 10:05:30 pm ET, 12:00 am")]
    assert read == [("9:30 p.m.", "21:30:00", "ET"), ("10:05:30 pm", "22:05:30", "ET"), ("12:00 am", "00:00:00", None)]
    assert [t.zone for t in prose_times("10:00-11:00. Then 09:12:00-05:00; also 09:12 +02:00")] == [
        None,
        None,
        "-05:00",
        "+02:00",
    ]


def test_the_scan_is_linear_on_hostile_text() -> None:
    """A megabyte of each unit a hostile record could repeat (times, backticks, letters before ://, colons)."""
    for unit in ("1:00 ", "`12:00 ", "ab12:00", "12:3", "http://", "00:00 and ", "12:00 UTC on 1 October ", ":"):
        text = (unit * (1_000_000 // len(unit) + 1))[:1_000_000]
        start = time.perf_counter()
        prose_times(text)
        assert time.perf_counter() - start < 10, unit


# --- the knowledge bases of this repository --------------------------------------------------------------------


@pytest.mark.parametrize("root", [REPO, REPO / "tests" / "realworld"], ids=["example", "realworld"])
def test_the_repository_knowledge_bases_have_no_such_warning(root: Any) -> None:
    result = validate_knowledge_base(KnowledgeBase(root), today=date(2026, 12, 1))
    assert found(result) == [], found(result)
