"""Writing records: `new` (and, later, updates to live incidents)."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from generator.findings import UsageError
from generator.schemas import schema_path
from generator.validate import KnowledgeBase

_ID_LINE = re.compile(r"^id:\s*[\"']?INC-(\d{4})-(\d+)", re.MULTILINE)


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("generator", "templates"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # YAML, not HTML: every interpolated string goes through yaml_str
    )
    env.filters["yaml_str"] = lambda value: json.dumps(value, ensure_ascii=False)  # JSON strings are YAML scalars
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
            level=None if new.kind == "near_miss" else "major_outage",
        )
    )
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _schema_for(kb: KnowledgeBase) -> Path:
    """The knowledge base's own copy of the schema when it has one, so the modeline stays inside the repository."""
    local = kb.root / "schemas" / "incident.schema.json"
    return local if local.is_file() else schema_path("incident")
