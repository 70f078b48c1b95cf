"""The policy rules: what a schema cannot say about one record, or about records together. Each rule has a stable
name (docs/policy.md documents every one with a real finding and its fix) and turns a schema-valid document into
findings; generator/validate.py runs them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from generator.findings import Finding, Severity
from generator.loader import Document
from generator.model import parse_time
from generator.vocabulary import IMPACT_LEVELS, MAINTENANCE_UPDATE_STATUSES, OPEN_ACTION_STATUSES, PHASES, SEVERE

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
    started = doc.data.get("started_at")
    if started and started[:10] != file_date:
        yield at(
            doc, ["started_at"], "id-filename", f"started_at is {started[:10]} but the file name is dated {file_date}"
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
        if previous and moment < previous[1]:
            yield at(
                doc,
                [phase],
                "time-order",
                f"{phase} ({doc.data[phase]}) is before {previous[0]} ({doc.data[previous[0]]})",
            )
        previous = (phase, moment)


@incident_rule
def status_consistent(doc: Document, _: Context) -> Iterator[Finding]:
    data = doc.data
    if data["status"] == "resolved" and "resolved_at" not in data:
        yield at(
            doc,
            ["status"],
            "resolved-at-required",
            "a resolved incident needs resolved_at (null if the time is truly unknown)",
        )
    if data["status"] != "resolved" and data.get("resolved_at"):
        yield at(doc, ["resolved_at"], "resolved-at-required", f"resolved_at is set but status is {data['status']!r}")


@incident_rule
def impact_windows_valid(doc: Document, _: Context) -> Iterator[Finding]:
    data = doc.data
    started, resolved = parse_time(data.get("started_at")), parse_time(data.get("resolved_at"))
    for index, window in enumerate(data.get("impact") or []):
        start, end = parse_time(window["start"]), parse_time(window.get("end"))
        assert start is not None  # the schema requires it
        if end is None and data["status"] == "resolved":
            yield at(
                doc, ["impact", index], "open-impact", "a resolved incident cannot have an impact window without an end"
            )
        if end is not None and end <= start:
            yield at(
                doc,
                ["impact", index, "end"],
                "impact-window",
                f"impact window ends ({window['end']}) at or before its start ({window['start']})",
            )
        if started is not None and start < started:
            yield at(
                doc,
                ["impact", index, "start"],
                "impact-window",
                f"impact starts ({window['start']}) before the incident started ({data['started_at']})",
            )
        if resolved is not None and end is not None and end > resolved:
            yield at(
                doc,
                ["impact", index, "end"],
                "impact-window",
                f"impact ends ({window['end']}) after the incident was resolved ({data['resolved_at']})",
            )
    if data["kind"] == "near_miss":
        for index, window in enumerate(data.get("impact") or []):
            if window["level"] not in (None, "degraded_performance"):  # an unassessed level: impact-unassessed
                yield at(
                    doc,
                    ["impact", index, "level"],
                    "near-miss-impact",
                    "a near miss did not affect customers; record it as an incident or lower the level",
                )


@incident_rule
def impact_assessed(doc: Document, _: Context) -> Iterator[Finding]:
    """`level: null` (not assessed yet) is allowed while the incident is open, but publishes and counts nothing;
    a resolved incident says what customers saw."""
    resolved = doc.data["status"] == "resolved"
    levels = ", ".join(IMPACT_LEVELS[:-1]) + " or " + IMPACT_LEVELS[-1]
    for index, window in enumerate(doc.data.get("impact") or []):
        if window["level"] is not None:
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
            if parse_time(entries[index][field_name]) < parse_time(entries[index - 1][field_name]):  # type: ignore[operator]
                yield at(
                    doc,
                    [key, index, field_name],
                    f"{key}-order",
                    f"{key} must be in time order: this entry is earlier than the one before",
                )


@incident_rule
def maintenance_statuses_only_on_maintenance(doc: Document, _: Context) -> Iterator[Finding]:
    if doc.data["kind"] == "maintenance":
        return
    for index, update in enumerate(doc.data.get("updates") or []):
        if update["status"] in MAINTENANCE_UPDATE_STATUSES:
            yield at(
                doc,
                ["updates", index, "status"],
                "maintenance-status",
                f"{update['status']!r} is for planned maintenance; an incident update is investigating, identified, monitoring or resolved",
            )


@incident_rule
def containment_applied_before_removed(doc: Document, _: Context) -> Iterator[Finding]:
    for index, action in enumerate(doc.data.get("containment") or []):
        applied, removed = parse_time(action.get("applied_at")), parse_time(action.get("removed_at"))
        if applied and removed and removed < applied:
            yield at(
                doc,
                ["containment", index, "removed_at"],
                "containment-order",
                f"removed ({action['removed_at']}) before it was applied ({action['applied_at']})",
            )


@incident_rule
def postmortem_complete(doc: Document, _: Context) -> Iterator[Finding]:
    data = doc.data
    if data["status"] != "resolved" or data["severity"] not in SEVERE or data["kind"] != "incident":
        return
    label = f"a resolved {data['severity']}"
    root_cause = data.get("root_cause")
    if not root_cause or not root_cause.get("description") or not root_cause.get("five_whys"):
        yield at(
            doc,
            ["root_cause"] if "root_cause" in data else [],
            "root-cause-required",
            f"{label} needs a root_cause with a description and its five_whys",
        )
    items = data.get("action_items") or []
    if not 2 <= len(items) <= 4:
        yield at(
            doc,
            ["action_items"] if "action_items" in data else [],
            "action-items-count",
            f"{label} needs 2 to 4 action items (has {len(items)}); "
            + (
                "more than that and none get done"
                if len(items) > 4
                else "fewer leaves open what would prevent, detect or limit a repeat"
            ),
        )
    for index, item in enumerate(items):
        for key in ("owner", "due"):
            if not item.get(key):
                yield at(
                    doc,
                    ["action_items", index],
                    "action-item-owner",
                    f"action item {item['title']!r} needs an {key}"
                    if key == "owner"
                    else f"action item {item['title']!r} needs a due date",
                )
    if not data.get("updates"):
        yield at(doc, [], "public-update-required", f"{label} needs at least one public customer update")


@incident_rule
def action_items_not_overdue(doc: Document, context: Context) -> Iterator[Finding]:
    severity = Severity.ERROR if context.strict else Severity.WARNING
    for index, item in enumerate(doc.data.get("action_items") or []):
        due = item.get("due")
        if due and item["status"] in OPEN_ACTION_STATUSES and date.fromisoformat(due) < context.today:
            yield at(
                doc,
                ["action_items", index, "due"],
                "action-item-overdue",
                f"action item {item['title']!r} was due {due} and is still {item['status']}",
                severity,
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
