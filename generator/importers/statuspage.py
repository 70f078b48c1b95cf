"""Statuspage's public API v2 (`/api/v2/incidents.json`, `components.json`, `summary.json`,
`scheduled-maintenances.json`) as our records. One Translation per page: a folder may hold several pages.

| Statuspage                                   | incidentkb                                                    |
| -------------------------------------------- | ------------------------------------------------------------- |
| incident / scheduled maintenance             | one record, kind incident / maintenance                       |
| `id`, `shortlink`                            | provenance.source.id, provenance.source.url                   |
| `name`                                       | title                                                         |
| `status` resolved, postmortem / completed    | status resolved; otherwise investigating, identified,         |
|                                              | monitoring as given (maintenance not yet done: identified)    |
| `impact`                                     | tag `statuspage-impact-<impact>`; never a severity (null)     |
| `started_at` (else `created_at`)             | started_at; a maintenance starts at its first in_progress     |
|                                              | update, else at `scheduled_for`                               |
| `resolved_at`                                | resolved_at                                                   |
| `scheduled_for`, `scheduled_until`           | scheduled.start, scheduled.end                                |
| `incident_updates` (newest first)            | updates in time order: at = `display_at`, message = `body`,   |
|                                              | status (verifying -> in_progress, kept as source_status)      |
| component status changes in the updates      | impact windows per component and level (below)                |
| `impact` when no component change is recorded| one window per listed component (or the page) for the whole   |
|                                              | incident: minor -> degraded_performance, major ->             |
|                                              | partial_outage, critical -> major_outage                      |
| first update's `body`                        | summary.public (what customers were told)                     |
| `postmortem_body`                            | summary.public_postmortem; a postmortem publication           |
| component                                    | service: public name, group, `only_show_if_degraded` ->       |
|                                              | public.shown when_affected; owner, tier, objective null       |

Windows: a component's window opens at the update (its `display_at`) whose `affected_components` entry moves it
from operational to degraded_performance, partial_outage, major_outage or under_maintenance; a change of level
starts a new window; it closes when the component is set back to operational, else at `resolved_at`, else it stays
open. Entries with old == new status, `affected_components: null` and the legacy entry without a `code` change
nothing. under_maintenance gives a window of level null (what customers saw is not recorded). Times are kept
exactly as Statuspage writes them (the page's offset, milliseconds); only their order is computed, as instants.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from generator.importers import (
    SourceError,
    SourceRecord,
    Translation,
    imported_provenance,
    imported_service,
    service_id_for,
)
from generator.vocabulary import INCIDENT_STATUSES, MAINTENANCE_UPDATE_STATUSES, UPDATE_PHASES

SYSTEM = "statuspage"
LEVELS = {
    "degraded_performance": "degraded_performance",
    "partial_outage": "partial_outage",
    "major_outage": "major_outage",
    "under_maintenance": None,  # planned work: the source does not say what customers saw
}
IMPACT_LEVELS = {"minor": "degraded_performance", "major": "partial_outage", "critical": "major_outage"}
# Statuspage's statuses are ours (schemas/incident.schema.json, updates): done is the phase resolved or completed.
DONE_PHASES = frozenset({INCIDENT_STATUSES[-1], MAINTENANCE_UPDATE_STATUSES[-1]})
UPDATE_STATUSES = {"verifying": "in_progress"}  # Statuspage's maintenance step we have no status for
MESSAGE_LIMIT = 2000
TEXT_LIMIT = 10000
# Fields of the source that carry nothing a record holds (ids of the page and of the incident itself, delivery
# settings); any other field with a value that is not mapped is listed as unmapped.
_MAPPED_INCIDENT_KEYS = frozenset(
    {
        "id", "name", "status", "created_at", "updated_at", "monitoring_at", "resolved_at", "impact", "shortlink",
        "started_at", "page_id", "incident_updates", "components", "postmortem_body",
        "postmortem_body_last_updated_at", "scheduled_for", "scheduled_until", "reminder_intervals",
        "scheduled_remind_prior", "scheduled_reminded_at", "scheduled_auto_in_progress",
        "scheduled_auto_completed", "auto_transition_to_maintenance_state", "auto_transition_to_operational_state",
        "auto_transition_deliver_notifications_at_start", "auto_transition_deliver_notifications_at_end",
    }
)  # fmt: skip
_MAPPED_UPDATE_KEYS = frozenset(
    {"id", "status", "body", "incident_id", "created_at", "updated_at", "display_at", "affected_components",
     "deliver_notifications", "tweet_id", "custom_tweet"}
)  # fmt: skip


@dataclass
class _Page:
    """What the documents of one page hold, gathered before any record is made."""

    id: str
    name: str
    url: str | None = None
    components: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    incidents: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    maintenances: set[str] = field(default_factory=set)
    where: dict[str, str] = field(default_factory=dict)  # incident id -> "file: incidents[3]" for messages


def translate(documents: Sequence[tuple[str, Any]]) -> list[Translation]:
    """One Translation per page the documents come from, in order of page id."""
    pages: dict[str, _Page] = {}
    for shown, document in documents:
        _gather(pages, shown, document)
    return [_translate_page(pages[page_id]) for page_id in sorted(pages)]


# --- reading the documents ---------------------------------------------------------------------------------


def _gather(pages: dict[str, _Page], shown: str, document: Any) -> None:
    if isinstance(document, Mapping) and set(document) == {"page", "status"}:
        return  # status.json: the page's state now, which no record holds
    if not isinstance(document, Mapping) or not any(
        k in document for k in ("incidents", "components", "scheduled_maintenances")
    ):
        raise SourceError(
            f"{shown}: not a Statuspage API v2 document (expected an object with incidents, components or"
            " scheduled_maintenances)"
        )
    page = _page_of(pages, shown, document)
    for entry in _objects(document, "components", shown):
        component_id = _string(entry, "id", shown, "components")
        page.components.setdefault(component_id, entry)
    for key, maintenance in (("incidents", False), ("scheduled_maintenances", True)):
        for index, entry in enumerate(_objects(document, key, shown)):
            incident_id = _string(entry, "id", shown, f"{key}[{index}]")
            page.incidents.setdefault(incident_id, entry)  # summary.json repeats what incidents.json holds
            page.where.setdefault(incident_id, f"{shown}: {key}[{index}]")
            if maintenance or entry.get("scheduled_for") is not None or entry.get("impact") == "maintenance":
                page.maintenances.add(incident_id)


def _page_of(pages: dict[str, _Page], shown: str, document: Mapping[str, Any]) -> _Page:
    page = document.get("page")
    if isinstance(page, Mapping) and isinstance(page.get("id"), str):
        found = pages.setdefault(page["id"], _Page(page["id"], str(page.get("name") or page["id"])))
        if isinstance(page.get("url"), str) and page["url"].startswith(("http://", "https://")):
            found.url = page["url"].rstrip("/")
        return found
    page_ids = {e.get("page_id") for e in _all_entries(document) if isinstance(e, Mapping)} - {None}
    if len(page_ids) == 1:
        page_id = str(page_ids.pop())
        return pages.setdefault(page_id, _Page(page_id, page_id))
    raise SourceError(f"{shown}: no page (neither a 'page' object nor one page_id in its entries)")


def _all_entries(document: Mapping[str, Any]) -> Iterable[Any]:
    for key in ("components", "incidents", "scheduled_maintenances"):
        value = document.get(key)
        if isinstance(value, list):
            yield from value


def _objects(document: Mapping[str, Any], key: str, shown: str) -> list[Mapping[str, Any]]:
    value = document.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(e, Mapping) for e in value):
        raise SourceError(f"{shown}: {key}: expected a list of objects")
    return value


def _string(entry: Mapping[str, Any], key: str, shown: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        raise SourceError(f"{shown}: {where}.{key}: expected a non-empty string, found {value!r}")
    return value


def _instant(value: Any, where: str) -> datetime:
    """A Statuspage time as an instant, for ordering; the record keeps the string."""
    if not isinstance(value, str):
        raise SourceError(f"{where}: expected a time, found {value!r}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise SourceError(f"{where}: {value!r} is not an RFC 3339 time") from None
    if moment.tzinfo is None:
        raise SourceError(f"{where}: {value!r} has no offset")
    return moment


# --- one page ------------------------------------------------------------------------------------------------


@dataclass
class _Services:
    """The page's components as services: one id each, unique within the page, created when first used."""

    page: _Page
    ids: dict[str, str] = field(default_factory=dict)  # component id -> service id
    records: dict[str, SourceRecord] = field(default_factory=dict)  # component id -> service record

    def service_for(self, component_id: str, fallback: Mapping[str, Any]) -> str:
        if component_id not in self.ids:
            component = self.page.components.get(component_id, fallback)
            name = str(component.get("name") or component_id)
            group_id = component.get("group_id")
            group = self.page.components.get(group_id) if isinstance(group_id, str) else None
            group_name = str(group.get("name")) if group and group.get("name") else None
            service_id = self._unique(service_id_for(name), group_name)
            description = component.get("description")
            record = imported_service(
                SYSTEM,
                component_id,
                name,
                description=description if isinstance(description, str) and description.strip() else None,
                listed=True,
                group=group_name,
                shown="when_affected" if component.get("only_show_if_degraded") else None,
            )
            record.record["id"] = service_id
            self.ids[component_id] = service_id
            self.records[component_id] = record
        return self.ids[component_id]

    def page_service(self) -> str:
        """The page as a whole, for an incident that names no component."""
        key = f"page:{self.page.id}"
        if key not in self.ids:
            record = imported_service(SYSTEM, key, self.page.name, listed=True)
            record.record["id"] = self._unique(service_id_for(self.page.name), None)
            record.record["description"] = "The whole status page: incidents that name no component."
            self.ids[key] = record.record["id"]
            self.records[key] = record
        return self.ids[key]

    def _unique(self, service_id: str, group: str | None) -> str:
        taken = set(self.ids.values())
        if service_id not in taken:
            return service_id
        if group and (grouped := service_id_for(f"{group} {service_id}")) not in taken:
            return grouped
        number = 2
        while f"{service_id}-{number}" in taken:
            number += 1
        return f"{service_id}-{number}"


