"""The internal site's full-text search (Pagefind, generator/search_index.py) in headless Chromium, on the built
example site served on 127.0.0.1: a word that occurs only in one section of a post-mortem finds that post-mortem,
for every section; a runbook's and a lessons page's words find those pages; a filter narrows the results to what
it names; an incident id lists its own post-mortem first; and record text with markup in a searchable section is
shown as text in a result's excerpt, never run. The search box: a page carries only the box, and search.js builds
the rest (clear button, filters, results) once, when it is first opened; "/", "s" and "f" open it, the arrows
move through the results, Escape closes it; without JavaScript no box is offered. The index: the indexer reads
each page from its searched element on, and PAGEFIND_BINARY_PATH chooses the binary.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from support import (
    REPO,
    SERVICES,
    assert_ok,
    build,
    chromium_browser,
    example_incidents,
    example_services,
    example_site,
    field_texts,
    html_text,
    make_kb,
    serve,
    sev1_incident,
    tree_digest,
    watched_page,
)

RESULT_LINKS = "[data-ikb-search-list] > li > a:first-child"
STATUS = "[data-ikb-search-status]"

# The sections of a post-mortem and the record fields each shows. A word of one of these that appears nowhere
# else in the record must find the post-mortem: Material's search saw only the title and the summaries.
SECTIONS: dict[str, tuple[str, ...]] = {
    "summary": ("summary.internal",),
    "root cause": ("root_cause.description",),
    "5 whys": ("root_cause.five_whys",),
    "fix": ("fix.description", "fix.follow_up"),
    "failed defences": ("failed_defences.description",),
    "what went wrong": ("lessons.went_wrong",),
    "action items": ("action_items.title",),
    "timeline": ("timeline.event",),
}
# The words of the issue (on the example site Material's search found none of them), where they occur.
ISSUE_WORDS = {
    "PgBouncer": ("INC-2026-003", ("fix.follow_up", "action_items.title")),
    "constructor": ("INC-2026-005", ("failed_defences.description",)),
    "stub": ("INC-2026-005", ("root_cause.five_whys",)),
    "pool_budget": ("INC-2026-003", ("escape.regression_test.ref",)),
}
WORD = re.compile(r"(?<![\w-])[A-Za-z][A-Za-z_]{4,}(?![\w-])")


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return example_site(tmp_path_factory)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium_browser() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def searcher(example: tuple[Path, Path], browser: Any) -> Iterator[Any]:
    """A function that searches the served example site on a fresh page: search(word, **filters) -> result paths."""
    _, site = example
    with serve(site) as base:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        problems: list[str] = []

        def search(word: str, **filters: str) -> list[str]:
            page, watch = watched_page(context)
            page.goto(base, wait_until="networkidle")
            paths = run_search(page, word, filters)
            page.close()
            problems.extend(watch.console_errors + watch.page_errors + watch.dialogs + watch.failed)
            host = urlsplit(base).netloc
            problems.extend(url for url in watch.requests if urlsplit(url).netloc not in (host, ""))
            return paths

        yield search
        context.close()
        assert problems == [], problems  # no errors, no dialogs, no request to another host


def run_search(page: Any, word: str, filters: dict[str, str]) -> list[str]:
    """Type `word` into the header's search box, choose `filters`, and return the paths of the results listed."""
    page.click("[data-ikb-search-query]")
    page.keyboard.type(word, delay=10)
    wait_for_results(page, word)
    for name, value in filters.items():
        select = f"[data-ikb-filter={name}]"
        page.wait_for_selector(f"{select} option[value='{value}']", state="attached")
        before = page.inner_text(STATUS)
        page.select_option(select, value)
        page.wait_for_function(f"t => document.querySelector('{STATUS}').textContent !== t", arg=before)
        wait_for_results(page, word)
    return [urlsplit(href).path for href in page.eval_on_selector_all(RESULT_LINKS, "as => as.map(a => a.href)")]


def wait_for_results(page: Any, word: str) -> None:
    """Until the list shows the results of `word` itself (a search per keystroke shows its prefixes' first)."""
    page.wait_for_function(
        """([status, word]) => document.querySelector(status)?.dataset.ikbSearchTerm === word
            && /matching/.test(document.querySelector(status).textContent)""",
        arg=[STATUS, word.strip()],
        timeout=20000,
    )


