"""The policy rules: what a schema cannot say about one record, or about records together. Each rule has a stable
name (docs/policy.md documents every one with a real finding and its fix) and turns a schema-valid document into
findings; generator/validate.py runs them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from generator.findings import Finding, Severity
from generator.loader import Document
from generator.model import (
    DateOnly,
    impact_minutes,
    is_before,
    measurable,
    measured_windows,
    parse_time,
    stated_differs,
)
from generator.policy import Policy, Profile
from generator.vocabulary import DEFAULT, IMPACT_LEVELS, OPEN_ACTION_STATUSES, PHASES, Vocabulary

INCIDENT_FILE_NAME = re.compile(r"^(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})-[a-z0-9]+(?:-[a-z0-9]+)*\.yaml$")


@dataclass(frozen=True)
class IdUse:
    """Where a record states its id: all that id uniqueness needs once the record itself is checked."""

    id: str
    path: str
    line: int
    column: int


@dataclass(frozen=True)
class Context:
    today: date
    strict: bool
    known_services: set[str]
    policy: Policy = field(default_factory=Policy)
    vocabulary: Vocabulary = DEFAULT  # the knowledge base's words: the schemas' with its taxonomies added

    def profile(self, doc: Document) -> Profile:
        return self.policy.for_record(doc.data)


Rule = Callable[[Document, Context], Iterator[Finding]]
INCIDENT_RULES: list[Rule] = []
SERVICE_RULES: list[Rule] = []


def incident_rule(func: Rule) -> Rule:
    INCIDENT_RULES.append(func)
    return func


def service_rule(func: Rule) -> Rule:
    SERVICE_RULES.append(func)
    return func


def check_incident(doc: Document, context: Context) -> list[Finding]:
    return [finding for rule in INCIDENT_RULES for finding in rule(doc, context)]


def check_service(doc: Document, context: Context) -> list[Finding]:
    return [finding for rule in SERVICE_RULES for finding in rule(doc, context)]


def finding(path: str, line: int, column: int, rule: str, message: str, severity: Severity = Severity.ERROR) -> Finding:
    return Finding(path, line, column, severity, rule, message)


def at(doc: Document, where: list[str | int], rule: str, message: str, severity: Severity = Severity.ERROR) -> Finding:
    line, column = doc.locate(where)
    return finding(doc.path, line, column, rule, message, severity)


# --- incident rules -----------------------------------------------------------------------------------------


@incident_rule
def id_matches_file_name(doc: Document, _: Context) -> Iterator[Finding]:
    name = Path(doc.path).name
    match = INCIDENT_FILE_NAME.match(name)
    if not match:
        yield at(doc, [], "id-filename", f"file name {name!r} must read <YYYY-MM-DD>-<slug>.yaml (lower-case slug)")
        return
    file_date = match["date"]
    folder = Path(doc.path).parent.name
    if folder != file_date[:4]:
        yield at(
            doc,
            ["id"],
            "id-filename",
            f"a file dated {file_date} belongs in incidents/{file_date[:4]}/, not in {folder!r}",
        )
    record_id = doc.data["id"]
    if record_id.split("-")[1] != file_date[:4]:
        yield at(doc, ["id"], "id-filename", f"id {record_id} does not match the year of the file name {name!r}")
    started = parse_time(doc.data.get("started_at"))
    if started is not None and (started_day := started.isoformat()[:10]) != file_date:
        yield at(
            doc, ["started_at"], "id-filename", f"started_at is {started_day} but the file name is dated {file_date}"
        )


@incident_rule
def services_exist(doc: Document, context: Context) -> Iterator[Finding]:
    for index, service in enumerate(doc.data["services"]):
        if service not in context.known_services:
            yield at(
                doc, ["services", index], "unknown-service", f"service {service!r} has no file services/{service}.yaml"
            )
    for index, window in enumerate(doc.data.get("impact") or []):
        if window["service"] not in doc.data["services"]:
            yield at(
                doc,
                ["impact", index, "service"],
                "unknown-service",
                f"impact names {window['service']!r}, which is not in this incident's services",
            )


@incident_rule
def phases_in_order(doc: Document, _: Context) -> Iterator[Finding]:
    previous: tuple[str, datetime] | None = None
    for phase in PHASES:
        moment = parse_time(doc.data.get(phase))
        if moment is None:
            continue  # unknown: nothing to compare
        if previous and is_before(moment, previous[1]):
            yield at(
                doc,
                [phase],
                "time-order",
                f"{phase} ({_written(doc.data[phase])}) is before {previous[0]} ({_written(doc.data[previous[0]])})",
            )
        previous = (phase, moment)


def _written(value: object) -> str:
    """A time as the author wrote it: {about: X} reads "about X"."""
    if isinstance(value, dict):
        return f"about {value.get('about')}"
    return str(value)


@incident_rule
def severity_assessed(doc: Document, context: Context) -> Iterator[Finding]:
    if doc.data["severity"] is None and "severity" in context.profile(doc).requires:
        yield at(
            doc,
            ["severity"],
            "severity-required",
            "a live record needs its severity (SEV1 to SEV4; docs/severity.md); only a reconstructed or imported "
            "record may leave it null",
        )


@incident_rule
def status_consistent(doc: Document, context: Context) -> Iterator[Finding]:
    data = doc.data
    unrecorded = data["status"] == "resolved" and data.get("resolved_at") is None
    if unrecorded and "resolved_at" in context.profile(doc).requires:
        yield at(
            doc,
            ["resolved_at"] if "resolved_at" in data else ["status"],
            "resolved-at-required",
            "a resolved live incident needs resolved_at, when the fix was verified (a date or {about: ...} is "
            "enough); only a reconstructed or imported record may leave it null",
        )
    if data["status"] != "resolved" and data.get("resolved_at"):
        yield at(doc, ["resolved_at"], "resolved-at-required", f"resolved_at is set but status is {data['status']!r}")


def _ends_by_start(start: datetime, end: datetime) -> bool:
    """Whether a window ends at or before it starts; with a date only, whether it ends on an earlier day."""
    if isinstance(start, DateOnly) or isinstance(end, DateOnly):
        return is_before(end, start)
    return end <= start


@incident_rule
def impact_windows_valid(doc: Document, context: Context) -> Iterator[Finding]:
    """Impact lies between the incident's start and resolution, unless its timing says it did not: impact before
    detection may start earlier, residual impact (a backlog) may end later. Both are shown as such."""
    data = doc.data
    started, resolved = parse_time(data.get("started_at")), parse_time(data.get("resolved_at"))
    ends_required = "impact_end" in context.profile(doc).requires
    for index, window in enumerate(data.get("impact") or []):
        start, end = parse_time(window.get("start")), parse_time(window.get("end"))
        timing = window.get("timing", "during")
        if end is None and data["status"] == "resolved" and ends_required:
            yield at(
                doc,
                ["impact", index],
                "open-impact",
                "a resolved live incident cannot have an impact window without an end (an estimate, {about: ...}, "
                "is enough)",
            )
        if start is not None and end is not None and _ends_by_start(start, end):
            yield at(
                doc,
                ["impact", index, "end"],
                "impact-window",
                f"impact window ends ({_written(window['end'])}) at or before its start ({_written(window['start'])})",
            )
        if started is not None and start is not None and is_before(start, started) and timing != "before_detection":
            yield at(
                doc,
                ["impact", index, "start"],
                "impact-window",
                f"impact starts ({_written(window['start'])}) before the incident started "
                f"({_written(data['started_at'])}); if it did (data lost before anyone noticed), say "
                "timing: before_detection",
            )
        if resolved is not None and end is not None and is_before(resolved, end) and timing != "residual":
            yield at(
                doc,
                ["impact", index, "end"],
                "impact-window",
                f"impact ends ({_written(window['end'])}) after the incident was resolved "
                f"({_written(data['resolved_at'])}); if it went on after the fix (a backlog, a product recovering "
                "later), say timing: residual",
            )
        if window.get("kind", "availability") != "availability" and window.get("level") is not None:
            yield at(
                doc,
                ["impact", index, "level"],
                "impact-kind",
                f"level is for availability impact; a {window['kind']} entry says how much in quantities instead",
            )
        elif (
            window.get("kind", "availability") == "availability"
            and window.get("level") is not None
            and not (measurable(start, end) and not (end is None and data["status"] == "resolved"))
            and not (end is None and data["status"] == "resolved" and ends_required)  # open-impact says it
        ):
            yield at(
                doc,
                ["impact", index],
                "impact-unmeasured",
                "this availability window counts for nothing in availability: its start or end is "
                + ("not recorded" if start is None or end is None else "a date only")
                + "; if the sources allow an estimate, write it as {about: <time>}",
                Severity.WARNING,
            )
    if data["kind"] == "near_miss":
        for index, window in enumerate(data.get("impact") or []):
            if window.get("level") not in (None, "degraded_performance"):  # an unassessed level: impact-unassessed
                yield at(
                    doc,
                    ["impact", index, "level"],
                    "near-miss-impact",
                    "a near miss did not affect customers; record it as an incident or lower the level",
                )


@incident_rule
def impact_assessed(doc: Document, context: Context) -> Iterator[Finding]:
    """`level: null` (not assessed yet) is allowed while the incident is open, but publishes and counts nothing;
    a resolved live incident says what customers saw (a record from sources may not know)."""
    resolved = doc.data["status"] == "resolved"
    required = "impact_level" in context.profile(doc).requires
    levels = ", ".join(IMPACT_LEVELS[:-1]) + " or " + IMPACT_LEVELS[-1]
    for index, window in enumerate(doc.data.get("impact") or []):
        if window.get("level") is not None or window.get("kind", "availability") != "availability":
            continue
        if resolved and not required:
            yield at(
                doc,
                ["impact", index, "level"],
                "impact-unassessed",
                f"the level of the impact on {window['service']!r} is not recorded: it is shown, but not published "
                f"and counts for nothing in availability; set it to {levels} if the sources say",
                Severity.WARNING,
            )
            continue
        if resolved:
            yield at(
                doc,
                ["impact", index, "level"],
                "impact-unassessed",
                f"a resolved incident needs the level of every impact window: set the one on {window['service']!r} "
                f"to {levels}",
            )
        else:
            yield at(
                doc,
                ["impact", index, "level"],
                "impact-unassessed",
                f"the impact on {window['service']!r} is not assessed yet: it is not published and counts for "
                f"nothing in availability until its level is set to {levels}",
                Severity.WARNING,
            )


@incident_rule
def updates_in_order(doc: Document, _: Context) -> Iterator[Finding]:
    for key, field_name in (("updates", "at"), ("timeline", "at")):
        entries = doc.data.get(key) or []
        for index in range(1, len(entries)):
            earlier, later = parse_time(entries[index - 1][field_name]), parse_time(entries[index][field_name])
            if earlier is not None and later is not None and is_before(later, earlier):
                yield at(
                    doc,
                    [key, index, field_name],
                    f"{key}-order",
                    f"{key} must be in time order: this entry is earlier than the one before",
                )


@incident_rule
def maintenance_statuses_only_on_maintenance(doc: Document, context: Context) -> Iterator[Finding]:
    """An update status whose lifecycle phase is no incident status (scheduled, in_progress, completed, and any
    status a knowledge base adds with such a phase) belongs to planned maintenance only."""
    if doc.data["kind"] == "maintenance":
        return
    vocabulary = context.vocabulary
    planned = vocabulary.maintenance_update_statuses
    for index, update in enumerate(doc.data.get("updates") or []):
        if update["status"] in planned:
            phases = vocabulary.incident_statuses
            allowed = ", ".join(phases[:-1]) + " or " + phases[-1]
            added = [s for s in vocabulary.incident_update_statuses if s not in DEFAULT.update_statuses]
            phase = vocabulary.phase_of(update["status"])
            yield at(
                doc,
                ["updates", index, "status"],
                "maintenance-status",
                f"{update['status']!r} is for planned maintenance"
                + (f" (its phase is {phase})" if phase != update["status"] else "")
                + f"; an incident update is {allowed}"
                + (f" (or this knowledge base's {', '.join(added)})" if added else ""),
            )


@incident_rule
def containment_applied_before_removed(doc: Document, _: Context) -> Iterator[Finding]:
    for index, action in enumerate(doc.data.get("containment") or []):
        applied, removed = parse_time(action.get("applied_at")), parse_time(action.get("removed_at"))
        if applied and removed and is_before(removed, applied):
            yield at(
                doc,
                ["containment", index, "removed_at"],
                "containment-order",
                f"removed ({_written(action['removed_at'])}) before it was applied ({_written(action['applied_at'])})",
            )


@incident_rule
def postmortem_complete(doc: Document, context: Context) -> Iterator[Finding]:
    """A resolved record of the kinds and severities its policy profile names needs the parts the profile lists
    (for live records by default: a root cause with its five whys, 2 to 4 owned and dated action items, and a
    public update)."""
    data = doc.data
    profile = context.profile(doc)
    if data["status"] != "resolved" or not profile.needs_postmortem(data["kind"], data["severity"]):
        return
    required = profile.postmortem_requires
    label = f"a resolved {data['severity']}"
    root_cause = data.get("root_cause") or {}
    missing = []
    if "root_cause" in required and not root_cause.get("description"):
        missing.append("a description")
    if "five_whys" in required and not root_cause.get("five_whys"):
        missing.append("its five_whys")
    if missing:
        yield at(
            doc,
            ["root_cause"] if "root_cause" in data else [],
            "root-cause-required",
            f"{label} needs a root_cause with {' and '.join(missing)}",
        )
    items = data.get("action_items") or []
    low, high = profile.action_items_min, profile.action_items_max
    if "action_items" in required and (len(items) < low or (high is not None and len(items) > high)):
        wanted = f"{low} to {high}" if high is not None else f"at least {low}"
        yield at(
            doc,
            ["action_items"] if "action_items" in data else [],
            "action-items-count",
            f"{label} needs {wanted} action items (has {len(items)}); "
            + (
                "more than that and none get done"
                if high is not None and len(items) > high
                else "fewer leaves open what would prevent, detect or limit a repeat"
            ),
        )
    for index, item in enumerate(items):
        for key, requirement, need in (
            ("owner", "action_item_owner", "an owner"),
            ("due", "action_item_due", "a due date"),
            ("status", "action_item_status", "a status"),
        ):
            if requirement in required and not item.get(key):
                yield at(
                    doc, ["action_items", index], "action-item-owner", f"action item {item['title']!r} needs {need}"
                )
    if "public_update" in required and not data.get("updates"):
        yield at(doc, [], "public-update-required", f"{label} needs at least one public customer update")


@incident_rule
def action_items_not_overdue(doc: Document, context: Context) -> Iterator[Finding]:
    """Overdue work warns (an error with --strict, or where the profile says error); a record written from
    sources after the fact has nothing overdue (its profile says off)."""
    setting = context.profile(doc).overdue_action_items
    if setting == "off":
        return
    severity = Severity.ERROR if context.strict or setting == "error" else Severity.WARNING
    for index, item in enumerate(doc.data.get("action_items") or []):
        due = item.get("due")
        if due and item.get("status") in OPEN_ACTION_STATUSES and date.fromisoformat(due) < context.today:
            yield at(
                doc,
                ["action_items", index, "due"],
                "action-item-overdue",
                f"action item {item['title']!r} was due {due} and is still {item['status']}",
                severity,
            )


# What each measure of a quantity needs besides its value, and what that key says (the schema lists every key;
# which one applies depends on the measure).
QUANTITY_NEEDS = {
    "share": ("of", "what it is a share of (users, requests, traffic)"),
    "count": ("unit", "what is counted (devices, orders, writes)"),
    "money": ("currency", "its ISO 4217 code (USD, EUR)"),
}


@incident_rule
def quantities_complete(doc: Document, _: Context) -> Iterator[Finding]:
    """A share says of what (and is at most 100%), a count what it counts, money its currency."""
    places: list[tuple[list[str | int], list[dict[str, Any]]]] = [
        (["impact", i], w.get("quantities") or []) for i, w in enumerate(doc.data.get("impact") or [])
    ]
    places += [(["stated", i], e.get("quantities") or []) for i, e in enumerate(doc.data.get("stated") or [])]
    for where, quantities in places:
        for number, quantity in enumerate(quantities):
            key, meaning = QUANTITY_NEEDS[quantity["measure"]]
            if not quantity.get(key):
                yield at(
                    doc,
                    [*where, "quantities", number],
                    "quantity-incomplete",
                    f"a {quantity['measure']} needs `{key}`: {meaning}",
                )
            if quantity["measure"] == "share" and quantity["value"] > 100:
                yield at(
                    doc,
                    [*where, "quantities", number, "value"],
                    "quantity-incomplete",
                    f"a share is a percentage from 0 to 100, not {quantity['value']:g}",
                )


@incident_rule
def stated_duration_agrees(doc: Document, _: Context) -> Iterator[Finding]:
    """A duration a publication states should be the one the record's times give; when they differ, one of them
    is wrong (or they measure different things, which the note should say). Never an error: sources disagree."""
    stated = doc.data.get("stated") or []
    if not stated:
        return
    computed = impact_minutes(measured_windows(doc.data))
    if computed is None:
        return
    for index, entry in enumerate(stated):
        minutes = entry.get("duration_minutes")
        if minutes is None:
            continue
        if stated_differs(minutes, bool(entry.get("approximate")), computed):
            yield at(
                doc,
                ["stated", index, "duration_minutes"],
                "stated-duration",
                f"{entry['source']} states {minutes:g} minutes; the record's impact windows give {computed:.0f} "
                "(check the times, or say in the note what the source measured)",
                Severity.WARNING,
            )


# --- service rules ------------------------------------------------------------------------------------------


@service_rule
def service_id_matches_file(doc: Document, _: Context) -> Iterator[Finding]:
    path = Path(doc.path)
    stem = path.stem
    if path.suffix != ".yaml" or path.parent.name != "services":
        yield at(doc, [], "service-id-filename", f"a service record is services/<id>.yaml, not {doc.path}")
    if doc.data["id"] != stem:
        yield at(doc, ["id"], "service-id-filename", f"id {doc.data['id']!r} must equal the file name {stem!r}")


@service_rule
def public_name_when_listed(doc: Document, _: Context) -> Iterator[Finding]:
    public = doc.data["public"]
    if public["listed"] and not public.get("name"):
        yield at(doc, ["public"], "public-name-required", "a service listed in the public report needs public.name")


@service_rule
def dependencies_exist(doc: Document, context: Context) -> Iterator[Finding]:
    for index, dependency in enumerate(doc.data.get("depends_on") or []):
        if dependency not in context.known_services:
            yield at(
                doc,
                ["depends_on", index],
                "unknown-service",
                f"depends on {dependency!r}, which has no file services/{dependency}.yaml",
            )
        elif dependency == doc.data["id"]:
            yield at(doc, ["depends_on", index], "dependency-cycle", "a service cannot depend on itself")


def check_service_graph(docs: list[Document], known: set[str]) -> Iterator[Finding]:
    """Dependency cycles make blast radius and escalation ambiguous: report each service on a cycle once."""
    graph = {doc.data["id"]: [d for d in doc.data.get("depends_on") or [] if d in known] for doc in docs}
    by_id = {doc.data["id"]: doc for doc in docs}
    for service_id, doc in by_id.items():
        if _reaches(graph, service_id, service_id):
            yield at(
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
            yield finding(
                use.path, use.line, use.column, "id-unique", f"id {use.id} is already used by {owners[use.id]}"
            )
        else:
            owners[use.id] = use.path
