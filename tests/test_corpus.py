"""The corpus of bad files: each is rejected by the real CLI with the expected rule at the expected line:column.

Committed cases live in tests/corpus/loader/ (the loader refuses the file) and tests/corpus/schema/ (the file
loads but breaks the schema). Their first line says what to expect:

    # expect: duplicate-key 3:1
    # expect: schema 2:1; schema 7:1     (several findings)
    # expect: nesting-limit 3            (line only)

Cases that cannot be committed as text (bytes that are not UTF-8, 100,000 brackets, a file over the size limit,
a file of zero bytes) are generated below. Every case is copied into a temporary knowledge base at a valid path
(incidents/2026/2026-10-14-x.yaml; `service-*` cases at services/broken.yaml) and validated alone; the JSON and
GitHub formats are checked on one run over all cases, which also shows that findings are collected across files.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest
import yaml
from support import CORPUS, KB, LOADER_RULES, REPO, SERVICES, TODAY

EXPECT_LINE = re.compile(r"^# expect: (?P<spec>.+)$")
EXPECT_ITEM = re.compile(r"^(?P<rule>[a-z-]+) (?P<line>\d+)(?::(?P<column>\d+))?$")
TEXT_FINDING = re.compile(
    r"^(?P<path>.+?):(?P<line>\d+):(?P<column>\d+): (?P<severity>error|warning)\[(?P<rule>[a-z-]+)\]: .+$"
)
GITHUB_FINDING = re.compile(
    r"^::(?P<severity>error|warning) file=(?P<path>[^,]+),line=(?P<line>\d+),col=(?P<column>\d+),title=(?P<rule>[^:]+)::.+$"
)
FINDING_KEYS = {"path", "line", "column", "severity", "rule", "message"}

Expected = tuple[str, int, int | None]


@dataclass(frozen=True)
class Case:
    name: str
    content: bytes
    expected: tuple[Expected, ...]

    @property
    def is_service(self) -> bool:
        return self.name.startswith("service-")

    @property
    def target(self) -> str:
        """Where the case is validated alone."""
        return "services/broken.yaml" if self.is_service else "incidents/2026/2026-10-14-x.yaml"

    @property
    def combined_target(self) -> str:
        """Where the case sits in the knowledge base that holds every case at once."""
        return f"services/{self.name}.yaml" if self.is_service else f"incidents/2026/2026-10-14-{self.name}.yaml"


def parse_expect(spec: str) -> tuple[Expected, ...]:
    expected = []
    for item in spec.split(";"):
        match = EXPECT_ITEM.match(item.strip())
        assert match, f"bad expectation {item!r}"
        column = int(match["column"]) if match["column"] else None
        expected.append((match["rule"], int(match["line"]), column))
    return tuple(expected)


def committed_cases(folder: Path) -> list[Case]:
    cases = []
    for path in sorted(folder.glob("*.yaml")):
        content = path.read_bytes()
        match = EXPECT_LINE.match(content.decode("utf-8").split("\n", 1)[0])
        assert match, f"{path} has no '# expect:' first line"
        cases.append(Case(path.stem, content, parse_expect(match["spec"])))
    return cases


def generated_cases() -> list[Case]:
    record = b"id: INC-2026-900\n"
    deep = 100_000
    return [
        # Not UTF-8 (tests/test_loader.py checks the column of a bad byte after multi-byte characters).
        Case("encoding-latin1", record + b"title: Caf\xe9 closed\n", (("encoding", 2, 11),)),
        Case("encoding-utf16", record.decode().encode("utf-16"), (("encoding", 1, 1),)),
        Case("encoding-truncated-sequence", record + b"title: \xe2\x82\n", (("encoding", 2, 8),)),
        Case("not-a-mapping-zero-bytes", b"", (("not-a-mapping", 1, 1),)),
        Case("not-a-mapping-bom-only", b"\xef\xbb\xbf", (("not-a-mapping", 1, 1),)),
        Case("not-a-mapping-blank-lines", b"\n  \n\n", (("not-a-mapping", 1, 1),)),
        # Deep nesting must be refused before libyaml's recursive composer sees it (it would crash the process).
        Case(
            "nesting-limit-100k-open-brackets", record + b"tags: " + b"[" * deep + b"\n", (("nesting-limit", 2, None),)
        ),
        Case(
            "nesting-limit-100k-balanced-brackets",
            record + b"tags: " + b"[" * deep + b"]" * deep + b"\n",
            (("nesting-limit", 2, None),),
        ),
        Case("nesting-limit-100k-braces", record + b"summary: " + b"{" * deep + b"\n", (("nesting-limit", 2, None),)),
        Case("nesting-limit-100k-block-sequence", b"- " * deep + b"x\n", (("nesting-limit", 1, None),)),
        Case(
            "file-too-large",
            record + b"summary:\n  internal: " + b"x" * (1024 * 1024) + b"\n",
            (("file-too-large", 1, 1),),
        ),
    ]


LOADER_CASES = committed_cases(CORPUS / "loader") + generated_cases()
SCHEMA_CASES = committed_cases(CORPUS / "schema")
ALL_CASES = LOADER_CASES + SCHEMA_CASES


def test_corpus_is_complete() -> None:
    """Every loader rule has at least one case, and the schema corpus covers each kind of schema error."""
    assert {rule for case in LOADER_CASES for rule, _, _ in case.expected} == LOADER_RULES
    assert all(rule == "schema" for case in SCHEMA_CASES for rule, _, _ in case.expected)
    names = {case.name for case in SCHEMA_CASES}
    for prefix in ("unknown-key", "wrong-type", "bad-enum", "naive-timestamp", "invalid-date", "missing-required"):
        assert any(name.startswith(prefix) for name in names), prefix
    assert "bad-id-pattern" in names
    assert {"yaml-tag-python-object", "yaml-tag-binary", "yaml-tag-custom", "yaml-tag-timestamp"} <= names_of(
        LOADER_CASES
    )
    assert {"duplicate-key-top", "duplicate-key-nested", "not-a-mapping-list", "not-a-mapping-scalar"} <= names_of(
        LOADER_CASES
    )


def names_of(cases: list[Case]) -> set[str]:
    return {case.name for case in cases}


def corpus_kb(root: Path) -> KB:
    kb = KB(root)
    for name, data in SERVICES.items():
        kb.write_service(name, data)
    (root / "incidents").mkdir()
    return kb


def assert_matches(found: set[tuple[str, int, int]], expected: tuple[Expected, ...]) -> None:
    """Every finding is expected, and every expectation is found (a None column matches any column)."""

    def fits(finding: tuple[str, int, int], expectation: Expected) -> bool:
        rule, line, column = expectation
        return finding[0] == rule and finding[1] == line and column in (None, finding[2])

    assert found, "no error findings"
    unexpected = [f for f in found if not any(fits(f, e) for e in expected)]
    missing = [e for e in expected if not any(fits(f, e) for f in found)]
    assert not unexpected and not missing, f"unexpected {unexpected}, missing {missing}"


# `python -m generator ARGS` for many runs: one fresh interpreter imports the CLI and runs it once on a valid
# knowledge base (loading, checking and compiling the schemas), then forks a child per run that executes
# generator/__main__.py with that run's arguments, folder, stdout and stderr. Each run is still a process of its
# own (its exit status; a crash or a hang kills only it: a segfault is -11, the 60 s alarm -14); what the forks
# save is the start-up, the imports and the schema checks, 0.3 s of CPU that every one of 75 runs repeated.
FORKING_CLI = r"""
import contextlib, io, json, os, runpy, signal, sys, traceback

