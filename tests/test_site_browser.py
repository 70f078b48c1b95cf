"""End to end in headless Chromium, on the repository's example knowledge base: the built site is served on
127.0.0.1, pages open without console errors, charts load, the Material search finds an incident by a word of
its root cause, and the browser never asks any host but the local server for anything.

Set INCIDENTKB_SCREENSHOTS=1 to also save screenshots of the home page, a post-mortem and a runbook into
docs/screenshots/ (nothing is written into the repository otherwise).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from support import (
    REPO,
    chromium_browser,
    example_incidents,
    example_services,
    example_site,
    serve,
    squash,
    watched_page,
)

SCREENSHOTS = os.environ.get("INCIDENTKB_SCREENSHOTS") == "1"


@pytest.fixture(scope="session")
def example(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return example_site(tmp_path_factory)


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"(?<![\w'-])[A-Za-z]{7,}(?![\w'-])", text)}


def distinctive_word(kb: Path = REPO) -> tuple[str, dict[str, Any]]:
    """A word of one incident's root_cause.description that no other record or authored page uses."""
    incidents = example_incidents(kb)
    others = Counter(
        w
        for path in [p for p, _ in incidents]
        + [p for p, _ in example_services(kb)]
        + sorted((kb / "docs").rglob("*.md"))
        for w in _words(path.read_text(encoding="utf-8"))
    )
    candidates = []
    for _, record in incidents:
        description = (record.get("root_cause") or {}).get("description") or ""
        for word in _words(description):
            if others[word] == 1:  # only in this incident's own file (each file counted once)
                candidates.append((-len(word), word, record["id"], record))
    assert candidates, "no incident has a root-cause word that no other record uses"
    _, word, _, record = min(candidates, key=lambda c: c[:3])
    return word, record


def test_pages_search_and_no_outside_requests(example: tuple[Path, Path]) -> None:
    kb, site = example
    word, incident = distinctive_word(kb)
    service = next(s for _, s in example_services(kb) if s["id"] == incident["services"][0])
    lessons = sorted(p.parent.name for p in (site / "lessons").glob("*/index.html"))
    assert lessons, "no lessons index pages"
    pages = {
        "home": ("", "Incident knowledge base"),
        "post-mortem": (f"incidents/{incident['id']}/", f"{incident['id']}: {squash(incident['title'])}"),
        "runbook": (f"runbooks/{service['id']}/", f"Runbook: {squash(service['name'])}"),
        "lessons": ("lessons/", "Lessons learned"),
        "lessons index": (f"lessons/{lessons[0]}/", "Incidents"),
    }
    problems: list[str] = []
    with serve(site) as base, chromium_browser() as browser:
        host = urlsplit(base).netloc
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        watches = []
        for name, (path, heading) in pages.items():
            page, watch = watched_page(context)
            watches.append((name, watch))
            response = page.goto(base + path, wait_until="networkidle")
            if response is None or not response.ok:
                problems.append(f"{name}: {base + path} answered {response and response.status}")
                page.close()
                continue
            h1 = squash(page.inner_text("h1"))
            if heading not in h1:
                problems.append(f"{name}: the heading is {h1!r}, expected {heading!r}")
            broken = page.evaluate(
                "() => [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
            )
            problems += [f"{name}: image did not load: {src}" for src in broken]
            if SCREENSHOTS and name in ("home", "post-mortem", "runbook"):
                folder = REPO / "docs" / "screenshots"
                folder.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(folder / f"{name.replace('-', '')}.png"), full_page=False)
            page.close()

        # the search: type a word of the root cause, expect the post-mortem among the results
        page, watch = watched_page(context)
        watches.append(("search", watch))
        page.goto(base, wait_until="networkidle")
        page.click(".md-search__input")
        page.keyboard.type(word, delay=20)
        page.wait_for_selector(".md-search-result__item", timeout=20000)
        page.wait_for_timeout(300)
        hits = page.eval_on_selector_all(".md-search-result__item a", "links => links.map(a => a.href)")
        if not any(f"/incidents/{incident['id']}/" in urlsplit(h).path for h in hits):
            problems.append(f"search for {word!r} did not list {incident['id']}: {hits}")
        page.close()
        context.close()

    for name, watch in watches:
        problems += [f"{name}: console error: {e}" for e in watch.console_errors]
        problems += [f"{name}: uncaught error: {e}" for e in watch.page_errors]
        problems += [f"{name}: dialog: {d}" for d in watch.dialogs]
        problems += [f"{name}: failed request: {f}" for f in watch.failed]
        for url in watch.requests:
            parts = urlsplit(url)
            if parts.scheme in ("data", "blob", "about"):
                continue
            if parts.netloc != host or parts.scheme != "http":
                problems.append(f"{name}: request to another host: {url}")
        if not watch.requests:
            problems.append(f"{name}: no request was recorded (is the request hook working?)")
    assert not problems, "\n".join(problems)


TRACKER_ROWS = """() => [...document.querySelectorAll("article table")].flatMap(table => {
  const headers = [...table.querySelectorAll("thead th")].map(th => th.innerText.trim());
  const incident = headers.indexOf("Incident"), status = headers.indexOf("Status");
  if (incident < 0 || status < 0) return [];
  const visible = (table.closest(".md-typeset__scrollwrap") || table).getBoundingClientRect();
  const inside = element => {
    const box = element.getBoundingClientRect();
    return box.left >= visible.left && box.right <= visible.right;
  };
  return [...table.querySelectorAll("tbody tr")].map(row => {
    const link = row.children[incident].querySelector("a");
    return {incident: link.innerText, status: row.children[status].innerText.trim(),
            inside: inside(link) && inside(row.children[status])};
  });
})"""


def test_every_action_item_shows_its_incident_and_status_without_scrolling(example: tuple[Path, Path]) -> None:
    """On the tracker, an engineer sees at once which incident each item comes from and where it stands: the
    incident link and the status of every row lie inside the table's visible area at a laptop's width (the
    incident, a sixth column, scrolled out of sight before)."""
    kb, site = example
    items = [a for _, r in example_incidents(kb) for a in r.get("action_items") or ()]
    with serve(site) as base, chromium_browser() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(base + "actions/", wait_until="networkidle")
        rows = page.evaluate(TRACKER_ROWS)
        page.close()
    open_items = [a for a in items if a["status"] in ("open", "in_progress")]
    assert len(rows) >= len(open_items) > 0  # the open table at least (overdue and recently closed besides)
    assert all(row["incident"].startswith("INC-") and row["status"] for row in rows), rows
    assert [row for row in rows if not row["inside"]] == []


def test_the_word_picked_for_search_is_distinctive() -> None:
    word, incident = distinctive_word()
    text = (incident.get("root_cause") or {}).get("description") or ""
    assert word in text.lower()
    owners = [p.name for p, _ in example_incidents() if word in _words(p.read_text(encoding="utf-8"))]
    assert len(owners) == 1, owners


def test_a_missing_chromium_fails_and_never_skips(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import support

    monkeypatch.setattr(support, "CHROMIUM", tmp_path / "no-chromium")
    for ci in ("true", None):
        if ci is None:
            monkeypatch.delenv("CI", raising=False)
        else:
            monkeypatch.setenv("CI", ci)
        with pytest.raises(pytest.fail.Exception, match="is missing: install Debian's chromium"):
            support.require_chromium()