def words(text: str) -> list[str]:
    return [w.lower() for w in WORD.findall(text)]


def contains(text: str, word: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text, re.IGNORECASE) is not None


def section_word(kb: Path, fields: tuple[str, ...]) -> tuple[str, str]:
    """(word, incident id): a word of those fields of one incident that appears nowhere else in that record (its
    YAML text, comments included) and in the fewest other records."""
    incidents = example_incidents(kb)
    spread: dict[str, int] = {}
    for path, _ in incidents:
        for word in set(words(path.read_text(encoding="utf-8"))):
            spread[word] = spread.get(word, 0) + 1
    candidates = []
    for path, record in incidents:
        inside = [w for field in fields for text in field_texts(record, field) for w in words(text)]
        everywhere = words(path.read_text(encoding="utf-8"))
        for word in set(inside):
            if everywhere.count(word) == inside.count(word):
                candidates.append((spread[word], -len(word), word, record["id"]))
    assert candidates, f"no incident has a word only in {fields}"
    _, _, word, incident = min(candidates)
    return word, incident


@pytest.mark.parametrize("section", list(SECTIONS))
def test_a_word_of_each_section_finds_its_post_mortem(example: tuple[Path, Path], searcher: Any, section: str) -> None:
    kb, _ = example
    word, incident = section_word(kb, SECTIONS[section])
    assert f"/incidents/{incident}/" in searcher(word), f"{section}: {word!r} did not find {incident}"


@pytest.mark.parametrize("word", list(ISSUE_WORDS))
def test_the_words_of_the_issue_find_their_post_mortems(example: tuple[Path, Path], searcher: Any, word: str) -> None:
    kb, _ = example
    incident, fields = ISSUE_WORDS[word]
    record = next(r for _, r in example_incidents(kb) if r["id"] == incident)
    where = [field for field in fields if any(contains(t, word) for t in field_texts(record, field))]
    assert where == list(fields)  # the word is where the issue says, and not in the title or summaries
    shown_before = [record["title"], *field_texts(record, "summary.public"), *field_texts(record, "summary.internal")]
    assert not any(contains(text, word) for text in shown_before)
    assert f"/incidents/{incident}/" in searcher(word)


def test_a_runbook_word_finds_the_runbook(example: tuple[Path, Path], searcher: Any) -> None:
    """A word of a service record's runbook fields that no incident, other service or guide page uses."""
    kb, site = example
    others: dict[str, int] = {}
    files = [p for p, _ in example_incidents(kb)] + [p for p, _ in example_services(kb)] + sorted(kb.glob("docs/*.md"))
    for path in files:
        for word in set(words(path.read_text(encoding="utf-8"))):
            others[word] = others.get(word, 0) + 1
    candidates = []
    for _, service in example_services(kb):
        page = html_text((site / "runbooks" / service["id"] / "index.html").read_text(encoding="utf-8"))
        shown = set(words(page))
        for field in ("diagnostics", "containment_levers"):
            for word in set(words(str(service.get(field) or ""))):
                if others.get(word) == 1 and word in shown:
                    candidates.append((-len(word), word, service["id"]))
    assert candidates, "no runbook has a word of its own"
    _, word, service_id = min(candidates)
    assert f"/runbooks/{service_id}/" in searcher(word)


def test_a_lessons_page_word_finds_a_lessons_page(example: tuple[Path, Path], searcher: Any) -> None:
    """A word that the lessons pages show and no other page of the site does."""
    _, site = example
    pages = {
        path: set(words(html_text(path.read_text(encoding="utf-8"))))
        for path in site.rglob("index.html")
        if "pagefind" not in path.parts
    }
    lessons = {path for path in pages if "lessons" in path.relative_to(site).parts}
    assert lessons
    elsewhere = set().union(*(w for p, w in pages.items() if p not in lessons))
    own = sorted((-len(w), w, str(p)) for p in lessons for w in pages[p] - elsewhere)
    assert own, "the lessons pages have no word of their own"
    _, word, path = own[0]
    expected = "/" + Path(path).parent.relative_to(site).as_posix() + "/"
    assert expected in searcher(word)


