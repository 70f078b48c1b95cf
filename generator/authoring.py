"""Writing records: `new` writes a record from a template; `update` appends a customer update in place."""

from __future__ import annotations

import codecs
import errno
import fcntl
import glob
import json
import os
import re
import stat
import tempfile
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml
from jinja2 import Environment, PackageLoader, StrictUndefined

from generator.findings import Finding, IncidentKBError, Severity, UsageError
from generator.knowledge_base import KnowledgeBase
from generator.loader import (
    MAX_FILE_BYTES,
    Document,
    LoadError,
    decode_record,
    parse_document,
    read_record,
    text_problem,
)
from generator.schemas import schema_path
from generator.validate import schema_findings, unrepresentable_times
from generator.vocabulary import IMPACT_LEVELS, PHASES

_ID_LINE = re.compile(r"^id:\s*[\"']?INC-(\d{4})-(\d+)", re.MULTILINE)


# Characters a YAML file may not hold raw (C0/C1 controls, DEL) or reads as line breaks (NEL, LS, PS).
_YAML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")


def yaml_quote(value: str) -> str:
    """A double-quoted YAML scalar that loads back as exactly `value` (JSON escapes are valid YAML escapes)."""
    quoted = json.dumps(value, ensure_ascii=False)
    return _YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("generator", "templates"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # YAML, not HTML: every interpolated string goes through yaml_str
    )
    env.filters["yaml_str"] = yaml_quote
    return env


@dataclass(frozen=True)
class NewIncident:
    title: str
    severity: str
    services: list[str]
    started_at: datetime
    kind: str = "incident"
    level: str | None = None  # None: the impact is not assessed yet, so nothing is published until it is set


def slugify(title: str, limit: int = 48) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return slug[:limit].rstrip("-") or "incident"


def next_incident_id(kb: KnowledgeBase, year: int) -> str:
    """One more than the highest number used in `year`; read from the text so broken files still count."""
    highest = 0
    for path in kb.incident_files():
        try:  # a link out of the repository, a FIFO or a huge file is not read (validate reports it)
            text = read_record(path, kb.display(path), inside=kb.root).decode("utf-8", errors="replace")
        except LoadError:
            continue
        for match in _ID_LINE.finditer(text):
            if int(match[1]) == year:
                highest = max(highest, int(match[2]))
    return f"INC-{year}-{highest + 1:03d}"


def create_incident(kb: KnowledgeBase, new: NewIncident) -> Path:
    """Write a new in-progress incident record and return its path.

    Each service gets an open impact window at the level the author chose, or an unassessed one (`level: null`)
    that is not published and counts for nothing in availability until the author sets it; a near miss gets none.
    """
    if new.started_at.tzinfo is None:
        raise UsageError("the start time needs an explicit offset, e.g. 2026-10-14T09:12:00Z")
    if new.level is not None and new.level not in IMPACT_LEVELS:
        raise UsageError(f"unknown impact level {new.level!r} (known: {', '.join(IMPACT_LEVELS)})")
    if problem := text_problem(new.title):
        raise UsageError(f"--title holds {problem}")
    if new.level is not None and new.kind == "near_miss":
        raise UsageError("a near miss did not affect customers: it starts with no impact windows; leave out --level")
    missing = [s for s in new.services if not (kb.service_dir / f"{s}.yaml").is_file()]
    if missing:
        known = ", ".join(p.stem for p in kb.service_files()) or "none"
        raise UsageError(f"unknown service(s): {', '.join(missing)} (known: {known})")
    started = new.started_at.replace(microsecond=0)
    folder = kb.incident_dir / f"{started.year:04d}"
    path = folder / f"{started.date().isoformat()}-{slugify(new.title)}.yaml"
    if path.exists():
        raise UsageError(f"{kb.display(path)} exists already; choose another title")
    text = (
        _environment()
        .get_template("new-incident.yaml.j2")
        .render(
            schema_ref=Path(os.path.relpath(_schema_for(kb), folder)).as_posix(),
            id=next_incident_id(kb, started.year),
            title=new.title,
            severity=new.severity,
            kind=new.kind,
            services=new.services,
            started_at=started.isoformat().replace("+00:00", "Z"),
            impact=new.kind != "near_miss",
            level=new.level,
            levels=IMPACT_LEVELS,
        )
    )
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _schema_for(kb: KnowledgeBase) -> Path:
    """The knowledge base's own copy of the schema when it has one, so the modeline stays inside the repository."""
    local = kb.root / "schemas" / "incident.schema.json"
    return local if local.is_file() else schema_path("incident")


