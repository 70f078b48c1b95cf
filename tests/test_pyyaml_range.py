"""The loader under the oldest and the newest PyYAML that pyproject.toml admits.

libyaml changed under us once (0.2.6, bundled from PyYAML 6.0.3, stops at 1,000 levels with an error of its own),
and the lock file pins one release only. Each case installs one PyYAML release into a folder of its own, puts it
first on the import path and runs the loader and corpus tests against it in a child pytest (whose CLI runs
inherit the path), so each finding is checked under both ends of the range.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PIP_INSTALL = [
    sys.executable,
    "-m",
    "pip",
    "install",
    "-q",
    "--no-deps",
    "--only-binary",
    ":all:",
    "--disable-pip-version-check",
]


def _pyyaml_range() -> str:
    dependencies = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    return next(d for d in dependencies if d.lower().startswith("pyyaml"))


def _oldest(requirement: str) -> str:
    lower = re.search(r">=\s*([0-9][0-9.]*)", requirement)
    assert lower, f"{requirement}: no lower bound"
    return f"pyyaml=={lower[1]}"


@pytest.mark.parametrize("end", ["oldest", "newest"])
def test_the_loader_and_corpus_pass_at_both_ends_of_the_range(end: str, tmp_path: Path) -> None:
    requirement = _pyyaml_range()
    spec = _oldest(requirement) if end == "oldest" else requirement  # pip takes the newest the range admits
    target = tmp_path / "pyyaml"
    install = subprocess.run(
        [*PIP_INSTALL, "--target", str(target), spec],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert install.returncode == 0, install.stderr
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), os.environ.get("PYTHONPATH", "")])}
    probe = subprocess.run(
        [sys.executable, "-c", "import yaml; print(yaml.__version__, yaml.__with_libyaml__, yaml.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    version, with_libyaml, where = probe.stdout.split()
    assert where.startswith(str(target)) and with_libyaml == "True", probe.stdout
    if end == "oldest":
        assert version == spec.removeprefix("pyyaml==")

    tests = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_loader.py",
            "tests/test_corpus.py",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )
    assert tests.returncode == 0, f"PyYAML {version}:\n{tests.stdout[-6000:]}"
    assert re.search(r"\b\d{3,} passed\b", tests.stdout), tests.stdout[-2000:]
