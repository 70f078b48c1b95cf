"""The public projection: what customers may see, cut at the model boundary.

Records are projected through the schemas: a value survives only if its property, and every property above
it, is marked `x-public: true`. References to services that are not listed publicly are dropped too, since
internal service names are internal detail. Impact windows whose level is not assessed yet (`level: null`) are
dropped as well: a guess is never published, and the window appears once its author sets the level. The public
site is built from these objects alone, so no template can leak an internal field: it never receives one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from generator.loader import Record
from generator.model import counts_in_availability, parse_time
from generator.schemas import PUBLIC_MARK, load_schema, resolve
from generator.vocabulary import DEFAULT, INCIDENT_STATUSES, Vocabulary


def project(value: Any, node: Mapping[str, Any], schema: Mapping[str, Any]) -> Any:
    """`value` reduced to the parts its schema `node` marks public (objects and arrays recursively)."""
    node = resolve(schema, node)  # type: ignore[arg-type]
    if node.get("x-time"):  # a time is one value, whichever form it is written in ({about: ...} included)
        return value
    if isinstance(value, dict):
        properties = node.get("properties", {})
        return {
            key: project(item, properties[key], schema)
            for key, item in value.items()
            if key in properties and resolve(schema, properties[key]).get(PUBLIC_MARK) is True  # type: ignore[arg-type]
        }
    if isinstance(value, list):
        return [project(item, node.get("items", {}), schema) for item in value]
    return value


def public_record(data: Mapping[str, Any], kind: str) -> dict[str, Any]:
    schema = load_schema(kind)
    return project(dict(data), schema, schema)


@dataclass(frozen=True)
class PublicService:
    id: str
    name: str
    slo: float | None  # None: no objective on record
    group: str | None = None  # the group a status page shows it under
    shown: str = "always"  # or when_affected: listed on a status page only while it is affected


@dataclass(frozen=True)
class PublicWindow:
    service: str
    level: str
    start: datetime
    end: datetime | None


@dataclass(frozen=True)
class PublicImpact:
    """Impact that is not availability (data lost, wrong results...), published with its public description."""

    service: str
    kind: str
    start: datetime | None
    end: datetime | None
    timing: str
    regions: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class PublicPublication:
    """A write-up about the incident (a preliminary report, the post-mortem), linked from its history page."""

    kind: str
    title: str | None
    url: str
    at: datetime | None


@dataclass(frozen=True)
class PublicUpdate:
    at: datetime
    status: str
    message: str
    next_update_at: datetime | None = None  # the time this update promised the next one by


@dataclass(frozen=True)
class MaintenanceWindow:
    """A service's part in planned maintenance: its impact window, whatever its level (null: not recorded)."""

    service: str
    level: str | None
    start: datetime
    end: datetime | None


@dataclass(frozen=True)
class PublicMaintenance:
    """Planned maintenance as announced: every maintenance record on a listed service, announced or done, with its
    scheduled window and the windows it actually had. Its state at the cut-off is analyze/status.py's to say."""

    id: str
    title: str
    services: tuple[str, ...]
    scheduled_start: datetime | None
    scheduled_end: datetime | None
    windows: tuple[MaintenanceWindow, ...]
    updates: tuple[PublicUpdate, ...]
    summary: str | None
    resolved: bool  # the record says the work is done
    resolved_at: datetime | None

    @property
    def start(self) -> datetime | None:
        """When it begins: its first window, else the time announced."""
        return min((w.start for w in self.windows), default=self.scheduled_start)

    @property
    def end(self) -> datetime | None:
        """When it ends: its last window's end once every window has one, else the time announced."""
        ends = [w.end for w in self.windows]
        if ends and None not in ends:
            return max(e for e in ends if e is not None)
        return self.resolved_at if self.resolved and self.resolved_at else self.scheduled_end


