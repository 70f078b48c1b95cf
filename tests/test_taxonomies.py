"""Taxonomies a knowledge base extends (incidentkb.yml, taxonomies): added values validate, unknown ones fail with
every allowed value named, defaults cannot be redefined, an added update status follows its lifecycle phase, the
parallel validator sees the same effective schema, `incidentkb schema` writes schemas editors can use, and the
added words reach the public status and the internal site."""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from support import (
    KB,
    SEV1_FILE,
    TODAY_DATE,
    assert_ok,
    build,
    copy_kb,
    dump_yaml,
    load_record,
    load_yaml,
    node_position,
    page_path,
    sev1_incident,
    write_record,
)

from generator import schemas, validate
from generator.knowledge_base import KnowledgeBase
from generator.public import PublicIncident, PublicModel, PublicUpdate, PublicWindow, announced_status
from generator.public import as_of as public_as_of
from generator.validate import validate_knowledge_base
from generator.vocabulary import DEFAULT, Vocabulary

TAXONOMIES = """\
# yaml-language-server: $schema=.incidentkb/schemas/settings.schema.json
taxonomies:
  defence_layers:
    chaos_test: A game day that rehearses the failure
  trigger_kinds:
    cosmic_ray: A bit flipped in memory
  contributing_factor_categories:
    vendor: A supplier's part of the failure
  containment_actions:
    scale_out: Add capacity until the load fits
  update_statuses:
    recovering: {phase: monitoring, description: The service is coming back}
    announced: {phase: scheduled, description: Maintenance was announced}
"""
ADDED_STATUSES = {"recovering": "monitoring", "announced": "scheduled"}


def with_taxonomies(kb: KB, text: str = TAXONOMIES) -> KB:
    kb.write("incidentkb.yml", text)
    return kb


def sev1_with_added_values() -> dict[str, Any]:
    record = sev1_incident()
    record["failed_defences"].append({"layer": "chaos_test", "description": "No game day covered the serializer."})
    record["trigger"]["kind"] = "cosmic_ray"
    record["contributing_factors"].append({"category": "vendor", "description": "The serializer library's bug."})
    record["containment"][1]["action"] = "scale_out"
    record["updates"].insert(2, {"at": "2026-10-14T10:30:00Z", "status": "recovering", "message": "Coming back."})
    return record


def schema_errors(kb: KB) -> list[dict[str, Any]]:
    _, found = kb.validate_json()
    return [f for f in found if f["rule"] == "schema"]


# --- validation ---------------------------------------------------------------------------------------------


def test_added_layer_trigger_category_action_and_status_validate(kb: KB) -> None:
    with_taxonomies(kb)
    kb.write(SEV1_FILE, sev1_with_added_values())
    service = load_yaml(kb.path("services/api.yaml"))
    service["containment_levers"][0]["kind"] = "scale_out"  # the service schema's levers share the taxonomy
    kb.write_service("api", service)

    code, found = kb.validate_json()

    assert [f for f in found if f["severity"] == "error"] == [] and code == 0, found


def test_the_same_records_fail_without_the_taxonomies(kb: KB) -> None:
    kb.write(SEV1_FILE, sev1_with_added_values())

    messages = [f["message"] for f in schema_errors(kb)]

    assert any("'chaos_test'" in m or '"chaos_test"' in m for m in messages), messages
    assert any('"cosmic_ray"' in m for m in messages), messages


def test_a_value_neither_default_nor_added_fails_naming_every_allowed_value(kb: KB) -> None:
    with_taxonomies(kb)
    record = sev1_incident()
    record["failed_defences"][0]["layer"] = "prayer"
    record["updates"][1]["status"] = "hoping"
    kb.write(SEV1_FILE, record)

    errors = {f["message"].split(":")[0]: f["message"] for f in schema_errors(kb)}

    layer = errors["failed_defences[0].layer"]
    assert '"prayer" is not one of' in layer
    for value in (*DEFAULT.defence_layers, "chaos_test"):
        assert f'"{value}"' in layer, layer
    status = errors["updates[1].status"]
    incident_part, maintenance_part = status.split("planned maintenance's is")
    assert '"recovering"' in incident_part and '"announced"' not in incident_part, status
    assert '"announced"' in maintenance_part and '"scheduled"' in maintenance_part, status


