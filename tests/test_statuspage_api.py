"""The public site's Statuspage-compatible API (api/v2/...), read by clients written for Statuspage.

* Every document has the keys and the value sets of Statuspage's public API v2, as the fixtures in
  tests/fixtures/statuspage (written from its documentation and real pages' payloads) have them.
* Atlassian's own embeddable widget (npm `@statuspage/status-widget`, installed by scripts/test.sh), pointed at
  the built site served on localhost, shows our current state in Chromium.
* incidentkb's own Statuspage importer reads the API back into a new knowledge base.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import REPO, TESTS, chromium_browser, load_yaml, make_kb, run_cli, serve

AS_OF = "2026-12-01T12:00:00Z"
FIXTURES = TESTS / "fixtures" / "statuspage"
WIDGET = TESTS / "widget" / "node_modules" / "@statuspage" / "status-widget" / "dist" / "index.js"
DOCUMENTS = {
    "summary.json": ("page", "components", "incidents", "scheduled_maintenances", "status"),
    "status.json": ("page", "status"),
    "components.json": ("page", "components"),
    "incidents.json": ("page", "incidents"),
    "incidents/unresolved.json": ("page", "incidents"),
    "scheduled-maintenances.json": ("page", "scheduled_maintenances"),
    "scheduled-maintenances/upcoming.json": ("page", "scheduled_maintenances"),
    "scheduled-maintenances/active.json": ("page", "scheduled_maintenances"),
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("api") / "public"
    result = run_cli("build", "--public", "--site-dir", out, "--as-of", AS_OF, root=REPO, cwd=REPO, timeout=300)
    assert result.returncode == 0, result.stderr
    return out


def api(site: Path, name: str) -> dict[str, Any]:
    return json.loads((site / "api" / "v2" / name).read_text())


def fixture_keys(kind: str) -> set[str]:
    """The keys Statuspage's own documents give an object of this kind (from the fixtures)."""
    summary = json.loads((FIXTURES / "summary.json").read_text())
    incidents = json.loads((FIXTURES / "incidents.json").read_text())["incidents"]
    planned = json.loads((FIXTURES / "scheduled-maintenances.json").read_text())["scheduled_maintenances"]
    objects = {
        "page": [summary["page"]],
        "component": [c for c in summary["components"] if not c.get("group")],
        "incident": incidents,
        "incident_update": [u for i in incidents for u in i["incident_updates"]],
        "scheduled_maintenance": planned,
    }[kind]
    return set.intersection(*(set(o) for o in objects))


def test_every_document_is_at_statuspages_path_with_its_keys(site: Path) -> None:
    for name, keys in DOCUMENTS.items():
        document = api(site, name)
        assert tuple(document) == keys, name
        assert set(document["page"]) == fixture_keys("page")
    summary = api(site, "summary.json")
    component_keys = fixture_keys("component")
    for component in summary["components"]:
        assert component_keys <= set(component), component_keys - set(component)
        assert component["status"] in {
            "operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance",
        }  # fmt: skip
    incidents = api(site, "incidents.json")["incidents"]
    assert incidents and all(fixture_keys("incident") <= set(i) for i in incidents)
    for incident in incidents:
        assert incident["impact"] in ("none", "minor", "major", "critical")
        assert incident["status"] in ("investigating", "identified", "monitoring", "resolved", "postmortem")
        updates = incident["incident_updates"]
        assert all(fixture_keys("incident_update") <= set(u) for u in updates)
        assert [u["display_at"] for u in updates] == sorted((u["display_at"] for u in updates), reverse=True)
    planned = api(site, "scheduled-maintenances.json")["scheduled_maintenances"]
    assert planned and all(fixture_keys("scheduled_maintenance") <= set(m) for m in planned)


def test_the_documents_say_what_the_site_says(site: Path) -> None:
    summary = api(site, "summary.json")
    assert summary["status"] == {"indicator": "minor", "description": "Minor Service Outage"}  # search degraded
    assert {c["id"]: c["status"] for c in summary["components"]}["search"] == "degraded_performance"
    assert [i["id"] for i in summary["incidents"]] == ["INC-2026-016"]
    assert [i["id"] for i in api(site, "incidents/unresolved.json")["incidents"]] == ["INC-2026-016"]
    upcoming = api(site, "scheduled-maintenances/upcoming.json")["scheduled_maintenances"]
    assert [(m["id"], m["status"], m["scheduled_for"]) for m in upcoming] == [
        ("INC-2026-017", "scheduled", "2026-12-09T04:00:00.000Z")
    ]
    assert api(site, "scheduled-maintenances/active.json")["scheduled_maintenances"] == []
    incidents = {i["id"]: i for i in api(site, "incidents.json")["incidents"]}
    assert incidents["INC-2026-016"]["impact"] == "major" and incidents["INC-2026-016"]["resolved_at"] is None
    text = "".join((site / "api" / "v2" / name).read_text() for name in DOCUMENTS)
    assert "internal" not in json.loads(json.dumps(incidents["INC-2026-016"]))  # public fields only
    assert "pg-main" not in text and "larkspur.internal" not in text  # no internal host of the example leaks