def _translate_page(page: _Page) -> Translation:
    translation = Translation(system=SYSTEM, source=page.id)
    services = _Services(page)
    unmapped: Counter[str] = Counter()
    for incident_id in sorted(page.incidents, key=lambda i: _sort_key(page, i)):
        record = _incident(page, page.incidents[incident_id], services, translation.unmapped, unmapped)
        translation.incidents.append(SourceRecord(key=incident_id, record=record))
    translation.services = [services.records[k] for k in sorted(services.records, key=services.ids.__getitem__)]
    for name, count in sorted(unmapped.items()):
        translation.unmapped.append(f"{name} ({count} on page {page.id}): no field in incidentkb records; left out")
    return translation


def _sort_key(page: _Page, incident_id: str) -> tuple[datetime, str]:
    entry = page.incidents[incident_id]
    when = entry.get("started_at") or entry.get("scheduled_for") or entry.get("created_at")
    return _instant(when, f"{page.where[incident_id]}.started_at"), incident_id


def _incident(
    page: _Page,
    entry: Mapping[str, Any],
    services: _Services,
    notes: list[str],
    unmapped: Counter[str],
) -> dict[str, Any]:
    incident_id = str(entry["id"])
    where = page.where[incident_id]
    maintenance = incident_id in page.maintenances
    updates = _updates(entry, where, notes, unmapped)
    for key, value in entry.items():
        if key not in _MAPPED_INCIDENT_KEYS and value not in (None, "", [], {}):
            unmapped[f"incident field {key}"] += 1
    windows = _component_windows(entry, updates, services)
    status = str(entry.get("status") or "")
    record: dict[str, Any] = {
        "title": _title(entry, where, notes),
        "severity": None,
        "status": _status(status, entry.get("resolved_at"), maintenance),
        "kind": "maintenance" if maintenance else "incident",
        "services": [],
        "started_at": _started_at(entry, updates, maintenance),
        "resolved_at": entry.get("resolved_at"),
    }
    if maintenance:
        record["scheduled"] = {"start": entry.get("scheduled_for"), "end": entry.get("scheduled_until")}
    record["provenance"] = imported_provenance(
        SYSTEM, incident_id, url=_url(entry.get("shortlink")), notes=_notes(page, entry, updates)
    )
    if not windows and not maintenance:
        windows = _impact_windows(entry, record, services, where)
    record["services"] = _services_of(entry, windows, services)
    record["impact"] = windows
    first_message = next((u["message"] for u in updates), None)
    record["summary"] = {"public": first_message[:MESSAGE_LIMIT] if first_message else None}
    if body := entry.get("postmortem_body"):
        record["summary"]["public_postmortem"] = _cut(str(body), TEXT_LIMIT, f"{where}.postmortem_body", notes)
    record["updates"] = [{k: v for k, v in u.items() if not k.startswith("_")} for u in updates if u["message"]]
    record["publications"] = _publications(page, entry)
    impact = entry.get("impact")
    record["tags"] = [f"statuspage-impact-{impact}"] if isinstance(impact, str) and impact.isalnum() else []
    return record


