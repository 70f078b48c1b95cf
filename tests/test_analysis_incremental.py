"""The analysis made again for an edit (generator/analyze/incremental.py reanalyze) is the analysis of the edited
knowledge base made from scratch (analyze_internal), for every kind of edit a record can take, made to each
incident of the example knowledge base in turn, and to two at once.

`incidentkb serve` shows the pages that summarise an edited record from reanalyze before the whole knowledge base
is generated again; tests/test_preview_incremental.py checks those pages against a full build. The monthly
reports kept by their inputs (site.GenerationCache) are checked here too: an edit makes again the reports that
read it, and the pages are a fresh generation's.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support import AS_OF, REPO, copy_kb

from generator.analyze import runbooks
from generator.analyze.incremental import reanalyze
from generator.analyze.internal import InternalAnalysis, analyze_internal
from generator.knowledge_base import KnowledgeBase
from generator.model import ActionItem, Incident, KnowledgeBaseModel
from generator.site import Generation, GenerationCache, generate_internal

CUTOFF = datetime.fromisoformat(AS_OF)


@pytest.fixture(scope="module")
def generation() -> Generation:
    cache = GenerationCache()
    generate_internal(KnowledgeBase(REPO), CUTOFF, 1, cache)
    assert cache.last is not None
    return cache.last


def _other_service(incident: Incident, generation: Generation) -> str:
    return next(s.id for s in generation.model.services if s.id not in incident.services)


def _other_tag(incident: Incident, generation: Generation) -> str:
    return next(t for i in generation.model.incidents for t in i.tags if t not in incident.tags)


def _flip_action_items(incident: Incident, _: Generation) -> dict[str, Any]:
    items = tuple(dataclasses.replace(a, status="done" if a.is_open else "open") for a in incident.action_items)
    added = ActionItem(incident.id, "An added item", "team-x", CUTOFF.date() - timedelta(days=3), "open", None, None)
    return {"action_items": (*items, added)}


# Each kind of edit, as the fields it changes (from the incident and the generation).
EDITS: dict[str, Callable[[Incident, Generation], dict[str, Any]]] = {
    "title": lambda i, _: {"title": f"{i.title} (edited)"},
    "severity": lambda i, _: {"severity": "SEV1" if i.severity != "SEV1" else "SEV3"},
    "ongoing again": lambda i, _: {"status": "investigating" if i.status == "resolved" else "resolved"},
    "started 40 days earlier": lambda i, _: {"started_at": i.started_at and i.started_at - timedelta(days=40)},
    "start unknown": lambda i, _: {"started_at": None},
    "mitigated an hour later": lambda i, _: {"mitigated_at": i.mitigated_at and i.mitigated_at + timedelta(hours=1)},
    "another service": lambda i, g: {"services": (*i.services, _other_service(i, g))},
    "one service fewer": lambda i, _: {"services": i.services[1:] or i.services},
    "another tag": lambda i, g: {"tags": (*i.tags, _other_tag(i, g))},
    "no tags": lambda i, _: {"tags": ()},
    "root cause": lambda i, _: {"root_cause_category": "capacity" if i.root_cause_category != "capacity" else "config"},
    "no contributing factors": lambda i, _: {"contributing_categories": ()},
    "failed layers": lambda i, _: {"failed_layers": (*i.failed_layers, "code-review")},
    "a near miss": lambda i, _: {"kind": "near_miss" if i.kind != "near_miss" else "incident"},
    "action items": _flip_action_items,
    "defect introduced a day before": lambda i, _: {"introduced_at": i.started_at and i.started_at - timedelta(days=1)},
}


def edited(generation: Generation, changes: dict[int, dict[str, Any]]) -> tuple[KnowledgeBaseModel, list[Any]]:
    """The generation's model with the incidents at these positions changed, sorted as build_model sorts."""
    incidents = list(generation.model.incidents)
    edits = []
    for position, fields in changes.items():
        old = incidents[position]
        new = dataclasses.replace(old, **fields)
        incidents[position] = new
        edits.append((old, new))
    incidents.sort(key=lambda i: i.sort_key)
    return KnowledgeBaseModel(tuple(incidents), generation.model.services), edits


