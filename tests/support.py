"""The tests' one support module: paths and constants, running the CLI, the small knowledge base of
tests/conftest.py's fixtures (records kept as dicts, written as YAML), copying and writing knowledge bases, hashing
trees, reading HTML, serving a built site and starting Chromium, the schema walks (one local `$ref` resolver) that
make a record with a value for every field or fill every internal field with canaries, and the public-report
records and the canary knowledge base. tests/conftest.py holds only the fixtures; this module holds no tests.

Records for the fixtures are kept as Python dicts (so tests can mutate them) and written as YAML with `dump_yaml`,
a PyYAML dumper that quotes every string the YAML 1.2 core schema would read as something else (PyYAML itself
emits YAML 1.1, where e.g. `1e5` and `0o17` are plain strings but YAML 1.2 reads them as numbers). The near miss is
also kept as hand-written YAML text, with comments, flow style and a block scalar, as people write it. Records
for the site and public tests are written as JSON text, which is YAML 1.2, so no typing surprises.

* `run_cli` runs the real command line (`python -m generator [--root KB] ...`) in a subprocess.
* `CanaryFiller` walks the incident and service schemas generically (local `$ref`s followed) and fills every
  string leaf that is not public with a unique canary token; a value is public only if it and every property
  above it carry `x-public: true`.
* `write_canary_kb` writes the canary knowledge base used by the canary, feed and browser tests.

Nothing here writes into the repository: every knowledge base and every site goes to a pytest tmp folder.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import gzip
import hashlib
import html
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.knowledge_base import KnowledgeBase
from generator.validate import ValidationResult, validate_knowledge_base

REPO = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent
CORPUS = TESTS / "corpus"
SCHEMAS = REPO / "schemas"
TODAY = "2026-11-23"
TODAY_DATE = date.fromisoformat(TODAY)
AS_OF = "2026-11-23T12:00:00Z"
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

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
KB_PARTS = ("incidents", "services", "docs", "mkdocs.yml", "incidentkb.yml")
# `path:line:col: error[rule]: message`, as the validator prints a finding.
FINDING_LINE = re.compile(
    r"^(?P<path>[^\s:][^:]*):(?P<line>\d+):(?P<col>\d+): error\[(?P<rule>[a-z0-9-]+)\]: .+$", re.M
)


# --- running the tools ------------------------------------------------------------------------------------


def run(
    cmd: Sequence[str | Path],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 600,
    preexec_fn: Callable[[], object] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command, no standard input; never raises on a non-zero exit (the tests check the code and the
    output). One still running after `timeout` seconds is killed and fails the test, instead of stalling the suite."""
    try:
        return subprocess.run(
            [str(part) for part in cmd],
            cwd=cwd or REPO,
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            preexec_fn=preexec_fn,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{' '.join(map(str, cmd))[:300]} took more than {timeout} s")


def run_cli(
    *args: object,
    root: Path | None = None,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 600,
    preexec_fn: Callable[[], object] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`incidentkb [--root ROOT] ARGS` in a fresh interpreter (a fresh hash seed, as a user's run would have), in
    `cwd`: by default the folder of `root` if given, else the repository. Options as for `run`."""
    command = [sys.executable, "-m", "generator", *(["--root", str(root)] if root is not None else []), *map(str, args)]
    if cwd is None and root is not None:
        cwd = root.parent
    return run(command, cwd=cwd, env=env, timeout=timeout, preexec_fn=preexec_fn)


def build(
    root: Path, site_dir: Path, *extra: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_cli("build", "--site-dir", site_dir, "--as-of", AS_OF, *extra, root=root, cwd=REPO, env=env)


def generate(root: Path, out: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli("generate", "--out", out, "--as-of", AS_OF, root=root, cwd=REPO, env=env)


def explain(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-8000:]}"


def assert_ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, explain(result)
    assert "Traceback" not in result.stderr, explain(result)


def run_ok(root: Path, *args: object) -> str:
    """The standard output of `incidentkb --root ROOT ARGS`, which must exit 0 without a traceback."""
    proc = run_cli(*args, root=root, timeout=120)
    assert proc.returncode == 0, f"incidentkb {' '.join(map(str, args))} exited {proc.returncode}:\n{proc.stderr}"
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.stdout


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
        "external_dependencies": [
            {
                "name": "Example Cloud load balancers",
                "purpose": "TLS termination",
                "status_page": "https://status.cloud.example/",
            }
        ],
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
        "public": {"listed": True, "name": "Website", "group": "Storefront", "shown": "always"},
        "slo": {"availability": 0.995},
        "depends_on": ["api"],
        "provenance": {
            "method": "imported",
            "written_on": "2026-01-20",
            "by": "incidentkb import statuspage",
            "source": {"system": "statuspage", "id": "w62awb3xncbu"},
        },
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
        "postmortem": {
            "status": "final",
            "authors": ["Ana Lima", "Jonas Berg"],
            "incident_commander": "Priya Natarajan",
            "reviewers": ["Payments leads"],
            "created": "2026-10-15",
            "reviewed": "2026-10-20",
            "finalised": "2026-10-21",
        },
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
        "scheduled": {"start": None, "end": None},  # no maintenance: nothing was announced beforehand
        "provenance": {
            "method": "imported",
            "written_on": "2026-01-20",
            "by": "Platform team",
            "source": {
                "system": "statuspage",
                "id": "p31zjtct2jer",
                "url": "https://status.example.com/incidents/p31zjtct2jer",
            },
            "notes": "Imported from the status page; the response times were not kept there.",
        },
        "publications": [
            {
                "kind": "status_page",
                "title": "Slow logins",
                "url": "https://status.example.com/incidents/p31zjtct2jer",
                "at": "2025-12-31",
                "publisher": None,
            }
        ],
        "stated": [
            {"source": "Status page", "duration_minutes": 30, "approximate": False, "note": "Resolved at 03:40 UTC."}
        ],
        "third_parties": [
            {
                "name": "Identity provider",
                "role": "cause",
                "incident_url": None,
                "notes": "Their token endpoint slowed down.",
            }
        ],
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
        return run_cli(*args, root=self.root, cwd=cwd, timeout=60)

    def validate_cli(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        return self.cli("validate", "--as-of", TODAY, *args)

    def validate_json(self, *args: str | Path) -> tuple[int, list[dict[str, Any]]]:
        proc = self.validate_cli("--format", "json", *args)
        assert "Traceback" not in proc.stderr, proc.stderr
        return proc.returncode, json.loads(proc.stdout)


def write_base_kb(kb: KB) -> KB:
    for name, data in SERVICES.items():
        kb.write_service(name, data)
    kb.write(SEV1_FILE, sev1_incident())
    kb.write(INVESTIGATING_FILE, investigating_incident())
    kb.write(NEAR_MISS_FILE, NEAR_MISS_TEXT)
    kb.write(OLD_FILE, old_incident())
    return kb


def rules_of(result: ValidationResult, rule: str) -> list[Any]:
    return [f for f in result.findings if f.rule == rule]


def errors_of(result: ValidationResult) -> list[Any]:
    return [f for f in result.findings if f.severity.value == "error"]


# --- the example knowledge base ---------------------------------------------------------------------------


def copy_kb(destination: Path, source: Path = REPO) -> Path:
    """A copy of the knowledge base's own files (records, authored pages, configuration): never the repo itself."""
    destination.mkdir(parents=True, exist_ok=True)
    for part in KB_PARTS:
        origin = source / part
        assert origin.exists(), f"the knowledge base has no {part} ({origin})"
        if origin.is_dir():
            shutil.copytree(origin, destination / part)
        else:
            shutil.copy2(origin, destination / part)
    return destination


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load_record(path: Path) -> dict[str, Any]:
    """A record as the generator reads it (timestamps stay strings, YAML 1.2 typing)."""
    from generator.loader import load_document

    return dict(load_document(path, path.name).data)


def example_incidents(root: Path = REPO) -> list[tuple[Path, dict[str, Any]]]:
    return [(path, load_record(path)) for path in sorted((root / "incidents").glob("*/*.yaml"))]


def example_services(root: Path = REPO) -> list[tuple[Path, dict[str, Any]]]:
    return [(path, load_record(path)) for path in sorted((root / "services").glob("*.yaml"))]


_BUILT: dict[str, Path] = {}


def example_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The repository's example knowledge base, copied and built once per session: `(knowledge base, site)`.
    Tests read the records from the copy, so the site and the records they compare it with always agree."""
    if "site" not in _BUILT:
        base = tmp_path_factory.mktemp("example")
        kb = copy_kb(base / "kb")
        site = base / "out" / "site"
        result = build(kb, site)
        assert_ok(result)
        _BUILT.update(site=site, kb=kb)
    return _BUILT["kb"], _BUILT["site"]


# --- files and trees --------------------------------------------------------------------------------------


def tree_digest(root: Path, exclude: Callable[[str], bool] = lambda _: False) -> dict[str, str]:
    """`{relative path: sha256}` of every file under `root` (symlinks and folders by name)."""
    digest: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if exclude(rel):
            continue
        if path.is_symlink():
            digest[rel] = "link:" + os.readlink(path)
        elif path.is_dir():
            digest[rel + "/"] = "dir"
        else:
            digest[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest


def unstable_search_file(rel: str) -> bool:
    """A file of the Pagefind bundle that differs between two runs on the same pages (the word, filter and meta
    indexes: Pagefind's issue 638); the page fragments, where the text is, are byte for byte the same."""
    folder, _, rest = rel.partition("/")  # a folder comes as "pagefind/fragment" or "pagefind/fragment/"
    return folder == "pagefind" and rest not in ("", "fragment", "fragment/") and not rest.startswith("fragment/")


def write_record(path: Path, data: dict[str, Any]) -> Path:
    """A record as YAML. JSON is YAML (1.2), and quoting every string keeps `yes` or `12:30` strings."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def nav_pages(config: dict[str, Any]) -> list[str]:
    found: list[str] = []

    def walk(item: Any) -> None:
        if isinstance(item, str) and item.endswith(".md"):
            found.append(item)
        elif isinstance(item, dict):
            for value in item.values():
                walk(value)
        elif isinstance(item, list):
            for value in item:
                walk(value)

    walk(config.get("nav") or [])
    return found


def make_kb(
    root: Path, incidents: Sequence[dict[str, Any]], services: Sequence[dict[str, Any]], *, dated: bool = True
) -> Path:
    """A knowledge base from records, with the repository's mkdocs.yml and incidentkb.yml and a stub page for
    every authored page the navigation names (so a strict build has nothing missing)."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "mkdocs.yml", root / "mkdocs.yml")
    shutil.copy2(REPO / "incidentkb.yml", root / "incidentkb.yml")
    for service in services:
        write_record(root / "services" / f"{service['id']}.yaml", service)
    for incident in incidents:
        write_record(root / "incidents" / incident_file_name(incident), incident)
    docs = root / "docs"
    docs.mkdir(exist_ok=True)
    for page in nav_pages(load_yaml(root / "mkdocs.yml")):
        if (REPO / "docs" / page).is_file():  # an authored page: stubbed, so its links to records cannot break
            (docs / page).parent.mkdir(parents=True, exist_ok=True)
            (docs / page).write_text(f"# {Path(page).stem}\n\nA stub page for the site tests.\n", encoding="utf-8")
    return root


def git(root: Path, *args: str) -> str:
    """git in `root`, as a test user; its output (an error fails the test)."""
    return subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.invalid", *args],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def new_git_kb(root: Path) -> Path:
    """An empty knowledge base (the repository's settings, no records) in a git repository with one commit."""
    make_kb(root, [], [])
    (root / "incidents").mkdir(exist_ok=True)
    (root / "services").mkdir(exist_ok=True)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "an empty knowledge base")
    return root


def incident_file_name(incident: dict[str, Any]) -> str:
    day = incident["started_at"][:10]
    slug = re.sub(r"[^a-z0-9]+", "-", incident["id"].lower()).strip("-")
    return f"{day[:4]}/{day}-{slug}.yaml"


def page_path(site: Path, page: str) -> Path:
    """The built HTML file of a page, `incidents/INC-2026-001` -> site/incidents/INC-2026-001/index.html."""
    return site / page / "index.html" if page else site / "index.html"


# --- reading HTML -----------------------------------------------------------------------------------------


@dataclass
class Tag:
    name: str
    attrs: list[tuple[str, str | None]]

    def get(self, name: str) -> str | None:
        return next((value for key, value in self.attrs if key == name), None)


class PageParser(HTMLParser):
    """Collects every start tag with its attributes, the text outside script/style, the <title> and the
    contents of every <script>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[Tag] = []
        self.text: list[str] = []
        self.title = ""
        self.scripts: list[str] = []
        self._stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(Tag(tag, attrs))
        if tag in ("title", "textarea"):
            # As browsers read them (RCDATA): text up to the end tag, where `<script>` is not a tag. A minifier
            # may leave `<` and `>` unescaped there, which is valid HTML; only `</title` would end the text.
            self.set_cdata_mode(tag)
        if tag in ("script", "style", "title"):
            self._stack.append(tag)
            if tag == "script":
                self.scripts.append("")
        elif tag in ("br", "p", "div", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "pre", "label", "summary"):
            self.text.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(Tag(tag, attrs))
        self.text.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if self._stack and self._stack[-1] == tag:
            self._stack.pop()
        self.text.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._stack:
            self.text.append(data)
        elif self._stack[-1] == "title":
            self.title += html.unescape(data)  # character references count in RCDATA, not in CDATA mode
        elif self._stack[-1] == "script":
            self.scripts[-1] += data


def parse_html(markup: str) -> PageParser:
    parser = PageParser()
    parser.feed(markup)
    parser.close()
    return parser


def squash(text: str) -> str:
    return " ".join(text.split())


def html_text(markup: str) -> str:
    """The visible text of a page (script and style left out), whitespace collapsed, entities decoded."""
    return squash("".join(parse_html(markup).text))


# --- records ---------------------------------------------------------------------------------------------


def field_texts(record: Any, path: str) -> list[str]:
    """The strings at a dotted path of a record, through lists (`five_whys`, `action_items.title`)."""
    values = [record]
    for key in path.split("."):
        values = [v.get(key) for v in _flat(values) if isinstance(v, dict)]
    return [v for v in _flat(values) if isinstance(v, str)]


def _flat(values: list[Any]) -> list[Any]:
    return [item for v in values for item in (v if isinstance(v, list) else [v])]


# --- serving and the browser ------------------------------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve `directory` on 127.0.0.1 on a free port, in a thread; yields the base URL (with a trailing /)."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def require_chromium() -> None:
    """Browser tests need Debian's Chromium; without it they fail (scripts/test.sh installs it), never skip."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (bash scripts/test.sh does)")


@contextlib.contextmanager
def chromium_browser() -> Iterator[Any]:
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class PageWatch:
    """What a page did that a test must see: dialogs, console errors, uncaught errors, every request."""

    dialogs: list[str]
    console_errors: list[str]
    page_errors: list[str]
    requests: list[str]
    failed: list[str]


def watched_page(context: Any) -> tuple[Any, PageWatch]:
    page = context.new_page()
    watch = PageWatch([], [], [], [], [])

    def on_dialog(dialog: Any) -> None:
        watch.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("console", lambda msg: watch.console_errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: watch.page_errors.append(str(exc)))
    page.on("request", lambda request: watch.requests.append(request.url))
    page.on("requestfailed", lambda request: watch.failed.append(f"{request.url}: {request.failure}"))
    return page, watch


# --- schemas, and a record with every field of a schema -------------------------------------------------


def load_schema(kind: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / f"{kind}.schema.json").read_text(encoding="utf-8"))


def resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """A schema node with its local `$ref` followed; the referring node's own keywords (such as title) win, as in
    JSON Schema 2020-12."""
    seen = 0
    while "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), f"only local $refs are supported by the tests: {ref}"
        target: Any = schema
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        seen += 1
        assert seen < 20, f"$ref loop at {ref}"
    return node


def schema_types(node: dict[str, Any]) -> list[str]:
    """The non-null types a node allows (object or array when it only has properties or items)."""
    declared = node.get("type")
    if declared is None:
        if "properties" in node:
            return ["object"]
        if "items" in node:
            return ["array"]
        return []
    types = [declared] if isinstance(declared, str) else list(declared)
    return [t for t in types if t != "null"]


Path_ = tuple[str | int, ...]


class RecordMaker:
    """Makes a value for every property of a schema, recursively (arrays get one item).

    Strings are unique tokens (`<prefix><variant>-<path>-zz`; the `-zz` end keeps one token from being the prefix of
    another), or `text(path)` when given; patterned strings take the first candidate that matches; timestamps
    are distinct minutes after `base`, in walk order; enum values rotate with `variant`, so a set of variants
    covers every value; numbers are distinct and within their bounds; booleans alternate.
    """

    def __init__(
        self,
        schema: dict[str, Any],
        *,
        variant: int = 0,
        base: datetime,
        text: Callable[[Path_], str] | None = None,
        prefix: str = "tok",
    ) -> None:
        self.schema = schema
        self.prefix = prefix
        self.variant = variant
        self.base = base
        self.text = text
        self.minutes = 0
        self.counter = 0

    def make(self) -> dict[str, Any]:
        return self.value(self.schema, ())

    def token(self, path: Path_) -> str:
        words = "-".join(str(part) for part in path).replace("_", "-").lower()
        return f"{self.prefix}{self.variant}-{words}-zz"

    def value(self, node: dict[str, Any], path: Path_) -> Any:
        node = resolve(self.schema, node)
        if "const" in node:
            return node["const"]
        if "anyOf" in node:  # a time: its exact form (the first), which pages show to the minute
            return self.value(node["anyOf"][0], path)
        if "enum" in node:
            values = [v for v in node["enum"] if v is not None]
            return values[(self.variant + self.counter_next()) % len(values) if len(values) > 1 else 0]
        types = schema_types(node)
        for kind in ("object", "array", "string", "integer", "number", "boolean"):
            if kind in types:
                return getattr(self, f"make_{kind}")(node, path)
        raise AssertionError(f"{'.'.join(map(str, path))}: no type the site tests know how to fill: {node}")

    def counter_next(self) -> int:
        self.counter += 1
        return self.counter - 1

    def make_object(self, node: dict[str, Any], path: Path_) -> dict[str, Any]:
        return {key: self.value(sub, (*path, key)) for key, sub in (node.get("properties") or {}).items()}

    def make_array(self, node: dict[str, Any], path: Path_) -> list[Any]:
        return [self.value(node.get("items") or {}, (*path, 0))]

    def make_string(self, node: dict[str, Any], path: Path_) -> str:
        fmt = node.get("format")
        if fmt == "date-time":
            moment = self.base + timedelta(minutes=3 * self.minutes)
            self.minutes += 1
            value = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        elif fmt == "date":
            value = (self.base.date() + timedelta(days=40 + self.counter_next())).isoformat()
        else:
            token = self.token(path)
            if self.text is not None and "pattern" not in node:
                value = self.text(path)
            else:
                candidates = [
                    token,
                    f"https://site-tests.example/{token}",
                    f"INC-{self.base.year}-{901 + self.variant}",
                    "USD",
                ]
                pattern = node.get("pattern")
                value = next((c for c in candidates if pattern is None or re.search(pattern, c)), "")
                assert value, (
                    f"{'.'.join(map(str, path))}: no test value matches the pattern {pattern!r}; "
                    "teach RecordMaker in tests/support.py a candidate for it"
                )
        if "pattern" in node:
            assert re.search(node["pattern"], value), f"{path}: {value!r} does not match {node['pattern']!r}"
        return value

    def make_integer(self, node: dict[str, Any], path: Path_) -> int:
        low, high = node.get("minimum"), node.get("maximum")
        if low is not None and high is not None:
            return int(low) + (self.variant + self.counter_next()) % (int(high) - int(low) + 1)
        return 4100 + 111 * self.counter_next() + self.variant

    def make_number(self, node: dict[str, Any], path: Path_) -> float | int:
        high = node.get("exclusiveMaximum", node.get("maximum"))
        n = self.counter_next()
        if high is not None and high <= 1:
            return round(0.99 + (self.variant * 7 + n + 1) / 10000, 4)
        return 11 + self.variant * 3 + n  # whole minutes under an hour: rendered as `N min`

    def make_boolean(self, node: dict[str, Any], path: Path_) -> bool:
        return (self.variant + self.counter_next()) % 2 == 0


@dataclass(frozen=True)
class Leaf:
    path: Path_
    value: Any
    kind: str  # string, enum, timestamp, date, number, boolean

    @property
    def dotted(self) -> str:
        return ".".join(str(p) for p in self.path)

    def forms(self) -> list[str]:
        """The ways a page may show this value."""
        value = self.value
        if self.kind == "enum":
            return [str(value), str(value).replace("_", " ")]
        if self.kind == "timestamp":
            moment = datetime.fromisoformat(value.replace("z", "Z")).astimezone(UTC)
            return [moment.strftime("%Y-%m-%d %H:%M:%S UTC" if moment.second else "%Y-%m-%d %H:%M UTC")]
        if self.kind == "boolean":
            return ["yes" if value else "no"]
        if self.kind == "number":
            whole = int(value) if float(value).is_integer() else None
            forms = [str(value)] + ([str(whole), f"{whole} min"] if whole is not None else [])
            if 0 < value < 1:
                forms.append(f"{value * 100:.3f}%")
            return forms
        return [str(value)]


def leaves(schema: dict[str, Any], instance: Any) -> list[Leaf]:
    """Every scalar in `instance`, with the kind its schema gives it."""
    found: list[Leaf] = []

    def walk(node: dict[str, Any], value: Any, path: Path_) -> None:
        node = resolve(schema, node)
        if node.get("x-time") and value is not None:  # exact, {about: exact} (shown "about ...") or a date only
            exact = value["about"] if isinstance(value, dict) else value
            found.append(Leaf(path, exact, "date" if len(exact) == 10 else "timestamp"))
            return
        if isinstance(value, dict):
            properties = node.get("properties") or {}
            for key, item in value.items():
                assert key in properties, f"{path}: {key} is not in the schema"
                walk(properties[key], item, (*path, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(node.get("items") or {}, item, (*path, index))
        elif value is None:
            return
        elif "enum" in node:
            found.append(Leaf(path, value, "enum"))
        elif node.get("format") == "date-time":
            found.append(Leaf(path, value, "timestamp"))
        elif node.get("format") == "date":
            found.append(Leaf(path, value, "date"))
        elif isinstance(value, bool):
            found.append(Leaf(path, value, "boolean"))
        elif isinstance(value, int | float):
            found.append(Leaf(path, value, "number"))
        else:
            found.append(Leaf(path, value, "string"))

    walk(schema, instance, ())
    return found


def schema_leaf_paths(schema: dict[str, Any]) -> set[str]:
    """Every leaf property path of a schema (array items as `[]`), to prove a record covers them all."""
    paths: set[str] = set()

    def walk(node: dict[str, Any], path: str, depth: int) -> None:
        assert depth < 30, f"schema recursion too deep at {path}"
        node = resolve(schema, node)
        types = schema_types(node)
        if "object" in types and node.get("properties"):
            for key, sub in node["properties"].items():
                walk(sub, f"{path}.{key}" if path else key, depth + 1)
        elif "array" in types and "enum" not in node:
            walk(node.get("items") or {}, f"{path}[]", depth + 1)
        else:
            paths.add(path)

    walk(schema, "", 0)
    return paths


def instance_leaf_paths(found: Sequence[Leaf]) -> set[str]:
    return {re.sub(r"\.(\d+)(?=\.|$)", "[]", leaf.dotted) for leaf in found}


def map_strings(value: Any, change: Callable[[str], str]) -> Any:
    if isinstance(value, dict):
        return {k: map_strings(v, change) for k, v in value.items()}
    if isinstance(value, list):
        return [map_strings(v, change) for v in value]
    if isinstance(value, str):
        return change(value)
    return value


def unescape_markdown(text: str) -> str:
    """Markdown text as it reads once rendered: the generator backslash-escapes punctuation (e.g. `09\\:12`)."""
    return re.sub(r"\\([\\`*_{}\[\]()#+\-.!|~=^:?<>&])", r"\1", text)


# --- the public report tests' records ---------------------------------------------------------------------

PUBLIC_MARK = "x-public"

# Every canary contains this word; no public value and no theme asset does, so any occurrence is a leak.
CANARY_WORD = b"canary"

# Internal numbers get values that occur nowhere else.
CANARY_INTEGER = 7319457
CANARY_NUMBER = 4817.25
CANARY_DATE = "2031-01-15"


@dataclass
class KnowledgeBaseWriter:
    root: Path

    def write(self, relative: str, data: dict[str, Any]) -> Path:
        return write_record(self.root / relative, data)

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


def service_record(service_id: str, public_name: str | None, slo: float, **extra: Any) -> dict[str, Any]:
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
        types = schema_types(node)
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
        if "anyOf" in node:  # a time: filled in its exact form (the first)
            if value is not _MISSING:
                return value
            return self._walk(schema, node["anyOf"][0], value, public=public, hide=hide, path=path, base=base)
        if "enum" in node:
            if value is not _MISSING:
                return value
            choices = [c for c in node["enum"] if c is not None]
            if path.endswith("quantities[].measure"):
                return "count"  # a count may hold the canary number; a share is at most 100 (quantity-incomplete)
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
        if pattern == "^[A-Z]{3}$":
            self.covered.add(path)
            return "XTS"  # a currency code (ISO 4217's for testing): three letters cannot be a unique canary
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
        elif "string" in schema_types(node) and "enum" not in node and not public:
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
        "  language: en\n"
    )

    services = {
        "storefront": service_record("storefront", "Website", 0.999, depends_on=[INTERNAL_SERVICE], tier=1),
        "payments": service_record("payments", "Card payments", 0.9995, depends_on=[INTERNAL_SERVICE], tier=1),
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


def canary_site(folder: Path) -> tuple[CanaryKB, Path]:
    """The canary knowledge base written to `folder`/kb and its public site built beside it: `(kb, site)`."""
    canary = write_canary_kb(folder / "kb")
    out = folder / "public-site"
    run_ok(canary.root, "build", "--public", "--site-dir", out, "--as-of", CANARY_AS_OF)
    return canary, out


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
