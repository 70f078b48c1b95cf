"""Validation: the schema, then the policy rules a schema cannot express. Rules turn records into findings.

Each semantic rule has a stable name (documented in docs/policy.md). Everything is collected for all files;
nothing stops at the first error.
"""

from __future__ import annotations

import gc
import hashlib
import ipaddress
import json
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jsonschema_rs

from generator import workers
from generator.findings import Finding, Severity, has_errors
from generator.knowledge_base import SETTINGS_FILE, KnowledgeBase, is_settings_file
from generator.loader import Document, LoadError, Record, decode_record, load_document, parse_document, read_record
from generator.model import parse_time
from generator.policy import Policy, policy_from
from generator.rules import (
    Context,
    IdUse,
    at,
    check_incident,
    check_service,
    check_service_graph,
    check_unique_ids,
    finding,
)
from generator.schemas import (
    Taxonomies,
    compiled_validator,
    effective_schema,
    load_schema,
    taxonomies_from,
    taxonomy_defaults,
)
from generator.vocabulary import IMPACT_LEVELS, PHASES, Vocabulary


@dataclass
class ValidationResult:
    """Every finding, plus the records that passed the schema (the model is built from those)."""

    findings: list[Finding] = field(default_factory=list)
    incidents: list[Record] = field(default_factory=list)
    services: Sequence[Record] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.severity is Severity.ERROR for f in self.findings)


def validate_knowledge_base(
    kb: KnowledgeBase,
    *,
    today: date,
    strict: bool = False,
    paths: Iterable[Path] | None = None,
    keep_incidents: bool = True,
    jobs: int = 1,
    now: datetime | None = None,
    cache: CheckCache | None = None,
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
    settings, settings_findings = load_settings_document(kb)  # read once: its findings, policy and taxonomies
    if paths is None or named_settings:
        result.findings.extend(settings_findings)
    known_services = {p.stem for p in all_services}
    context = Context(
        today=today,
        now=now or datetime.combine(today, time(0), UTC),
        strict=strict,
        known_services=known_services,
        policy=_policy(settings, settings_findings),
        vocabulary=Vocabulary.of(_taxonomies(settings)),  # the schemas' words and incidentkb.yml's taxonomies
        report_zone=_report_zone(settings, settings_findings),
    )
    taxonomies = context.vocabulary.taxonomies
    service_docs = _load_all([p for p in selected if kb.is_service_file(p)], "service", kb, result, taxonomies)
    incident_paths = [p for p in selected if not kb.is_service_file(p)]
    in_one_process = jobs < 2 or len(incident_paths) < PARALLEL_MIN_FILES
    all_checked = CheckedIncidents()
    with _collector_paused():  # the workers' records arrive as millions of new objects, none of them garbage
        for checked in (
            cache.check(incident_paths, kb, context, jobs)
            if cache is not None
            else _check_incidents(incident_paths, kb, context, keep=keep_incidents)
            if in_one_process
            else _check_incidents_in_parallel(incident_paths, kb, context, jobs, keep=keep_incidents)
        ):
            all_checked.add(checked)
    result.findings.extend(all_checked.findings)
    result.incidents = all_checked.records
    for doc in service_docs:
        result.findings.extend(check_service(doc, context))
    graph_docs = service_docs if paths is None else _context_services(kb, service_docs, taxonomies)
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
    paths: list[Path], kb: KnowledgeBase, context: Context, *, keep: bool, raws: Sequence[bytes] | None = None
) -> Iterator[CheckedIncidents]:
    """Check incident files one by one (schema, then the rules); a document is let go after use unless `keep`.
    With `raws`, each file's bytes as read already (CheckCache), which are checked instead of reading it again."""
    with _collector_paused():
        for index, path in enumerate(paths, start=1):
            checked = CheckedIncidents()
            raw = None if raws is None else raws[index - 1]
            doc = _load_schema_valid(path, "incident", kb, checked.findings, context.vocabulary.taxonomies, raw)
            if doc is not None:
                checked.findings.extend(check_incident(doc, context))
                checked.id_uses.append(IdUse(doc.data["id"], doc.path, *doc.locate(["id"])))
                if keep:
                    checked.records.append(doc.record())  # the node tree is let go: findings are made
            yield checked
            if index % _COLLECT_EVERY == 0:
                gc.collect(1)