# --- update: append a customer update to a live incident, editing the text in place ---------------------------
#
# `update` never loses a byte. The edit is made on the exact text of the record (libyaml's marks count
# characters as libyaml reads them: every kind of line break, a BOM kept aside), keeps the file's line endings,
# and the result is loaded again: anything but the old data plus this update is refused. The new bytes go to a
# temporary file beside the record (`.<name>.update-XXXXXXXX.tmp`, which no record pattern matches), are
# flushed to disk and renamed over the record, so a crash at any moment leaves the old or the new file, whole.
# An advisory lock on the record is held from before the read until after the rename, and right before the
# rename the record is compared with what was read, so a concurrent edit is refused, never overwritten.

RESPONSE_PHASES = PHASES[:-1]  # the phases an update may follow; resolved_at is what it may set
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")  # what libyaml reads as the end of a line
_BREAK_CHARACTERS = "\r\n\x85\u2028\u2029"
_PROPERTIES = re.compile(r"(?:[&!][^\s]*[ \t]+)*")  # a node's anchor and tag, which its start mark includes
_OPEN_RECORD = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC  # no link, no waiting on a FIFO
_LOCK_ATTEMPTS = 5
_MISSING = object()


class UpdateRefused(IncidentKBError):
    """`update` left the record exactly as it was; the message says why and what to do (exit 1)."""


def find_incident_file(kb: KnowledgeBase, incident_id: str) -> Path:
    """The record whose `id:` line names `incident_id` (read as text, so it works on files that do not validate)."""
    pattern = re.compile(rf"id:\s*[\"']?{re.escape(incident_id)}[\"']?\s*(#.*)?")
    matches = [
        path for path in kb.incident_files() if any(pattern.fullmatch(line) for line in _LINE_BREAK.split(_peek(path)))
    ]
    if not matches:
        raise UsageError(f"no incident record has id {incident_id}")
    if len(matches) > 1:
        raise UsageError(f"{incident_id} is used by {len(matches)} files: {', '.join(kb.display(p) for p in matches)}")
    return matches[0]


def _peek(path: Path) -> str:
    """The text of a regular file (BOM dropped), or "": a FIFO or device is never opened for reading or waited on.
    A link is followed, so that `update` finds the record and then refuses to write through the link."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return ""
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return ""
        return _read_all(descriptor, MAX_FILE_BYTES).decode("utf-8", errors="replace").removeprefix("\ufeff")
    finally:
        os.close(descriptor)


def update_incident_file(kb: KnowledgeBase, path: Path, *, at: datetime, status: str, message: str) -> None:
    """Append an update to the record at `path` and set its status, replacing the file atomically.

    Raises UpdateRefused, with the file untouched, when the record is a link or lies outside the knowledge base,
    another process holds its lock, it changes before the new version is in place, or the edited text would not
    load as the old data plus this update; LoadError when the record does not load in the first place.
    """
    shown = kb.display(path)
    if os.path.islink(path):
        raise UpdateRefused(
            f"{shown} is a symbolic link (to {os.readlink(path)}); update writes only real files, never through a link:"
            " it was not changed"
        )
    if not _is_inside(os.path.realpath(path), os.path.realpath(kb.root)):
        raise UpdateRefused(f"{shown} lies outside the knowledge base (through a linked folder); it was not changed")
    descriptor, before, raw = _open_locked(path, shown)
    try:
        new_raw = updated_record(raw, shown, at=at, status=status, message=message)
        _remove_stale_temporaries(path)
        _replace(path, descriptor, before, raw, new_raw, shown)
    finally:
        os.close(descriptor)  # releases the lock, after the rename


def updated_record(raw: bytes, shown: str, *, at: datetime, status: str, message: str) -> bytes:
    """The record's bytes with the update appended and every other byte kept, checked by loading the result."""
    if len(raw) > MAX_FILE_BYTES:
        too_large = f"file is more than {MAX_FILE_BYTES:,} bytes, the limit"
        raise LoadError(Finding(shown, 1, 1, Severity.ERROR, "file-too-large", too_large))
    text = decode_record(raw, shown)  # what the loader parses: the BOM, if any, is put back below
    bom = "\ufeff" if raw.startswith(codecs.BOM_UTF8) else ""
    doc = parse_document(text, shown)
    entry = _entry(at, status, message)
    new_text = _edit(doc, text, shown, entry)
    _check_edit(doc, new_text, shown, entry)
    new_raw = (bom + new_text).encode("utf-8")
    if len(new_raw) > MAX_FILE_BYTES:
        raise UpdateRefused(
            f"{shown}: with this update the record would be {len(new_raw):,} bytes, over the limit of"
            f" {MAX_FILE_BYTES:,}, and would no longer load; it was not changed"
        )
    return new_raw


