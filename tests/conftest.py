"""Shared fixtures: a small, fully valid knowledge base on disk, and helpers to write records and run the CLI.

Records are kept as Python dicts (so tests can mutate them) and written as YAML with `dump_yaml`, a PyYAML
dumper that quotes every string the YAML 1.2 core schema would read as something else (PyYAML itself emits
YAML 1.1, where e.g. `1e5` and `0o17` are plain strings but YAML 1.2 reads them as numbers). The near miss is
also kept as hand-written YAML text, with comments, flow style and a block scalar, as people write it.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.knowledge_base import KnowledgeBase
from generator.validate import ValidationResult, validate_knowledge_base

PROJECT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent
CORPUS = TESTS / "corpus"
TODAY = "2026-11-23"
TODAY_DATE = date.fromisoformat(TODAY)

# Rule names the loader can report (generator/loader.py); a file that breaks one never reaches the schema.
LOADER_RULES = frozenset(
    {
        "yaml-syntax",
        "duplicate-key",
        "multiple-documents",
        "not-a-mapping",
        "encoding",
        "alias-limit",
        "nesting-limit",
        "file-too-large",
        "yaml-tag",
        "key-type",
        "control-character",
        "yaml-number",
    }
)

# --- YAML writing -------------------------------------------------------------------------------------------

# Plain scalars that the YAML 1.2 core schema (spec 1.2.2, section 10.3.2) resolves to null, bool, int or float.
CORE_NON_STRING = re.compile(
    r"~|null|Null|NULL|"
    r"true|True|TRUE|false|False|FALSE|"
    r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|"
    r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|"
    r"[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)"
)


class RecordDumper(yaml.SafeDumper):
    """PyYAML's safe dumper, made safe for a YAML 1.2 reader (see the module docstring)."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Also double-quote strings with a NEL or a line/paragraph separator: PyYAML may write them raw into a
    # single-quoted scalar, where a YAML reader folds the NEL into a space.
    special = value == "" or CORE_NON_STRING.fullmatch(value) or any(c in value for c in "\x85\u2028\u2029")
    style = '"' if special else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


RecordDumper.add_representer(str, _represent_str)


def dump_yaml(data: Any) -> str:
    return yaml.dump(
        data, Dumper=RecordDumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=4096
    )