@pytest.fixture(scope="module")
def origin(site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The built site with a page that embeds Atlassian's widget, served on localhost."""
    assert WIDGET.is_file(), "run scripts/test.sh (it installs the widget with npm ci --prefix tests/widget)"
    root = tmp_path_factory.mktemp("served")
    shutil.copytree(site, root / "site")
    shutil.copy2(WIDGET, root / "site" / "status-widget.js")
    with serve(root / "site") as url:
        (root / "site" / "widget.html").write_text(
            "<!doctype html><html><body>"
            f'<statuspage-widget id="basic" src="{url.rstrip("/")}"></statuspage-widget>'
            f'<statuspage-widget id="badge" src="{url.rstrip("/")}" appearance="badge"></statuspage-widget>'
            '<script src="status-widget.js"></script></body></html>',
            encoding="utf-8",
        )
        yield url


def test_atlassians_widget_shows_our_current_state(origin: str) -> None:
    with chromium_browser() as browser:
        page = browser.new_page()
        try:
            requests: list[str] = []
            page.on("request", lambda request: requests.append(request.url))
            page.goto(f"{origin}widget.html")
            shown = page.wait_for_function(
                "() => { const e = document.getElementById('basic');"
                " const text = e && e.shadowRoot ? e.shadowRoot.textContent : '';"
                " return text.includes('Minor Service Outage') ? text : false; }",
                timeout=15000,
            ).json_value()
            assert "Minor Service Outage" in shown
            assert f"{origin}api/v2/summary.json" in requests  # the widget read our summary, nothing else
            assert all(r.startswith(origin) for r in requests), requests
        finally:
            page.close()


def test_our_importer_reads_the_api_back(site: Path, tmp_path: Path) -> None:
    root = make_kb(tmp_path / "kb", [], [])
    (root / "incidents").mkdir(exist_ok=True)
    (root / "services").mkdir(exist_ok=True)
    result = run_cli("import", "statuspage", site / "api" / "v2", "--as-of", AS_OF, root=root, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    imported = {load_yaml(p)["provenance"]["source"]["id"]: load_yaml(p) for p in (root / "incidents").rglob("*.yaml")}
    published = {i["id"]: i for i in api(site, "incidents.json")["incidents"]}
    assert set(published) <= set(imported)
    for record_id, incident in published.items():
        record = imported[record_id]
        assert record["title"] == incident["name"]
        assert len(record["updates"]) == len(incident["incident_updates"])
        assert record["started_at"] == incident["started_at"]
    assert imported["INC-2026-017"]["kind"] == "maintenance"
    assert imported["INC-2026-017"]["scheduled"]["start"] == "2026-12-09T04:00:00.000Z"


SCHEMA_OF = {
    "summary.json": "summary",
    "status.json": "status_document",
    "components.json": "components_document",
    "incidents.json": "incidents_document",
    "incidents/unresolved.json": "incidents_document",
    "scheduled-maintenances.json": "maintenances_document",
    "scheduled-maintenances/upcoming.json": "maintenances_document",
    "scheduled-maintenances/active.json": "maintenances_document",
}


def validator(definition: str) -> Any:
    import jsonschema

    schema = json.loads((REPO / "schemas" / "statuspage-api.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        {"$ref": f"#/$defs/{definition}", "$defs": schema["$defs"]},
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )


def test_every_api_file_validates_against_the_published_schema(site: Path) -> None:
    for name, definition in SCHEMA_OF.items():
        errors = list(validator(definition).iter_errors(api(site, name)))
        assert not errors, f"{name}: {[f'{list(e.absolute_path)}: {e.message}' for e in errors[:3]]}"


def test_the_api_schema_can_fail(site: Path) -> None:
    summary = api(site, "summary.json")
    summary["status"]["indicator"] = "amber"
    summary["components"][0]["status"] = "broken"
    summary["page"]["updated_at"] = "2026-12-01T13:00:00+01:00"
    messages = [e.message for e in validator("summary").iter_errors(summary)]
    assert len(messages) == 3, messages


BADGE_MAKER = TESTS / "widget" / "node_modules" / "badge-maker"
SHIELDS_ENDPOINT = {  # https://shields.io/badges/endpoint-badge: the endpoint JSON's schema, as Shields documents it
    "type": "object",
    "required": ["schemaVersion", "label", "message"],
    "properties": {
        "schemaVersion": {"const": 1},
        "label": {"type": "string"},
        "message": {"type": "string", "minLength": 1},
        "color": {"type": "string"},
        "labelColor": {"type": "string"},
        "isError": {"type": "boolean"},
        "namedLogo": {"type": "string"},
        "logoSvg": {"type": "string"},
        "logoColor": {"type": "string"},
        "logoWidth": {"type": "number"},
        "style": {"type": "string"},
        "cacheSeconds": {"type": "integer"},
    },
    "additionalProperties": False,
}


def test_a_shields_endpoint_badge_per_service_rendered_by_shields_own_renderer(site: Path) -> None:
    import subprocess

    import jsonschema

    badges = {p.stem: json.loads(p.read_text()) for p in (site / "badges").glob("*.json")}
    listed = [load_yaml(p) for p in sorted((REPO / "services").glob("*.yaml"))]
    assert sorted(badges) == sorted(s["id"] for s in listed if s["public"]["listed"])
    for badge in badges.values():
        jsonschema.validate(badge, SHIELDS_ENDPOINT)
    assert badges["search"]["message"].startswith("degraded performance · 99.")
    assert badges["search"]["message"].endswith("% (90 days)") and badges["search"]["color"] == "yellow"
    assert badges["payments"]["message"].startswith("operational · ") and badges["payments"]["color"] == "brightgreen"
    assert BADGE_MAKER.is_dir(), "run scripts/test.sh (it installs badge-maker with npm ci --prefix tests/widget)"
    script = (  # badge-maker is an ES module
        "const {makeBadge} = await import(process.argv[1]); const {readFileSync} = await import('node:fs');"
        "const badge = JSON.parse(readFileSync(process.argv[2], 'utf8'));"
        "process.stdout.write(makeBadge({label: badge.label, message: badge.message, color: badge.color}));"
    )
    svg = subprocess.run(
        ["node", "--input-type=module", "-e", script, str(BADGE_MAKER / "lib" / "index.js"),
         str(site / "badges" / "search.json")],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    assert svg.startswith("<svg") and "Search" in svg and badges["search"]["message"] in svg
    assert 'fill="#dfb317"' in svg  # Shields' own yellow: the colour name was understood


def test_a_status_aggregator_written_for_statuspage_reads_our_summary(
    origin: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """statuspage-prometheus-exporter (PyPI) polls Atlassian Statuspage summaries and turns them into Prometheus
    gauges; pointed at our summary.json it must see our state: the indicator, each component's status, the ongoing
    incident with its link, and no planned maintenance in progress."""
    from statuspage_prometheus_exporter.service_checker import check_service_status

    monkeypatch.chdir(tmp_path)  # the exporter keeps its response cache in ./cache
    config = {"name": "Larkspur Market", "type": "status_page", "url": f"{origin}api/v2/summary.json"}
    checked = check_service_status("larkspur", config)
    assert checked["success"], checked
    summary = api_from(origin, "summary.json")
    # 0: not operational. The exporter rates a page by the worst impact of its unresolved incidents (INC-2026-016's
    # windows reached a partial outage: impact major) over the page's indicator (minor: search is degraded now).
    assert checked["status"] == 0 and summary["incidents"][0]["impact"] == "major", checked
    assert checked["raw_status"] == "major" and summary["status"]["indicator"] == "minor", checked
    components = {c["name"]: c["status"] for c in checked["component_metadata"]}
    assert components == {c["name"]: c["status"] for c in summary["components"]}
    assert components["Search"] == "degraded_performance"
    [incident] = checked["incident_metadata"]
    assert incident["id"] == "INC-2026-016" and incident["shortlink"] == summary["incidents"][0]["shortlink"]
    [planned] = checked["maintenance_metadata"]  # the exporter lists the upcoming maintenance of the summary
    assert (planned["id"], planned["status"], planned["scheduled_start"]) == (
        "INC-2026-017",
        "scheduled",
        "2026-12-09T04:00:00.000Z",
    )


def api_from(origin: str, name: str) -> dict[str, Any]:
    import urllib.request

    with urllib.request.urlopen(f"{origin}api/v2/{name}", timeout=10) as response:
        return json.loads(response.read())
