"""The schemas are the single source of the records' vocabulary: generator/vocabulary.py reads it from them, and no
module keeps a copy of its own (a knowledge base that extends an enum extends the schema, and every step follows)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from generator import vocabulary
from generator.analyze.metrics import PHASE_METRICS
from generator.render.charts import LEVEL_COLOURS

REPO = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((REPO / "schemas" / "incident.schema.json").read_text(encoding="utf-8"))
FIELDS = SCHEMA["properties"]


def values(node: dict[str, object]) -> tuple[object, ...]:
    return tuple(v for v in node["enum"] if v is not None)  # type: ignore[attr-defined]


def test_each_list_is_the_schemas() -> None:
    assert values(FIELDS["severity"]) == vocabulary.SEVERITIES
    assert values(FIELDS["status"]) == vocabulary.INCIDENT_STATUSES
    assert values(FIELDS["kind"]) == vocabulary.KINDS
    assert values(FIELDS["impact"]["items"]["properties"]["level"]) == vocabulary.IMPACT_LEVELS
    update_statuses = values(FIELDS["updates"]["items"]["properties"]["status"])
    assert update_statuses == vocabulary.UPDATE_STATUSES
    # Every update status announces a phase: an incident status, or else one of planned maintenance.
    lifecycle = FIELDS["updates"]["items"]["properties"]["status"]["x-lifecycle"]
    assert lifecycle == vocabulary.UPDATE_PHASES and set(lifecycle) == set(update_statuses)
    maintenance = {s for s, phase in lifecycle.items() if phase not in vocabulary.INCIDENT_STATUSES}
    assert set(vocabulary.MAINTENANCE_UPDATE_STATUSES) == maintenance
    assert values(FIELDS["action_items"]["items"]["properties"]["status"]) == vocabulary.ACTION_STATUSES
    categories = FIELDS["contributing_factors"]["items"]["properties"]["category"]
    assert values(categories) == vocabulary.FISHBONE_CATEGORIES


def test_the_marks_name_values_and_fields_the_schema_has() -> None:
    assert set(vocabulary.SEVERE) < set(vocabulary.SEVERITIES)
    assert set(vocabulary.OPEN_ACTION_STATUSES) < set(vocabulary.ACTION_STATUSES)
    assert vocabulary.PHASES[0] == "started_at" and vocabulary.PHASES[-1] == "resolved_at"
    for phase in vocabulary.PHASES:
        assert FIELDS[phase]["$ref"] == "#/$defs/timestamp", phase
    assert [vocabulary.phase_title(p) for p in vocabulary.PHASES][:2] == ["Started", "Detected"]


def test_what_code_adds_to_the_vocabulary_covers_all_of_it() -> None:
    """Presentation and definitions keyed by the vocabulary must cover every value the schema allows."""
    assert set(LEVEL_COLOURS) == set(vocabulary.IMPACT_LEVELS)
    for _, _, start, end in PHASE_METRICS:
        assert start in vocabulary.PHASES and end in vocabulary.PHASES


def test_no_module_keeps_its_own_copy() -> None:
    """A tuple of two or more vocabulary words written out in generator/ is a copy that will drift. (Pairs of
    phases are left out: a metric is defined by the two phases it measures between.)"""
    words = {
        *vocabulary.SEVERITIES,
        *vocabulary.UPDATE_STATUSES,
        *vocabulary.KINDS,
        *vocabulary.IMPACT_LEVELS,
        *vocabulary.ACTION_STATUSES,
    }
    quoted = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    copy = re.compile(rf'"(?:{quoted})"\s*,\s*"(?:{quoted})"')
    found = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in sorted((REPO / "generator").rglob("*.py"))
        if path.name != "vocabulary.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if copy.search(line)
    ]
    assert found == []
