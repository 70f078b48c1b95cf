"""What a post-mortem page shows that is computed, not written: each incident's facts, found once, as typed rows.

Response durations, each impact window's and containment action's minutes, the defect's age, the parsed times of
the record's changes, fix and verification, and the record's prose sections as typed values. The page template
places and formats these; it does no arithmetic, aligns no parallel lists and reads no raw record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from generator.analyze.lessons import ActionRow, action_rows
from generator.analyze.metrics import durations, minutes_between
from generator.model import (
    ContainmentAction,
    ImpactEntry,
    ImpactWindow,
    Incident,
    Quantity,
    parse_time,
    quantities_from,
    stated_differs,
)


@dataclass(frozen=True)
class Durations:
    """Minutes of each response phase (metrics.PHASE_METRICS); None where a timestamp is unknown."""

    time_to_detect: float | None
    time_to_acknowledge: float | None
    time_to_mitigate: float | None
    time_to_resolve: float | None


@dataclass(frozen=True)
class ImpactRow:
    window: ImpactWindow
    minutes: float | None  # an ongoing window counts up to the cut-off


@dataclass(frozen=True)
class ContainmentRow:
    action: ContainmentAction
    minutes: float | None  # how long it was in place; None while it still is


@dataclass(frozen=True)
class Change:
    """A change made before the incident broke out ("what changed before it broke")."""

    kind: str | None
    description: str | None
    ref: str | None
    at: datetime | None


# The record's prose sections, typed. Every text field is None where the author wrote null or left it out; a
# section the page shows only when it is recorded is None when the record has no (or an empty) such section.


@dataclass(frozen=True)
class Summary:
    public: str | None
    internal: str | None
    public_cause: str | None
    public_mitigation: str | None
    public_prevention: str | None
    public_postmortem: str | None  # a post-mortem published elsewhere, as its text (an imported status page's)


@dataclass(frozen=True)
class RootCause:
    category: str | None
    description: str | None
    five_whys: tuple[str, ...]
    similar_risk: str | None
    similar_risk_asked: bool  # the record has the question, answered or null


@dataclass(frozen=True)
class FailureBoundary:
    scope: str | None
    segments: tuple[str, ...]
    customers_affected: int | None
    revenue_at_risk: bool | None
    data_at_risk: bool | None
    description: str | None


@dataclass(frozen=True)
class Classification:
    category: str | None
    rationale: str | None


@dataclass(frozen=True)
class Reproduction:
    reproduced: bool | None
    environment: str | None
    differences: str | None


@dataclass(frozen=True)
class Factor:
    """A contributing factor (its fishbone category) or a failed defence (its layer), with why."""

    category: str
    description: str | None


@dataclass(frozen=True)
class Detection:
    method: str | None
    source: str | None
    notes: str | None


@dataclass(frozen=True)
class Fix:
    level: str | None
    description: str | None
    ref: str | None
    deployed_at: datetime | None
    follow_up: str | None
    smoke_tests_run: tuple[str, ...]


@dataclass(frozen=True)
class Verification:
    verified_at: datetime | None
    description: str | None


@dataclass(frozen=True)
class Escape:
    reasons: tuple[str, ...]
    description: str | None
    described: bool  # the record has a description, written or null
    regression_test_added: bool | None
    regression_test_ref: str | None


@dataclass(frozen=True)
class Lessons:
    went_well: tuple[str, ...]
    went_wrong: tuple[str, ...]
    lucky: tuple[str, ...]


@dataclass(frozen=True)
class Compensation:
    offered: bool | None
    description: str | None


@dataclass(frozen=True)
class Evidence:
    title: str
    url: str
    kind: str | None


@dataclass(frozen=True)
class Provenance:
    """How the record was written; a page of a record that is not live says so in a banner with its sources."""

    method: str  # live, reconstructed or imported
    written_on: datetime | None
    by: str | None
    notes: str | None
    system: str | None  # an imported record's source system, its id and link there
    system_id: str | None
    system_url: str | None
    given: bool  # the record has a provenance section (a live record without one shows no banner)


@dataclass(frozen=True)
class Review:
    """The post-mortem's own header (the SRE template's): who wrote and reviewed it, and where it stands."""

    status: str | None
    authors: tuple[str, ...]
    incident_commander: str | None
    reviewers: tuple[str, ...]
    created: datetime | None
    reviewed: datetime | None
    finalised: datetime | None


@dataclass(frozen=True)
class Publication:
    kind: str
    title: str | None
    url: str
    at: datetime | None
    publisher: str | None


@dataclass(frozen=True)
class Statement:
    """Figures a source states, beside the computed ones (`differs`: the stated duration is off by more than the
    tolerance rules.stated_duration_agrees allows)."""

    source: str
    duration_minutes: float | None
    approximate: bool
    started_at: datetime | None
    ended_at: datetime | None
    quantities: tuple[Quantity, ...]
    note: str | None
    differs: bool


@dataclass(frozen=True)
class ThirdParty:
    name: str
    role: str
    incident_url: str | None
    observed_start: datetime | None
    observed_end: datetime | None
    notes: str | None


@dataclass(frozen=True)
class OtherImpactRow:
    entry: ImpactEntry
    minutes: float | None  # None where a bound is a date only or not recorded


@dataclass(frozen=True)
class PostmortemFacts:
    incident: Incident
    durations: Durations
    impact: tuple[ImpactRow, ...]
    containment: tuple[ContainmentRow, ...]
    still_in_place: int  # containment actions not removed yet on a live record: configuration debt
    other_impact: tuple[OtherImpactRow, ...]
    impact_minutes: float | None  # first impact to last end, measured windows (what a stated duration is compared with)
    provenance: Provenance
    scheduled: tuple[datetime | None, datetime | None] | None  # planned maintenance: the window announced
    review: Review | None
    publications: tuple[Publication, ...]
    statements: tuple[Statement, ...]
    third_parties: tuple[ThirdParty, ...]
    changes: tuple[Change, ...]
    defect_age_days: float | None  # from the defect's introduction to the incident's start
    introduced_by: str | None  # the change that introduced the defect
    summary: Summary
    root_cause: RootCause | None
    failure_boundary: FailureBoundary | None
    classification: Classification | None
    trigger_description: str | None
    reproduction: Reproduction | None
    contributing_factors: tuple[Factor, ...]
    failed_defences: tuple[Factor, ...]
    detection: Detection
    fix: Fix
    verification: Verification | None
    escape: Escape
    lessons: Lessons
    compensation: Compensation | None
    evidence: tuple[Evidence, ...]
    action_items: tuple[ActionRow, ...]  # each with how many days it is overdue at the cut-off


def postmortem_facts(incident: Incident, cutoff: datetime) -> PostmortemFacts:
    """The computed facts of one incident's post-mortem; ongoing impact is counted up to `cutoff`."""
    record = incident.record
    summary = _section(record, "summary")
    root_cause = _section(record, "root_cause")
    boundary = _section(record, "failure_boundary")
    classification = _section(record, "classification")
    reproduction = _section(record, "reproduction")
    detection = _section(record, "detection")
    fix = _section(record, "fix")
    verification = _section(record, "verification")
    escape = _section(record, "escape")
    regression_test = _section(escape, "regression_test")
    lessons = _section(record, "lessons")
    compensation = _section(record, "compensation")
    return PostmortemFacts(
        incident=incident,
        durations=Durations(**durations(incident)),
        impact=tuple(ImpactRow(w, minutes_between(w.start, w.end or cutoff)) for w in incident.impact),
        containment=tuple(ContainmentRow(c, minutes_between(c.applied_at, c.removed_at)) for c in incident.containment),
        still_in_place=sum(1 for c in incident.containment if c.removed_at is None) if incident.live else 0,
        other_impact=tuple(OtherImpactRow(e, minutes_between(e.start, e.end)) for e in incident.other_impact),
        impact_minutes=incident.impact_minutes,
        provenance=provenance_of(_section(record, "provenance")),
        scheduled=(
            (parse_time(record["scheduled"].get("start")), parse_time(record["scheduled"].get("end")))
            if record.get("scheduled")
            else None
        ),
        review=_review(_section(record, "postmortem")),
        publications=tuple(
            Publication(p["kind"], p.get("title"), p["url"], parse_time(p.get("at")), p.get("publisher"))
            for p in record.get("publications") or ()
        ),
        statements=tuple(_statement(s, incident.impact_minutes) for s in record.get("stated") or ()),
        third_parties=tuple(
            ThirdParty(
                t["name"],
                t["role"],
                t.get("incident_url"),
                parse_time(t.get("observed_start")),
                parse_time(t.get("observed_end")),
                t.get("notes"),
            )
            for t in record.get("third_parties") or ()
        ),
        changes=tuple(
            Change(c.get("kind"), c.get("description"), c.get("ref"), parse_time(c.get("at")))
            for c in record.get("changes") or ()
        ),
        defect_age_days=(
            (incident.started_at - incident.introduced_at).total_seconds() / 86400
            if incident.started_at and incident.introduced_at
            else None
        ),
        introduced_by=_section(record, "defect_age").get("introduced_by"),
        summary=Summary(
            summary.get("public"),
            summary.get("internal"),
            summary.get("public_cause"),
            summary.get("public_mitigation"),
            summary.get("public_prevention"),
            summary.get("public_postmortem"),
        ),
        root_cause=RootCause(
            root_cause.get("category"),
            root_cause.get("description"),
            tuple(root_cause.get("five_whys") or ()),
            root_cause.get("similar_risk"),
            "similar_risk" in root_cause,
        )
        if root_cause
        else None,
        failure_boundary=FailureBoundary(
            boundary.get("scope"),
            tuple(boundary.get("segments") or ()),
            boundary.get("customers_affected"),
            boundary.get("revenue_at_risk"),
            boundary.get("data_at_risk"),
            boundary.get("description"),
        )
        if boundary
        else None,
        classification=Classification(classification.get("category"), classification.get("rationale"))
        if classification
        else None,
        trigger_description=_section(record, "trigger").get("description"),
        reproduction=Reproduction(
            reproduction.get("reproduced"), reproduction.get("environment"), reproduction.get("differences")
        )
        if reproduction
        else None,
        contributing_factors=tuple(
            Factor(f["category"], f.get("description")) for f in record.get("contributing_factors") or ()
        ),
        failed_defences=tuple(Factor(f["layer"], f.get("description")) for f in record.get("failed_defences") or ()),
        detection=Detection(detection.get("method"), detection.get("source"), detection.get("notes")),
        fix=Fix(
            fix.get("level"),
            fix.get("description"),
            fix.get("ref"),
            parse_time(fix.get("deployed_at")),
            fix.get("follow_up"),
            tuple(fix.get("smoke_tests_run") or ()),
        ),
        verification=Verification(parse_time(verification.get("verified_at")), verification.get("description"))
        if verification
        else None,
        escape=Escape(
            tuple(escape.get("reasons") or ()),
            escape.get("description"),
            "description" in escape,
            regression_test.get("added"),
            regression_test.get("ref"),
        ),
        lessons=Lessons(
            tuple(lessons.get("went_well") or ()),
            tuple(lessons.get("went_wrong") or ()),
            tuple(lessons.get("lucky") or ()),
        ),
        compensation=Compensation(compensation.get("offered"), compensation.get("description"))
        if compensation
        else None,
        evidence=tuple(Evidence(e["title"], e["url"], e.get("kind")) for e in record.get("evidence") or ()),
        action_items=action_rows(incident.action_items, cutoff.date()),
    )


