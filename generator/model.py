"""Typed, immutable records built from validated documents. Everything downstream reads these, never YAML.

The typed fields are the ones the analysis computes with; `record` keeps the whole validated record (deeply
frozen) so that pages can show every field an author wrote.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from types import MappingProxyType
from typing import Any

from generator.loader import Record
from generator.vocabulary import OPEN_ACTION_STATUSES


def freeze(value: Any) -> Any:
    """A read-only deep copy: mappings become MappingProxyType, lists become tuples."""
    if isinstance(value, dict):
        return MappingProxyType({key: freeze(item) for key, item in value.items()})
    if isinstance(value, list):
        return tuple(freeze(item) for item in value)
    return value


def thaw(value: Any) -> Any:
    """The inverse of freeze: plain dicts and lists (for JSON output)."""
    if isinstance(value, Mapping):
        return {key: thaw(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [thaw(item) for item in value]
    return value


class ApproximateTime(datetime):
    """A time the sources give as approximate ({about: ...}, "about 06:45"). Arithmetic and comparison treat it
    as written; durations built on it are shown as approximate ("about 40 min")."""


class DateOnly(datetime):
    """A day known without its time (a write-up published on 2026-10-14): midnight UTC of that day, so records
    still sort and fall in their month. No duration is computed to or from it (metrics.minutes_between), it
    never bounds an availability window, and it is shown as the date alone."""

    def isoformat(self, sep: str = "T", timespec: str = "auto") -> str:
        return self.astimezone(UTC).date().isoformat()


class ApproximateMinutes(float):
    """A duration built on an approximate time: shown as "about 40 min". Sums and medians of such durations are
    plain floats (they take the times as written)."""


def parse_time(value: str | Mapping[str, str] | None) -> datetime | None:
    """A time as the schema admits it, as an aware datetime: an RFC 3339 string (validated to carry an offset),
    a date only (DateOnly) or {about: <timestamp>} (ApproximateTime); None when not recorded."""
    if value is None:
        return None
    if value.__class__ is str:  # the common case first: a class check, not an ABC isinstance (hot in validate)
        if len(value) == 10:  # type: ignore[arg-type]  # YYYY-MM-DD: the schema's date form
            return DateOnly.combine(date.fromisoformat(value), time(), tzinfo=UTC)  # type: ignore[arg-type]
        return datetime.fromisoformat(value.replace("z", "Z"))  # type: ignore[union-attr]
    return ApproximateTime.fromisoformat(value["about"].replace("z", "Z"))  # type: ignore[index]


def utc_timestamp(moment: datetime | None) -> str | None:
    """A time for machines: UTC to the second, written with Z (what the pages call UTC). None stays None."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def precision(moment: datetime | None) -> str | None:
    """exact, approximate or date (None when not recorded): how well a parsed time is known."""
    if moment is None:
        return None
    if isinstance(moment, DateOnly):
        return "date"
    return "approximate" if isinstance(moment, ApproximateTime) else "exact"


def is_before(first: datetime, second: datetime) -> bool:
    """Whether `first` is surely earlier than `second`: a date only is compared by its day (in UTC), since a
    time on the same day may lie on either side of it."""
    if isinstance(first, DateOnly) or isinstance(second, DateOnly):
        return first.astimezone(UTC).date() < second.astimezone(UTC).date()
    return first < second


@dataclass(frozen=True)
class Quantity:
    """How much: a share (`value` percent `of` something), a count (`value` `unit`) or money (`value` `currency`)."""

    measure: str
    value: float
    of: str | None = None
    unit: str | None = None
    currency: str | None = None
    approximate: bool = False
    note: str | None = None


def quantities_from(entries: Sequence[Mapping[str, Any]] | None) -> tuple[Quantity, ...]:
    return tuple(
        Quantity(
            q["measure"],
            q["value"],
            q.get("of"),
            q.get("unit"),
            q.get("currency"),
            bool(q.get("approximate", False)),
            q.get("note"),
        )
        for q in entries or ()
    )


