"""`incidentkb serve`'s fast path: build again only the pages an edit changed, into the site being served.

A full build (generator/parallel_build.py) leaves its configuration, files, navigation, theme environment and
pages in this process (IncrementalSite). When the generated pages change, only those whose content differs are
read and written again with that same state, the search plugin's entries of each page are replaced, and its
index is written again: the site is then what a full build of those pages makes (tests/test_preview_incremental.py
compares every file). When that cannot hold, update() says so and the caller builds in full: a page added or
removed (the navigation and the sitemap list them), or a page of the navigation whose title changed (every page's
sidebar shows it).

A page a preview builds whose source changed only in consecutive rows of one table (a lessons group listing
thousands of incidents, of which one was edited) is not read again whole: the new rows are rendered alone under
the table's header and their HTML replaces the old rows' HTML (_splice_rows). Such pages are provisional: update()
reads them in full, so the regeneration's site is made by MkDocs alone.

Before the whole knowledge base is generated again, QuickPreview renders what the edited records' own pages are
from those records alone and the last generation (its post-mortem and charts, the incident list of its month),
then the pages that summarise them from the last generation's analysis made again for the edit (home, runbooks,
incidents index, lessons, action items, metrics). serve shows those within a second or two; the regeneration
that follows is the site's truth (and makes the monthly reports).
"""

from __future__ import annotations

import copy
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from mkdocs.commands import build as mkdocs_build
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

from generator.analyze import lessons, runbooks
from generator.analyze.incremental import reanalyze
from generator.analyze.internal import InternalAnalysis, incident_months
from generator.analyze.postmortems import postmortem_facts
from generator.findings import has_errors
from generator.knowledge_base import KnowledgeBase
from generator.model import Incident, KnowledgeBaseModel, incident_from
from generator.parallel_build import SEARCH_PLUGIN, Built, _qualified_name
from generator.plain_text import PlainTextExtension
from generator.render.pages import GROUPS_LISTED_ELSEWHERE, group_page, month_pages, render_analysis, render_postmortems
from generator.rules import Context
from generator.site import Generation, GenerationCache, weights_by_level
from generator.validate import check_incident_file

SearchEntries = list[dict[str, Any]]