def test_a_filter_narrows_the_results_to_what_it_names(example: tuple[Path, Path], searcher: Any) -> None:
    kb, _ = example
    severity = {r["id"]: r["severity"] for _, r in example_incidents(kb)}
    services = {r["id"]: r["services"] for _, r in example_incidents(kb)}
    everything = searcher("checkout")
    sev1 = searcher("checkout", section="Post-mortem", severity="SEV1")
    assert sev1 and len(sev1) < len(everything)
    assert {severity[incident_of(path)] for path in sev1} == {"SEV1"}
    in_search = searcher("checkout", service="search")
    assert in_search and len(in_search) < len(everything)
    for path in in_search:  # post-mortems of incidents of that service, or its own runbook
        assert path == "/runbooks/search/" or "search" in services[incident_of(path)], path


def incident_of(path: str) -> str:
    match = re.fullmatch(r"/incidents/(INC-\d{4}-\d+)/", path)
    assert match, f"{path} is not a post-mortem"
    return match.group(1)


def test_an_incident_id_lists_its_post_mortem_first(searcher: Any) -> None:
    found = searcher("INC-2026-005")
    assert found[0] == "/incidents/INC-2026-005/", found
    assert len(found) > 1  # other pages name it too: the id's own page still comes first


HOSTILE_TITLE = "Checkout <b>failed</b> <img src=y onerror=\"window.__ran = 'title'\">"
HOSTILE = '<script>window.__ran = "script"</script><img src=x onerror="window.__ran = \'img\'"> quokkaphobia'


def test_record_markup_in_an_excerpt_is_shown_as_text(tmp_path: Path, browser: Any) -> None:
    """A 5 Whys answer holding a script and an image with onerror, found by a word beside them: the excerpt shows
    the markup as text; nothing runs, no image is made, no dialog opens."""
    record = sev1_incident()
    record["title"] = HOSTILE_TITLE
    record["root_cause"]["five_whys"][2] = HOSTILE
    kb = make_kb(tmp_path / "kb", [record], list(SERVICES.values()))
    site = tmp_path / "site"
    assert_ok(build(kb, site))
    with serve(site) as base:
        page, watch = watched_page(browser.new_context())
        page.goto(base, wait_until="networkidle")
        paths = run_search(page, "quokkaphobia", {})
        page.wait_for_timeout(500)  # time for an injected handler to run, if there were one
        excerpt = page.inner_text("[data-ikb-search-list] > li")
        title = page.inner_text("[data-ikb-search-list] > li h1")
        ran = page.evaluate("() => window.__ran")
        images = page.eval_on_selector_all("[data-ikb-search-list] img, [data-ikb-search-list] script", "e => e.length")
        marks = page.eval_on_selector_all("[data-ikb-search-list] mark", "ms => ms.map(m => m.textContent)")
    assert paths == [f"/incidents/{record['id']}/"]
    assert "onerror" in excerpt and "quokkaphobia" in excerpt.lower()
    assert ran is None and images == 0
    assert title == f"{record['id']}: {HOSTILE_TITLE}"  # the title as written, as text
    assert marks and {m.lower().strip(".") for m in marks} == {"quokkaphobia"}
    assert watch.dialogs == [] and watch.page_errors == []


def test_what_is_searched_and_its_filters() -> None:
    from generator.search_index import page_search

    meta = {"service": ["payments", "checkout"], "severity": "SEV2", "kind": "near_miss", "tags": ["third-party"]}
    postmortem = page_search("incidents/INC-2026-005.md", meta, generated=True)
    assert postmortem is not None and postmortem.incident_id == "INC-2026-005"
    assert postmortem.filters == {
        "section": ["Post-mortem"],
        "service": ["payments", "checkout"],
        "severity": ["SEV2"],
        "kind": ["near miss"],
        "year": ["2026"],
        "tag": ["third-party"],
    }
    unassessed = page_search("incidents/INC-2025-101.md", {"severity": None}, generated=True)
    assert unassessed is not None and unassessed.filters["severity"] == ["not assessed"]
    runbook = page_search("runbooks/search.md", {"service": "search", "tags": ["tier-1"]}, generated=True)
    assert runbook is not None and runbook.filters == {"section": ["Runbook"], "service": ["search"], "tag": ["tier-1"]}
    assert page_search("writing-records.md", {}, generated=False) == page_search("x.md", {}, generated=False)
    for listing in ("index.md", "incidents/index.md", "incidents/2026-09.md", "runbooks/index.md", "actions.md"):
        assert page_search(listing, {}, generated=True) is None, listing
    assert page_search("lessons/index.md", {}, generated=True) is not None