def test_redefining_a_default_is_a_settings_error_at_its_line(kb: KB) -> None:
    text = TAXONOMIES + "  detection_methods:\n    pager_duty: Paged by PagerDuty\n    alert: Our own alert\n"
    with_taxonomies(kb, text)

    code, found = kb.validate_json()

    settings = [f for f in found if f["path"] == "incidentkb.yml"]
    assert code == 1
    line, column = node_position(text, ["taxonomies", "detection_methods", "alert"], key=True)
    assert [(f["rule"], f["line"], f["column"]) for f in settings] == [("settings", line, column)], settings
    assert "'alert' is already a default value" in settings[0]["message"]


def test_an_added_maintenance_phase_status_is_refused_on_an_incident_and_a_monitoring_one_is_not(kb: KB) -> None:
    with_taxonomies(kb)
    record = sev1_incident()
    record["updates"][0]["status"] = "announced"  # phase scheduled: planned maintenance only
    record["updates"][1]["status"] = "recovering"  # phase monitoring: an incident status
    kb.write(SEV1_FILE, record)

    result = kb.validate()

    refused = [f for f in result.findings if f.rule == "maintenance-status"]
    assert [(f.path, f.message.split(" is ")[0]) for f in refused] == [(SEV1_FILE, "'announced'")]
    assert "phase is scheduled" in refused[0].message and "recovering" in refused[0].message
    assert not [f for f in result.findings if f.rule == "schema"]


def test_the_default_validator_is_the_same_object_without_taxonomies(kb: KB) -> None:
    default = schemas.compiled_validator("incident")
    assert schemas.compiled_validator("incident", ()) is default
    assert schemas.effective_schema("incident", ()) is schemas.load_schema("incident")
    only_incident = schemas.taxonomies_from({"defence_layers": {"chaos_test": "A game day"}})
    assert schemas.compiled_validator("service", only_incident) is schemas.compiled_validator("service")
    extended = schemas.compiled_validator("incident", only_incident)
    assert extended is not default and schemas.compiled_validator("incident", only_incident) is extended
    assert Vocabulary.of() is DEFAULT and Vocabulary.of(only_incident).defence_layers[-1] == "chaos_test"


def test_the_effective_schema_keeps_null_last_and_names_the_added_values() -> None:
    taxonomies = schemas.taxonomies_from(load_yaml_text(TAXONOMIES)["taxonomies"])
    fields = schemas.effective_schema("incident", taxonomies)["properties"]
    trigger = fields["trigger"]["properties"]["kind"]
    assert trigger["enum"][-2:] == ["cosmic_ray", None]
    assert trigger["description"].endswith("; this knowledge base adds: cosmic_ray (A bit flipped in memory).")
    status = fields["updates"]["items"]["properties"]["status"]
    assert {s: status["x-lifecycle"][s] for s in ADDED_STATUSES} == ADDED_STATUSES
    assert "recovering (phase monitoring: The service is coming back)" in status["description"]
    assert schemas.load_schema("incident")["properties"]["trigger"]["properties"]["kind"]["enum"][-1] is None
    assert "cosmic_ray" not in schemas.load_schema("incident")["properties"]["trigger"]["properties"]["kind"]["enum"]