class IncrementalSite:
    """A site built in full, with what its build left (parallel_build.Built) and the generated pages it holds."""

    def __init__(self, built: Built, pages: Mapping[str, str]) -> None:
        self.built = built
        self.pages = dict(pages)  # the generated pages as the site shows them
        self.site_dir = Path(built.config.site_dir)
        self._in_nav = {id(page) for page in built.nav.pages}
        index = _search_index(built.config)
        self._entries: dict[str, SearchEntries] = {}  # page URL -> its search entries, in the order of the index
        for entry in index.entries if index is not None else []:
            self._entries.setdefault(entry["location"].split("#", 1)[0], []).append(entry)
        self.search_stale = False  # a page was built again since the search index was written
        self.unfinished = False  # a page was built again since finish() last began
        self._read_from = dict(pages)  # path -> the source its page's HTML was read from, where known
        self.provisional: set[str] = set()  # pages whose HTML a preview spliced: update() reads them in full
        self._splices = _splicing_allowed(built.config)

    @property
    def config(self) -> MkDocsConfig:
        return self.built.config

    def update(self, pages: Mapping[str, str]) -> list[str] | None:
        """Build the pages whose content differs from what the site shows, and write the search index again; the
        paths built, or None when only a full build can show `pages` (the site is then left for it to replace)."""
        if pages.keys() != self.pages.keys():
            return None
        changed = [path for path, text in pages.items() if self.pages[path] != text or path in self.provisional]
        if not self._build(changed, pages):
            return None
        if changed or self.search_stale:
            self._write_search_index()
        return changed

    def preview(self, pages: Mapping[str, str]) -> list[str]:
        """Build those of `pages` the site has and shows otherwise, one after another in their order (the search
        index waits for update()); the paths built. A page the site does not have, or a page of the navigation
        whose title it does not set (every page's sidebar shows that title), is left to update()."""
        changed = [path for path, text in pages.items() if path in self.pages and self.pages[path] != text]
        for path in changed:
            file = self.built.files.get_file_from_path(path)
            if file is not None and file.page is not None and self._title_from_content(file.page):
                return []
        if not self._build(changed, pages, splice=self._splices):
            return []
        self.search_stale = self.search_stale or bool(changed)
        return changed

    def finish(self) -> None:
        """What the incidentkb plugin does after a build, on the whole site (the Pagefind index, if it is the
        search): slow on a large site, so serve runs it after the pages are shown (a full build runs it inside)."""
        self.unfinished = False
        plugin = self.config.plugins.get("incidentkb")
        on_post_build = getattr(plugin, "on_post_build", None)
        if on_post_build is None:
            return
        on_post_build(config=self.config)  # the served bundle stays until the new one replaces it (index_site)

    def _build(self, paths: Sequence[str], pages: Mapping[str, str], *, splice: bool = False) -> bool:
        """Read and write `paths` again with their new content (`pages`), each page written as soon as it is read
        (a reader sees the first at once); False, with nothing written, if a nav page's title changed. With
        `splice`, a page whose source changed only in rows of a table gets those rows' HTML in place of the old
        rows' (_splice_rows): the pages that summarise an edit are large tables of which one row changed."""
        built = self.built
        documents: list[Page] = []
        for path in paths:
            file = built.files.get_file_from_path(path)
            if file is None:
                return False
            file.content_string = pages[path]
            if file.page is None:
                _write(file.abs_dest_path, pages[path].encode("utf-8"))  # a chart: copied as it is
            else:
                documents.append(file.page)
        read = set()
        for page in documents:  # first the pages whose title every sidebar shows and their content may change
            if self._title_from_content(page):
                title = page.title
                self._read(page)
                if page.title != title:
                    return False
                read.add(id(page))
        index = _search_index(built.config)
        for page in documents:
            if id(page) not in read and not (splice and self._splice(page)):
                self._read(page)
            kept = None if index is None else index.entries
            if index is not None:
                index.entries = []
            try:
                mkdocs_build._build_page(page, built.config, built.doc_files, built.nav, built.env)
            finally:
                if index is not None:
                    self._entries[page.url] = index.entries
                    index.entries = kept
        for page in documents:
            page.validate_anchor_links(files=built.files, log_level=built.config.validation.links.anchors)
        self.pages.update({path: pages[path] for path in paths})
        self.unfinished = self.unfinished or bool(paths)
        return True

    def _title_from_content(self, page: Page) -> bool:
        """Whether the page is in the navigation with a title its content gives (not one the nav sets)."""
        return id(page) in self._in_nav and "title" not in page.__dict__

    def _read(self, page: Page) -> None:
        """What MkDocs does to a page before writing it: its source read, its Markdown made HTML."""
        path = page.file.src_uri
        self._read_from.pop(path, None)  # unknown until it succeeds
        _reset(page)
        mkdocs_build._populate_page(page, self.built.config, self.built.files)
        self._read_from[path] = page.file.content_string
        self.provisional.discard(path)

    def _splice(self, page: Page) -> bool:
        """Make the page's HTML from its HTML before, where its source changed only in rows of a table: the new
        rows' HTML in place of the old rows'. False where that cannot be done (then it is read in full)."""
        path, source = page.file.src_uri, page.file.content_string
        before = self._read_from.get(path)
        if before is None or page.content is None:
            return False
        spliced = _splice_rows(page, before, source, self.built.config, self.built.files)
        if spliced is None:
            return False
        self._read_from.pop(path, None)
        page.read_source(self.built.config)  # its Markdown and front matter (unchanged: the rows are after it)
        page.content = spliced  # its table of contents, title and anchors are those of the rows around
        self._read_from[path] = source
        self.provisional.add(path)
        return True

    def _write_search_index(self) -> None:
        """search/search_index.json as the search plugin writes it, from every page's entries in page order."""
        index = _search_index(self.config)
        if index is not None:
            index.entries = [
                entry
                for file in self.built.doc_files
                if file.page is not None
                for entry in self._entries.get(file.page.url, [])
            ]
            data = index.generate_search_index(None)
            _write(str(self.site_dir / "search" / "search_index.json"), data.encode("utf-8"))
        self.search_stale = False