@dataclass(frozen=True)
class ImpactWindow:
    """An availability window that can be measured: its start is known to the minute or approximately, and its
    end is too (or it is still open). Availability is computed from these only."""

    service: str
    level: str | None  # None: not assessed yet (counts for nothing in availability and is not published)
    start: datetime
    end: datetime | None
    note: str | None = None
    timing: str = "during"  # during, before_detection or residual (went on after the incident was resolved)
    intermittent: bool = False
    regions: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    quantities: tuple[Quantity, ...] = ()
    description: str | None = None
    public_description: str | None = None


@dataclass(frozen=True)
class ImpactEntry:
    """Impact that availability does not count: another kind (data lost, wrong results, money lost...), or an
    availability window whose start or end is a date only or not recorded (`unmeasured`)."""

    service: str
    kind: str
    level: str | None
    start: datetime | None
    end: datetime | None
    timing: str
    intermittent: bool
    regions: tuple[str, ...]
    segments: tuple[str, ...]
    quantities: tuple[Quantity, ...]
    description: str | None
    public_description: str | None
    note: str | None

    @property
    def unmeasured(self) -> bool:
        return self.kind == "availability"


STATED_TOLERANCE_MINUTES = 1.0  # a stated duration is rounded to the minute
STATED_APPROXIMATE_SHARE = 0.1  # "about 40 minutes": within a tenth of the stated figure


def stated_differs(stated: float, approximate: bool, computed: float | None) -> bool:
    """Whether a duration a source states disagrees with the one the record's times give: by more than a minute,
    or for an approximate statement by more than a tenth of it. Unknown when nothing is computed."""
    if computed is None:
        return False
    tolerance = max(STATED_TOLERANCE_MINUTES, stated * STATED_APPROXIMATE_SHARE if approximate else 0.0)
    return abs(stated - computed) > tolerance


def measurable(start: datetime | None, end: datetime | None) -> bool:
    """Whether availability can measure a window: a start, and an end unless still open, each known to the minute
    or approximately (a date alone does not say how long it lasted)."""
    return start is not None and not isinstance(start, DateOnly) and not isinstance(end, DateOnly)


@dataclass(frozen=True)
class Update:
    at: datetime
    status: str
    message: str
    source_status: str | None = None  # an imported update's status as its source named it, when it was mapped
    next_update_at: datetime | None = None  # the time this update promised the next one by


@dataclass(frozen=True)
class ActionItem:
    incident_id: str
    title: str
    owner: str | None
    due: date | None
    status: str | None
    kind: str | None
    link: str | None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ACTION_STATUSES

    def is_overdue(self, today: date) -> bool:
        return self.is_open and self.due is not None and self.due < today


@dataclass(frozen=True)
class ContainmentAction:
    action: str
    description: str | None
    applied_at: datetime | None
    removed_at: datetime | None
    effective: bool | None


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    event: str


@dataclass(frozen=True)
class Incident:
    id: str
    title: str
    severity: str | None  # None: never assessed (allowed where the policy profile does not require it)
    status: str
    kind: str
    services: tuple[str, ...]
    started_at: datetime | None
    detected_at: datetime | None
    acknowledged_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    impact: tuple[ImpactWindow, ...]  # measurable availability windows: what availability counts
    other_impact: tuple[ImpactEntry, ...]  # every other impact entry, shown but never counted
    updates: tuple[Update, ...]
    action_items: tuple[ActionItem, ...]
    containment: tuple[ContainmentAction, ...]
    timeline: tuple[TimelineEntry, ...]
    tags: tuple[str, ...]
    root_cause_category: str | None
    contributing_categories: tuple[str, ...]
    failed_layers: tuple[str, ...]
    detection_method: str | None
    trigger_kind: str | None
    change_kinds: tuple[str, ...]
    escape_reasons: tuple[str, ...]
    regression_test_added: bool | None
    introduced_at: datetime | None
    source: str
    record: Mapping[str, Any]
    provenance: str = "live"  # live, reconstructed or imported (provenance.method)

    @property
    def live(self) -> bool:
        """Written by the responders as it happened: only live records are held to the full policy, and only on
        them is a missing value a gap rather than something the sources never gave."""
        return self.provenance == "live"

    @property
    def impact_minutes(self) -> float | None:
        return impact_minutes(self.impact)

    @property
    def ongoing(self) -> bool:
        return self.status != "resolved"

    @property
    def sort_key(self) -> tuple[str, str]:
        return (self.started_at.isoformat() if self.started_at else "", self.id)


