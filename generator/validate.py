"""Validation: the schema, then the policy rules a schema cannot express. Rules turn records into findings.

Each semantic rule has a stable name (documented in docs/policy.md). Everything is collected for all files;
nothing stops at the first error.
"""

from __future__ import annotations

import gc
import ipaddress
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jsonschema_rs

from generator import workers
from generator.findings import Finding, Severity
from generator.loader import Document, LoadError, Record, load_document
from generator.model import parse_time
from generator.schemas import compiled_validator, load_schema
from generator.vocabulary import IMPACT_LEVELS, MAINTENANCE_UPDATE_STATUSES, OPEN_ACTION_STATUSES, PHASES, SEVERE

INCIDENT_FILE_NAME = re.compile(r"^(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})-[a-z0-9]+(?:-[a-z0-9]+)*\.yaml$")


@dataclass
class ValidationResult:
    """Every finding, plus the records that passed the schema (the model is built from those)."""

    findings: list[Finding] = field(default_factory=list)
    incidents: list[Record] = field(default_factory=list)
    services: Sequence[Record] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.severity is Severity.ERROR for f in self.findings)


@dataclass(frozen=True)
class KnowledgeBase:
    """Where the records of a knowledge base live."""

    root: Path

    @property
    def incident_dir(self) -> Path:
        return self.root / "incidents"

    @property
    def service_dir(self) -> Path:
        return self.root / "services"

    def incident_files(self) -> list[Path]:
        """Every YAML file under incidents/, wherever it is: a misplaced file is reported, never skipped."""
        return record_files(self.incident_dir)

    def service_files(self) -> list[Path]:
        return record_files(self.service_dir)

    def display(self, path: Path) -> str:
        """The path relative to the knowledge base, without resolving links (a link is named as the author sees it)."""
        absolute = os.path.abspath(path)
        if absolute.startswith(self._root_prefix):  # string work: this runs for every file, and pathlib is slow
            return absolute[len(self._root_prefix) :].replace(os.sep, "/")
        return str(path)

    def is_service_file(self, path: Path) -> bool:
        return os.path.abspath(path).startswith(self._service_prefix)

    @cached_property
    def _root_prefix(self) -> str:
        return os.path.join(os.path.abspath(self.root), "")

    @cached_property
    def _service_prefix(self) -> str:
        return os.path.join(os.path.abspath(self.service_dir), "")


def record_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for pattern in ("*.yaml", "*.yml") for p in folder.rglob(pattern))


@dataclass(frozen=True)
class IdUse:
    """Where a record states its id: all that id uniqueness needs once the record itself is checked."""

    id: str
    path: str
    line: int
    column: int


def validate_knowledge_base(
    kb: KnowledgeBase,
    *,
    today: date,
    strict: bool = False,
    paths: Iterable[Path] | None = None,
    keep_incidents: bool = True,
    jobs: int = 1,
) -> ValidationResult:
    """Validate the given files (default: every record and the settings), with the whole knowledge base as context.

    Each incident is checked as soon as it is loaded; with `keep_incidents=False` its document is then let go,
    so validating a large knowledge base needs memory for findings only, and with `jobs` above 1 a large set of
    incidents is shared out to that many worker processes.
    """
    all_services = kb.service_files()
    selected = list(paths) if paths is not None else all_services + kb.incident_files()
    named_settings = paths is not None and any(is_settings_file(kb, p) for p in selected)
    if named_settings:  # checked as the settings, never as a record
        selected = [p for p in selected if not is_settings_file(kb, p)]
    result = ValidationResult()
    if paths is None or named_settings:
        result.findings.extend(check_settings(kb))
    known_services = {p.stem for p in all_services}
    context = _Context(today=today, strict=strict, known_services=known_services)
    service_docs = _load_all([p for p in selected if kb.is_service_file(p)], "service", kb, result)
    incident_paths = [p for p in selected if not kb.is_service_file(p)]
    in_one_process = jobs < 2 or len(incident_paths) < PARALLEL_MIN_FILES
    all_checked = CheckedIncidents()
    with _collector_paused():  # the workers' records arrive as millions of new objects, none of them garbage
        for checked in (
            _check_incidents(incident_paths, kb, context, keep=keep_incidents)
            if in_one_process
            else _check_incidents_in_parallel(incident_paths, kb, context, jobs, keep=keep_incidents)
        ):
            all_checked.add(checked)
    result.findings.extend(all_checked.findings)
    result.incidents = all_checked.records
    for doc in service_docs:
        result.findings.extend(check_service(doc, context))
    graph_docs = service_docs if paths is None else _context_services(kb, service_docs)
    reported = {doc.path for doc in service_docs}
    result.findings.extend(f for f in check_service_graph(graph_docs, known_services) if f.path in reported)
    others = _other_incidents(kb, selected, validating_all=paths is None)
    result.findings.extend(check_unique_ids(all_checked.id_uses, others))
    result.findings.sort()
    result.services = service_docs
    return result


