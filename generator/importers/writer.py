"""Writing an import into a knowledge base, safely enough to run again and again.

A translation (what the source holds) becomes files:

- Each source record is matched with the record an earlier import wrote, by provenance.source (system and id),
  wherever a person has moved it. A match whose provenance is no longer `imported` (a person took the record
  over) is left alone, as is every record of another source.
- A new record gets the next id of its year and a file name from its start and title; a match keeps its id and
  path, and is merged three ways (merge.py) with what the source said at the last import, kept in the import
  state `imports/<system>-<source>.json`: an edit a person made is kept, a field the source changed is updated.
- An existing file is edited in place with ruamel.yaml's round trip, so comments and layout a person added
  stay; every text is read back with our loader and must give exactly the intended data and pass the schema,
  or it is not written. Each file is written to a temporary file and renamed over the old one (never through a
  link, never outside the knowledge base), and the state last: a run killed half-way leaves whole files, and the
  next run finds the records it wrote equal to what the source says.
"""

from __future__ import annotations

import io
import json
import os
import re
import stat
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML, CommentedMap, YAMLError

from generator.authoring import slugify
from generator.findings import UsageError
from generator.importers import SourceRecord, Translation, service_id_for
from generator.importers.merge import MISSING, merge
from generator.knowledge_base import KnowledgeBase
from generator.loader import MAX_FILE_BYTES, LoadError, decode_record, parse_document, read_record
from generator.model import parse_time
from generator.schemas import load_schema, schema_path
from generator.validate import schema_findings

DELETED = (
    "deleted since the last import, so not written again; to import it again, remove its entry from the import state"
)
STATE_FORMAT = "incidentkb-import-state"
STATE_VERSION = 1
_ID = re.compile(r"^id:\s*[\"']?INC-(\d{4})-(\d+)", re.MULTILINE)


@dataclass(frozen=True)
class Outcome:
    """What happened to one record: added, updated, unchanged, left alone or not written."""

    action: str
    kind: str  # incident | service
    path: str
    key: str
    detail: str = ""


@dataclass
class ImportReport:
    outcomes: list[Outcome] = field(default_factory=list)
    kept_edits: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for o in self.outcomes if o.action == action)

    def summary(self, dry_run: bool) -> str:
        verbs = ("would add", "would update") if dry_run else ("added", "updated")
        return (
            f"{len(self.outcomes)} records: {self.count('add')} {verbs[0]}, {self.count('update')} {verbs[1]},"
            f" {self.count('unchanged')} unchanged, {self.count('left alone')} left alone,"
            f" {self.count('not written')} not written; {len(self.kept_edits)} edit(s) by people kept;"
            f" {len(self.unmapped)} thing(s) could not be mapped"
        )


@dataclass
class _Existing:
    """A record file as it is now."""

    path: Path
    text: str
    data: dict[str, Any]


@dataclass
class _Scan:
    """Every record file of the knowledge base, by the source record it came from."""

    by_source: dict[tuple[str, str, str], list[_Existing]] = field(default_factory=dict)  # (kind, system, key)
    unreadable: list[tuple[Path, str]] = field(default_factory=list)  # (path, its text as far as readable)
    service_ids: set[str] = field(default_factory=set)
    incident_paths: set[str] = field(default_factory=set)
    highest_number: dict[int, int] = field(default_factory=dict)  # year -> highest INC number in use


