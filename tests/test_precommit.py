"""pre-commit: any knowledge-base repository can run `incidentkb validate` as a hook; proven with the real
pre-commit tool and real `git commit`s in temporary git repositories holding a copy of the example knowledge base.

The hook comes from a git repository made of this project's working tree (uncommitted changes included, as
`pre-commit try-repo` would), named by path and commit in each knowledge base's .pre-commit-config.yaml, the way a
real knowledge base names this project's URL and a tag. All tests share one PRE_COMMIT_HOME, so pre-commit builds
the hook's virtualenv and pip-installs the project once per module, not once per run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support import node_position

REPO = Path(__file__).resolve().parent.parent
PRE_COMMIT = [sys.executable, "-m", "pre_commit"]
EXAMPLE_PARTS = ("incidents", "services", "schemas", "docs", "incidentkb.yml", "mkdocs.yml")
HOOK_ID = "incidentkb-validate"
# A finding as `incidentkb validate` prints it: path:line:column: severity[rule]: message
FINDING = re.compile(
    r"^(?P<path>\S+?):(?P<line>\d+):(?P<column>\d+): (?P<severity>error|warning)\[(?P<rule>[a-z-]+)\]: "
)
HOOK_PASSED = re.compile(r"^incidentkb validate\.+Passed$", re.M)
HOOK_FAILED = re.compile(r"^incidentkb validate\.+Failed$", re.M)
BAD = """id: INC-2026-900
title: Checkout was slow
severity: SEV9
status: resolved
kind: incident
services: [checkout]
started_at: 2026-10-14T09:12:00Z
resolved_at: 2026-10-14T09:40:00Z
summary:
  public: Checkout pages loaded slowly for 28 minutes.
"""

Error = tuple[str, int, int, str]


def _env(home: Path) -> dict[str, str]:
    """pre-commit's cache in `home`; git with a fixed identity and no user or system configuration."""
    return {
        **os.environ,
        "PRE_COMMIT_HOME": str(home),
        "PRE_COMMIT_COLOR": "never",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
    }


def _run(cwd: Path, env: dict[str, str], *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*map(str, args)], cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False)