@dataclass(frozen=True)
class PublicIncident:
    id: str
    title: str
    kind: str
    status: str
    services: tuple[str, ...]
    started_at: datetime | None
    resolved_at: datetime | None
    impact: tuple[PublicWindow, ...]
    summary: str | None
    cause: str | None
    mitigation: str | None
    prevention: str | None
    updates: tuple[PublicUpdate, ...]
    other_impact: tuple[PublicImpact, ...] = ()
    publications: tuple[PublicPublication, ...] = ()
    resolved_time_recorded: bool = True  # False: resolved, but the record does not say when (not live)
    postmortem: str | None = None  # a post-mortem published elsewhere, as its text (an imported status page's)

    @property
    def ongoing(self) -> bool:
        return self.status != "resolved"

    @property
    def review(self) -> PublicPublication | None:
        """The published post-incident review (else a preliminary report), which the report's fallbacks point at."""
        for kind in ("postmortem", "preliminary"):
            found = next((p for p in self.publications if p.kind == kind), None)
            if found:
                return found
        return None

    @property
    def first_impact(self) -> datetime | None:
        other = [o.start for o in self.other_impact if o.start is not None]
        return min((w.start for w in self.impact), default=min(other, default=self.started_at))


@dataclass(frozen=True)
class PublicModel:
    incidents: tuple[PublicIncident, ...]  # customer-facing only, sorted by first impact then id
    services: tuple[PublicService, ...]  # listed services only, sorted by id
    maintenance: tuple[PublicMaintenance, ...] = ()  # planned maintenance on listed services, by start then id

    def service(self, service_id: str) -> PublicService | None:
        return next((s for s in self.services if s.id == service_id), None)


def announced_status(update: PublicUpdate, vocabulary: Vocabulary = DEFAULT) -> str:
    """The status an update gives its incident: the lifecycle phase its status announces, never the raw name (a
    `postmortem` update announces `resolved`; a knowledge base's own `recovering` may announce `monitoring`)."""
    return vocabulary.phase_of(update.status) or update.status


def as_of(model: PublicModel, cutoff: datetime, vocabulary: Vocabulary = DEFAULT) -> PublicModel:
    """The public model as customers saw it at `cutoff`: later updates and impact are not known yet. The status
    is the phase the latest update announced (in the knowledge base's `vocabulary`)."""
    incidents = []
    for incident in model.incidents:
        windows = tuple(
            replace(w, end=w.end if w.end is not None and w.end <= cutoff else None)
            for w in incident.impact
            if w.start < cutoff
        )
        other = tuple(
            replace(o, end=o.end if o.end is not None and o.end <= cutoff else None)
            for o in incident.other_impact
            if (o.start is not None and o.start < cutoff)
            or (o.start is None and incident.started_at is not None and incident.started_at < cutoff)
        )
        if not windows and not other:
            continue
        updates = tuple(u for u in incident.updates if u.at <= cutoff)
        resolved_in_time = (
            incident.resolved_at <= cutoff if incident.resolved_at is not None else incident.status == "resolved"
        )
        resolved = resolved_in_time and all(w.end for w in windows)
        status = (
            incident.status
            if resolved
            else (announced_status(updates[-1], vocabulary) if updates else INCIDENT_STATUSES[0])
        )
        if status == "resolved" and not resolved:
            status = "monitoring"
        incidents.append(
            replace(
                incident,
                impact=windows,
                other_impact=other,
                publications=tuple(p for p in incident.publications if p.at is None or p.at <= cutoff),
                updates=updates,
                status=status,
                resolved_at=incident.resolved_at if resolved else None,
            )
        )
    return replace(model, incidents=tuple(incidents), maintenance=tuple(_maintenance_as_of(model, cutoff)))


def _maintenance_as_of(model: PublicModel, cutoff: datetime) -> list[PublicMaintenance]:
    """Maintenance as announced by `cutoff`: what was announced later is not known yet. A window under way has no
    end yet; one still to come keeps its planned times (maintenance is planned: its windows are the plan)."""
    known = []
    for item in model.maintenance:
        updates = tuple(u for u in item.updates if u.at <= cutoff)
        windows = tuple(
            replace(w, end=None) if w.start <= cutoff and (w.end is None or w.end > cutoff) else w for w in item.windows
        )
        if item.updates and not updates and not any(w.start <= cutoff for w in windows):  # announced later
            continue
            continue
        done = item.resolved and (item.resolved_at is None or item.resolved_at <= cutoff)
        known.append(replace(item, updates=updates, windows=windows, resolved=done))
    return known