@dataclass(frozen=True)
class ContainmentLever:
    kind: str
    name: str
    how: str
    minutes_to_effect: float
    side_effects: str | None


@dataclass(frozen=True)
class ExternalDependency:
    """An outside provider a service relies on: not a service of ours, so none of our incidents are its."""

    name: str
    purpose: str | None
    status_page: str | None


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    description: str | None
    owner_team: str | None
    tier: int | None
    public_listed: bool
    public_name: str | None
    public_group: str | None  # the group the status page shows it under
    public_shown: str  # always, or when_affected: listed on the status page only while affected
    slo: float | None  # None: no availability objective on record (a record written from sources)
    depends_on: tuple[str, ...]
    external_dependencies: tuple[ExternalDependency, ...]
    containment_levers: tuple[ContainmentLever, ...]
    source: str
    record: Mapping[str, Any]


@dataclass(frozen=True)
class KnowledgeBaseModel:
    """All records, sorted: incidents by start then id, services by id (so output is byte-stable)."""

    incidents: tuple[Incident, ...]
    services: tuple[Service, ...]

    def service(self, service_id: str) -> Service | None:
        return next((s for s in self.services if s.id == service_id), None)


def build_model(incidents: Sequence[Record], services: Sequence[Record]) -> KnowledgeBaseModel:
    return KnowledgeBaseModel(
        incidents=tuple(sorted((incident_from(d.data, d.path) for d in incidents), key=lambda i: i.sort_key)),
        services=tuple(sorted((service_from(d.data, d.path) for d in services), key=lambda s: s.id)),
    )


