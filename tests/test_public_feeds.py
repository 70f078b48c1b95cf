"""The machine-readable outputs of the public site: feed.xml (Atom) and status.json, and the history pages.

Built with the real CLI from the canary knowledge base (tests/support.py), so the checks for
"no internal text" have something to find if anything leaks.
"""

from __future__ import annotations

import calendar
import html
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import jsonschema
import pytest
from support import CANARY_WORD, REPO, CanaryKB, canary_site, leaks


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[CanaryKB, Path]:
    return canary_site(tmp_path_factory.mktemp("feeds"))


def at(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


def public_updates(canary: CanaryKB) -> list[tuple[str, dict[str, Any]]]:
    return [(incident_id, u) for incident_id, r in canary.public_incidents.items() for u in r["updates"]]


# --- feed.xml -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def feed(built: tuple[CanaryKB, Path]) -> Any:
    parsed = feedparser.parse((built[1] / "feed.xml").read_bytes())
    assert parsed.bozo == 0, f"feed.xml is not well-formed: {parsed.get('bozo_exception')}"
    return parsed


def test_feed_is_atom_with_a_title_and_a_self_link(feed: Any) -> None:
    assert feed.version == "atom10"
    assert feed.feed.title == "Example status"
    assert feed.feed.id == "https://status.example.com/"
    assert any(link.rel == "self" and link.href.endswith("/feed.xml") for link in feed.feed.links)
    assert feed.feed.updated_parsed is not None


def test_feed_has_one_entry_per_public_update(built: tuple[CanaryKB, Path], feed: Any) -> None:
    canary, _ = built
    expected = public_updates(canary)
    assert len(expected) == 10
    assert len(feed.entries) == len(expected)
    shown = sorted((e.summary, calendar.timegm(e.updated_parsed)) for e in feed.entries)
    wanted = sorted((u["message"], int(at(u["at"]).timestamp())) for _, u in expected)
    assert shown == wanted


def test_feed_entries_have_ids_titles_updated_and_links(built: tuple[CanaryKB, Path], feed: Any) -> None:
    canary, _ = built
    titles = {r["title"] for r in canary.public_incidents.values()}
    ids = [e.id for e in feed.entries]
    assert len(set(ids)) == len(ids), "entry ids must be unique"
    for entry in feed.entries:
        assert re.fullmatch(r"tag:status\.example\.com,\d{4}-\d\d-\d\d:INC-\d{4}-\d{3}/\d{8}T\d{6}Z", entry.id), (
            entry.id
        )
        assert entry.updated_parsed is not None
        title, _, status = entry.title.rpartition(": ")
        assert title in titles and status in {"investigating", "identified", "monitoring", "resolved"}
        assert re.fullmatch(r"https://status\.example\.com/history/INC-\d{4}-\d{3}/", entry.link), entry.link


def test_feed_is_newest_first(feed: Any) -> None:
    times = [calendar.timegm(e.updated_parsed) for e in feed.entries]
    assert times == sorted(times, reverse=True)
    assert len(set(times)) == len(times)
    assert calendar.timegm(feed.feed.updated_parsed) == times[0]


def test_feed_has_no_internal_text(built: tuple[CanaryKB, Path]) -> None:
    canary, site = built
    data = (site / "feed.xml").read_bytes()
    assert not leaks([("feed.xml", data)], [CANARY_WORD, *(i.encode() for i in canary.hidden_incidents)])


# --- status.json ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def status(built: tuple[CanaryKB, Path]) -> dict[str, Any]:
    return json.loads((built[1] / "status.json").read_text(encoding="utf-8"))


def test_status_json_is_valid_against_its_schema(status: dict[str, Any]) -> None:
    schema = json.loads((REPO / "schemas" / "status.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    assert "date-time" in validator.format_checker.checkers, "no date-time checker: install rfc3339-validator"
    errors = sorted(validator.iter_errors(status), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_the_format_checker_catches_a_bad_timestamp(status: dict[str, Any]) -> None:
    """The schema check above can fail: the same document with an offset-less as_of is rejected."""
    schema = json.loads((REPO / "schemas" / "status.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    assert list(validator.iter_errors({**status, "as_of": "2026-10-20 12:00"}))


def test_status_reflects_the_worst_open_level_of_the_ongoing_incident(
    built: tuple[CanaryKB, Path], status: dict[str, Any]
) -> None:
    """The ongoing incident has an open degraded window, an open partial outage and a closed major outage:
    the website is in partial outage now (the major outage is over); payments are operational."""
    canary, _ = built
    assert status["as_of"] == "2026-10-20T12:00:00Z"  # machine outputs: UTC, with Z
    assert status["status"] == "partial_outage"
    assert {s["id"]: s["status"] for s in status["services"]} == {
        "payments": "operational",
        "storefront": "partial_outage",
    }
    assert [i["id"] for i in status["ongoing"]] == [canary.ongoing_id]
    ongoing = status["ongoing"][0]
    assert ongoing["end"] is None and ongoing["status"] == "identified"
    assert ongoing["last_update"]["message"] == "Public update ongoing three."
    assert ongoing["url"] == f"https://status.example.com/history/{canary.ongoing_id}/"


def test_status_recent_lists_customer_facing_incidents_newest_first(
    built: tuple[CanaryKB, Path], status: dict[str, Any]
) -> None:
    canary, _ = built
    recent = status["recent"]
    assert {i["id"] for i in recent} == set(canary.public_incidents)
    starts = [at(i["start"]) for i in recent]
    assert starts == sorted(starts, reverse=True)
    assert not leaks([("status.json", json.dumps(status).encode())], [CANARY_WORD])


# --- history pages --------------------------------------------------------------------------------------------


def page_text(path: Path) -> str:
    """The page's visible text: tags dropped, entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8"))).split())


def test_each_history_page_lists_its_public_updates_newest_first(built: tuple[CanaryKB, Path]) -> None:
    """As status pages do: the latest update on top, each with its time and status (the page says so)."""
    canary, site = built
    for incident_id, record in canary.public_incidents.items():
        text = page_text(site / "history" / incident_id / "index.html")
        updates = sorted(record["updates"], key=lambda u: at(u["at"]), reverse=True)
        assert updates, incident_id
        assert "Newest first." in text
        positions = [text.find(u["message"]) for u in updates]
        assert all(p >= 0 for p in positions), f"{incident_id}: an update is missing"
        assert positions == sorted(positions), f"{incident_id}: updates are not newest first"
        # Each update shows its time (report zone, UTC here) and its status, before its message.
        previous = 0
        for u, position in zip(updates, positions, strict=True):
            moment = at(u["at"])
            shown = f"{u['status'].capitalize()} · {moment.day} {moment:%B} {moment.year}, {moment:%H:%M} UTC"
            assert text.rfind(shown, previous, position) >= 0, f"{incident_id}: {shown!r} not shown with its update"
            previous = position
