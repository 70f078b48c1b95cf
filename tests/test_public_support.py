"""Helpers shared by the public-site tests (tests/test_public_*.py); this module holds no tests itself.

* `run_cli` runs the real command line (`python -m generator --root KB ...`) in a subprocess.
* `KnowledgeBaseWriter` writes records as real files (JSON text, which is YAML 1.2, so no typing surprises).
* `CanaryFiller` walks the incident and service schemas generically (local `$ref`s followed) and fills every
  string leaf that is not public with a unique canary token; a value is public only if it and every property
  above it carry `x-public: true`.
* `write_canary_kb` writes the canary knowledge base used by the canary, feed and browser tests.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
SCHEMAS = PROJECT / "schemas"
PUBLIC_MARK = "x-public"

# Every canary contains this word; no public value and no theme asset does, so any occurrence is a leak.
CANARY_WORD = b"canary"

# Internal numbers get values that occur nowhere else.
CANARY_INTEGER = 7319457
CANARY_NUMBER = 4817.25
CANARY_DATE = "2031-01-15"


def run_cli(root: Path, *args: object, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The real `incidentkb` command, as a subprocess, on the knowledge base at `root`."""
    return subprocess.run(
        [sys.executable, "-m", "generator", "--root", str(root), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=root.parent,
        timeout=timeout,
        check=False,
    )


def run_ok(root: Path, *args: object) -> str:
    proc = run_cli(root, *args)
    assert proc.returncode == 0, f"incidentkb {' '.join(map(str, args))} exited {proc.returncode}:\n{proc.stderr}"
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.stdout


def unescape_markdown(text: str) -> str:
    """Markdown text as it reads once rendered: the generator backslash-escapes punctuation (e.g. `09\\:12`)."""
    return re.sub(r"\\([\\`*_{}\[\]()#+\-.!|~=^:?<>&])", r"\1", text)


def load_schema(kind: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / f"{kind}.schema.json").read_text(encoding="utf-8"))


def resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """A node with its local `$ref` followed; the referring node's own keywords win (as JSON Schema 2020-12)."""
    seen = 0
    while "$ref" in node:
        seen += 1
        assert seen < 20, "reference cycle"
        ref = node["$ref"]
        assert ref.startswith("#/"), f"only local references are expected, got {ref}"
        target: Any = schema
        for part in ref[2:].split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def types_of(node: dict[str, Any]) -> list[str]:
    kind = node.get("type")
    if kind is None:
        return []
    return [kind] if isinstance(kind, str) else list(kind)


# --- the knowledge base on disk -------------------------------------------------------------------------------


@dataclass
class KnowledgeBaseWriter:
    root: Path

    def write(self, relative: str, data: dict[str, Any]) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path

    def service(self, data: dict[str, Any]) -> Path:
        return self.write(f"services/{data['id']}.yaml", data)

    def incident(self, slug: str, data: dict[str, Any]) -> Path:
        day = data["started_at"][:10]
        return self.write(f"incidents/{day[:4]}/{day}-{slug}.yaml", data)

    def settings(self, text: str) -> Path:
        path = self.root / "incidentkb.yml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path


def service(service_id: str, public_name: str | None, slo: float, **extra: Any) -> dict[str, Any]:
    return {
        "id": service_id,
        "name": f"{service_id} service",
        "owner_team": "team",
        "tier": 1,
        "public": {"listed": public_name is not None, "name": public_name},
        "slo": {"availability": slo},
        **extra,
    }


def window(service_id: str, level: str, start: str, end: str | None = None) -> dict[str, Any]:
    data = {"service": service_id, "level": level, "start": start}
    if end is not None:
        data["end"] = end
    return data


