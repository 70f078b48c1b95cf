"""`incidentkb export`: the JSON document validates against schemas/export.schema.json (whose records are the
incident and service schemas' records); --public prints only public fields (no canary of an internal field) and
its records validate against their public projection; the CSV is one row per incident that a spreadsheet reads
without running anything."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from support import CANARY_AS_OF, REPO, run_cli, run_ok, write_canary_kb

from generator.schemas import load_schema, public_schema

AS_OF = "2026-11-23T12:00:00Z"


def _validator(*extra: dict[str, Any]) -> jsonschema.Draft202012Validator:
    schemas = [load_schema("export"), load_schema("incident"), load_schema("service"), *extra]
    registry = Registry().with_resources((s["$id"], Resource.from_contents(s)) for s in schemas)
    return jsonschema.Draft202012Validator(
        load_schema("export"), registry=registry, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


@pytest.fixture(scope="module")
def exported() -> dict[str, Any]:
    return json.loads(run_ok(REPO, "export", "--as-of", AS_OF))


def test_the_export_validates_against_its_schema_and_holds_every_record(exported: dict[str, Any]) -> None:
    errors = sorted(_validator().iter_errors(exported), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]
    incident_files = sorted(str(p.relative_to(REPO)) for p in (REPO / "incidents").rglob("*.yaml"))
    assert sorted(i["path"] for i in exported["incidents"]) == incident_files
    assert len(exported["services"]) == len(list((REPO / "services").glob("*.yaml")))
    record = next(i["record"] for i in exported["incidents"] if i["record"]["id"] == "INC-2026-002")
    assert record["started_at"] == {"about": "2026-08-12T14:05:00Z"}  # times exactly as written
    assert record["provenance"]["method"] == "reconstructed"


def test_the_schema_check_can_fail(exported: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(exported))
    broken["incidents"][0]["record"]["severity"] = "SEV9"
    del broken["services"][0]["path"]
    messages = [e.message for e in _validator().iter_errors(broken)]
    assert any("SEV9" in m for m in messages) and any("'path' is a required property" in m for m in messages)


def test_the_public_export_has_no_internal_field(tmp_path: Path) -> None:
    canary = write_canary_kb(tmp_path / "kb")
    text = run_ok(canary.root, "export", "--public", "--as-of", CANARY_AS_OF)
    assert "CANARY" not in text.upper() and "canary.corp" not in text
    assert not [t for t in canary.filler.timestamps if t in text or t.replace("Z", "+00:00") in text]  # internal times
    document = json.loads(text)
    validator = _validator(public_schema("incident"), public_schema("service"))
    assert not list(validator.iter_errors(document))
    assert sorted(i["record"]["id"] for i in document["incidents"]) == sorted(canary.public_incidents)
    assert sorted(s["record"]["id"] for s in document["services"]) == sorted(canary.public_service_names)
    for kind, entries in (("incident", document["incidents"]), ("service", document["services"])):
        projection = jsonschema.Draft202012Validator(public_schema(kind))
        for entry in entries:
            assert "path" not in entry
            assert not list(projection.iter_errors(entry["record"])), entry["record"]["id"]
    internal = json.loads(run_ok(canary.root, "export", "--as-of", CANARY_AS_OF))
    assert "CANARY" in json.dumps(internal).upper()  # the scan can fail: the internal export holds them


def test_the_csv_is_one_row_per_incident_and_never_a_formula(tmp_path: Path, exported: dict[str, Any]) -> None:
    rows = list(csv.DictReader(io.StringIO(run_ok(REPO, "export", "--format", "csv", "--as-of", AS_OF))))
    assert [r["id"] for r in rows] == [i["record"]["id"] for i in exported["incidents"]]
    by_id = {r["id"]: r for r in rows}
    assert by_id["INC-2026-002"]["started_at"] == "about 2026-08-12T14:05:00Z"
    assert by_id["INC-2026-002"]["resolved_at"] == "" and by_id["INC-2026-002"]["provenance"] == "reconstructed"
    assert by_id["INC-2026-003"]["time_to_detect_minutes"] == "2"
    assert by_id["INC-2026-003"]["services"] == "checkout;payments"
    # A title a spreadsheet would run as a formula is written as text.
    kb = tmp_path / "kb"
    import shutil

    shutil.copytree(REPO / "incidents", kb / "incidents")
    shutil.copytree(REPO / "services", kb / "services")
    record = kb / "incidents/2026/2026-08-06-search-slow-after-client-library-update.yaml"
    lines = record.read_text(encoding="utf-8").splitlines(keepends=True)
    index = next(n for n, line in enumerate(lines) if line.startswith("title:"))
    lines[index] = "title: '=HYPERLINK(\"https://x.example\") Search slow'\n"
    record.write_text("".join(lines), encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(run_ok(kb, "export", "--format", "csv", "--as-of", AS_OF))))
    assert rows[0]["title"].startswith("'=HYPERLINK")


def test_public_csv_is_refused() -> None:
    proc = run_cli("export", "--format", "csv", "--public", root=REPO)
    assert proc.returncode == 2 and "--public is for --format json" in proc.stderr


def test_a_reader_that_stops_early_gets_no_error_message() -> None:
    """`incidentkb export | head`: the closed pipe ends the command quietly with 141 (128 + SIGPIPE)."""
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "generator", "--root", str(REPO), "export", "--as-of", AS_OF],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(10).startswith(b"{")
    proc.stdout.close()  # the reader goes away
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141 and err == "", err