# Python-Markdown extensions that make a table row's HTML from that row alone (its cells; no document-wide
# definitions such as abbreviations or footnotes), and MkDocs' defaults: only with these are rows spliced.
ROW_LOCAL_EXTENSIONS = frozenset(
    {
        "toc",  # headings only; its [TOC] marker is checked for (_TOC_MARKER)
        "tables",
        "fenced_code",
        "admonition",
        "attr_list",
        "pymdownx.escapeall",
        "pymdownx.superfences",
        "pymdownx.tabbed",
        "pymdownx.details",
    }
)
_READING_EVENTS = ("pre_page", "page_read_source", "page_markdown", "page_content")  # what _populate_page runs
_SEPARATOR = re.compile(r"^\|? *:?-+:? *(\| *:?-+:? *)*\|? *$")  # a table's header separator: |---|:--:|


def _splicing_allowed(config: MkDocsConfig) -> bool:
    """Whether a page's HTML can be spliced row by row: every Markdown extension is row-local, and no plugin
    takes part in reading a page (which splicing skips)."""
    for extension in config.markdown_extensions:
        name = extension if isinstance(extension, str) else _qualified_name(type(extension))
        if name not in ROW_LOCAL_EXTENSIONS and not isinstance(extension, PlainTextExtension):
            return False
    return not any(config.plugins.events[event] for event in _READING_EVENTS)


def _splice_rows(page: Page, before: str, after: str, config: MkDocsConfig, files: Files) -> str | None:
    """The page's HTML for the source `after`, from its HTML for `before`, when the two differ only in consecutive
    rows of one table: those rows rendered alone (under the table's header and separator, as the page would) in
    place of the old rows rendered alone, found once in the page's HTML. None when the change is anything else."""
    old, new = before.split("\n"), after.split("\n")
    region = _changed_rows(old, new)
    if region is None:
        return None
    header, old_rows, new_rows = region
    marker = (config.mdx_configs or {}).get("toc", {}).get("marker", "[TOC]")
    if marker and any(marker in row for row in (*old_rows, *new_rows)):
        return None  # the table of contents would be put there
    old_html, new_html = (_rows_html(page, header, rows, config, files) for rows in (old_rows, new_rows))
    content = page.content or ""
    if old_html is None or new_html is None or content.count(old_html) != 1:
        return None
    return content.replace(old_html, new_html)


def _changed_rows(old: list[str], new: list[str]) -> tuple[list[str], list[str], list[str]] | None:
    """(the table's header and separator, the old rows, the new rows) when `old` and `new` lines differ only in
    consecutive body rows of one table, preceded by a blank line (a block of its own) and after the front matter."""
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    end_old, end_new = len(old), len(new)
    while end_old > start and end_new > start and old[end_old - 1] == new[end_new - 1]:
        end_old, end_new = end_old - 1, end_new - 1
    if start == end_old == end_new:
        return None  # the same source
    first = start  # walk back to the table's header
    while first > 0 and old[first - 1].startswith("|"):
        first -= 1
    if start - first < 2 or (first > 0 and old[first - 1].strip()) or not _SEPARATOR.match(old[first + 1]):
        return None
    if start == first + 2 and (end_old == start or end_new == start):
        return None  # no row left to anchor an added or removed row
    if end_old == start or end_new == start:  # rows added or removed: the row before them anchors the change
        start -= 1
    old_rows, new_rows = old[start:end_old], new[start:end_new]
    if not all(line.startswith("|") for line in (*old_rows, *new_rows)):
        return None
    if _front_matter_end(old) > first:
        return None
    return old[first : first + 2], old_rows, new_rows


def _front_matter_end(lines: list[str]) -> int:
    """The index of the first line after a leading `---` front matter block (0 without one)."""
    if not lines or lines[0] != "---":
        return 0
    return next((index + 1 for index in range(1, len(lines)) if lines[index] in ("---", "...")), len(lines))


def _rows_html(page: Page, header: list[str], rows: list[str], config: MkDocsConfig, files: Files) -> str | None:
    """The HTML of table rows as MkDocs makes it on `page` (links relative to it), rendered as a table of their
    own under the table's header; None if they give no table, or any anchor (the page's anchors stay as read)."""
    alone = copy.copy(page)  # the page's file and URL, for its links; nothing of the page itself changes
    alone.markdown = "\n".join([*header, *rows])
    alone.render(config, files)
    html = alone.content or ""
    opening, closing = "<tbody>\n", "\n</tbody>\n</table>"
    if not (html.startswith("<table>") and html.endswith(closing) and html.count("<table") == 1):
        return None
    if alone.present_anchor_ids or alone.links_to_anchors:
        return None
    return html[html.index(opening) + len(opening) : -len(closing)]


