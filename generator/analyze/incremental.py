"""The internal analysis after an edit to a few incidents, from the analysis made before the edit.

`incidentkb serve` shows the pages that summarise an edited record (home, lessons, runbooks, action items, metrics)
before the whole knowledge base is generated again. Analysing 10,000 incidents takes seconds; an edit touches a
few groups. So each part of the analysis is either taken over from the one before (when no field it reads of an
incident changed), rebuilt from the groups the edit touches (lessons views, recurring patterns, runbooks of the
edited services), or, where that is cheap, computed again. The result equals analyze_internal of the edited model
(tests/test_analysis_incremental.py compares them for edits of every kind); no I/O, like every analysis.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import date

from generator.analyze import lessons, metrics, runbooks
from generator.analyze.availability import ServiceMonth
from generator.analyze.internal import InternalAnalysis, incident_months, recent_incidents
from generator.model import Incident, KnowledgeBaseModel

Edit = tuple[Incident, Incident]  # an incident as the analysis before the edit saw it, and as edited (same id)

# The fields of an incident that each part taken over whole reads: an edit that changes none of them cannot
# change the part (lessons.action_tracker; metrics.metrics_analysis, whose defect ages name their incidents).
TRACKER_FIELDS = ("id", "services", "started_at", "action_items")
METRIC_FIELDS = (
    "id",
    "kind",
    "severity",
    "started_at",
    "detected_at",
    "acknowledged_at",
    "mitigated_at",
    "resolved_at",
    "introduced_at",
    "regression_test_added",
)


def reanalyze(
    previous: InternalAnalysis,
    model: KnowledgeBaseModel,
    edits: Sequence[Edit],
    availability: Mapping[str, Sequence[ServiceMonth]],
) -> InternalAnalysis:
    """analyze_internal(model, previous.today, availability), where `model` is the model `previous` was made from
    with the `edits` made: the same services and incident ids, each edited incident replaced by its new version."""
    today = previous.today
    ongoing = runbooks.ongoing_incidents(model)
    return InternalAnalysis(
        today=today,
        ongoing=ongoing,
        recent=recent_incidents(model.incidents),
        months=incident_months(model.incidents),
        kinds=Counter(i.kind for i in model.incidents),
        runbooks=_runbooks(previous.runbooks, model, edits, ongoing, availability, today),
        tracker=previous.tracker if _unchanged(edits, TRACKER_FIELDS) else lessons.action_tracker(model, today),
        views=tuple(_view(view, definition[4], edits, today) for view, definition in _views(previous)),
        patterns=_patterns(previous.patterns, model, edits),
        near_misses=lessons.near_misses(model),
        metrics=_metrics(previous.metrics, model, edits),
    )


def _unchanged(edits: Sequence[Edit], fields: Sequence[str]) -> bool:
    return all(getattr(old, field) == getattr(new, field) for old, new in edits for field in fields)


def _runbooks(
    previous: Sequence[runbooks.Runbook],
    model: KnowledgeBaseModel,
    edits: Sequence[Edit],
    ongoing: Sequence[Incident],
    availability: Mapping[str, Sequence[ServiceMonth]],
    today: date,
) -> tuple[runbooks.Runbook, ...]:
    """A runbook reads the incidents of its own service and the services' records: only the edited incidents'
    services (before and after) get a new one, and any whose measured availability differs."""
    touched = {service for old, new in edits for service in (*old.services, *new.services)}
    books = []
    for book in previous:
        months = tuple(availability.get(book.service.id, ()))
        if book.service.id in touched or months != book.availability:
            book = runbooks.runbook(model, book.service, ongoing, months, today)
        books.append(book)
    return tuple(books)


def _views(previous: InternalAnalysis) -> zip[tuple[lessons.IndexView, lessons.ViewDefinition]]:
    if len(previous.views) != len(lessons.VIEW_DEFINITIONS):
        raise ValueError("the previous analysis has other lessons views than lessons.VIEW_DEFINITIONS")
    return zip(previous.views, lessons.VIEW_DEFINITIONS, strict=True)


def _view(view: lessons.IndexView, keys_of: lessons.KeysOf, edits: Sequence[Edit], today: date) -> lessons.IndexView:
    """A lessons view with the groups the edited incidents were or are filed under made again. A group's incidents
    after the edit are its incidents before it, less the edited ones, plus those edited ones filed under it now
    (lessons.group_by: sorted, once per distinct key); no other incident changed. The kept ones are in order
    already, so the edited ones are put in their place (sort keys are unique: they end with the id)."""
    touched = {key for old, new in edits for key in (*keys_of(old), *keys_of(new))}
    if not touched:
        return view
    groups = {g.group.key: g for g in view.groups}
    edited = {id(old) for old, _ in edits}
    for key in touched:
        members = [i for i in groups[key].group.incidents if id(i) not in edited] if key in groups else []
        for _, new in edits:
            if key in keys_of(new):
                bisect.insort(members, new, key=_sort_key)
        if members:
            group = lessons.Group(key, tuple(members))
            groups[key] = lessons.SummarizedGroup(group, lessons.summarize(group, today))
        else:
            del groups[key]
    return replace(view, groups=tuple(groups[key] for key in sorted(groups)))


def _patterns(
    previous: Sequence[lessons.Pattern], model: KnowledgeBaseModel, edits: Sequence[Edit]
) -> tuple[lessons.Pattern, ...]:
    """The patterns whose buckets the edit touches, from those buckets alone (a bucket of one incident is no
    pattern, so it is not in `previous`: they are gathered again); the others as they were."""
    touched: Collection[lessons.PatternKey] = {
        key for old, new in edits for key in (*lessons.pattern_keys(old), *lessons.pattern_keys(new))
    }
    if not touched:
        return tuple(previous)
    kept = [p for p in previous if _pattern_key(p) not in touched]
    made = lessons.patterns_of(lessons.pattern_buckets(model.incidents, touched))
    return tuple(sorted((*kept, *made), key=_pattern_key))  # patterns_of's order: by bucket


def _pattern_key(pattern: lessons.Pattern) -> lessons.PatternKey:
    return (pattern.service, pattern.dimension, pattern.category)


def _sort_key(incident: Incident) -> tuple[str, str]:
    return incident.sort_key


def _metrics(
    previous: metrics.MetricsAnalysis, model: KnowledgeBaseModel, edits: Sequence[Edit]
) -> metrics.MetricsAnalysis:
    """The metrics as they were when no timing, severity or kind changed, with the defect ages naming the edited
    incidents as they are now; else computed again."""
    if not _unchanged(edits, METRIC_FIELDS):
        return metrics.metrics_analysis(model.incidents)
    now = {id(old): new for old, new in edits}
    return replace(previous, ages=[replace(a, incident=now.get(id(a.incident), a.incident)) for a in previous.ages])
