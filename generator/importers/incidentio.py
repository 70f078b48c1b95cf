"""incident.io (API v2) to incidentkb records: `incidentkb import incidentio SOURCE`.

A pure translation: `translate` takes the parsed JSON documents of `GET /v2/incidents` (one per page; the pages are
concatenated, and an incident on two pages is kept once, as first seen) and of `GET /v2/follow_ups`, each with the
display name of its file, and returns our services and incidents. Nothing is read or written here and nothing is
invented: what incident.io does not hold is null or absent, and what it holds that has no home in our records is
named in `Translation.unmapped`. A document that is neither of the two, or is malformed, raises SourceError naming
the file and the JSON path (`incidents.json: incidents[3].incident_timestamp_values: expected a list`).

| incident.io (IncidentV2, FollowUpV2) | incidentkb record |
| --- | --- |
| `id` | SourceRecord.key and provenance.source.id |
| `permalink` | provenance.source.url (only there) |
| `reference` (INC-104), status and severity names, roles other than the lead | provenance.notes ("incident.io reference INC-104. ...") |
| `name` | title; over 160 characters it is cut at a word with "…" (the full name goes to the notes; unmapped line) |
| `severity.name` | severity: Critical SEV1, Major SEV2, Minor SEV3; SEV1-SEV4, P1-P4, "Sev 2" as numbered; anything else null (unmapped line) |
| `incident_status.category` | status: triage and paused investigating; learning and closed resolved; live by the status name: "monitor" monitoring, "fix" or "identif" identified, else investigating |
| category declined, canceled, merged; `mode` test, tutorial | not imported (unmapped line each); standard and retrospective incidents are |
| (always) | kind: incident |
| timestamp "Impact started at" | started_at |
| timestamp "Reported at" | detected_at; when unset, `created_at` (said in the notes) unless that breaks the order of the phases |
| timestamp "Accepted at" | acknowledged_at |
| timestamp "Fixed at" | mitigated_at |
| timestamp "Resolved at" | resolved_at; "Closed at" when Resolved is unset and the category is closed; in the timeline instead when the incident is not resolved |
| every other timestamp with a value | timeline: {at, event: "Identified (incident.io timestamp)"}, in time order; so is a phase that incident.io has before the phase preceding it (said in the notes) |
| custom field "Affected services" (catalog entries or options) | services: one imported service each (key: the entry's or option's id), listed: false; none: the service "unassigned", which then carries the windows too (unmapped line) |
| custom field "Customer impact" | impact level: Full outage major_outage, Partial outage partial_outage, Degraded performance degraded_performance, unset null; No customer impact: no windows |
| "Impact started at" to "Fixed at", else "Resolved at", else open | impact: one window per affected service, all alike; none without Impact started at |
| `summary` | summary.internal; summary.public is null (written for responders, never published by default) |
| other single- or multi-select custom fields | tags `<field>-<value>` (lower-case, dashes, at most 64 characters); a value that makes no tag: unmapped line |
| text, link or numeric custom field named "Root cause" | root_cause: {category: null, description} |
| other text, link or numeric custom fields | summary.internal, one paragraph "Field name: value" each |
| `incident_type.name` | tag `type-<name>` |
| role whose role_type is "lead" | postmortem.incident_commander |
| `postmortem_document_url` | evidence: {title: "Post-mortem document (incident.io)", url, kind: document} |
| follow-ups, matched by `incident_id`, in `created_at` order | action_items: {title, owner: assignee.name, due: null, status, kind: null, link: external_issue_reference.issue_permalink} |
| follow-up `status` | outstanding open, completed done, not_doing wont_do; deleted: left out (unmapped line) |
| `call_url`, `slack_channel_*`, `slack_team_id`, `workload_minutes_*`, `duration_metrics`, `visibility`, `creator`, `has_debrief`, `external_issue_reference` | nowhere: one unmapped line per field, with how many imported incidents had a value |
| follow-up `priority`, `labels`, `description`, `completed_at`, `creator` | nowhere: one unmapped line per field, with how many action items it concerns |
| `created_at` (unless needed), `updated_at` | not kept: incident.io's bookkeeping of its own record |
| any other field | one unmapped line per field ("not known to this importer") |

The services are `listed: false`: incident.io does not say which services customers see on a status page, so a
person decides what the public report lists. Every time is kept exactly as incident.io wrote it (RFC 3339 with its
offset). incident.io gives no per-service timing, so every affected service gets the same window.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NoReturn

from generator.importers import (
    SourceError,
    SourceRecord,
    Translation,
    imported_provenance,
    imported_service,
)

SYSTEM = "incident.io"
SOURCE = "incidentio"

# The schema's limits (schemas/incident.schema.json) for the fields this translator fills.
TITLE_LIMIT = 160
TEXT_LIMIT = 10_000
LINE_LIMIT = 500
ACTION_TITLE_LIMIT = 500
URL_LIMIT = 2000
TAG_LIMIT = 64
SERVICE_NAME_LIMIT = 200

# The schema's exact_time: RFC 3339 with an explicit offset, in the years 1970 to 2100.
EXACT_TIME = re.compile(
    r"^(19[7-9][0-9]|20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
HTTP_URL = re.compile(r"^https?://")
TAG = re.compile(r"^[a-z0-9][a-z0-9-]*$")

LAST = datetime.max.replace(tzinfo=UTC)  # sorts after every real time

SEVERITY_BY_NAME = {"critical": "SEV1", "major": "SEV2", "minor": "SEV3"}
SEVERITY_NUMBERED = re.compile(r"^(?:sev|p)[\s_-]*([1-4])(?![0-9])")  # SEV1, Sev 2, P3, SEV-4 - Minor
STATUS_BY_CATEGORY = {
    "triage": "investigating",
    "paused": "investigating",
    "learning": "resolved",
    "closed": "resolved",
}
NOT_INCIDENTS = {
    "declined": "declined in incident.io, not an incident",
    "canceled": "canceled in incident.io, not an incident",
    "merged": "merged into another incident in incident.io",
}
MODES_NOT_IMPORTED = {"test": "a test incident", "tutorial": "a tutorial incident"}
IMPACT_LEVELS = {
    "full outage": "major_outage",
    "partial outage": "partial_outage",
    "degraded performance": "degraded_performance",
}
NO_CUSTOMER_IMPACT = "no customer impact"
ACTION_STATUS = {  # incident.io's follow-up statuses, and ours
    "outstanding": "open",
    "completed": "done",
    "not_doing": "wont_do",
}

# Timestamp names, lower-case and without " at", that fill a phase of our record.
PHASE_OF_TIMESTAMP = {
    "impact started": "started_at",
    "reported": "detected_at",
    "accepted": "acknowledged_at",
    "fixed": "mitigated_at",
    "resolved": "resolved_at",
}
PHASES = ("started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at")

AFFECTED_SERVICES_FIELDS = {"affected services", "affected service"}
CUSTOMER_IMPACT_FIELD = "customer impact"
UNASSIGNED = ("unassigned", "Unassigned")  # key and name of the placeholder service

# What this translator does with each key of an incident and of a follow-up: read (mapped), counted into one
# unmapped line (no home in our records), or left alone (incident.io's bookkeeping). Any other key is counted as
# unknown, so that a field incident.io adds later is never dropped without a word.
INCIDENT_MAPPED = frozenset(
    {
        "id",
        "reference",
        "name",
        "permalink",
        "severity",
        "incident_status",
        "mode",
        "incident_type",
        "incident_timestamp_values",
        "custom_field_entries",
        "incident_role_assignments",
        "summary",
        "postmortem_document_url",
    }
)
INCIDENT_NO_HOME = frozenset(
    {
        "call_url",
        "slack_channel_id",
        "slack_channel_name",
        "slack_team_id",
        "workload_minutes_late",
        "workload_minutes_sleeping",
        "workload_minutes_total",
        "workload_minutes_working",
        "duration_metrics",
        "visibility",
        "external_issue_reference",
        "creator",
        "has_debrief",
    }
)
INCIDENT_BOOKKEEPING = frozenset({"created_at", "updated_at"})  # created_at: only as detected_at's fallback
FOLLOW_UP_MAPPED = frozenset({"id", "incident_id", "title", "assignee", "status", "external_issue_reference"})
FOLLOW_UP_NO_HOME = frozenset({"priority", "labels", "description", "completed_at", "creator"})
FOLLOW_UP_BOOKKEEPING = frozenset({"created_at", "updated_at"})  # created_at orders the action items


# --- reading the source: every value with the place it came from -------------------------------------------


@dataclass(frozen=True)
class Node:
    """A value in a source document and where it is, so that every complaint names the file and the JSON path."""

    file: str
    path: str
    value: Any

    def fail(self, problem: str) -> NoReturn:
        raise SourceError(f"{self.file}: {self.path or '(top level)'}: {problem}")

    def key(self, name: str) -> Node:
        """The value under `name`, None when absent. The node must be an object."""
        if not isinstance(self.value, dict):
            self.fail("expected an object")
        return Node(self.file, f"{self.path}.{name}" if self.path else name, self.value.get(name))

    def obj(self) -> Node | None:
        """This node if it is an object, None when null or absent."""
        if self.value is None:
            return None
        if not isinstance(self.value, dict):
            self.fail("expected an object")
        return self

    def items(self) -> list[Node]:
        """The entries of a list (none when null or absent)."""
        if self.value is None:
            return []
        if not isinstance(self.value, list):
            self.fail("expected a list")
        return [Node(self.file, f"{self.path}[{index}]", item) for index, item in enumerate(self.value)]

    def text(self) -> str | None:
        if self.value is None:
            return None
        if not isinstance(self.value, str):
            self.fail("expected a string")
        return self.value

    def required_text(self) -> str:
        value = self.text()
        if value is None or not value.strip():
            self.fail("required, but missing or empty")
        return value

    def time(self) -> str | None:
        """A time exactly as the source writes it, checked to be RFC 3339 with an offset."""
        value = self.text()
        if value is not None and _moment(value) is None:
            self.fail(f"expected an RFC 3339 time with an offset (e.g. 2025-09-01T23:45:00Z), got {value!r}")
        return value

    def scalar_text(self) -> str | None:
        """A string or a number, as text (incident.io sends numeric custom field values as strings)."""
        if isinstance(self.value, bool):
            self.fail("expected a string or a number")
        if isinstance(self.value, int | float):
            return str(self.value)
        return self.text()


def _moment(value: str) -> datetime | None:
    """The instant an exact time names, or None if it is not one the schema accepts."""
    if not EXACT_TIME.match(value):
        return None
    try:
        return datetime.fromisoformat(value[:10] + "T" + value[11:].upper())
    except ValueError:
        return None


def _when(value: str) -> datetime:
    moment = _moment(value)
    assert moment is not None  # every stored time went through Node.time
    return moment


# --- small text helpers -------------------------------------------------------------------------------------


def slug(text: str) -> str:
    """Lower-case ASCII words joined by dashes: accents are folded ("Tomás" -> "tomas"), the rest is a dash."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