# Below this many incidents, starting worker processes costs more than sharing the work saves.
PARALLEL_MIN_FILES = 400
_CHUNK_FILES = 250
# Validation makes no reference cycles, so the cyclic collector only slows it down (it walks every live node
# tree); it is paused and run over the young objects every so many files, which bounds what a cycle could hold.
_COLLECT_EVERY = 500


@dataclass
class CheckedIncidents:
    """What checking some incident files found: findings, the ids they state, and (if kept) their records."""

    findings: list[Finding] = field(default_factory=list)
    id_uses: list[IdUse] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)

    def add(self, other: CheckedIncidents) -> None:
        self.findings.extend(other.findings)
        self.id_uses.extend(other.id_uses)
        self.records.extend(other.records)


def _check_incidents(
    paths: list[Path], kb: KnowledgeBase, context: _Context, *, keep: bool
) -> Iterator[CheckedIncidents]:
    """Check incident files one by one (schema, then the rules); a document is let go after use unless `keep`."""
    with _collector_paused():
        for index, path in enumerate(paths, start=1):
            checked = CheckedIncidents()
            doc = _load_schema_valid(path, "incident", kb, checked.findings)
            if doc is not None:
                checked.findings.extend(check_incident(doc, context))
                checked.id_uses.append(IdUse(doc.data["id"], doc.path, *doc.locate(["id"])))
                if keep:
                    checked.records.append(doc.record())  # the node tree is let go: findings are made
            yield checked
            if index % _COLLECT_EVERY == 0:
                gc.collect(1)


def _check_chunk(chunk: tuple[list[Path], KnowledgeBase, _Context, bool]) -> CheckedIncidents:
    """One worker's share: the findings and ids of a chunk of files, and their records if kept (the node trees
    stay in the worker)."""
    paths, kb, context, keep = chunk
    merged = CheckedIncidents()
    for checked in _check_incidents(paths, kb, context, keep=keep):
        merged.add(checked)
    return merged


def _check_incidents_in_parallel(
    paths: list[Path], kb: KnowledgeBase, context: _Context, jobs: int, *, keep: bool
) -> Iterator[CheckedIncidents]:
    """The same checks in `jobs` forked workers, results in file order; one process where fork is unavailable."""
    chunks = [(paths[i : i + _CHUNK_FILES], kb, context, keep) for i in range(0, len(paths), _CHUNK_FILES)]
    yield from workers.in_order(_check_chunk, chunks, jobs)