def _reset(page: Page) -> None:
    """What reading a page sets, as a new Page has it: _populate_page reads it again from scratch."""
    page.markdown = None
    page.content = None
    page.toc = []  # type: ignore[assignment]
    page.meta = {}
    page._title_from_render = None  # a title given by the nav stays: Page.__init__ set it
    page.present_anchor_ids = None
    page.links_to_anchors = None


def _search_index(config: MkDocsConfig) -> Any:
    """The search plugin's index (its entries, one per section of every page), or None without that plugin."""
    for plugin in config.plugins.values():
        if _qualified_name(type(plugin)) == SEARCH_PLUGIN and plugin.config.enabled:
            return plugin.search_index  # type: ignore[attr-defined]
    return None


def _write(path: str, content: bytes) -> None:
    """Write a file of the served site by rename: no request reads it half-written."""
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    descriptor, scratch = tempfile.mkstemp(dir=folder, prefix=".incidentkb-")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(content)
        os.chmod(scratch, 0o644)
        os.replace(scratch, path)
    except BaseException:
        os.unlink(scratch)
        raise


class QuickPreview:
    """The edits `incidentkb serve` shows before the knowledge base is generated again: the last generation
    (site.Generation) with the Incidents of the edited records swapped in, each from its file and that file's own
    checks. record_pages() renders the edited records' post-mortems, charts and month lists; summary_pages() the
    pages that summarise them (home, incidents index, runbooks, lessons, action items, metrics), from the last
    generation's analysis made again for the edits (analyze/incremental.py). Both are what the next generation
    makes of those records, as of the same cut-off, unless a check that spans files (ids, services) finds
    something: that generation stays the site's truth. Edits a quick step cannot show (a record added, removed,
    invalid or given another id; a month or a lessons group gained or emptied) are left to it."""

    def __init__(self, cache: GenerationCache) -> None:
        self.cache = cache
        self._base: Generation | None = None  # the generation the edits are made to
        self._edited: dict[str, Incident] = {}  # source -> the record's Incident as edited since that generation
        self._blocked = False  # an edit only the next generation can show: no summary page until it has run
        self._shown: dict[str, tuple[int, int, int]] = {}  # source -> the stamp of the file its pages were made of

    def record_pages(self, kb: KnowledgeBase, changed: Iterable[Path]) -> dict[str, str]:
        """The post-mortem and charts of each changed incident file that passes its own checks, and the month lists
        that held or hold it."""
        generation = self._generation()
        context = self.cache.checks.context
        if generation is None or context is None:
            return {}
        by_source = {incident.source: incident for incident in generation.model.incidents}
        fresh: list[Incident] = []
        months_before: set[str] = set()  # where the site lists the edited incidents now: a new start moves one
        for path in changed:
            shown = kb.display(path)
            stamp = _stamp(path)
            if stamp is not None and self._shown.get(shown) == stamp:
                continue  # its pages are made of these very bytes already
            incident = self._checked(path, kb, context, by_source.get(shown))
            if incident is None:
                self._blocked = True
                continue
            before = self._edited.get(shown, by_source[shown])
            months_before.update(m.month for m in incident_months([before]))
            self._edited[shown] = incident
            if stamp is not None:
                self._shown[shown] = stamp
            fresh.append(incident)
        if not fresh:
            return {}
        cutoff = generation.cutoff
        pages = render_postmortems((postmortem_facts(incident, cutoff) for incident in fresh), cutoff)
        months = incident_months(self._model(generation).incidents)
        if {m.month for m in months} != {m.month for m in generation.analysis.months}:
            self._blocked = True  # a month gained or emptied: the index and its neighbours link other pages
            return pages
        ids = {incident.id for incident in fresh}
        wanted = {m.month for m in months if m.month in months_before or any(i.id in ids for i in m.incidents)}
        pages.update(month_pages(months, lambda path: path.removeprefix("incidents/").removesuffix(".md") in wanted))
        return pages

    def summary_pages(self) -> Iterator[dict[str, str]]:
        """The pages that summarise the edited records, in batches, those a reader looks at first first: the home
        page, the incidents index and the edited services' runbooks; the lessons pages; the runbooks index, the
        action items and the metrics. Nothing when an edit is one only a generation can show."""
        generation = self._generation()
        if generation is None or self._blocked or not self._edited:
            return
        by_source = {incident.source: incident for incident in generation.model.incidents}
        edits = [(by_source[source], incident) for source, incident in self._edited.items()]
        model = self._model(generation)
        settings = generation.settings
        availability = runbooks.recent_availability(
            model, generation.report_months, cutoff=generation.cutoff, tz=settings.zone, weights=settings.weights
        )
        analysis = reanalyze(generation.analysis, model, edits, availability)
        if _page_set(analysis) != _page_set(generation.analysis):
            return  # a lessons group or a month gained or emptied: pages to add or remove, for a full build
        weights = weights_by_level(settings)
        services = dict.fromkeys(service for old, new in edits for service in (*new.services, *old.services))
        first_view, *other_views = _lessons_pages(edits)
        for batch in (
            ["index.md", *(f"runbooks/{service}.md" for service in services), "incidents/index.md"],
            first_view,  # a batch of its own: the group pages that list the edited records, shown soonest
            [path for view in other_views for path in view] + ["lessons/index.md", "lessons/near-misses.md"],
            ["runbooks/index.md", "actions.md", "metrics.md"],
        ):
            pages = render_analysis(analysis, weights, set(batch))
            yield {path: pages[path] for path in sorted(pages, key=_in_order(batch))}

    def _generation(self) -> Generation | None:
        """The last generation; the edits are forgotten when a new one has been made (it holds them)."""
        last = self.cache.last
        if last is not self._base:
            self._base, self._edited, self._blocked, self._shown = last, {}, False, {}
        return last

    def _checked(self, path: Path, kb: KnowledgeBase, context: Context, before: Incident | None) -> Incident | None:
        """The Incident of an edited record, or None when a quick step cannot show it: new, removed, invalid by its
        own checks, or with another id."""
        if before is None or not path.is_file():
            return None
        checked = check_incident_file(path, kb, context)
        if has_errors(checked.findings) or len(checked.records) != 1:
            return None
        record = checked.records[0]
        incident = incident_from(record.data, record.path)
        return incident if incident.id == before.id else None

    def _model(self, generation: Generation) -> KnowledgeBaseModel:
        """The generation's model with the edited Incidents swapped in, sorted as build_model sorts."""
        incidents = [self._edited.get(incident.source, incident) for incident in generation.model.incidents]
        incidents.sort(key=lambda i: i.sort_key)
        return KnowledgeBaseModel(tuple(incidents), generation.model.services)