def cut(text: str, limit: int) -> str:
    """`text` if it fits, else cut at the last word that fits, with "…"."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    if " " in head.strip():
        head = head.rsplit(" ", 1)[0]
    return head.rstrip() + "…"


def timestamp_name(name: str) -> str:
    """A timestamp's name as matched: lower-case, without a trailing "at" ("Impact started at" -> "impact started")."""
    return re.sub(r"\s+at$", "", name.strip().lower())


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def has_value(value: Any) -> bool:
    """Whether a field holds anything: null, empty and false hold nothing; zero is a value."""
    return value is not None and value is not False and value != "" and value != [] and value != {}


def severity_for(name: str) -> str | None:
    key = name.strip().lower()
    if key in SEVERITY_BY_NAME:
        return SEVERITY_BY_NAME[key]
    numbered = SEVERITY_NUMBERED.match(key)
    return f"SEV{numbered[1]}" if numbered else None


def live_status(name: str) -> str:
    """Our status for an active ("live") incident.io status, from its name, which each organisation chooses."""
    lowered = name.lower()
    if "monitor" in lowered:
        return "monitoring"
    if "fix" in lowered or "identif" in lowered:
        return "identified"
    return "investigating"


# --- the services the incidents name ------------------------------------------------------------------------


@dataclass
class ServiceRegistry:
    """One imported service per catalog entry (or option), with an id of its own even when two names slug alike
    (the later one gets -2). Services are kept in the order the imported incidents first name them."""

    by_key: dict[str, SourceRecord] = field(default_factory=dict)
    unmapped: list[str] = field(default_factory=list)

    def id_for(self, key: str, name: str) -> str:
        if key not in self.by_key:
            fitted = cut(name, SERVICE_NAME_LIMIT)
            if fitted != name:
                self.unmapped.append(f"service {name[:60]!r}…: name longer than {SERVICE_NAME_LIMIT} characters; cut")
            service = imported_service(SYSTEM, key, fitted, listed=False)
            service.record["id"] = self._free_id(service.record["id"])
            self.by_key[key] = service
        return str(self.by_key[key].record["id"])

    def _free_id(self, wanted: str) -> str:
        taken = {service.record["id"] for service in self.by_key.values()}
        number, candidate = 2, wanted
        while candidate in taken:
            suffix = f"-{number}"
            candidate, number = wanted[: 64 - len(suffix)] + suffix, number + 1
        return candidate

    def records(self) -> list[SourceRecord]:
        return list(self.by_key.values())