def call(job):
    os.chdir(job["cwd"])
    sys.argv = ["-m", *job["args"]]
    try:
        runpy.run_module("generator", run_name="__main__", alter_sys=True)
        return 0
    except SystemExit as exc:  # the exit status, as the interpreter makes it
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()

def run(job):
    for fd, name in ((1, job["stdout"]), (2, job["stderr"])):
        target = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)
    signal.alarm(60)
    return call(job)

plan = json.loads(open(sys.argv[1], encoding="utf-8").read())
here, argv = os.getcwd(), sys.argv
with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.redirect_stderr(io.StringIO()) as err:
    warm = call(plan["warm_up"])
os.chdir(here)
sys.argv = argv
if warm != 0:
    sys.exit(f"the warm-up run exited {warm}: {out.getvalue()}{err.getvalue()}")
jobs = plan["jobs"]
codes, running = [None] * len(jobs), {}
for index, job in enumerate(jobs):
    while len(running) >= len(os.sched_getaffinity(0)):
        pid, status = os.wait()
        codes[running.pop(pid)] = os.waitstatus_to_exitcode(status)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            code = run(job)
        except BaseException:
            traceback.print_exc()  # an uncaught exception: the traceback on stderr and status 1
        finally:
            os._exit(code)
    running[pid] = index
