"""The words records are written in, read from the incident schema, their single source.

Severities, statuses, kinds, impact levels, phases and categories are the schema's enums; what the schema cannot
say with an enum it says with an `x-` mark: `x-severe` (the severities that need a full post-mortem and count as
severe in the lessons), `x-open` (the action-item statuses still to do), `x-lifecycle` (the phase each update status
announces) and `x-phases` (the response's timestamps, in the order they happen). A knowledge base that extends a
vocabulary (incidentkb.yml, taxonomies) extends the schema (schemas.effective_schema), and a `Vocabulary` read from
that effective schema is what every step then uses. The module constants are the default vocabulary's.
tests/test_vocabulary.py checks that each list is the schema's.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from generator.schemas import NO_TAXONOMIES, Taxonomies, effective_schema, load_schema, resolve


def _enum(node: dict[str, Any]) -> tuple[str, ...]:
    """An enum's values in the schema's order, without null (which means "not known yet", not a value)."""
    return tuple(value for value in node["enum"] if value is not None)


@dataclass(frozen=True)
class Vocabulary:
    """The words of one knowledge base: the incident schema's enums with the knowledge base's taxonomies added
    (`Vocabulary.of`). Immutable and hashable; picklable, so a worker process gets the one its parent had."""

    taxonomies: Taxonomies
    severities: tuple[str, ...]  # most severe first
    severe: tuple[str, ...]
    incident_statuses: tuple[str, ...]  # in the order a response goes through them
    kinds: tuple[str, ...]
    impact_levels: tuple[str, ...]  # mildest first: the worst level in force is the one that counts
    update_statuses: tuple[str, ...]
    lifecycle: tuple[tuple[str, str], ...]  # (update status, the lifecycle phase it announces)
    action_statuses: tuple[str, ...]
    open_action_statuses: tuple[str, ...]
    phases: tuple[str, ...]
    fishbone_categories: tuple[str, ...]
    defence_layers: tuple[str, ...]
    trigger_kinds: tuple[str, ...]
    classification_categories: tuple[str, ...]
    root_cause_categories: tuple[str, ...]
    detection_methods: tuple[str, ...]
    containment_actions: tuple[str, ...]

    @staticmethod
    def of(taxonomies: Taxonomies = NO_TAXONOMIES) -> Vocabulary:
        """The vocabulary of the incident schema with `taxonomies` added (the defaults without)."""
        return _vocabulary(taxonomies)

    @property
    def update_phases(self) -> dict[str, str]:
        """Each update status's lifecycle phase."""
        return dict(self.lifecycle)

    def phase_of(self, update_status: str) -> str | None:
        """The lifecycle phase an update status announces (None for a status this vocabulary does not have)."""
        return next((phase for status, phase in self.lifecycle if status == update_status), None)

    @property
    def maintenance_update_statuses(self) -> tuple[str, ...]:
        """The update statuses whose phase is no incident status: those of planned maintenance."""
        return tuple(status for status, phase in self.lifecycle if phase not in self.incident_statuses)

    @property
    def incident_update_statuses(self) -> tuple[str, ...]:
        """The update statuses an incident (not maintenance) may announce."""
        return tuple(status for status, phase in self.lifecycle if phase in self.incident_statuses)


@cache
def _vocabulary(taxonomies: Taxonomies) -> Vocabulary:
    schema = effective_schema("incident", taxonomies)
    fields = schema["properties"]
    update_status = fields["updates"]["items"]["properties"]["status"]
    action_status = fields["action_items"]["items"]["properties"]["status"]
    containment = fields["containment"]["items"]["properties"]["action"]
    return Vocabulary(
        taxonomies=taxonomies,
        severities=_enum(fields["severity"]),
        severe=tuple(fields["severity"]["x-severe"]),
        incident_statuses=_enum(fields["status"]),
        kinds=_enum(fields["kind"]),
        impact_levels=_enum(fields["impact"]["items"]["properties"]["level"]),
        update_statuses=_enum(update_status),
        lifecycle=tuple((status, update_status["x-lifecycle"][status]) for status in _enum(update_status)),
        action_statuses=_enum(action_status),
        open_action_statuses=tuple(action_status["x-open"]),
        phases=tuple(schema["x-phases"]),
        fishbone_categories=_enum(fields["contributing_factors"]["items"]["properties"]["category"]),
        defence_layers=_enum(fields["failed_defences"]["items"]["properties"]["layer"]),
        trigger_kinds=_enum(fields["trigger"]["properties"]["kind"]),
        classification_categories=_enum(fields["classification"]["properties"]["category"]),
        root_cause_categories=_enum(fields["root_cause"]["properties"]["category"]),
        detection_methods=_enum(fields["detection"]["properties"]["method"]),
        containment_actions=_enum(resolve(schema, containment)),
    )


DEFAULT = Vocabulary.of()

_FIELDS = load_schema("incident")["properties"]

SEVERITIES = DEFAULT.severities  # most severe first
SEVERE = DEFAULT.severe
INCIDENT_STATUSES = DEFAULT.incident_statuses  # in the order a response goes through them
KINDS = DEFAULT.kinds
IMPACT_LEVELS = DEFAULT.impact_levels  # mildest first: the worst level in force is the one that counts
UPDATE_STATUSES = DEFAULT.update_statuses
UPDATE_PHASES: dict[str, str] = DEFAULT.update_phases  # each update status's lifecycle phase
MAINTENANCE_UPDATE_STATUSES = DEFAULT.maintenance_update_statuses
ACTION_STATUSES = DEFAULT.action_statuses
OPEN_ACTION_STATUSES = DEFAULT.open_action_statuses
PHASES = DEFAULT.phases
FISHBONE_CATEGORIES = DEFAULT.fishbone_categories


def phase_title(phase: str) -> str:
    """The schema's title of a phase without its "at": `started_at` is "Started"."""
    return str(_FIELDS[phase]["title"]).removesuffix(" at")