# --- one incident ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stamp:
    """One incident.io timestamp that has a value."""

    name: str
    value: str
    order: int  # its place in the source, to keep equal times in the source's order

    @property
    def matched(self) -> str:
        return timestamp_name(self.name)

    def event(self) -> dict[str, str]:
        label = re.sub(r"\s+at$", "", self.name.strip(), flags=re.IGNORECASE) or self.name
        return {"at": self.value, "event": f"{label} (incident.io timestamp)"}


@dataclass(frozen=True)
class Window:
    """When the impact ran, as incident.io's timestamps give it; end None while it is open."""

    start: str
    end: str | None


@dataclass
class CustomFields:
    """What an incident's custom fields give: services, the impact level, tags, root cause, summary paragraphs."""

    services: list[tuple[str, str]] = field(default_factory=list)  # (key, name) in source order
    impact: list[str] = field(default_factory=list)  # the "Customer impact" values
    tags: list[str] = field(default_factory=list)
    root_causes: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)


def read_custom_fields(entries: list[Node], label: str) -> CustomFields:
    fields = CustomFields()
    for entry in entries:
        name = entry.key("custom_field").key("name").required_text()
        kind = name.strip().lower()
        for value in entry.key("values").items():
            if kind in AFFECTED_SERVICES_FIELDS:
                read_service_value(value, name, label, fields)
            elif kind == CUSTOMER_IMPACT_FIELD:
                read_impact_value(value, name, label, fields)
            else:
                read_other_value(value, name, label, fields)
    return fields


