"""The real-world corpus (tests/realworld/): published post-mortems of other organisations, reconstructed from
their public sources. The records must validate and build, hold the figures their sources state, and state no
value the sources do not give (no invented severity, owners, due dates or owner teams)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from support import REPO, assert_ok, explain, run_cli

from generator.analyze.postmortems import postmortem_facts
from generator.knowledge_base import KnowledgeBase
from generator.model import Incident
from generator.site import load_knowledge_base

ROOT = REPO / "tests" / "realworld"
AS_OF = "2026-12-01T00:00:00Z"
CUTOFF = datetime(2026, 12, 1, tzinfo=UTC)

# GitHub, "October 21 post-incident analysis": "Last week, GitHub experienced an incident that resulted in
# degraded service for 24 hours and 11 minutes."
GITHUB_DEGRADED_MINUTES = 24 * 60 + 11
# Cloudflare, "Details of the Cloudflare outage on July 2, 2019": "the real story of how the Cloudflare service
# went down for 27 minutes is much more complex than 'a regular expression went bad'".
CLOUDFLARE_DOWN_MINUTES = 27
# Cloudflare, same post: "a leader in our Solutions Engineering group told me we had lost 80% of our traffic".
CLOUDFLARE_TRAFFIC_LOST_SHARE = 80
# Google Cloud incident #20013, ISSUE SUMMARY: "On Monday 14 December, 2020, for a duration of 47 minutes,
# customer-facing Google services that required Google OAuth access were unavailable."
GOOGLE_SUMMARY_MINUTES = 47
# Google Cloud incident #20013, preliminary statement: "... affecting all services which require Google account
# authentication for a duration of 50 minutes."
GOOGLE_PRELIMINARY_MINUTES = 50
# Fastly, "Summary of June 8 outage": "Within 49 minutes, 95% of our network was operating as normal." and
# "09:47 Initial onset of global disruption", "12:35 Incident mitigated".
FASTLY_TO_95_PERCENT_MINUTES = 49
FASTLY_ONSET_TO_MITIGATED_MINUTES = 2 * 60 + 48
# GitLab, "Postmortem of database outage of January 31": "Our best estimate is that it affected roughly 5,000
# projects, 5,000 comments and 700 new user accounts."
GITLAB_LOST = {"projects": 5000, "comments": 5000, "new user accounts": 700}
# SEC order, Knight Capital Americas LLC, Release No. 70694: "Knight lost over $460 million from these unwanted
# positions."
KNIGHT_LOSS_USD = 460_000_000


@pytest.fixture(scope="module")
def incidents() -> dict[str, Incident]:
    loaded = load_knowledge_base(KnowledgeBase(ROOT), CUTOFF)
    return {incident.id: incident for incident in loaded.model.incidents}


@pytest.fixture(scope="module")
def records(incidents: dict[str, Incident]) -> list[dict[str, Any]]:
    return [dict(incident.record) for incident in incidents.values()]


def organisation(record: dict[str, Any]) -> str:
    """The organisation a record is about: the prefix of its first service id (cloudflare-waf: cloudflare)."""
    return str(record["services"][0]).split("-")[0]


def stated(incident: Incident, source_start: str) -> dict[str, Any]:
    matches = [dict(s) for s in incident.record.get("stated") or () if str(s["source"]).startswith(source_start)]
    assert len(matches) == 1, f"{incident.id}: one stated entry from {source_start!r}, got {matches}"
    return matches[0]


def test_the_corpus_has_twelve_organisations_each_reconstructed_with_linked_sources(
    records: list[dict[str, Any]],
) -> None:
    assert len(records) >= 12
    assert len({organisation(r) for r in records}) >= 12, sorted(organisation(r) for r in records)
    for record in records:
        assert record["provenance"]["method"] == "reconstructed", record["id"]
        assert str(record["provenance"]["written_on"]) == "2026-12-01", record["id"]
        urls = [e["url"] for e in record.get("evidence") or ()]
        assert any(urlparse(u).scheme in {"http", "https"} and urlparse(u).netloc for u in urls), record["id"]
        assert record.get("publications"), f"{record['id']} names no publication"


def test_validate_exits_zero_with_no_errors() -> None:
    result = run_cli("validate", "--as-of", AS_OF, root=ROOT, cwd=REPO)
    assert_ok(result)
    assert result.stdout.strip().splitlines()[-1].startswith("0 error(s)"), explain(result)


def test_both_sites_build_with_a_postmortem_page_per_incident(tmp_path: Path, incidents: dict[str, Incident]) -> None:
    internal, public = tmp_path / "site", tmp_path / "public-site"
    assert_ok(run_cli("build", "--site-dir", internal, "--as-of", AS_OF, root=ROOT, cwd=REPO))
    assert_ok(run_cli("build", "--public", "--site-dir", public, "--as-of", AS_OF, root=ROOT, cwd=REPO))
    for incident_id, incident in incidents.items():
        page = internal / "incidents" / incident_id / "index.html"
        assert page.is_file(), incident_id
        assert incident.title.split(" ")[0] in page.read_text(encoding="utf-8"), incident_id
    assert (public / "status.json").is_file()
    assert (public / "index.html").is_file()


def test_github_figures_match_the_post_incident_analysis(incidents: dict[str, Incident]) -> None:
    github = incidents["INC-2018-001"]
    facts = postmortem_facts(github, CUTOFF)
    assert facts.durations.time_to_resolve == GITHUB_DEGRADED_MINUTES
    assert github.impact_minutes == GITHUB_DEGRADED_MINUTES
    assert facts.impact[0].minutes == GITHUB_DEGRADED_MINUTES  # the github-com window, 22:52 to 23:03 next day
    assert stated(github, "October 21 post-incident analysis")["duration_minutes"] == GITHUB_DEGRADED_MINUTES


def test_cloudflare_figures_match_the_post(incidents: dict[str, Incident]) -> None:
    cloudflare = incidents["INC-2019-001"]
    facts = postmortem_facts(cloudflare, CUTOFF)
    assert facts.durations.time_to_mitigate == CLOUDFLARE_DOWN_MINUTES
    assert [row.minutes for row in facts.impact] == [CLOUDFLARE_DOWN_MINUTES, CLOUDFLARE_DOWN_MINUTES]
    entry = stated(cloudflare, "Details of the Cloudflare outage")
    assert entry["duration_minutes"] == CLOUDFLARE_DOWN_MINUTES
    shares = [q["value"] for q in entry["quantities"] if q["measure"] == "share"]
    assert shares == [CLOUDFLARE_TRAFFIC_LOST_SHARE]


def test_google_figures_match_the_summary_and_keep_the_preliminary_one(incidents: dict[str, Incident]) -> None:
    google = incidents["INC-2020-001"]
    facts = postmortem_facts(google, CUTOFF)
    assert facts.durations.time_to_mitigate == GOOGLE_SUMMARY_MINUTES
    assert google.impact_minutes == GOOGLE_SUMMARY_MINUTES
    assert stated(google, "Google Cloud incident #20013, ISSUE SUMMARY")["duration_minutes"] == GOOGLE_SUMMARY_MINUTES
    preliminary = stated(google, "Google Cloud incident #20013, preliminary")
    assert preliminary["duration_minutes"] == GOOGLE_PRELIMINARY_MINUTES


def test_fastly_first_window_is_the_stated_49_minutes(incidents: dict[str, Incident]) -> None:
    fastly = incidents["INC-2021-002"]
    facts = postmortem_facts(fastly, CUTOFF)
    assert facts.impact[0].minutes == FASTLY_TO_95_PERCENT_MINUTES
    assert facts.durations.time_to_mitigate == FASTLY_ONSET_TO_MITIGATED_MINUTES
    assert stated(fastly, "Summary of June 8 outage")["duration_minutes"] == FASTLY_TO_95_PERCENT_MINUTES


def test_non_availability_impact_holds_the_sources_numbers(incidents: dict[str, Incident]) -> None:
    gitlab = incidents["INC-2017-001"]
    (loss,) = [e for e in gitlab.other_impact if e.kind == "data_loss"]
    assert {q.unit: q.value for q in loss.quantities} == GITLAB_LOST
    assert all(q.approximate for q in loss.quantities)  # "roughly"
    knight = incidents["INC-2012-001"]
    (money,) = [e for e in knight.other_impact if e.kind == "financial"]
    assert [(q.value, q.currency) for q in money.quantities] == [(KNIGHT_LOSS_USD, "USD")]


def test_no_record_states_what_the_sources_do_not_give(records: list[dict[str, Any]]) -> None:
    for record in records:
        assert record["severity"] is None, f"{record['id']}: no source of this corpus states a severity"
        for item in record.get("action_items") or ():
            assert item.get("owner") is None, f"{record['id']}: {item['title']} has an owner"
            assert item.get("due") is None, f"{record['id']}: {item['title']} has a due date"
            assert item.get("kind") is None, f"{record['id']}: {item['title']} has a kind"
            # a status only where the source marks the item itself ("(Done)")
            assert item.get("status") in (None, "done"), f"{record['id']}: {item['title']}"
        assert not (record.get("root_cause") or {}).get("five_whys"), f"{record['id']} has invented five whys"
        assert (record.get("failure_boundary") or {}).get("customers_affected") in (None, 775), record["id"]
        for window in record.get("impact") or ():
            if window.get("kind", "availability") == "availability":
                assert window.get("note"), f"{record['id']}: every availability window says where its level comes from"
    done = [(r["id"], i["title"]) for r in records for i in r.get("action_items") or () if i.get("status")]
    assert {record_id for record_id, _ in done} <= {"INC-2019-001"}, done  # only Cloudflare's post marks items done


def test_every_service_leaves_owner_tier_and_slo_unrecorded() -> None:
    services = sorted((ROOT / "services").glob("*.yaml"))
    assert len(services) >= 12
    loaded = load_knowledge_base(KnowledgeBase(ROOT), CUTOFF)
    assert len(loaded.model.services) == len(services)
    for service in loaded.model.services:
        assert service.owner_team is None, service.id
        assert service.tier is None, service.id
        assert service.slo is None, service.id  # no source states an availability objective