def _section(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    return data.get(key) or {}


def incident_from(data: Mapping[str, Any], source: str) -> Incident:
    root_cause = _section(data, "root_cause")
    escape = _section(data, "escape")
    regression = escape.get("regression_test") or {}
    resolved = data["status"] == "resolved"
    return Incident(
        id=data["id"],
        title=data["title"],
        severity=data["severity"],
        status=data["status"],
        kind=data["kind"],
        services=tuple(data["services"]),
        started_at=parse_time(data.get("started_at")),
        detected_at=parse_time(data.get("detected_at")),
        acknowledged_at=parse_time(data.get("acknowledged_at")),
        mitigated_at=parse_time(data.get("mitigated_at")),
        resolved_at=parse_time(data.get("resolved_at")),
        impact=measured_windows(data),
        other_impact=tuple(_entry(w) for w in data.get("impact") or [] if not counts_in_availability(w, resolved)),
        updates=tuple(
            Update(
                parse_time(u["at"]),  # type: ignore[arg-type]
                u["status"],
                u["message"],
                u.get("source_status"),
                parse_time(u.get("next_update_at")),
            )
            for u in data.get("updates") or []
        ),
        action_items=tuple(
            ActionItem(
                data["id"],
                a["title"],
                a.get("owner"),
                date.fromisoformat(a["due"]) if a.get("due") else None,
                a.get("status"),
                a.get("kind"),
                a.get("link"),
            )
            for a in data.get("action_items") or []
        ),
        containment=tuple(
            ContainmentAction(
                c["action"],
                c.get("description"),
                parse_time(c.get("applied_at")),
                parse_time(c.get("removed_at")),
                c.get("effective"),
            )
            for c in data.get("containment") or []
        ),
        timeline=tuple(TimelineEntry(parse_time(t["at"]), t["event"]) for t in data.get("timeline") or []),  # type: ignore[arg-type]
        tags=tuple(data.get("tags") or ()),
        root_cause_category=root_cause.get("category"),
        contributing_categories=tuple(f["category"] for f in data.get("contributing_factors") or []),
        failed_layers=tuple(f["layer"] for f in data.get("failed_defences") or []),
        detection_method=_section(data, "detection").get("method"),
        trigger_kind=_section(data, "trigger").get("kind"),
        change_kinds=tuple(c["kind"] for c in data.get("changes") or []),
        escape_reasons=tuple(escape.get("reasons") or ()),
        regression_test_added=regression.get("added"),
        introduced_at=parse_time(_section(data, "defect_age").get("introduced_at")),
        source=source,
        record=freeze(dict(data)),
        provenance=_section(data, "provenance").get("method") or "live",
    )


def counts_in_availability(window: Mapping[str, Any], resolved: bool) -> bool:
    """An availability window with times availability can count; on a resolved record an end not recorded is
    not "still open" (it would count to the cut-off) but unknown."""
    if window.get("kind", "availability") != "availability":
        return False
    end = parse_time(window.get("end"))
    return measurable(parse_time(window.get("start")), end) and not (resolved and end is None)


def impact_minutes(measured: Sequence[ImpactWindow]) -> float | None:
    """Minutes from the first impact to the last, over measured availability windows other than residual ones: the
    duration a publication's stated one is compared with. None while any is open, or with none; approximate when
    a time is."""
    windows = [w for w in measured if w.timing != "residual"]
    if not windows or any(w.end is None for w in windows):
        return None
    end = max(w.end for w in windows if w.end is not None)
    minutes = (end - min(w.start for w in windows)).total_seconds() / 60
    approximate = any(isinstance(w.start, ApproximateTime) or isinstance(w.end, ApproximateTime) for w in windows)
    return ApproximateMinutes(minutes) if approximate else minutes


def measured_windows(data: Mapping[str, Any]) -> tuple[ImpactWindow, ...]:
    """The record's impact windows that availability counts (counts_in_availability), typed."""
    resolved = data["status"] == "resolved"
    return tuple(
        ImpactWindow(level=w.get("level"), **_impact_fields(w))  # type: ignore[arg-type]  # a measured start is set
        for w in data.get("impact") or []
        if counts_in_availability(w, resolved)
    )


def _entry(w: Mapping[str, Any]) -> ImpactEntry:
    return ImpactEntry(kind=w.get("kind", "availability"), level=w.get("level"), **_impact_fields(w))


def _impact_fields(w: Mapping[str, Any]) -> dict[str, Any]:
    """What an impact entry holds beyond its kind and level, typed: the fields ImpactWindow and ImpactEntry share."""
    return {
        "service": w["service"],
        "start": parse_time(w.get("start")),
        "end": parse_time(w.get("end")),
        "note": w.get("note"),
        "timing": w.get("timing", "during"),
        "intermittent": bool(w.get("intermittent", False)),
        "regions": tuple(w.get("regions") or ()),
        "segments": tuple(w.get("segments") or ()),
        "quantities": quantities_from(w.get("quantities")),
        "description": w.get("description"),
        "public_description": w.get("public_description"),
    }


def service_from(data: Mapping[str, Any], source: str) -> Service:
    return Service(
        id=data["id"],
        name=data["name"],
        description=data.get("description"),
        owner_team=data["owner_team"],
        tier=data["tier"],
        public_listed=data["public"]["listed"],
        public_name=data["public"].get("name"),
        public_group=data["public"].get("group"),
        public_shown=data["public"].get("shown") or "always",
        slo=data["slo"]["availability"],
        depends_on=tuple(data.get("depends_on") or ()),
        external_dependencies=tuple(
            ExternalDependency(e["name"], e.get("purpose"), e.get("status_page"))
            for e in data.get("external_dependencies") or ()
        ),
        containment_levers=tuple(
            sorted(
                (
                    ContainmentLever(c["kind"], c["name"], c["how"], c["minutes_to_effect"], c.get("side_effects"))
                    for c in data.get("containment_levers") or []
                ),
                key=lambda lever: (lever.minutes_to_effect, lever.name),
            )
        ),
        source=source,
        record=freeze(dict(data)),
    )
