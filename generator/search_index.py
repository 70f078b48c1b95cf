"""Publish: the internal site's full-text search index, made by Pagefind from the built HTML.

Pagefind (`pagefind[bin]` on PyPI: the Python package ships the binary) reads the site's HTML and writes
`pagefind/` into it: a WebAssembly search, an index split into chunks by word, and one fragment per page. A query
fetches only the chunks of its words and the fragments of the results it shows, so what a search costs does not
grow with the site, as Material's search (one index of every page, fetched whole before the first result) does.

Which pages are indexed, and with which filters, is decided here (`page_search`) and written into each page by
the theme (templates/site/theme/main.html: data-pagefind-body and data-pagefind-filter); `index_site` runs the
indexer on a built site, before the site goes live (the incidentkb plugin calls it in on_post_build, when the
site is still the build's staging folder, so a failed index fails the build and no site goes live without one).
The binary is pagefind[bin]'s unless PAGEFIND_BINARY_PATH names another (a newer release: Pagefind 1.6's search
runs a common word on 10,000 pages several times faster than 1.5's, and only npm has it so far).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.findings import BuildError

BUNDLE = "pagefind"  # the index's folder inside the site
# Boilerplate inside an indexed page's content: heading permalinks (¶) and Material's code-copy buttons.
IGNORED = ".headerlink, .md-clipboard, .md-source-file"
_UNUSED_BUNDLE_FILES = ("pagefind-ui.*", "pagefind-modular-ui.*", "pagefind-component-ui.*", "pagefind-highlight.js")
_INDEX_TIMEOUT_SECONDS = 1800  # 10,000 incidents take about a minute; a hung indexer must not hang the build

# Where the generated pages that are searched live, and what they are called in the `section` filter. Lists and
# tables of other pages (incident and month lists, the tracker, metrics, reports, the home page) only repeat
# the titles of post-mortems, so they are left out: a search lists each incident once, by its own page.
POSTMORTEM = re.compile(r"incidents/(INC-(\d{4})-\d+)\.md")
RUNBOOK = re.compile(r"runbooks/(?!index\.md$)[^/]+\.md")
LESSONS = re.compile(r"lessons/.+\.md")


@dataclass(frozen=True)
class PageSearch:
    """How one page is indexed: its filters (name -> values) and, for a post-mortem, its incident id."""

    filters: dict[str, list[str]]
    incident_id: str | None = None


def page_search(path: str, meta: dict[str, Any], *, generated: bool) -> PageSearch | None:
    """How the page at `path` (its source path, e.g. incidents/INC-2026-005.md) with front matter `meta` is
    indexed, or None if it is not. Authored pages (the guide) are searched too."""
    if not generated:
        return PageSearch({"section": ["Guide"]})
    if match := POSTMORTEM.fullmatch(path):
        filters = {
            "section": ["Post-mortem"],
            "service": _values(meta.get("service")),
            "severity": [_label(meta.get("severity")) or "not assessed"],
            "kind": _values(meta.get("kind")),
            "year": [match.group(2)],
            "tag": _values(meta.get("tags")),
        }
        return PageSearch({k: v for k, v in filters.items() if v}, incident_id=match.group(1))
    if RUNBOOK.fullmatch(path):
        filters = {"section": ["Runbook"], "service": _values(meta.get("service")), "tag": _values(meta.get("tags"))}
        return PageSearch({k: v for k, v in filters.items() if v})
    if LESSONS.fullmatch(path):
        return PageSearch({"section": ["Lessons"]})
    return None


def _values(value: object) -> list[str]:
    items = value if isinstance(value, list | tuple) else [] if value is None else [value]
    return [label for item in items if (label := _label(item))]


def _label(value: object) -> str:
    return "" if value is None else str(value).replace("_", " ").strip()


@dataclass(frozen=True)
class IndexSummary:
    pages: int  # how many pages Pagefind indexed
    bytes: int  # the size of the bundle folder
    files: int
    version: str  # the Pagefind that made it, as it names itself ("v1.6.0 (Extended)")


def index_site(site_dir: Path) -> IndexSummary:
    """Index the built site in `site_dir` (into site_dir/pagefind). BuildError, with Pagefind's own message, if the
    indexer is missing, fails, or indexes no page (the theme then did not mark any, and search would be empty)."""
    executable = _executable()
    # Inside the site: a build that is killed meanwhile throws it away with its staging folder. The new bundle is
    # made beside the old one, which `incidentkb serve` goes on serving until the new one takes its place.
    with tempfile.TemporaryDirectory(prefix=_SCRATCH, dir=site_dir) as scratch:
        if not _copy_searched_pages(site_dir, Path(scratch)):
            raise BuildError(f"the search index (Pagefind): no page of {site_dir} is marked data-pagefind-body")
        output = _run_indexer(executable, Path(scratch) / "pages", Path(scratch) / BUNDLE)
        _replace_folder(site_dir / BUNDLE, Path(scratch) / BUNDLE)
    pages = _indexed_pages(output)
    if not pages:
        raise BuildError(f"the search index (Pagefind) indexed no page of {site_dir}:\n{output.strip()[-2000:]}")
    bundle = [p for p in (site_dir / BUNDLE).rglob("*") if p.is_file()]
    running = _RUNNING.search(output)
    version = running.group(1) if running else "of unknown version"
    return IndexSummary(pages=pages, bytes=sum(p.stat().st_size for p in bundle), files=len(bundle), version=version)


# The minified HTML leaves out optional end tags (</td>, </li>, </p>) and the spaces between cells, and Pagefind
# ends a word only at an end tag or a space: "SEV2<td>resolved" would be one word. The indexer reads a copy with
# a space before each such opening tag; the site keeps its smaller pages.
_SCRATCH = ".search-copy-"
_BLOCK_START = re.compile(r"<(?=(?:td|th|tr|li|dt|dd|p|h[1-6]|div|section|figcaption|caption)[\s>])")
# The copy starts at the searched element: Pagefind reads nothing before it (the head, the header, the navigation:
# more than half of a page's bytes), so it parses less and the copy is smaller. The rest of the page stays, closing
# tags and all, so that the element ends where it did.
_HTML_START = re.compile(r"<html\b[^>]*>", re.IGNORECASE)
_SEARCHED = "data-pagefind-body"
_OPEN_TAG_SO_FAR = re.compile(r"<[a-zA-Z][\w-]*\s[^<>]*\Z")  # from a tag's "<" up to one of its attributes


def _replace_folder(target: Path, new: Path) -> None:
    """Put the folder `new` at `target`: the old one (if any) is renamed away first and removed after, so a reader
    finds one or the other but for the instant between two renames."""
    old = target.with_name(f"{_SCRATCH}old-{target.name}")
    if target.exists():
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def _copy_searched_pages(site_dir: Path, scratch: Path) -> int:
    """Copy the pages the theme marked for search into `scratch`/pages, from the searched element on and spaced as
    _BLOCK_START says; how many."""
    copied = 0
    for folder, subfolders, names in os.walk(site_dir):
        subfolders[:] = [s for s in subfolders if not s.startswith(_SCRATCH)]
        for name in names:
            if not name.endswith(".html"):
                continue
            source = Path(folder) / name
            text = source.read_text(encoding="utf-8")
            if _SEARCHED not in text:
                continue
            target = scratch / "pages" / source.relative_to(site_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(_searched_part(text), encoding="utf-8")
            copied += 1
    return copied


def _searched_part(page: str) -> str:
    """What the indexer reads of `page`: its <html> tag and, inside a <body>, the page from the searched element
    on, spaced. The whole page, spaced, if no such element is found (Pagefind then decides what it indexes)."""
    start = _searched_start(page)
    if start is None:
        return _BLOCK_START.sub(" <", page)
    html = _HTML_START.search(page, 0, start)
    return f"{html.group(0) if html else '<html>'}<body>{_BLOCK_START.sub(' <', page[start:])}"


def _searched_start(page: str) -> int | None:
    """Where the first tag that seems to have the data-pagefind-body attribute starts. The words in a text are
    not taken for it; in an attribute value they are, and the copy then starts earlier than it could (Pagefind
    still indexes only the element): it never starts after the element. A find, not a regular expression over the
    page: this runs on every page of the site."""
    at = page.find(_SEARCHED)
    while at != -1:
        tag = page.rfind("<", 0, at)
        ends_name = page[at + len(_SEARCHED) : at + len(_SEARCHED) + 1] in (" ", "\t", "\n", ">", "=", "/")
        if tag != -1 and ends_name and page[at - 1] in " \t\n\"'" and _OPEN_TAG_SO_FAR.match(page, tag, at):
            return tag
        at = page.find(_SEARCHED, at + 1)
    return None


def _run_indexer(executable: Path, pages: Path, bundle: Path) -> str:
    """Run Pagefind on `pages`, writing its bundle to `bundle`; its standard output."""
    command = [
        str(executable),
        "--site",
        str(pages),
        "--output-path",
        str(bundle),
        "--exclude-selectors",
        IGNORED,
        "--force-language",
        "en",  # one index for the whole site, whatever a page's lang attribute says
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=_INDEX_TIMEOUT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BuildError(f"the search index (Pagefind) could not be built in {bundle}: {exc}") from None
    if done.returncode != 0:
        said = (done.stderr.strip() or done.stdout.strip())[-2000:]
        raise BuildError(f"the search index (Pagefind) failed (exit {done.returncode}): {said}")
    for unused in _UNUSED_BUNDLE_FILES:  # Pagefind's own search interfaces: the site has its own (search.js)
        for path in bundle.glob(unused):
            path.unlink()
    return done.stdout


# Where a Pagefind binary other than pagefind[bin]'s is (a newer release, say): the variable Pagefind's own Python
# API reads.
BINARY_VARIABLE = "PAGEFIND_BINARY_PATH"


# Pagefind 1.6 from npm (tools/pagefind: `npm ci --prefix tools/pagefind`, which the README's commands run), beside
# this package in a checkout of incidentkb. Its search of a word found on thousands of pages is five to nine times
# faster than 1.5's (benchmarks/bench_search.py); PyPI's pagefind[bin], the fallback, stops at 1.5.2.
NPM_PAGEFIND = Path(__file__).resolve().parent.parent / "tools" / "pagefind" / "node_modules" / "@pagefind"


def _executable() -> Path:
    if chosen := os.environ.get(BINARY_VARIABLE):
        if not os.access(chosen, os.X_OK) or not Path(chosen).is_file():
            raise BuildError(f"the search index: {BINARY_VARIABLE}={chosen} is not an executable file")
        return Path(chosen)
    if npm := npm_executable():
        return npm
    try:
        from pagefind_bin import get_executable  # type: ignore[import-untyped]
    except ImportError:
        raise BuildError("the search index needs Pagefind: pip install 'pagefind[bin]'") from None
    try:
        return Path(get_executable())
    except FileNotFoundError as exc:
        raise BuildError(f"the search index needs Pagefind's binary: {exc}") from None


def npm_executable() -> Path | None:
    """The binary of the npm install of Pagefind in tools/pagefind, if there is one for this platform."""
    for name in ("pagefind", "pagefind_extended"):  # the npm package ships only the extended build on some platforms
        for binary in sorted(NPM_PAGEFIND.glob(f"*/bin/{name}")):
            if binary.is_file() and os.access(binary, os.X_OK):
                return binary
    return None


_RUNNING = re.compile(r"Running Pagefind (v\S+(?: \(\w+\))?)")
_INDEXED = re.compile(r"Indexed (\d+) pages?")


def _indexed_pages(output: str) -> int:
    """The page count Pagefind prints ("Indexed 42 pages")."""
    match = _INDEXED.search(output)
    return int(match.group(1)) if match else 0
