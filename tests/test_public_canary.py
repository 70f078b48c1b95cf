"""No internal detail reaches the public site or the public report: the canary test.

The knowledge base is built in a temporary folder with every internal field (found by walking the schemas, not
from a hand-kept list) holding a unique canary, then the real CLI builds the public site and prints the reports.
No output byte may contain a canary: every file, including search/search_index.json, feed.xml, status.json and
the sitemap, and the decompressed content of every .gz file. Public values must appear, so the test cannot
pass on an empty site.
"""

from __future__ import annotations

import gzip
import html
import json
import re
from pathlib import Path
from typing import Any

import pytest
from support import (
    CANARY_AS_OF,
    CANARY_DATE,
    CANARY_INTEGER,
    CANARY_NUMBER,
    CANARY_WORD,
    INTERNAL_SERVICE,
    CanaryKB,
    html_text,
    internal_string_paths,
    leaks,
    load_schema,
    output_blobs,
    parse_html,
    run_ok,
    schema_leaf_paths,
    unescape_markdown,
    write_canary_kb,
)

from generator.loader import load_document


@pytest.fixture(scope="module")
def canary(tmp_path_factory: pytest.TempPathFactory) -> CanaryKB:
    return write_canary_kb(tmp_path_factory.mktemp("canary") / "kb")


@pytest.fixture(scope="module")
def site(canary: CanaryKB) -> Path:
    out = canary.root.parent / "public-site"
    stdout = run_ok(canary.root, "build", "--public", "--site-dir", out, "--as-of", CANARY_AS_OF)
    assert "built" in stdout
    return out


def needles(canary: CanaryKB) -> list[bytes]:
    """Every canary form: the common word, each internal timestamp, the internal date and numbers."""
    return [
        CANARY_WORD,
        INTERNAL_SERVICE.encode(),
        CANARY_DATE.encode(),
        str(CANARY_INTEGER).encode(),
        f"{CANARY_INTEGER:,}".encode(),
        str(CANARY_NUMBER).encode(),
        *(t.encode() for t in canary.filler.timestamps),
        # The same instants as the pages would print them (to the second, or as isoformat with an offset).
        *(t.replace("T", " ").replace("Z", " UTC").encode() for t in canary.filler.timestamps),
        *(t.replace("Z", "+00:00").encode() for t in canary.filler.timestamps),
    ]


def test_every_internal_field_of_the_schemas_holds_a_canary(canary: CanaryKB) -> None:
    """The fixture is only as strong as its coverage: each non-public string leaf of both schemas got one."""
    expected = internal_string_paths("incident") | internal_string_paths("service")
    assert expected, "the schema walk found no internal field"
    assert {"incident.summary.internal", "service.name", "service.escalation[].contact"} <= expected
    assert "incident.title" not in expected and "service.public.name" not in expected
    missing = expected - canary.filler.covered
    assert not missing, f"internal fields without a canary: {sorted(missing)}"
    assert len(canary.filler.tokens) > 200


def test_the_knowledge_base_is_valid(canary: CanaryKB) -> None:
    stdout = run_ok(canary.root, "validate", "--as-of", CANARY_AS_OF[:10])
    # The canary number stated as a duration differs from the computed one: a warning, and the only one.
    others = [line for line in stdout.splitlines()[:-1] if "warning[stated-duration]" not in line]
    assert stdout.strip().splitlines()[-1].startswith("0 error(s)") and not others, stdout


def test_the_scan_finds_a_canary_in_plain_and_gzipped_files(tmp_path: Path) -> None:
    """The scanner itself can fail: a planted canary is found in a plain file and inside a .gz file."""
    (tmp_path / "a.html").write_bytes(b"<p>fine</p>")
    (tmp_path / "b.xml.gz").write_bytes(gzip.compress(b"<loc>https://x/CANARY-001/</loc>"))
    found = leaks(list(output_blobs(tmp_path)), [CANARY_WORD])
    assert found == [found[0]] and found[0].startswith("b.xml.gz!"), found


def test_no_canary_in_any_public_site_file(canary: CanaryKB, site: Path) -> None:
    blobs = list(output_blobs(site))
    names = {name for name, _ in blobs}
    for expected in ("index.html", "feed.xml", "status.json", "search/search_index.json", "sitemap.xml"):
        assert expected in names, f"{expected} missing from the public site: {sorted(names)[:20]}"
    assert "sitemap.xml.gz!" in names, "the gzipped sitemap was not scanned decompressed"
    found = leaks(blobs, needles(canary))
    if found:
        tokens = {t: p for t, p in canary.filler.tokens.items() if any(t in f for f in found)}
        pytest.fail(f"internal detail in the public site ({len(found)}):\n" + "\n".join(found[:30]) + f"\n{tokens}")