def test_indexing_a_site_without_a_searched_page_fails_the_build(tmp_path: Path) -> None:
    from generator.findings import BuildError
    from generator.search_index import index_site

    (tmp_path / "index.html").write_text("<html><body><p>Nothing marked for search</p></body></html>")
    with pytest.raises(BuildError, match=r"no page of .* is marked data-pagefind-body"):
        index_site(tmp_path)


def test_the_index_reads_table_cells_and_list_items_as_separate_words(tmp_path: Path) -> None:
    """Minified pages leave out </td> and </li>; the indexer must still see SEV2 and resolved as two words."""
    import gzip
    import json

    from generator.search_index import BUNDLE, index_site

    page = "<html><body><div data-pagefind-body><h1>T</h1><table><tr><th>Severity<th>Status<tr><td>SEV2<td>resolved"
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "index.html").write_text(page + "</table><ul><li>one<li>two</ul></div></body></html>")
    summary = index_site(tmp_path)
    assert summary.pages == 1 and summary.files > 0
    fragments = [
        json.loads(gzip.decompress(p.read_bytes())[len("pagefind_dcd") :])
        for p in (tmp_path / BUNDLE).rglob("*.pf_fragment")
    ]
    assert [f["url"] for f in fragments] == ["/a/"]
    words = fragments[0]["content"].replace(".", " ").split()
    assert {"Severity", "Status", "SEV2", "resolved", "one", "two"} <= set(words), fragments[0]["content"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", BUNDLE]  # the spaced copy is gone
    assert not list((tmp_path / BUNDLE).glob("pagefind-ui.*"))  # Pagefind's own interfaces are left out


def test_a_failed_index_fails_the_build_and_keeps_the_previous_site(tmp_path: Path) -> None:
    """A knowledge base whose own main.html drops the search marks: Pagefind finds nothing to index, the build
    fails saying so, and the site built before stays as it was."""
    kb = make_kb(tmp_path / "kb", [sev1_incident()], list(SERVICES.values()))
    site = tmp_path / "site"
    assert_ok(build(kb, site))
    before = tree_digest(site)
    config = kb / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("theme:\n", "theme:\n  custom_dir: overrides\n", 1))
    (kb / "overrides").mkdir()
    (kb / "overrides" / "main.html").write_text('{% extends "base.html" %}\n', encoding="utf-8")
    failed = build(kb, site)
    assert failed.returncode != 0 and "Traceback" not in failed.stderr
    assert "no page of" in failed.stderr and "data-pagefind-body" in failed.stderr, failed.stderr
    assert tree_digest(site) == before


# --- the search box: what every page carries, the keyboard, without JavaScript ---------------------------------

PANEL = ("[data-ikb-search-list]", "[data-ikb-search-status]", ".ikb-search__filters", ".md-search__options")


def test_a_page_carries_only_the_box_and_the_panel_is_built_once_when_opened(
    example: tuple[Path, Path], browser: Any
) -> None:
    """The clear button, the filters and the result list are the same on every page: search.js builds them when
    the search is first opened, once, and the box's aria-controls then names the results."""
    _, site = example
    html = (site / "incidents" / "INC-2026-005" / "index.html").read_text(encoding="utf-8")
    assert "data-ikb-search-query" in html
    for marker in ("data-ikb-search-list", "data-ikb-search-status", "ikb-search__filters", "md-search__options"):
        assert marker not in html, marker
    with serve(site) as base:
        page, watch = watched_page(browser.new_context(viewport={"width": 1280, "height": 900}))
        page.goto(base + "incidents/INC-2026-005/", wait_until="networkidle")
        assert [page.locator(selector).count() for selector in PANEL] == [0, 0, 0, 0]
        for _ in range(2):  # opened, closed and opened again: still one of each
            page.click("[data-ikb-search-query]")
            page.keyboard.press("Escape")
        page.keyboard.press("/")
        assert [page.locator(selector).count() for selector in PANEL] == [1, 1, 1, 1]
        controls = page.get_attribute("[data-ikb-search-query]", "aria-controls")
        assert controls and page.locator(f"#{controls}").count() == 1
        assert page.get_attribute(".md-search__options button", "aria-label") == "Clear"
        assert page.get_attribute("[data-ikb-search-status]", "role") == "status"
        assert len(page.locator("[data-ikb-filter]").all()) == len(
            ("section", "service", "severity", "kind", "year", "tag")
        )
        word = "duplicate"
        page.keyboard.type(word, delay=10)
        wait_for_results(page, word)
        assert "/incidents/INC-2026-005/" in [
            urlsplit(h).path for h in page.eval_on_selector_all(RESULT_LINKS, "as => as.map(a => a.href)")
        ]
        page.click(".md-search__options button")  # the clear button empties the box and the list
        page.wait_for_function(f"() => !document.querySelector('{STATUS}').dataset.ikbSearchTerm")
        assert page.input_value("[data-ikb-search-query]") == ""
        assert page.locator("[data-ikb-search-list] > li").count() == 0
    assert watch.console_errors == [] and watch.page_errors == []