def selected(value: Node) -> tuple[str, str] | None:
    """The (id, name) of a selected catalog entry or option, None if the value is not a selection."""
    entry = value.key("value_catalog_entry").obj()
    if entry is not None:
        return entry.key("id").required_text(), entry.key("name").required_text().strip()
    option = value.key("value_option").obj()
    if option is not None:
        return option.key("id").required_text(), option.key("value").required_text().strip()
    return None


def written(value: Node) -> str | None:
    """The text of a text, link or numeric value, None if the value is none of these."""
    for key in ("value_text", "value_link", "value_numeric"):
        text = value.key(key).scalar_text()
        if text is not None:
            return text
    return None


def read_service_value(value: Node, field_name: str, label: str, fields: CustomFields) -> None:
    choice = selected(value)
    if choice is None:
        fields.unmapped.append(f"{label}: a {field_name!r} value that is not a catalog entry or option; not imported")
    elif choice not in fields.services:
        fields.services.append(choice)


def read_impact_value(value: Node, field_name: str, label: str, fields: CustomFields) -> None:
    choice = selected(value)
    text = choice[1] if choice else written(value)
    if text is None:
        fields.unmapped.append(f"{label}: a {field_name!r} value of a kind this importer does not know; not imported")
    else:
        fields.impact.append(text)


def read_other_value(value: Node, field_name: str, label: str, fields: CustomFields) -> None:
    choice = selected(value)
    if choice is not None:
        add_tag(
            f"{slug(field_name)}-{slug(choice[1])}", f"{field_name}: {choice[1]}", label, fields.tags, fields.unmapped
        )
        return
    text = written(value)
    if text is None:
        fields.unmapped.append(f"{label}: a {field_name!r} value of a kind this importer does not know; not imported")
    elif not text.strip():
        return
    elif slug(field_name).startswith("root-cause"):
        fields.root_causes.append(text.strip())
    else:
        fields.paragraphs.append(f"{field_name}: {text.strip()}")


def add_tag(tag: str, what: str, label: str, tags: list[str], unmapped: list[str]) -> None:
    """Add `tag` once; a value that makes no valid tag (nothing left of it, or too long) is named in unmapped."""
    if TAG.match(tag) and len(tag) <= TAG_LIMIT and not tag.endswith("-"):
        if tag not in tags:
            tags.append(tag)
    else:
        unmapped.append(f"{label}: {what!r} cannot become a tag (lower-case letters, digits, dashes, at most 64)")


