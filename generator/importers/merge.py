"""The three-way merge that lets an import run again without losing a person's edit.

`base` is what the source said at the last import (kept in the import state), `current` the record as it is now
(a person may have edited it), `new` what the source says today. Per field, recursively through mappings:

- the record still holds what the source said last time: take the source's new value;
- the source says what it said last time: keep the record's value (a person's edit, or a field only people fill);
- both changed, differently: keep the record's value and report the conflict, so a person decides.

Lists are one value each (an impact list or an update list is merged whole). Without a base (no import state: a
first import over records that already exist), every difference counts as a person's edit: nothing is lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING"})()


@dataclass
class Merged:
    value: Any
    kept_edits: list[str] = field(default_factory=list)  # "title" or "summary.public": where a person's edit won


def merge(base: Any, current: Any, new: Any) -> Merged:
    kept: list[str] = []
    return Merged(_merge(base, current, new, "", kept), kept)


def _merge(base: Any, current: Any, new: Any, where: str, kept: list[str]) -> Any:
    if current in (new, base):
        return new
    if new == base:
        return current
    if isinstance(current, Mapping) and isinstance(new, Mapping):
        base_map = base if isinstance(base, Mapping) else {}
        merged: dict[str, Any] = {}
        for key in [*current, *(k for k in new if k not in current)]:
            # a key the base never had, on both sides: no history for it, so the record's value is the edit
            value = _merge(base_map.get(key, MISSING), current.get(key, MISSING), new.get(key, MISSING),
                           f"{where}.{key}" if where else key, kept)  # fmt: skip
            if value is not MISSING:
                merged[key] = value
        return merged
    kept.append(where or "(the whole record)")
    return current