def _check_chunk(_: None, chunk: tuple[list[Path], KnowledgeBase, Context, bool]) -> CheckedIncidents:
    """One worker's share: the findings and ids of a chunk of files, and their records if kept (the node trees
    stay in the worker)."""
    paths, kb, context, keep = chunk
    merged = CheckedIncidents()
    for checked in _check_incidents(paths, kb, context, keep=keep):
        merged.add(checked)
    return merged


def _check_incidents_in_parallel(
    paths: list[Path], kb: KnowledgeBase, context: Context, jobs: int, *, keep: bool
) -> Iterator[CheckedIncidents]:
    """The same checks in `jobs` forked workers, results in file order; one process where fork is unavailable."""
    chunks = [(paths[i : i + _CHUNK_FILES], kb, context, keep) for i in range(0, len(paths), _CHUNK_FILES)]
    yield from workers.in_order(_check_chunk, chunks, jobs)


class CheckCache:
    """What `incidentkb serve` keeps of each incident file's checks between builds: the findings, id and record of
    a file whose bytes and whose context (the cut-off, the services, the settings) are those of the last build
    are not loaded or checked again. A file is read once per build (read_record: the same refusals of links,
    FIFOs and huge files), and what is checked is those bytes, so an entry always belongs to the bytes it is
    stored under. A file that cannot be read is checked as usual, never kept."""

    def __init__(self) -> None:
        self.context: Context | None = None  # the context of the last build
        self._entries: dict[Path, tuple[bytes, CheckedIncidents]] = {}  # path -> (digest of its bytes, its checks)

    def check(self, paths: list[Path], kb: KnowledgeBase, context: Context, jobs: int) -> list[CheckedIncidents]:
        """Each file's checks, in the order of `paths`, from the cache where its bytes and the context are the last
        build's; the others checked (in workers when they are many)."""
        if context != self.context:
            self._entries.clear()
        self.context = context
        done: list[CheckedIncidents | None] = [None] * len(paths)
        missed: list[tuple[int, bytes, bytes]] = []  # (position, digest, bytes)
        for position, path in enumerate(paths):
            try:
                raw = read_record(path, kb.display(path), inside=kb.root)
            except LoadError:
                continue  # checked below, without bytes: the same finding, never kept
            digest = hashlib.blake2b(raw, digest_size=20).digest()
            kept = self._entries.get(path)
            if kept is not None and kept[0] == digest:
                done[position] = kept[1]
            else:
                missed.append((position, digest, raw))
        unread = [position for position, checked in enumerate(done) if checked is None]
        raws: dict[int, bytes] = {position: raw for position, _, raw in missed}
        todo = [paths[p] for p in unread]
        contents = [raws.get(p) for p in unread]
        for position, checked in zip(unread, self._check(todo, contents, kb, context, jobs), strict=True):
            done[position] = checked
        for position, digest, _ in missed:
            made = done[position]
            assert made is not None
            self._entries[paths[position]] = (digest, made)
        present = set(paths)
        for gone in [path for path in self._entries if path not in present]:
            del self._entries[gone]
        return [checked for checked in done if checked is not None]

    @staticmethod
    def _check(
        paths: list[Path], raws: list[bytes | None], kb: KnowledgeBase, context: Context, jobs: int
    ) -> list[CheckedIncidents]:
        if jobs < 2 or len(paths) < PARALLEL_MIN_FILES:
            return [_check_one(path, raw, kb, context) for path, raw in zip(paths, raws, strict=True)]
        chunks = [
            (paths[i : i + _CHUNK_FILES], raws[i : i + _CHUNK_FILES], kb, context)
            for i in range(0, len(paths), _CHUNK_FILES)
        ]
        return [checked for part in workers.in_order(_check_raw_chunk, chunks, jobs) for checked in part]


