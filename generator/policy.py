"""Policy profiles: what the rules ask of a record, by how it was written (provenance.method).

A live record is written by the responders as it happens, and today's rules hold it to a full post-mortem. A
reconstructed record (written afterwards from published sources) or an imported one (converted from another
system) can only say what its sources say: its profile asks for nothing they do not give, so no author has to
invent an owner, a due date, five whys or a severity. `incidentkb.yml` (policy) may change any profile; the keys
a knowledge base gives replace the default's, the others stay.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from generator.vocabulary import SEVERE

PROVENANCES = ("live", "reconstructed", "imported")


@dataclass(frozen=True)
class Profile:
    """What a record of one provenance must hold. `requires` applies to every record (severity, resolved_at,
    impact_end, impact_level); the post-mortem parts apply to resolved records of the given kinds and severities."""

    requires: frozenset[str] = frozenset()
    postmortem_kinds: tuple[str, ...] = ()
    postmortem_severities: tuple[str, ...] = ()
    postmortem_requires: frozenset[str] = frozenset()
    action_items_min: int = 0
    action_items_max: int | None = None
    overdue_action_items: str = "off"  # warning (an error with --strict), error or off

    def needs_postmortem(self, kind: str, severity: str | None) -> bool:
        return kind in self.postmortem_kinds and severity in self.postmortem_severities


LIVE = Profile(
    requires=frozenset({"severity", "resolved_at", "impact_end", "impact_level"}),
    postmortem_kinds=("incident",),
    postmortem_severities=SEVERE,
    postmortem_requires=frozenset(
        {"root_cause", "five_whys", "action_items", "action_item_owner", "action_item_due", "public_update"}
    ),
    action_items_min=2,
    action_items_max=4,
    overdue_action_items="warning",
)
FROM_SOURCES = Profile()  # reconstructed and imported: nothing the sources may not give


@dataclass(frozen=True)
class Policy:
    profiles: Mapping[str, Profile] = field(
        default_factory=lambda: {"live": LIVE, "reconstructed": FROM_SOURCES, "imported": FROM_SOURCES}
    )

    def for_record(self, data: Mapping[str, Any]) -> Profile:
        provenance = data.get("provenance") or {}
        return self.profiles[provenance.get("method") or "live"]


def policy_from(settings: Mapping[str, Any] | None) -> Policy:
    """The policy of a knowledge base whose settings document (already schema-valid) is `settings`."""
    given = (settings or {}).get("policy") or {}
    defaults = Policy().profiles
    return Policy({method: _profile(defaults[method], given.get(method) or {}) for method in PROVENANCES})


def _profile(default: Profile, given: Mapping[str, Any]) -> Profile:
    postmortem = given.get("postmortem") or {}
    changes: dict[str, Any] = {}
    if "requires" in given:
        changes["requires"] = frozenset(given["requires"])
    if "overdue_action_items" in given:
        changes["overdue_action_items"] = given["overdue_action_items"]
    for key, attribute, convert in (
        ("kinds", "postmortem_kinds", tuple),
        ("severities", "postmortem_severities", tuple),
        ("requires", "postmortem_requires", frozenset),
        ("action_items_min", "action_items_min", int),
        ("action_items_max", "action_items_max", int),
    ):
        if key in postmortem:
            changes[attribute] = convert(postmortem[key])
    return replace(default, **changes)
