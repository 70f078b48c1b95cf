"""`incidentkb new`: writes a fresh incident record with the next free id, which then validates.

Without `--level` the impact is not assessed yet (`level: null`): the record validates with a warning, and the
public site, status.json and the availability figures show nothing of it until the author sets the level.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support import KB, REPO

from generator.authoring import NewIncident, create_incident
from generator.findings import UsageError
from generator.knowledge_base import KnowledgeBase
from generator.loader import load_document

MODELINE = re.compile(r"^# yaml-language-server: \$schema=(?P<ref>\S+)$")


def new(kb: KB, *args: str, title: str = "Payments page times out", started: str = "2026-11-20T07:45:00Z"):
    return kb.cli("new", "--title", title, "--started-at", started, *args)


def test_new_writes_the_next_id_and_prints_the_path(kb: KB) -> None:
    proc = new(kb, "--severity", "SEV2", "--service", "api", "--service", "web", "--level", "major_outage")

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
    assert target == (REPO / "schemas" / "incident.schema.json").resolve()


def test_new_modeline_prefers_the_knowledge_base_copy_of_the_schema(kb: KB) -> None:
    (kb.root / "schemas").mkdir()
    shutil.copy(REPO / "schemas" / "incident.schema.json", kb.root / "schemas")
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
]
# What the loader refuses as record text (control characters), `new` refuses before it writes anything.
REFUSED_TITLES = ["next\x85line", "delete\x7fcharacter", "terminal \x1b[31mred\x1b[0m", "bidi \u202eoverride"]


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
    for title in REFUSED_TITLES:
        with pytest.raises(UsageError, match=r"--title holds U\+[0-9A-F]{4}"):
            create_incident(kb, NewIncident(title, "SEV3", ["api"], datetime(2026, 11, 1, 9, 0, tzinfo=UTC)))
    assert list((kb.incident_dir / "2026").glob("2026-11-01-*")) == []


@pytest.mark.parametrize("offset", ["Z", "+05:30", "-08:00"])
def test_new_keeps_the_offset_and_files_by_local_date(kb: KB, offset: str) -> None:
    proc = new(kb, "--severity", "SEV3", "--service", "api", started=f"2026-12-31T23:30:00{offset}")
    assert proc.stdout.startswith("incidents/2026/2026-12-31-"), proc.stdout + proc.stderr
    data = load_document(kb.path(proc.stdout.strip())).data
    assert data["started_at"] == f"2026-12-31T23:30:00{offset}"
    assert kb.validate_cli().returncode == 0


# --- the impact level: chosen by the author, or unassessed and unpublished ---------------------------------------

NEW_FILE = "incidents/2026/2026-11-20-payments-page-times-out.yaml"
AS_OF = "2026-11-20T09:00:00Z"  # 75 minutes into the new incident; INC-2026-015 (web, degraded) is still open


def schema_levels() -> list[str]:
    """The impact levels as the schema file lists them, read here without generator code."""
    schema = json.loads((REPO / "schemas" / "incident.schema.json").read_text(encoding="utf-8"))
    return [v for v in schema["properties"]["impact"]["items"]["properties"]["level"]["enum"] if v is not None]


def build_public(kb: KB, site: Path) -> tuple[dict, str]:  # type: ignore[type-arg]
    proc = kb.cli("build", "--public", "--preview", "--site-dir", site, "--as-of", AS_OF, "--jobs", "1")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    return json.loads((site / "status.json").read_text(encoding="utf-8")), (site / "index.html").read_text()


def home_status(home: str, service_name: str) -> str:
    """The words of the 'Status now' cell of a service on the built home page (minified HTML: `<td>API<td><span
    class=ikb-status ...><span aria-hidden=true ...>&#9679;</span> Operational</span>`), lower-case."""
    match = re.search(rf"<td>{re.escape(service_name)}<td>(.*?)(?=<tr|<td|</table)", home, re.S)
    assert match, f"{service_name} is not in the home page's status table"
    words = re.sub(r"<span aria-hidden=\"?true[^>]*>.*?</span>|<[^>]+>", "", match[1])
    return words.strip().lower()


def report_json(kb: KB, month: str = "2026-11") -> dict:  # type: ignore[type-arg]
    proc = kb.cli("report", month, "--format", "json", "--as-of", AS_OF)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_new_without_level_is_unassessed_validates_and_is_not_published(kb: KB, tmp_path: Path) -> None:
    before = report_json(kb)
    proc = new(kb, "--severity", "SEV2", "--service", "api")
    assert proc.returncode == 0, proc.stderr
    text = kb.path(NEW_FILE).read_text(encoding="utf-8")
    assert load_document(kb.path(NEW_FILE)).data["impact"] == [
        {"service": "api", "level": None, "start": "2026-11-20T07:45:00Z"}
    ]
    assert "level: null   # not assessed yet" in text  # the author is told why, in the file

    code, findings = kb.validate_json()
    assert code == 0  # it validates: an open incident may be unassessed
    assert [(f["path"], f["severity"], f["rule"]) for f in findings] == [(NEW_FILE, "warning", "impact-unassessed")]

    status, home = build_public(kb, tmp_path / "public")
    assert status["status"] == "degraded_performance"  # INC-2026-015 on web only, not a major outage
    assert {s["id"]: s["status"] for s in status["services"]} == {"api": "operational", "web": "degraded_performance"}
    assert "INC-2026-017" not in {i["id"] for i in status["ongoing"] + status["recent"]}
    assert home_status(home, "API") == "operational"
    statuses = re.findall(r"<span class=ikb-status data-status=(\w+)>", home)
    assert statuses and "major_outage" not in statuses and "partial_outage" not in statuses  # the legend aside
    assert not (tmp_path / "public" / "history" / "INC-2026-017").exists()
    assert report_json(kb) == before  # no downtime, no error budget used, no incident listed


def test_new_with_level_partial_outage_is_published_as_partial_outage(kb: KB, tmp_path: Path) -> None:
    proc = new(kb, "--severity", "SEV2", "--service", "api", "--level", "partial_outage")
    assert proc.returncode == 0, proc.stderr
    assert [w["level"] for w in load_document(kb.path(NEW_FILE)).data["impact"]] == ["partial_outage"]
    assert kb.validate_cli().stdout == "0 error(s), 0 warning(s)\n"

    status, home = build_public(kb, tmp_path / "public")
    assert status["status"] == "partial_outage"
    assert {s["id"]: s["status"] for s in status["services"]}["api"] == "partial_outage"
    assert "INC-2026-017" in {i["id"] for i in status["ongoing"]}
    assert home_status(home, "API") == "partial outage"
    assert (tmp_path / "public" / "history" / "INC-2026-017" / "index.html").is_file()
    api = next(s for s in report_json(kb)["services"] if s["id"] == "api")
    assert api["downtime_minutes"] == pytest.approx(75 * 0.3)  # 07:45 to the 09:00 cut-off, weighted 0.3


def test_resolving_an_unassessed_incident_is_an_error_until_the_level_is_set(kb: KB) -> None:
    new(kb, "--severity", "SEV3", "--service", "api", "--service", "web")
    path = kb.path(NEW_FILE)
    text = path.read_text(encoding="utf-8")
    text = text.replace("status: investigating", "status: resolved").replace(
        "resolved_at: null", "resolved_at: 2026-11-20T08:30:00Z"
    )
    text = text.replace(
        "    start: 2026-11-20T07:45:00Z\n", "    start: 2026-11-20T07:45:00Z\n    end: 2026-11-20T08:30:00Z\n"
    )
    path.write_text(text, encoding="utf-8")
    code, findings = kb.validate_json(path)
    assert code == 1
    assert [(f["line"], f["severity"], f["rule"]) for f in findings] == [
        (17, "error", "impact-unassessed"),
        (21, "error", "impact-unassessed"),
    ]
    assert "set the one on 'api' to " + ", ".join(schema_levels()[:-1]) in findings[0]["message"]

    path.write_text(text.replace("level: null", "level: degraded_performance"), encoding="utf-8")
    assert kb.validate_json(path) == (0, [])


def test_new_level_choices_are_the_schema_levels(kb: KB) -> None:
    proc = new(kb, "--severity", "SEV2", "--service", "api", "--level", "down")
    assert proc.returncode == 2
    assert "invalid choice: 'down' (choose from " + ", ".join(f"'{v}'" for v in schema_levels()) in proc.stderr
    assert not kb.path(NEW_FILE).exists()
    for level in schema_levels():
        proc = new(kb, "--severity", "SEV2", "--service", "api", "--level", level, title=f"At {level}")
        assert proc.returncode == 0, proc.stderr
        assert load_document(kb.path(proc.stdout.strip())).data["impact"][0]["level"] == level


def test_new_near_miss_refuses_a_level(kb: KB) -> None:
    before = sorted(kb.root.rglob("*"))
    proc = new(kb, "--severity", "SEV4", "--service", "db", "--kind", "near_miss", "--level", "major_outage")
    assert proc.returncode == 2
    assert proc.stderr.startswith("incidentkb: error: a near miss did not affect customers")
    assert sorted(kb.root.rglob("*")) == before


def test_the_internal_site_shows_an_unassessed_window_as_not_assessed(kb: KB, tmp_path: Path) -> None:
    new(kb, "--severity", "SEV2", "--service", "api")
    out = tmp_path / "pages"
    proc = kb.cli("generate", "--out", out, "--as-of", AS_OF, "--jobs", "1")
    assert proc.returncode == 0, proc.stderr
    page = (out / "incidents" / "INC-2026-017.md").read_text(encoding="utf-8")
    assert re.search(
        r"^\| \[api\]\([^)]*\) \| not assessed \(during\) \| 2026-11-20 07:45 UTC \| ongoing \|", page, re.M
    ), page
    chart = (out / "assets" / "charts" / "INC-2026-017-timeline.svg").read_text(encoding="utf-8")
    assert "Impact: api not assessed (ongoing)." in chart
    assert "<title>api: not assessed, " in chart  # the window's tooltip: its service, level and times