@dataclass
class IncidentTranslator:
    """Turns one IncidentV2 into a record; collects its own unmapped lines and provenance notes."""

    node: Node
    key: str = ""
    reference: str = ""
    name: str = ""
    label: str = ""  # how unmapped lines name the incident: "INC-104 (Webhook deliveries failing for EU ...)"
    unmapped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.key = self.node.key("id").required_text()
        self.reference = self.node.key("reference").text() or self.key
        self.name = self.node.key("name").required_text().strip()
        self.label = f"{self.reference} ({cut(self.name, 60)})"

    def not_imported(self) -> str | None:
        """Why this incident is none of ours (a test, a declined report), or None."""
        mode = self.node.key("mode").text() or "standard"
        if mode in MODES_NOT_IMPORTED:
            return f"{self.label}: {MODES_NOT_IMPORTED[mode]} in incident.io; not imported"
        category = self.category()
        if category in NOT_INCIDENTS:
            return f"{self.label}: {NOT_INCIDENTS[category]}; not imported"
        if category not in STATUS_BY_CATEGORY and category != "live":
            return f"{self.label}: status category {category!r} is not one incident.io documents; not imported"
        return None

    def category(self) -> str:
        return self.node.key("incident_status").key("category").required_text()

    def translate(self, services: ServiceRegistry, action_items: list[dict[str, Any]] | None) -> SourceRecord:
        """The record; `action_items` is None when no follow-ups document was given (then they are not known)."""
        self.notes.append(f"incident.io reference {self.reference}.")
        if self.node.key("mode").text() == "retrospective":
            self.notes.append("Declared retrospectively in incident.io.")
        status = self.status()
        severity = self.severity()
        fields = read_custom_fields(self.node.key("custom_field_entries").items(), self.label)
        self.unmapped += fields.unmapped
        service_ids = self.service_ids(fields, services)
        phases, timeline, window = self.times(status)
        impact = self.impact(service_ids, window, fields.impact)
        root_cause = self.fit_text("\n\n".join(fields.root_causes)) if fields.root_causes else None
        commander = self.roles()
        evidence = self.evidence()
        tags = self.tags(fields.tags)
        record: dict[str, Any] = {
            "title": self.title(),
            "severity": severity,
            "status": status,
            "kind": "incident",
            "services": service_ids,
            **phases,
            "provenance": self.provenance(has_windows=bool(impact)),
        }
        # The optional parts in the schema's order; an empty one is left out (nothing recorded).
        optional: dict[str, Any] = {
            "postmortem": {"incident_commander": commander} if commander else None,
            "impact": impact,
            "summary": {"public": None, "internal": self.internal_summary(fields.paragraphs)},
            "root_cause": {"category": None, "description": root_cause} if root_cause else None,
            "evidence": evidence,
            "timeline": timeline,
            "action_items": action_items,
            "tags": tags,
        }
        always = {"impact", "summary"} | ({"action_items"} if action_items is not None else set())
        record |= {key: value for key, value in optional.items() if key in always or value}
        return SourceRecord(key=self.key, record=record)

    def status(self) -> str:
        name = self.node.key("incident_status").key("name").text() or ""
        category = self.category()
        self.notes.append(f"Status in incident.io: {name or '(no name)'} ({category}).")
        return live_status(name) if category == "live" else STATUS_BY_CATEGORY[category]

    def title(self) -> str:
        title = cut(self.name, TITLE_LIMIT)
        if title != self.name:
            self.notes.append(f"Full name in incident.io: {self.name}")
            self.unmapped.append(
                f"{self.label}: name longer than {TITLE_LIMIT} characters; the title is cut, the full name is in "
                "provenance.notes"
            )
        return title

    def severity(self) -> str | None:
        severity = self.node.key("severity").obj()
        if severity is None:
            return None
        name = severity.key("name").required_text()
        ours = severity_for(name)
        self.notes.append(f"Severity in incident.io: {name}.")
        if ours is None:
            self.unmapped.append(f"{self.label}: severity {name!r} has no SEV1-SEV4 equivalent; severity left null")
        return ours

    def service_ids(self, fields: CustomFields, services: ServiceRegistry) -> list[str]:
        if not fields.services:
            self.unmapped.append(
                f"{self.label}: no 'Affected services' value; it and its impact windows are filed under the service "
                "'unassigned', for a person to replace with the right one"
            )
            return [services.id_for(*UNASSIGNED)]
        return list(dict.fromkeys(services.id_for(key, name) for key, name in fields.services))

    # --- times

    def stamps(self) -> list[Stamp]:
        """The timestamps that have a value, in the source's order."""
        stamps = []
        for order, entry in enumerate(self.node.key("incident_timestamp_values").items()):
            name = entry.key("incident_timestamp").key("name").required_text()
            holder = entry.key("value").obj()
            value = holder.key("value").time() if holder else None
            if value is not None:
                stamps.append(Stamp(name, value, order))
        return stamps

    def times(self, status: str) -> tuple[dict[str, str | None], list[dict[str, str]], Window | None]:
        """The phases, the timeline (every timestamp no phase took, in time order) and the impact window."""
        stamps = self.stamps()
        first: dict[str, Stamp] = {}
        for stamp in stamps:
            first.setdefault(stamp.matched, stamp)
        phases = {PHASE_OF_TIMESTAMP[name]: stamp for name, stamp in first.items() if name in PHASE_OF_TIMESTAMP}
        if "resolved_at" not in phases and "closed" in first and self.category() == "closed":
            phases["resolved_at"] = first["closed"]
            self.notes.append("resolved_at is incident.io's Closed at: Resolved at is not set.")
        if "resolved_at" in phases and status != "resolved":  # rule resolved-at-required: only a resolved one has it
            stamp = phases.pop("resolved_at")
            self.notes.append(
                f"{stamp.name} ({stamp.value}) is kept in the timeline: the incident is not resolved in incident.io."
            )
        self.drop_out_of_order(phases)
        taken = set(phases.values())
        timeline = sorted((s for s in stamps if s not in taken), key=lambda s: (_when(s.value), s.order))
        values: dict[str, str | None] = {phase: phases[phase].value if phase in phases else None for phase in PHASES}
        if "reported" not in first:
            values["detected_at"] = self.detected_fallback(values)
        return values, [stamp.event() for stamp in timeline], self.window(first)

    def drop_out_of_order(self, phases: dict[str, Stamp]) -> None:
        """Our phases run in order (rule time-order); one that incident.io has earlier than the phase before it is
        kept in the timeline instead, and the notes say so."""
        previous: Stamp | None = None
        for phase in PHASES:
            stamp = phases.get(phase)
            if stamp is None:
                continue
            if previous is not None and _when(stamp.value) < _when(previous.value):
                del phases[phase]
                self.notes.append(
                    f"{stamp.name} ({stamp.value}) is before {previous.name} ({previous.value}) in incident.io, so it "
                    f"is kept in the timeline, not as {phase}."
                )
                continue
            previous = stamp

    def detected_fallback(self, values: dict[str, str | None]) -> str | None:
        """created_at stands in for an unset Reported at (the writer dates the file from it when nothing else is
        known), unless it would break the order of the phases (a retrospective incident is created afterwards)."""
        created = self.node.key("created_at").time()
        if created is None:
            return None
        started = values["started_at"]
        later = [value for phase in PHASES[2:] if (value := values[phase]) is not None]
        if (started and _when(created) < _when(started)) or any(_when(created) > _when(value) for value in later):
            self.notes.append(
                f"Reported at is not set, and created_at ({created}) is out of order with the other times: "
                "detected_at is null."
            )
            return None
        self.notes.append(f"Reported at is not set; detected_at is when the incident was created ({created}).")
        return created

    @staticmethod
    def window(first: dict[str, Stamp]) -> Window | None:
        """From Impact started at to Fixed at, else Resolved at, else open; none without Impact started at."""
        start = first.get("impact started")
        if start is None:
            return None
        end = first.get("fixed") or first.get("resolved")
        return Window(start.value, end.value if end else None)

    def impact(self, service_ids: list[str], window: Window | None, values: list[str]) -> list[dict[str, Any]]:
        """One window per affected service, all alike: incident.io gives no per-service timing."""
        if any(value.strip().lower() == NO_CUSTOMER_IMPACT for value in values):
            return []
        level = self.level(values)
        if window is None:
            if level is not None:
                self.unmapped.append(
                    f"{self.label}: Customer impact {values[0]!r} but no Impact started at; no impact window"
                )
            return []
        if window.end is not None and _when(window.end) <= _when(window.start):
            self.unmapped.append(
                f"{self.label}: the impact would end ({window.end}) at or before it started ({window.start}); "
                "no impact window"
            )
            return []
        end = {"end": window.end} if window.end is not None else {}  # absent: still open
        return [{"service": service, "level": level, "start": window.start, **end} for service in service_ids]

    def level(self, values: list[str]) -> str | None:
        """The impact level "Customer impact" names; a value that names none is an unmapped line."""
        known = []
        for value in values:
            level = IMPACT_LEVELS.get(value.strip().lower())
            if level is None:
                self.unmapped.append(f"{self.label}: Customer impact {value!r} has no impact level; level left null")
            else:
                known.append(level)
        return known[0] if known else None

    # --- people, prose and links

    def roles(self) -> str | None:
        """The lead's name (the incident commander); every other role goes to the notes."""
        commander, others = None, []
        for assignment in self.node.key("incident_role_assignments").items():
            role = assignment.key("role")
            role_name = role.key("name").text() or "(unnamed role)"
            assignee = assignment.key("assignee").obj()
            person = assignee.key("name").text() if assignee else None
            if not person:
                continue  # an empty role: nothing recorded
            if role.key("role_type").text() == "lead" and commander is None:
                commander = cut(person, LINE_LIMIT)
                self.notes.append(f"incident_commander is the {role_name} in incident.io.")
            else:
                others.append(f"{role_name}: {person}")
        if others:
            self.notes.append(f"Roles in incident.io: {', '.join(others)}.")
        return commander

    def internal_summary(self, paragraphs: list[str]) -> str | None:
        summary = (self.node.key("summary").text() or "").strip()
        text = "\n\n".join(part for part in (summary, *paragraphs) if part)
        return self.fit_text(text) if text else None

    def fit_text(self, text: str) -> str:
        fitted = cut(text, TEXT_LIMIT)
        if fitted != text:
            self.unmapped.append(f"{self.label}: text longer than {TEXT_LIMIT:,} characters; cut")
        return fitted

    def evidence(self) -> list[dict[str, str]]:
        url = self.node.key("postmortem_document_url").text()
        if not url or not self.usable_url(url, "postmortem_document_url"):
            return []
        return [{"title": "Post-mortem document (incident.io)", "url": url, "kind": "document"}]

    def usable_url(self, url: str, what: str) -> bool:
        if HTTP_URL.match(url) and len(url) <= URL_LIMIT:
            return True
        self.unmapped.append(
            f"{self.label}: {what} {url[:80]!r} is not an http(s) address of at most 2,000 characters; not imported"
        )
        return False

    def tags(self, field_tags: list[str]) -> list[str]:
        tags: list[str] = []
        incident_type = self.node.key("incident_type").obj()
        type_name = incident_type.key("name").text() if incident_type else None
        if type_name:
            add_tag(f"type-{slug(type_name)}", f"incident type {type_name}", self.label, tags, self.unmapped)
        return list(dict.fromkeys(tags + field_tags))

    def provenance(self, *, has_windows: bool) -> dict[str, Any]:
        permalink = self.node.key("permalink").text()
        url = permalink if permalink and self.usable_url(permalink, "permalink") else None
        if has_windows:
            self.notes.append(
                "The impact windows run from Impact started at to Fixed at (or Resolved at), the same for every "
                "affected service: incident.io gives no per-service timing."
            )
        return imported_provenance(SYSTEM, self.key, url=url, notes=cut(" ".join(self.notes), TEXT_LIMIT))