class Importer:
    """Writes translations into `kb`; with `dry_run`, works out everything and writes nothing."""

    def __init__(self, kb: KnowledgeBase, *, today: date, by: str, dry_run: bool = False) -> None:
        self.kb = kb
        self.today = today
        self.by = by
        self.dry_run = dry_run
        self.report = ImportReport()
        self._scan = self._scan_knowledge_base()
        self._yaml = _round_trip_yaml()

    def run(self, translations: Sequence[Translation]) -> ImportReport:
        """Services first (incidents refer to them), then every incident in time order, so that new ids count up
        with time across all sources; each source's state last."""
        states = []
        incidents: list[tuple[Translation, SourceRecord, dict[str, Any]]] = []
        for translation in translations:
            self.report.unmapped.extend(translation.unmapped)
            state_path = self._state_path(translation)
            state = self._read_state(state_path, translation)
            states.append((state_path, state))
            renamed = {s.record["id"]: self._service(translation, s, state) for s in translation.services}
            incidents.extend((translation, _with_services(s, renamed), state) for s in translation.incidents)
        for translation, source, state in sorted(incidents, key=lambda item: _time_order(item[1].record)):
            self._incident(translation, source, state)
        for state_path, state in states:
            self._write_state(state_path, state)
        return self.report

    # --- one record ---------------------------------------------------------------------------------------

    def _service(self, translation: Translation, source: SourceRecord, state: dict[str, Any]) -> str:
        """Write or update one service; return the id incidents of this import refer to it by."""
        matches = self._scan.by_source.get(("service", translation.system, source.key), [])
        entry = state["services"].get(source.key)
        if not matches and entry:  # a person deleted it: that is an edit too
            self._outcome("left alone", "service", entry["path"], source.key, DELETED)
            return str(entry["id"])
        if len(matches) == 1 and matches[0].data.get("provenance", {}).get("method") != "imported":
            existing = matches[0]
            self._outcome("left alone", "service", existing.path, source.key, "its provenance is no longer imported")
            return str(existing.data.get("id"))
        if len(matches) > 1:
            where = ", ".join(self.kb.display(m.path) for m in matches)
            self._outcome(
                "left alone", "service", matches[0].path, source.key, f"held by {len(matches)} files: {where}"
            )
            return str(matches[0].data.get("id"))
        if matches:
            existing = matches[0]
            new = dict(source.record, id=existing.data.get("id"))
            self._update(translation, "service", existing, new, entry, state["services"], source.key)
            return str(existing.data.get("id"))
        service_id = self._free_service_id(source.record["id"])
        record = _ordered(dict(source.record, id=service_id), "service")
        record["provenance"] = self._first_provenance(record["provenance"])
        path = self.kb.service_dir / f"{service_id}.yaml"
        if self._add(translation, "service", path, record, source.key):
            self._scan.service_ids.add(service_id)
            shown = self.kb.display(path)
            state["services"][source.key] = {"id": service_id, "path": shown, "imported": _without_first(record)}
        return service_id

    def _incident(self, translation: Translation, source: SourceRecord, state: dict[str, Any]) -> None:
        matches = self._scan.by_source.get(("incident", translation.system, source.key), [])
        entry = state["incidents"].get(source.key)
        if unreadable := [p for p, text in self._scan.unreadable if source.key in text]:
            self._outcome("left alone", "incident", unreadable[0], source.key, "a file that may hold it does not load")
            return
        if not matches and entry:  # a person deleted it: that is an edit too
            self._outcome("left alone", "incident", entry["path"], source.key, DELETED)
            return
        if len(matches) > 1:
            where = ", ".join(self.kb.display(m.path) for m in matches)
            self._outcome(
                "left alone", "incident", matches[0].path, source.key, f"held by {len(matches)} files: {where}"
            )
            return
        if matches:
            existing = matches[0]
            if existing.data.get("provenance", {}).get("method") != "imported":
                method = existing.data.get("provenance", {}).get("method", "live")
                self._outcome("left alone", "incident", existing.path, source.key, f"its provenance is now {method}")
                return
            new = {"id": existing.data.get("id"), **source.record}
            self._update(translation, "incident", existing, new, entry, state["incidents"], source.key)
            return
        record_id, path = self._new_place(source.record)
        record = _ordered({"id": record_id, **source.record}, "incident")
        record["provenance"] = self._first_provenance(record["provenance"])
        if self._add(translation, "incident", path, record, source.key):
            shown = self.kb.display(path)
            self._scan.incident_paths.add(shown)
            state["incidents"][source.key] = {"id": record_id, "path": shown, "imported": _without_first(record)}

    # --- adding and updating ------------------------------------------------------------------------------

    def _add(self, translation: Translation, kind: str, path: Path, record: dict[str, Any], key: str) -> bool:
        text = self._header(translation, kind, path) + self._dump(record)
        if problem := self._check(text, record, kind, path):
            self._outcome("not written", kind, path, key, problem)
            return False
        if not self.dry_run:
            _write_new(self.kb, path, text)
        self._outcome("add", kind, path, key, f"{record['id']}, from {translation.system} {key}")
        return True

    def _update(
        self,
        translation: Translation,
        kind: str,
        existing: _Existing,
        new: dict[str, Any],
        entry: Mapping[str, Any] | None,
        state_records: dict[str, Any],
        key: str,
    ) -> None:
        base = entry.get("imported", MISSING) if entry else MISSING
        base_source = _ordered(_without_first(new), kind)
        merged = merge(base, existing.data, base_source)
        shown = self.kb.display(existing.path)
        for where in merged.kept_edits:
            source_value = _at(base_source, where)
            said = "" if source_value is MISSING else f"; the source now says {_short(source_value)}"
            self.report.kept_edits.append(f"{shown}: kept the edit of {where}{said}")
        record_id = str(existing.data.get("id"))
        state_records[key] = {"id": record_id, "path": shown, "imported": base_source}
        if merged.value == existing.data:
            self._outcome("unchanged", kind, existing.path, key)
            return
        changed = sorted(k for k in merged.value.keys() | existing.data.keys()
                         if merged.value.get(k, MISSING) != existing.data.get(k, MISSING))  # fmt: skip
        try:
            text = self._edit(existing, merged.value)
        except YAMLError as exc:
            self._outcome("not written", kind, existing.path, key, f"could not be edited in place: {exc}")
            return
        if problem := self._check(text, merged.value, kind, existing.path):
            self._outcome("not written", kind, existing.path, key, problem)
            return
        if not self.dry_run and not _replace(self.kb, existing.path, existing.text, text):
            self._outcome("not written", kind, existing.path, key, "changed by someone else during the import")
            return
        self._outcome("update", kind, existing.path, key, f"{record_id}: {', '.join(changed)}")

    def _check(self, text: str, record: Mapping[str, Any], kind: str, path: Path) -> str | None:
        """Why `text` may not be written, if it may not: it must load as `record` and pass the schema."""
        shown = self.kb.display(path)
        try:
            doc = parse_document(text, shown)
        except LoadError as exc:
            return f"would not load ({exc.finding.message})"
        if doc.data != record:
            return "its YAML would not read back as the imported data"
        if len(text.encode("utf-8")) > MAX_FILE_BYTES:
            return f"would be more than {MAX_FILE_BYTES:,} bytes"
        if findings := schema_findings(doc, kind):
            return f"would fail the schema: {findings[0].message}"
        return None

    def _first_provenance(self, provenance: Mapping[str, Any]) -> dict[str, Any]:
        """provenance as a new record gets it: written on today, by this import (set once, never updated)."""
        first = {"method": provenance["method"], "written_on": self.today.isoformat(), "by": self.by}
        return first | {k: v for k, v in provenance.items() if k != "method"}

    def _outcome(self, action: str, kind: str, path: Path | str, key: str, detail: str = "") -> None:
        shown = path if isinstance(path, str) else self.kb.display(path)
        self.report.outcomes.append(Outcome(action, kind, shown, key, detail))

    # --- ids, names and paths -----------------------------------------------------------------------------

    def _new_place(self, record: Mapping[str, Any]) -> tuple[str, Path]:
        started = parse_time(_first_time(record))
        if started is None:
            raise UsageError(f"{record.get('title')!r}: no time to date it by (the translator must give one)")
        year = started.year
        number = self._scan.highest_number.get(year, 0) + 1
        self._scan.highest_number[year] = number
        folder = self.kb.incident_dir / f"{year:04d}"
        day = started.isoformat()[:10]
        slug = slugify(str(record.get("title") or "incident"))
        path, suffix = folder / f"{day}-{slug}.yaml", 2
        while self.kb.display(path) in self._scan.incident_paths or os.path.lexists(path):
            path, suffix = folder / f"{day}-{slug}-{suffix}.yaml", suffix + 1
        return f"INC-{year}-{number:03d}", path

    def _free_service_id(self, service_id: str) -> str:
        candidate, number = service_id, 2
        while candidate in self._scan.service_ids or os.path.lexists(self.kb.service_dir / f"{candidate}.yaml"):
            candidate, number = service_id_for(f"{service_id}-{number}"), number + 1
        return candidate

    # --- YAML ---------------------------------------------------------------------------------------------

    def _header(self, translation: Translation, kind: str, path: Path) -> str:
        local = self.kb.root / "schemas" / f"{kind}.schema.json"
        schema = local if local.is_file() else schema_path(kind)
        reference = Path(os.path.relpath(schema, path.parent)).as_posix()
        return (
            f"# yaml-language-server: $schema={reference}\n"
            f"# Imported from {translation.system} ({translation.source}) by `incidentkb import`. Importing again\n"
            "# updates the fields the source holds and keeps every edit a person made (docs/importing.md).\n"
        )

    def _dump(self, data: Any) -> str:
        stream = io.StringIO()
        self._yaml.dump(data, stream)
        return stream.getvalue()

    def _edit(self, existing: _Existing, merged: Mapping[str, Any]) -> str:
        """The record's text with `merged` put in, comments and layout of every untouched part kept."""
        tree = self._yaml.load(existing.text)
        _apply(tree, existing.data, merged)
        return self._dump(tree)

    # --- state --------------------------------------------------------------------------------------------

    def _state_path(self, translation: Translation) -> Path:
        name = f"{service_id_for(translation.system)}-{service_id_for(translation.source)}.json"
        return self.kb.root / "imports" / name

    def _read_state(self, path: Path, translation: Translation) -> dict[str, Any]:
        empty = {"format": STATE_FORMAT, "version": STATE_VERSION, "system": translation.system,
                 "source": translation.source, "services": {}, "incidents": {}}  # fmt: skip
        if not os.path.lexists(path):
            return empty
        shown = self.kb.display(path)
        try:
            state = json.loads(read_record(path, shown, inside=self.kb.root))
        except (LoadError, ValueError) as exc:
            reason = exc.finding.message if isinstance(exc, LoadError) else f"not JSON ({exc})"
            raise UsageError(f"{shown}: the import state {reason}; restore it from git or remove it") from None
        if not isinstance(state, dict) or state.get("format") != STATE_FORMAT or state.get("version") != STATE_VERSION:
            raise UsageError(f"{shown}: not an incidentkb import state (format {STATE_FORMAT}, version 1)")
        for part in ("services", "incidents"):
            if not isinstance(state.get(part), dict):
                raise UsageError(f"{shown}: the import state has no {part!r} object; restore it from git")
        return state

    def _write_state(self, path: Path, state: dict[str, Any]) -> None:
        text = json.dumps(state, indent=2, ensure_ascii=False) + "\n"
        if self.dry_run:
            return
        current = _current_text(path)
        if current == text:
            return
        if current is None:
            _write_new(self.kb, path, text)
        elif not _replace(self.kb, path, current, text):
            raise UsageError(f"{self.kb.display(path)} changed during the import; run it again")

    # --- the knowledge base as it is ----------------------------------------------------------------------

    def _scan_knowledge_base(self) -> _Scan:
        scan = _Scan()
        for kind, paths in (("incident", self.kb.incident_files()), ("service", self.kb.service_files())):
            for path in paths:
                self._scan_file(scan, kind, path)
        return scan

    def _scan_file(self, scan: _Scan, kind: str, path: Path) -> None:
        shown = self.kb.display(path)
        if kind == "service":
            scan.service_ids.add(path.stem)
        else:
            scan.incident_paths.add(shown)
        try:
            text = decode_record(read_record(path, shown, inside=self.kb.root), shown)
        except LoadError:
            return  # a link out, a FIFO, a huge file: not ours to read; validate reports it
        for match in _ID.finditer(text):
            year, number = int(match[1]), int(match[2])
            scan.highest_number[year] = max(scan.highest_number.get(year, 0), number)
        try:
            data = parse_document(text, shown).data
        except LoadError:
            scan.unreadable.append((path, text))
            return
        source = (data.get("provenance") or {}).get("source") if isinstance(data.get("provenance"), dict) else None
        if isinstance(source, dict) and isinstance(source.get("system"), str) and source.get("id") is not None:
            key = (kind, source["system"], str(source["id"]))
            scan.by_source.setdefault(key, []).append(_Existing(path, text, data))


