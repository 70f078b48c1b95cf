"""Golden tests: records in, Markdown out, byte for byte (tests/golden/README.md).

Each folder of tests/golden/ is one case: `case.yml` (the cut-off and the pages to compare), `records/` (a small
knowledge base) and `expected/internal/` and `expected/public/` (the pages as generate_internal and generate_public
make them). A template change shows here as a reviewable diff; the expected files change only when asked, with
`--update-goldens` or INCIDENTKB_UPDATE_GOLDENS=1.
"""

from __future__ import annotations

import difflib
import os
import shutil
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from generator.findings import InvalidRecordsError, format_text
from generator.knowledge_base import KnowledgeBase
from generator.site import generate_internal, generate_public

GOLDEN = Path(__file__).resolve().parent / "golden"
SITES = ("internal", "public")
REGENERATE = "python -m pytest tests/test_golden.py --update-goldens  (or INCIDENTKB_UPDATE_GOLDENS=1)"


@dataclass(frozen=True)
class Case:
    name: str
    folder: Path
    as_of: datetime
    pages: Mapping[str, tuple[str, ...]]  # site -> page paths, as generate_internal/generate_public name them

    def expected(self, site: str, page: str) -> Path:
        return self.folder / "expected" / site / page

    def shown(self, path: Path) -> str:
        return path.relative_to(GOLDEN.parent.parent).as_posix()


def read_case(folder: Path) -> Case:
    spec = yaml.safe_load((folder / "case.yml").read_text(encoding="utf-8"))
    unknown = set(spec["pages"]) - set(SITES)
    assert not unknown, f"{folder.name}/case.yml: unknown sites {sorted(unknown)}; use {SITES}"
    return Case(
        name=folder.name,
        folder=folder,
        as_of=datetime.fromisoformat(spec["as_of"]),
        pages={site: tuple(spec["pages"].get(site, ())) for site in SITES},
    )


CASES = [read_case(folder) for folder in sorted(GOLDEN.iterdir()) if (folder / "case.yml").is_file()]


def updating(config: pytest.Config) -> bool:
    return bool(config.getoption("--update-goldens")) or os.environ.get("INCIDENTKB_UPDATE_GOLDENS") == "1"


def generate(case: Case, root: Path) -> dict[str, dict[str, str]]:
    """Every page of both sites, through the real pipeline, from a copy of the case's records."""
    shutil.copytree(case.folder / "records", root)
    try:
        internal, internal_findings = generate_internal(KnowledgeBase(root), case.as_of)
        public, _, public_findings = generate_public(KnowledgeBase(root), case.as_of)
    except InvalidRecordsError as error:
        pytest.fail(f"{case.name}/records are invalid:\n{format_text(error.findings)}", pytrace=False)
    if internal_findings or public_findings:
        pytest.fail(f"{case.name}/records have warnings:\n{format_text(internal_findings)}", pytrace=False)
    return {"internal": internal, "public": public}


def stale_files(case: Case) -> list[Path]:
    """Files under expected/ that case.yml does not list."""
    listed = {case.expected(site, page) for site in SITES for page in case.pages[site]}
    return sorted(p for p in (case.folder / "expected").rglob("*") if p.is_file() and p not in listed)


def unified_diff(expected: str, actual: str, expected_name: str) -> str:
    lines = difflib.unified_diff(
        expected.splitlines(keepends=True),
        actual.splitlines(keepends=True),
        fromfile=expected_name,
        tofile=f"{expected_name} (as generated now)",
    )
    # A last line without its newline would run into the next line of the message: mark it as diff(1) does.
    return "".join(line if line.endswith("\n") else f"{line}\n\\ No newline at end of file\n" for line in lines)


def compare(case: Case, generated: Mapping[str, Mapping[str, str]]) -> list[str]:
    """The differences, one message per page; empty when every expected file matches byte for byte."""
    problems: list[str] = []
    for site in SITES:
        for page in case.pages[site]:
            path = case.expected(site, page)
            if page not in generated[site]:
                problems.append(f"{case.shown(path)}: the {site} site has no page {page!r} any more")
                continue
            actual = generated[site][page]
            if not path.is_file():
                problems.append(f"{case.shown(path)}: missing (the {site} page {page!r} is not recorded yet)")
                continue
            expected_bytes = path.read_bytes()
            if expected_bytes != actual.encode("utf-8"):
                expected = expected_bytes.decode("utf-8", errors="replace")
                diff = unified_diff(expected, actual, case.shown(path))
                problems.append(diff or f"{case.shown(path)}: differs only in bytes no line diff shows")
    problems += [f"{case.shown(p)}: not listed in {case.name}/case.yml" for p in stale_files(case)]
    return problems


def update(case: Case, generated: Mapping[str, Mapping[str, str]], say: Callable[[str], None]) -> None:
    """Write the listed pages as generated now and remove unlisted files: only on an explicit request."""
    for site in SITES:
        for page in case.pages[site]:
            assert page in generated[site], f"{case.name}: the {site} site has no page {page!r}; fix case.yml"
            path = case.expected(site, page)
            content = generated[site][page].encode("utf-8")
            if not path.is_file() or path.read_bytes() != content:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
                say(f"golden file rewritten: {case.shown(path)}")
    for path in stale_files(case):
        path.unlink()
        say(f"golden file removed (not in case.yml): {case.shown(path)}")


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_generated_pages_match_the_golden_files(case: Case, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    generated = generate(case, tmp_path / "kb")
    if updating(request.config):
        update(case, generated, lambda message: warnings.warn(message, stacklevel=1))
    problems = compare(case, generated)
    if problems:
        pytest.fail(
            "\n".join(p.rstrip("\n") for p in problems)
            + f"\n\nIf the change is intended, review the diff, then regenerate:\n    {REGENERATE}",
            pytrace=False,
        )


def test_every_case_lists_pages() -> None:
    assert {case.name for case in CASES} >= {"sev1-postmortem", "runbook", "monthly-report"}
    for case in CASES:
        assert any(case.pages[site] for site in SITES), f"{case.name}/case.yml lists no pages"
        assert case.as_of.tzinfo is not None, f"{case.name}/case.yml: as_of needs a time zone"
