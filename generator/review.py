"""`incidentkb diff`: what a change means, not which YAML lines moved, as Markdown for a pull-request comment.

Both sides are read straight from git (or the working tree for HEAD omitted), loaded with the same strict
loader and schema, and compared as models: incidents added and removed, status and severity changes, impact
windows with their effect on each month's availability, action items, and public text (flagged: it will be
published).
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from generator.analyze.availability import (
    MeasuredWindow,
    ServiceMonth,
    incident_windows,
    month_bounds,
    months_between,
    service_month,
)
from generator.config import Settings
from generator.findings import Finding, UsageError
from generator.loader import Document, LoadError, decode_record, parse_document, read_record
from generator.model import Incident, KnowledgeBaseModel, build_model, thaw
from generator.public import public_record
from generator.render.markdown import markdown_environment
from generator.schemas import NO_TAXONOMIES, Taxonomies
from generator.validate import schema_findings

RECORD_FOLDERS = ("incidents", "services")
PUBLIC_TEXT_FIELDS = ("title", "summary", "updates")


@dataclass
class Side:
    """The knowledge base at one revision: the model of its schema-valid records, and what failed to load."""

    label: str
    model: KnowledgeBaseModel
    problems: list[Finding] = field(default_factory=list)
    invalid: dict[str, str | None] = field(default_factory=dict)  # path of a record that failed -> its `id:`


def _git(root: Path, *args: str, stdin: bytes | None = None) -> bytes:
    result = subprocess.run(["git", *args], cwd=root, input=stdin, capture_output=True, check=False)
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", errors="replace").strip() or "failed"
        raise UsageError(f"git {' '.join(args)}: {message}")
    return result.stdout


def read_revision(root: Path, revision: str | None) -> dict[str, bytes]:
    """Every record file's bytes at `revision` (None: the working tree), keyed by path.

    A revision is read with two git processes whatever its size: `ls-tree` names the blobs, and one
    `cat-file --batch` prints them all (one `git show` per file took 37 s for 2,026 records).
    """
    if revision is None:
        files = sorted(p for folder in RECORD_FOLDERS for p in (root / folder).rglob("*.yaml"))
        return {p.relative_to(root).as_posix(): _working_copy(p, root) for p in files}
    if revision.startswith("-"):  # git would read it as an option (`--output=...`)
        raise UsageError(f"{revision!r}: a revision cannot start with -")
    try:
        listing = _git(root, "ls-tree", "-r", "-z", f"{revision}^{{commit}}", "--", *RECORD_FOLDERS)
    except UsageError as exc:
        if "Not a valid object name" not in str(exc):
            raise  # git's own words: not a repository, no git, ...
        raise UsageError(
            f"{revision!r} is not a commit of the repository at {root.resolve()}: give a branch, tag or commit id"
        ) from None
    objects: dict[str, bytes] = {}  # path -> object id
    for entry in filter(None, listing.split(b"\0")):
        meta, _, name = entry.partition(b"\t")  # "<mode> <type> <object id>\t<path>"
        _mode, kind, object_id = meta.split(b" ")
        path = name.decode("utf-8", errors="replace")
        if kind == b"blob" and path.endswith(".yaml"):
            objects[path] = object_id
    return dict(zip(objects, _cat_blobs(root, list(objects.values())), strict=True))


def _working_copy(path: Path, root: Path) -> bytes:
    """A record file's bytes as the validator would read them; a file it refuses (a link out of the repository,
    a FIFO, a huge file) counts as one whose text is not a record."""
    try:
        return read_record(path, path.relative_to(root).as_posix(), inside=root)
    except LoadError as exc:
        return f"# {exc.finding.rule}: not read\n".encode()


def _cat_blobs(root: Path, object_ids: list[bytes]) -> list[bytes]:
    """The contents of many blobs from one `git cat-file --batch`, split by the sizes in its headers."""
    if not object_ids:
        return []
    out = _git(root, "cat-file", "--batch", "--buffer", stdin=b"".join(oid + b"\n" for oid in object_ids))
    blobs, position = [], 0
    for object_id in object_ids:
        header_end = out.find(b"\n", position)
        header = out[position:header_end].split(b" ")  # "<object id> <type> <size>", or "<object id> missing"
        if header_end < 0 or len(header) != 3 or header[:2] != [object_id, b"blob"]:
            raise UsageError(f"git cat-file --batch: unexpected answer for {object_id.decode()}: {header!r}")
        start = header_end + 1
        end = start + int(header[2])
        blobs.append(out[start:end])
        position = end + 1  # each blob's contents are followed by a newline
    return blobs


def load_side(label: str, files: dict[str, bytes], taxonomies: Taxonomies = NO_TAXONOMIES) -> Side:
    """Load and schema-check every file as the validator does (against the effective schemas: `taxonomies` added);
    a file that fails is a problem, not a record."""
    incidents: list[Document] = []
    services: list[Document] = []
    side = Side(label, build_model([], []))
    for path, raw in sorted(files.items()):
        kind = "service" if path.startswith("services/") else "incident"
        try:
            doc = parse_document(decode_record(raw, path), path)
        except LoadError as exc:
            side.problems.append(exc.finding)
            side.invalid[path] = _record_id(raw)
            continue
        errors = schema_findings(doc, kind, taxonomies)
        if errors:
            side.problems.extend(errors)
            record_id = doc.data.get("id")
            side.invalid[path] = record_id if isinstance(record_id, str) else _record_id(raw)
            continue
        (services if kind == "service" else incidents).append(doc)
    side.model = build_model(incidents, services)
    return side


_ID_LINE = re.compile(rb"""^id:[ \t]*["']?([A-Za-z0-9_.-]+)""", re.MULTILINE)