def check_incident_file(path: Path, kb: KnowledgeBase, context: Context) -> CheckedIncidents:
    """One incident file's own checks (schema and rules) in `context`, without those that span files (unique ids):
    `incidentkb serve` previews an edited record with them before the whole knowledge base is checked again."""
    return _check_one(path, None, kb, context)


def _check_one(path: Path, raw: bytes | None, kb: KnowledgeBase, context: Context) -> CheckedIncidents:
    """One file's checks, from `raw` (its bytes) when given."""
    merged = CheckedIncidents()
    for checked in _check_incidents([path], kb, context, keep=True, raws=None if raw is None else [raw]):
        merged.add(checked)
    return merged


def _check_raw_chunk(
    _: None, chunk: tuple[list[Path], list[bytes | None], KnowledgeBase, Context]
) -> list[CheckedIncidents]:
    """A worker's share of CheckCache.check: each file's checks apart, so that each can be kept."""
    paths, raws, kb, context = chunk
    return [_check_one(path, raw, kb, context) for path, raw in zip(paths, raws, strict=True)]


@contextmanager
def _collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _load_all(
    paths: list[Path], kind: str, kb: KnowledgeBase, result: ValidationResult, taxonomies: Taxonomies = ()
) -> list[Document]:
    """The documents that load and pass the (effective) schema; everything else becomes findings."""
    loaded = (_load_schema_valid(path, kind, kb, result.findings, taxonomies) for path in paths)
    return [doc for doc in loaded if doc is not None]


def _load_schema_valid(
    path: Path,
    kind: str,
    kb: KnowledgeBase,
    findings: list[Finding],
    taxonomies: Taxonomies = (),
    raw: bytes | None = None,
) -> Document | None:
    """The document if it loads and passes the knowledge base's effective schema (its `taxonomies` added);
    otherwise None, with the reasons added to `findings`. `raw`: the file's bytes, read already (read_record)."""
    try:
        if raw is None:
            doc = load_document(path, kb.display(path), inside=kb.root)
        else:
            doc = parse_document(decode_record(raw, kb.display(path)), kb.display(path))
    except LoadError as exc:
        findings.append(exc.finding)
        return None
    except OSError as exc:
        findings.append(finding(kb.display(path), 1, 1, "unreadable", f"cannot be read: {exc.strerror}"))
        return None
    errors = schema_findings(doc, kind, taxonomies) or unrepresentable_times(doc)
    findings.extend(errors)
    return None if errors else doc


# Every key whose value is a time (the incident schema lists them): a leap second passes the schema's pattern.
TIME_KEYS = frozenset(load_schema("incident")["x-time-keys"]) | frozenset(PHASES)


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
                        found.append(at(doc, [*where, key], "schema", message))
            elif item.__class__ is dict or item.__class__ is list:
                _find_unrepresentable_times(doc, item, [*where, key], found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if item.__class__ is dict or item.__class__ is list:
                _find_unrepresentable_times(doc, item, [*where, index], found)


def _context_services(kb: KnowledgeBase, selected: list[Document], taxonomies: Taxonomies = ()) -> list[Document]:
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
        if not schema_findings(doc, "service", taxonomies):
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


def schema_findings(doc: Document, kind: str, taxonomies: Taxonomies = ()) -> list[Finding]:
    """Schema errors, each pointing at the value (or the unknown key) it concerns. The schema is the effective one
    of the knowledge base (schemas.effective_schema): its `taxonomies` added to the enums."""
    validator = compiled_validator(kind, taxonomies)
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
                    finding(doc.path, line, column, "schema", f"{_json_path([*location, key])}: unknown key {key!r}")
                )
            continue
        line, column = doc.locate(location)
        findings.append(
            finding(doc.path, line, column, "schema", f"{where}: {_schema_message(error, kind, taxonomies)}")
        )
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