def test_public_values_do_appear(canary: CanaryKB, site: Path) -> None:
    """The build is not vacuous: titles, public summaries, updates and public service names are published."""
    feed = (site / "feed.xml").read_text(encoding="utf-8")
    status = json.loads((site / "status.json").read_text(encoding="utf-8"))
    search = (site / "search/search_index.json").read_text(encoding="utf-8")
    sitemap = gzip.decompress((site / "sitemap.xml.gz").read_bytes()).decode()
    assert canary.public_incidents
    for incident_id, record in canary.public_incidents.items():
        page = html.unescape((site / "history" / incident_id / "index.html").read_text(encoding="utf-8"))
        assert record["title"] in page
        assert record["summary"]["public"] in page
        for entry in record["updates"]:
            assert entry["message"] in page
            assert html.escape(entry["message"], quote=False) in feed
        assert f"history/{incident_id}/" in sitemap
        assert record["title"] in search
    report = html.unescape((site / "reports/2026-10/index.html").read_text(encoding="utf-8"))
    assert canary.public_incidents["INC-2026-101"]["summary"]["public"] in report
    assert canary.public_incidents["INC-2026-101"]["summary"]["public_prevention"] in report
    assert {s["id"]: s["name"] for s in status["services"]} == canary.public_service_names


def test_unpublished_records_have_no_page(canary: CanaryKB, site: Path) -> None:
    """The near miss and the incident on the unlisted service only are not customer-facing: not even their ids."""
    assert len(canary.hidden_incidents) == 2
    for incident_id in canary.hidden_incidents:
        assert not (site / "history" / incident_id).exists(), f"{incident_id} is not customer-facing"
    assert not leaks(list(output_blobs(site)), [i.encode() for i in canary.hidden_incidents])
    assert not list(site.rglob(f"*{INTERNAL_SERVICE}*"))


@pytest.mark.parametrize("month", ["2026-09", "2026-10"])
@pytest.mark.parametrize("fmt", ["json", "markdown", "text"])
def test_no_canary_in_the_report_command(canary: CanaryKB, month: str, fmt: str) -> None:
    stdout = run_ok(canary.root, "report", month, "--format", fmt, "--as-of", CANARY_AS_OF)
    found = leaks([(f"report {month} {fmt}", stdout.encode())], needles(canary))
    assert not found, "\n".join(found)
    published = [r for r in canary.public_incidents.values() if r["started_at"].startswith(month)]
    assert published
    if fmt == "json":
        shown = json.loads(stdout)
        titles = {i["title"] for i in shown["incidents"] + shown["maintenance"]}
    elif fmt == "text":  # wrapped: a title may run over two lines
        titles = {r["title"] for r in published if " ".join(r["title"].split()) in " ".join(stdout.split())}
    else:
        titles = {r["title"] for r in published if r["title"] in unescape_markdown(stdout)}
    assert {r["title"] for r in published} <= titles


# Settings that shape the public site without being printed in it, with the reason.
UNPRINTED_SETTINGS = {"report.history_months": "how many months of reports are built: a number, shown by the reports"}
# Policy profiles and taxonomies steer validation, notify.* where `incidentkb notify` posts (environment variable
# names, retries); nothing of them is printed on a public page.
UNPRINTED_SECTIONS = ("policy.", "taxonomies.", "notify.")


def test_every_setting_is_public_and_published_as_written(canary: CanaryKB, site: Path) -> None:
    """incidentkb.yml holds no internal field: each of its values is meant for customers, and each is published as
    written. A field added to the settings schema fails this test until it is placed here, or canaried if internal."""
    settings = load_document(canary.root / "incidentkb.yml", "incidentkb.yml").data
    given: dict[str, Any] = {}
    for section, values in settings.items():
        for key, item in values.items():
            for level, value in item.items() if isinstance(item, dict) else [("", item)]:
                given[".".join(filter(None, (section, key, level)))] = value
    fields = {f for f in schema_leaf_paths(load_schema("settings")) if not f.startswith(UNPRINTED_SECTIONS)}
    assert set(given) == fields - set(UNPRINTED_SETTINGS), "the canary's settings set every printed field"
    pages = [html.unescape(p.read_text(encoding="utf-8")) for p in site.rglob("*.html")]
    titles = [parse_html(page).title for page in pages]
    feed = (site / "feed.xml").read_text(encoding="utf-8")
    status = json.loads((site / "status.json").read_text(encoding="utf-8"))
    sitemap = gzip.decompress((site / "sitemap.xml.gz").read_bytes()).decode()
    report = " ".join(html_text((site / "reports/2026-10/index.html").read_text(encoding="utf-8")).split())
    shown = {
        "public.site_name": all(t.endswith(given["public.site_name"]) for t in titles)
        and f"<title>{given['public.site_name']}</title>" in feed,
        "public.site_url": f"<id>{given['public.site_url']}</id>" in feed
        and all(i["url"].startswith(given["public.site_url"]) for i in status["recent"])
        and f"<loc>{given['public.site_url']}history/" in sitemap,
        "public.company": f"{given['public.company']} has had " in report
        or f"{given['public.company']} had " in report,
        "public.language": all(re.search(rf'<html[^>]* lang="?{given["public.language"]}\b', p) for p in pages),
        "report.timezone": f"Times are in {given['report.timezone']}." in report,
        "report.weights.major_outage": f"major outage {given['report.weights.major_outage']}" in report,
        "report.weights.partial_outage": f"partial outage {given['report.weights.partial_outage']}" in report,
        "report.weights.degraded_performance": f"degraded performance {given['report.weights.degraded_performance']}"
        in report,
    }
    assert titles and status["recent"], "the site is not vacuous"
    assert set(shown) == fields - set(UNPRINTED_SETTINGS), "each printed setting has a check here"
    missing = sorted(field for field, ok in shown.items() if not ok)
    assert not missing, f"settings not published as written: {missing}"