# --- helpers ------------------------------------------------------------------------------------------------


def _round_trip_yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.width = 100_000  # never fold a line: a folded plain scalar leaves trailing spaces in the diff
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.preserve_quotes = True
    yaml.allow_unicode = True
    yaml.representer.add_representer(type(None), _represent_null)
    yaml.representer.add_representer(str, _represent_str)
    return yaml


def _represent_null(representer: Any, _: None) -> Any:
    return representer.represent_scalar("tag:yaml.org,2002:null", "null")  # as people write it, not ""


def _represent_str(representer: Any, value: str) -> Any:
    """Text of several lines as a literal block (a post-mortem body reads as it was written)."""
    if "\n" in value.strip("\n") and not any(line != line.rstrip() for line in value.splitlines()):
        return representer.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return representer.represent_str(value)


def _time_order(record: Mapping[str, Any]) -> tuple[int, float]:
    moment = parse_time(_first_time(record))
    return (0, moment.timestamp()) if moment is not None else (1, 0.0)


def _apply(tree: Any, old: Any, new: Any) -> Any:
    """Put `new` into the ruamel `tree` (which reads as `old`), touching only what differs."""
    if isinstance(tree, CommentedMap) and isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in [k for k in tree if k not in new]:
            del tree[key]
        for position, (key, value) in enumerate(new.items()):
            if key in tree:
                if old.get(key, MISSING) != value:
                    tree[key] = _apply(tree[key], old.get(key), value)
            else:
                tree.insert(min(position, len(tree)), key, value)
        return tree
    return new


