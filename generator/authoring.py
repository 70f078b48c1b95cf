"""Writing records: `new` writes a record from a template; `update` appends a customer update in place."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml
from jinja2 import Environment, PackageLoader, StrictUndefined

from generator.findings import UsageError
from generator.loader import parse_document
from generator.schemas import schema_path
from generator.validate import KnowledgeBase

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


def slugify(title: str, limit: int = 48) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return slug[:limit].rstrip("-") or "incident"


def next_incident_id(kb: KnowledgeBase, year: int) -> str:
    """One more than the highest number used in `year`; read from the text so broken files still count."""
    highest = 0
    for path in kb.incident_files():
        for match in _ID_LINE.finditer(path.read_text(encoding="utf-8", errors="replace")):
            if int(match[1]) == year:
                highest = max(highest, int(match[2]))
    return f"INC-{year}-{highest + 1:03d}"


def create_incident(kb: KnowledgeBase, new: NewIncident) -> Path:
    """Write a new in-progress incident record and return its path."""
    if new.started_at.tzinfo is None:
        raise UsageError("the start time needs an explicit offset, e.g. 2026-10-14T09:12:00Z")
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
            level={"near_miss": None, "maintenance": "partial_outage"}.get(new.kind, "major_outage"),
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

UPDATE_STATUSES = ("investigating", "identified", "monitoring", "resolved")
RESPONSE_PHASES = ("started_at", "detected_at", "acknowledged_at", "mitigated_at")


def find_incident_file(kb: KnowledgeBase, incident_id: str) -> Path:
    """The record whose `id:` line names `incident_id` (read as text, so it works on files that do not validate)."""
    pattern = re.compile(rf"^id:\s*[\"']?{re.escape(incident_id)}[\"']?\s*(#.*)?$", re.MULTILINE)
    matches = [p for p in kb.incident_files() if pattern.search(p.read_text(encoding="utf-8", errors="replace"))]
    if not matches:
        raise UsageError(f"no incident record has id {incident_id}")
    if len(matches) > 1:
        raise UsageError(f"{incident_id} is used by {len(matches)} files: {', '.join(kb.display(p) for p in matches)}")
    return matches[0]


def append_update(text: str, shown: str, *, at: datetime, status: str, message: str) -> str:
    """`text` with one more entry in `updates` and `status` set, everything else left byte for byte."""
    doc = parse_document(text, shown)
    edits: list[tuple[int, int, str]] = []  # (start offset, end offset, replacement), applied back to front
    offsets = _line_offsets(text)
    at_text = at.isoformat().replace("+00:00", "Z")
    entry = {"at": at_text, "status": status, "message": message}

    status_node = _value_node(doc.root, "status")
    if status_node is not None:
        edits.append((_offset(offsets, status_node.start_mark), _offset(offsets, status_node.end_mark), status))
    if status == "resolved":
        resolved = _value_node(doc.root, "resolved_at")
        if resolved is not None and resolved.tag.endswith(":null"):
            edits.append((_offset(offsets, resolved.start_mark), _offset(offsets, resolved.end_mark), at_text))
        elif resolved is None:  # add it after the last response phase the record has
            phases = [n for n in (_value_node(doc.root, k) for k in RESPONSE_PHASES) if n is not None]
            anchor = _end_of_last_line(text, offsets, phases[-1] if phases else status_node or doc.root)
            edits.append((anchor, anchor, f"resolved_at: {at_text}\n"))

    updates = _value_node(doc.root, "updates")
    if updates is None:
        ending = "" if text.endswith("\n") else "\n"
        edits.append((len(text), len(text), f"{ending}updates:\n{_block_item(entry, 2)}"))
    elif isinstance(updates, yaml.SequenceNode) and updates.flow_style:
        start, end = _offset(offsets, updates.start_mark), _offset(offsets, updates.end_mark)
        if updates.value:
            close = text.rindex("]", start, end)
            edits.append((close, close, ", " + _flow_item(entry)))
        else:  # `updates: []` becomes a block list; a comment on that line stays where it is
            key_column = _key_node(doc.root, "updates").start_mark.column  # type: ignore[union-attr]
            line_end = text.find("\n", end)
            line_end = len(text) if line_end == -1 else line_end
            after = text[end:line_end]
            edits.append(
                (start - 1 if text[start - 1] == " " else start, line_end, after.lstrip() and " " + after.lstrip())
            )
            insert = line_end + 1 if line_end < len(text) else line_end
            prefix = "" if line_end < len(text) else "\n"
            edits.append((insert, insert, prefix + _block_item(entry, key_column + 2)))
    elif isinstance(updates, yaml.SequenceNode):
        position = _end_of_last_line(text, offsets, updates.value[-1])
        edits.append((position, position, _block_item(entry, updates.start_mark.column)))
    else:
        raise UsageError(f"{shown}: 'updates' is not a list; fix it by hand first")

    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def _line_offsets(text: str) -> list[int]:
    offsets = [0]
    for index, char in enumerate(text):
        if char == "\n":
            offsets.append(index + 1)
    return offsets


def _offset(offsets: list[int], mark: yaml.Mark) -> int:
    return offsets[mark.line] + mark.column


def _key_node(root: yaml.MappingNode, key: str) -> yaml.Node | None:
    return next((k for k, _ in root.value if k.value == key), None)


def _value_node(root: yaml.MappingNode, key: str) -> yaml.Node | None:
    return next((v for k, v in root.value if k.value == key), None)


def _end_of_last_line(text: str, offsets: list[int], node: yaml.Node) -> int:
    """The offset just after the line holding the last character of `node` (block nodes end at the next token)."""
    while isinstance(node, yaml.SequenceNode | yaml.MappingNode) and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(last, tuple) else last
    end = _offset(offsets, node.end_mark)
    if end > 0 and text[end - 1] == "\n":
        return end
    newline = text.find("\n", end)
    return len(text) if newline == -1 else newline + 1


def _block_item(entry: dict[str, str], indent: int) -> str:
    pad = " " * indent
    lines = [
        f"{pad}- at: {entry['at']}",
        f"{pad}  status: {entry['status']}",
        f"{pad}  message: {yaml_quote(entry['message'])}",
    ]
    return "\n".join(lines) + "\n"


def _flow_item(entry: dict[str, str]) -> str:
    return f"{{at: {entry['at']}, status: {entry['status']}, message: {yaml_quote(entry['message'])}}}"