def both_ways(generation: Generation, model: KnowledgeBaseModel, edits: list[Any]) -> tuple[Any, Any]:
    settings = generation.settings
    availability = runbooks.recent_availability(
        model, generation.report_months, cutoff=generation.cutoff, tz=settings.zone, weights=settings.weights
    )
    again = reanalyze(generation.analysis, model, edits, availability)
    return again, analyze_internal(model, generation.analysis.today, availability)


def differing_parts(again: InternalAnalysis, fresh: InternalAnalysis) -> list[str]:
    return [f.name for f in dataclasses.fields(fresh) if getattr(again, f.name) != getattr(fresh, f.name)]


@pytest.mark.parametrize("kind", sorted(EDITS))
def test_an_edit_to_any_incident_is_analysed_as_the_whole_would_be(generation: Generation, kind: str) -> None:
    changed = 0
    for position, incident in enumerate(generation.model.incidents):
        fields = EDITS[kind](incident, generation)
        if all(getattr(incident, name) == value for name, value in fields.items()):
            continue  # nothing to change on this one (e.g. no tags to remove)
        model, edits = edited(generation, {position: fields})
        again, fresh = both_ways(generation, model, edits)
        assert again == fresh, f"{kind} of {incident.id}: {differing_parts(again, fresh)} differ"
        changed += 1
    assert changed >= len(generation.model.incidents) // 3, f"the edit {kind!r} changed only {changed} incidents"


def test_two_incidents_edited_at_once(generation: Generation) -> None:
    incidents = generation.model.incidents
    changes = {
        0: {"title": "First of two", "tags": ()},
        len(incidents) - 2: {**EDITS["another service"](incidents[-2], generation), "severity": "SEV1"},
    }
    again, fresh = both_ways(generation, *edited(generation, changes))
    assert again == fresh, differing_parts(again, fresh)


def test_the_edits_reach_the_summaries(generation: Generation) -> None:
    """Not a vacuous equality: the edited title is in what the home page and the lessons list (the newest
    incident), and the analysis before the edit is not the analysis after it."""
    position = len(generation.model.incidents) - 1
    model, edits = edited(generation, {position: {"title": "Edited, newest"}})
    again, _ = both_ways(generation, model, edits)
    assert again.recent[0].title == "Edited, newest"
    assert any(i.title == "Edited, newest" for v in again.views for g in v.groups for i in g.group.incidents)
    assert again != generation.analysis


def test_kept_monthly_reports_are_made_again_when_what_they_read_changed(tmp_path: Path) -> None:
    kb = copy_kb(tmp_path / "kb")
    cache = GenerationCache()
    generate_internal(KnowledgeBase(kb), CUTOFF, 1, cache)
    kept = {month: report for month, report in cache.reports.items()}
    assert kept, "the example knowledge base has no monthly report"
    # A customer-facing title (public) of the newest month's incident: that month's report reads it.
    month = max(kept)
    _, _, pages = kept[month]
    report_page = next(iter(pages.values()))
    record, title = _public_record_in(kb, report_page)
    text = record.read_text(encoding="utf-8")
    record.write_text(re.sub(r"^title: .*$", "title: Reported again, edited", text, count=1, flags=re.M))
    cached, _ = generate_internal(KnowledgeBase(kb), CUTOFF, 1, cache)
    fresh, _ = generate_internal(KnowledgeBase(kb), CUTOFF, 1)
    assert cached == fresh
    assert "Reported again, edited" in cached[f"reports/{month[0]:04d}-{month[1]:02d}.md"]
    assert title not in cached[f"reports/{month[0]:04d}-{month[1]:02d}.md"]
    for other, report in cache.reports.items():
        if other != month:
            assert report is kept[other], f"the report of {other} was made again though it reads nothing edited"
    assert cache.reports[month] is not kept[month]


def _public_record_in(kb: Path, report_page: str) -> tuple[Path, str]:
    """A record whose title the report page shows, and that title."""
    for record in sorted((kb / "incidents").rglob("*.yaml")):
        text = record.read_text(encoding="utf-8")
        found = re.search(r"^title: (.*)$", text, re.M)
        if found and found.group(1) in report_page:
            return record, found.group(1)
    raise AssertionError("no record's title is on the report page")