def _section(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    return data.get(key) or {}


def provenance_of(section: Mapping[str, Any]) -> Provenance:
    source = _section(section, "source")
    return Provenance(
        section.get("method") or "live",
        parse_time(section.get("written_on")),
        section.get("by"),
        section.get("notes"),
        source.get("system"),
        source.get("id"),
        source.get("url"),
        bool(section),
    )


def _review(section: Mapping[str, Any]) -> Review | None:
    if not section:
        return None
    return Review(
        section.get("status"),
        tuple(section.get("authors") or ()),
        section.get("incident_commander"),
        tuple(section.get("reviewers") or ()),
        parse_time(section.get("created")),
        parse_time(section.get("reviewed")),
        parse_time(section.get("finalised")),
    )


def _statement(entry: Mapping[str, Any], computed: float | None) -> Statement:
    minutes = entry.get("duration_minutes")
    approximate = bool(entry.get("approximate", False))
    return Statement(
        entry["source"],
        minutes,
        approximate,
        parse_time(entry.get("started_at")),
        parse_time(entry.get("ended_at")),
        quantities_from(entry.get("quantities")),
        entry.get("note"),
        minutes is not None and stated_differs(minutes, approximate, computed),
    )


def postmortems_facts(incidents: Sequence[Incident], cutoff: datetime) -> tuple[PostmortemFacts, ...]:
    """Every incident's post-mortem facts, in the order of `incidents`."""
    return tuple(postmortem_facts(incident, cutoff) for incident in incidents)
