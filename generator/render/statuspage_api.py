"""The public site's Statuspage-compatible API: static files at the paths of Statuspage's public API v2, with its
field names and values, so that clients written for Statuspage (embeddable widgets, aggregators, chat bots) read
us as they read any Statuspage page. Filled from the public model only.

| Statuspage                        | from                                                                        |
| --------------------------------- | --------------------------------------------------------------------------- |
| page                              | the site's name and address; time_zone the report zone; updated_at the build |
| status.indicator, .description    | the overall state: none / minor (degraded) / major (partial) / critical      |
|                                   | (major outage) / maintenance, with Statuspage's words                        |
| components                        | each listed service (its status now), and one group component per group      |
| incidents, incident_updates       | the public incidents, newest first (50), their updates newest first          |
| impact                            | the worst level of the incident's windows: none / minor / major / critical   |
| scheduled_maintenances            | planned maintenance: scheduled_for / scheduled_until, status scheduled,      |
|                                   | in_progress or completed, impact maintenance                                 |

Times are UTC (Z) with milliseconds, as Statuspage writes them. Ids are our ids (opaque strings to a client).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from generator.analyze.availability import LEVELS
from generator.analyze.status import CurrentStatus, maintenance_services, maintenance_state
from generator.config import Settings
from generator.public import PublicIncident, PublicMaintenance, PublicModel, PublicUpdate
from generator.vocabulary import INCIDENT_STATUSES, UPDATE_PHASES

RESOLVED = INCIDENT_STATUSES[-1]  # postmortem is of this phase too (schemas/incident.schema.json, x-lifecycle)
RECENT = 50  # Statuspage's incidents.json and scheduled-maintenances.json hold the 50 most recent
INDICATORS = {  # overall state -> Statuspage's status indicator and description
    "operational": ("none", "All Systems Operational"),
    "degraded_performance": ("minor", "Minor Service Outage"),
    "partial_outage": ("major", "Partial System Outage"),
    "major_outage": ("critical", "Major System Outage"),
    "under_maintenance": ("maintenance", "Service Under Maintenance"),
}
IMPACTS = {"degraded_performance": "minor", "partial_outage": "major", "major_outage": "critical"}
API = "api/v2/"


def api_files(model: PublicModel, status: CurrentStatus, settings: Settings, cutoff: datetime) -> dict[str, str]:
    """Every file of the API, by its path under the site."""
    page = _page(settings, cutoff)
    components = _components(status, page["id"], cutoff)
    incidents = [
        shown for i in _newest_first(model.incidents) if (shown := _incident(i, page, status, cutoff)) is not None
    ]
    unresolved = [i for i in incidents if UPDATE_PHASES.get(i["status"]) != RESOLVED]
    planned = [_maintenance(m, page, status, cutoff) for m in _newest_maintenance(model.maintenance)]
    upcoming = [m for m in planned if m["status"] == "scheduled"]
    active = [m for m in planned if m["status"] == "in_progress"]
    indicator, description = INDICATORS[status.overall]
    overall = {"indicator": indicator, "description": description}
    documents = {
        "summary.json": {
            "page": page,
            "components": components,
            "incidents": unresolved,
            "scheduled_maintenances": active + sorted(upcoming, key=lambda m: m["scheduled_for"] or ""),
            "status": overall,
        },
        "status.json": {"page": page, "status": overall},
        "components.json": {"page": page, "components": components},
        "incidents.json": {"page": page, "incidents": incidents[:RECENT]},
        "incidents/unresolved.json": {"page": page, "incidents": unresolved},
        "scheduled-maintenances.json": {"page": page, "scheduled_maintenances": planned[:RECENT]},
        "scheduled-maintenances/upcoming.json": {"page": page, "scheduled_maintenances": upcoming},
        "scheduled-maintenances/active.json": {"page": page, "scheduled_maintenances": active},
    }
    return {
        API + name: json.dumps(document, indent=2, ensure_ascii=False) + "\n" for name, document in documents.items()
    }


def _utc(moment: datetime) -> str:
    """UTC with milliseconds and Z, as Statuspage writes times: 2026-11-22T18:40:00.000Z."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _page(settings: Settings, cutoff: datetime) -> dict[str, Any]:
    url = settings.public_url.rstrip("/")
    host = urlsplit(url).hostname or "status"
    return {
        "id": re.sub(r"[^a-z0-9]+", "-", host.lower()).strip("-") or "status",
        "name": settings.site_name,
        "url": url,
        "time_zone": settings.timezone,
        "updated_at": _utc(cutoff),
    }


def _components(status: CurrentStatus, page_id: str, cutoff: datetime) -> list[dict[str, Any]]:
    groups: dict[str, list[str]] = {}
    for s in status.services:
        if s.service.group:
            groups.setdefault(s.service.group, []).append(s.service.id)
    group_ids = {name: "group-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") for name in groups}
    components = []
    for position, s in enumerate(status.services, start=1):
        components.append(
            _component(
                s.service.id,
                s.service.name,
                s.status,
                position,
                page_id,
                cutoff,
                group_id=group_ids.get(s.service.group or ""),
                hidden=s.service.shown == "when_affected",
            )
        )
    for position, (name, members) in enumerate(groups.items(), start=len(components) + 1):
        worst = _worst(c["status"] for c in components if c["id"] in members)
        group = _component(group_ids[name], name, worst, position, page_id, cutoff, group_id=None, hidden=False)
        group.update(group=True, components=members)
        components.append(group)
    return components


