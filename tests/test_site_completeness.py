"""Completeness: every field of the incident schema appears on the post-mortem page, every field of the service
schema on the runbook.

The records are made by walking the schemas (tests/support.py: RecordMaker), so a field added to a schema
later is covered without touching this file. Several variants rotate the enum values, so every value of every
enum is rendered at least once. The records are validated first: they must pass the validator's policy rules.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support import (
    AS_OF,
    Leaf,
    RecordMaker,
    assert_ok,
    build,
    html_text,
    instance_leaf_paths,
    leaves,
    load_schema,
    make_kb,
    map_strings,
    page_path,
    parse_html,
    resolve,
    schema_leaf_paths,
)

from generator.findings import format_text, has_errors
from generator.knowledge_base import KnowledgeBase
from generator.validate import validate_knowledge_base

INCIDENT_SCHEMA = load_schema("incident")
SERVICE_SCHEMA = load_schema("service")
BASE = datetime(2026, 10, 1, 10, 0, tzinfo=UTC)
DEPENDENCY = {
    "id": "site-dependency",
    "name": "A dependency",
    "owner_team": "Platform",
    "tier": 3,
    "public": {"listed": False},
    "slo": {"availability": 0.99},
}
POSTMORTEM_SEVERITIES = ("SEV1", "SEV2")
MAINTENANCE_UPDATE_STATUSES = (
    "scheduled",
    "in_progress",
    "completed",
)  # generator/validate.py: postmortem_complete wants 2 to 4 action items
# Fields a page shows in words of its own rather than as the value (and only these).
OTHER_FORMS: dict[str, dict[Any, list[str]]] = {
    "public.listed": {True: ["listed as"], False: ["not listed"]},
}


def _enum_sizes(schema: dict[str, Any]) -> list[int]:
    sizes: list[int] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "enum" in node:
                sizes.append(len([v for v in node["enum"] if v is not None]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return sizes


VARIANTS = max(_enum_sizes(INCIDENT_SCHEMA) + _enum_sizes(SERVICE_SCHEMA) + [2])


def make_service(variant: int) -> dict[str, Any]:
    record = RecordMaker(SERVICE_SCHEMA, variant=variant, base=BASE, prefix="svc").make()
    record["depends_on"] = [DEPENDENCY["id"]]  # a reference: must name a service that exists
    if not record["public"]["listed"]:
        record["public"]["name"] = None  # only listed services have a public name (shown as `listed as NAME`)
    return record


def make_incident(variant: int, service_id: str) -> dict[str, Any]:
    record = RecordMaker(INCIDENT_SCHEMA, variant=variant, base=BASE + timedelta(days=variant), prefix="inc").make()
    record["id"] = f"INC-2026-{901 + variant}"
    record["status"] = "resolved"  # so resolved_at may be set (and is shown)
    record["services"] = [service_id]
    if any(u["status"] in MAINTENANCE_UPDATE_STATUSES for u in record.get("updates") or []):
        record["kind"] = "maintenance"  # generator/validate.py: maintenance statuses only on maintenance
    for window in list(record.get("impact") or []):
        if window["kind"] != "availability":
            # Only availability has a level (rules.impact-kind): the level moves to an availability twin.
            twin = map_strings(window, lambda s: s.replace("-zz", "-availability-zz"))
            record["impact"].append({**twin, "kind": "availability"})
            window["level"] = None
    for window in record.get("impact") or []:
        window["service"] = service_id
        if window["kind"] != "availability":
            pass
        elif record["kind"] == "near_miss":
            window["level"] = "degraded_performance"  # a near miss had no customer impact
    stamps = [
        datetime.fromisoformat(leaf.value.replace("Z", "+00:00"))
        for leaf in leaves(INCIDENT_SCHEMA, record)
        if leaf.kind == "timestamp"
    ]
    record["resolved_at"] = (max(stamps) + timedelta(minutes=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    if record["severity"] in POSTMORTEM_SEVERITIES and record["kind"] == "incident":
        second = map_strings(record["action_items"][0], lambda s: s.replace("-zz", "-second-zz"))
        record["action_items"].append(second)
    return record


@pytest.fixture(scope="module")
def complete_kb(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("complete")
    services = [make_service(v) for v in range(VARIANTS)]
    incidents = [make_incident(v, services[v]["id"]) for v in range(VARIANTS)]
    root = make_kb(base / "kb", incidents, [*services, DEPENDENCY])
    return {"root": root, "incidents": incidents, "services": services, "base": base}


@pytest.fixture(scope="module")
def complete_site(complete_kb: dict[str, Any]) -> Path:
    site = complete_kb["base"] / "out" / "site"
    assert_ok(build(complete_kb["root"], site))
    return site


def test_the_records_use_every_field_and_every_enum_value(complete_kb: dict[str, Any]) -> None:
    for schema, records in ((INCIDENT_SCHEMA, complete_kb["incidents"]), (SERVICE_SCHEMA, complete_kb["services"])):
        covered: set[str] = set()
        for record in records:
            covered |= instance_leaf_paths(leaves(schema, record))
        missing = schema_leaf_paths(schema) - covered
        assert not missing, f"the generated records leave out {sorted(missing)}"
        _assert_every_enum_value_used(schema, records)


def _assert_every_enum_value_used(schema: dict[str, Any], records: list[dict[str, Any]]) -> None:
    used: dict[str, set[Any]] = {}
    for record in records:
        for leaf in leaves(schema, record):
            if leaf.kind == "enum":
                used.setdefault(re.sub(r"\.\d+(?=\.|$)", "[]", leaf.dotted), set()).add(leaf.value)
    declared: dict[str, set[Any]] = {}

    def walk(node: dict[str, Any], path: str) -> None:
        node = resolve(schema, node)
        if "enum" in node:
            declared[path] = {v for v in node["enum"] if v is not None}
        for key, sub in (node.get("properties") or {}).items():
            walk(sub, f"{path}.{key}" if path else key)
        if "items" in node:
            walk(node["items"], f"{path}[]")

    walk(schema, "")
    # Values the validator forbids in these records (status is fixed to resolved so resolved_at can be shown;
    # the status values are all used by updates[].status).
    fixed = {"status"}
    for path, values in declared.items():
        if path in fixed:
            continue
        assert values <= used.get(path, set()), f"{path}: values never used: {sorted(values - used.get(path, set()))}"


def test_the_records_are_valid(complete_kb: dict[str, Any]) -> None:
    result = validate_knowledge_base(KnowledgeBase(complete_kb["root"]), today=date.fromisoformat(AS_OF[:10]))
    assert not has_errors(result.findings), format_text(result.findings)
    assert len(result.incidents) == VARIANTS
    assert len(result.services) == VARIANTS + 1


def _shown(form: str, kind: str, text: str) -> bool:
    if kind in ("string", "timestamp", "date"):
        return form in text  # tokens are unique; a timestamp is unique to the minute
    if kind == "number":  # not a part of a longer number or of a time such as 10:17
        return re.search(rf"(?<![\w.:]){re.escape(form)}(?![\w:]|\.\d)", text) is not None
    return re.search(rf"(?<![\w-]){re.escape(form)}(?![\w-])", text) is not None  # enum values, yes/no


def _missing(found: list[Leaf], page: Path) -> list[str]:
    markup = page.read_text(encoding="utf-8")
    text = html_text(markup)
    hrefs = {tag.get("href") for tag in parse_html(markup).tags if tag.name == "a"}
    missing = []
    for leaf in found:
        other = OTHER_FORMS.get(re.sub(r"\.\d+(?=\.|$)", "", leaf.dotted), {}).get(leaf.value)
        forms = other or leaf.forms()
        if leaf.kind == "string" and re.match(r"^https?://", leaf.value) and leaf.value in hrefs:
            continue  # a URL is shown as a link to itself
        if not any(_shown(form, leaf.kind, text) for form in forms):
            missing.append(f"{leaf.dotted} = {leaf.value!r} (looked for {forms})")
    return missing


def test_every_incident_field_is_on_the_postmortem(complete_kb: dict[str, Any], complete_site: Path) -> None:
    problems = []
    for record in complete_kb["incidents"]:
        page = page_path(complete_site, f"incidents/{record['id']}")
        assert page.is_file(), f"no post-mortem page {page}"
        missing = _missing(leaves(INCIDENT_SCHEMA, record), page)
        if missing:
            problems.append(f"{record['id']} (kind {record['kind']}):\n  " + "\n  ".join(missing))
    assert not problems, "values missing from post-mortem pages:\n" + "\n".join(problems)


def test_every_service_field_is_on_the_runbook(complete_kb: dict[str, Any], complete_site: Path) -> None:
    problems = []
    for record in complete_kb["services"]:
        page = page_path(complete_site, f"runbooks/{record['id']}")
        assert page.is_file(), f"no runbook page {page}"
        missing = _missing(leaves(SERVICE_SCHEMA, record), page)
        if missing:
            problems.append(f"{record['id']}:\n  " + "\n  ".join(missing))
    assert not problems, "values missing from runbook pages:\n" + "\n".join(problems)


def test_the_check_would_notice_a_missing_value(complete_kb: dict[str, Any], complete_site: Path) -> None:
    """The comparison itself can fail: a value that is not on the page is reported."""
    record = complete_kb["incidents"][0]
    page = page_path(complete_site, f"incidents/{record['id']}")
    absent = [
        Leaf(("summary", "internal"), "tok-not-on-any-page-zz", "string"),
        Leaf(("started_at",), "2031-01-02T03:04:00Z", "timestamp"),
    ]
    assert len(_missing(absent, page)) == 2