def append_update(text: str, shown: str, *, at: datetime, status: str, message: str) -> str:
    """`text` with one more entry in `updates` and `status` set, everything else left byte for byte."""
    return _edit(parse_document(text, shown), text, shown, _entry(at, status, message))


def _entry(at: datetime, status: str, message: str) -> dict[str, str]:
    return {"at": at.isoformat().replace("+00:00", "Z"), "status": status, "message": message}


def _edit(doc: Document, text: str, shown: str, entry: dict[str, str]) -> str:
    """The edited text. Offsets are libyaml's mark indexes: characters of `text`, whatever its line breaks."""
    root = doc.root
    eol = _line_ending(text)
    indent = " " * root.value[0][0].start_mark.column if root.value else ""
    edits: list[tuple[int, int, str]] = []  # (start offset, end offset, replacement), applied back to front

    status_node = _value_node(root, "status")
    if status_node is not None:
        edits.append(_replace_scalar(text, status_node, entry["status"]))
    elif root.value:  # a required key: a record without one gets it after its first entry
        edits.append(
            _new_lines(text, _end_of_last_line(text, root.value[0][1]), f"{indent}status: {entry['status']}{eol}")
        )
    if entry["status"] == "resolved":
        resolved = _value_node(root, "resolved_at")
        if resolved is not None and resolved.tag.endswith(":null"):
            edits.append(_replace_scalar(text, resolved, entry["at"]))
        elif resolved is None:  # add it after the last response phase the record has
            phases = [n for n in (_value_node(root, k) for k in RESPONSE_PHASES) if n is not None]
            anchor = _end_of_last_line(text, phases[-1] if phases else status_node or root)
            edits.append(_new_lines(text, anchor, f"{indent}resolved_at: {entry['at']}{eol}"))

    updates = _value_node(root, "updates")
    if updates is None:
        item = _block_item(entry, len(indent) + 2, eol)
        edits.append(_new_lines(text, len(text), f"{indent}updates:{eol}{item}"))
    elif isinstance(updates, yaml.SequenceNode) and updates.flow_style:
        start, end = updates.start_mark.index, updates.end_mark.index
        if updates.value:
            close = text.rindex("]", start, end)
            edits.append((close, close, ", " + _flow_item(entry)))
        else:  # `updates: []` becomes a block list; a comment on that line stays where it is
            key_column = _key_node(root, "updates").start_mark.column  # type: ignore[union-attr]
            line_break = _LINE_BREAK.search(text, end)
            line_end = line_break.start() if line_break else len(text)
            after = text[end:line_end].lstrip()
            edits.append((start - 1 if text[start - 1] == " " else start, line_end, after and " " + after))
            insert = line_break.end() if line_break else len(text)
            prefix = "" if line_break else eol
            edits.append((insert, insert, prefix + _block_item(entry, key_column + 2, eol)))
    elif isinstance(updates, yaml.SequenceNode):
        position = _end_of_last_line(text, updates.value[-1])
        edits.append(_new_lines(text, position, _block_item(entry, updates.start_mark.column, eol)))
    else:
        raise UsageError(f"{shown}: 'updates' is not a list; fix it by hand first")

    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def _check_edit(old: Document, new_text: str, shown: str, entry: dict[str, str]) -> None:
    """Refuse an edited text that does not load as exactly the old data plus this update, or fails the schema more."""
    try:
        new = parse_document(new_text, shown)
    except LoadError as exc:
        where = f"line {exc.finding.line}, column {exc.finding.column}"
        raise UpdateRefused(
            f"{shown}: with this update the record would not load ({where}: {exc.finding.message}); it was not changed"
        ) from None
    expected = dict(old.data, status=entry["status"], updates=[*(old.data.get("updates") or []), entry])
    if entry["status"] == "resolved" and old.data.get("resolved_at") is None:
        expected["resolved_at"] = entry["at"]
    changed = sorted(
        k for k in expected.keys() | new.data.keys() if expected.get(k, _MISSING) != new.data.get(k, _MISSING)
    )
    if changed:
        raise UpdateRefused(
            f"{shown}: editing this layout would also change {', '.join(changed)}; it was not changed: add the update"
            " by hand"
        )
    worse = Counter(_schema_problems(new)) - Counter(_schema_problems(old))
    if worse:
        _rule, problem = next(iter(worse))
        raise UpdateRefused(
            f"{shown}: with this update the record would fail the schema ({problem}); it was not changed"
        )


