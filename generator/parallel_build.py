"""MkDocs's build with the pages rendered and written on several CPUs.

`mkdocs.commands.build.build` renders one page after another: at 10,000 post-mortems that is four minutes on one
CPU while the others wait. This module runs the same steps in the same order (the plugin events, the static
files and templates, anchor validation, strict mode) and hands the two per-page loops, reading (Markdown to
HTML) and writing (theme template, plugins, file), to forked workers in contiguous chunks. What a page learns
while it is read comes back to the parent, as do the log records (so strict mode counts the workers' warnings)
and the search plugin's entries, which are merged in page order: the site is byte for byte what MkDocs builds.

A plugin that handles page events may keep state the parent never sees, so the pages go to workers only when
every such plugin is one this module knows; otherwise, or with one job, or where fork is unavailable, MkDocs
builds as usual. MkDocs is pinned below 2, whose 1.6 line no longer changes; tests compare both builds.
"""

from __future__ import annotations

import inspect
import logging
import pickle
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from mkdocs import utils
from mkdocs.commands import build as mkdocs_build
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import Abort, BuildError
from mkdocs.structure.files import File, Files, InclusionLevel, get_files, set_exclusions
from mkdocs.structure.nav import Navigation, get_navigation
from mkdocs.structure.pages import Page

from generator import workers

log = logging.getLogger("mkdocs.plugins.incidentkb")

CHUNK_PAGES = 200  # at most this many pages per task
CHUNKS_PER_JOB = 25  # tasks per worker: enough to even out their loads, few enough to keep pickling rare
PARALLEL_MIN_PAGES = 400  # below this, starting workers costs more than it saves
PAGE_EVENTS = ("pre_page", "page_read_source", "page_markdown", "page_content", "page_context", "post_page")
# Plugins whose page events keep no state between pages, or (search) only state that is merged back below.
SAFE_PLUGINS = frozenset(
    {
        "plugin generator.plugin.IncidentKBPlugin",
        "plugin material.plugins.search.plugin.SearchPlugin",
        "plugin mkdocs_minify_html_plugin.plugin.MinifyHtmlPlugin",
    }
)
SEARCH_PLUGIN = "material.plugins.search.plugin.SearchPlugin"


# The private parts of MkDocs and Material this module calls, with the parameters it passes: checked before
# each parallel build, so that a release that renames one makes the build serial instead of breaking it.
_PRIVATE_FUNCTIONS = {
    "_populate_page": ("page", "config", "files"),
    "_build_page": ("page", "config", "doc_files", "nav", "env"),
    "_build_theme_template": ("template_name", "env", "files", "config", "nav"),
    "_build_extra_template": ("template_name", "files", "config", "nav"),
}


def build(config: MkDocsConfig, jobs: int) -> None:
    """Build the site of `config` like `mkdocs build`, on up to `jobs` CPUs."""
    reason = serial_reason(config, jobs)
    if reason:
        # INFO when the user asked for workers and cannot have them; one job or a small site is no news.
        level = logging.DEBUG if jobs < 2 else logging.INFO
        log.log(level, "pages are built on one CPU: %s", reason)
        mkdocs_build.build(config)
        return
    _build_in_parallel(config, jobs)


def serial_reason(config: MkDocsConfig, jobs: int) -> str | None:
    """Why this build cannot use workers, or None when it can."""
    if jobs < 2:
        return "one job asked for"
    if not workers.can_fork():
        return "this platform cannot fork"
    if missing := missing_internals():
        return f"this MkDocs or Material lacks {', '.join(missing)}, which the parallel build uses"
    unknown = sorted(
        {
            name
            for event in PAGE_EVENTS
            for handler in config.plugins.events[event]
            if (name := handler_owner(handler)) not in SAFE_PLUGINS
        }
    )
    if unknown:
        return f"{', '.join(unknown)} handle(s) page events and may keep state between pages"
    return None