def node_position(text: str, json_path: Sequence[str | int], *, key: bool = False) -> tuple[int, int]:
    """1-based line and column of the node at `json_path` in `text` (of its key if `key`), found with PyYAML's
    own composer: an oracle independent of generator.loader.locate."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    key_node = None
    for part in json_path:
        if isinstance(node, yaml.MappingNode):
            matches = [(k, v) for k, v in node.value if k.value == part]
            assert matches, f"{part!r} not found in the document"
            key_node, node = matches[0]
        else:
            assert isinstance(node, yaml.SequenceNode) and isinstance(part, int)
            key_node, node = None, node.value[part]
    target = key_node if key else node
    assert target is not None
    return target.start_mark.line + 1, target.start_mark.column + 1


def text_position(text: str, needle: str, *, after: bool = True, occurrence: int = 1) -> tuple[int, int]:
    """Line and column right after (or at, if not `after`) the `occurrence`-th `needle` in `text`."""
    index = -1
    for _ in range(occurrence):
        index = text.index(needle, index + 1)
    if after:
        index += len(needle)
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


# --- records ------------------------------------------------------------------------------------------------

SERVICES: dict[str, dict[str, Any]] = {
    "api": {
        "id": "api",
        "name": "Public API gateway",
        "description": "Routes every public API call to the backend services.",
        "owner_team": "platform",
        "tier": 1,
        "public": {"listed": True, "name": "API"},
        "slo": {"availability": 0.999},
        "depends_on": ["db"],
        "escalation": [
            {"name": "Platform on-call", "role": "first responder", "contact": "pager:platform", "hours": "24/7"},
            {"name": "Head of platform", "role": None, "contact": "#platform-leads", "hours": "office hours"},
        ],
        "dashboards": [{"title": "API golden signals", "url": "https://grafana.example/d/api"}],
        "diagnostics": [{"title": "Error rate by route", "command": "kubectl logs -l app=api", "expect": "< 0.1%"}],
        "containment_levers": [
            {
                "kind": "feature_flag_off",
                "name": "checkout_v2",
                "how": "flagctl off checkout_v2",
                "minutes_to_effect": 1,
                "side_effects": "Customers get the old checkout.",
            },
            {"kind": "rollback", "name": "deploy rollback", "how": "deployctl rollback api", "minutes_to_effect": 12},
        ],
        "smoke_tests": [{"name": "checkout-happy-path", "command": "make smoke-checkout", "covers": "checkout"}],
        "tags": ["edge", "tier-1"],
    },
    "db": {
        "id": "db",
        "name": "Orders database",
        "description": None,
        "owner_team": "data",
        "tier": 1,
        "public": {"listed": False},
        "slo": {"availability": 0.9995},
        "depends_on": [],
    },
    "web": {
        "id": "web",
        "name": "Web storefront",
        "owner_team": "storefront",
        "tier": 2,
        "public": {"listed": True, "name": "Website"},
        "slo": {"availability": 0.995},
        "depends_on": ["api"],
    },
}

SEV1_FILE = "incidents/2026/2026-10-14-checkout-errors.yaml"
INVESTIGATING_FILE = "incidents/2026/2026-11-02-slow-search.yaml"
NEAR_MISS_FILE = "incidents/2026/2026-11-10-config-caught-by-canary.yaml"
OLD_FILE = "incidents/2025/2025-12-30-login-latency.yaml"


def service(name: str) -> dict[str, Any]:
    return copy.deepcopy(SERVICES[name])


def sev1_incident() -> dict[str, Any]:
    """A resolved SEV1 with a complete post-mortem: nearly every field of the schema is used."""
    return {
        "id": "INC-2026-014",
        "title": "Checkout failed for most customers",
        "severity": "SEV1",
        "status": "resolved",
        "kind": "incident",
        "services": ["api", "web"],
        "started_at": "2026-10-14T09:12:00Z",
        "detected_at": "2026-10-14T09:15:00Z",
        "acknowledged_at": "2026-10-14T09:18:00Z",
        "mitigated_at": "2026-10-14T09:52:00Z",
        "resolved_at": "2026-10-14T11:30:00Z",
        "classification": {"category": "defect", "rationale": "The new serializer rejected valid carts."},
        "impact": [
            {
                "service": "api",
                "level": "major_outage",
                "start": "2026-10-14T09:12:00Z",
                "end": "2026-10-14T09:52:00Z",
                "note": "From the 5xx rate of POST /checkout.",
            },
            {
                "service": "web",
                "level": "partial_outage",
                "start": "2026-10-14T09:14:00Z",
                "end": "2026-10-14T10:05:00Z",
            },
        ],
        "failure_boundary": {
            "scope": "subset",
            "segments": ["carts with more than 20 items", "EU region"],
            "customers_affected": 18250,
            "revenue_at_risk": True,
            "data_at_risk": False,
            "description": "Large carts in the EU region.",
        },
        "summary": {
            "public": "Many customers could not complete checkout for about 40 minutes.",
            "public_cause": "A software update mishandled large shopping carts.",
            "public_mitigation": "We rolled the update back.",
            "public_prevention": "We added tests for large carts.",
            "internal": "Release 4.12 switched the cart serializer; carts over 20 items overflowed a buffer.",
        },
        "detection": {"method": "alert", "source": "checkout-5xx-rate", "notes": "Paged within three minutes."},
        "trigger": {"kind": "data_shape", "description": "Carts with more than 20 items."},
        "changes": [
            {
                "kind": "deploy",
                "description": "Release 4.12",
                "ref": "https://git.example/shop/pull/812",
                "at": "2026-10-14T09:05:00Z",
            }
        ],
        "reproduction": {"reproduced": True, "environment": "staging", "differences": None},
        "containment": [
            {
                "action": "feature_flag_off",
                "description": "checkout_v2 off",
                "applied_at": "2026-10-14T09:40:00Z",
                "removed_at": "2026-10-15T08:00:00Z",
                "effective": False,
            },
            {
                "action": "rollback",
                "description": "Rolled back to 4.11",
                "applied_at": "2026-10-14T09:48:00Z",
                "removed_at": None,
                "effective": True,
            },
        ],
        "fix": {
            "level": "root_cause_fix",
            "description": "Bounded the serializer buffer by cart size.",
            "ref": "https://git.example/shop/pull/815",
            "deployed_at": "2026-10-14T11:10:00Z",
            "smoke_tests_run": ["checkout-happy-path"],
            "follow_up": None,
        },
        "verification": {
            "verified_at": "2026-10-14T11:30:00Z",
            "description": "Checkout success rate back to 99.6% for an hour; large carts checked by hand.",
        },
        "root_cause": {
            "category": "code_defect",
            "description": "A fixed-size buffer in the cart serializer.",
            "five_whys": [
                "Checkout returned 500 for large carts.",
                "The serializer raised on carts over 20 items.",
                "Its buffer was sized for the old cart format.",
                "The size was copied from a benchmark.",
                "No test used a cart bigger than 5 items.",
            ],
            "similar_risk": "The wishlist serializer has the same buffer.",
        },
        "contributing_factors": [
            {"category": "tools", "description": "Staging carts are tiny."},
            {"category": "process", "description": "The canary skipped the EU region."},
        ],
        "failed_defences": [
            {"layer": "automated_tests", "description": "No large-cart fixture."},
            {"layer": "release_gate", "description": "The canary ran in one region only."},
        ],
        "escape": {
            "reasons": ["missing_test_case", "environment_data"],
            "description": "Test carts never exceeded 5 items.",
            "regression_test": {"added": True, "ref": "tests/checkout/test_large_cart.py"},
        },
        "defect_age": {"introduced_at": "2026-10-14T09:05:00Z", "introduced_by": "Release 4.12"},
        "lessons": {
            "went_well": ["The alert fired within three minutes."],
            "went_wrong": ["The flag did not cover the serializer."],
            "lucky": ["It happened outside the sales peak."],
        },
        "compensation": {"offered": True, "description": "A 10% voucher for customers who retried."},
        "evidence": [
            {"title": "5xx spike", "url": "https://grafana.example/d/api?from=1760432400000", "kind": "dashboard"},
            {"title": "Serializer stack trace", "url": "https://logs.example/q/abc", "kind": "logs"},
        ],
        "timeline": [
            {"at": "2026-10-14T09:05:00Z", "event": "Release 4.12 reaches production."},
            {"at": "2026-10-14T09:15:00Z", "event": "checkout-5xx-rate pages the platform on-call."},
            {"at": "2026-10-14T09:48:00Z", "event": "Rollback to 4.11 starts."},
            {"at": "2026-10-14T11:30:00Z", "event": "Fix verified; incident resolved."},
        ],
        "updates": [
            {"at": "2026-10-14T09:25:00Z", "status": "investigating", "message": "Checkout is failing for many."},
            {"at": "2026-10-14T09:55:00Z", "status": "monitoring", "message": "A rollback restored checkout."},
            {"at": "2026-10-14T11:35:00Z", "status": "resolved", "message": "Checkout works normally again."},
        ],
        "action_items": [
            {
                "title": "Add a large-cart fixture to the checkout tests",
                "owner": "storefront",
                "due": "2026-10-28",
                "status": "done",
                "kind": "prevent",
                "link": "https://tracker.example/SHOP-991",
            },
            {
                "title": "Run the canary in every region",
                "owner": "platform",
                "due": "2026-12-15",
                "status": "in_progress",
                "kind": "detect",
                "link": None,
            },
            {
                "title": "Fix the wishlist serializer buffer",
                "owner": "storefront",
                "due": "2027-01-31",
                "status": "open",
                "kind": "prevent",
            },
        ],
        "tags": ["checkout", "serializer"],
    }


def investigating_incident() -> dict[str, Any]:
    """An open SEV3, still investigating: its impact window has no end yet. Times carry a +01:00 offset."""
    return {
        "id": "INC-2026-015",
        "title": "Search is slow on the website",
        "severity": "SEV3",
        "status": "investigating",
        "kind": "incident",
        "services": ["web"],
        "started_at": "2026-11-02T14:00:00+01:00",
        "detected_at": "2026-11-02T14:06:00+01:00",
        "acknowledged_at": None,
        "mitigated_at": None,
        "resolved_at": None,
        "impact": [{"service": "web", "level": "degraded_performance", "start": "2026-11-02T14:00:00+01:00"}],
        "summary": {"public": "Searches take several seconds.", "internal": None},
        "detection": {"method": "customer_report", "source": "support ticket 4411"},
        "updates": [{"at": "2026-11-02T14:20:00+01:00", "status": "investigating", "message": "We are looking."}],
        "timeline": [{"at": "2026-11-02T14:06:00+01:00", "event": "Support escalates ticket 4411."}],
        "action_items": [],
        "tags": [],
    }


NEAR_MISS_TEXT = """\
# yaml-language-server: $schema=../../schemas/incident.schema.json
# Hand-written, as people write records: comments, flow style, a block scalar and YAML 1.1 traps.
id: INC-2026-016
title: "Config change caught by the canary"
severity: SEV4
status: resolved
kind: near_miss          # the canary stopped it: no customer saw it
services: [db]
started_at: 2026-11-10T08:00:00Z
detected_at: 2026-11-10T08:04:00Z
acknowledged_at: null
mitigated_at: ~
resolved_at: 2026-11-10T09:00:00Z
impact: []
summary:
  public: null
  internal: |
    A connection-pool setting of 0 reached the canary.
    The canary failed its health check at 12:30 and rolled back.
