"""Runbook facts derived from the knowledge base: blast radius, hotfix smoke suite, known failure modes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from generator.analyze.metrics import minutes_between
from generator.model import ActionItem, ContainmentAction, Incident, KnowledgeBaseModel, Service


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
    test: Mapping[str, Any]


def smoke_suite(model: KnowledgeBaseModel, service_id: str) -> tuple[SmokeTest, ...]:
    """The hotfix suite: this service's critical-path tests, then those of every service in its blast radius."""
    suite: list[SmokeTest] = []
    for sid in (service_id, *dependents_of(model, service_id)):
        service = model.service(sid)
        if service:
            suite.extend(SmokeTest(sid, test) for test in service.record.get("smoke_tests") or ())
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


def dependencies_of(model: KnowledgeBaseModel, service: Service) -> tuple[str, ...]:
    return tuple(sorted(service.depends_on))