def handler_owner(handler: Callable[..., Any]) -> str:
    """The qualified name of what handles an event: a plugin's class, or the function of a hook module."""
    owner = getattr(handler, "__self__", None)
    if owner is not None:
        return f"plugin {_qualified_name(type(owner))}"
    return f"hook {getattr(handler, '__module__', '?')}.{getattr(handler, '__qualname__', repr(handler))}"


def missing_internals() -> list[str]:
    """The private MkDocs and Material names the parallel build relies on that this installation lacks."""
    missing = []
    for name, parameters in _PRIVATE_FUNCTIONS.items():
        function = getattr(mkdocs_build, name, None)
        if function is None or tuple(inspect.signature(function).parameters)[: len(parameters)] != parameters:
            missing.append(f"mkdocs.commands.build.{name}{parameters}")
    if "_title_from_render" not in Page.__init__.__code__.co_names:  # an attribute its __init__ sets
        missing.append("mkdocs.structure.pages.Page._title_from_render")
    try:
        from material.plugins.search.plugin import SearchIndex
    except ImportError:
        return missing
    if "entries" not in SearchIndex.__init__.__code__.co_names:
        missing.append("material.plugins.search.plugin.SearchIndex.entries")
    return missing


def _qualified_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


@dataclass
class Built:
    """What a full build leaves in this process: enough to build some of its pages again alone (generator/preview.py)
    with the same configuration, files, navigation and theme environment."""

    config: MkDocsConfig
    files: Files
    nav: Navigation
    env: Any
    doc_files: Sequence[File]


def build_keeping_state(config: MkDocsConfig, jobs: int) -> Built:
    """The build of `build`, always by this module's steps (in this process when one job or few pages), and what it
    leaves behind. The caller checks serial_reason first: pages that plugins handle with unknown state are not
    built here."""
    return _build_in_parallel(config, jobs)


def _build_in_parallel(config: MkDocsConfig, jobs: int) -> Built:
    """mkdocs.commands.build.build for a full build (not serve, not dirty), with both page loops in workers."""
    warning_counter = utils.CountHandler()
    warning_counter.setLevel(logging.WARNING)
    mkdocs_logger = logging.getLogger("mkdocs")
    if config.strict:
        mkdocs_logger.addHandler(warning_counter)
    try:
        config = config.plugins.on_config(config)
        config.plugins.on_pre_build(config=config)
        utils.clean_directory(config.site_dir)

        files = get_files(config)
        env = config.theme.get_env()
        files.add_files_from_theme(env, config)
        files = config.plugins.on_files(files, config=config)
        set_exclusions(files, config)
        nav = get_navigation(files, config)
        nav = config.plugins.on_nav(nav, config=config, files=files)

        _in_workers(
            jobs, _Shared(config, files, nav, None, [], _pages(files, config)), _source_size, _read_chunk, _apply_read
        )

        env = config.plugins.on_env(env, config=config, files=files)
        files.copy_static_files(inclusion=InclusionLevel.is_included)
        for template in config.theme.static_templates:
            mkdocs_build._build_theme_template(template, env, files, config, nav)
        for template in config.extra_templates:
            mkdocs_build._build_extra_template(template, files, config, nav)

        doc_files = files.documentation_pages(inclusion=InclusionLevel.is_included)
        written = [f.page for f in doc_files if f.page is not None]
        _in_workers(
            jobs, _Shared(config, files, nav, env, doc_files, written), _content_size, _write_chunk, _apply_written
        )

        for file in doc_files:
            assert file.page is not None
            file.page.validate_anchor_links(files=files, log_level=config.validation.links.anchors)
        config.plugins.on_post_build(config=config)
        if counts := warning_counter.get_counts():
            raise Abort(f"Aborted with {', '.join(f'{v} {k.lower()}s' for k, v in counts)} in strict mode!")
        return Built(config, files, nav, env, doc_files)
    except Exception as exc:
        config.plugins.on_build_error(error=exc)
        if isinstance(exc, BuildError):
            logging.getLogger("mkdocs.commands.build").error(str(exc))
            raise Abort("Aborted with a BuildError!") from None
        raise
    finally:
        mkdocs_logger.removeHandler(warning_counter)


