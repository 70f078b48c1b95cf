"""`incidentkb import statuspage`: the fixtures of tests/fixtures/statuspage (written from Statuspage's documented
API v2 shapes and real public payloads) imported into a real git repository.

* Every window, per component and level, is the fixture README's hand-computed figure.
* Round trip: import, validate (0 errors), build both sites, and the monthly report lists the same incidents
  with the same start times and durations as computed here directly from the fixture's timestamps.
* A second import makes no diff; a person's edits survive a newer export; records of another provenance are
  never touched; --dry-run writes nothing; a lost import state loses no edit; the page's address over HTTP.
"""

from __future__ import annotations

import http.server
import json
import shutil
import subprocess
import threading
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from support import REPO, TESTS, git, load_yaml, new_git_kb, run_cli, tree_digest

FIXTURES = TESTS / "fixtures" / "statuspage"
AS_OF = "2025-12-18T10:10:00Z"  # the fixture page's "now", 2025-12-18T02:10-08:00
MAIN_PAGE = "p7fh2kq9x4wd"

# The fixture README's table: minutes per component and level (its "downtime per component" column).
EXPECTED_MINUTES: dict[str, dict[tuple[str, str], float]] = {
    "pphysc0ybuyl": {("cdn-europe", "major_outage"): 27, ("cdn-europe", "partial_outage"): 24},
    "lfchis73cdgw": {
        ("api", "degraded_performance"): 18,
        ("api", "major_outage"): 50,
        ("api", "partial_outage"): 28,
        ("dashboard", "partial_outage"): 50,
    },
    "qdg2n2qods7h": {("webhooks", "degraded_performance"): 92},
    "b5mh481y6fxp": {("card-payments", "major_outage"): 53},
    "sxcg56ikbf3b": {("legacy-report-exports", "partial_outage"): 75},
    "20vy2mh9sw1d": {("authentication-sso", "degraded_performance"): 53, ("dashboard", "degraded_performance"): 38},
    "svl4eqxhmfan": {("cdn-asia-pacific", "partial_outage"): 45, ("cdn-asia-pacific", "major_outage"): 25},
    "fk66eqkc3m28": {("email-notifications", "degraded_performance"): 88},
    "4h54s8kcv78e": {
        ("cdn-north-america", "major_outage"): 20,
        ("cdn-north-america", "partial_outage"): 25,
        ("cdn-europe", "major_outage"): 45,
        ("cdn-europe", "partial_outage"): 30,
        ("cdn-asia-pacific", "major_outage"): 45,
        ("cdn-asia-pacific", "degraded_performance"): 52,
    },
    "69zi7ue175ny": {("payouts", "major_outage"): 150},
    "sjovxtidrqqt": {("webhooks", "partial_outage"): 70},
    "urohk0jryko2": {("dashboard", "degraded_performance"): 22},
    "96duuimxbxka": {("api", "partial_outage"): 65},
    "wj6yo9p21f75": {
        ("card-payments", "degraded_performance"): 18,
        ("card-payments", "major_outage"): 27,
        ("card-payments", "partial_outage"): 35,
    },
    "6hkyhadwjkgs": {("cdn-north-america", "degraded_performance"): 90},
    "zdpfqd0hndlq": {("authentication-sso", "major_outage"): 40},
    "utdzvjzigb89": {("search", "major_outage"): 57, ("search", "degraded_performance"): 28},
    "qt282ozr37fe": {
        ("webhooks", "degraded_performance"): 70,
        ("payouts", "partial_outage"): 45,
        ("payouts", "degraded_performance"): 35,
    },
    "cfkp7wmhr899": {("dashboard", "partial_outage"): 30},
    "vrnxcrc6uzs1": {("api", "degraded_performance"): 225},
    "6h6j587sg6g7": {("webhooks", "partial_outage"): 40},
    "npupu5qc2ont": {("upi-payments", "degraded_performance"): 75},
    "lcj2all9hpgj": {("mumbai-edge", "major_outage"): 45, ("mumbai-edge", "partial_outage"): 30},
    # no component change: the incident's own impact (minor) on the page as a whole, for its whole span
    "c83khzcnyje0": {("fernhill-cloud", "degraded_performance"): 70},
}