def load_yaml_text(text: str) -> Any:
    import yaml

    return yaml.safe_load(text)


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork (not on Windows)")
def test_the_parallel_path_validates_against_the_same_effective_schema(
    kb: KB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_taxonomies(kb)
    for number in range(1, 7):
        record = sev1_with_added_values()
        record["id"] = f"INC-2026-{900 + number}"
        if number == 6:
            record["failed_defences"][0]["layer"] = "prayer"
        kb.write_incident(f"2026-10-14-bulk-{number}.yaml", dump_yaml(record))
    pids = tmp_path / "pids"
    pids.mkdir()
    monkeypatch.setattr(validate, "PARALLEL_MIN_FILES", 2)
    monkeypatch.setattr(validate, "_CHUNK_FILES", 2)
    monkeypatch.setattr(validate, "_check_chunk", _recording_chunk)
    monkeypatch.setattr(sys.modules[__name__], "_PID_FOLDER", str(pids))

    parallel = validate_knowledge_base(KnowledgeBase(kb.root), today=TODAY_DATE, jobs=2)
    serial = validate_knowledge_base(KnowledgeBase(kb.root), today=TODAY_DATE, jobs=1)

    ran_in = {int(p.name) for p in pids.iterdir()}
    assert ran_in and os.getpid() not in ran_in  # the checks ran in forked workers
    assert parallel.findings == serial.findings
    errors = [f for f in parallel.findings if f.severity.value == "error"]
    assert [(f.path, f.rule) for f in errors] == [("incidents/2026/2026-10-14-bulk-6.yaml", "schema")], errors
    assert "chaos_test" in errors[0].message


_PID_FOLDER = ""
_ORIGINAL_CHECK_CHUNK = validate._check_chunk


def _recording_chunk(shared: None, chunk: Any) -> validate.CheckedIncidents:
    Path(_PID_FOLDER, str(os.getpid())).touch()
    return _ORIGINAL_CHECK_CHUNK(shared, chunk)


# --- incidentkb schema --------------------------------------------------------------------------------------


def test_schema_writes_valid_effective_schemas_that_accept_the_added_values(kb: KB) -> None:
    with_taxonomies(kb)
    proc = kb.cli("schema")
    assert_ok(proc)
    folder = kb.root / ".incidentkb" / "schemas"
    names = ["incident.schema.json", "service.schema.json", "settings.schema.json"]
    assert proc.stdout.splitlines() == [f"wrote .incidentkb/schemas/{name}" for name in names]
    assert sorted(p.name for p in folder.iterdir()) == sorted(names)  # no temporary file left
    written = {name: json.loads((folder / name).read_text(encoding="utf-8")) for name in names}
    for schema in written.values():
        jsonschema.Draft202012Validator.check_schema(schema)
    fields = written["incident.schema.json"]["properties"]
    assert "chaos_test" in fields["failed_defences"]["items"]["properties"]["layer"]["enum"]
    assert "recovering" in fields["updates"]["items"]["properties"]["status"]["enum"]
    assert "scale_out" in written["incident.schema.json"]["$defs"]["lever_kind"]["enum"]
    lever = written["service.schema.json"]["properties"]["containment_levers"]["items"]["properties"]["kind"]
    assert "scale_out" in lever["enum"]

    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    incident_validator = jsonschema.Draft202012Validator(written["incident.schema.json"], format_checker=checker)
    assert list(incident_validator.iter_errors(sev1_with_added_values())) == []
    assert list(jsonschema.Draft202012Validator(schemas.load_schema("incident")).iter_errors(sev1_with_added_values()))
    settings_validator = jsonschema.Draft202012Validator(written["settings.schema.json"])
    assert list(settings_validator.iter_errors(load_yaml(kb.path("incidentkb.yml")))) == []
    redefined = {"taxonomies": {"trigger_kinds": {"deploy": "a default again"}}}
    assert list(settings_validator.iter_errors(redefined))  # the editor says what `validate` says


def test_schema_writes_where_out_says_and_refuses_a_file(kb: KB, tmp_path: Path) -> None:
    with_taxonomies(kb)
    out = tmp_path / "editor-schemas"
    proc = kb.cli("schema", "--out", out)
    assert_ok(proc)
    assert "cosmic_ray" in (out / "incident.schema.json").read_text(encoding="utf-8")
    assert str(out / "settings.schema.json") in proc.stdout

    a_file = tmp_path / "a-file"
    a_file.write_text("keep me\n", encoding="utf-8")
    refused = kb.cli("schema", "--out", a_file)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.splitlines() == [f"incidentkb: error: --out {a_file}: exists and is not a folder"]
    assert a_file.read_text(encoding="utf-8") == "keep me\n"

    into_sources = kb.cli("schema", "--out", kb.root / "schemas")
    assert into_sources.returncode == 2 and len(into_sources.stderr.splitlines()) == 1
    assert into_sources.stderr.startswith("incidentkb: error: --out ")


def test_schema_without_taxonomies_writes_the_default_enums(kb: KB) -> None:
    assert_ok(kb.cli("schema"))
    written = json.loads((kb.root / ".incidentkb/schemas/incident.schema.json").read_text(encoding="utf-8"))
    default = schemas.load_schema("incident")
    assert written["properties"]["trigger"] == default["properties"]["trigger"]
    assert "$id" not in written


# --- the public status and the internal site ---------------------------------------------------------------


def _public_incident(updates: tuple[PublicUpdate, ...], resolved_at: datetime | None) -> PublicIncident:
    start = datetime(2026, 10, 14, 9, 0, tzinfo=UTC)
    return PublicIncident(
        id="INC-2026-014",
        title="Checkout failed",
        kind="incident",
        status="resolved",
        services=("api",),
        started_at=start,
        resolved_at=resolved_at,
        impact=(PublicWindow("api", "major_outage", start, datetime(2026, 10, 14, 10, 0, tzinfo=UTC)),),
        summary=None,
        cause=None,
        mitigation=None,
        prevention=None,
        updates=updates,
    )


def test_the_public_status_is_the_phase_of_the_latest_update_never_its_raw_name() -> None:
    at = datetime(2026, 10, 14, 9, 30, tzinfo=UTC)
    postmortem = (PublicUpdate(at, "investigating", "Looking."), PublicUpdate(at, "postmortem", "Write-up."))
    assert announced_status(postmortem[-1]) == "resolved"

    resolved = public_as_of(PublicModel((_public_incident(postmortem, at),), ()), datetime(2026, 10, 15, tzinfo=UTC))
    assert resolved.incidents[0].status == "resolved"
    # Resolved later than the cut-off: still an incident status, and never "postmortem".
    later = _public_incident(postmortem, datetime(2026, 10, 20, tzinfo=UTC))
    open_then = public_as_of(PublicModel((later,), ()), datetime(2026, 10, 15, tzinfo=UTC))
    assert open_then.incidents[0].status in DEFAULT.incident_statuses

    vocabulary = Vocabulary.of(schemas.taxonomies_from(load_yaml_text(TAXONOMIES)["taxonomies"]))
    recovering = (PublicUpdate(at, "recovering", "Coming back."),)
    model = PublicModel((_public_incident(recovering, datetime(2026, 10, 20, tzinfo=UTC)),), ())
    assert public_as_of(model, datetime(2026, 10, 15, tzinfo=UTC), vocabulary).incidents[0].status == "monitoring"


def test_the_public_model_of_a_knowledge_base_uses_its_taxonomies(kb: KB) -> None:
    from generator.site import load_knowledge_base

    with_taxonomies(kb)
    record = sev1_incident()
    record.update(status="monitoring", resolved_at=None, tags=["checkout"])
    record["impact"][1]["end"] = None
    recovering = {"at": "2026-10-14T10:30:00Z", "status": "recovering", "message": "Coming back."}
    record["updates"] = [*record["updates"][:1], recovering]
    kb.write(SEV1_FILE, record)

    loaded = load_knowledge_base(KnowledgeBase(kb.root), datetime(2026, 10, 14, 12, 0, tzinfo=UTC))

    [incident] = [i for i in loaded.public.incidents if i.id == record["id"]]
    assert incident.updates[-1].status == "recovering" and incident.status == "monitoring"


@pytest.fixture(scope="module")
def site_with_a_vendor_factor(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """The example knowledge base with an added contributing-factor category used by one post-mortem, built."""
    root = copy_kb(tmp_path_factory.mktemp("taxonomies") / "kb")
    settings = root / "incidentkb.yml"
    settings.write_text(
        settings.read_text(encoding="utf-8")
        + "taxonomies:\n  contributing_factor_categories:\n    vendor: A supplier's part of the failure\n",
        encoding="utf-8",
    )
    path, record = next(
        (p, r)
        for p in sorted((root / "incidents").glob("*/*.yaml"))
        if (r := load_record(p)).get("contributing_factors")
    )
    record["contributing_factors"].append({"category": "vendor", "description": "The vendor's driver leaked sockets."})
    write_record(path, record)
    site = root.parent / "site"
    assert_ok(build(root, site))
    return root, site, record["id"]


def test_an_added_contributing_factor_category_is_on_the_post_mortem_page(
    site_with_a_vendor_factor: tuple[Path, Path, str],
) -> None:
    _, site, incident_id = site_with_a_vendor_factor
    page = page_path(site, f"incidents/{incident_id}").read_text(encoding="utf-8")
    assert "vendor" in page and "driver leaked sockets" in page


def test_an_added_contributing_factor_category_has_a_bone_in_the_fishbone(
    site_with_a_vendor_factor: tuple[Path, Path, str],
) -> None:
    _, site, incident_id = site_with_a_vendor_factor
    charts = [p for p in site.rglob(f"{incident_id}-fishbone.svg")]
    assert charts, "no fishbone chart was built"
    assert ">vendor<" in charts[0].read_text(encoding="utf-8")
