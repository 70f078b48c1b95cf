"""Typed, immutable records built from validated documents. Everything downstream reads these, never YAML.

The typed fields are the ones the analysis computes with; `record` keeps the whole validated record (deeply
frozen) so that pages can show every field an author wrote.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
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


def parse_time(value: str | None) -> datetime | None:
    """An RFC 3339 string (validated to carry an offset) as an aware datetime."""
    return None if value is None else datetime.fromisoformat(value.replace("z", "Z"))


@dataclass(frozen=True)
class ImpactWindow:
    service: str
    level: str | None  # None: not assessed yet (counts for nothing in availability and is not published)
    start: datetime
    end: datetime | None
    note: str | None = None


@dataclass(frozen=True)
class Update:
    at: datetime
    status: str
    message: str


@dataclass(frozen=True)
class ActionItem:
    incident_id: str
    title: str
    owner: str | None
    due: date | None
    status: str
    kind: str
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
    severity: str
    status: str
    kind: str
    services: tuple[str, ...]
    started_at: datetime | None
    detected_at: datetime | None
    acknowledged_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    impact: tuple[ImpactWindow, ...]
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
class Service:
    id: str
    name: str
    description: str | None
    owner_team: str
    tier: int
    public_listed: bool
    public_name: str | None
    slo: float
    depends_on: tuple[str, ...]
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
        impact=tuple(
            ImpactWindow(w["service"], w["level"], parse_time(w["start"]), parse_time(w.get("end")), w.get("note"))  # type: ignore[arg-type]
            for w in data.get("impact") or []
        ),
        updates=tuple(Update(parse_time(u["at"]), u["status"], u["message"]) for u in data.get("updates") or []),  # type: ignore[arg-type]
        action_items=tuple(
            ActionItem(
                data["id"],
                a["title"],
                a.get("owner"),
                date.fromisoformat(a["due"]) if a.get("due") else None,
                a["status"],
                a["kind"],
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
    )


def service_from(data: Mapping[str, Any], source: str) -> Service:
    return Service(
        id=data["id"],
        name=data["name"],
        description=data.get("description"),
        owner_team=data["owner_team"],
        tier=data["tier"],
        public_listed=data["public"]["listed"],
        public_name=data["public"].get("name"),
        slo=data["slo"]["availability"],
        depends_on=tuple(data.get("depends_on") or ()),
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
