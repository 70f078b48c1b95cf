"""pre-commit: any repository can run `incidentkb validate` as a hook; proven with the real pre-commit tool."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PRE_COMMIT = [sys.executable, "-m", "pre_commit"]

SERVICE = "id: checkout\nname: Checkout\nowner_team: payments\ntier: 1\npublic: {listed: true, name: Checkout}\nslo: {availability: 0.999}\n"
GOOD = """id: INC-2026-001
title: Checkout was slow
severity: SEV4
status: resolved
kind: incident
services: [checkout]
started_at: 2026-10-14T09:12:00Z
resolved_at: 2026-10-14T09:40:00Z
impact:
  - {service: checkout, level: degraded_performance, start: 2026-10-14T09:12:00Z, end: 2026-10-14T09:40:00Z}
summary:
  public: Checkout pages loaded slowly for 28 minutes.
"""
BAD = GOOD.replace("INC-2026-001", "INC-2026-002").replace("severity: SEV4", "severity: SEV9")


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def knowledge_base(tmp_path: Path) -> Path:
    kb = tmp_path / "kb"
    (kb / "services").mkdir(parents=True)
    (kb / "incidents" / "2026").mkdir(parents=True)
    (kb / "services" / "checkout.yaml").write_text(SERVICE)
    (kb / "incidents" / "2026" / "2026-10-14-checkout-slow.yaml").write_text(GOOD)
    (kb / "incidents" / "2026" / "2026-10-14-checkout-broken.yaml").write_text(BAD)
    _git(kb, "init", "-q")
    _git(kb, "add", "-A")
    return kb


def _try_repo(kb: Path, home: Path, *files: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    return subprocess.run(
        [*PRE_COMMIT, "try-repo", str(REPO), "incidentkb-validate", "--files", *files],
        cwd=kb,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def test_hook_passes_a_good_record_and_fails_a_bad_one(knowledge_base: Path, pre_commit_home: Path) -> None:
    good = _try_repo(knowledge_base, pre_commit_home, "incidents/2026/2026-10-14-checkout-slow.yaml")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "incidentkb validate" in good.stdout and "Passed" in good.stdout

    bad = _try_repo(knowledge_base, pre_commit_home, "incidents/2026/2026-10-14-checkout-broken.yaml")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "Failed" in bad.stdout
    assert "incidents/2026/2026-10-14-checkout-broken.yaml:3:11: error[schema]" in bad.stdout


def test_hook_manifest_and_own_config_are_valid() -> None:
    for command, path in (
        ("validate-manifest", ".pre-commit-hooks.yaml"),
        ("validate-config", ".pre-commit-config.yaml"),
    ):
        result = subprocess.run([*PRE_COMMIT, command, str(REPO / path)], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr


def test_workflow_runs_the_same_plain_commands() -> None:
    workflow = (REPO / ".github" / "workflows" / "knowledge-base.yml").read_text()
    for step in ("ci/knowledge-base.sh validate", "ci/knowledge-base.sh build", "ci/knowledge-base.sh diff"):
        assert step in workflow
    assert shutil.which("bash")
    result = subprocess.run(
        ["bash", str(REPO / "ci" / "knowledge-base.sh"), "validate"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "GITHUB_ACTIONS": "true"},
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    assert "error(s)" not in result.stdout  # the github format prints annotations only