def _schema_problems(doc: Document) -> list[tuple[str, str]]:
    return [(f.rule, f.message) for f in (*schema_findings(doc, "incident"), *unrepresentable_times(doc))]


def _open_locked(path: Path, shown: str) -> tuple[int, os.stat_result, bytes]:
    """An open descriptor of the record that holds its lock, the record's `stat` and its bytes, read under the lock."""
    for _ in range(_LOCK_ATTEMPTS):
        try:
            descriptor = os.open(path, _OPEN_RECORD)
        except OSError as exc:
            if exc.errno == errno.ELOOP:  # a link swapped in since the check
                raise UpdateRefused(
                    f"{shown} is a symbolic link; update never writes through a link: it was not changed"
                ) from None
            raise
        try:
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                raise UpdateRefused(f"{shown} is not a regular file; it was not changed")
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise UpdateRefused(
                    f"{shown} is being updated by another process right now; nothing was changed: run the update"
                    " again when that one is done"
                ) from None
            locked = os.fstat(descriptor)
            if _same_file(locked, os.lstat(path)):  # not replaced by another update between the open and the lock
                return descriptor, locked, _read_all(descriptor, MAX_FILE_BYTES + 1)
        except BaseException:
            os.close(descriptor)
            raise
        os.close(descriptor)
    raise UpdateRefused(f"{shown} keeps being replaced by another process; nothing was changed: try again")


def _replace(path: Path, descriptor: int, before: os.stat_result, raw: bytes, new_raw: bytes, shown: str) -> None:
    """Put `new_raw` in place of the record in one rename, unless the record is no longer the `raw` that was read."""
    folder = path.parent
    temporary_descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.update-", suffix=".tmp", dir=folder)
    try:
        try:
            view = memoryview(new_raw)
            while view:
                view = view[os.write(temporary_descriptor, view) :]
            with suppress(PermissionError):  # the group of a shared checkout, where this user may set it
                os.fchown(temporary_descriptor, -1, before.st_gid)
            os.fchmod(temporary_descriptor, stat.S_IMODE(before.st_mode))
            os.fsync(temporary_descriptor)
        finally:
            os.close(temporary_descriptor)
        if not _unchanged(path, descriptor, before, raw):
            raise UpdateRefused(
                f"{shown} was changed by another program while the update was being made; nothing was written and"
                " that change is kept: run the update again"
            )
        # one rename: the record is the old file or the new one, never a part; a link put there is not followed
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_folder(folder)