def run_import(root: Path, source: Path | str, *extra: str, as_of: str = AS_OF) -> subprocess.CompletedProcess[str]:
    result = run_cli("import", "statuspage", str(source), "--as-of", as_of, *extra, root=root, timeout=120)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def records(root: Path, folder: str = "incidents") -> dict[str, tuple[Path, dict[str, Any]]]:
    """Imported records by their Statuspage id."""
    found = {}
    for path in sorted((root / folder).rglob("*.yaml")):
        data = load_yaml(path)
        source = (data.get("provenance") or {}).get("source") or {}
        if source.get("system") == "statuspage":
            found[source["id"]] = (path, data)
    return found


def minutes(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() / 60


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    root = new_git_kb(tmp_path_factory.mktemp("statuspage") / "kb")
    result = run_import(root, FIXTURES)
    assert result.returncode == 0, result.stdout + result.stderr
    git(root, "add", "-A")
    git(root, "commit", "-qm", "import")
    return root, result


# --- what the records say ------------------------------------------------------------------------------------


def test_every_incident_and_maintenance_becomes_one_record(imported: tuple[Path, Any]) -> None:
    root, result = imported
    fixture_ids = {
        i["id"]
        for name in ("incidents.json", "incidents-asia-kolkata.json", "scheduled-maintenances.json")
        for i in json.loads((FIXTURES / name).read_text())[
            "scheduled_maintenances" if "maintenances" in name else "incidents"
        ]
    }
    assert len(fixture_ids) == 28
    found = records(root)
    assert set(found) == fixture_ids
    assert "43 records: 43 added, 0 updated, 0 unchanged, 0 left alone, 0 not written" in result.stdout
    ids = sorted(data["id"] for _, data in found.values())
    assert len(set(ids)) == 28 and ids[0] == "INC-2025-001" and ids[-1] == "INC-2026-001"  # one per start year
    for path, data in found.values():
        assert data["provenance"]["method"] == "imported"
        assert data["provenance"]["written_on"] == "2025-12-18"
        assert path.parent.name == data["id"][4:8] == str(data["started_at"])[:4]
        assert path.name.startswith(str(data["started_at"])[:10])


def test_windows_per_component_and_level_are_the_readmes(imported: tuple[Path, Any]) -> None:
    found = records(imported[0])
    for key, expected in EXPECTED_MINUTES.items():
        got: dict[tuple[str, str], float] = defaultdict(float)
        for window in found[key][1]["impact"]:
            got[(window["service"], window["level"])] += minutes(window["start"], window["end"])
        assert dict(got) == expected, key


def test_open_incidents_stay_open_and_times_are_kept_as_written(imported: tuple[Path, Any]) -> None:
    found = records(imported[0])
    open_cdn = found["9kv6ktga9m16"][1]
    assert open_cdn["status"] == "investigating" and open_cdn["resolved_at"] is None
    assert [(w["level"], w["start"], w.get("end")) for w in open_cdn["impact"]] == [
        ("degraded_performance", "2025-12-16T08:20:00.000-08:00", "2025-12-16T08:45:00.000-08:00"),
        ("partial_outage", "2025-12-16T08:45:00.000-08:00", None),
    ]
    monitoring = found["6h6j587sg6g7"][1]
    assert monitoring["status"] == "monitoring" and "end" in monitoring["impact"][0]
    # the DST night: updates in time order although their clock times go back an hour
    dst = found["zdpfqd0hndlq"][1]
    assert [u["at"] for u in dst["updates"]] == sorted(
        (u["at"] for u in dst["updates"]), key=lambda t: datetime.fromisoformat(t)
    )
    assert [u["at"][11:16] for u in dst["updates"]] == ["01:30", "01:50", "01:10", "01:40"]
    # posted after the fact: the times the page shows, and a note saying so
    late = found["69zi7ue175ny"][1]
    assert late["impact"][0]["start"] == "2025-09-09T21:00:00.000-07:00"
    assert "posted after the fact" in late["provenance"]["notes"]


def test_updates_postmortem_and_what_statuspage_does_not_hold(imported: tuple[Path, Any]) -> None:
    found = records(imported[0])
    postmortem = found["b5mh481y6fxp"][1]
    assert postmortem["status"] == "resolved"
    assert postmortem["summary"]["public_postmortem"].startswith("## Summary")
    assert [p["kind"] for p in postmortem["publications"]] == ["status_page", "postmortem"]
    assert postmortem["updates"][-1]["status"] == "postmortem"
    for _, data in found.values():
        assert data["severity"] is None  # Statuspage's impact is not a severity: never invented
        assert "detected_at" not in data and "root_cause" not in data
        assert data["tags"] == [f"statuspage-impact-{data['tags'][0].rsplit('-', 1)[1]}"]
        assert data["summary"]["public"] == (data["updates"][0]["message"] if data["updates"] else None)
    legacy = found["96duuimxbxka"][1]  # the placeholder entry without a code changes nothing
    assert [w["service"] for w in legacy["impact"]] == ["api"]


def test_maintenance_records(imported: tuple[Path, Any]) -> None:
    found = records(imported[0])
    done, running, upcoming = found["z2ug1r1fpkmm"][1], found["6vikm0awq34w"][1], found["tmzp1k5muvsl"][1]
    assert {d["kind"] for d in (done, running, upcoming)} == {"maintenance"}
    assert done["status"] == "resolved" and running["status"] == upcoming["status"] == "identified"
    assert done["scheduled"] == {"start": "2025-08-23T22:00:00.000-07:00", "end": "2025-08-24T00:00:00.000-07:00"}
    assert [(w["service"], w["level"], minutes(w["start"], w["end"])) for w in done["impact"]] == [
        ("api", None, 80),
        ("dashboard", None, 80),
    ]
    assert "end" not in running["impact"][0] and running["started_at"] == "2025-12-18T01:00:00.000-08:00"
    assert upcoming["started_at"] == "2026-01-10T06:00:00.000-08:00" and "impact" not in upcoming
    assert upcoming["services"] == ["card-payments"]


def test_services_from_components(imported: tuple[Path, Any]) -> None:
    services = {data["id"]: data for _, data in records(imported[0], "services").values()}
    assert "cdn" not in services and "payments" not in services  # groups are no services
    assert services["cdn-europe"]["public"] == {"listed": True, "name": "CDN Europe", "group": "CDN"}
    assert services["email-notifications"]["public"]["shown"] == "when_affected"
    assert services["api"]["description"] == "Public REST API (api.fernhill.example)"
    assert services["api"]["owner_team"] is None and services["api"]["slo"] == {"availability": None}
    assert len(services) == 15  # 12 components, the page for incidents without one, 2 of the India page


# --- the round trip ------------------------------------------------------------------------------------------


def expected_report_rows() -> dict[str, tuple[datetime, float | None]]:
    """Start and duration (first impact to last end) of each customer-facing incident, straight from the
    fixture's timestamps: component status changes at display_at, closed by operational or resolved_at."""
    rows = {}
    for name in ("incidents.json", "incidents-asia-kolkata.json"):
        for incident in json.loads((FIXTURES / name).read_text())["incidents"]:
            starts, ends, still_open = [], [], False
            state: dict[str, str] = {}
            for update in sorted(incident["incident_updates"], key=lambda u: datetime.fromisoformat(u["display_at"])):
                at = datetime.fromisoformat(update["display_at"])
                for change in update["affected_components"] or []:
                    if "code" not in change or change["old_status"] == change["new_status"]:
                        continue
                    if change["new_status"] != "operational" and change["code"] not in state:
                        starts.append(at)
                    if change["new_status"] == "operational":
                        state.pop(change["code"], None)
                        ends.append(at)
                    else:
                        state[change["code"]] = change["new_status"]
            if state:  # never set back to operational
                if incident["resolved_at"]:
                    ends.append(datetime.fromisoformat(incident["resolved_at"]))
                else:
                    still_open = True
            if not starts:  # no component change: the incident's own span
                starts = [datetime.fromisoformat(incident["started_at"])]
                ends = [datetime.fromisoformat(incident["resolved_at"])]
            duration = None if still_open else (max(ends) - min(starts)).total_seconds() / 60
            rows[incident["id"]] = (min(starts), duration)
    return rows


def test_round_trip_validate_build_both_sites_and_the_monthly_reports(
    imported: tuple[Path, Any], tmp_path: Path
) -> None:
    root = imported[0]
    validated = run_cli("validate", "--as-of", AS_OF, root=root, timeout=120)
    assert validated.returncode == 0 and "0 error(s)" in validated.stdout, validated.stdout + validated.stderr
    for extra, site in (((), tmp_path / "site"), (("--public",), tmp_path / "public")):
        built = run_cli("build", "--site-dir", site, "--as-of", AS_OF, *extra, root=root, cwd=REPO, timeout=600)
        assert built.returncode == 0, built.stderr[-3000:]
        assert (site / "index.html").is_file()
    history = (tmp_path / "public" / "history").rglob("index.html")
    assert any("Card payment authorization failures" in p.read_text() for p in history)

    by_key = {key: data["id"] for key, (_, data) in records(root).items()}
    reported: dict[str, tuple[datetime, float | None]] = {}
    for month in ("2025-06", "2025-07", "2025-08", "2025-09", "2025-10", "2025-11", "2025-12"):
        out = run_cli("report", month, "--format", "json", "--as-of", AS_OF, root=root, timeout=120)
        assert out.returncode == 0, out.stderr
        for row in json.loads(out.stdout)["incidents"]:
            duration = None if row["ongoing"] else row["duration_minutes"]
            reported[row["id"]] = (datetime.fromisoformat(row["start"]), duration)
    expected = {by_key[key]: value for key, value in expected_report_rows().items()}
    assert reported == expected


# --- running it again ----------------------------------------------------------------------------------------


def test_a_second_import_makes_no_diff(imported: tuple[Path, Any]) -> None:
    root = imported[0]
    again = run_import(root, FIXTURES, as_of="2026-01-05T09:00:00Z")  # another day: written_on stays
    assert again.returncode == 0, again.stderr
    assert "43 records: 0 added, 0 updated, 43 unchanged" in again.stdout
    assert git(root, "status", "--porcelain") == ""


def newer_export(folder: Path) -> Path:
    """The page a day later: the CDN Europe incident resolved and renamed, one update more."""
    shutil.copytree(FIXTURES, folder)
    path = folder / "incidents.json"
    document = json.loads(path.read_text())
    incident = next(i for i in document["incidents"] if i["id"] == "9kv6ktga9m16")
    resolved = "2025-12-16T11:00:00.000-08:00"
    incident.update(status="resolved", resolved_at=resolved, name="Elevated latency and timeouts on CDN Europe")
    update = dict(incident["incident_updates"][0], id="r9newupdate1", status="resolved", body="Latency is normal.")
    update.update(created_at=resolved, display_at=resolved, updated_at=resolved)
    update["affected_components"] = [
        {"code": "qjsghvud22u7", "name": "CDN Europe", "old_status": "partial_outage", "new_status": "operational"}
    ]
    incident["incident_updates"].insert(0, update)
    path.write_text(json.dumps(document, indent=2))
    return folder


def test_a_persons_edits_survive_a_newer_export(tmp_path: Path) -> None:
    root = new_git_kb(tmp_path / "kb")
    assert run_import(root, FIXTURES).returncode == 0
    git(root, "add", "-A")
    git(root, "commit", "-qm", "import")
    path, _ = records(root)["9kv6ktga9m16"]
    text = path.read_text()
    text = text.replace("severity: null", "severity: SEV2  # agreed in the review on 17 December")
    text = text.replace("title: Elevated latency on CDN Europe", "title: Slow pages for customers in Europe")
    text += "root_cause:\n  category: capacity\n  description: The Frankfurt edge ran out of cache disk.\n"
    path.write_text(text)
    git(root, "commit", "-qam", "a person's review")

    result = run_import(root, newer_export(tmp_path / "newer"), as_of="2025-12-19")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "42 unchanged" in result.stdout and "1 updated" in result.stdout
    assert "kept the edit of title" in result.stdout and "Elevated latency and timeouts" in result.stdout
    data = load_yaml(path)
    assert data["severity"] == "SEV2" and data["title"] == "Slow pages for customers in Europe"
    assert data["root_cause"]["description"] == "The Frankfurt edge ran out of cache disk."
    assert "# agreed in the review on 17 December" in path.read_text()  # the comment too
    assert data["status"] == "resolved" and data["resolved_at"] == "2025-12-16T11:00:00.000-08:00"
    assert data["impact"][-1]["end"] == "2025-12-16T11:00:00.000-08:00"
    assert data["updates"][-1]["message"] == "Latency is normal."
    changed = git(root, "diff", "--name-only").split()
    assert sorted(changed) == sorted([str(path.relative_to(root)), f"imports/statuspage-{MAIN_PAGE}.json"])
    # and once more: the newer export again changes nothing, the person's title still wins
    again = run_import(root, tmp_path / "newer", as_of="2025-12-20")
    git(root, "add", "-A")
    assert "0 updated" in again.stdout and git(root, "diff", "--cached", "--stat", "HEAD") != ""
    git(root, "commit", "-qm", "second import")
    assert run_import(root, tmp_path / "newer").returncode == 0 and git(root, "status", "--porcelain") == ""


def test_records_of_another_provenance_are_never_touched(tmp_path: Path) -> None:
    root = new_git_kb(tmp_path / "kb")
    assert run_import(root, FIXTURES).returncode == 0
    found = records(root)
    taken_over, _ = found["pphysc0ybuyl"]  # a person rewrote it from the post-mortem: now reconstructed
    taken_over.write_text(taken_over.read_text().replace("method: imported", "method: reconstructed"))
    service_path = root / "services" / "search.yaml"  # a hand-written service whose id a component would take
    git(root, "add", "-A")
    git(root, "commit", "-qm", "taken over")
    before = tree_digest(root, exclude=lambda p: p.startswith(".git/"))

    result = run_import(root, newer_export(tmp_path / "newer"))
    assert result.returncode == 0, result.stdout
    assert f"left alone: {taken_over.relative_to(root)} (its provenance is now reconstructed)" in result.stdout
    after = tree_digest(root, exclude=lambda p: p.startswith(".git/"))
    assert after[str(taken_over.relative_to(root))] == before[str(taken_over.relative_to(root))]
    assert after[str(service_path.relative_to(root))] == before[str(service_path.relative_to(root))]


def test_a_hand_written_service_keeps_its_id_and_the_component_gets_another(tmp_path: Path) -> None:
    root = new_git_kb(tmp_path / "kb")
    ours = root / "services" / "search.yaml"
    search = load_yaml(REPO / "services" / "search.yaml")
    search.pop("depends_on", None)
    ours.write_text(json.dumps(search))  # JSON is YAML
    before = ours.read_bytes()
    assert run_import(root, FIXTURES).returncode == 0
    assert ours.read_bytes() == before
    search = records(root)["utdzvjzigb89"][1]
    assert search["services"] == ["search-2"] and (root / "services" / "search-2.yaml").is_file()


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    root = new_git_kb(tmp_path / "kb")
    before = tree_digest(root)
    result = run_import(root, FIXTURES, "--dry-run")
    assert result.returncode == 0
    assert tree_digest(root) == before
    assert "would add: incidents/2025/2025-06-03-elevated-error-rates-on-cdn-europe.yaml" in result.stdout
    assert "43 records: 43 would add, 0 would update" in result.stdout


def test_a_lost_import_state_loses_no_edit(tmp_path: Path) -> None:
    """A run killed after the records and before the state, or a state file deleted: the records the import wrote
    equal what the source says, so nothing changes; an edit counts as a person's and is kept."""
    root = new_git_kb(tmp_path / "kb")
    assert run_import(root, FIXTURES).returncode == 0
    for state in (root / "imports").iterdir():
        state.unlink()
    path, _ = records(root)["sjovxtidrqqt"]
    path.write_text(path.read_text().replace("title: Webhook signature", "title: Webhook signatures rejected"))
    git(root, "add", "-A")
    git(root, "commit", "-qm", "state lost, one edit")
    result = run_import(root, FIXTURES)
    assert result.returncode == 0 and "43 unchanged" in result.stdout and "kept the edit of title" in result.stdout
    assert load_yaml(path)["title"].startswith("Webhook signatures rejected")
    assert git(root, "status", "--porcelain", "--", "incidents", "services") == ""


# --- bad input -----------------------------------------------------------------------------------------------


def test_bad_sources_get_one_clear_line(tmp_path: Path) -> None:
    root = new_git_kb(tmp_path / "kb")
    broken = tmp_path / "incidents.json"
    broken.write_text('{"page": {"id": "x", "name": "X"},\n "incidents": [\n  {"id": "a", }\n]}')
    result = run_import(root, broken)
    assert result.returncode == 2 and f"{broken}:3:15: not JSON" in result.stderr, result.stderr
    other = tmp_path / "other.json"
    other.write_text('{"hello": 1}')
    result = run_import(root, other)
    assert result.returncode == 2 and "not a Statuspage API v2 document" in result.stderr
    bad_time = tmp_path / "bad-time.json"
    incident = {"id": "a", "name": "A", "status": "resolved", "started_at": "yesterday", "incident_updates": []}
    bad_time.write_text(json.dumps({"page": {"id": "x", "name": "X"}, "incidents": [incident]}))
    result = run_import(root, bad_time)
    assert result.returncode == 2 and "'yesterday' is not an RFC 3339 time" in result.stderr
    assert git(root, "status", "--porcelain") == ""


def test_a_linked_folder_out_of_the_knowledge_base_is_never_written_through(tmp_path: Path) -> None:
    root = new_git_kb(tmp_path / "kb")
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "incidents" / "2025").symlink_to(outside)
    result = run_import(root, FIXTURES)
    assert result.returncode == 2 and "leads outside the knowledge base" in result.stderr
    assert list(outside.iterdir()) == []