def _with_services(source: SourceRecord, renamed: Mapping[str, str]) -> SourceRecord:
    """The record with its services under the ids they got in the knowledge base."""
    record = dict(source.record)
    record["services"] = [renamed.get(s, s) for s in record.get("services") or []]
    record["impact"] = [dict(w, service=renamed.get(w["service"], w["service"])) for w in record.get("impact") or []]
    if not record["impact"]:
        del record["impact"]
    return SourceRecord(source.key, record)


def _ordered(record: Mapping[str, Any], kind: str) -> dict[str, Any]:
    order = {key: index for index, key in enumerate(load_schema(kind)["properties"])}
    return dict(sorted(record.items(), key=lambda item: order.get(item[0], len(order))))


def _without_first(record: Mapping[str, Any]) -> dict[str, Any]:
    """What the source said: the record without what the importer set once (written_on, by)."""
    provenance = {k: v for k, v in record.get("provenance", {}).items() if k not in ("written_on", "by")}
    return dict(record, provenance=provenance)


def _first_time(record: Mapping[str, Any]) -> Any:
    candidates: Iterable[Any] = (
        record.get("started_at"),
        record.get("detected_at"),
        (record.get("scheduled") or {}).get("start"),
        *(entry.get("at") for entry in record.get("timeline") or []),
        *(entry.get("at") for entry in record.get("updates") or []),
    )
    return next((c for c in candidates if c is not None), None)