# --- follow-ups -----------------------------------------------------------------------------------------------


def action_item(follow_up: Node, label: str, unmapped: list[str]) -> dict[str, Any] | None:
    """The action item a follow-up makes, or None (deleted, or no title) with the reason in unmapped."""
    title = (follow_up.key("title").text() or "").strip()
    status = follow_up.key("status").text()
    ident = follow_up.key("id").required_text()
    if status == "deleted":
        unmapped.append(f"follow-up {ident} ({cut(title, 60)!r}) of {label}: deleted in incident.io; left out")
        return None
    if not title:
        unmapped.append(f"follow-up {ident} of {label}: no title; left out")
        return None
    if status is not None and status not in ACTION_STATUS:
        unmapped.append(f"follow-up {ident} of {label}: status {status!r} has no equivalent; status left null")
    if len(title) > ACTION_TITLE_LIMIT:
        unmapped.append(f"follow-up {ident} of {label}: title longer than {ACTION_TITLE_LIMIT} characters; cut")
    assignee = follow_up.key("assignee").obj()
    owner = assignee.key("name").text() if assignee else None
    return {
        "title": cut(title, ACTION_TITLE_LIMIT),
        "owner": cut(owner, LINE_LIMIT) if owner else None,
        "due": None,
        "status": ACTION_STATUS.get(status or ""),
        "kind": None,
        "link": issue_link(follow_up, ident, label, unmapped),
    }