def test_a_broken_import_state_is_reported_not_overwritten(tmp_path: Path) -> None:
    root = new_git_kb(tmp_path / "kb")
    state = root / "imports" / f"statuspage-{MAIN_PAGE}.json"
    state.parent.mkdir()
    state.write_text("{ half a file")
    result = run_import(root, FIXTURES)
    assert result.returncode == 2 and "the import state not JSON" in result.stderr
    assert state.read_text() == "{ half a file" and not (root / "services" / "api.yaml").exists()


@pytest.fixture
def page_server() -> Iterator[str]:
    """The fixture page served at /api/v2/ over real HTTP, as Statuspage serves a page's public API."""
    served = {f"/api/v2/{name}": (FIXTURES / name).read_bytes() for name in
              ("summary.json", "components.json", "incidents.json", "scheduled-maintenances.json")}  # fmt: skip

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = served.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body or b"{}")

        def log_message(self, *_: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_pages_address_over_http(tmp_path: Path, page_server: str) -> None:
    root = new_git_kb(tmp_path / "kb")
    result = run_import(root, page_server)
    assert result.returncode == 0, result.stderr
    assert "26 incidents" not in result.stdout and "39 records: 39 added" in result.stdout  # the main page only
    assert set(records(root)) == set(EXPECTED_MINUTES) - {"npupu5qc2ont", "lcj2all9hpgj"} | {
        "9kv6ktga9m16", "z2ug1r1fpkmm", "6vikm0awq34w", "tmzp1k5muvsl",
    }  # fmt: skip


def test_what_cannot_be_mapped_is_listed(tmp_path: Path) -> None:
    root = new_git_kb(tmp_path / "kb")
    document = json.loads((FIXTURES / "incidents.json").read_text())
    incident = next(i for i in document["incidents"] if i["id"] == "urohk0jryko2")
    incident["incident_updates"][0]["body"] = "word " * 500  # 2,499 characters once trimmed; a message holds 2,000
    incident["incident_updates"][1]["body"] = ""
    incident["vendor_extension"] = {"anything": 1}
    source = tmp_path / "incidents.json"
    source.write_text(json.dumps({"page": document["page"], "incidents": [incident]}))
    result = run_import(root, source)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("not mapped: ")]
    assert len(lines) == 3, result.stdout
    assert "incident_updates[0].body: 2,499 characters, more than the 2,000 a record holds; cut to" in lines[0]
    assert "an update without text" in lines[1]
    assert (
        lines[2]
        == f"not mapped: incident field vendor_extension (1 on page {MAIN_PAGE}): no field in incidentkb records; left out"
    )
    assert result.stdout.rstrip().endswith("3 thing(s) could not be mapped")
    data = next(iter(records(root).values()))[1]
    assert len(data["updates"]) == 1 and len(data["updates"][0]["message"]) <= 2000  # the empty one is not a message


def test_a_record_a_person_deleted_is_not_imported_again(tmp_path: Path) -> None:
    root = new_git_kb(tmp_path / "kb")
    assert run_import(root, FIXTURES).returncode == 0
    path, _ = records(root)["urohk0jryko2"]
    path.unlink()
    git(root, "add", "-A")
    git(root, "commit", "-qm", "not worth keeping")
    result = run_import(root, FIXTURES)
    assert result.returncode == 0
    assert f"left alone: {path.relative_to(root)} (deleted since the last import" in result.stdout
    assert not path.exists() and git(root, "status", "--porcelain") == ""


def test_no_folder_is_made_through_a_linked_incidents_folder(tmp_path: Path) -> None:
    root = new_git_kb(tmp_path / "kb")
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "incidents").rmdir()
    (root / "incidents").symlink_to(outside)
    result = run_import(root, FIXTURES)
    assert result.returncode == 2 and "leads outside the knowledge base" in result.stderr
    assert list(outside.iterdir()) == []
