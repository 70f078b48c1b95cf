"""`incidentkb serve`'s fast path: build again only the pages an edit changed, into the site being served.

A full build (generator/parallel_build.py) leaves its configuration, files, navigation, theme environment and
pages in this process (IncrementalSite). When the generated pages change, only those whose content differs are
read and written again with that same state, the search plugin's entries of each page are replaced, and its
index is written again: the site is then what a full build of those pages makes (tests/test_preview_incremental.py
compares every file). When that cannot hold, update() says so and the caller builds in full: a page added or
removed (the navigation and the sitemap list them), or a page of the navigation whose title changed (every page's
sidebar shows it).

Before the whole knowledge base is generated again, quick_pages() renders what one edited record's own pages
are from that record alone and the last generation's model: its post-mortem and charts, and the incident list
of its month. serve shows those within a second or two; the regeneration that follows corrects anything else
the edit touched (the lessons, metrics and home pages) and is the site's truth.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from mkdocs.commands import build as mkdocs_build
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.pages import Page

from generator.analyze.internal import incident_months
from generator.analyze.postmortems import postmortem_facts
from generator.findings import has_errors
from generator.knowledge_base import KnowledgeBase
from generator.model import Incident, incident_from
from generator.parallel_build import SEARCH_PLUGIN, Built, _qualified_name
from generator.render.markdown import markdown_environment
from generator.render.pages import render_postmortems
from generator.search_index import BUNDLE
from generator.site import GenerationCache
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

    @property
    def config(self) -> MkDocsConfig:
        return self.built.config

    def update(self, pages: Mapping[str, str]) -> list[str] | None:
        """Build the pages whose content differs from what the site shows, and write the search index again; the
        paths built, or None when only a full build can show `pages` (the site is then left for it to replace)."""
        if pages.keys() != self.pages.keys():
            return None
        changed = [path for path, text in pages.items() if self.pages[path] != text]
        if not self._build(changed, pages):
            return None
        if changed or self.search_stale:
            self._write_search_index()
        return changed

    def preview(self, pages: Mapping[str, str]) -> list[str]:
        """Build those of `pages` the site has and shows otherwise (the search index waits for update()); the
        paths built. A page the site does not have, or a nav title that would change, is left to update()."""
        changed = [path for path, text in pages.items() if path in self.pages and self.pages[path] != text]
        for path in changed:
            file = self.built.files.get_file_from_path(path)
            if file is not None and file.page is not None and id(file.page) in self._in_nav:
                return []  # its title may be in every page's sidebar
        if not self._build(changed, pages):
            return []
        self.search_stale = self.search_stale or bool(changed)
        return changed

    def finish(self) -> None:
        """What the incidentkb plugin does after a build, on the whole site (the Pagefind index, if it is the
        search): slow on a large site, so serve runs it after the pages are shown (a full build runs it inside)."""
        plugin = self.config.plugins.get("incidentkb")
        on_post_build = getattr(plugin, "on_post_build", None)
        if on_post_build is None:
            return
        bundle = self.site_dir / BUNDLE
        old = self.site_dir / ".incidentkb-bundle-old"
        if bundle.is_dir():
            shutil.rmtree(old, ignore_errors=True)
            bundle.rename(old)  # Pagefind adds to a bundle; a full build starts without one
        try:
            on_post_build(config=self.config)
        finally:
            shutil.rmtree(old, ignore_errors=True)

    def _build(self, paths: Sequence[str], pages: Mapping[str, str]) -> bool:
        """Read and write `paths` again with their new content (`pages`); False if a nav page's title changed."""
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
        for page in documents:
            title = page.title if id(page) in self._in_nav else None
            _reset(page)
            mkdocs_build._populate_page(page, built.config, built.files)
            if title is not None and page.title != title:
                return False
        index = _search_index(built.config)
        for page in documents:
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


def quick_pages(cache: GenerationCache, kb: KnowledgeBase, changed: Iterable[Path], cutoff: datetime) -> dict[str, str]:
    """The post-mortem, charts and month list of each changed incident file that passes its own checks, from that
    file and the last generation's model (a record that is new, removed or invalid gets none: the regeneration
    shows it). What a check that spans files (ids, the services) would say is left to that regeneration."""
    context, model = cache.checks.context, cache.model
    if context is None or model is None:
        return {}
    by_source = {incident.source: position for position, incident in enumerate(model.incidents)}
    incidents = list(model.incidents)
    edited: list[Incident] = []
    months_before: set[str] = set()  # where the edited incidents were listed: a new start moves one
    for path in changed:
        shown = kb.display(path)
        if shown not in by_source or not path.is_file():
            continue
        checked = check_incident_file(path, kb, context)
        if has_errors(checked.findings) or len(checked.records) != 1:
            continue
        record = checked.records[0]
        incident = incident_from(record.data, record.path)
        months_before.update(m.month for m in incident_months([incidents[by_source[shown]]]))
        incidents[by_source[shown]] = incident
        edited.append(incident)
    if not edited:
        return {}
    pages = render_postmortems((postmortem_facts(incident, cutoff) for incident in edited), cutoff)
    incidents.sort(key=lambda i: i.sort_key)
    ids = {incident.id for incident in edited}
    template = markdown_environment().get_template("site/incidents-month.md.j2")
    for month in incident_months(incidents):
        if month.month in months_before or any(incident.id in ids for incident in month.incidents):
            pages[f"incidents/{month.month}.md"] = template.render(month=month.month, incidents=month.incidents)
    return pages