def _schema_message(error: jsonschema_rs.ValidationError, kind: str, taxonomies: Taxonomies = ()) -> str:
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
    if error.kind.name == "anyOf" and _schema_node(kind, list(error.schema_path)[:-1], taxonomies).get("x-time"):
        return f"{_shown(error.instance)} is not a time: {TIME_FORMS}"
    if error.kind.name != "enum":
        return error.message
    lifecycle = _schema_node(kind, list(error.schema_path)[:-1], taxonomies).get("x-lifecycle")
    if isinstance(lifecycle, dict):  # update statuses: which ones fit which kind of record
        vocabulary = Vocabulary.of(taxonomies)
        planned, unplanned = vocabulary.maintenance_update_statuses, vocabulary.incident_update_statuses
        return (
            f"{_shown(error.instance)} is not an update status: an incident's is {_either(unplanned)}; planned "
            f"maintenance's is {_either(planned)}"
        )
    options = [option for option in getattr(error.kind, "options") if option is not None]  # noqa: B009
    allowed = _either(options) + (" (or null if not recorded)" if None in getattr(error.kind, "options") else "")  # noqa: B009
    return f"{_shown(error.instance)} is not one of {allowed}"


TIME_FORMS = (
    "write an exact time with its offset (2026-10-14T09:12:00Z), a date only (2026-10-14) or an approximate time "
    "({about: 2026-10-14T09:12:00Z}), in the years 1970 to 2100"
)


def _shown(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)[:120]


def _either(values: Sequence[object]) -> str:
    shown = [json.dumps(value, ensure_ascii=False) for value in values]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"


def _schema_node(kind: str, path: list[str | int], taxonomies: Taxonomies = ()) -> dict[str, object]:
    """The node of the effective schema at a validator's schema path (an empty dict if the path leads nowhere)."""
    node: object = effective_schema(kind, taxonomies)
    for part in path:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and part < len(node)
        ):
            node = node[part]  # type: ignore[index]
        else:
            return {}
    return node if isinstance(node, dict) else {}


