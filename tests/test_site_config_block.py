"""With Pagefind, every page's `<script id="__config">` (the JSON Material's script reads, base.html's
`{% block config %}`) leaves out what only Material's own search reads: its worker's path and the seven
"search.result.*" translations, 0.4 KB a page (issue 19). The header's box is Pagefind's
(theme/pagefind/partials/search.html), so Material's script never mounts its search, the one place it reads them.

The copy (theme/pagefind/partials/material-config.html) must stay Material's block minus those lines: the text test
fails when Material's block changes. The built example site carries exactly Material's configuration minus those
keys, keeps every translation Material's script reads outside its search, and in Chromium a post-mortem and a
guide page log no error, the copy button copies and says "Copied to clipboard", and "Back to top" appears after
scrolling. With `search: material` the configuration is Material's whole one and Material's search finds pages.
The palette toggle and Pagefind's search in the browser: tests/test_site_look.py and tests/test_site_search.py.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from support import assert_ok, build, chromium_browser, copy_kb, example_site, serve, watched_page

MATERIAL = Path(str(files("material") / "templates"))
OUR_COPY = Path(
    str(files("generator") / "templates" / "site" / "theme" / "pagefind" / "partials" / "material-config.html")
)
# The lines of Material's block that ours leaves out, exactly (the worker's file name carries a content hash).
LEFT_OUT = [
    re.compile(re.escape(f'"search.result.{key}": lang.t("search.result.{key}"),'))
    for key in ("placeholder", "none", "one", "other", "more.one", "more.other", "term.missing")
] + [re.compile(r'"search": "assets/javascripts/workers/search\.[0-9a-f]+\.min\.js" \| url,')]
SEARCH_TRANSLATION = re.compile(r"search\.result\.[\w.]+")
CONFIG_SCRIPT = re.compile(r'<script id="?__config"? type="?application/json"?>(.*?)</script>', re.S)
POSTMORTEM, GUIDE, RUNBOOK = "incidents/INC-2026-005/", "writing-records/", "runbooks/search/"


def materials_block() -> str:
    """The body of `{% block config %}` in Material's base.html, dedented."""
    base = (MATERIAL / "base.html").read_text(encoding="utf-8")
    found = re.search(r"\{% block config %\}\n(.*?)\n *\{% endblock %\}", base, re.S)
    assert found, "Material's base.html has no {% block config %}"
    return textwrap.dedent(found.group(1))


def our_block() -> str:
    """Our copy without its opening comment."""
    text = OUR_COPY.read_text(encoding="utf-8")
    assert text.startswith("{#-") and "-#}\n" in text, "the copy lost its opening comment"
    return text.split("-#}\n", 1)[1].rstrip("\n")


def without_the_search_lines(block: str) -> str:
    """Material's block minus the lines LEFT_OUT names; each must be there exactly once."""
    lines = block.splitlines()
    for pattern in LEFT_OUT:
        hits = [i for i, line in enumerate(lines) if pattern.fullmatch(line.strip())]
        assert len(hits) == 1, f"Material's block has {len(hits)} lines like {pattern.pattern}"
        del lines[hits[0]]
    return "\n".join(lines)


def config_of(html: str) -> dict[str, Any]:
    found = CONFIG_SCRIPT.findall(html)
    assert len(found) == 1, f"{len(found)} __config scripts"
    return dict(json.loads(found[0]))


def without_materials_search(config: dict[str, Any]) -> dict[str, Any]:
    translations = {k: v for k, v in config["translations"].items() if not SEARCH_TRANSLATION.fullmatch(k)}
    return {**{k: v for k, v in config.items() if k != "search"}, "translations": translations}


def pages_of(site: Path) -> list[Path]:
    return sorted(page.relative_to(site) for page in site.rglob("*.html"))


# --- the copy -----------------------------------------------------------------------------------------------


def test_the_copy_is_materials_block_without_the_search_lines() -> None:
    assert our_block() == without_the_search_lines(materials_block())


def test_the_copy_keeps_every_translation_materials_script_reads_outside_its_search() -> None:
    """The translation keys named in Material's script (bundle.*.min.js), but its search's, are the copy's."""
    (bundle,) = (MATERIAL / "assets" / "javascripts").glob("bundle.*.min.js")
    named = set(re.findall(r'"((?:clipboard|search|select)\.[\w.]+)"', bundle.read_text(encoding="utf-8")))
    named -= {"search.highlight", "search.share", "search.suggest"}  # feature flags, not translations
    kept = set(re.findall(r'"([\w.]+)": lang\.t\(', our_block()))
    assert {key for key in named if not SEARCH_TRANSLATION.fullmatch(key)} == kept
    assert named - kept == {key for key in named if SEARCH_TRANSLATION.fullmatch(key)} != set()


# --- the built sites ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return example_site(tmp_path_factory)


