"""Peer agreement: check-jsonschema, an independent validator, must agree with `incidentkb validate` on which files
pass the schema, for the example knowledge base of the repository and for every schema corpus file.

check-jsonschema decides validity per file, so only that is compared: a file is invalid for incidentkb when it has a
`schema` error or a loader error (a file that does not load never reaches the schema; check-jsonschema reports it as
a parse error). Policy rules are incidentkb's own and are not compared.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import CORPUS, KB, LOADER_RULES, REPO, SERVICES, TODAY, TODAY_DATE, run_cli

from generator.knowledge_base import KnowledgeBase
from generator.validate import validate_knowledge_base

SCHEMA_RULES = LOADER_RULES | {"schema"}
PEER_CORPUS = sorted((CORPUS / "schema").glob("*.yaml")) + sorted((CORPUS / "peer").glob("*.yaml"))


def check_jsonschema_executable() -> str:
    found = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent)) or shutil.which("check-jsonschema")
    assert found, "check-jsonschema is not installed (pip install -e '.[test]')"
    return found


def check_jsonschema_invalid(kind: str, files: list[Path]) -> set[Path]:
    """The files check-jsonschema rejects (validation or parse errors), as absolute paths."""
    if not files:
        return set()
    proc = subprocess.run(
        [
            check_jsonschema_executable(),
            "--output-format",
            "json",
            "--schemafile",
            str(REPO / "schemas" / f"{kind}.schema.json"),
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    rejected = {Path(e["filename"]).resolve() for e in report.get("errors", []) + report.get("parse_errors", [])}
    assert rejected <= {f.resolve() for f in files}, rejected
    assert (proc.returncode == 1) == bool(rejected)
    return rejected


def incidentkb_invalid(root: Path, files: list[Path] | None = None) -> set[Path]:
    """The files `incidentkb validate` gives a schema or loader error, as absolute paths."""
    proc = run_cli(
        "--root", root, "validate", "--format", "json", "--as-of", TODAY, *(files or []), cwd=root, timeout=60
    )
    assert proc.returncode in (0, 1) and "Traceback" not in proc.stderr, proc.stderr
    return {(root / f["path"]).resolve() for f in json.loads(proc.stdout) if f["rule"] in SCHEMA_RULES}


def incidentkb_verdicts(root: Path, files: list[Path]) -> dict[Path, str]:
    """'valid' or 'invalid' per file from one CLI run; if that run crashes, each file is validated on its own
    (through the library the CLI calls) so that one crashing file does not hide the verdicts on the others."""
    proc = run_cli("--root", root, "validate", "--format", "json", "--as-of", TODAY, *files, cwd=root, timeout=60)
    if proc.returncode in (0, 1) and "Traceback" not in proc.stderr:
        invalid = {(root / f["path"]).resolve() for f in json.loads(proc.stdout) if f["rule"] in SCHEMA_RULES}
        return {f.resolve(): "invalid" if f.resolve() in invalid else "valid" for f in files}
    verdicts = {}
    for file in files:
        try:
            result = validate_knowledge_base(KnowledgeBase(root), today=TODAY_DATE, paths=[file])
        except Exception as exc:
            verdicts[file.resolve()] = f"crashed ({type(exc).__name__}: {exc})"
            continue
        verdicts[file.resolve()] = "invalid" if any(f.rule in SCHEMA_RULES for f in result.findings) else "valid"
    return verdicts


def disagreements(files: list[Path], ours: set[Path], theirs: set[Path]) -> list[str]:
    verdict = {True: "invalid", False: "valid"}
    return [
        f"{f}: incidentkb says {verdict[f.resolve() in ours]}, check-jsonschema says {verdict[f.resolve() in theirs]}"
        for f in files
        if (f.resolve() in ours) != (f.resolve() in theirs)
    ]


def test_example_knowledge_base_agrees() -> None:
    incidents = sorted(REPO.glob("incidents/*/*.yaml"))
    services = sorted(REPO.glob("services/*.yaml"))
    assert incidents, f"no incident records in {REPO / 'incidents'}: nothing to compare"
    assert services, f"no service records in {REPO / 'services'}: nothing to compare"
    ours = incidentkb_invalid(REPO)
    theirs = check_jsonschema_invalid("incident", incidents) | check_jsonschema_invalid("service", services)
    assert not disagreements(incidents + services, ours, theirs), "\n".join(
        disagreements(incidents + services, ours, theirs)
    )


@pytest.fixture(scope="module")
def corpus_verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, str]]:
    """Every schema-corpus and peer-corpus file in one knowledge base, judged by both validators:
    {corpus name: (incidentkb's verdict, check-jsonschema's verdict)}."""
    kb = KB(tmp_path_factory.mktemp("peer") / "kb")
    for name, data in SERVICES.items():
        kb.write_service(name, data)
    placed = {}
    for source in PEER_CORPUS:
        is_service = source.stem.startswith("service-")
        relative = f"services/{source.stem}.yaml" if is_service else f"incidents/2026/2026-10-14-{source.stem}.yaml"
        placed[f"{source.parent.name}/{source.name}"] = kb.write(relative, source.read_bytes())
    files = list(placed.values())
    ours = incidentkb_verdicts(kb.root, files)
    service_files = [f for f in files if f.parent.name == "services"]
    theirs = check_jsonschema_invalid("incident", [f for f in files if f not in service_files])
    theirs |= check_jsonschema_invalid("service", service_files)
    return {
        name: (ours[path.resolve()], "invalid" if path.resolve() in theirs else "valid")
        for name, path in placed.items()
    }


@pytest.mark.parametrize("name", [f"{p.parent.name}/{p.name}" for p in PEER_CORPUS])
def test_corpus_file_agrees(name: str, corpus_verdicts: dict[str, tuple[str, str]]) -> None:
    ours, theirs = corpus_verdicts[name]
    assert ours == theirs, f"incidentkb: {ours}; check-jsonschema: {theirs}"


def test_corpus_verdicts_are_not_vacuous(corpus_verdicts: dict[str, tuple[str, str]]) -> None:
    """check-jsonschema sees the schema corpus as invalid and the valid peer files as valid (so agreeing with it
    means something)."""
    for name, (_, theirs) in corpus_verdicts.items():
        if name.startswith("schema/"):
            assert theirs == "invalid", name
        elif "valid" in name:
            assert theirs == "valid", name