classification: {category: configuration, rationale: A typo in a config value.}
timeline:
  - {at: 2026-11-10T08:00:00Z, event: Config change merged.}
  - {at: 2026-11-10T08:04:00Z, event: Canary health check fails.}
action_items:
  - title: Validate pool sizes in CI
    owner: data
    due: 2026-12-01
    status: open
    kind: prevent
tags: [no, on, config]   # YAML 1.1 would read no and on as booleans
"""


def near_miss_incident() -> dict[str, Any]:
    """What NEAR_MISS_TEXT means, spelled out by hand."""
    return {
        "id": "INC-2026-016",
        "title": "Config change caught by the canary",
        "severity": "SEV4",
        "status": "resolved",
        "kind": "near_miss",
        "services": ["db"],
        "started_at": "2026-11-10T08:00:00Z",
        "detected_at": "2026-11-10T08:04:00Z",
        "acknowledged_at": None,
        "mitigated_at": None,
        "resolved_at": "2026-11-10T09:00:00Z",
        "impact": [],
        "summary": {
            "public": None,
            "internal": "A connection-pool setting of 0 reached the canary.\n"
            "The canary failed its health check at 12:30 and rolled back.\n",
        },
        "classification": {"category": "configuration", "rationale": "A typo in a config value."},
        "timeline": [
            {"at": "2026-11-10T08:00:00Z", "event": "Config change merged."},
            {"at": "2026-11-10T08:04:00Z", "event": "Canary health check fails."},
        ],
        "action_items": [
            {
                "title": "Validate pool sizes in CI",
                "owner": "data",
                "due": "2026-12-01",
                "status": "open",
                "kind": "prevent",
            }
        ],
        "tags": ["no", "on", "config"],
    }


def old_incident() -> dict[str, Any]:
    """A resolved SEV3 of the previous year."""
    return {
        "id": "INC-2025-007",
        "title": "Slow logins",
        "severity": "SEV3",
        "status": "resolved",
        "kind": "incident",
        "services": ["api"],
        "started_at": "2025-12-30T22:10:00-05:00",
        "detected_at": "2025-12-30T22:30:00-05:00",
        "resolved_at": "2025-12-31T04:00:00Z",
        "impact": [
            {
                "service": "api",
                "level": "degraded_performance",
                "start": "2025-12-30T22:10:00-05:00",
                "end": "2025-12-31T03:40:00Z",
            }
        ],
        "summary": {"public": "Logging in took up to ten seconds."},
    }


# --- the knowledge base on disk -----------------------------------------------------------------------------


@dataclass
class KB:
    """A knowledge base in a temporary folder, with helpers to write records and validate them."""

    root: Path

    def path(self, relative: str) -> Path:
        return self.root / relative

    def write(self, relative: str, content: str | bytes | dict[str, Any]) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            text = content if isinstance(content, str) else dump_yaml(content)
            path.write_bytes(text.encode("utf-8"))
        return path

    def write_incident(self, name: str, content: str | bytes | dict[str, Any]) -> Path:
        """`name` is a file name (the folder is its year) or a path relative to incidents/."""
        relative = name if "/" in name else f"{name[:4]}/{name}"
        return self.write(f"incidents/{relative}", content)

    def write_service(self, name: str, content: str | dict[str, Any]) -> Path:
        return self.write(f"services/{name}.yaml", content)

    def validate(self, *paths: Path, strict: bool = False, today: date = TODAY_DATE) -> ValidationResult:
        """The validator as a library call: real files, real loader, real schema."""
        return validate_knowledge_base(
            KnowledgeBase(self.root), today=today, strict=strict, paths=list(paths) if paths else None
        )

    def cli(self, *args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return run_cli("--root", self.root, *args, cwd=cwd or self.root.parent)

    def validate_cli(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        return self.cli("validate", "--as-of", TODAY, *args)

    def validate_json(self, *args: str | Path) -> tuple[int, list[dict[str, Any]]]:
        proc = self.validate_cli("--format", "json", *args)
        assert "Traceback" not in proc.stderr, proc.stderr
        return proc.returncode, json.loads(proc.stdout)


def run_cli(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
        check=False,
    )


def write_base_kb(kb: KB) -> KB:
    for name, data in SERVICES.items():
        kb.write_service(name, data)
    kb.write(SEV1_FILE, sev1_incident())
    kb.write(INVESTIGATING_FILE, investigating_incident())
    kb.write(NEAR_MISS_FILE, NEAR_MISS_TEXT)
    kb.write(OLD_FILE, old_incident())
    return kb


@pytest.fixture
def kb(tmp_path: Path) -> KB:
    """The small valid knowledge base: three services and four incidents (a SEV1 post-mortem, an open
    investigation, a near miss and one from 2025)."""
    return write_base_kb(KB(tmp_path / "kb"))


@pytest.fixture
def empty_kb(tmp_path: Path) -> KB:
    """Only the services; no incidents yet."""
    kb = KB(tmp_path / "kb")
    for name, data in SERVICES.items():
        kb.write_service(name, data)
    (kb.root / "incidents").mkdir()
    return kb


def rules_of(result: ValidationResult, rule: str) -> list[Any]:
    return [f for f in result.findings if f.rule == rule]


def errors_of(result: ValidationResult) -> list[Any]:
    return [f for f in result.findings if f.severity.value == "error"]


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--update-goldens`: rewrite tests/golden/*/expected/ from the code as it is (tests/golden/README.md)."""
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite the golden files of tests/test_golden.py, not only compare (or INCIDENTKB_UPDATE_GOLDENS=1)",
    )