def _title(entry: Mapping[str, Any], where: str, notes: list[str]) -> str:
    name = str(entry.get("name") or "").strip() or f"Statuspage incident {entry['id']}"
    return _cut(name, 160, f"{where}.name", notes)


def _cut(text: str, limit: int, where: str, notes: list[str]) -> str:
    """`text` if it fits; otherwise cut at a word, with an unmapped line saying how much was left out."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip() + "…"
    notes.append(f"{where}: {len(text):,} characters, more than the {limit:,} a record holds; cut to {len(cut):,}")
    return cut


def _status(status: str, resolved_at: Any, maintenance: bool) -> str:
    if UPDATE_PHASES.get(status) in DONE_PHASES or resolved_at is not None:
        return "resolved"
    if maintenance:
        return "identified"  # planned: its cause is known; scheduled, in progress or verifying
    return status if status in INCIDENT_STATUSES[:-1] else INCIDENT_STATUSES[0]


def _started_at(entry: Mapping[str, Any], updates: list[dict[str, Any]], maintenance: bool) -> Any:
    if maintenance:
        started = next((u["at"] for u in updates if u["status"] in MAINTENANCE_UPDATE_STATUSES[1:]), None)
        return started or entry.get("scheduled_for") or entry.get("started_at") or entry.get("created_at")
    return entry.get("started_at") or entry.get("created_at")


def _url(value: Any) -> str | None:
    return value if isinstance(value, str) and value.startswith(("http://", "https://")) else None


def _notes(page: _Page, entry: Mapping[str, Any], updates: list[dict[str, Any]]) -> str:
    parts = [
        f"Imported from the Statuspage page {page.name} ({page.id}). Statuspage holds no severity, no detection or"
        " acknowledgement time and no cause: they are left unset for a person to fill in."
    ]
    late = [u for u in updates if u["_created_at"] and u["_created_at"] != u["at"]]
    if late:
        parts.append(
            f"{len(late)} update(s) were posted after the fact: each is dated with the time the page shows"
            f" (display_at); the first was entered at {late[0]['_created_at']}."
        )
    return " ".join(parts)


def _updates(entry: Mapping[str, Any], where: str, notes: list[str], unmapped: Counter[str]) -> list[dict[str, Any]]:
    """The updates in time order (the API lists them newest first), with each one's component changes kept aside."""
    raw = entry.get("incident_updates") or []
    if not isinstance(raw, list) or not all(isinstance(u, Mapping) for u in raw):
        raise SourceError(f"{where}.incident_updates: expected a list of objects")
    updates = []
    for index, update in enumerate(raw):
        place = f"{where}.incident_updates[{index}]"
        at = update.get("display_at") or update.get("created_at")
        moment = _instant(at, f"{place}.display_at")
        for key, value in update.items():
            if key not in _MAPPED_UPDATE_KEYS and value not in (None, "", [], {}):
                unmapped[f"update field {key}"] += 1
        body = str(update.get("body") or "").strip()
        status = str(update.get("status") or "")
        mapped: dict[str, Any] = {"at": at, "status": UPDATE_STATUSES.get(status, status)}
        if not body:
            notes.append(f"{place}: an update without text at {at}; kept for its component changes only")
        mapped["message"] = _cut(body, MESSAGE_LIMIT, f"{place}.body", notes) if body else None
        if mapped["status"] != status:
            mapped["source_status"] = status
        mapped["_moment"] = moment
        mapped["_created_at"] = update.get("created_at")
        mapped["_changes"] = _changes(update.get("affected_components"), place)
        updates.append(mapped)
    updates.sort(key=lambda u: u["_moment"])
    return updates