@pytest.mark.parametrize("key", ["/", "s", "f"])
def test_the_keyboard_opens_the_search_moves_through_the_results_and_closes_it(
    example: tuple[Path, Path], browser: Any, key: str
) -> None:
    _, site = example
    with serve(site) as base:
        page, watch = watched_page(browser.new_context(viewport={"width": 1280, "height": 900}))
        page.goto(base + "incidents/INC-2026-005/", wait_until="networkidle")
        opened = "() => document.getElementById('__search').checked"
        focused = "() => document.activeElement && document.activeElement.matches('[data-ikb-search-query]')"
        assert not page.evaluate(opened)
        page.keyboard.press(key)
        assert page.evaluate(opened) and page.evaluate(focused)
        word = "refunds"  # an "s" and an "f" in the box are letters of the word, not shortcuts
        page.keyboard.type(word, delay=10)
        wait_for_results(page, word)
        assert page.input_value("[data-ikb-search-query]") == word
        assert page.locator("[data-ikb-search-list] a").count() >= 2
        order = "[...document.querySelectorAll('[data-ikb-search-list] a')].indexOf(document.activeElement)"
        page.keyboard.press("ArrowDown")
        assert page.evaluate(f"() => {order}") == 0
        page.keyboard.press("ArrowDown")
        assert page.evaluate(f"() => {order}") == 1
        page.keyboard.press("ArrowUp")
        page.keyboard.press("ArrowUp")
        assert page.evaluate(focused)
        page.keyboard.press("Escape")
        assert not page.evaluate(opened) and not page.evaluate(focused)
    assert watch.console_errors == [] and watch.page_errors == []


def test_without_javascript_no_search_box_is_offered(example: tuple[Path, Path], browser: Any) -> None:
    """Without JavaScript nothing could search (Pagefind runs in the browser): as with Material's own box, its
    no-js rules hide the box and the header's search button, on a desktop and on a phone, and nothing of the
    panel is in the page."""
    _, site = example
    with serve(site) as base:
        for width, height in ((1280, 900), (390, 844)):
            context = browser.new_context(viewport={"width": width, "height": height}, java_script_enabled=False)
            page = context.new_page()
            page.goto(base + "incidents/INC-2026-005/")
            assert page.locator("[data-ikb-search-query]").count() == 1
            assert not page.is_visible(".ikb-search") and not page.is_visible("label.md-header__button[for=__search]")
            assert [page.locator(selector).count() for selector in PANEL] == [0, 0, 0, 0]
            context.close()


# --- the index: what the indexer reads, and which Pagefind ----------------------------------------------------


def test_the_indexer_reads_each_page_from_its_searched_element_on() -> None:
    """The head, the header and the navigation are left out of the indexer's copy (Pagefind reads nothing before
    the searched element); the element and everything after it stay, spaced; a page with no such element (a mark
    only in text) is copied whole."""
    from generator.search_index import _searched_part

    page = (
        "<!doctype html><html lang=en class=no-js><head><title>Head words</title></head><body><header>"
        "<a title=x>navigation data-pagefind-body text</a></header><main><article>"
        "<div class=md-content data-pagefind-body><h1>Title</h1><table><tr><td>SEV2<td>resolved</table>"
        "<ul><li>one<li>two</ul></div></article></main><footer>Footer</footer></body></html>"
    )
    copy = _searched_part(page)
    assert copy.startswith("<html lang=en class=no-js><body> <div class=md-content data-pagefind-body>")
    assert "Head words" not in copy and "navigation" not in copy
    assert "SEV2 <td>resolved" in copy and " <li>one <li>two</ul></div></article></main><footer>Footer" in copy
    assert _searched_part("<p>a<p>b data-pagefind-body") == " <p>a <p>b data-pagefind-body"
    early = '<html><body><a title="data-pagefind-body x">Nav</a><div data-pagefind-body>Body</div>'
    assert (
        _searched_part(early)
        == '<html><body><a title="data-pagefind-body x">Nav</a> <div data-pagefind-body>Body</div>'
    )
    odd = '<html><body><nav>Nav</nav><div title="a>b" data-pagefind-body>Body</div>'  # not found: copied whole
    assert _searched_part(odd) == '<html><body><nav>Nav</nav> <div title="a>b" data-pagefind-body>Body</div>'


