"""`incidentkb export`: every incident and service as one JSON document (schemas/export.schema.json) or as a CSV
table of incidents, for dashboards, service catalogues and scripts.

The JSON holds each record as validated, field for field (the incident and service schemas describe them), with
the path of its file. With `public`, only what the public site publishes: the incidents customers saw and the
listed services, each reduced to its x-public fields (public.project), so no internal field can leave, and no
path.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from generator.analyze.metrics import durations
from generator.model import Incident, KnowledgeBaseModel, thaw
from generator.public import PublicModel, public_record

EXPORT_FORMAT = "incidentkb-export"
EXPORT_VERSION = 1

# One row per incident: the fields a spreadsheet sorts and filters by. Times are written as the record has them
# (an exact time, a date, or "about <time>" for an approximate one).
CSV_COLUMNS = (
    "id",
    "title",
    "severity",
    "status",
    "kind",
    "provenance",
    "services",
    "started_at",
    "detected_at",
    "acknowledged_at",
    "mitigated_at",
    "resolved_at",
    "time_to_detect_minutes",
    "time_to_mitigate_minutes",
    "time_to_resolve_minutes",
    "impact_minutes",
    "root_cause_category",
    "action_items",
    "open_action_items",
    "tags",
    "path",
)


def export_document(model: KnowledgeBaseModel, public: PublicModel, *, public_only: bool) -> dict[str, Any]:
    """The export: internal (every field) or, with `public_only`, what the public site may show."""
    incidents: list[dict[str, Any]]
    services: list[dict[str, Any]]
    if public_only:  # no paths either: file names are internal detail
        published = {i.id for i in public.incidents}
        listed = {s.id for s in public.services}
        incidents = [{"record": _published(thaw(i.record), listed)} for i in model.incidents if i.id in published]
        services = [{"record": _published_service(thaw(s.record), listed)} for s in model.services if s.id in listed]
    else:
        incidents = [{"path": i.source, "record": thaw(i.record)} for i in model.incidents]
        services = [{"path": s.source, "record": thaw(s.record)} for s in model.services]
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "public": public_only,
        "incidents": incidents,
        "services": services,
    }


def _published(record: dict[str, Any], listed: set[str]) -> dict[str, Any]:
    """An incident's public fields as the public site shows them: unlisted services' names are internal detail,
    and an impact window whose level is not assessed is not published (as public.build_public_model does)."""
    data = public_record(record, "incident")
    data["services"] = [s for s in data["services"] if s in listed]
    if "impact" in data:
        data["impact"] = [
            w
            for w in data["impact"]
            if w["service"] in listed
            and (w.get("kind", "availability") != "availability" or w.get("level") is not None)
        ]
    return data


def _published_service(record: dict[str, Any], listed: set[str]) -> dict[str, Any]:
    data = public_record(record, "service")
    if "depends_on" in data:
        data["depends_on"] = [s for s in data["depends_on"] if s in listed]
    return data


def export_csv(model: KnowledgeBaseModel) -> str:
    """The incidents as CSV (RFC 4180, a header row, CRLF line ends as the csv module writes them)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(_row(incident) for incident in model.incidents)
    return buffer.getvalue()


def _row(incident: Incident) -> list[str]:
    record = incident.record
    minutes = durations(incident)
    return [
        incident.id,
        _cell(incident.title),
        incident.severity or "",
        incident.status,
        incident.kind,
        incident.provenance,
        ";".join(incident.services),
        *(_time(record.get(phase)) for phase in _PHASES),
        *(_number(minutes[name]) for name in ("time_to_detect", "time_to_mitigate", "time_to_resolve")),
        _number(incident.impact_minutes),
        incident.root_cause_category or "",
        str(len(incident.action_items)),
        str(sum(1 for a in incident.action_items if a.is_open)),
        ";".join(incident.tags),
        incident.source,
    ]


_PHASES = ("started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet would run as a formula


def _cell(text: str) -> str:
    """Free text for a spreadsheet: a leading = + - @ would make it a formula (CSV injection), so it is quoted."""
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _time(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Mapping):
        return f"about {value['about']}"
    return str(value)


def _number(value: float | None) -> str:
    return "" if value is None else f"{float(value):g}"