def _changes(affected: Any, place: str) -> list[tuple[str, str, Mapping[str, Any]]]:
    """(component id, new status, entry) for each entry that changes a component's status."""
    if affected is None:
        return []
    if not isinstance(affected, list):
        raise SourceError(f"{place}.affected_components: expected a list or null")
    changes = []
    for entry in affected:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("code"), str):
            continue  # the legacy "No components were affected by this update." placeholder
        if entry.get("old_status") != entry.get("new_status"):
            changes.append((entry["code"], str(entry.get("new_status")), entry))
    return changes


def _component_windows(
    entry: Mapping[str, Any], updates: list[dict[str, Any]], services: _Services
) -> list[dict[str, Any]]:
    open_windows: dict[str, dict[str, Any]] = {}
    windows: list[dict[str, Any]] = []
    for update in updates:
        for component_id, new_status, change in update["_changes"]:
            if component_id in open_windows:  # a change of level, or back to operational: this window ends
                open_windows.pop(component_id)["end"] = update["at"]
            if new_status in LEVELS:
                window = {
                    "service": services.service_for(component_id, {"name": change.get("name")}),
                    "level": LEVELS[new_status],
                    "start": update["at"],
                }
                if new_status == "under_maintenance":
                    window["description"] = "Under maintenance (Statuspage status under_maintenance)."
                open_windows[component_id] = window
                windows.append(window)
    resolved_at = entry.get("resolved_at")
    for window in open_windows.values():  # never set back to operational: the window ends with the incident
        if resolved_at is not None:
            window["end"] = resolved_at
    return windows