def test_pagefind_binary_path_chooses_the_indexer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PAGEFIND_BINARY_PATH (as Pagefind's own Python API reads it) names the binary that indexes: here a wrapper
    of pagefind[bin]'s that notes each run; a path that is not an executable file is a clear build error."""
    import stat

    from generator.findings import BuildError
    from generator.search_index import BINARY_VARIABLE, _executable, index_site

    real = _executable()
    (tmp_path / "site" / "a").mkdir(parents=True)
    (tmp_path / "site" / "a" / "index.html").write_text("<html><body><div data-pagefind-body><h1>T</h1>wrapped</div>")
    ran = tmp_path / "ran"
    wrapper = tmp_path / "pagefind-wrapper"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> "{ran}"\nexec "{real}" "$@"\n', encoding="utf-8")
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv(BINARY_VARIABLE, str(wrapper))
    assert index_site(tmp_path / "site").pages == 1
    assert "--output-path" in ran.read_text(encoding="utf-8")
    for wrong in (tmp_path / "missing", tmp_path / "site"):
        monkeypatch.setenv(BINARY_VARIABLE, str(wrong))
        with pytest.raises(BuildError, match=rf"{BINARY_VARIABLE}={re.escape(str(wrong))} is not an executable"):
            index_site(tmp_path / "site")


def test_the_site_is_indexed_by_the_pagefind_the_repository_pins(example: tuple[Path, Path]) -> None:
    """The test command installs tools/pagefind (Pagefind 1.6 from npm, whose searches are several times faster
    than PyPI's 1.5.2); a build then finds and uses it without being told. Fails if the install step is missing
    or the build falls back to pagefind[bin]."""
    import json

    from generator.search_index import _executable, npm_executable

    pinned = json.loads((REPO / "tools" / "pagefind" / "package.json").read_text(encoding="utf-8"))["dependencies"]
    binary = npm_executable()
    assert binary is not None, "tools/pagefind is not installed: npm ci --prefix tools/pagefind"
    assert _executable() == binary
    _, site = example
    entry = json.loads((site / "pagefind" / "pagefind-entry.json").read_text(encoding="utf-8"))
    assert entry["version"] == pinned["pagefind"]


def test_a_new_index_replaces_the_served_one_only_once_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`incidentkb serve` indexes the site it serves again after an edit: the old bundle stays in place (search
    keeps working) while Pagefind runs, then the new one takes its place, and nothing of the old or of the page
    copies is left beside it. A wrapper of the real indexer notes what the site holds while it runs."""
    import stat

    from generator.search_index import BINARY_VARIABLE, _executable, index_site

    site = tmp_path / "site"
    (site / "a").mkdir(parents=True)
    (site / "a" / "index.html").write_text("<html><body><div data-pagefind-body><h1>T</h1>first</div>")
    index_site(site)
    old_entry = (site / "pagefind" / "pagefind-entry.json").read_text(encoding="utf-8")
    (site / "a" / "index.html").write_text("<html><body><div data-pagefind-body><h1>T</h1>second words</div>")
    seen = tmp_path / "seen"
    wrapper = tmp_path / "pagefind-wrapper"
    wrapper.write_text(
        f'#!/bin/sh\ncat "{site}/pagefind/pagefind-entry.json" > "{seen}"\nexec "{_executable()}" "$@"\n',
        encoding="utf-8",
    )
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv(BINARY_VARIABLE, str(wrapper))
    assert index_site(site).pages == 1
    assert seen.read_text(encoding="utf-8") == old_entry, "the served bundle was gone while Pagefind ran"
    assert sorted(p.name for p in site.iterdir()) == ["a", "pagefind"]
    fragments = list((site / "pagefind" / "fragment").iterdir())
    assert len(fragments) == 1