def _pages(files: Files, config: MkDocsConfig) -> list[Page]:
    pages = []
    for file in files.documentation_pages(inclusion=InclusionLevel.is_included):
        if file.page is None and file.inclusion.is_not_in_nav():
            Page(None, file, config)  # as MkDocs does: a page outside the nav gets its Page here
        assert file.page is not None
        pages.append(file.page)
    return pages


def _source_size(page: Page) -> int:
    return len(page.file.content_string) if page.file.generated_by else 4096  # authored pages: few, not read twice


def _content_size(page: Page) -> int:
    return len(page.content or "")


# --- workers ------------------------------------------------------------------------------------------------


@dataclass
class _Shared:
    """What a chunk's work reads, as an argument: in this process, or in a worker that inherited it by fork (never
    pickled)."""

    config: MkDocsConfig
    files: Files
    nav: Navigation
    env: Any
    doc_files: Sequence[File]
    pages: Sequence[Page]  # the pages the workers' chunks index into


@dataclass
class _ChunkResult:
    records: list[logging.LogRecord]
    pages: list[dict[str, Any]]
    search_entries: list[dict[str, Any]]
    error: BaseException | None = None


Work = Callable[[_Shared, range], _ChunkResult]  # one chunk's work: reading or writing its pages


def _in_workers(
    jobs: int,
    shared: _Shared,
    cost: Callable[[Page], int],
    work: Work,
    apply: Callable[[Sequence[Page], _ChunkResult, _Shared], None],
) -> None:
    """Run `work` over contiguous chunks of `shared.pages` in forked workers (generator/workers.py) and `apply`
    their results in page order. A small build runs in this process, where the pages change in place and nothing
    needs applying."""
    pages = shared.pages
    costs = [cost(page) for page in pages]
    chunks = _chunks(costs, jobs)
    if len(pages) < PARALLEL_MIN_PAGES or not workers.forks(jobs, len(chunks)):
        for chunk in chunks:
            if (error := work(shared, chunk).error) is not None:
                raise error
        return
    # The costliest chunks go first, so that no worker is left with a long one at the end.
    order = sorted(range(len(chunks)), key=lambda i: -sum(costs[p] for p in chunks[i]))
    with workers.collector_spared() as spare:
        spare()  # the workers' collector then never walks (and so never copies) the parent's objects
        tasks = [(work, chunks[i]) for i in order]
        with workers.Started(_run_chunk, tasks, jobs, shared, initializer=_capture_logs) as started:
            done: dict[int, _ChunkResult] = {}
            next_to_apply = 0
            for position, result in started.as_completed():
                done[order[position]] = result
                while next_to_apply in done:  # in page order: log records, errors, search entries
                    _apply(done.pop(next_to_apply), [pages[i] for i in chunks[next_to_apply]], apply, shared)
                    next_to_apply += 1


def _chunks(costs: Sequence[int], jobs: int) -> list[range]:
    """Contiguous ranges of about equal cost (about CHUNKS_PER_JOB per job), none longer than CHUNK_PAGES."""
    target = max(sum(costs) / (jobs * CHUNKS_PER_JOB), 1)
    chunks, start, held = [], 0, 0
    for index, cost in enumerate(costs):
        held += cost
        if held >= target or index + 1 - start >= CHUNK_PAGES:
            chunks.append(range(start, index + 1))
            start, held = index + 1, 0
    if start < len(costs):
        chunks.append(range(start, len(costs)))
    return chunks


def _apply(
    result: _ChunkResult,
    pages: Sequence[Page],
    apply: Callable[[Sequence[Page], _ChunkResult, _Shared], None],
    shared: _Shared,
) -> None:
    for record in result.records:
        logging.getLogger(record.name).handle(record)
    if result.error is not None:
        raise result.error
    apply(pages, result, shared)