@contextmanager
def _collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def available_cpus() -> int:
    """The CPUs this process may run on (a container's limit, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _load_all(paths: list[Path], kind: str, kb: KnowledgeBase, result: ValidationResult) -> list[Document]:
    """The documents that load and pass the schema; everything else becomes findings."""
    loaded = (_load_schema_valid(path, kind, kb, result.findings) for path in paths)
    return [doc for doc in loaded if doc is not None]


def _load_schema_valid(path: Path, kind: str, kb: KnowledgeBase, findings: list[Finding]) -> Document | None:
    """The document if it loads and passes the schema; otherwise None, with the reasons added to `findings`."""
    try:
        doc = load_document(path, kb.display(path), inside=kb.root)
    except LoadError as exc:
        findings.append(exc.finding)
        return None
    except OSError as exc:
        findings.append(_finding(kb.display(path), 1, 1, "unreadable", f"cannot read file: {exc.strerror}"))
        return None
    errors = schema_findings(doc, kind) or unrepresentable_times(doc)
    findings.extend(errors)
    return None if errors else doc


TIME_KEYS = frozenset(PHASES) | {
    "start",
    "end",
    "at",
    "applied_at",
    "removed_at",
    "deployed_at",
    "verified_at",
    "introduced_at",
}


def unrepresentable_times(doc: Document) -> list[Finding]:
    """RFC 3339 allows a leap second (23:59:60), which no datetime library represents: say so instead of crashing."""
    findings: list[Finding] = []
    _find_unrepresentable_times(doc, doc.data, [], findings)
    return findings


# A module-level function that appends (no closure, no generators): a recursive closure is a reference cycle that
# would keep each document's node tree alive until the cyclic collector runs, and it walks every value.
def _find_unrepresentable_times(doc: Document, value: object, where: list[str | int], found: list[Finding]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if item.__class__ is str:
                if key in TIME_KEYS:
                    try:
                        parse_time(item)
                    except ValueError:
                        message = f"{item!r} is not a date-time that can be represented (a leap second?); use :59"
                        found.append(_at(doc, [*where, key], "schema", message))
            elif item.__class__ is dict or item.__class__ is list:
                _find_unrepresentable_times(doc, item, [*where, key], found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if item.__class__ is dict or item.__class__ is list:
                _find_unrepresentable_times(doc, item, [*where, index], found)


def _context_services(kb: KnowledgeBase, selected: list[Document]) -> list[Document]:
    """The selected service documents plus every other loadable service file: cycles span files."""
    chosen = {doc.path for doc in selected}
    docs = list(selected)
    for path in kb.service_files():
        if kb.display(path) in chosen:
            continue
        try:
            doc = load_document(path, kb.display(path), inside=kb.root)
        except (LoadError, OSError):
            continue
        if not schema_findings(doc, "service"):
            docs.append(doc)
    return docs


def _other_incidents(kb: KnowledgeBase, selected: list[Path], validating_all: bool) -> list[Document]:
    """When only some files are validated, the rest of the knowledge base still owns its ids."""
    if validating_all:
        return []
    chosen = {p.resolve() for p in selected}
    docs = []
    for path in kb.incident_files():
        if path.resolve() in chosen:
            continue
        try:
            docs.append(load_document(path, kb.display(path), inside=kb.root))
        except (LoadError, OSError):
            continue  # reported when that file itself is validated
    return docs


def schema_findings(doc: Document, kind: str) -> list[Finding]:
    """Schema errors, each pointing at the value (or the unknown key) it concerns."""
    validator = compiled_validator(kind)
    if validator.is_valid(doc.data):  # the fast path: most files are valid, and errors are only walked when not
        return []
    findings = []
    for error in validator.iter_errors(doc.data):
        location = list(error.instance_path)
        where = _json_path(location)
        unexpected = getattr(error.kind, "unexpected", None)
        if error.kind.name == "additionalProperties" and unexpected:
            for key in unexpected:
                line, column = doc.locate([*location, key], key=True)
                findings.append(
                    _finding(doc.path, line, column, "schema", f"{_json_path([*location, key])}: unknown key {key!r}")
                )
            continue
        line, column = doc.locate(location)
        findings.append(_finding(doc.path, line, column, "schema", f"{where}: {_schema_message(error)}"))
    return findings


def _timestamp_patterns() -> dict[str, str]:
    """Every pattern the schemas give a timestamp or a date, with what it asks for in words: a pattern message
    would print the regular expression."""
    asks = {"date-time": "an RFC 3339 timestamp with an explicit offset", "date": "a date YYYY-MM-DD"}
    patterns: dict[str, str] = {}

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("format") in asks and isinstance(node.get("pattern"), str):
                patterns[node["pattern"]] = asks[node["format"]]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for kind in ("incident", "service"):
        walk(load_schema(kind))
    return patterns


_TIMESTAMP_PATTERNS = _timestamp_patterns()


def _schema_message(error: jsonschema_rs.ValidationError) -> str:
    """The validator's message, except for an enum, where jsonschema-rs names two allowed values and then "or N
    other candidates" (an author needs every one of them to fix the value), and a `not` with a description."""
    if error.kind.name == "not" and isinstance(
        description := getattr(error.kind, "schema", {}).get("description"), str
    ):
        # A `not` (e.g. a reserved id) says why in its description; the raw message prints the whole subschema.
        return f"{json.dumps(error.instance, ensure_ascii=False, default=str)} is not allowed: {description}"
    if error.kind.name == "maxLength" and isinstance(error.instance, str):
        # The raw message repeats the value: a megabyte-long finding line for a megabyte-long field.
        limit = getattr(error.kind, "limit", None)
        return f"is {len(error.instance):,} characters long; the limit is {limit:,}"
    if error.kind.name == "pattern" and (asked := _TIMESTAMP_PATTERNS.get(getattr(error.kind, "pattern", ""))):
        return f"{json.dumps(str(error.instance)[:80], ensure_ascii=False)} is not {asked} in the years 1970 to 2100"
    if error.kind.name != "enum":
        return error.message
    shown = [json.dumps(option, ensure_ascii=False) for option in getattr(error.kind, "options")]  # noqa: B009
    allowed = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"
    return f"{json.dumps(error.instance, ensure_ascii=False, default=str)} is not one of {allowed}"