def _at(data: Any, where: str) -> Any:
    for part in where.split("."):
        if not isinstance(data, Mapping) or part not in data:
            return MISSING
        data = data[part]
    return data


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def _current_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _check_target(kb: KnowledgeBase, path: Path) -> None:
    """Refuse to write through a link or outside the knowledge base (a pull request may have put one there)."""
    folder = os.path.realpath(path.parent)
    root = os.path.realpath(kb.root)
    if folder != root and not folder.startswith(os.path.join(root, "")):
        raise UsageError(f"{kb.display(path)}: its folder leads outside the knowledge base; nothing was written there")
    if os.path.islink(path) or (os.path.lexists(path) and not stat.S_ISREG(os.lstat(path).st_mode)):
        raise UsageError(f"{kb.display(path)} is a link or not a regular file; the import never writes through it")


def _write_new(kb: KnowledgeBase, path: Path, text: str) -> None:
    _check_target(kb, path)  # before a folder is made: incidents/ itself may be a link out
    path.parent.mkdir(parents=True, exist_ok=True)
    _check_target(kb, path)
    if os.path.lexists(path):
        raise UsageError(f"{kb.display(path)} appeared during the import; nothing was written over it")
    _write_atomically(path, text)


def _replace(kb: KnowledgeBase, path: Path, expected: str, text: str) -> bool:
    """Replace the file, unless it no longer holds `expected` (someone edited it meanwhile)."""
    _check_target(kb, path)
    if _current_text(path) != expected:
        return False
    _write_atomically(path, text)
    return True


def _write_atomically(path: Path, text: str) -> None:
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.import-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise
