"""Runbook facts derived from the knowledge base: blast radius, hotfix smoke suite, known failure modes and each
service's recent availability."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

from generator.analyze.availability import (
    MeasuredWindow,
    ServiceMonth,
    Weights,
    incident_windows,
    month_bounds,
    service_month,
)
from generator.analyze.lessons import ActionRow, action_rows
from generator.analyze.metrics import minutes_between
from generator.analyze.postmortems import Provenance, provenance_of
from generator.model import ActionItem, ContainmentAction, Incident, KnowledgeBaseModel, Service

RUNBOOK_MONTHS = 3  # a runbook shows the availability of its service's last few report months


def dependents_of(model: KnowledgeBaseModel, service_id: str) -> tuple[str, ...]:
    """Every service that depends on `service_id`, directly or transitively: the blast radius of a change to it."""
    direct: dict[str, set[str]] = {s.id: set() for s in model.services}
    for service in model.services:
        for dependency in service.depends_on:
            direct.setdefault(dependency, set()).add(service.id)
    found: set[str] = set()
    stack = list(direct.get(service_id, ()))
    while stack:
        current = stack.pop()
        if current not in found and current != service_id:
            found.add(current)
            stack.extend(direct.get(current, ()))
    return tuple(sorted(found))


@dataclass(frozen=True)
class SmokeTest:
    service: str
    name: str
    covers: str | None
    command: str | None


def smoke_suite(model: KnowledgeBaseModel, service_id: str) -> tuple[SmokeTest, ...]:
    """The hotfix suite: this service's critical-path tests, then those of every service in its blast radius."""
    suite: list[SmokeTest] = []
    for sid in (service_id, *dependents_of(model, service_id)):
        service = model.service(sid)
        if service:
            suite.extend(
                SmokeTest(sid, test["name"], test.get("covers"), test.get("command"))
                for test in service.record.get("smoke_tests") or ()
            )
    return tuple(suite)


@dataclass(frozen=True)
class FailureMode:
    incident: Incident
    trigger: str | None
    contained_by: tuple[ContainmentAction, ...]
    minutes_to_mitigate: float | None


def failure_modes(model: KnowledgeBaseModel, service_id: str) -> tuple[FailureMode, ...]:
    """What past incidents on this service looked like and what contained them, newest first."""
    modes = [
        FailureMode(
            incident,
            (incident.record.get("trigger") or {}).get("description"),
            incident.containment,
            minutes_between(incident.started_at, incident.mitigated_at),
        )
        for incident in model.incidents
        if service_id in incident.services and incident.kind != "maintenance"
    ]
    return tuple(reversed(modes))


def open_action_items(model: KnowledgeBaseModel, service_id: str) -> tuple[ActionItem, ...]:
    return tuple(
        item
        for incident in model.incidents
        if service_id in incident.services
        for item in incident.action_items
        if item.is_open
    )


def recent_availability(
    model: KnowledgeBaseModel,
    months: Sequence[tuple[int, int]],
    *,
    cutoff: datetime,
    tz: tzinfo,
    weights: Weights,
) -> dict[str, list[ServiceMonth]]:
    """Each service's availability in the last RUNBOOK_MONTHS of the report `months` (oldest first), newest first;
    internal services included."""
    recent_months = months[-RUNBOOK_MONTHS:]
    if not recent_months:
        return {service.id: [] for service in model.services}
    since = month_bounds(*recent_months[0], tz)[0]
    # Each service's windows that reach into those months: the measure of a month reads no others.
    windows: dict[str, list[MeasuredWindow]] = defaultdict(list)
    for window in incident_windows(model.incidents, ending_after=since):
        windows[window.service].append(window)
    figures: dict[str, list[ServiceMonth]] = {}
    for service in model.services:
        recent = [
            service_month(service.id, service.slo, windows[service.id], y, m, cutoff=cutoff, tz=tz, weights=weights)
            for y, m in recent_months
        ]
        figures[service.id] = [f for f in reversed(recent) if f is not None]
    return figures


@dataclass(frozen=True)
class Lever:
    """A containment lever as the runbook shows it: what it does in words (`how`), then the command alone."""

    kind: str
    name: str
    how: str
    command: str | None  # exactly what to paste into a shell; None for a manual step or an older record
    minutes_to_effect: float
    side_effects: str | None


def levers(record: Mapping[str, Any]) -> tuple[Lever, ...]:
    """The record's containment levers, fastest first (ties by name)."""
    found = (
        Lever(c["kind"], c["name"], c["how"], c.get("command"), c["minutes_to_effect"], c.get("side_effects"))
        for c in record.get("containment_levers") or ()
    )
    return tuple(sorted(found, key=lambda lever: (lever.minutes_to_effect, lever.name)))


@dataclass(frozen=True)
class Diagnostic:
    title: str
    command: str | None
    expect: str | None  # what a healthy result looks like


@dataclass(frozen=True)
class Dashboard:
    title: str
    url: str


@dataclass(frozen=True)
class Contact:
    name: str
    role: str | None
    contact: str
    hours: str | None


@dataclass(frozen=True)
class Runbook:
    """Everything a service's runbook shows: what its record says and what the knowledge base tells about it."""

    service: Service
    provenance: Provenance
    tags: tuple[str, ...]
    levers: tuple[Lever, ...]  # fastest first
    diagnostics: tuple[Diagnostic, ...]
    dashboards: tuple[Dashboard, ...]
    escalation: tuple[Contact, ...]
    incidents: int  # every record on the service, near misses and maintenance included
    ongoing: tuple[Incident, ...]  # unresolved incidents on the service (planned maintenance left out)
    blast_radius: tuple[str, ...]
    suite: tuple[SmokeTest, ...]
    failure_modes: tuple[FailureMode, ...]
    open_items: tuple[ActionRow, ...]  # each with how many days it is overdue
    availability: tuple[ServiceMonth, ...]  # its recent months, newest first


def ongoing_incidents(model: KnowledgeBaseModel) -> tuple[Incident, ...]:
    """The unresolved incidents and near misses (planned maintenance is not an incident to respond to)."""
    return tuple(i for i in model.incidents if i.ongoing and i.kind != "maintenance")


def runbook(
    model: KnowledgeBaseModel,
    service: Service,
    ongoing: Sequence[Incident],
    availability: Sequence[ServiceMonth],
    today: date,
) -> Runbook:
    record = service.record
    return Runbook(
        service=service,
        provenance=provenance_of(record.get("provenance") or {}),
        tags=tuple(record.get("tags") or ()),
        levers=levers(record),
        diagnostics=tuple(
            Diagnostic(d["title"], d.get("command"), d.get("expect")) for d in record.get("diagnostics") or ()
        ),
        dashboards=tuple(Dashboard(d["title"], d["url"]) for d in record.get("dashboards") or ()),
        escalation=tuple(
            Contact(e["name"], e.get("role"), e["contact"], e.get("hours")) for e in record.get("escalation") or ()
        ),
        incidents=sum(1 for i in model.incidents if service.id in i.services),
        ongoing=tuple(i for i in ongoing if service.id in i.services),
        blast_radius=dependents_of(model, service.id),
        suite=smoke_suite(model, service.id),
        failure_modes=failure_modes(model, service.id),
        open_items=action_rows(open_action_items(model, service.id), today),
        availability=tuple(availability),
    )