def _impact_windows(
    entry: Mapping[str, Any], record: dict[str, Any], services: _Services, where: str
) -> list[dict[str, Any]]:
    """No component change recorded: the incident's own impact, on the components it lists (or the page)."""
    level = IMPACT_LEVELS.get(str(entry.get("impact")))
    if level is None:
        return []
    listed = [c for c in _objects(entry, "components", where) if isinstance(c.get("id"), str) and not c.get("group")]
    targets = [services.service_for(c["id"], c) for c in listed] or [services.page_service()]
    windows = []
    for service_id in targets:
        window: dict[str, Any] = {"service": service_id, "level": level, "start": record["started_at"]}
        if record["resolved_at"] is not None:
            window["end"] = record["resolved_at"]
        window["description"] = (
            f"From the incident's impact ({entry.get('impact')}) for its whole span: the page recorded no component"
            " status change."
        )
        windows.append(window)
    return windows


def _services_of(entry: Mapping[str, Any], windows: list[dict[str, Any]], services: _Services) -> list[str]:
    ids = list(dict.fromkeys(w["service"] for w in windows))
    if not ids:
        listed = entry.get("components") or []
        ids = [
            services.service_for(c["id"], c)
            for c in listed
            if isinstance(c, Mapping) and isinstance(c.get("id"), str) and not c.get("group")
        ]
    return list(dict.fromkeys(ids)) or [services.page_service()]


def _publications(page: _Page, entry: Mapping[str, Any]) -> list[dict[str, Any]]:
    page_url = f"{page.url}/incidents/{entry['id']}" if page.url else _url(entry.get("shortlink"))
    if page_url is None:
        return []
    publications: list[dict[str, Any]] = [{"kind": "status_page", "title": "Status page", "url": page_url}]
    if entry.get("postmortem_body"):
        postmortem: dict[str, Any] = {"kind": "postmortem", "title": "Postmortem", "url": page_url}
        if entry.get("postmortem_body_last_updated_at"):
            postmortem["at"] = entry["postmortem_body_last_updated_at"]
        publications.append(postmortem)
    return publications