while running:
    pid, status = os.wait()
    codes[running.pop(pid)] = os.waitstatus_to_exitcode(status)
print(json.dumps(codes))
"""

Run = tuple[Path, list[str]]


def run_cli_forked(warm_up: Run, runs: list[Run], folder: Path) -> list[subprocess.CompletedProcess[str]]:
    """`python -m generator *args` in `cwd` for each (cwd, args) of `runs`, each in a process of its own, forked
    after `warm_up` (which must exit 0) has run in their parent."""
    outputs = [(folder / f"{n}.out", folder / f"{n}.err") for n in range(len(runs))]
    jobs = [
        {"cwd": str(cwd), "args": args, "stdout": str(out), "stderr": str(err)}
        for (cwd, args), (out, err) in zip(runs, outputs, strict=True)
    ]
    plan = {"warm_up": {"cwd": str(warm_up[0]), "args": warm_up[1]}, "jobs": jobs}
    (folder / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    driver = subprocess.run(
        [sys.executable, "-c", FORKING_CLI, str(folder / "plan.json")],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert driver.returncode == 0 and not driver.stderr, driver.stdout + driver.stderr
    return [
        subprocess.CompletedProcess(
            ["python", "-m", "generator", *args], code, out.read_text(encoding="utf-8"), err.read_text(encoding="utf-8")
        )
        for (_, args), (out, err), code in zip(runs, outputs, json.loads(driver.stdout), strict=True)
    ]


def validate_args(kb: KB, *paths: Path) -> list[str]:
    """The arguments of KB.validate_cli."""
    return ["--root", str(kb.root), "validate", "--as-of", TODAY, *map(str, paths)]


@pytest.fixture(scope="module")
def single_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, subprocess.CompletedProcess[str]]:
    """`incidentkb validate <file>` for each case alone, each in its own knowledge base and its own process, with
    the arguments KB.validate_cli gives (run_cli_forked saves each process the start-up and the imports)."""
    runs = []
    for case in ALL_CASES:
        kb = corpus_kb(tmp_path_factory.mktemp(case.name) / "kb")
        runs.append((kb.root.parent, validate_args(kb, kb.write(case.target, case.content))))
    valid = corpus_kb(tmp_path_factory.mktemp("warm-up") / "kb")
    valid.write("incidents/2026/2026-10-14-x.yaml", (CORPUS / "peer" / "valid-base.yaml").read_bytes())
    done = run_cli_forked((valid.root.parent, validate_args(valid)), runs, tmp_path_factory.mktemp("single-runs"))
    return {case.name: proc for case, proc in zip(ALL_CASES, done, strict=True)}


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda case: case.name)
def test_cli_text_reports_rule_and_position(
    case: Case, single_runs: dict[str, subprocess.CompletedProcess[str]]
) -> None:
    proc = single_runs[case.name]

    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1, proc.stdout + proc.stderr  # a crash (e.g. a segfault: -11) is not 1
    lines = proc.stdout.splitlines()
    findings = [TEXT_FINDING.match(line) for line in lines[:-1]]
    assert all(findings), lines
    assert {m["path"] for m in findings} == {case.target}  # type: ignore[index]
    assert {m["severity"] for m in findings} == {"error"}  # type: ignore[index]
    assert_matches({(m["rule"], int(m["line"]), int(m["column"])) for m in findings}, case.expected)  # type: ignore[index]
    assert lines[-1] == f"{len(findings)} error(s), 0 warning(s)"


@pytest.fixture(scope="module")
def combined(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, str, str]]:
    """One knowledge base holding every case; validated once per output format."""
    kb = corpus_kb(tmp_path_factory.mktemp("combined") / "kb")
    paths = [kb.write(case.combined_target, case.content) for case in ALL_CASES]
    runs = {}
    for output in ("json", "github"):
        proc = kb.validate_cli("--format", output, *paths)
        runs[output] = (proc.returncode, proc.stdout, proc.stderr)
    return runs


def test_combined_run_collects_every_file(combined: dict[str, tuple[int, str, str]]) -> None:
    returncode, stdout, stderr = combined["json"]
    assert "Traceback" not in stderr, stderr
    assert returncode == 1
    findings = json.loads(stdout)
    assert {f["path"] for f in findings} == {case.combined_target for case in ALL_CASES}


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda case: case.name)
def test_json_format(case: Case, combined: dict[str, tuple[int, str, str]]) -> None:
    returncode, stdout, stderr = combined["json"]
    assert "Traceback" not in stderr, stderr
    assert returncode == 1
    findings = json.loads(stdout)
    assert isinstance(findings, list)
    mine = [f for f in findings if f["path"] == case.combined_target]
    for finding in mine:
        assert set(finding) == FINDING_KEYS
        assert finding["severity"] == "error"
        assert isinstance(finding["line"], int) and isinstance(finding["column"], int)
        assert isinstance(finding["message"], str) and finding["message"]
    assert_matches({(f["rule"], f["line"], f["column"]) for f in mine}, case.expected)


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda case: case.name)
def test_github_format(case: Case, combined: dict[str, tuple[int, str, str]]) -> None:
    returncode, stdout, stderr = combined["github"]
    assert "Traceback" not in stderr, stderr
    assert returncode == 1
    lines = stdout.splitlines()
    matches = [GITHUB_FINDING.match(line) for line in lines]
    assert all(matches), [line for line, m in zip(lines, matches, strict=True) if not m]
    mine = [m for m in matches if m["path"] == case.combined_target]  # type: ignore[index]
    assert all(line.startswith(f"::error file={case.combined_target},line=") for line in (m.string for m in mine))
    assert_matches({(m["rule"], int(m["line"]), int(m["column"])) for m in mine}, case.expected)


ENUM_CASES = [case for case in SCHEMA_CASES if case.name.startswith("bad-enum")]


@pytest.mark.parametrize("case", ENUM_CASES, ids=lambda case: case.name)
def test_an_enum_error_names_every_allowed_value(case: Case, combined: dict[str, tuple[int, str, str]]) -> None:
    """The message names the value and every value the schema allows (Python's jsonschema, another
    implementation, says which), not two of them and "or N other candidates"."""
    record = yaml.safe_load(case.content)
    schema = json.loads((REPO / "schemas" / "incident.schema.json").read_text(encoding="utf-8"))
    enum_errors = [e for e in jsonschema.Draft202012Validator(schema).iter_errors(record) if e.validator == "enum"]
    assert len(enum_errors) == 1, enum_errors
    wrong, allowed = enum_errors[0].instance, enum_errors[0].validator_value
    assert len(allowed) > 2  # so that a message naming only two of them would fail
    messages = [f["message"] for f in json.loads(combined["json"][1]) if f["path"] == case.combined_target]
    assert len(messages) == 1, messages
    assert messages[0].startswith(f"{enum_errors[0].json_path.removeprefix('$.')}: {json.dumps(wrong)} is not one of ")
    assert [value for value in allowed if json.dumps(value) not in messages[0]] == []
    assert "candidates" not in messages[0]


PEER_VALID = sorted(p for p in (CORPUS / "peer").glob("*.yaml") if "valid" in p.stem)


@pytest.mark.parametrize("path", PEER_VALID, ids=lambda p: p.stem)
def test_valid_variants_pass(path: Path, tmp_path: Path) -> None:
    """The valid base the schema corpus is derived from, and valid edge cases of it, pass with exit 0: so each
    corpus file fails for the one reason it was written for."""
    kb = corpus_kb(tmp_path / "kb")
    target = kb.write(
        "services/broken.yaml" if path.stem.startswith("service-") else "incidents/2026/2026-10-14-x.yaml",
        path.read_bytes(),
    )
    proc = kb.validate_cli(target)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == "0 error(s), 0 warning(s)"