def _unchanged(path: Path, descriptor: int, before: os.stat_result, raw: bytes) -> bool:
    """Whether the record is still the very file, with the very bytes, that was read under the lock."""
    try:
        now = os.lstat(path)
    except FileNotFoundError:
        return False
    written = (now.st_size, now.st_mtime_ns, now.st_ctime_ns) != (
        before.st_size,
        before.st_mtime_ns,
        before.st_ctime_ns,
    )
    return _same_file(before, now) and not written and _read_all(descriptor, MAX_FILE_BYTES + 1) == raw


def _same_file(first: os.stat_result, second: os.stat_result) -> bool:
    return stat.S_ISREG(second.st_mode) and (first.st_dev, first.st_ino) == (second.st_dev, second.st_ino)


def _read_all(descriptor: int, limit: int) -> bytes:
    """Up to `limit` bytes of an open file, from its start."""
    chunks: list[bytes] = []
    offset = 0
    while offset < limit:
        chunk = os.pread(descriptor, min(limit - offset, 1 << 20), offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def _remove_stale_temporaries(path: Path) -> None:
    """Delete the temporary files updates of this record left when they were killed. Called with the lock held:
    no other update of the record can be writing one now."""
    for leftover in path.parent.glob(f".{glob.escape(path.name)}.update-*.tmp"):
        with suppress(OSError):
            leftover.unlink()


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable."""
    with suppress(OSError):  # some file systems cannot sync a folder; the rename is done either way
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _is_inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(os.path.join(folder, ""))


def _line_ending(text: str) -> str:
    """The line break most lines of `text` end with (a file written on Windows keeps its CRLF); "\\n" by default."""
    counts = Counter(_LINE_BREAK.findall(text))
    return max(("\n", "\r\n", "\r", "\x85", "\u2028", "\u2029"), key=counts.__getitem__)


def _replace_scalar(text: str, node: yaml.Node, value: str) -> tuple[int, int, str]:
    """Replace a scalar's text, keeping its anchor (`&name`) or tag, if any, in front of it."""
    start, end = node.start_mark.index, node.end_mark.index
    properties = _PROPERTIES.match(text, start)
    start = min(properties.end(), end) if properties else start
    return (start, end, value if end > start else " " + value)  # an empty value (`key:`) has no space yet


def _new_lines(text: str, position: int, lines: str) -> tuple[int, int, str]:
    """Insert whole lines at `position` (a line start, or the end of a file that may lack its last line break)."""
    needs_break = position == len(text) and text and text[-1] not in _BREAK_CHARACTERS
    return (position, position, (_line_ending(text) if needs_break else "") + lines)


def _key_node(root: yaml.MappingNode, key: str) -> yaml.Node | None:
    return next((k for k, _ in root.value if k.value == key), None)


def _value_node(root: yaml.MappingNode, key: str) -> yaml.Node | None:
    return next((v for k, v in root.value if k.value == key), None)


def _end_of_last_line(text: str, node: yaml.Node) -> int:
    """The offset just after the line holding the last character of `node` (block nodes end at the next token)."""
    while isinstance(node, yaml.SequenceNode | yaml.MappingNode) and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(last, tuple) else last
    end = node.end_mark.index
    if end > 0 and text[end - 1] in _BREAK_CHARACTERS:
        return end
    line_break = _LINE_BREAK.search(text, end)
    return line_break.end() if line_break else len(text)


def _block_item(entry: dict[str, str], indent: int, eol: str) -> str:
    pad = " " * indent
    lines = [
        f"{pad}- at: {entry['at']}",
        f"{pad}  status: {entry['status']}",
        f"{pad}  message: {yaml_quote(entry['message'])}",
    ]
    return eol.join(lines) + eol


def _flow_item(entry: dict[str, str]) -> str:
    return f"{{at: {entry['at']}, status: {entry['status']}, message: {yaml_quote(entry['message'])}}}"