def _json_path(parts: list[str | int]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


@dataclass(frozen=True)
class _Context:
    today: date
    strict: bool
    known_services: set[str]


Rule = Callable[[Document, _Context], Iterator[Finding]]
INCIDENT_RULES: list[Rule] = []
SERVICE_RULES: list[Rule] = []


def incident_rule(func: Rule) -> Rule:
    INCIDENT_RULES.append(func)
    return func


def service_rule(func: Rule) -> Rule:
    SERVICE_RULES.append(func)
    return func


def check_incident(doc: Document, context: _Context) -> list[Finding]:
    return [finding for rule in INCIDENT_RULES for finding in rule(doc, context)]


def check_service(doc: Document, context: _Context) -> list[Finding]:
    return [finding for rule in SERVICE_RULES for finding in rule(doc, context)]


def _finding(
    path: str, line: int, column: int, rule: str, message: str, severity: Severity = Severity.ERROR
) -> Finding:
    return Finding(path, line, column, severity, rule, message)


def _at(doc: Document, where: list[str | int], rule: str, message: str, severity: Severity = Severity.ERROR) -> Finding:
    line, column = doc.locate(where)
    return _finding(doc.path, line, column, rule, message, severity)


# --- incident rules -----------------------------------------------------------------------------------------


@incident_rule
def id_matches_file_name(doc: Document, _: _Context) -> Iterator[Finding]:
    name = Path(doc.path).name
    match = INCIDENT_FILE_NAME.match(name)
    if not match:
        yield _at(doc, [], "id-filename", f"file name {name!r} must read <YYYY-MM-DD>-<slug>.yaml (lower-case slug)")
        return
    file_date = match["date"]
    folder = Path(doc.path).parent.name
    if folder != file_date[:4]:
        yield _at(
            doc,
            ["id"],
            "id-filename",
            f"a file dated {file_date} belongs in incidents/{file_date[:4]}/, not in {folder!r}",
        )
    record_id = doc.data["id"]
    if record_id.split("-")[1] != file_date[:4]:
        yield _at(doc, ["id"], "id-filename", f"id {record_id} does not match the year of the file name {name!r}")
    started = doc.data.get("started_at")
    if started and started[:10] != file_date:
        yield _at(
            doc, ["started_at"], "id-filename", f"started_at is {started[:10]} but the file name is dated {file_date}"
        )


@incident_rule
def services_exist(doc: Document, context: _Context) -> Iterator[Finding]:
    for index, service in enumerate(doc.data["services"]):
        if service not in context.known_services:
            yield _at(
                doc, ["services", index], "unknown-service", f"service {service!r} has no file services/{service}.yaml"
            )
    for index, window in enumerate(doc.data.get("impact") or []):
        if window["service"] not in doc.data["services"]:
            yield _at(
                doc,
                ["impact", index, "service"],
                "unknown-service",
                f"impact names {window['service']!r}, which is not in this incident's services",
            )


@incident_rule
def phases_in_order(doc: Document, _: _Context) -> Iterator[Finding]:
    previous: tuple[str, datetime] | None = None
    for phase in PHASES:
        moment = parse_time(doc.data.get(phase))
        if moment is None:
            continue  # unknown: nothing to compare
        if previous and moment < previous[1]:
            yield _at(
                doc,
                [phase],
                "time-order",
                f"{phase} ({doc.data[phase]}) is before {previous[0]} ({doc.data[previous[0]]})",
            )
        previous = (phase, moment)


@incident_rule
def status_consistent(doc: Document, _: _Context) -> Iterator[Finding]:
    data = doc.data
    if data["status"] == "resolved" and "resolved_at" not in data:
        yield _at(
            doc,
            ["status"],
            "resolved-at-required",
            "a resolved incident needs resolved_at (null if the time is truly unknown)",
        )
    if data["status"] != "resolved" and data.get("resolved_at"):
        yield _at(doc, ["resolved_at"], "resolved-at-required", f"resolved_at is set but status is {data['status']!r}")


@incident_rule
def impact_windows_valid(doc: Document, _: _Context) -> Iterator[Finding]:
    data = doc.data
    started, resolved = parse_time(data.get("started_at")), parse_time(data.get("resolved_at"))
    for index, window in enumerate(data.get("impact") or []):
        start, end = parse_time(window["start"]), parse_time(window.get("end"))
        assert start is not None  # the schema requires it
        if end is None and data["status"] == "resolved":
            yield _at(
                doc, ["impact", index], "open-impact", "a resolved incident cannot have an impact window without an end"
            )
        if end is not None and end <= start:
            yield _at(
                doc,
                ["impact", index, "end"],
                "impact-window",
                f"impact window ends ({window['end']}) at or before its start ({window['start']})",
            )
        if started is not None and start < started:
            yield _at(
                doc,
                ["impact", index, "start"],
                "impact-window",
                f"impact starts ({window['start']}) before the incident started ({data['started_at']})",
            )
        if resolved is not None and end is not None and end > resolved:
            yield _at(
                doc,
                ["impact", index, "end"],
                "impact-window",
                f"impact ends ({window['end']}) after the incident was resolved ({data['resolved_at']})",
            )
    if data["kind"] == "near_miss":
        for index, window in enumerate(data.get("impact") or []):
            if window["level"] not in (None, "degraded_performance"):  # an unassessed level: impact-unassessed
                yield _at(
                    doc,
                    ["impact", index, "level"],
                    "near-miss-impact",
                    "a near miss did not affect customers; record it as an incident or lower the level",
                )


@incident_rule
def impact_assessed(doc: Document, _: _Context) -> Iterator[Finding]:
    """`level: null` (not assessed yet) is allowed while the incident is open, but publishes and counts nothing;
    a resolved incident says what customers saw."""
    resolved = doc.data["status"] == "resolved"
    levels = ", ".join(IMPACT_LEVELS[:-1]) + " or " + IMPACT_LEVELS[-1]
    for index, window in enumerate(doc.data.get("impact") or []):
        if window["level"] is not None:
            continue
        if resolved:
            yield _at(
                doc,
                ["impact", index, "level"],
                "impact-unassessed",
                f"a resolved incident needs the level of every impact window: set the one on {window['service']!r} "
                f"to {levels}",
            )
        else:
            yield _at(
                doc,
                ["impact", index, "level"],
                "impact-unassessed",
                f"the impact on {window['service']!r} is not assessed yet: it is not published and counts for "
                f"nothing in availability until its level is set to {levels}",
                Severity.WARNING,
            )


@incident_rule
def updates_in_order(doc: Document, _: _Context) -> Iterator[Finding]:
    for key, field_name in (("updates", "at"), ("timeline", "at")):
        entries = doc.data.get(key) or []
        for index in range(1, len(entries)):
            if parse_time(entries[index][field_name]) < parse_time(entries[index - 1][field_name]):  # type: ignore[operator]
                yield _at(
                    doc,
                    [key, index, field_name],
                    f"{key}-order",
                    f"{key} must be in time order: this entry is earlier than the one before",
                )


@incident_rule
def maintenance_statuses_only_on_maintenance(doc: Document, _: _Context) -> Iterator[Finding]:
    if doc.data["kind"] == "maintenance":
        return
    for index, update in enumerate(doc.data.get("updates") or []):
        if update["status"] in MAINTENANCE_UPDATE_STATUSES:
            yield _at(
                doc,
                ["updates", index, "status"],
                "maintenance-status",
                f"{update['status']!r} is for planned maintenance; an incident update is investigating, identified, monitoring or resolved",
            )


@incident_rule
def containment_applied_before_removed(doc: Document, _: _Context) -> Iterator[Finding]:
    for index, action in enumerate(doc.data.get("containment") or []):
        applied, removed = parse_time(action.get("applied_at")), parse_time(action.get("removed_at"))
        if applied and removed and removed < applied:
            yield _at(
                doc,
                ["containment", index, "removed_at"],
                "containment-order",
                f"removed ({action['removed_at']}) before it was applied ({action['applied_at']})",
            )


@incident_rule
def postmortem_complete(doc: Document, _: _Context) -> Iterator[Finding]:
    data = doc.data
    if data["status"] != "resolved" or data["severity"] not in SEVERE or data["kind"] != "incident":
        return
    label = f"a resolved {data['severity']}"
    root_cause = data.get("root_cause")
    if not root_cause or not root_cause.get("description") or not root_cause.get("five_whys"):
        yield _at(
            doc,
            ["root_cause"] if "root_cause" in data else [],
            "root-cause-required",
            f"{label} needs a root_cause with a description and its five_whys",
        )
    items = data.get("action_items") or []
    if not 2 <= len(items) <= 4:
        yield _at(
            doc,
            ["action_items"] if "action_items" in data else [],
            "action-items-count",
            f"{label} needs 2 to 4 action items (has {len(items)}); more than that and none get done",
        )
    for index, item in enumerate(items):
        for key in ("owner", "due"):
            if not item.get(key):
                yield _at(
                    doc,
                    ["action_items", index],
                    "action-item-owner",
                    f"action item {item['title']!r} needs an {key}"
                    if key == "owner"
                    else f"action item {item['title']!r} needs a due date",
                )
    if not data.get("updates"):
        yield _at(doc, [], "public-update-required", f"{label} needs at least one public customer update")


@incident_rule
def action_items_not_overdue(doc: Document, context: _Context) -> Iterator[Finding]:
    severity = Severity.ERROR if context.strict else Severity.WARNING
    for index, item in enumerate(doc.data.get("action_items") or []):
        due = item.get("due")
        if due and item["status"] in OPEN_ACTION_STATUSES and date.fromisoformat(due) < context.today:
            yield _at(
                doc,
                ["action_items", index, "due"],
                "action-item-overdue",
                f"action item {item['title']!r} was due {due} and is still {item['status']}",
                severity,
            )


# --- service rules ------------------------------------------------------------------------------------------


@service_rule
def service_id_matches_file(doc: Document, _: _Context) -> Iterator[Finding]:
    path = Path(doc.path)
    stem = path.stem
    if path.suffix != ".yaml" or path.parent.name != "services":
        yield _at(doc, [], "service-id-filename", f"a service record is services/<id>.yaml, not {doc.path}")
    if doc.data["id"] != stem:
        yield _at(doc, ["id"], "service-id-filename", f"id {doc.data['id']!r} must equal the file name {stem!r}")


@service_rule
def public_name_when_listed(doc: Document, _: _Context) -> Iterator[Finding]:
    public = doc.data["public"]
    if public["listed"] and not public.get("name"):
        yield _at(doc, ["public"], "public-name-required", "a service listed in the public report needs public.name")


@service_rule
def dependencies_exist(doc: Document, context: _Context) -> Iterator[Finding]:
    for index, dependency in enumerate(doc.data.get("depends_on") or []):
        if dependency not in context.known_services:
            yield _at(
                doc,
                ["depends_on", index],
                "unknown-service",
                f"depends on {dependency!r}, which has no file services/{dependency}.yaml",
            )
        elif dependency == doc.data["id"]:
            yield _at(doc, ["depends_on", index], "dependency-cycle", "a service cannot depend on itself")


def check_service_graph(docs: list[Document], known: set[str]) -> Iterator[Finding]:
    """Dependency cycles make blast radius and escalation ambiguous: report each service on a cycle once."""
    graph = {doc.data["id"]: [d for d in doc.data.get("depends_on") or [] if d in known] for doc in docs}
    by_id = {doc.data["id"]: doc for doc in docs}
    for service_id, doc in by_id.items():
        if _reaches(graph, service_id, service_id):
            yield _at(
                doc, ["depends_on"], "dependency-cycle", f"{service_id!r} depends on itself through its dependencies"
            )


def _reaches(graph: dict[str, list[str]], start: str, target: str) -> bool:
    seen: set[str] = set()
    stack = [d for d in graph.get(start, []) if d != start]
    while stack:
        node = stack.pop()
        if node == target:
            return True
        if node not in seen:
            seen.add(node)
            stack.extend(graph.get(node, []))
    return False


def check_unique_ids(reported: list[IdUse], others: list[Document]) -> Iterator[Finding]:
    """The first file (by path; files outside the selection first) owns an id; later users are reported."""
    owners: dict[str, str] = {}
    for doc in sorted(others, key=lambda d: d.path):
        if isinstance(doc.data.get("id"), str):  # a file that does not pass the schema is reported on its own
            owners.setdefault(doc.data["id"], doc.path)
    for use in sorted(reported, key=lambda u: u.path):
        if use.id in owners:
            yield _finding(
                use.path, use.line, use.column, "id-unique", f"id {use.id} is already used by {owners[use.id]}"
            )
        else:
            owners[use.id] = use.path


# --- settings -----------------------------------------------------------------------------------------------

SETTINGS_FILE = "incidentkb.yml"
WEIGHT_ORDER = IMPACT_LEVELS  # each weight at most the next level's
SETTINGS_TEXT = ("site_name", "company")  # printed on public pages, in the feed and in the report's sentences
# A site URL is pasted into HTML attributes, XML, JSON and YAML: only characters that mean nothing in any of them.
_SITE_URL_PATH = re.compile(r"(?:[A-Za-z0-9._~/-]|%[0-9A-Fa-f]{2})*")
_HOST_NAME = re.compile(r"(?=.{1,253}$)(?:(?!-)[A-Za-z0-9-]{1,63}(?<!-)\.)*(?!-)[A-Za-z0-9-]{1,63}(?<!-)\.?")


def is_settings_file(kb: KnowledgeBase, path: Path) -> bool:
    settings = kb.root / SETTINGS_FILE
    return os.path.abspath(path) == os.path.abspath(settings) or Path(path).resolve() == settings.resolve()


def check_settings(kb: KnowledgeBase) -> list[Finding]:
    """What is wrong with the knowledge base's settings (`incidentkb.yml`); nothing when there is no such file."""
    return load_settings_document(kb)[1]


def load_settings_document(kb: KnowledgeBase) -> tuple[Document | None, list[Finding]]:
    """The settings document (None when absent or unloadable) and its findings, for `validate` and `build` alike:
    the schema, then what a schema cannot say. A value the schema refuses is not checked further."""
    path = kb.root / SETTINGS_FILE
    if not os.path.lexists(path):
        return None, []
    try:
        doc = load_document(path, SETTINGS_FILE, inside=kb.root)
    except LoadError as exc:
        return None, [exc.finding]
    except OSError as exc:
        return None, [_finding(SETTINGS_FILE, 1, 1, "unreadable", f"cannot read file: {exc.strerror}")]
    findings = schema_findings(doc, "settings")  # the loader has refused NaN and infinity already
    refused = {(f.line, f.column) for f in findings}
    findings += [f for f in _settings_problems(doc) if (f.line, f.column) not in refused]
    return doc, sorted(findings)


def _settings_problems(doc: Document) -> Iterator[Finding]:
    report, public = (part if isinstance(part := doc.data.get(key), dict) else {} for key in ("report", "public"))
    timezone = report.get("timezone")
    if isinstance(timezone, str) and (problem := _time_zone_problem(timezone)):
        yield _at(doc, ["report", "timezone"], "settings", problem)
    weights = report.get("weights")
    if isinstance(weights, dict) and (problem := _weights_problem(weights)):
        yield _at(doc, ["report", "weights"], "settings", problem)
    url = public.get("site_url")
    if isinstance(url, str) and (problem := site_url_problem(url)):
        yield _at(doc, ["public", "site_url"], "settings", f"public.site_url: {url!r} {problem}")
    for key in SETTINGS_TEXT:
        text = public.get(key)
        if isinstance(text, str) and (not text.strip() or "\n" in text or "\r" in text or "\t" in text):
            yield _at(doc, ["public", key], "settings", f"public.{key}: must be one line of text, not blank")


def _time_zone_problem(name: str) -> str | None:
    if name == "localtime":
        return "report.timezone: 'localtime' is whatever zone the machine is set to; name the zone, e.g. Europe/Berlin"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # not found; not a key (`../x`); a folder (`America`)
        return f"report.timezone: unknown time zone {name!r}; use an IANA name such as UTC or Europe/Berlin"
    return None


def _weights_problem(weights: dict[str, object]) -> str | None:
    """The weights must not decrease with the impact level (absent ones take the schema's defaults)."""
    properties = load_schema("settings")["properties"]["report"]["properties"]["weights"]["properties"]
    given = [weights.get(level, properties[level]["default"]) for level in WEIGHT_ORDER]
    values = [v for v in given if isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 1]
    if len(values) < len(given):
        return None  # the schema says what is wrong
    if values == sorted(values):
        return None
    shown = ", ".join(f"{level} {value}" for level, value in zip(WEIGHT_ORDER, values, strict=True))
    return (
        "report.weights: must satisfy 0 <= degraded_performance <= partial_outage <= major_outage <= 1 (a worse "
        f"level counts at least as much), got {shown}"
    )


def site_url_problem(url: str) -> str | None:
    """Why `url` cannot be the public site's address (http or https, a folder, nothing that needs quoting), or None."""
    scheme, _, rest = url.partition("://")
    if scheme not in ("http", "https"):
        return "must start with http:// or https://"
    authority, slash, path = rest.partition("/")
    if any(c in url for c in "?#"):
        return "must not have a query (?) or a fragment (#): it is the folder the pages are found under"
    if "@" in authority:
        return "must not hold a user name or password"
    if not slash or not url.endswith("/"):
        return "must end with / (it is the folder the pages are found under)"
    if authority.startswith("["):  # an IPv6 address: [2001:db8::1]:8443
        host, _, after = authority[1:].partition("]")
        colon, port = after[:1], after[1:]
        if after and colon != ":":
            return f"has no valid host: {authority!r}"
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return f"has no valid host: {host!r} is not an IPv6 address"
    else:
        host, colon, port = authority.partition(":")
        if not _HOST_NAME.fullmatch(host):
            return (
                f"has no valid host: {host!r} (letters, digits and hyphens between dots; an international name goes "
                "in its xn-- form)"
            )
    if colon and not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        return f"has no valid port: {port!r}"
    if not _SITE_URL_PATH.fullmatch("/" + path):
        return "may hold only letters, digits, - . _ ~ / and %-escapes after the host (percent-encode the rest)"
    return None
