"""A post-mortem's computed facts come from analyze/postmortems.py, typed, one row per shown item; the internal
site's templates only place and format them (no parallel lists, no title slicing, no raw record)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from generator.analyze import internal, lessons, metrics
from generator.analyze.postmortems import postmortem_facts
from generator.model import ApproximateMinutes, KnowledgeBaseModel, incident_from

CUTOFF = datetime(2026, 11, 23, 12, tzinfo=UTC)
TEMPLATES = Path(__file__).resolve().parent.parent / "generator" / "templates" / "site"


def record(**fields: Any) -> dict[str, Any]:
    return {
        "id": "INC-2026-001",
        "title": "Checkout fails",
        "severity": "SEV2",
        "status": "resolved",
        "kind": "incident",
        "services": ["checkout"],
        **fields,
    }


def test_minutes_are_one_row_per_window_and_containment_action() -> None:
    incident = incident_from(
        record(
            status="monitoring",  # an open window is counted to the cut-off only while the incident is open
            started_at="2026-11-20T10:00:00Z",
            detected_at="2026-11-20T10:05:00Z",
            mitigated_at="2026-11-20T10:30:00Z",
            impact=[
                {"service": "checkout", "level": "major_outage", "start": "2026-11-20T10:00:00Z", "end": None},
                {
                    "service": "checkout",
                    "level": None,
                    "start": "2026-11-20T10:00:00Z",
                    "end": "2026-11-20T10:45:00Z",
                },
            ],
            containment=[
                {"action": "rollback", "applied_at": "2026-11-20T10:10:00Z", "removed_at": "2026-11-20T11:10:00Z"},
                {"action": "feature_flag", "applied_at": "2026-11-20T10:20:00Z"},
            ],
        ),
        "incidents/x.yaml",
    )
    facts = postmortem_facts(incident, CUTOFF)
    assert [row.window for row in facts.impact] == list(incident.impact)
    assert [row.minutes for row in facts.impact] == [(CUTOFF - incident.impact[0].start).total_seconds() / 60, 45]
    assert [row.minutes for row in facts.containment] == [60, None]
    assert facts.still_in_place == 1
    assert facts.durations.time_to_detect == 5
    assert facts.durations.time_to_mitigate == 30
    assert facts.durations.time_to_resolve is None


def test_times_and_sections_are_parsed_once_and_typed() -> None:
    incident = incident_from(
        record(
            started_at="2026-11-20T10:00:00Z",
            changes=[{"kind": "deploy", "at": "2026-11-20T09:58:00+01:00"}, {"kind": "config"}],
            fix={"deployed_at": "2026-11-20T12:00:00Z", "smoke_tests_run": ["pay"]},
            verification={"verified_at": None},
            defect_age={"introduced_at": "2026-11-10T10:00:00Z", "introduced_by": "PR 12"},
            root_cause={"category": "code_defect", "similar_risk": None},
            escape={"reasons": ["missing_test_case"]},
        ),
        "incidents/x.yaml",
    )
    facts = postmortem_facts(incident, CUTOFF)
    assert [(c.kind, c.at) for c in facts.changes] == [
        ("deploy", datetime(2026, 11, 20, 8, 58, tzinfo=UTC)),
        ("config", None),
    ]
    assert facts.fix.deployed_at == datetime(2026, 11, 20, 12, tzinfo=UTC)
    assert facts.fix.smoke_tests_run == ("pay",)
    assert facts.verification is not None and facts.verification.verified_at is None
    assert facts.defect_age_days == 10
    assert facts.introduced_by == "PR 12"
    # A question written with no answer is shown as unknown; one not written is not shown.
    assert facts.root_cause is not None and facts.root_cause.similar_risk_asked
    assert not facts.escape.described
    assert facts.failure_boundary is None and facts.compensation is None and facts.reproduction is None
    assert facts.lessons.went_well == ()


def test_no_defect_age_without_both_times() -> None:
    facts = postmortem_facts(incident_from(record(started_at="2026-11-20T10:00:00Z"), "x.yaml"), CUTOFF)
    assert facts.defect_age_days is None


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.j2")))
def test_templates_place_typed_data(template: str) -> None:
    text = (TEMPLATES / template).read_text(encoding="utf-8")
    assert "loop.index0" not in text  # no lists aligned by position
    assert not re.search(r"\]\s*\|\s*capitalize|\[\d*:\d*\]", text)  # no slicing of titles
    assert ".record" not in text  # no raw records
    assert "or {}" not in text


def test_lessons_views_carry_each_group_with_its_summary() -> None:
    incidents = tuple(
        incident_from(record(id=f"INC-2026-00{n}", tags=["db"], started_at=f"2026-11-0{n}T10:00:00Z"), "x.yaml")
        for n in (1, 2)
    )
    model = KnowledgeBaseModel(incidents, ())
    views = {v.slug: v for v in lessons.index_views(model, CUTOFF.date())}
    (tagged,) = views["by-tag"].groups
    assert tagged.group.key == "db" and tagged.summary.count == 2 and tagged.summary.latest is incidents[1]
    assert views["by-root-cause"].noun == "root-cause category"
    analysis = internal.analyze_internal(model, CUTOFF.date(), {})
    assert [m.month for m in analysis.months] == ["2026-11"]
    assert analysis.metrics.tables[0].grouped_by == "severity"
    assert analysis.metrics.incidents_per_month == (metrics.Bar("2026-11", 2.0),)


def test_times_not_known_to_the_minute_give_no_duration_or_an_approximate_one() -> None:
    """Date-only bounds give no duration, approximate ones an approximate duration; a resolved record's window
    with no end is shown, never counted to the cut-off as if still open."""
    incident = incident_from(
        record(
            provenance={"method": "reconstructed"},
            started_at={"about": "2026-11-20T10:00:00Z"},
            detected_at="2026-11-20",
            mitigated_at="2026-11-20T10:40:00Z",
            resolved_at=None,
            impact=[
                {
                    "service": "checkout",
                    "level": "major_outage",
                    "start": {"about": "2026-11-20T10:00:00Z"},
                    "end": "2026-11-20T10:40:00Z",
                },
                {"service": "checkout", "level": "partial_outage", "start": "2026-11-20", "end": "2026-11-21"},
                {"service": "checkout", "level": "partial_outage", "start": "2026-11-20T10:00:00Z", "end": None},
                {
                    "service": "checkout",
                    "kind": "data_loss",
                    "start": "2026-11-20T09:00:00Z",
                    "end": "2026-11-20T10:00:00Z",
                    "timing": "before_detection",
                },
            ],
            containment=[{"action": "rollback", "applied_at": "2026-11-20T10:10:00Z"}],
        ),
        "incidents/x.yaml",
    )
    facts = postmortem_facts(incident, CUTOFF)
    assert [row.minutes for row in facts.impact] == [40]
    assert isinstance(facts.impact[0].minutes, ApproximateMinutes)
    assert [(row.entry.kind, row.minutes) for row in facts.other_impact] == [
        ("availability", None),  # date only: how long is not known
        ("availability", None),  # resolved, end not recorded: not open
        ("data_loss", 60),
    ]
    assert facts.durations.time_to_detect is None  # a date only
    assert isinstance(facts.durations.time_to_mitigate, ApproximateMinutes) and facts.durations.time_to_mitigate == 40
    assert facts.still_in_place == 0  # not live: an unrecorded removal is not configuration debt
    assert facts.provenance.method == "reconstructed"
