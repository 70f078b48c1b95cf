"""Acceptance tests of `incidentkb validate`: the real CLI in a subprocess, its exit codes and its output."""

from __future__ import annotations

import json
import re

import pytest
from support import KB, SEV1_FILE, TODAY, dump_yaml, node_position, run_cli, sev1_incident

TEXT_FINDING = re.compile(
    r"^(?P<path>[^:]+):(?P<line>\d+):(?P<column>\d+): (?P<severity>error|warning)\[(?P<rule>[a-z-]+)\]: .+$"
)


def parse_text(stdout: str) -> tuple[list[tuple[str, int, int, str, str]], str]:
    lines = stdout.splitlines()
    findings = []
    for line in lines[:-1]:
        match = TEXT_FINDING.match(line)
        assert match, line
        findings.append((match["path"], int(match["line"]), int(match["column"]), match["severity"], match["rule"]))
    return findings, lines[-1]


def test_valid_knowledge_base_passes(kb: KB) -> None:
    proc = kb.validate_cli()
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "0 error(s), 0 warning(s)\n", "")
    proc = kb.validate_cli("--format", "json")
    assert proc.returncode == 0 and json.loads(proc.stdout) == []
    proc = kb.validate_cli("--format", "github")
    assert proc.returncode == 0 and proc.stdout.strip() == ""


def test_errors_are_collected_across_files(kb: KB) -> None:
    """One run reports every broken file (loader, schema and policy errors alike), sorted by path."""
    kb.write_incident("2026-10-20-duplicate-key.yaml", "id: INC-2026-020\nid: INC-2026-021\n")
    schema_text = dump_yaml({**sev1_incident(), "id": "INC-2026-021", "severity": "SEV9"})
    kb.write_incident("2026-10-14-bad-severity.yaml", schema_text)
    rule_record = sev1_incident()
    rule_record["detected_at"] = "2026-10-14T09:00:00Z"
    rule_text = dump_yaml(rule_record)
    kb.write(SEV1_FILE, rule_text)
    kb.write_service(
        "cache",
        "id: cache\nname: Cache\nowner_team: platform\ntier: 5\npublic: {listed: false}\nslo: {availability: 0.9}\n",
    )

    proc = kb.validate_cli()

    assert proc.returncode == 1, proc.stderr
    findings, summary = parse_text(proc.stdout)
    assert findings == [
        ("incidents/2026/2026-10-14-bad-severity.yaml", *node_position(schema_text, ["severity"]), "error", "schema"),
        (SEV1_FILE, *node_position(rule_text, ["detected_at"]), "error", "time-order"),
        ("incidents/2026/2026-10-20-duplicate-key.yaml", 2, 1, "error", "duplicate-key"),
        ("services/cache.yaml", 4, 7, "error", "schema"),
    ]
    assert summary == "4 error(s), 0 warning(s)"


def test_validate_selected_files_and_folders(kb: KB) -> None:
    broken = kb.write_incident("2025-12-31-broken.yaml", "- not a mapping\n")
    proc = kb.validate_cli(kb.path("incidents/2026"), kb.path("services/api.yaml"))
    assert (proc.returncode, proc.stdout) == (0, "0 error(s), 0 warning(s)\n")
    proc = kb.validate_cli(kb.path("incidents"))
    assert proc.returncode == 1
    findings, _ = parse_text(proc.stdout)
    assert findings == [("incidents/2025/2025-12-31-broken.yaml", 1, 1, "error", "not-a-mapping")]
    proc = kb.validate_cli(broken)
    assert proc.returncode == 1 and "not-a-mapping" in proc.stdout


def test_root_is_found_from_a_subfolder(kb: KB) -> None:
    kb.write_incident("2026-10-20-broken.yaml", "id: [\n")
    proc = run_cli("validate", "--as-of", TODAY, cwd=kb.path("incidents/2026"), timeout=60)
    assert proc.returncode == 1, proc.stderr
    findings, _ = parse_text(proc.stdout)
    assert [f[0] for f in findings] == ["incidents/2026/2026-10-20-broken.yaml"]


def overdue_kb(kb: KB) -> tuple[str, tuple[int, int]]:
    record = sev1_incident()
    record["action_items"][1]["due"] = "2026-11-20"
    text = dump_yaml(record)
    kb.write(SEV1_FILE, text)
    return text, node_position(text, ["action_items", 1, "due"])


def test_overdue_action_item_is_a_warning(kb: KB) -> None:
    _, (line, column) = overdue_kb(kb)
    proc = kb.validate_cli()
    assert proc.returncode == 0, proc.stdout
    findings, summary = parse_text(proc.stdout)
    assert findings == [(SEV1_FILE, line, column, "warning", "action-item-overdue")]
    assert summary == "0 error(s), 1 warning(s)"
    assert "2026-11-20" in proc.stdout and "in_progress" in proc.stdout

    _, findings_json = kb.validate_json()
    assert findings_json == [
        {
            "path": SEV1_FILE,
            "line": line,
            "column": column,
            "severity": "warning",
            "rule": "action-item-overdue",
            "message": findings_json[0]["message"],
        }
    ]
    proc = kb.validate_cli("--format", "github")
    assert proc.stdout.startswith(f"::warning file={SEV1_FILE},line={line},col={column},title=action-item-overdue::")


def test_overdue_action_item_is_an_error_with_strict(kb: KB) -> None:
    _, (line, column) = overdue_kb(kb)
    proc = kb.validate_cli("--strict")
    assert proc.returncode == 1
    findings, summary = parse_text(proc.stdout)
    assert findings == [(SEV1_FILE, line, column, "error", "action-item-overdue")]
    assert summary == "1 error(s), 0 warning(s)"


def test_as_of_decides_what_is_overdue(kb: KB) -> None:
    overdue_kb(kb)
    proc = kb.cli("validate", "--strict", "--as-of", "2026-11-20")
    assert (proc.returncode, proc.stdout) == (0, "0 error(s), 0 warning(s)\n")
    proc = kb.cli("validate", "--strict", "--as-of", "2026-11-21")
    assert proc.returncode == 1 and "action-item-overdue" in proc.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["validate", "--bogus"], "unrecognized arguments: --bogus"),
        (["validate", "--format", "xml"], "invalid choice: 'xml'"),
        (["validate", "--as-of", "2026-13-01"], "not a date"),
        (["validate", "--as-of", "2026-11-23T12:00:00"], "offset"),
        (["report", "2026-1"], "not a month"),
        (["build", "--as-of", "9999-12-31"], "outside the years 1970 to 2100"),
        (["validate", "--as-of", "0001-01-01T00:00:00Z"], "outside the years 1970 to 2100"),
        (["report", "2026-13"], "not a month"),
        (["report", "26-01"], "not a month"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        ([], "required"),
        (["new", "--severity", "SEV2", "--service", "api"], "--title"),
        (["new", "--title", "x", "--severity", "SEV5", "--service", "api"], "invalid choice: 'SEV5'"),
        (
            ["new", "--title", "x", "--severity", "SEV2", "--service", "api", "--started-at", "2026-10-14T09:12:00"],
            "offset",
        ),
    ],
)
def test_usage_errors_exit_2(kb: KB, args: list[str], message: str) -> None:
    proc = kb.cli(*args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_path_exits_2(kb: KB) -> None:
    missing = kb.path("incidents/2026/2026-10-99-nope.yaml")
    proc = kb.validate_cli(kb.path(SEV1_FILE), missing)
    assert proc.returncode == 2
    assert proc.stderr == f"incidentkb: error: {missing}: no such file or folder\n"
    assert proc.stdout == ""
