"""Lessons-learned indexes: views over the incidents grouped by what they have in common.

Like a blog's archive and category pages, each view is one sorted grouping of the same collection.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from generator.model import ActionItem, Incident, KnowledgeBaseModel


@dataclass(frozen=True)
class Group:
    key: str
    incidents: tuple[Incident, ...]


@dataclass(frozen=True)
class IndexView:
    slug: str
    title: str
    description: str
    groups: tuple[Group, ...]


# slug, title, description, the keys an incident is filed under
VIEW_DEFINITIONS: tuple[tuple[str, str, str, Callable[[Incident], Iterable[str]]], ...] = (
    ("by-service", "By service", "Every incident under each service it affected.", lambda i: i.services),
    (
        "by-root-cause",
        "By root-cause category",
        "Incidents grouped by the category of their root cause.",
        lambda i: [i.root_cause_category or "not recorded"],
    ),
    (
        "by-contributing-factor",
        "By contributing factor",
        "Incidents grouped by fishbone category of their contributing factors.",
        lambda i: i.contributing_categories,
    ),
    (
        "by-defence-layer",
        "By failed defence layer",
        "Which defence layers let defects through (Swiss cheese).",
        lambda i: i.failed_layers,
    ),
    (
        "by-detection",
        "By detection method",
        "How incidents were detected.",
        lambda i: [i.detection_method or "not recorded"],
    ),
    ("by-trigger", "By trigger", "What set each failure off.", lambda i: [i.trigger_kind or "not recorded"]),
    ("by-change", "By preceding change", "What changed before it broke (the diff).", lambda i: i.change_kinds),
    ("by-escape-reason", "By escape reason", "Why testing did not catch the defect.", lambda i: i.escape_reasons),
    ("by-tag", "By tag", "Incidents by their tags.", lambda i: i.tags),
)


def group_by(incidents: Iterable[Incident], keys_of: Callable[[Incident], Iterable[str]]) -> tuple[Group, ...]:
    groups: dict[str, list[Incident]] = defaultdict(list)
    for incident in incidents:
        for key in dict.fromkeys(keys_of(incident)):  # an incident is listed once per distinct key
            groups[key].append(incident)
    return tuple(Group(key, tuple(sorted(groups[key], key=lambda i: i.sort_key))) for key in sorted(groups))


def index_views(model: KnowledgeBaseModel) -> tuple[IndexView, ...]:
    return tuple(
        IndexView(slug, title, description, group_by(model.incidents, keys_of))
        for slug, title, description, keys_of in VIEW_DEFINITIONS
    )


@dataclass(frozen=True)
class Pattern:
    """Two or more incidents that share a service and a cause category: a recurrence to act on."""

    service: str
    dimension: str  # "root cause" or "contributing factor"
    category: str
    incidents: tuple[Incident, ...]


def recurring_patterns(model: KnowledgeBaseModel) -> tuple[Pattern, ...]:
    buckets: dict[tuple[str, str, str], list[Incident]] = defaultdict(list)
    for incident in model.incidents:
        for service in incident.services:
            if incident.root_cause_category and incident.root_cause_category != "unknown":
                buckets[(service, "root cause", incident.root_cause_category)].append(incident)
            for category in dict.fromkeys(incident.contributing_categories):
                buckets[(service, "contributing factor", category)].append(incident)
    return tuple(
        Pattern(service, dimension, category, tuple(sorted(found, key=lambda i: i.sort_key)))
        for (service, dimension, category), found in sorted(buckets.items())
        if len(found) >= 2
    )


def near_misses(model: KnowledgeBaseModel) -> tuple[Incident, ...]:
    return tuple(i for i in model.incidents if i.kind == "near_miss")


@dataclass(frozen=True)
class ActionCounts:
    open: int = 0
    overdue: int = 0
    done: int = 0


@dataclass(frozen=True)
class ActionTracker:
    open: tuple[ActionItem, ...]
    overdue: tuple[ActionItem, ...]
    closed: tuple[ActionItem, ...]
    by_owner: tuple[tuple[str, ActionCounts], ...]
    by_service: tuple[tuple[str, ActionCounts], ...]


def action_tracker(model: KnowledgeBaseModel, today: date) -> ActionTracker:
    items = [item for incident in model.incidents for item in incident.action_items]
    services_of = {i.id: i.services for i in model.incidents}

    def order(item: ActionItem) -> tuple[str, str, str]:
        return (item.due.isoformat() if item.due else "9999", item.incident_id, item.title)

    open_items = sorted((a for a in items if a.is_open), key=order)
    overdue = [a for a in open_items if a.is_overdue(today)]
    closed = sorted((a for a in items if not a.is_open), key=order)
    by_owner: dict[str, list[ActionItem]] = defaultdict(list)
    by_service: dict[str, list[ActionItem]] = defaultdict(list)
    for item in items:
        by_owner[item.owner or "unassigned"].append(item)
        for service in services_of[item.incident_id]:
            by_service[service].append(item)
    return ActionTracker(
        tuple(open_items),
        tuple(overdue),
        tuple(closed),
        tuple((owner, _count(by_owner[owner], today)) for owner in sorted(by_owner)),
        tuple((service, _count(by_service[service], today)) for service in sorted(by_service)),
    )


def _count(items: list[ActionItem], today: date) -> ActionCounts:
    return ActionCounts(
        open=sum(a.is_open for a in items),
        overdue=sum(a.is_overdue(today) for a in items),
        done=sum(a.status == "done" for a in items),
    )