def issue_link(follow_up: Node, ident: str, label: str, unmapped: list[str]) -> str | None:
    reference = follow_up.key("external_issue_reference").obj()
    link = reference.key("issue_permalink").text() if reference else None
    if link and len(link) > LINE_LIMIT:
        unmapped.append(f"follow-up {ident} of {label}: issue link longer than {LINE_LIMIT} characters; not imported")
        return None
    return link or None


def created_order(follow_up: Node) -> tuple[datetime, str]:
    """Follow-ups in the order they were created (the id breaks ties; one without a time goes last)."""
    created = follow_up.key("created_at").time()
    return (_when(created) if created else LAST), follow_up.key("id").required_text()


# --- documents and the whole translation ----------------------------------------------------------------------


@dataclass
class Documents:
    """The incidents and follow-ups of every document, each once by id, in the order they first appear."""

    incidents: dict[str, Node] = field(default_factory=dict)
    follow_ups: dict[str, Node] = field(default_factory=dict)
    has_follow_ups: bool = False

    def read(self, name: str, data: Any) -> None:
        top = Node(name, "", data)
        if not isinstance(data, dict):
            top.fail("expected a JSON object (an incident.io API v2 response)")
        known = False
        if "incidents" in data:
            known = True
            self.add(self.incidents, top.key("incidents").items())
        if "follow_ups" in data:
            known = self.has_follow_ups = True
            self.add(self.follow_ups, top.key("follow_ups").items())
        if not known:
            top.fail(
                'neither an incident.io incidents list ({"incidents": [...]}, GET /v2/incidents) nor a follow-ups '
                'list ({"follow_ups": [...]}, GET /v2/follow_ups)'
            )

    @staticmethod
    def add(into: dict[str, Node], nodes: Iterable[Node]) -> None:
        for node in nodes:  # a later copy of an incident (a page that shifted) is the same incident
            into.setdefault(node.key("id").required_text(), node)