def _record_id(raw: bytes) -> str | None:
    """The `id:` of a file that does not load, read from its top-level line, to match it with the base record."""
    match = _ID_LINE.search(raw)
    return match.group(1).decode("ascii") if match else None


@dataclass(frozen=True)
class InvalidRecord:
    """A record file of the head that fails to load or validate, and the base incident it held, if any."""

    path: str
    findings: tuple[Finding, ...]
    base: Incident | None


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
    invalid = invalid_records(base, head)
    now_invalid = {record.base.id for record in invalid if record.base is not None}
    removed = [before[i] for i in sorted(before.keys() - after.keys() - now_invalid)]
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
        "invalid": invalid,
        "changed": changed,
        "availability": availability_changes(base.model, head.model, touched, settings, as_of),
        "overdue": overdue,
        "public_added": [i for i in added if i.kind != "near_miss"],
    }


def invalid_records(base: Side, head: Side) -> list[InvalidRecord]:
    """The head's broken record files, each with the base incident it held: the one at the same path, or else
    the one with the same `id:` (a record renamed and broken in one change). Such an incident is not removed.
    A base incident that is still valid in the head (a broken copy beside it) is not matched."""
    valid_in_head = {i.id for i in head.model.incidents}
    missing = [i for i in base.model.incidents if i.id not in valid_in_head]
    by_path, by_id = {i.source: i for i in missing}, {i.id: i for i in missing}
    findings: dict[str, list[Finding]] = {}
    for finding in head.problems:
        findings.setdefault(finding.path, []).append(finding)
    return [
        InvalidRecord(path, tuple(sorted(findings.get(path, []))), by_path.get(path) or by_id.get(record_id or ""))
        for path, record_id in sorted(head.invalid.items())
    ]


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


def _months_touched(incidents: list[Incident], settings: Settings, as_of: datetime) -> set[tuple[str, int, int]]:
    """(service, year, month) of every report month a window of `incidents` overlaps (an open one to `as_of`)."""
    return {
        (window.service, year, month)
        for window in incident_windows(incidents)
        for year, month in months_between(window.start, window.end or as_of, settings.zone)
    }


def availability_changes(
    base: KnowledgeBaseModel, head: KnowledgeBaseModel, touched: list[Incident], settings: Settings, as_of: datetime
) -> list[AvailabilityChange]:
    """Availability before and after, for every service-month an added, removed or re-timed window touches."""
    base_windows, head_windows = incident_windows(base.incidents), incident_windows(head.incidents)
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
    windows: list[MeasuredWindow],
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
