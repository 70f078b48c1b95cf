"""`incidentkb import`: records from another system's export.

Each source has a translator (statuspage.py, incidentio.py, spreadsheet.py) that turns the source's documents,
already parsed, into our records: pure functions, no I/O, no knowledge of the knowledge base. A translator writes
only what the source holds; what it does not hold is absent or null, never invented. writer.py does the rest:
ids and file names, matching earlier imports, the three-way merge that keeps a person's edits, and the files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

RESERVED_SERVICE_IDS = frozenset({"index"})  # the site's own page names (schemas/service.schema.json, "not")


@dataclass(frozen=True)
class SourceRecord:
    """One record as the source holds it.

    `key` is its id in the source system (provenance.source.id). `record` holds our fields, with provenance
    {method: imported, source: {system, id, url}} but without `id` (the writer assigns INC-<year>-<n>) and
    without provenance.written_on (set once, when the record is first written, so a re-import changes nothing).
    """

    key: str
    record: dict[str, Any]


@dataclass
class Translation:
    """What a translator made of a source: the services and incidents it holds, and what it could not map."""

    system: str  # provenance.source.system, e.g. "statuspage"
    source: str  # which page, organisation or spreadsheet: names the import state file, e.g. "p7fh2kq9x4wd"
    services: list[SourceRecord] = field(default_factory=list)
    incidents: list[SourceRecord] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)  # one line each: what, where in the source, and why


class SourceError(Exception):
    """The source cannot be read as the format it claims to be; the message says where and why (exit 2)."""


def service_id_for(name: str) -> str:
    """Our id for a service the source names: lower-case words joined by dashes ("Authentication & SSO" ->
    "authentication-sso"), at most 64 characters, never a reserved page name."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64].rstrip("-") or "service"
    return f"{slug}-service" if slug in RESERVED_SERVICE_IDS else slug


def imported_provenance(system: str, key: str, url: str | None = None, notes: str | None = None) -> dict[str, Any]:
    """provenance for a record from `system`, without written_on (the writer sets it once)."""
    source: dict[str, Any] = {"system": system, "id": key}
    if url:
        source["url"] = url
    provenance: dict[str, Any] = {"method": "imported", "source": source}
    if notes:
        provenance["notes"] = notes
    return provenance


def imported_service(
    system: str,
    key: str,
    name: str,
    *,
    description: str | None = None,
    listed: bool = True,
    group: str | None = None,
    shown: str | None = None,
) -> SourceRecord:
    """A service record for a component the source names: what the source does not hold (owner, tier, objective)
    is null, for a person to fill in. `group` and `shown` (always | when_affected) are how the source's status
    page shows it."""
    public_part: dict[str, Any] = {"listed": listed, "name": name}
    if group:
        public_part["group"] = group
    if shown:
        public_part["shown"] = shown
    record: dict[str, Any] = {"id": service_id_for(name), "name": name}
    if description:
        record["description"] = description
    record |= {
        "owner_team": None,
        "tier": None,
        "public": public_part,
        "slo": {"availability": None},
        "provenance": imported_provenance(system, key),
    }
    return SourceRecord(key=key, record=record)
