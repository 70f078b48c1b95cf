"""docs/importing.md shows real output: every line of its console examples (but the "..." that stand for lines left
out) is printed, in that order, by the command it shows, run on the fixtures that ship with the repository."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from support import REPO, git, new_git_kb, run_cli
from test_import_statuspage import AS_OF, FIXTURES, newer_export, records

DOCS = (REPO / "docs" / "importing.md").read_text(encoding="utf-8")


def example(command: str) -> list[str]:
    """The lines the page shows under `$ <command>`, without the "..." lines."""
    block = re.search(rf"```console\n\$ {re.escape(command)}\n(.*?)```", DOCS, re.S)
    assert block, f"docs/importing.md has no example of {command!r}"
    return [line for line in block[1].splitlines() if line != "..."]


def assert_printed_in_order(shown: list[str], result: subprocess.CompletedProcess[str]) -> None:
    printed = result.stdout.splitlines()
    position = 0
    for line in shown:
        assert line in printed[position:], f"the page shows a line the command does not print:\n{line}"
        position = printed.index(line, position) + 1


def test_the_dry_run_example(tmp_path: Path) -> None:
    root = new_git_kb(tmp_path / "kb")
    result = run_cli("import", "statuspage", FIXTURES, "--dry-run", "--as-of", AS_OF, root=root, timeout=120)
    assert_printed_in_order(example("incidentkb import statuspage tests/fixtures/statuspage/ --dry-run"), result)


def test_the_re_import_example(tmp_path: Path) -> None:
    root = new_git_kb(tmp_path / "kb")
    assert run_cli("import", "statuspage", FIXTURES, "--as-of", AS_OF, root=root, timeout=120).returncode == 0
    path, data = records(root)["9kv6ktga9m16"]
    assert data["id"] == "INC-2025-025"
    text = path.read_text().replace("severity: null", "severity: SEV2")
    path.write_text(text.replace("title: Elevated latency on CDN Europe", "title: Slow pages in Europe"))
    git(root, "add", "-A")
    git(root, "commit", "-qm", "review")
    newer = newer_export(tmp_path / "exports" / "status-page-2025-12-19")
    result = run_cli("import", "statuspage", newer, "--as-of", AS_OF, root=root, timeout=120)
    assert_printed_in_order(example("incidentkb import statuspage exports/status-page-2025-12-19/"), result)


def test_the_spreadsheet_example(tmp_path: Path) -> None:
    root = new_git_kb(tmp_path / "kb")
    sheet, mapping = REPO / "tests/fixtures/csv/incidents.csv", REPO / "tests/fixtures/csv/mapping.yaml"
    result = run_cli("import", "csv", sheet, "--map", mapping, "--as-of", AS_OF, root=root, timeout=120)
    command = "incidentkb import csv tests/fixtures/csv/incidents.csv --map tests/fixtures/csv/mapping.yaml"
    assert_printed_in_order(example(command), result)


def test_the_check_can_fail() -> None:
    shown = ["added: nothing of the kind"]
    result = subprocess.CompletedProcess([], 0, stdout="added: something else\n", stderr="")
    try:
        assert_printed_in_order(shown, result)
    except AssertionError:
        return
    raise AssertionError("a line that is not printed passed")
