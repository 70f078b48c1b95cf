"""The words records are written in, read from the incident schema, their single source.

Severities, statuses, kinds, impact levels, phases and categories are the schema's enums; what the schema cannot
say with an enum it says with an `x-` mark: `x-severe` (the severities that need a full post-mortem and count as
severe in the lessons), `x-open` (the action-item statuses still to do) and `x-phases` (the response's
timestamps, in the order they happen). A knowledge base that extends a vocabulary extends the schema, and every
step follows. tests/test_vocabulary.py checks that each list is the schema's.
"""

from __future__ import annotations

from typing import Any

from generator.schemas import load_schema


def _enum(node: dict[str, Any]) -> tuple[str, ...]:
    """An enum's values in the schema's order, without null (which means "not known yet", not a value)."""
    return tuple(value for value in node["enum"] if value is not None)


_INCIDENT = load_schema("incident")
_FIELDS = _INCIDENT["properties"]
_WINDOW = _FIELDS["impact"]["items"]["properties"]
_UPDATE = _FIELDS["updates"]["items"]["properties"]
_ACTION = _FIELDS["action_items"]["items"]["properties"]

SEVERITIES = _enum(_FIELDS["severity"])  # most severe first
SEVERE = tuple(_FIELDS["severity"]["x-severe"])
INCIDENT_STATUSES = _enum(_FIELDS["status"])  # in the order a response goes through them
KINDS = _enum(_FIELDS["kind"])
IMPACT_LEVELS = _enum(_WINDOW["level"])  # mildest first: the worst level in force is the one that counts
UPDATE_STATUSES = _enum(_UPDATE["status"])
MAINTENANCE_UPDATE_STATUSES = tuple(s for s in UPDATE_STATUSES if s not in INCIDENT_STATUSES)
ACTION_STATUSES = _enum(_ACTION["status"])
OPEN_ACTION_STATUSES = tuple(_ACTION["status"]["x-open"])
PHASES = tuple(_INCIDENT["x-phases"])
FISHBONE_CATEGORIES = _enum(_FIELDS["contributing_factors"]["items"]["properties"]["category"])


def phase_title(phase: str) -> str:
    """The schema's title of a phase without its "at": `started_at` is "Started"."""
    return str(_FIELDS[phase]["title"]).removesuffix(" at")