def _stamp(path: Path) -> tuple[int, int, int] | None:
    """The file's modification time, size and inode: any change of its content, or a new file put in its place."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


def _in_order(paths: Sequence[str]) -> Callable[[str], int]:
    """A sort key: the pages in the order of `paths`, anything else (a page's charts) before them."""
    rank = {path: index for index, path in enumerate(paths)}
    return lambda path: rank.get(path, -1)


def _lessons_pages(edits: Sequence[tuple[Incident, Incident]]) -> list[list[str]]:
    """The pages of each lessons view with pages of its own (render/pages.py group_page) that an edit can change:
    the page of every group the edited incidents were or are filed under, then the view's page."""
    views = []
    for slug, *_, keys_of in lessons.VIEW_DEFINITIONS:
        if slug in GROUPS_LISTED_ELSEWHERE:
            views.append([f"lessons/{slug}.md"])
            continue
        keys = dict.fromkeys(key for old, new in edits for key in (*keys_of(new), *keys_of(old)))
        views.append([*(f"lessons/{group_page(slug, key)}" for key in keys), f"lessons/{slug}.md"])
    views.sort(key=lambda pages: len(pages) == 1)  # views listed elsewhere (their page alone) last
    return views


def _page_set(analysis: InternalAnalysis) -> set[str]:
    """The pages of months and lessons groups an analysis makes (the others do not depend on the records)."""
    pages = {f"incidents/{m.month}.md" for m in analysis.months}
    for view in analysis.views:
        if view.slug not in GROUPS_LISTED_ELSEWHERE:
            pages.update(f"lessons/{group_page(view.slug, g.group.key)}" for g in view.groups)
    return pages