def _capture_logs() -> None:
    """In a worker: keep every log record for the parent instead of printing it. The parent's handlers then print
    each once, in page order, and count the warnings for strict mode."""
    capture = _Capture()
    for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
        if isinstance(logger, logging.Logger):
            for handler in list(logger.handlers):
                logger.removeHandler(handler)
            if not logger.propagate:
                logger.addHandler(capture)
    logging.getLogger().addHandler(capture)


def _run_chunk(shared: _Shared, task: tuple[Work, range]) -> _ChunkResult:
    """In a worker: one chunk's work on the pages it inherited, with the log records it made and an error that
    pickles."""
    work, chunk = task
    result = work(shared, chunk)
    result.records = list(_captured)
    _captured.clear()
    result.error = _picklable(result.error)
    return result


# --- reading: Markdown to HTML --------------------------------------------------------------------------------


def _read_chunk(shared: _Shared, chunk: range) -> _ChunkResult:
    config, files = shared.config, shared.files
    read: list[dict[str, Any]] = []
    result = _ChunkResult(records=[], pages=read, search_entries=[])
    for index in chunk:
        page = shared.pages[index]
        try:
            mkdocs_build._populate_page(page, config, files)
        except Exception as exc:
            result.error = exc
            break
        read.append(_read_state(page))
    return result


def _read_state(page: Page) -> dict[str, Any]:
    """What reading a page set on it, in a form that pickles (links by source path, not File)."""
    links = page.links_to_anchors
    return {
        "markdown": page.markdown,
        "meta": page.meta,
        "content": page.content,
        "toc": page.toc,
        "_title_from_render": page._title_from_render,
        "present_anchor_ids": page.present_anchor_ids,
        "links_to_anchors": None if links is None else {f.src_uri: a for f, a in links.items()},
        **({"title": page.__dict__["title"]} if "title" in page.__dict__ else {}),
    }


def _apply_read(pages: Sequence[Page], result: _ChunkResult, shared: _Shared) -> None:
    for page, state in zip(pages, result.pages, strict=True):
        links = state.pop("links_to_anchors")
        page.__dict__.update(state)
        if links is not None:
            page.links_to_anchors = {shared.files.src_uris[uri]: anchors for uri, anchors in links.items()}


# --- writing: theme template, plugins, file ---------------------------------------------------------------------


def _write_chunk(shared: _Shared, chunk: range) -> _ChunkResult:
    index = _search_entries(shared.config)
    already = len(index) if index is not None else 0
    result = _ChunkResult(records=[], pages=[], search_entries=[])
    for i in chunk:
        try:
            mkdocs_build._build_page(shared.pages[i], shared.config, shared.doc_files, shared.nav, shared.env)
        except Exception as exc:
            result.error = exc
            break
    if index is not None:
        result.search_entries = index[already:]
    return result


def _apply_written(pages: Sequence[Page], result: _ChunkResult, shared: _Shared) -> None:
    index = _search_entries(shared.config)
    if index is not None:
        index.extend(result.search_entries)


def _search_entries(config: MkDocsConfig) -> list[dict[str, Any]] | None:
    """The entries list of Material's search plugin, to which every written page adds its sections."""
    for plugin in config.plugins.values():
        if _qualified_name(type(plugin)) == SEARCH_PLUGIN and plugin.config.enabled:
            return plugin.search_index.entries  # type: ignore[attr-defined,no-any-return]
    return None


# --- log records across the fork ------------------------------------------------------------------------------

_captured: list[logging.LogRecord] = []


class _Capture(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        _captured.append(_portable(record))


def _portable(record: logging.LogRecord) -> logging.LogRecord:
    """The record with its message formatted, so that it pickles whatever its arguments were."""
    record = logging.makeLogRecord(record.__dict__)
    record.msg = record.getMessage()
    record.args = None
    if record.exc_info:
        record.exc_text = "".join(traceback.format_exception(*record.exc_info))
        record.exc_info = None
    return record


def _picklable(error: BaseException | None) -> BaseException | None:
    if error is None:
        return None
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return BuildError(f"{type(error).__name__}: {error}")
    return error