@pytest.fixture(scope="module")
def material_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example knowledge base built with Material's own search (the plugin's `search: material`)."""
    base = tmp_path_factory.mktemp("material-search")
    kb = copy_kb(base / "kb")
    settings = kb / "mkdocs.yml"
    text = settings.read_text(encoding="utf-8")
    assert text.count("\n  - incidentkb\n") == 1, "mkdocs.yml no longer lists the plugin as `  - incidentkb`"
    settings.write_text(text.replace("\n  - incidentkb\n", "\n  - incidentkb:\n      search: material\n"))
    site = base / "site"
    assert_ok(build(kb, site))
    return site


def test_every_page_carries_materials_configuration_without_its_search(
    example: tuple[Path, Path], material_site: Path
) -> None:
    _, site = example
    pages = pages_of(site)
    assert len(pages) > 100 and pages == pages_of(material_site)
    for page in pages:
        ours = config_of((site / page).read_text(encoding="utf-8"))
        materials = config_of((material_site / page).read_text(encoding="utf-8"))
        assert ours == without_materials_search(materials), page
        assert "search" not in ours and not any(SEARCH_TRANSLATION.fullmatch(key) for key in ours["translations"])


def test_with_materials_search_the_configuration_is_materials_whole_one(material_site: Path) -> None:
    """Every key of Material's block, the worker (a file of the site) and every translation."""
    block = materials_block()
    keys = set(re.findall(r'^ *"(\w+)": ', block, re.M))
    translations = set(re.findall(r'"([\w.]+)": lang\.t\(', block))
    for page in pages_of(material_site):
        config = config_of((material_site / page).read_text(encoding="utf-8"))
        assert set(config) == keys and set(config["translations"]) == translations, page
        # The 404 page, served at any depth, names it from the site's root.
        folder = material_site if config["search"].startswith("/") else (material_site / page).parent
        assert (folder / config["search"].lstrip("/")).resolve().is_file(), (page, config["search"])


# --- in Chromium --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium_browser() as launched:
        yield launched


@pytest.fixture(scope="module")
def base_url(example: tuple[Path, Path]) -> Iterator[str]:
    with serve(example[1]) as base:
        yield base


def test_pages_log_no_error_and_never_fetch_materials_search(browser: Any, base_url: str) -> None:
    for path in (POSTMORTEM, GUIDE, RUNBOOK):
        context = browser.new_context()
        page, watch = watched_page(context)
        page.goto(base_url + path, wait_until="networkidle")
        page.locator("[data-ikb-search-query]").click()  # Pagefind's box opens: Material leaves it alone
        page.wait_for_function("() => document.getElementById('__search').checked")
        assert watch.console_errors == [] and watch.page_errors == [] and watch.failed == [], (path, watch)
        assert not [url for url in watch.requests if "workers/search" in url or "search_index" in url], path
        context.close()


def test_the_copy_button_copies_and_says_copied(browser: Any, base_url: str) -> None:
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url.rstrip("/"))
    page, watch = watched_page(context)
    page.goto(base_url + RUNBOOK, wait_until="networkidle")
    block = page.locator("div.ikb-command").first
    command = block.locator("code").inner_text()
    block.hover()
    button = block.locator("button.md-code__button[data-md-type=copy], button.md-clipboard").first
    assert button.get_attribute("title") == "Copy to clipboard"
    button.click()
    dialog = page.locator("[data-md-component=dialog]")
    dialog.get_by_text("Copied to clipboard", exact=True).wait_for(state="visible")
    page.wait_for_function("() => document.hasFocus()")
    assert page.evaluate("() => navigator.clipboard.readText()") == command.strip() != ""
    assert watch.console_errors == [] and watch.page_errors == [], watch
    context.close()


def test_back_to_top_appears_after_scrolling(browser: Any, base_url: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 700})
    page, watch = watched_page(context)
    page.goto(base_url + POSTMORTEM, wait_until="networkidle")
    top = page.locator(".md-top")  # Material fades it in and out with its `hidden` attribute
    assert top.get_attribute("hidden") is not None
    page.mouse.wheel(0, 3000)
    page.wait_for_function("() => window.scrollY > 1000")
    page.mouse.wheel(0, -300)  # Material shows it when the reader turns back up
    page.wait_for_function("() => !document.querySelector('.md-top').hasAttribute('hidden')")
    assert top.inner_text().strip() == "Back to top"
    top.click()
    page.wait_for_function("() => window.scrollY === 0")
    assert watch.console_errors == [] and watch.page_errors == [], watch
    context.close()


def test_with_materials_search_its_search_finds_pages(browser: Any, material_site: Path) -> None:
    with serve(material_site) as base:
        context = browser.new_context()
        page, watch = watched_page(context)
        page.goto(base + POSTMORTEM, wait_until="networkidle")
        query = page.locator("[data-md-component=search-query]")
        query.click()
        query.press_sequentially("checkout")  # Material reads the query on keyup
        page.locator(".md-search-result__item").first.wait_for(state="visible")
        meta = page.locator(".md-search-result__meta").inner_text()
        assert re.fullmatch(r"\d+ matching documents", meta.strip()), meta
        assert any("workers/search." in url for url in watch.requests), "Material's search worker was not loaded"
        assert watch.console_errors == [] and watch.page_errors == [] and watch.failed == [], watch
        context.close()