def build_public_model(incidents: Sequence[Record], services: Sequence[Record]) -> PublicModel:
    public_services = []
    for doc in services:
        data = public_record(doc.data, "service")
        if data["public"]["listed"]:
            public = data["public"]
            public_services.append(
                PublicService(
                    data["id"],
                    public["name"],
                    data["slo"]["availability"],
                    public.get("group"),
                    public.get("shown") or "always",
                )
            )
    listed = {s.id for s in public_services}
    projected = [public_record(doc.data, "incident") for doc in incidents]
    public_incidents = [i for i in (_public_incident(data, listed) for data in projected) if i is not None]
    maintenance = [m for m in (_public_maintenance(data, listed) for data in projected) if m is not None]
    return PublicModel(
        maintenance=tuple(sorted(maintenance, key=lambda m: (m.start.isoformat() if m.start else "", m.id))),
        incidents=tuple(
            sorted(public_incidents, key=lambda i: (i.first_impact.isoformat() if i.first_impact else "", i.id))
        ),
        services=tuple(sorted(public_services, key=lambda s: s.id)),
    )


def _updates(data: Mapping[str, Any]) -> tuple[PublicUpdate, ...]:
    return tuple(
        PublicUpdate(parse_time(u["at"]), u["status"], u["message"], parse_time(u.get("next_update_at")))  # type: ignore[arg-type]
        for u in data.get("updates") or []
    )


def _public_maintenance(data: Mapping[str, Any], listed: set[str]) -> PublicMaintenance | None:
    """Planned maintenance on listed services, announced (a scheduled window) or with a window of its own."""
    services = tuple(s for s in data["services"] if s in listed)
    scheduled = data.get("scheduled") or {}
    windows = tuple(
        MaintenanceWindow(w["service"], w.get("level"), parse_time(w["start"]), parse_time(w.get("end")))  # type: ignore[arg-type]
        for w in data.get("impact") or []
        if w["service"] in listed and w.get("kind", "availability") == "availability" and w.get("start") is not None
    )
    start, end = parse_time(scheduled.get("start")), parse_time(scheduled.get("end"))
    if data["kind"] != "maintenance" or not services or (not windows and start is None):
        return None
    return PublicMaintenance(
        id=data["id"],
        title=data["title"],
        services=services,
        scheduled_start=start,
        scheduled_end=end,
        windows=tuple(sorted(windows, key=lambda w: (w.start, w.service))),
        updates=_updates(data),
        summary=data["summary"].get("public"),
        resolved=data["status"] == "resolved",
        resolved_at=parse_time(data.get("resolved_at")),
    )


def _public_incident(data: Mapping[str, Any], listed: set[str]) -> PublicIncident | None:
    """An incident as customers may see it, or None if customers were not affected (near misses, internal only)
    or its impact is not assessed yet."""
    resolved = data["status"] == "resolved"
    windows = tuple(
        PublicWindow(w["service"], w["level"], parse_time(w["start"]), parse_time(w.get("end")))  # type: ignore[arg-type]
        for w in data.get("impact") or []
        if w["service"] in listed and w.get("level") is not None and counts_in_availability(w, resolved)
    )
    other = tuple(
        PublicImpact(
            w["service"],
            w["kind"],
            parse_time(w.get("start")),
            parse_time(w.get("end")),
            w.get("timing", "during"),
            tuple(w.get("regions") or ()),
            w["public_description"],
        )
        for w in data.get("impact") or []
        if w["service"] in listed and w.get("kind", "availability") != "availability" and w.get("public_description")
    )
    if (not windows and not other) or data["kind"] == "near_miss":
        return None  # customers were not affected, or nothing of it is assessed and public yet
    summary = data["summary"]
    return PublicIncident(
        id=data["id"],
        title=data["title"],
        kind=data["kind"],
        status=data["status"],
        services=tuple(s for s in data["services"] if s in listed),
        started_at=parse_time(data.get("started_at")),
        resolved_at=parse_time(data.get("resolved_at")),
        impact=tuple(sorted(windows, key=lambda w: (w.start, w.service))),
        summary=summary.get("public"),
        cause=summary.get("public_cause"),
        mitigation=summary.get("public_mitigation"),
        prevention=summary.get("public_prevention"),
        updates=_updates(data),
        other_impact=other,
        publications=tuple(
            PublicPublication(p["kind"], p.get("title"), p["url"], parse_time(p.get("at")))
            for p in data.get("publications") or []
        ),
        resolved_time_recorded=not resolved or data.get("resolved_at") is not None,
        postmortem=summary.get("public_postmortem"),
    )
