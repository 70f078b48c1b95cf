"""The public feeds, as feed readers follow them: Atom (feed.xml) and RSS 2.0 (rss.xml) read by feedparser without
errors, one pair per public service, at most the 50 newest entries, autodiscovery links in every page's head,
and entry ids (tag: URIs) that never change when an old incident's history is edited or an update is added."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import feedparser
import pytest
from support import REPO, copy_kb, load_yaml, run_cli

AS_OF = "2026-12-01T12:00:00Z"


def build(root: Path, out: Path) -> Path:
    result = run_cli("build", "--public", "--site-dir", out, "--as-of", AS_OF, root=root, cwd=REPO, timeout=300)
    assert result.returncode == 0, result.stderr
    return out


def parsed(path: Path) -> Any:
    feed = feedparser.parse(path.read_bytes())
    assert not feed.bozo, f"{path.name}: {feed.get('bozo_exception')}"
    return feed


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The example's public site, and the same after an old incident's history was edited and an update added."""
    root = copy_kb(tmp_path_factory.mktemp("feeds") / "kb")
    before = build(root, tmp_path_factory.mktemp("feeds") / "before")
    old = next(p for p in (root / "incidents").rglob("*.yaml") if "expired-certificate" in p.name)
    record_id = load_yaml(old)["id"]
    text = old.read_text()
    title = re.search(r"^title: (.*)$", text, re.M)
    assert title
    old.write_text(text.replace(title[0], "title: Signed-in customers were signed out (corrected title)", 1))
    added = run_cli(
        "update", record_id, "--status", "resolved", "--message", "Our post-incident review is published.",
        "--at", "2026-11-30T10:00:00Z", root=root,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    after = build(root, tmp_path_factory.mktemp("feeds") / "after")
    return before, after


def test_atom_and_rss_read_without_errors_and_agree(sites: tuple[Path, Path]) -> None:
    before, _ = sites
    atom, rss = parsed(before / "feed.xml"), parsed(before / "rss.xml")
    assert atom.version == "atom10" and rss.version == "rss20"
    assert 0 < len(atom.entries) <= 50 and len(atom.entries) == len(rss.entries)
    assert [e.id for e in atom.entries] == [e.id for e in rss.entries]  # the RSS guid is the same tag: URI
    assert all(re.fullmatch(r"tag:status\.larkspur\.example,\d{4}-\d\d-\d\d:INC-\d{4}-\d{3}/\d{8}T\d{6}Z", e.id)
               for e in atom.entries)  # fmt: skip
    assert all(e.updated.endswith("Z") for e in atom.entries)


def test_a_feed_per_public_service(sites: tuple[Path, Path]) -> None:
    before, _ = sites
    services = [load_yaml(p) for p in sorted((REPO / "services").glob("*.yaml"))]
    listed = [s["id"] for s in services if s["public"]["listed"]]
    assert sorted(p.stem for p in (before / "feeds").glob("*.xml")) == sorted(listed)
    search = parsed(before / "feeds" / "search.xml")
    assert search.entries and all("/history/INC-" in e.link for e in search.entries)
    assert parsed(before / "feeds" / "search.rss").version == "rss20"
    everything = {e.id for e in parsed(before / "feed.xml").entries}
    assert {e.id for e in search.entries} <= everything | {e.id for e in search.entries}


def test_every_page_announces_the_feeds(sites: tuple[Path, Path]) -> None:
    before, _ = sites
    pages = [p for p in before.rglob("*.html")]
    assert len(pages) > 10
    for page in pages:
        text = page.read_text()
        assert re.search(r"<link[^>]*href=[^ >]*feed\.xml[^>]*type=application/atom\+xml", text), page
        assert re.search(r"<link[^>]*href=[^ >]*rss\.xml[^>]*type=application/rss\+xml", text), page
        assert "href=https://" not in re.findall(r"<link[^>]*alternate[^>]*>", text)[0]  # relative: no other host


def test_entry_ids_survive_edited_history(sites: tuple[Path, Path]) -> None:
    before, after = sites
    old = {e.id: e for e in parsed(before / "feed.xml").entries}
    new = {e.id: e for e in parsed(after / "feed.xml").entries}
    assert set(old) <= set(new), "an entry id changed or went missing"
    retitled = [i for i in old if old[i].title != new[i].title]
    assert retitled and all("(corrected title)" in new[i].title for i in retitled)  # same ids, new title
    added = set(new) - set(old)
    assert len(added) == 1 and next(iter(added)).endswith("/20261130T100000Z")
