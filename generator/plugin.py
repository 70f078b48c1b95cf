"""The thin MkDocs adapter: adds the generated pages to the build and watches the records during `serve`."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel

from generator.findings import InvalidRecordsError, format_text
from generator.plain_text import PlainTextExtension

log = get_plugin_logger(__name__)

# Pages reached from index pages rather than the sidebar: a sidebar of thousands of incidents makes every page
# carry the whole navigation, so the site would grow with the square of the number of incidents.
IN_NAV_PREFIXES = ("index.md", "actions.md", "metrics.md")
DETAIL_PREFIXES = ("incidents/", "runbooks/", "lessons/", "reports/", "assets/")


class IncidentKBConfig(Config):
    root = c.Optional(c.Type(str))  # the knowledge base folder; default: the folder of mkdocs.yml
    as_of = c.Optional(c.Type(str))  # RFC 3339 cut-off for ongoing incidents; default: now


class IncidentKBPlugin(BasePlugin[IncidentKBConfig]):
    supplied_pages: dict[str, str] | None = None  # set by `incidentkb build`, which has generated them already

    def on_config(self, config: Any, /) -> Any:
        # Python-Markdown then skips its inline patterns on text that holds none of their characters: the same
        # HTML, a quarter sooner (most cells of a post-mortem are times, durations and plain sentences).
        config.markdown_extensions.append(PlainTextExtension())
        return config

    def on_files(self, files: Files, /, *, config: Any) -> Files:
        pages = self.supplied_pages if self.supplied_pages is not None else self._generate(config)
        for path, content in pages.items():
            if files.get_file_from_path(path) is not None:
                raise PluginError(f"generated page {path} collides with an authored file in {config['docs_dir']}")
            inclusion = InclusionLevel.NOT_IN_NAV if _is_detail(path) else InclusionLevel.UNDEFINED
            files.append(File.generated(config, path, content=content, inclusion=inclusion))
        return files

    # The search plugin parses each page's HTML to index its sections. A post-mortem indexes only its title and
    # summary and marks every later section data-search-exclude, yet those sections are five sixths of its HTML:
    # the search plugin is shown only the part it indexes, and the page gets the rest back before its template
    # is rendered. The index is the same (tests/test_site_build.py compares both). Generated pages only, whose
    # headings are all top-level (a heading nested in a block would send later text back to an earlier section).
    @event_priority(100)  # before the search plugin (0)
    def _show_search_its_part(self, context: Any, /, *, page: Any, config: Any, nav: Any) -> Any:
        cut = unsearched_tail(page.content or "") if page.file.generated_by else None
        if cut is not None:
            self._held = (page, page.content[cut:])
            page.content = page.content[:cut]
        return context

    @event_priority(-100)  # after it
    def _give_the_page_its_tail(self, context: Any, /, *, page: Any, config: Any, nav: Any) -> Any:
        held, self._held = self._held, None
        if held is not None and held[0] is page:
            page.content += held[1]
        return context

    on_page_context = CombinedEvent(_show_search_its_part, _give_the_page_its_tail)
    _held: tuple[Any, str] | None = None

    def on_serve(self, server: Any, /, *, config: Any, builder: Any) -> Any:
        root = self._root(config)
        for folder in ("incidents", "services", "schemas"):
            if (root / folder).is_dir():
                server.watch(str(root / folder))
        return server

    def _root(self, config: Any) -> Path:
        return Path(self.config.root or Path(config["config_file_path"]).parent).resolve()

    def _generate(self, config: Any) -> dict[str, str]:
        from generator.site import generate_internal
        from generator.validate import KnowledgeBase

        as_of = datetime.fromisoformat(self.config.as_of) if self.config.as_of else datetime.now(UTC)
        try:
            pages, warnings = generate_internal(KnowledgeBase(self._root(config)), as_of)
        except InvalidRecordsError as exc:
            raise PluginError(f"invalid records:\n{format_text(exc.findings)}") from None
        for finding in warnings:
            log.info(
                "%s:%d:%d: %s[%s]: %s",
                finding.path,
                finding.line,
                finding.column,
                finding.severity,
                finding.rule,
                finding.message,
            )
        return pages


_HEADING = re.compile(r"<h[1-6]\b[^>]*>")


def unsearched_tail(content: str) -> int | None:
    """Where the run of search-excluded sections that ends the page begins (None if the last section is indexed)."""
    cut = None
    for heading in _HEADING.finditer(content):
        excluded = "data-search-exclude" in heading.group(0)
        if not excluded:
            cut = None
        elif cut is None:
            cut = heading.start()
    return cut


def _is_detail(path: str) -> bool:
    return path.startswith(DETAIL_PREFIXES) and not path.endswith("/index.md")
