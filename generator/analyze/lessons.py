"""Lessons-learned indexes: views over the incidents grouped by what they have in common.

Like a blog's category pages, each view is one sorted grouping of the same collection: a view page summarises its
groups (how many, how recent, how severe, how fast contained) and each group has its own page listing every
incident in it. A view page listing everything would be megabytes at 10,000 incidents, and unreadable.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from generator.analyze.metrics import minutes_between, percentile
from generator.model import ActionItem, Incident, KnowledgeBaseModel
from generator.vocabulary import SEVERE

RECENT_DAYS = 365  # a group's "last 12 months"
LATEST_COUNT = 3  # incidents named in a recurring pattern's row
RECENTLY_CLOSED_DAYS = 90  # closed action items the tracker lists one by one


@dataclass(frozen=True)
class Group:
    key: str
    incidents: tuple[Incident, ...]  # oldest first

    @property
    def newest_first(self) -> tuple[Incident, ...]:
        return self.incidents[::-1]


@dataclass(frozen=True)
class GroupSummary:
    """What a lead reads off a group before opening it."""

    count: int
    recent: int  # started in the last RECENT_DAYS
    severe: int  # SEV1 or SEV2
    median_minutes_to_mitigate: float | None  # over the incidents whose start and mitigation are known
    latest: Incident


def summarize(group: Group, today: date) -> GroupSummary:
    since = today - timedelta(days=RECENT_DAYS)
    mitigate = [m for m in (minutes_between(i.started_at, i.mitigated_at) for i in group.incidents) if m is not None]
    return GroupSummary(
        count=len(group.incidents),
        recent=sum(1 for i in group.incidents if i.started_at is not None and i.started_at.date() > since),
        severe=sum(1 for i in group.incidents if i.severity in SEVERE),
        median_minutes_to_mitigate=percentile(mitigate, 50) if mitigate else None,
        latest=group.incidents[-1],
    )


@dataclass(frozen=True)
class SummarizedGroup:
    group: Group
    summary: GroupSummary


@dataclass(frozen=True)
class IndexView:
    slug: str
    title: str  # "By service"
    noun: str  # what the view groups by: "service"
    description: str
    groups: tuple[SummarizedGroup, ...]


KeysOf = Callable[[Incident], Iterable[str]]  # the keys a view files an incident under
ViewDefinition = tuple[str, str, str, str, KeysOf]  # slug, title, noun, description, the keys
VIEW_DEFINITIONS: tuple[ViewDefinition, ...] = (
    (
        "by-service",
        "By service",
        "service",
        "Every incident and near miss under each service it affected (planned maintenance is left out).",
        lambda i: i.services if i.kind != "maintenance" else (),
    ),
    (
        "by-root-cause",
        "By root-cause category",
        "root-cause category",
        "Incidents grouped by the category of their root cause.",
        lambda i: [i.root_cause_category or "not recorded"],
    ),
    (
        "by-contributing-factor",
        "By contributing factor",
        "contributing factor",
        "Incidents grouped by fishbone category of their contributing factors.",
        lambda i: i.contributing_categories,
    ),
    (
        "by-defence-layer",
        "By failed defence layer",
        "failed defence layer",
        "Which defence layers let defects through (Swiss cheese).",
        lambda i: i.failed_layers,
    ),
    (
        "by-detection",
        "By detection method",
        "detection method",
        "How incidents were detected.",
        lambda i: [i.detection_method or "not recorded"],
    ),
    ("by-trigger", "By trigger", "trigger", "What set each failure off.", lambda i: [i.trigger_kind or "not recorded"]),
    (
        "by-change",
        "By preceding change",
        "preceding change",
        "What changed before it broke (the diff).",
        lambda i: i.change_kinds,
    ),
    (
        "by-escape-reason",
        "By escape reason",
        "escape reason",
        "Why testing did not catch the defect.",
        lambda i: i.escape_reasons,
    ),
    ("by-tag", "By tag", "tag", "Incidents by their tags.", lambda i: i.tags),
)


def group_by(incidents: Iterable[Incident], keys_of: Callable[[Incident], Iterable[str]]) -> tuple[Group, ...]:
    groups: dict[str, list[Incident]] = defaultdict(list)
    for incident in incidents:
        for key in dict.fromkeys(keys_of(incident)):  # an incident is listed once per distinct key
            groups[key].append(incident)
    return tuple(Group(key, tuple(sorted(groups[key], key=lambda i: i.sort_key))) for key in sorted(groups))


def index_views(model: KnowledgeBaseModel, today: date) -> tuple[IndexView, ...]:
    views = []
    for slug, title, noun, description, keys_of in VIEW_DEFINITIONS:
        groups = tuple(SummarizedGroup(g, summarize(g, today)) for g in group_by(model.incidents, keys_of))
        views.append(IndexView(slug, title, noun, description, groups))
    return tuple(views)


@dataclass(frozen=True)
class Pattern:
    """Two or more incidents that share a service and a cause category: a recurrence to act on."""

    service: str
    dimension: str  # "root cause" or "contributing factor"
    category: str
    incidents: tuple[Incident, ...]  # oldest first

    @property
    def latest(self) -> tuple[Incident, ...]:
        """The most recent few, newest first."""
        return tuple(reversed(self.incidents[-LATEST_COUNT:]))


PatternKey = tuple[str, str, str]  # service, dimension ("root cause" or "contributing factor"), category


def pattern_keys(incident: Incident) -> list[PatternKey]:
    """The (service, dimension, category) buckets an incident falls into, once per time it is put there."""
    keys = []
    for service in incident.services:
        if incident.root_cause_category and incident.root_cause_category != "unknown":
            keys.append((service, "root cause", incident.root_cause_category))
        keys.extend(
            (service, "contributing factor", category) for category in dict.fromkeys(incident.contributing_categories)
        )
    return keys


def recurring_patterns(model: KnowledgeBaseModel) -> tuple[Pattern, ...]:
    return patterns_of(pattern_buckets(model.incidents, None))


def pattern_buckets(
    incidents: Iterable[Incident], only: Container[PatternKey] | None
) -> dict[PatternKey, list[Incident]]:
    """Each bucket's incidents, in the order given; with `only`, just those buckets."""
    buckets: dict[PatternKey, list[Incident]] = defaultdict(list)
    for incident in incidents:
        for key in pattern_keys(incident):
            if only is None or key in only:
                buckets[key].append(incident)
    return buckets


