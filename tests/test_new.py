"""`incidentkb new`: writes a fresh incident record with the next free id, which then validates."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import KB, PROJECT

from generator.authoring import NewIncident, create_incident
from generator.loader import load_document
from generator.validate import KnowledgeBase

MODELINE = re.compile(r"^# yaml-language-server: \$schema=(?P<ref>\S+)$")


def new(kb: KB, *args: str, title: str = "Payments page times out", started: str = "2026-11-20T07:45:00Z"):
    return kb.cli("new", "--title", title, "--started-at", started, *args)


def test_new_writes_the_next_id_and_prints_the_path(kb: KB) -> None:
    proc = new(kb, "--severity", "SEV2", "--service", "api", "--service", "web")

    assert proc.returncode == 0, proc.stderr
    relative = "incidents/2026/2026-11-20-payments-page-times-out.yaml"
    assert proc.stdout == relative + "\n"
    path = kb.path(relative)
    data = load_document(path).data
    assert data["id"] == "INC-2026-017"  # the highest 2026 id is INC-2026-016
    assert data["title"] == "Payments page times out"
    assert (data["severity"], data["status"], data["kind"]) == ("SEV2", "investigating", "incident")
    assert data["services"] == ["api", "web"]
    assert data["started_at"] == "2026-11-20T07:45:00Z"
    assert data["resolved_at"] is None
    assert [(w["service"], w["level"], w["start"]) for w in data["impact"]] == [
        ("api", "major_outage", "2026-11-20T07:45:00Z"),
        ("web", "major_outage", "2026-11-20T07:45:00Z"),
    ]

    proc = kb.validate_cli()
    assert (proc.returncode, proc.stdout) == (0, "0 error(s), 0 warning(s)\n")


def test_new_has_a_modeline_pointing_at_the_schema(kb: KB) -> None:
    proc = new(kb, "--severity", "SEV3", "--service", "api")
    path = kb.path(proc.stdout.strip())
    match = MODELINE.match(path.read_text(encoding="utf-8").splitlines()[0])
    assert match, "the first line must be the yaml-language-server modeline"
    target = (path.parent / match["ref"]).resolve()
    assert target == (PROJECT / "schemas" / "incident.schema.json").resolve()


def test_new_modeline_prefers_the_knowledge_base_copy_of_the_schema(kb: KB) -> None:
    (kb.root / "schemas").mkdir()
    shutil.copy(PROJECT / "schemas" / "incident.schema.json", kb.root / "schemas")
    proc = new(kb, "--severity", "SEV3", "--service", "api")
    first_line = kb.path(proc.stdout.strip()).read_text(encoding="utf-8").splitlines()[0]
    assert first_line == "# yaml-language-server: $schema=../../schemas/incident.schema.json"


def test_new_numbers_per_year(kb: KB) -> None:
    proc = new(kb, "--severity", "SEV3", "--service", "api", started="2025-06-01T10:00:00+02:00")
    assert proc.stdout == "incidents/2025/2025-06-01-payments-page-times-out.yaml\n"
    assert load_document(kb.path(proc.stdout.strip())).data["id"] == "INC-2025-008"
    proc = new(kb, "--severity", "SEV3", "--service", "api", started="2024-02-29T23:00:00Z")
    assert load_document(kb.path(proc.stdout.strip())).data["id"] == "INC-2024-001"


def test_new_takes_one_above_the_highest_not_the_count(kb: KB) -> None:
    kb.write_incident("2026-11-21-broken.yaml", "id: INC-2026-040\ntitle: [unfinished\n")  # broken files count
    first = new(kb, "--severity", "SEV3", "--service", "api", title="First")
    second = new(kb, "--severity", "SEV3", "--service", "api", title="Second")
    assert load_document(kb.path(first.stdout.strip())).data["id"] == "INC-2026-041"
    assert load_document(kb.path(second.stdout.strip())).data["id"] == "INC-2026-042"


def test_new_near_miss_has_no_impact(kb: KB) -> None:
    proc = new(kb, "--severity", "SEV4", "--service", "db", "--kind", "near_miss")
    assert proc.returncode == 0, proc.stderr
    data = load_document(kb.path(proc.stdout.strip())).data
    assert data["kind"] == "near_miss"
    assert data["impact"] == []
    assert kb.validate_cli().returncode == 0


def test_new_unknown_service_exits_2(kb: KB) -> None:
    before = sorted(kb.root.rglob("*"))
    proc = new(kb, "--severity", "SEV2", "--service", "api", "--service", "search")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith("incidentkb: error: unknown service(s): search")
    assert "api, db, web" in proc.stderr  # the known services
    assert sorted(kb.root.rglob("*")) == before  # nothing written


def test_new_refuses_to_overwrite(kb: KB) -> None:
    assert new(kb, "--severity", "SEV3", "--service", "api").returncode == 0
    proc = new(kb, "--severity", "SEV3", "--service", "api")
    assert proc.returncode == 2
    assert "exists already" in proc.stderr


def test_new_record_for_a_service_whose_id_looks_like_a_number(kb: KB) -> None:
    """Service ids are any lower-case word, so `2048` and `null` are valid ids (the schema requires strings).
    The record written for them must say so: `services: [2048]` would read as the integer 2048."""
    for service_id in ("2048", "null"):
        kb.write_service(
            service_id,
            f'id: "{service_id}"\nname: Game\nowner_team: games\ntier: 3\npublic: {{listed: false}}\nslo: {{availability: 0.99}}\n',
        )
    proc = new(kb, "--severity", "SEV3", "--service", "2048", "--service", "null")
    assert proc.returncode == 0, proc.stderr
    data = load_document(kb.path(proc.stdout.strip())).data
    assert data["services"] == ["2048", "null"]
    proc = kb.validate_cli()
    assert proc.returncode == 0, proc.stdout


TITLES = [
    'Checkout: "quoted" words, a #hash and a trailing colon:',
    "yes",
    "null",
    "12:30",
    "- looks like a list",
    "Ünïcödé – résumé 😀",
    "tab\there and a back\\slash",
    "line\u2028separator",
    "next\x85line",
    "delete\x7fcharacter",
    "terminal \x1b[31mred\x1b[0m",
]


def test_new_titles_survive_the_round_trip(tmp_path: Path) -> None:
    """Whatever the title, `new` must write a record that loads back with exactly that title."""
    kb = KnowledgeBase(tmp_path / "kb")
    (kb.service_dir).mkdir(parents=True)
    (kb.service_dir / "api.yaml").write_text(
        "id: api\nname: API\nowner_team: platform\ntier: 1\npublic: {listed: false}\nslo: {availability: 0.999}\n"
    )
    problems = []
    for day, title in enumerate(TITLES, start=1):
        path = create_incident(kb, NewIncident(title, "SEV3", ["api"], datetime(2026, 10, day, 9, 0, tzinfo=UTC)))
        assert re.fullmatch(r"2026-10-\d\d-[a-z0-9]+(-[a-z0-9]+)*\.yaml", path.name), path.name
        try:
            loaded = load_document(path).data["title"]
        except Exception as exc:
            problems.append(f"{title!r}: the record does not load: {type(exc).__name__}: {exc}".replace("\n", " "))
            continue
        if loaded != title:
            problems.append(f"{title!r}: loads back as {loaded!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("offset", ["Z", "+05:30", "-08:00"])
def test_new_keeps_the_offset_and_files_by_local_date(kb: KB, offset: str) -> None:
    proc = new(kb, "--severity", "SEV3", "--service", "api", started=f"2026-12-31T23:30:00{offset}")
    assert proc.stdout.startswith("incidents/2026/2026-12-31-"), proc.stdout + proc.stderr
    data = load_document(kb.path(proc.stdout.strip())).data
    assert data["started_at"] == f"2026-12-31T23:30:00{offset}"
    assert kb.validate_cli().returncode == 0