def count_fields(nodes: Iterable[Node], no_home: frozenset[str], known: frozenset[str]) -> dict[str, int]:
    """How many of `nodes` hold a value in each field that has no home, or that this importer does not know."""
    counts: dict[str, int] = {}
    for node in nodes:
        for key, value in node.value.items():
            if (key in no_home or key not in known) and has_value(value):
                counts[key] = counts.get(key, 0) + 1
    return counts


def incident_field_lines(nodes: list[Node]) -> list[str]:
    known = INCIDENT_MAPPED | INCIDENT_NO_HOME | INCIDENT_BOOKKEEPING
    return _field_lines(
        nodes, INCIDENT_NO_HOME, known, "{key} ({count}): {why}", "incident", "no field in incidentkb records"
    )


def follow_up_field_lines(nodes: list[Node]) -> list[str]:
    known = FOLLOW_UP_MAPPED | FOLLOW_UP_NO_HOME | FOLLOW_UP_BOOKKEEPING
    return _field_lines(
        nodes, FOLLOW_UP_NO_HOME, known, "{key} of {count}: {why}", "follow-up", "no field for it; kept nowhere"
    )


def _field_lines(
    nodes: list[Node], no_home: frozenset[str], known: frozenset[str], form: str, what: str, homeless: str
) -> list[str]:
    """One line per field with a value that is not imported: how many `what`s had it, and why."""
    return [
        form.format(
            key=key,
            count=plural(count, what),
            why=homeless if key in no_home else "not known to this importer; not imported",
        )
        for key, count in sorted(count_fields(nodes, no_home, known).items())
    ]


def translate(documents: Sequence[tuple[str, Any]]) -> Translation:
    """Our services and incidents from incident.io documents (name of the file, parsed JSON), and what has no home."""
    source = Documents()
    for name, data in documents:
        source.read(name, data)
    translation = Translation(system=SYSTEM, source=SOURCE)
    translators = [IncidentTranslator(node) for node in source.incidents.values()]
    imported = []
    for translator in translators:
        reason = translator.not_imported()
        if reason:
            translation.unmapped.append(reason)
        else:
            imported.append(translator)
    labels = {translator.key: translator.label for translator in translators}
    items, follow_up_lines, used_follow_ups = attach_follow_ups(source, labels, {t.key for t in imported})
    services = ServiceRegistry()
    for translator in imported:
        known_items = items.get(translator.key, []) if source.has_follow_ups else None
        translation.incidents.append(translator.translate(services, known_items))
        translation.unmapped += translator.unmapped
    translation.services = services.records()
    translation.unmapped += services.unmapped + follow_up_lines
    translation.unmapped += incident_field_lines([translator.node for translator in imported])
    translation.unmapped += follow_up_field_lines(used_follow_ups)
    return translation


def attach_follow_ups(
    source: Documents, labels: dict[str, str], imported: set[str]
) -> tuple[dict[str, list[dict[str, Any]]], list[str], list[Node]]:
    """The action items of each imported incident, in created order; the unmapped lines; the follow-ups used."""
    items: dict[str, list[dict[str, Any]]] = {}
    unmapped: list[str] = []
    used: list[Node] = []
    for follow_up in sorted(source.follow_ups.values(), key=created_order):
        incident = follow_up.key("incident_id").required_text()
        ident = follow_up.key("id").required_text()
        if incident not in labels:
            unmapped.append(f"follow-up {ident}: its incident {incident} is not in the documents; not imported")
        elif incident not in imported:
            unmapped.append(f"follow-up {ident} of {labels[incident]}: that incident is not imported; left out")
        elif (item := action_item(follow_up, labels[incident], unmapped)) is not None:
            items.setdefault(incident, []).append(item)
            used.append(follow_up)
    return items, unmapped, used