def _component(
    component_id: str,
    name: str,
    status: str,
    position: int,
    page_id: str,
    cutoff: datetime,
    *,
    group_id: str | None,
    hidden: bool,
) -> dict[str, Any]:
    return {
        "id": component_id,
        "name": name,
        "status": status,
        "created_at": _utc(cutoff),
        "updated_at": _utc(cutoff),
        "position": position,
        "description": None,
        "showcase": not hidden,
        "start_date": None,
        "group_id": group_id,
        "page_id": page_id,
        "group": False,
        "only_show_if_degraded": hidden,
    }


def _worst(statuses: Iterable[str | None]) -> str:
    """The worst status among these: an impact level, else under maintenance, else operational."""
    given = [s for s in statuses if s]
    ranked = [s for s in given if s in LEVELS]
    if ranked:
        return max(ranked, key=LEVELS.index)
    return "under_maintenance" if "under_maintenance" in given else "operational"


def _newest_first(incidents: Sequence[PublicIncident]) -> list[PublicIncident]:
    return sorted(
        (i for i in incidents if i.kind != "maintenance"),
        key=lambda i: (i.first_impact.isoformat() if i.first_impact else "", i.id),
        reverse=True,
    )


def _newest_maintenance(items: Sequence[PublicMaintenance]) -> list[PublicMaintenance]:
    return sorted(items, key=lambda m: (m.start.isoformat() if m.start else "", m.id), reverse=True)


def _incident(
    incident: PublicIncident, page: dict[str, Any], status: CurrentStatus, cutoff: datetime
) -> dict[str, Any] | None:
    started = incident.first_impact or incident.started_at
    if started is None:
        return None
    updates = incident.updates
    resolved = not incident.ongoing
    state = ("postmortem" if incident.review else "resolved") if resolved else incident.status
    monitoring = next((u.at for u in updates if u.status == "monitoring"), None)
    created = min([started, *(u.at for u in updates)])
    return {
        "id": incident.id,
        "name": incident.title,
        "status": state,
        "created_at": _utc(created),
        "updated_at": _utc(max([created, *(u.at for u in updates)])),
        "monitoring_at": _utc(monitoring) if monitoring else None,
        "resolved_at": _utc(incident.resolved_at) if resolved and incident.resolved_at else None,
        "impact": IMPACTS.get(_worst(w.level for w in incident.impact), "none"),
        "shortlink": f"{page['url']}/history/{incident.id}/",
        "started_at": _utc(started),
        "page_id": page["id"],
        "incident_updates": _updates(incident.id, updates),
        "components": _affected(incident.services, status),
        "reminder_intervals": None,
        "postmortem_body": incident.postmortem,
        "postmortem_body_last_updated_at": None,
    }


def _maintenance(
    item: PublicMaintenance, page: dict[str, Any], status: CurrentStatus, cutoff: datetime
) -> dict[str, Any]:
    state = maintenance_state(item, cutoff)
    start = item.start or cutoff
    created = min([start, *(u.at for u in item.updates)])
    return {
        "id": item.id,
        "name": item.title,
        "status": state,
        "created_at": _utc(created),
        "updated_at": _utc(max([created, *(u.at for u in item.updates)])),
        "monitoring_at": None,
        "resolved_at": _utc(item.end) if state == "completed" and item.end else None,
        "impact": "maintenance",
        "shortlink": f"{page['url']}/history/{item.id}/",
        "started_at": _utc(start),
        "page_id": page["id"],
        "incident_updates": _updates(item.id, item.updates),
        "components": _affected(maintenance_services(item), status),
        "reminder_intervals": None,
        "scheduled_for": _utc(item.scheduled_start) if item.scheduled_start else _utc(start),
        "scheduled_until": _utc(item.scheduled_end) if item.scheduled_end else None,
    }


def _updates(record_id: str, updates: Sequence[PublicUpdate]) -> list[dict[str, Any]]:
    """Newest first, as Statuspage lists them; each id from the record and the update's own time, so that an
    update keeps its id when others are added or history is edited."""
    return [
        {
            "id": f"{record_id.lower()}-{u.at.astimezone(UTC):%Y%m%dT%H%M%S}",
            "status": u.status,
            "body": u.message,
            "incident_id": record_id,
            "created_at": _utc(u.at),
            "updated_at": _utc(u.at),
            "display_at": _utc(u.at),
            "affected_components": None,
            "deliver_notifications": True,
            "custom_tweet": None,
            "tweet_id": None,
        }
        for u in sorted(updates, key=lambda u: u.at, reverse=True)
    ]


def _affected(service_ids: Iterable[str], status: CurrentStatus) -> list[dict[str, Any]]:
    wanted = set(service_ids)
    return [
        {"id": s.service.id, "name": s.service.name, "status": s.status}
        for s in status.services
        if s.service.id in wanted
    ]
