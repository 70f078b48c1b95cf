"""`incidentkb diff`: what a change means, not which YAML lines moved, as Markdown for a pull-request comment.

Both sides are read straight from git (or the working tree for HEAD omitted), loaded with the same strict
loader and schema, and compared as models: incidents added and removed, status and severity changes, impact
windows with their effect on each month's availability, action items, and public text (flagged: it will be
published).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from generator.analyze.availability import ImpactWindow as AvailabilityWindow
from generator.analyze.availability import ServiceMonth, month_bounds, service_month
from generator.findings import Finding, UsageError
from generator.loader import Document, LoadError, parse_document
from generator.model import Incident, KnowledgeBaseModel, build_model, thaw
from generator.public import public_record
from generator.render.markdown import markdown_environment
from generator.settings import Settings
from generator.validate import schema_findings

RECORD_FOLDERS = ("incidents", "services")
PUBLIC_TEXT_FIELDS = ("title", "summary", "updates")


@dataclass
class Side:
    """The knowledge base at one revision: the model of its schema-valid records, and what failed to load."""

    label: str
    model: KnowledgeBaseModel
    problems: list[Finding] = field(default_factory=list)


def git(root: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise UsageError(f"git {' '.join(args)}: {result.stderr.strip() or 'failed'}")
    return result.stdout


def read_revision(root: Path, revision: str | None) -> dict[str, str]:
    """Every record file's text at `revision` (None: the working tree), keyed by path."""
    if revision is None:
        files = sorted(p for folder in RECORD_FOLDERS for p in (root / folder).rglob("*.yaml"))
        return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in files}
    git(root, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    listing = git(root, "ls-tree", "-r", "--name-only", revision, "--", *RECORD_FOLDERS).split("\n")
    return {path: git(root, "show", f"{revision}:{path}") for path in listing if path.endswith(".yaml")}


def load_side(label: str, files: dict[str, str]) -> Side:
    incidents: list[Document] = []
    services: list[Document] = []
    problems: list[Finding] = []
    for path, text in sorted(files.items()):
        kind = "service" if path.startswith("services/") else "incident"
        try:
            doc = parse_document(text, path)
        except LoadError as exc:
            problems.append(exc.finding)
            continue
        errors = schema_findings(doc, kind)
        if errors:
            problems.extend(errors)
            continue
        (services if kind == "service" else incidents).append(doc)
    return Side(label, build_model(incidents, services), problems)


@dataclass(frozen=True)
class AvailabilityChange:
    service: str
    month: str
    before: ServiceMonth | None
    after: ServiceMonth | None


@dataclass(frozen=True)
class IncidentChange:
    incident: Incident
    before: Incident
    changes: tuple[tuple[str, str, str], ...]  # (what, before, after)
    impact_changed: bool
    public_fields_changed: tuple[str, ...]
    items_added: tuple[str, ...]
    items_closed: tuple[str, ...]


def compare(base: Side, head: Side, *, settings: Settings, as_of: datetime) -> dict[str, object]:
    """Everything the diff page shows, computed."""
    before = {i.id: i for i in base.model.incidents}
    after = {i.id: i for i in head.model.incidents}
    added = [after[i] for i in sorted(after.keys() - before.keys())]
    removed = [before[i] for i in sorted(before.keys() - after.keys())]
    changed = [
        change
        for incident_id in sorted(before.keys() & after.keys())
        if (change := _incident_change(before[incident_id], after[incident_id])) is not None
    ]
    touched = [
        *added,
        *removed,
        *(c.incident for c in changed if c.impact_changed),
        *(c.before for c in changed if c.impact_changed),
    ]
    overdue = [
        (incident, item)
        for incident in head.model.incidents
        for item in incident.action_items
        if item.is_overdue(as_of.date())
    ]
    return {
        "base": base,
        "head": head,
        "added": added,
        "removed": removed,
        "changed": changed,
        "availability": availability_changes(base.model, head.model, touched, settings, as_of),
        "overdue": overdue,
        "public_added": [i for i in added if i.kind != "near_miss"],
    }


def _incident_change(old: Incident, new: Incident) -> IncidentChange | None:
    if old.record == new.record:
        return None
    changes = tuple(
        (what, str(getattr(old, attr)), str(getattr(new, attr)))
        for what, attr in (("status", "status"), ("severity", "severity"), ("kind", "kind"), ("title", "title"))
        if getattr(old, attr) != getattr(new, attr)
    )
    old_public, new_public = public_record(thaw(old.record), "incident"), public_record(thaw(new.record), "incident")
    public_changed = tuple(f for f in PUBLIC_TEXT_FIELDS if old_public.get(f) != new_public.get(f))
    old_items = {a.title: a for a in old.action_items}
    return IncidentChange(
        incident=new,
        before=old,
        changes=changes,
        impact_changed=old.impact != new.impact,
        public_fields_changed=public_changed,
        items_added=tuple(a.title for a in new.action_items if a.title not in old_items),
        items_closed=tuple(
            a.title for a in new.action_items if a.title in old_items and old_items[a.title].is_open and not a.is_open
        ),
    )


def _windows(model: KnowledgeBaseModel) -> list[AvailabilityWindow]:
    return [
        AvailabilityWindow(w.service, w.level, w.start, w.end, i.id, maintenance=i.kind == "maintenance")
        for i in model.incidents
        for w in i.impact
    ]


def _months_touched(incidents: Iterable[Incident], settings: Settings, as_of: datetime) -> set[tuple[str, int, int]]:
    touched = set()
    for incident in incidents:
        for window in incident.impact:
            start = window.start.astimezone(settings.zone)
            end = (window.end or as_of).astimezone(settings.zone)
            year, month = start.year, start.month
            while (year, month) <= (end.year, end.month):
                touched.add((window.service, year, month))
                year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return touched


def availability_changes(
    base: KnowledgeBaseModel, head: KnowledgeBaseModel, touched: list[Incident], settings: Settings, as_of: datetime
) -> list[AvailabilityChange]:
    """Availability before and after, for every service-month an added, removed or re-timed window touches."""
    base_windows, head_windows = _windows(base), _windows(head)
    results = []
    for service_id, year, month in sorted(_months_touched(touched, settings, as_of)):
        if month_bounds(year, month, settings.zone)[0] >= as_of:
            continue

        key = (service_id, year, month)
        before, after = (
            _figure(base, base_windows, key, settings, as_of),
            _figure(head, head_windows, key, settings, as_of),
        )
        if before != after:
            results.append(AvailabilityChange(service_id, f"{year:04d}-{month:02d}", before, after))
    return results


def _figure(
    model: KnowledgeBaseModel,
    windows: list[AvailabilityWindow],
    key: tuple[str, int, int],
    settings: Settings,
    as_of: datetime,
) -> ServiceMonth | None:
    service_id, year, month = key
    service = model.service(service_id)
    if service is None:
        return None
    return service_month(
        service_id, service.slo, windows, year, month, cutoff=as_of, tz=settings.zone, weights=settings.weights
    )


def render_diff(summary: dict[str, object], today: date) -> str:
    return markdown_environment().get_template("review/diff.md.j2").render(today=today, **summary)