def _json_path(parts: list[str | int]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


# --- settings -----------------------------------------------------------------------------------------------

WEIGHT_ORDER = IMPACT_LEVELS  # each weight at most the next level's
SETTINGS_TEXT = ("site_name", "company")  # printed on public pages, in the feed and in the report's sentences
# A site URL is pasted into HTML attributes, XML, JSON and YAML: only characters that mean nothing in any of them.
_SITE_URL_PATH = re.compile(r"(?:[A-Za-z0-9._~/-]|%[0-9A-Fa-f]{2})*")
_HOST_NAME = re.compile(r"(?=.{1,253}$)(?:(?!-)[A-Za-z0-9-]{1,63}(?<!-)\.)*(?!-)[A-Za-z0-9-]{1,63}(?<!-)\.?")


def _policy(settings: Document | None, findings: list[Finding]) -> Policy:
    """The policy profiles the settings give (the defaults where the settings are absent or invalid: their own
    findings say why)."""
    return policy_from(settings.data if settings is not None and not has_errors(findings) else None)


def _taxonomies(settings: Document | None) -> Taxonomies:
    """The taxonomies the settings add (schemas.taxonomies_from: what the settings schema refuses is left out, and
    the settings findings say why)."""
    return taxonomies_from(settings.data.get("taxonomies")) if settings is not None else ()


def _report_zone(settings: Document | None, findings: list[Finding]) -> str:
    """The zone the public tables show times in (UTC where the settings are absent or invalid)."""
    report = settings.data.get("report") if settings is not None and not has_errors(findings) else None
    zone = report.get("timezone") if isinstance(report, dict) else None
    return zone if isinstance(zone, str) else "UTC"


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
        return None, [finding(SETTINGS_FILE, 1, 1, "unreadable", f"cannot be read: {exc.strerror}")]
    findings = schema_findings(doc, "settings")  # the loader has refused NaN and infinity already
    refused = {(f.line, f.column) for f in findings}
    findings += [f for f in _settings_problems(doc) if (f.line, f.column) not in refused]
    return doc, sorted(findings)


def _settings_problems(doc: Document) -> Iterator[Finding]:
    yield from _taxonomy_problems(doc)
    yield from _policy_problems(doc)
    report, public = (part if isinstance(part := doc.data.get(key), dict) else {} for key in ("report", "public"))
    timezone = report.get("timezone")
    if isinstance(timezone, str) and (problem := _time_zone_problem(timezone)):
        yield at(doc, ["report", "timezone"], "settings", problem)
    weights = report.get("weights")
    if isinstance(weights, dict) and (problem := _weights_problem(weights)):
        yield at(doc, ["report", "weights"], "settings", problem)
    url = public.get("site_url")
    if isinstance(url, str) and (problem := site_url_problem(url)):
        yield at(doc, ["public", "site_url"], "settings", f"public.site_url: {url!r} {problem}")
    for key in SETTINGS_TEXT:
        text = public.get(key)
        if isinstance(text, str) and (not text.strip() or "\n" in text or "\r" in text or "\t" in text):
            yield at(doc, ["public", key], "settings", f"public.{key}: must be one line of text, not blank")
    yield from _notify_problems(doc)


def _notify_problems(doc: Document) -> Iterator[Finding]:
    """notify.targets: each name once (the report and --target name them)."""
    notify = doc.data.get("notify")
    targets = notify.get("targets") if isinstance(notify, dict) else None
    seen: set[str] = set()
    for index, target in enumerate(targets if isinstance(targets, list) else []):
        name = target.get("name") if isinstance(target, dict) else None
        if not isinstance(name, str):
            continue
        if name in seen:
            yield at(doc, ["notify", "targets", index, "name"], "settings", f"notify.targets: {name!r} is named twice")
        seen.add(name)


def _policy_problems(doc: Document) -> Iterator[Finding]:
    """A profile's fewest action items cannot exceed its most (the default's value where one is not given)."""
    policy = doc.data.get("policy")
    if not isinstance(policy, dict):
        return
    defaults = Policy().profiles
    for method, given in policy.items():
        postmortem = given.get("postmortem") if isinstance(given, dict) else None
        if not isinstance(postmortem, dict) or method not in defaults:
            continue
        low = postmortem.get("action_items_min", defaults[method].action_items_min)
        high = postmortem.get("action_items_max", defaults[method].action_items_max)
        if isinstance(low, int) and isinstance(high, int) and low > high:
            yield at(
                doc,
                ["policy", method, "postmortem"],
                "settings",
                f"policy.{method}.postmortem: action_items_min ({low}) is more than action_items_max ({high})",
            )


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


def _taxonomy_problems(doc: Document) -> Iterator[Finding]:
    """A taxonomy value that is already one of the schema's: a knowledge base adds values, it cannot redefine one."""
    taxonomies = doc.data.get("taxonomies")
    if not isinstance(taxonomies, dict):
        return
    for taxonomy, values in taxonomies.items():
        if not isinstance(values, dict) or not isinstance(taxonomy, str):
            continue
        try:
            defaults = taxonomy_defaults(taxonomy)
        except KeyError:
            continue  # not a taxonomy: the schema says so
        for name in values:
            if name in defaults:
                line, column = doc.locate(["taxonomies", taxonomy, name], key=True)
                yield finding(
                    doc.path,
                    line,
                    column,
                    "settings",
                    f"taxonomies.{taxonomy}.{name}: {name!r} is already a default value (the incident schema's); "
                    "a knowledge base adds new values only: remove it or choose another name",
                )