def _git(cwd: Path, env: dict[str, str], *args: str | Path) -> str:
    proc = _run(cwd, env, "git", *args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout.strip()


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory, pre_commit_home: Path) -> tuple[Path, str]:
    """A git repository of this project's working tree (tracked and untracked, not ignored), and its commit."""
    env = _env(pre_commit_home)
    snapshot = tmp_path_factory.mktemp("hook-repo")
    listed = _git(REPO, env, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in sorted(set(listed.split("\0")) - {""}):
        source = REPO / name
        if source.is_file():  # a tracked file deleted in the working tree is left out, as git add -A would
            (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, snapshot / name)
    _git(snapshot, env, "init", "-q")
    _git(snapshot, env, "add", "-A")
    _git(snapshot, env, "commit", "-q", "--no-verify", "-m", "snapshot of the working tree")
    return snapshot, _git(snapshot, env, "rev-parse", "HEAD")


class KnowledgeBaseRepo:
    """A git repository holding a copy of the example knowledge base, with the hook installed as git's pre-commit."""

    def __init__(self, root: Path, home: Path, hook_repo: tuple[Path, str]) -> None:
        self.root, self.env = root, _env(home)
        for part in EXAMPLE_PARTS:
            copy = shutil.copytree if (REPO / part).is_dir() else shutil.copy2
            copy(REPO / part, root / part)
        repo, rev = hook_repo
        config = {"repos": [{"repo": str(repo), "rev": rev, "hooks": [{"id": HOOK_ID}]}]}
        (root / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        self.git("init", "-q")
        self.git("add", "-A")
        self.git("commit", "-q", "-m", "the example knowledge base")  # before the hook is installed
        install = self.pre_commit("install")
        assert install.returncode == 0, install.stdout + install.stderr

    def git(self, *args: str | Path) -> str:
        return _git(self.root, self.env, *args)

    def pre_commit(self, *args: str) -> subprocess.CompletedProcess[str]:
        return _run(self.root, self.env, *PRE_COMMIT, *args)

    def commit(self, message: str) -> tuple[bool, str]:
        """`git commit` through the installed hook: whether a commit was made, and what git and the hook printed."""
        head = self.git("rev-parse", "HEAD")
        proc = _run(self.root, self.env, "git", "commit", "-m", message)
        made = self.git("rev-parse", "HEAD") != head
        assert made == (proc.returncode == 0), proc.stdout + proc.stderr
        return made, proc.stdout + proc.stderr

    def text(self, path: str) -> str:
        return (self.root / path).read_text(encoding="utf-8")

    def references_to(self, service: str) -> set[Error]:
        """Where the records name `service`, read with PyYAML's composer (not with incidentkb's loader)."""
        found: set[Error] = set()
        for path in sorted(self.root.glob("incidents/**/*.yaml")) + sorted(self.root.glob("services/*.yaml")):
            relative, text = path.relative_to(self.root).as_posix(), path.read_text(encoding="utf-8")
            data = yaml.safe_load(text)
            key = "depends_on" if relative.startswith("services/") else "services"
            for index, name in enumerate(data.get(key) or []):
                if name == service:
                    found.add((relative, *node_position(text, [key, index]), "unknown-service"))
        return found


def errors_in(output: str) -> set[Error]:
    found = (FINDING.match(line) for line in output.splitlines())
    return {(m["path"], int(m["line"]), int(m["column"]), m["rule"]) for m in found if m and m["severity"] == "error"}


@pytest.fixture
def example_kb(tmp_path: Path, pre_commit_home: Path, hook_repo: tuple[Path, str]) -> KnowledgeBaseRepo:
    return KnowledgeBaseRepo(tmp_path / "kb", pre_commit_home, hook_repo)


def test_hook_passes_on_the_example_knowledge_base(example_kb: KnowledgeBaseRepo) -> None:
    """incidentkb.yml and schemas/ are in the repository but are not incidents: the run passes, having validated
    the whole knowledge base (its summary line is printed with --verbose)."""
    run = example_kb.pre_commit("run", "--all-files", "--verbose")
    assert run.returncode == 0, run.stdout + run.stderr
    assert HOOK_PASSED.search(run.stdout), run.stdout
    assert re.search(r"^0 error\(s\), \d+ warning\(s\)$", run.stdout, re.M), run.stdout


def test_settings_are_checked_as_settings_and_schemas_not_at_all(example_kb: KnowledgeBaseRepo) -> None:
    """Named on the command line, the settings are checked against their schema and a schema file is skipped
    with a note; a broken setting fails the commit at its line and column."""
    schemas = sorted(p.relative_to(example_kb.root).as_posix() for p in (example_kb.root / "schemas").glob("*"))
    named = _run(
        example_kb.root, example_kb.env, sys.executable, "-m", "generator", "validate", "incidentkb.yml", *schemas
    )
    assert (named.returncode, named.stdout) == (0, "0 error(s), 0 warning(s)\n"), named.stdout + named.stderr
    notes = [line for line in named.stderr.splitlines() if line.startswith("incidentkb: note: ")]
    assert [line.split()[2] for line in notes] == schemas and "not checked" in notes[0], named.stderr

    settings = example_kb.text("incidentkb.yml")
    assert "timezone: UTC\n" in settings
    (example_kb.root / "incidentkb.yml").write_text(settings.replace("timezone: UTC", "timezone: Mars/Olympus"))
    example_kb.git("add", "incidentkb.yml")
    made, output = example_kb.commit("a time zone that does not exist")
    assert not made and HOOK_FAILED.search(output), output
    assert errors_in(output) == {("incidentkb.yml", *node_position(settings, ["report", "timezone"]), "settings")}


def test_a_bad_record_is_refused_at_its_line_and_column(example_kb: KnowledgeBaseRepo) -> None:
    (example_kb.root / "incidents" / "2026" / "2026-10-14-checkout-broken.yaml").write_text(BAD)
    example_kb.git("add", "-A")
    made, output = example_kb.commit("an incident with a severity that does not exist")
    assert not made and HOOK_FAILED.search(output), output
    assert errors_in(output) == {("incidents/2026/2026-10-14-checkout-broken.yaml", 3, 11, "schema")}, output


def test_deleting_a_service_checks_every_record_that_names_it(example_kb: KnowledgeBaseRepo) -> None:
    """pre-commit passes no deleted file to a hook; the hook still runs and names each reference, in files the
    commit does not touch, at its path:line:column."""
    references = example_kb.references_to("search")
    assert len({path for path, *_ in references}) >= 3, references  # else the test would prove little
    example_kb.git("rm", "-q", "services/search.yaml")
    made, output = example_kb.commit("remove the search service")
    assert not made and HOOK_FAILED.search(output), output
    assert errors_in(output) == references, output
    for path, line, column, _ in references:
        assert f"{path}:{line}:{column}: error[unknown-service]: " in output
    assert "services/search.yaml" in example_kb.git("diff", "--cached", "--name-only")  # still staged, not committed


def test_renames_are_checked_with_the_whole_knowledge_base(example_kb: KnowledgeBaseRepo) -> None:
    """An incident renamed to another day is refused at its started_at; renamed within its day it passes. A
    renamed service breaks its own id and every reference to it."""
    old = sorted((example_kb.root / "incidents" / "2026").glob("*.yaml"))[0].relative_to(example_kb.root).as_posix()
    text = example_kb.text(old)
    started = re.search(r"^started_at: (\d{4}-\d{2}-\d{2})T", text, re.M)
    assert started, old
    day = started[1]
    assert Path(old).name.startswith(f"{day}-")
    wrong_day = old.replace(day, f"{day[:8]}{int(day[8:]) % 28 + 1:02d}")
    example_kb.git("mv", old, wrong_day)
    made, output = example_kb.commit("rename an incident to another day")
    assert not made and HOOK_FAILED.search(output), output
    assert errors_in(output) == {(wrong_day, *node_position(text, ["started_at"]), "id-filename")}, output

    same_day = f"incidents/2026/{day}-renamed-within-its-day.yaml"
    example_kb.git("mv", wrong_day, same_day)
    made, output = example_kb.commit("rename an incident within its day")
    assert made and HOOK_PASSED.search(output), output
    assert example_kb.git("show", "--name-status", "--format=", "HEAD").split() == ["R100", old, same_day]

    references = example_kb.references_to("search")
    service = example_kb.text("services/search.yaml")
    example_kb.git("mv", "services/search.yaml", "services/search-engine.yaml")
    made, output = example_kb.commit("rename the search service")
    assert not made and HOOK_FAILED.search(output), output
    own_id = ("services/search-engine.yaml", *node_position(service, ["id"]), "service-id-filename")
    assert errors_in(output) == {own_id, *references}, output


def test_hook_manifest_and_own_config_are_valid() -> None:
    for command, path in (
        ("validate-manifest", ".pre-commit-hooks.yaml"),
        ("validate-config", ".pre-commit-config.yaml"),
    ):
        result = subprocess.run([*PRE_COMMIT, command, str(REPO / path)], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
    # This repository's own hook (language: system) runs the same command over the same files as the published one.
    (published,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    own = next(
        hook
        for repo in yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())["repos"]
        for hook in repo["hooks"]
        if hook["id"] == HOOK_ID
    )
    for key in ("entry", "pass_filenames", "always_run", "files"):
        assert own.get(key) == published.get(key), key
    assert (published["pass_filenames"], published["always_run"]) == (False, True)


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
        # the incidentkb of the environment running the tests, as if it were activated
        env={
            **os.environ,
            "GITHUB_ACTIONS": "true",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        },
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    assert "error(s)" not in result.stdout  # the github format prints annotations only