def incident(
    incident_id: str,
    title: str,
    started_at: str,
    impact: list[dict[str, Any]],
    *,
    services: list[str] | None = None,
    kind: str = "incident",
    status: str = "resolved",
    severity: str = "SEV3",
    resolved_at: str | None = None,
    summary: str | None = None,
    updates: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A valid record; `resolved_at` defaults to the last impact end for resolved records."""
    if status == "resolved" and resolved_at is None:
        resolved_at = max((w["end"] for w in impact), default=started_at)
    return {
        "id": incident_id,
        "title": title,
        "severity": severity,
        "status": status,
        "kind": kind,
        "services": services or sorted({w["service"] for w in impact}),
        "started_at": started_at,
        "resolved_at": resolved_at if status == "resolved" else None,
        "impact": impact,
        "summary": {"public": summary or f"Customers were affected by: {title}."},
        "updates": updates or [],
        **extra,
    }


def update(at: str, status: str, message: str) -> dict[str, Any]:
    return {"at": at, "status": status, "message": message}


# --- canaries -------------------------------------------------------------------------------------------------


@dataclass
class CanaryFiller:
    """Fills records so that every internal leaf holds a unique canary (see the module docstring).

    `tokens` maps each canary token to the schema path it was put at (for failure messages and coverage).
    """

    tokens: dict[str, str] = field(default_factory=dict)
    timestamps: list[str] = field(default_factory=list)  # internal timestamps, each with non-zero seconds
    covered: set[str] = field(default_factory=set)  # schema paths that received a canary value of any kind
    counter: int = 0
    record_minutes: int = 0

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    def text(self, path: str) -> str:
        n = self._next()
        token = f"CANARY-{n:03d}"
        self.tokens[token] = path
        self.covered.add(path)
        # Internal prose often names hosts and people: make the canary look like it.
        return f"{token} on db-{n}.canary.corp.internal, ask canary.person{n}@corp.example"

    def slug(self, path: str) -> str:
        token = f"canary-{self._next():03d}"
        self.tokens[token] = path
        self.covered.add(path)
        return token

    def url(self, path: str) -> str:
        n = self._next()
        self.tokens[f"canary-{n:03d}"] = path
        self.covered.add(path)
        return f"https://canary-{n:03d}.internal/dashboards/canary-{n:03d}"

    def timestamp(self, base: datetime, path: str) -> str:
        # Whole minutes after the record's start, increasing in schema order (so detected <= acknowledged <=
        # mitigated, timelines in order), with seconds that no public timestamp has (those are all on :00).
        n = self._next()
        self.record_minutes += 1
        moment = base + timedelta(minutes=self.record_minutes, seconds=n % 58 + 1)
        value = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.timestamps.append(value)
        self.covered.add(path)
        return value

    def register_given(self, value: str, path: str) -> None:
        self.covered.add(path)
        for token in re.findall(r"canary-[0-9a-z-]+|CANARY-[0-9]+", value):
            self.tokens.setdefault(token, path)

    # The walk ------------------------------------------------------------------------------------------------

    def fill(self, kind: str, record: dict[str, Any], *, hide_public: bool = False) -> dict[str, Any]:
        """`record` completed from schema `kind`: every property present, every internal string a canary.

        Given values are kept where public (unless `hide_public`: the whole record must stay unpublished, so
        its public prose becomes canaries too; its ids and service ids are kept), where they are timestamps,
        enums, numbers or booleans, and where they already are canaries. Missing public values are left out
        (an open impact window has no end). Missing arrays get two items; given arrays keep their length.
        """
        schema = load_schema(kind)
        self.record_minutes = 0
        start = record.get("started_at") or "2026-01-01T00:00:00Z"
        base = datetime.fromisoformat(start.replace("Z", "+00:00"))
        return self._walk(schema, schema, record, public=True, hide=hide_public, path=kind, base=base)

    def _walk(
        self,
        schema: dict[str, Any],
        node: dict[str, Any],
        value: Any,
        *,
        public: bool,
        hide: bool,
        path: str,
        base: datetime,
        index: int = 0,
    ) -> Any:
        node = resolve(schema, node)
        types = types_of(node)
        if "properties" in node:
            result = dict(value) if isinstance(value, dict) else {}
            for key, prop in node["properties"].items():
                child_public = public and resolve(schema, prop).get(PUBLIC_MARK) is True
                if key not in result and child_public and not hide:
                    continue
                result[key] = self._walk(
                    schema,
                    prop,
                    result.get(key, _MISSING),
                    public=child_public,
                    hide=hide,
                    path=f"{path}.{key}",
                    base=base,
                )
            return result
        if "items" in node:
            # Arrays carry the mark; their items inherit it.
            items = value if isinstance(value, list) else [_MISSING, _MISSING]  # given lists keep their length
            return [
                self._walk(schema, node["items"], item, public=public, hide=hide, path=f"{path}[]", base=base, index=i)
                for i, item in enumerate(items)
            ]
        if "enum" in node:
            if value is not _MISSING:
                return value
            choices = [c for c in node["enum"] if c is not None]
            return choices[index % len(choices)]
        if "string" in types:
            return self._string(node, value, public=public, hide=hide, path=path, base=base)
        if value is not _MISSING:
            return value
        if "integer" in types:
            return CANARY_INTEGER
        if "number" in types:
            return CANARY_NUMBER
        if "boolean" in types:
            return True
        raise AssertionError(f"{path}: no way to fill a node of type {types}")

    def _string(self, node: dict[str, Any], value: Any, *, public: bool, hide: bool, path: str, base: datetime) -> Any:
        pattern = node.get("pattern", "")
        is_time = node.get("format") == "date-time"
        is_date = node.get("format") == "date"
        given = value is not _MISSING
        if given and (is_time or is_date or value is None):
            if value is not None and is_time and (hide or not public):
                self.timestamps.append(value)
                self.covered.add(path)
            return value  # constrained by the validator's ordering rules: the record's author chose it
        if public and not hide:
            assert given, f"{path}: a public value must be given"
            return value
        if isinstance(value, str) and "canary" in value.lower():
            self.register_given(value, path)
            return value
        if public and given and pattern:
            return value  # an id or a service id of a record that is never published: constrained, not prose
        if is_time:
            return self.timestamp(base, path)
        if is_date:
            self.covered.add(path)
            return CANARY_DATE
        if pattern.startswith("^https?://"):
            return self.url(path)
        if pattern == "^[a-z0-9][a-z0-9-]*$":
            return self.slug(path)
        assert not pattern, f"{path}: no canary for pattern {pattern!r}"
        return self.text(path)


_MISSING: Any = object()


def internal_string_paths(kind: str) -> set[str]:
    """Every schema path of a string leaf that is not public, found by walking the schema alone."""
    schema = load_schema(kind)
    found: set[str] = set()

    def walk(node: dict[str, Any], public: bool, path: str, depth: int = 0) -> None:
        assert depth < 30
        node = resolve(schema, node)
        if "properties" in node:
            for key, prop in node["properties"].items():
                walk(prop, public and resolve(schema, prop).get(PUBLIC_MARK) is True, f"{path}.{key}", depth + 1)
        elif "items" in node:
            walk(node["items"], public, f"{path}[]", depth + 1)
        elif "string" in types_of(node) and "enum" not in node and not public:
            found.add(path)

    walk(schema, True, kind)
    return found


# --- the canary knowledge base ----------------------------------------------------------------------------------

# Settings of the report tests' knowledge bases: weights 1 / 0.3 / 0, so that every figure can be worked out by hand
REPORT_SETTINGS = """\
report:
  timezone: {timezone}
  weights:
    major_outage: 1.0
    partial_outage: 0.3
    degraded_performance: 0.0
public:
  site_name: Acme status
  site_url: https://status.acme.example/
  company: Acme
"""

CANARY_AS_OF = "2026-10-20T12:00:00Z"
INTERNAL_SERVICE = "canary-internal-svc"


@dataclass
class CanaryKB:
    root: Path
    filler: CanaryFiller
    public_incidents: dict[str, dict[str, Any]]  # id -> record, customer-facing (listed services, not near miss)
    hidden_incidents: dict[str, dict[str, Any]]  # id -> record, never published
    services: dict[str, dict[str, Any]]
    public_service_names: dict[str, str]  # listed id -> public name
    ongoing_id: str


def write_canary_kb(root: Path) -> CanaryKB:
    """Three services (two listed, one not) and six incidents: two resolved ones (one also touching the unlisted
    service), a maintenance, a near miss, an incident on the unlisted service only, and an ongoing one."""
    kb = KnowledgeBaseWriter(root)
    filler = CanaryFiller()
    kb.settings(
        "report:\n  timezone: UTC\n"
        "  weights: {major_outage: 1.0, partial_outage: 0.3, degraded_performance: 0.0}\n"
        "public:\n  site_name: Example status\n  site_url: https://status.example.com/\n  company: Example\n"
    )

    services = {
        "storefront": service("storefront", "Website", 0.999, depends_on=[INTERNAL_SERVICE], tier=1),
        "payments": service("payments", "Card payments", 0.9995, depends_on=[INTERNAL_SERVICE], tier=1),
    }
    filled_services = {sid: filler.fill("service", data) for sid, data in services.items()}
    hidden_service = {
        "id": INTERNAL_SERVICE,
        "name": "canary internal service",
        "tier": 2,
        "public": {"listed": False, "name": "canary public name of an unlisted service"},
        "slo": {"availability": 0.99},
        "depends_on": [],
    }
    filled_services[INTERNAL_SERVICE] = filler.fill("service", hidden_service, hide_public=True)
    for data in filled_services.values():
        kb.service(data)

    public: dict[str, dict[str, Any]] = {}
    hidden: dict[str, dict[str, Any]] = {}

    def add(slug: str, record: dict[str, Any], *, hide: bool = False) -> None:
        filled = filler.fill("incident", record, hide_public=hide)
        kb.incident(slug, filled)
        (hidden if hide else public)[filled["id"]] = filled

    def summary(text: str) -> dict[str, str]:
        return {
            "public": text,
            "public_cause": f"Cause told to customers for {text}",
            "public_mitigation": f"Mitigation told to customers for {text}",
            "public_prevention": f"Prevention told to customers for {text}",
        }

    add(
        "payments-partial",
        {
            **incident(
                "INC-2026-100",
                "Some card payments were declined in September",
                "2026-09-15T14:00:00Z",
                [window("payments", "partial_outage", "2026-09-15T14:00:00Z", "2026-09-15T15:30:00Z")],
                updates=[
                    update("2026-09-15T14:10:00Z", "investigating", "Public update September one."),
                    update("2026-09-15T15:35:00Z", "resolved", "Public update September two."),
                ],
            ),
            "summary": summary("Public summary of the September payments incident."),
        },
    )
    add(
        "checkout-outage",
        {
            **incident(
                "INC-2026-101",
                "Checkout was unavailable for most shoppers",
                "2026-10-02T09:50:00Z",
                [
                    window(INTERNAL_SERVICE, "major_outage", "2026-10-02T09:50:00Z", "2026-10-02T10:50:00Z"),
                    window("storefront", "major_outage", "2026-10-02T10:00:00Z", "2026-10-02T10:40:00Z"),
                    window("payments", "partial_outage", "2026-10-02T10:05:00Z", "2026-10-02T10:30:00Z"),
                ],
                services=["storefront", "payments", INTERNAL_SERVICE],
                severity="SEV2",
                resolved_at="2026-10-02T11:00:00Z",
                updates=[
                    update("2026-10-02T10:05:00Z", "investigating", "Public update checkout one."),
                    update("2026-10-02T10:35:00Z", "identified", "Public update checkout two."),
                    update("2026-10-02T11:00:00Z", "resolved", "Public update checkout three."),
                ],
            ),
            "summary": summary("Public summary of the checkout outage."),
        },
    )
    add(
        "planned-payments-maintenance",
        {
            **incident(
                "INC-2026-102",
                "Planned maintenance of card payments",
                "2026-10-06T02:00:00Z",
                [window("payments", "major_outage", "2026-10-06T02:00:00Z", "2026-10-06T03:00:00Z")],
                kind="maintenance",
                severity="SEV4",
                updates=[
                    update("2026-10-05T12:00:00Z", "identified", "Public update maintenance announced."),
                    update("2026-10-06T03:05:00Z", "resolved", "Public update maintenance done."),
                ],
            ),
            "summary": summary("Public summary of the planned maintenance."),
        },
    )
    add(
        "caught-by-canary",
        incident(
            "INC-2026-103",
            "canary near miss title",
            "2026-10-08T08:00:00Z",
            [window("payments", "degraded_performance", "2026-10-08T08:00:00Z", "2026-10-08T08:20:00Z")],
            kind="near_miss",
            severity="SEV4",
            summary="canary near miss public summary",
            updates=[update("2026-10-08T08:10:00Z", "investigating", "canary near miss update message")],
        ),
        hide=True,
    )
    add(
        "internal-only",
        incident(
            "INC-2026-104",
            "canary internal only incident title",
            "2026-10-09T07:00:00Z",
            [window(INTERNAL_SERVICE, "major_outage", "2026-10-09T07:00:00Z", "2026-10-09T08:00:00Z")],
            severity="SEV2",
            summary="canary internal only public summary",
            updates=[update("2026-10-09T07:30:00Z", "investigating", "canary internal only update message")],
        ),
        hide=True,
    )
    add(
        "website-slow-and-failing",
        {
            **incident(
                "INC-2026-105",
                "The website is slow and some pages fail",
                "2026-10-19T20:00:00Z",
                [
                    window("storefront", "degraded_performance", "2026-10-19T20:00:00Z"),
                    window("storefront", "major_outage", "2026-10-20T06:00:00Z", "2026-10-20T07:00:00Z"),
                    window("storefront", "partial_outage", "2026-10-20T08:00:00Z"),
                ],
                status="identified",
                updates=[
                    update("2026-10-19T20:15:00Z", "investigating", "Public update ongoing one."),
                    update("2026-10-20T08:10:00+02:00", "identified", "Public update ongoing two."),
                    update("2026-10-20T08:20:00Z", "identified", "Public update ongoing three."),
                ],
            ),
            "summary": summary("Public summary of the ongoing website incident."),
        },
    )

    return CanaryKB(
        root=root,
        filler=filler,
        public_incidents=public,
        hidden_incidents=hidden,
        services=filled_services,
        public_service_names={"storefront": "Website", "payments": "Card payments"},
        ongoing_id="INC-2026-105",
    )


# --- scanning output ------------------------------------------------------------------------------------------


def output_blobs(folder: Path) -> Iterator[tuple[str, bytes]]:
    """Every file under `folder` as (relative path, bytes); .gz files also decompressed (path + '!')."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        data = path.read_bytes()
        yield relative, data
        if path.suffix == ".gz":
            yield relative + "!", gzip.decompress(data)


def leaks(blobs: list[tuple[str, bytes]], needles: list[bytes]) -> list[str]:
    """Where any needle (case-insensitive) occurs: 'file: needle ... context'."""
    found = []
    for name, data in blobs:
        lowered = data.lower()
        for needle in needles:
            at = lowered.find(needle.lower())
            if at >= 0:
                context = data[max(0, at - 60) : at + 80].decode("utf-8", "replace")
                found.append(f"{name}: {needle.decode()!r} in ...{context}...")
    return found
