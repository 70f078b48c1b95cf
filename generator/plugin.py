"""The thin MkDocs adapter: adds the generated pages to the build; during `serve`, watches the records and shows
their findings on every page while they are invalid (see Preview)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, Template
from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel

from generator.findings import BuildError, Finding, InvalidRecordsError, Severity, format_text, has_errors
from generator.plain_text import PlainTextExtension
from generator.search_index import index_site, page_search
from generator.theme_icons import ICONS_FILE, Icon, icons_file, read_icons, shared_icons, theme_icon_names

log = get_plugin_logger(__name__)
# The sections of a post-mortem that Material's search skips carry this attribute (templates/site/postmortem.md.j2);
# with Pagefind it means nothing, and 10,000 post-mortems would carry 4 MB of it.
_SEARCH_EXCLUDE_MARK = re.compile(r' data-search-exclude(?:="[^"]*")?(?=[ >])')

# Pages reached from index pages rather than the sidebar: a sidebar of thousands of incidents makes every page
# carry the whole navigation, so the site would grow with the square of the number of incidents.
DETAIL_PREFIXES = ("incidents/", "runbooks/", "lessons/", "reports/", "assets/")


SEARCH_ENGINES = ("pagefind", "material")


class IncidentKBConfig(Config):
    root = c.Optional(c.Type(str))  # the knowledge base folder; default: the folder of mkdocs.yml
    # RFC 3339 cut-off for ongoing incidents; default: now. Unquoted in mkdocs.yml, YAML reads it as a datetime.
    as_of = c.Optional(c.Type((str, datetime)))  # type: ignore[arg-type]
    # pagefind: every word of the post-mortems, runbooks, lessons and guide pages, searched with Pagefind (its
    # index is made after the build, generator/search_index.py). material: Material's own search, which indexes
    # only the titles and summaries of post-mortems (kept for comparison: benchmarks/bench_search.py).
    search = c.Choice(SEARCH_ENGINES, default="pagefind")


@dataclass
class Preview:
    """What `incidentkb serve` keeps from one build to the next. With it, invalid records do not fail the build:
    the site keeps the generated pages of the last valid knowledge base (before there was one, the home page says
    so), and every page shows the findings above its content."""

    pages: dict[str, str] | None = None  # the generated pages of the last valid knowledge base
    findings: list[Finding] = field(default_factory=list)  # the latest generation's: its errors, or its warnings

    @property
    def invalid(self) -> bool:
        return has_errors(self.findings)


class IncidentKBPlugin(BasePlugin[IncidentKBConfig]):
    """Generates the pages itself (`mkdocs build`, `incidentkb serve`) unless it is handed them (use_pages)."""

    def __init__(self) -> None:
        super().__init__()
        self.supplied_pages: dict[str, str] | None = None  # the pages to build instead of generating them
        self.preview: Preview | None = None  # what `incidentkb serve` keeps between builds
        self._held: tuple[Any, str] | None = None  # a page and the tail it lends (see _show_search_its_part)
        self._icons: list[Icon] = []  # the theme's icons, which pages refer to in assets/icons.svg (theme_icons.py)

    def use_pages(self, pages: Mapping[str, str]) -> None:
        """Build these generated pages instead of generating them: `incidentkb build` has done so already."""
        self.supplied_pages = dict(pages)

    def use_preview(self, preview: Preview) -> None:
        """Build as the live preview of `incidentkb serve` (generator/serve.py), which keeps `preview` between
        builds: invalid records then show their findings instead of failing the build."""
        self.preview = preview

    def on_config(self, config: Any, /) -> Any:
        self.cut_off()  # a bad setting is a configuration error now, not a traceback in the middle of the build
        root = self._root(config)
        if not ((root / "incidents").is_dir() or (root / "services").is_dir()):
            raise PluginError(
                f"incidentkb: root {root} is not a knowledge base (it holds neither incidents/ nor services/)"
            )
        # Python-Markdown then skips its inline patterns on text that holds none of their characters: the same
        # HTML, a quarter sooner (most cells of a post-mortem are times, durations and plain sentences).
        config.markdown_extensions.append(PlainTextExtension())
        if STYLE_SHEET not in config.extra_css:
            config.extra_css.append(STYLE_SHEET)  # the uptime strips of the monthly reports
        add_site_theme(config, pagefind=self.config.search == "pagefind")
        return config

    def on_files(self, files: Files, /, *, config: Any) -> Files:
        pages = self.supplied_pages if self.supplied_pages is not None else self._generate(config)
        if self.preview is not None and self.preview.pages is None and files.get_file_from_path("index.md") is None:
            pages = {"index.md": NO_VALID_VERSION}  # the findings go above it, as above every page
        for path, content in pages.items():
            if files.get_file_from_path(path) is not None:
                raise PluginError(f"generated page {path} collides with an authored file in {config['docs_dir']}")
            inclusion = InclusionLevel.NOT_IN_NAV if _is_detail(path) else InclusionLevel.UNDEFINED
            files.append(File.generated(config, path, content=content, inclusion=inclusion))
        if files.get_file_from_path(STYLE_SHEET) is None:  # an authored one of that name is the knowledge base's own
            files.append(File.generated(config, STYLE_SHEET, content=STYLE_SHEET_TEXT))
        self._icons = read_icons(theme_icon_names(config.theme), config.theme.dirs)
        if self._icons and files.get_file_from_path(ICONS_FILE) is None:
            files.append(File.generated(config, ICONS_FILE, content=icons_file(self._icons)))
        else:
            self._icons = []  # an authored assets/icons.svg is the knowledge base's own: pages keep their icons
        return files

    # With Pagefind (the default), the theme marks what Pagefind indexes (main.html reads page.meta["pagefind"]) and
    # Material's search plugin skips the generated pages: their parse and their share of an index no one reads.
    # With `search: material`, the search plugin parses each page's HTML to index its sections. A post-mortem
    # indexes only its title and summary and marks every later section data-search-exclude, yet those sections are
    # five sixths of its HTML: the search plugin is shown only the part it indexes, and the page gets the rest back
    # before its template is rendered. The index is the same (tests/test_parallel_build.py compares both).
    # Generated pages only, whose headings are all top-level (a heading nested in a block would send later text
    # back to an earlier section).
    @event_priority(100)  # before the search plugin (0)
    def _show_search_its_part(self, context: Any, /, *, page: Any, config: Any, nav: Any) -> Any:
        generated = page.file.generated_by is not None
        if self.config.search == "pagefind":
            page.meta["pagefind"] = page_search(page.file.src_uri, page.meta, generated=generated)
            if generated:
                page.meta["search"] = {**(page.meta.get("search") or {}), "exclude": True}
                page.content = _SEARCH_EXCLUDE_MARK.sub("", page.content or "")  # marks for Material's search only
                return context
        cut = unsearched_tail(page.content or "") if generated else None
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

    # In a preview of invalid records, every page, the 404 page too, starts with the findings: `incidentkb serve`
    # adds them to each page as it sends it (generator/serve.py), so that the built site stays the last valid one.

    # Each page's copies of the theme's icons refer to assets/icons.svg instead (generator/theme_icons.py).
    def on_post_page(self, output: str, /, *, page: Any, config: Any) -> str:
        if page.url == "404.html":  # served at any depth, where its relative links would not hold
            return output
        return shared_icons(output, self._icons, page.url)

    # The site is still the build's staging folder here (generator/site.py): a failed index fails the build.
    def on_post_build(self, *, config: Any) -> None:
        if self.config.search != "pagefind":
            return
        try:
            summary = index_site(Path(config["site_dir"]))
        except BuildError as exc:
            raise PluginError(str(exc)) from None
        log.info("search: Pagefind %s indexed %d pages (%.1f MB)", summary.version, summary.pages, summary.bytes / 1e6)

    def on_serve(self, server: Any, /, *, config: Any, builder: Any) -> Any:
        from generator.settings import SETTINGS_FILE

        root = self._root(config)
        for name in ("incidents", "services", "schemas", SETTINGS_FILE):
            if (root / name).exists():
                server.watch(str(root / name))
        return server

    def cut_off(self) -> datetime:
        """The `as_of` setting (an RFC 3339 timestamp with an offset), or now."""
        if not self.config.as_of:
            return datetime.now(UTC)
        try:
            setting = self.config.as_of
            moment = setting if isinstance(setting, datetime) else datetime.fromisoformat(str(setting))
        except ValueError:
            raise PluginError(f"incidentkb: as_of {self.config.as_of!r} is not an RFC 3339 timestamp") from None
        if moment.tzinfo is None:
            raise PluginError(f"incidentkb: as_of '{moment.isoformat()}' needs an explicit offset, e.g. Z or +02:00")
        return moment

    def _root(self, config: Any) -> Path:
        return Path(self.config.root or Path(config["config_file_path"]).parent).resolve()

    def _generate(self, config: Any) -> dict[str, str]:
        from generator.site import generate_internal
        from generator.validate import KnowledgeBase

        as_of = self.cut_off()
        try:
            pages, warnings = generate_internal(KnowledgeBase(self._root(config)), as_of)
        except InvalidRecordsError as exc:
            if self.preview is None:
                raise PluginError(f"invalid records:\n{format_text(exc.findings)}") from None
            self.preview.findings = exc.findings
            return self.preview.pages or {}
        if self.preview is not None:
            self.preview.pages, self.preview.findings = pages, warnings  # `serve` prints them
            return pages
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


# The style sheet of the generated pages: the public site's theme folder holds the same file (mkdocs.yml.j2).
STYLE_SHEET = "assets/uptime.css"
STYLE_SHEET_TEXT = (files("generator") / "templates" / "public" / "theme" / STYLE_SHEET).read_text(encoding="utf-8")
NO_VALID_VERSION = (files("generator") / "templates" / "serve" / "no-valid-version.md").read_text(encoding="utf-8")
# Where the banner goes: at the start of the page's content, else at the top.
_OPENING = (re.compile(r"<article\b[^>]*>"), re.compile(r"<body\b[^>]*>"))


# The internal site's theme additions: templates/site/theme (main.html, assets/site.css, assets/site.js).
SITE_THEME = Path(str(files("generator") / "templates" / "site" / "theme"))
# With Pagefind, its search box replaces Material's (theme/pagefind/partials/search.html), with its own script and
# style sheet (theme/assets/search.*).
PAGEFIND_THEME = SITE_THEME / "pagefind"
PAGEFIND_ASSETS = ("assets/search.css", "assets/search.js")
SITE_STYLE_SHEET = "assets/site.css"
SITE_SCRIPT = "assets/site.js"  # labels table cells with their column headers (stacked tables on a phone)


def add_site_theme(config: Any, *, pagefind: bool = True) -> None:
    """Put the internal site's theme folder (and, with Pagefind, its search box) after the knowledge base's own
    custom_dir (its overrides still win) and before Material's, and its style sheet and script on every page. MkDocs
    copies the folders' assets into the site."""
    dirs = config.theme.dirs
    ours = [str(SITE_THEME), *([str(PAGEFIND_THEME)] if pagefind else [])]
    for position, folder in enumerate(ours, start=1 if config.theme.custom_dir else 0):
        if folder not in dirs:
            dirs.insert(position, folder)
    if SITE_STYLE_SHEET not in config.extra_css:
        config.extra_css.append(SITE_STYLE_SHEET)
    if SITE_SCRIPT not in map(str, config.extra_javascript):
        config.extra_javascript.append(SITE_SCRIPT)
    if pagefind:
        style, script = PAGEFIND_ASSETS
        if style not in config.extra_css:
            config.extra_css.append(style)
        if script not in map(str, config.extra_javascript):
            config.extra_javascript.append(script)


def findings_banner(findings: list[Finding], *, shown: bool) -> str:
    """The errors, `path:line:col: error[rule]: message`, as HTML (record text is escaped: it is untrusted)."""
    errors = [f for f in findings if f.severity is Severity.ERROR]
    return _banner_template().render(errors=errors, shown=shown)


@cache
def _banner_template() -> Template:
    environment = Environment(loader=PackageLoader("generator", "templates"), autoescape=True)
    return environment.get_template("serve/banner.html.j2")


def with_banner(page: str, banner: str) -> str:
    """`page` (HTML) with `banner` at the start of its content."""
    for opening in _OPENING:
        if match := opening.search(page):
            return page[: match.end()] + banner + page[match.end() :]
    return banner + page


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