def patterns_of(buckets: Mapping[PatternKey, Sequence[Incident]]) -> tuple[Pattern, ...]:
    """The buckets that hold a recurrence (two incidents or more), as patterns sorted by their key."""
    return tuple(
        Pattern(service, dimension, category, tuple(sorted(found, key=lambda i: i.sort_key)))
        for (service, dimension, category), found in sorted(buckets.items())
        if len(found) >= 2
    )


def near_misses(model: KnowledgeBaseModel) -> tuple[Incident, ...]:
    """Newest first."""
    return tuple(i for i in reversed(model.incidents) if i.kind == "near_miss")


@dataclass(frozen=True)
class ActionCounts:
    open: int = 0
    overdue: int = 0
    done: int = 0


@dataclass(frozen=True)
class ClosedInYear:
    year: int | str  # of the item's due date, else of its incident's start; "unknown" when neither is known
    done: int
    wont_do: int


@dataclass(frozen=True)
class ActionRow:
    """An action item as a page lists it: with how late it is, so that an overdue item says so where it stands."""

    item: ActionItem
    days_overdue: int | None  # open and past its due date: whole days since the due date; else None


def days_overdue(item: ActionItem, today: date) -> int | None:
    return (today - item.due).days if item.due is not None and item.is_overdue(today) else None


def action_rows(items: Iterable[ActionItem], today: date) -> tuple[ActionRow, ...]:
    return tuple(ActionRow(item, days_overdue(item, today)) for item in items)


@dataclass(frozen=True)
class ActionTracker:
    open: tuple[ActionRow, ...]  # every open item, overdue ones included (what the counts read)
    overdue: tuple[ActionRow, ...]
    pending: tuple[ActionRow, ...]  # open and not overdue: the open items not already listed as overdue
    closed: tuple[ActionRow, ...]
    recently_closed: tuple[ActionRow, ...]  # closed items dated in the last RECENTLY_CLOSED_DAYS, newest first
    closed_by_year: tuple[ClosedInYear, ...]  # every closed item, counted; each is also on its post-mortem
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
    started = {i.id: i.started_at.date() if i.started_at else None for i in model.incidents}

    def dated(item: ActionItem) -> date | None:  # no completion date is recorded: the due date stands in
        return item.due or started[item.incident_id]

    since = today - timedelta(days=RECENTLY_CLOSED_DAYS)
    recently_closed = [a for a in closed if (d := dated(a)) is not None and d >= since]
    by_owner: dict[str, list[ActionItem]] = defaultdict(list)
    by_service: dict[str, list[ActionItem]] = defaultdict(list)
    for item in items:
        by_owner[item.owner or "unassigned"].append(item)
        for service in services_of[item.incident_id]:
            by_service[service].append(item)
    return ActionTracker(
        action_rows(open_items, today),
        action_rows(overdue, today),
        action_rows((a for a in open_items if not a.is_overdue(today)), today),
        action_rows(closed, today),
        action_rows(reversed(recently_closed), today),  # newest first
        _closed_by_year(closed, dated),
        tuple((owner, _count(by_owner[owner], today)) for owner in sorted(by_owner)),
        tuple((service, _count(by_service[service], today)) for service in sorted(by_service)),
    )


def _closed_by_year(
    closed: Iterable[ActionItem], dated: Callable[[ActionItem], date | None]
) -> tuple[ClosedInYear, ...]:
    years: dict[int | str, list[ActionItem]] = defaultdict(list)
    for item in closed:
        when = dated(item)
        years[when.year if when else "unknown"].append(item)
    return tuple(
        ClosedInYear(year, sum(a.status == "done" for a in items), sum(a.status == "wont_do" for a in items))
        for year, items in sorted(years.items(), key=_newest_year_first)
    )


def _newest_year_first(pair: tuple[int | str, object]) -> tuple[int, int]:
    year = pair[0]
    return (1, 0) if isinstance(year, str) else (0, -year)


def _count(items: list[ActionItem], today: date) -> ActionCounts:
    return ActionCounts(
        open=sum(a.is_open for a in items),
        overdue=sum(a.is_overdue(today) for a in items),
        done=sum(a.status == "done" for a in items),
    )
