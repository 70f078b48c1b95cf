"""The public site in a real browser: Debian's Chromium driven by Playwright, the site served on 127.0.0.1.

The home page and a monthly report page must render (lede, availability table, uptime strips that are
styled), log no console error and make no request to any host other than the local server.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from support import CHROMIUM, CanaryKB, canary_site, chromium_browser, serve

if not CHROMIUM.exists():
    pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (bash scripts/test.sh does)", pytrace=False)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[CanaryKB, Path]:
    return canary_site(tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="module")
def origin(built: tuple[CanaryKB, Path]) -> Iterator[str]:
    with serve(built[1]) as base:
        yield base.rstrip("/")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    assert CHROMIUM.exists(), "CI is set but /usr/bin/chromium is missing"
    with chromium_browser() as instance:
        yield instance


class Visit:
    """One page load with everything the page logged and requested."""

    def __init__(self, browser: Any, url: str) -> None:
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.failed: list[str] = []
        self.page.on("console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.context.on("request", lambda r: self.requests.append(r.url))
        self.context.on("requestfailed", lambda r: self.failed.append(f"{r.url}: {r.failure}"))
        response = self.page.goto(url, wait_until="networkidle")
        assert response is not None and response.ok, f"{url}: {response and response.status}"

    def close(self) -> None:
        self.context.close()

    def assert_clean(self, origin: str) -> None:
        own = urlsplit(origin).netloc
        foreign = [u for u in self.requests if urlsplit(u).scheme in ("http", "https", "ws", "wss")]
        foreign = [u for u in foreign if urlsplit(u).netloc != own]
        other = [u for u in self.requests if urlsplit(u).scheme not in ("http", "https", "ws", "wss", "data", "blob")]
        assert not foreign, f"requests to other hosts: {foreign}"
        assert not other, f"requests by other schemes: {other}"
        assert not self.failed, f"failed requests: {self.failed}"
        assert not self.errors, f"console errors: {self.errors}"


@pytest.fixture
def visit(browser: Any) -> Iterator[Any]:
    visits: list[Visit] = []

    def open_page(url: str) -> Visit:
        v = Visit(browser, url)
        visits.append(v)
        return v

    yield open_page
    for v in visits:
        v.close()


def test_report_page_renders_lede_table_and_charts(visit: Any, origin: str) -> None:
    v = visit(f"{origin}/reports/2026-10/")
    page = v.page
    assert page.locator("h1").first.inner_text().rstrip("¶").strip() == "Availability report: October 2026"
    lede = page.locator("article p", has_text="incidents that affected customers").first
    assert lede.is_visible()
    text = lede.inner_text()
    assert text.startswith("So far in October 2026 Example ") and text.endswith(" 2 incidents that affected customers.")
    table = page.locator("article table", has=page.locator("th", has_text="Availability")).first
    assert table.is_visible()
    rows = table.locator("tbody tr")
    assert rows.count() == 2
    assert sorted(rows.nth(i).locator("td").first.inner_text() for i in range(2)) == ["Card payments", "Website"]
    images = page.evaluate(
        "() => Array.from(document.images).map(i => ({src: i.currentSrc || i.src, w: i.naturalWidth,"
        " complete: i.complete}))"
    )
    strips = page.evaluate(  # each strip's days: a run of alike quiet days is one element of --days days
        "() => Array.from(document.querySelectorAll('.ikb-uptime-days'), o => [getComputedStyle(o).display,"
        " Array.from(o.children, li => parseInt(li.style.getPropertyValue('--days') || '1'))"
        ".reduce((a, b) => a + b, 0)])"
    )
    assert strips == [["flex", 90], ["flex", 90]], strips  # the uptime strips, styled (tests/test_uptime_chart.py)
    broken = [i for i in images if not i["complete"] or i["w"] <= 0]
    assert not broken, f"images that did not load: {broken}"
    assert page.locator("article h2", has_text="October 2 10:00 UTC (lasting 40 minutes)").count() == 1
    v.assert_clean(origin)


def test_home_page_shows_the_ongoing_incident(visit: Any, origin: str, built: tuple[CanaryKB, Path]) -> None:
    canary, _ = built
    v = visit(f"{origin}/")
    page = v.page
    assert page.locator("h1").first.inner_text().rstrip("¶").strip() == "Example status"
    headline = page.locator(".admonition").first
    assert headline.is_visible() and headline.inner_text().startswith("Partial outage")
    assert "1 open incident, below." in headline.inner_text()
    section = page.locator("h2", has_text="Open incidents").first
    assert section.is_visible()
    assert page.locator("h3", has_text=canary.public_incidents[canary.ongoing_id]["title"]).first.is_visible()
    status = page.locator("article table", has=page.locator("th", has_text="Status now")).first
    assert "Partial outage" in status.inner_text()
    images = page.evaluate("() => Array.from(document.images).map(i => [i.src, i.naturalWidth])")
    assert all(width > 0 for _, width in images), images
    assert "canary" not in page.content().lower()
    v.assert_clean(origin)


def test_the_request_check_can_fail(visit: Any, origin: str) -> None:
    """The cleanliness check is not blind: a page that loads a missing image fails it."""
    v = visit(f"{origin}/")
    v.page.evaluate(
        "() => new Promise(done => { const i = new Image(); i.onload = i.onerror = done;"
        " i.src = '/assets/charts/no-such-chart.svg'; document.body.appendChild(i); })"
    )
    with pytest.raises(AssertionError):
        v.assert_clean(origin)
