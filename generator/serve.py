"""`incidentkb serve`: MkDocs' live-reload server, made to behave like a server, that shows an edit in seconds.

It prints its address, then one line per rebuild: what changed, how long it took, the findings. No rebuild stops it
from answering. While records are invalid every page shows their findings above the last valid content (the
server adds them to each page it sends); a build that fails for another reason (a broken mkdocs.yml, a template
error) leaves the last good site in place. MkDocs' own `serve` holds every request until a build succeeds.

After an edit to records, three steps (generator/preview.py):
1. the server's builder renders the edited records' own pages (post-mortem, charts, month list) from those files
   alone and builds just those pages into the served site: `previewed in 0.3 s: ...`;
2. a thread then renders the pages that summarise them (home, edited services' runbooks, incidents index, lessons,
   action items, metrics) from the last generation's analysis made again for the edit (analyze/incremental.py)
   and builds them a batch at a time, browsers reloading after each: `previewed summaries in 1.9 s: ...; 19 pages`;
3. the thread then generates the whole knowledge base again, reusing what did not change (GenerationCache), and
   builds the pages whose content differs (IncrementalSite.update): `rebuilt in 9.1 s: ...`. The site is then
   what a full build makes. A full build runs instead when the set of pages, a nav title, mkdocs.yml or docs/
   changed; it goes to a folder of its own, which the served path (a symbolic link) is pointed at when it has
   finished, so no request sees a half-built site.
Steps 1 and 2 show what step 3 will make of the edit, as of the last generation's cut-off; an edit they cannot show
(a record added, removed, invalid or renumbered; a month or lessons group gained or emptied; anything but records)
waits for step 3.
"""

from __future__ import annotations

import gc
import html
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.livereload import LiveReloadServer, _serve_url, _timestamp
from watchdog.events import (
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

from generator.findings import BuildError, Finding, InvalidRecordsError, Severity, format_text
from generator.knowledge_base import KnowledgeBase
from generator.parallel_build import build_keeping_state, serial_reason
from generator.plugin import IncidentKBPlugin, Preview, findings_banner, with_banner
from generator.preview import IncrementalSite, QuickPreview
from generator.site import GenerationCache
from generator.workers import available_cpus

Stamp = tuple[int, int, int]  # a file's st_mtime_ns, st_size and st_ino: any change of content or by rename
SHOWN_CHANGES = 3  # changed files named in a rebuild line; the rest are counted
PREVIEW_WAIT = 3.0  # seconds the quick preview waits for a build under way to finish before leaving it the edit
# What the native watcher is told of: writes, not reads (a regeneration opens every record, 20,000 events at 10,000)
EDITS: list[type[FileSystemEvent]] = [
    FileCreatedEvent,
    FileModifiedEvent,
    FileDeletedEvent,
    FileMovedEvent,
    FileClosedEvent,
]


class LivePreview:
    """One `serve` session: the configuration it builds, the folder it serves, what it keeps between builds (the
    plugin's Preview, the generation's cache, the built site), and the watched files as they were last seen."""

    def __init__(
        self, config_file: Path, dev_addr: str, scratch: Path, *, out: TextIO, err: TextIO, jobs: int | None = None
    ) -> None:
        self.config_file = config_file
        self.dev_addr = dev_addr
        self.scratch = scratch  # builds are made here, beside the link to the one served
        self.site_dir = scratch / "site"  # a symbolic link to the build served
        empty = Path(tempfile.mkdtemp(prefix="build-", dir=scratch))
        self.site_dir.symlink_to(empty.name)
        self.out, self.err = out, err
        self.jobs = jobs or available_cpus()
        self.preview = Preview()
        self.cache = GenerationCache()
        self.quick = QuickPreview(self.cache)  # the edits shown before the next generation
        self.site: IncrementalSite | None = None  # the served build, while it can be updated page by page
        self.server: _Server | None = None  # set by the server: requests are held while pages are written
        self.url: str | None = None  # the server's address, once known
        self.watched: list[str] = []  # files and folders whose changes the rebuild lines name
        self.failure: str | None = None  # why the last build failed, if it did
        self.last_line = ""  # what the last build printed
        self._stamps: dict[str, Stamp] | None = None
        self._reported: list[Finding] = []
        self._building = threading.Lock()  # one build or preview at a time writes the site
        self._queue = threading.Condition()  # guards what the follower thread is asked to build
        self._queued: tuple[float, list[str] | None] | None = None  # (since when, the files changed) to rebuild
        self._stopping = False
        self._follower: threading.Thread | None = None
        self._finish_wanted = False  # the plugin's after-build work (search index) is to be done again
        self._finishing = False
        self._following = False  # the follower is on a job it took from the queue
        self._finisher: threading.Thread | None = None

    def load_config(self, site_dir: Path | None = None) -> MkDocsConfig:
        config = load_config(str(self.config_file), site_dir=str(site_dir or self.site_dir), dev_addr=self.dev_addr)
        plugin = config.plugins.get("incidentkb")
        if not isinstance(plugin, IncidentKBPlugin):
            raise BuildError(f"{self.config_file}: the 'incidentkb' plugin is not listed under plugins")
        plugin.use_preview(self.preview)
        if self.url is not None:
            config.site_url = self.url
        return config

    # --- what the server calls ---------------------------------------------------------------------------

    def rebuild(self) -> None:
        """Build whatever changed since the last build, to the end (the site is then a full build's), and print
        the line that says how it went (and the findings, when they changed). Never raises for a mistake in the
        knowledge base or its configuration."""
        started = time.perf_counter()
        self._regenerate(started, self._take_changes())

    def on_change(self) -> None:
        """The server's builder: show the edited records' own pages now, and have the rest built after. Two
        watchers report each edit (_Server), so a call that finds nothing changed since the last look does
        nothing: the edit is already queued."""
        started = time.perf_counter()
        changed = self._take_changes()
        if changed == []:
            return
        if changed:
            self._quick_preview(started, changed)
        with self._queue:
            since, before = self._queued if self._queued is not None else (started, [])
            merged = None if changed is None or before is None else sorted({*before, *changed})
            self._queued = (since, merged)
            self._queue.notify_all()
        if self._follower is None:
            self._follower = threading.Thread(target=self._follow, name="incidentkb-rebuild", daemon=True)
            self._follower.start()

    def wait_until_built(self, timeout: float | None = None) -> bool:
        """Wait until nothing is queued or being built (tests and benchmarks); False if `timeout` passed first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._queue:
                idle = self._idle()
            if idle and self._building.acquire(blocking=False):
                self._building.release()
                with self._queue:
                    if self._idle():
                        return True
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(0.05)

    def _idle(self) -> bool:
        """Nothing queued, followed or being finished (with the queue's lock held)."""
        return self._queued is None and not self._following and not self._finish_wanted and not self._finishing

    def stop(self) -> None:
        with self._queue:
            self._stopping = True
            self._queue.notify_all()
        for thread in (self._follower, self._finisher):
            if thread is not None:
                thread.join()

    # --- the steps -----------------------------------------------------------------------------------------

    def _take_changes(self) -> list[str] | None:
        """The watched files changed since the last look (None at the first)."""
        stamps = _stamps(self.watched)
        changed = None if self._stamps is None else _changed(self._stamps, stamps)
        self._stamps = stamps
        return changed

    def _follow(self) -> None:
        """The follower thread: the rebuilds the builder queued, one after another, the latest changes merged."""
        while True:
            with self._queue:
                self._queue.wait_for(lambda: self._queued is not None or self._stopping)
                if self._stopping:
                    return
                assert self._queued is not None
                started, changed = self._queued
                self._queued = None
                self._following = True
            try:
                if changed:  # the records' own pages (if the builder could not), then the pages summarising them
                    self._quick_preview(started, changed)
                    self._preview_summaries(started, changed)
                self._regenerate(started, changed)
            except Exception as exc:  # never let the thread die: the next edit must still be built
                self.failure = " ".join(f"{type(exc).__name__}: {exc}".split())
                _say(self.out, f"rebuild failed: {self.failure}")
            finally:
                with self._queue:
                    self._following = False

    def _quick_preview(self, started: float, changed: list[str]) -> None:
        """Build the edited records' own pages into the site at once (generator/preview.py QuickPreview); run again
        by the follower, it builds what the builder could not (pages already shown are not built again)."""
        records = self._records_only(changed)
        if not records or not self._building.acquire(timeout=PREVIEW_WAIT):
            return
        try:
            with _collector_paused():
                site = self.site
                if site is None:
                    return
                built = site.preview(self.quick.record_pages(KnowledgeBase(self._root(site.config)), records))
        except Exception:  # the rebuild that follows builds these pages again and says what went wrong
            return
        finally:
            self._building.release()
        if built:
            _say(self.out, f"previewed in {time.perf_counter() - started:.1f} s: {self._describe(changed)}")

    def _preview_summaries(self, started: float, changed: list[str]) -> None:
        """Build the pages that summarise the edited records (home, runbooks, lessons, action items, metrics) from
        the last generation's analysis made again for the edit, a batch at a time, each shown (browsers reload) as
        soon as it is written; the regeneration follows."""
        if not self._records_only(changed):
            return
        built: list[str] = []
        with self._building, _collector_paused():
            try:
                for batch in self.quick.summary_pages():
                    site = self.site
                    if site is None:
                        return
                    if done := site.preview(batch):
                        built.extend(done)
                        self._announce()
            except Exception:  # the regeneration that follows builds these pages and says what went wrong
                return
        if built:
            seconds = time.perf_counter() - started
            pages = f"{len(built):,} page{'s' if len(built) > 1 else ''}"
            _say(self.out, f"previewed summaries in {seconds:.1f} s: {self._describe(changed)}; {pages}")

    def _records_only(self, changed: list[str]) -> list[Path]:
        """The changed incident records, if nothing else changed and the site can show them before a rebuild."""
        records = [Path(path) for path in changed if self._is_record(path)]
        if len(records) != len(changed) or self.site is None or self.preview.invalid:
            return []  # anything else can change any page: the rebuild shows it
        return records

    def _regenerate(self, started: float, changed: list[str] | None) -> None:
        """Generate every page (with the cache), build what changed (or everything), and say how it went."""
        with self._building, _collector_paused():
            self.failure = None
            try:
                self._build(changed)
            except Exception as exc:  # whatever the build met, the server goes on serving the last good site
                self.failure = " ".join(f"{type(exc).__name__}: {exc}".split())
            self.last_line = self._line(time.perf_counter() - started, changed)
            _say(self.out, self.last_line)
            if self.failure is None and self.preview.findings != self._reported:
                self._reported = list(self.preview.findings)
                if self._reported:
                    _say(self.err, format_text(self._reported))

    def _build(self, changed: list[str] | None) -> None:
        config = self.site.config if self.site is not None and self._only_records(changed) else self.load_config()
        pages = self._generate(config)
        if pages is None:  # invalid records: the site stays, and the server shows the findings on every page
            if self.preview.pages is None:
                self._build_in_full({})  # the plugin's page that says there is no valid version yet
            with self._holding():
                return
        if self.site is not None and self._only_records(changed):
            with self._holding():
                built = self.site.update(pages)
            if built is not None:
                if self.site.unfinished:  # pages built since the search index was last made, here or by a preview
                    self._finish_later()
                return
        self._build_in_full(pages)

    def _generate(self, config: MkDocsConfig) -> dict[str, str] | None:
        """The generated pages (kept as the last valid ones), or None when records are invalid."""
        from generator.site import generate_internal

        try:
            pages, warnings = generate_internal(
                KnowledgeBase(self._root(config)), self._cut_off(config), self.jobs, self.cache
            )
        except InvalidRecordsError as exc:
            self.preview.findings = exc.findings
            return None
        self.preview.pages, self.preview.findings = pages, warnings
        return pages

    def _build_in_full(self, pages: dict[str, str]) -> None:
        """Build the whole site into a folder of its own and serve it once done; the old one is removed."""
        staging = Path(tempfile.mkdtemp(prefix="build-", dir=self.scratch))
        try:
            config = self.load_config(staging)
            plugin = config.plugins["incidentkb"]
            assert isinstance(plugin, IncidentKBPlugin)
            plugin.use_pages(pages)
            if serial_reason(config, max(self.jobs, 2)) is None:
                site: IncrementalSite | None = IncrementalSite(build_keeping_state(config, self.jobs), pages)
            else:  # a plugin whose page events this cannot repeat alone: MkDocs builds, every time
                mkdocs_build(config)
                site = None
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        self.site = None  # no page of the old build is written again
        old = self.site_dir.resolve()
        _point(self.site_dir, staging)
        shutil.rmtree(old, ignore_errors=True)
        self.site = site if self.preview.pages is not None else None  # "no valid version yet" is built in full

    def _finish_later(self) -> None:
        """Have the plugin's work after a build (the Pagefind index) done again on the served site, in a thread of
        its own: it reads every page, and the pages are shown meanwhile."""
        with self._queue:
            self._finish_wanted = True
            self._queue.notify_all()
        if self._finisher is None:
            self._finisher = threading.Thread(target=self._finish, name="incidentkb-finish", daemon=True)
            self._finisher.start()

    def _finish(self) -> None:
        _lower_this_threads_priority()  # an edit saved while Pagefind indexes the last one is shown first
        while True:
            with self._queue:
                self._queue.wait_for(lambda: self._finish_wanted or self._stopping)
                if self._stopping:
                    return
                self._finish_wanted = False
                self._finishing = True
                site = self.site
            try:
                if site is not None:
                    site.finish()
            except Exception as exc:  # the next build tries again; the pages themselves are up to date
                _say(self.err, f"incidentkb serve: the search index was not refreshed: {exc}")
            finally:
                with self._queue:
                    self._finishing = False

    def _announce(self) -> None:
        """Tell browsers to reload (MkDocs' epochs), without holding requests: pages written by rename are whole."""
        server = self.server
        if server is not None:
            with server._epoch_cond:
                server._wanted_epoch = server._visible_epoch = _timestamp()
                server._epoch_cond.notify_all()

    @contextmanager
    def _holding(self) -> Iterator[None]:
        """Requests wait while pages are written in place, and browsers reload after (MkDocs' epochs)."""
        server = self.server
        if server is None:
            yield
            return
        with server._epoch_cond:
            server._wanted_epoch = _timestamp()
        try:
            yield
        finally:
            with server._epoch_cond:
                server._visible_epoch = server._wanted_epoch
                server._epoch_cond.notify_all()

    def _only_records(self, changed: list[str] | None) -> bool:
        """Whether only records or the settings changed: the configuration and docs/ are the last build's."""
        if changed is None:
            return False
        config = Path(self.config_file).resolve()
        docs = self.site.config.docs_dir if self.site is not None else None
        for path in changed:
            resolved = Path(path).resolve()
            if resolved == config or (docs is not None and resolved.is_relative_to(Path(docs).resolve())):
                return False
        return True

    def _is_record(self, path: str) -> bool:
        root = self.config_file.parent.resolve()
        relative = Path(path).resolve()
        return relative.suffix in (".yaml", ".yml") and relative.is_relative_to(root / "incidents")

    def _root(self, config: MkDocsConfig) -> Path:
        plugin = config.plugins["incidentkb"]
        assert isinstance(plugin, IncidentKBPlugin)
        return Path(plugin.config.root or Path(config.config_file_path).parent).resolve()

    @staticmethod
    def _cut_off(config: MkDocsConfig) -> datetime:
        plugin = config.plugins["incidentkb"]
        assert isinstance(plugin, IncidentKBPlugin)
        return plugin.cut_off()

    # --- what is printed and served -------------------------------------------------------------------------

    def _line(self, seconds: float, changed: list[str] | None) -> str:
        """`rebuilt in 2.4 s: 1 file changed (incidents/2026/x.yaml); 1 error(s), 0 warning(s)` (the first build
        names no change), or `rebuild failed in 0.1 s: ...; why; what is served`."""
        what = "" if changed is None else f": {self._describe(changed)}"
        if self.failure is not None:
            verb = "build" if changed is None else "rebuild"
            kept = "serving the last good site" if any(self.site_dir.iterdir()) else "no site to serve yet"
            return f"{verb} failed in {seconds:.1f} s{what}; {self.failure}; {kept}"
        findings = self.preview.findings
        errors = sum(f.severity is Severity.ERROR for f in findings)
        verb = "built" if changed is None else "rebuilt"
        return f"{verb} in {seconds:.1f} s{what}; {errors} error(s), {len(findings) - errors} warning(s)"

    def with_findings(self, page: bytes) -> bytes:
        """An HTML page as served: while records are invalid, with their findings at the top of its content."""
        preview = self.preview
        if not preview.invalid:
            return page
        banner = findings_banner(preview.findings, shown=preview.pages is not None)
        return with_banner(page.decode("utf-8"), banner).encode("utf-8")

    def error_page(self, code: int) -> bytes | None:
        """What the server answers for a missing page (404) or its own failure (500)."""
        if self.failure is not None:
            return (
                "<!doctype html><title>incidentkb serve: the build failed</title>"
                f"<h1>The last build failed</h1><pre>{html.escape(self.failure)}</pre>"
                "<p>Fix it and save: the page reloads when the site builds again.</p>"
            ).encode()
        page = self.site_dir / f"{code}.html"
        if page.is_file():
            return self.with_findings(page.read_bytes())
        return self.with_findings(b"<body></body>") if self.preview.invalid else None

    def _describe(self, changed: list[str]) -> str:
        """`2 files changed (incidents/2026/a.yaml, docs/b.md)`, paths from the folder of mkdocs.yml."""
        if not changed:
            return "no file changed"
        names = [self._display(path) for path in changed[:SHOWN_CHANGES]]
        if len(changed) > SHOWN_CHANGES:
            names.append(f"{len(changed) - SHOWN_CHANGES:,} more")
        return f"{len(changed):,} file{'s' if len(changed) > 1 else ''} changed ({', '.join(names)})"

    def _display(self, path: str) -> str:
        relative = os.path.relpath(path, self.config_file.parent)
        return path if relative.startswith("..") else relative.replace(os.sep, "/")


class _Server(LiveReloadServer):
    """MkDocs' server, which says where it listens once it does, lists what it watches, and adds the findings of
    invalid records to every page it sends."""

    def __init__(
        self, session: LivePreview, *, host: str, port: int, mount_path: str, polling_interval: float = 0.5
    ) -> None:
        super().__init__(
            builder=session.on_change,
            host=host,
            port=port,
            root=str(session.site_dir),
            mount_path=mount_path,
            polling_interval=polling_interval,
        )
        self.session = session
        session.server = self
        self.error_handler = session.error_page
        # MkDocs polls (its `observer`): that works on every file system (network and Docker mounts too), but it
        # notices an edit up to half a second late and scans 10,000 records twice a second. The platform's own
        # watcher (inotify, FSEvents, ReadDirectoryChangesW) reports it at once, where it gets events at all;
        # both run, whichever sees an edit first starts the rebuild (LivePreview.on_change ignores the other).
        self.native_observer = Observer()
        self._changes_seen = _ChangesSeen(self)

    def _inject_js_into_html(self, content: bytes, epoch: int) -> bytes:
        return super()._inject_js_into_html(self.session.with_findings(content), epoch)  # type: ignore[no-any-return]

    def watch(self, path: str, func: None = None, *, recursive: bool = True) -> None:
        path = os.path.abspath(path)
        if path not in self.session.watched:
            # a single file is watched through its folder: native watchers follow folders, not names
            folder, recursive_too = (path, recursive) if os.path.isdir(path) else (os.path.dirname(path), False)
            self.native_observer.schedule(self._changes_seen, folder, recursive=recursive_too, event_filter=EDITS)
        super().watch(path, func, recursive=recursive)
        self.session.watched.append(path)

    def serve(self, *, open_in_browser: bool = False) -> None:
        try:
            self.native_observer.start()
        except OSError as exc:  # no inotify instance or watch left, say: polling alone still sees every edit
            _say(self.session.err, f"incidentkb: watching for edits by polling only ({exc})")
        super().serve(open_in_browser=open_in_browser)

    def shutdown(self, wait: bool = False) -> None:
        if self.native_observer.is_alive():
            self.native_observer.stop()
            self.native_observer.join()
        super().shutdown(wait)

    def want_rebuild(self) -> None:
        """Wake MkDocs' build loop as its own watcher does."""
        with self._rebuild_cond:
            self._want_rebuild = True
            self._rebuild_cond.notify_all()

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        # In the server's thread, which starts once the socket listens and the watches have taken their first look:
        # whoever reads the address may send requests, and a change they make from then on is seen.
        host = str(self.server_address[0])
        host = f"[{host}]" if ":" in host else host
        self.url = _serve_url(host, int(self.server_address[1]), self.mount_path)  # the real port if 0 was asked
        self.session.url = self.url
        _say(self.session.out, f"Serving on {self.url}")
        super().serve_forever(poll_interval)


class _ChangesSeen(FileSystemEventHandler):
    """The native watcher's events, each waking the server's build loop; folders' own events are left out, as
    MkDocs does (a folder's time changes with every save inside it)."""

    def __init__(self, server: _Server) -> None:
        self.server = server

    def on_any_event(self, event: FileSystemEvent) -> None:
        if not event.is_directory:
            self.server.want_rebuild()


def serve(config_file: Path, dev_addr: str, *, out: TextIO, err: TextIO, polling_interval: float = 0.5) -> None:
    """Build the site, serve it on `dev_addr` and rebuild it whenever a watched file changes, until interrupted;
    MkDocs' watcher polls every `polling_interval` seconds beside the platform's own."""
    with tempfile.TemporaryDirectory(prefix="incidentkb-serve-") as scratch:
        session = LivePreview(config_file, dev_addr, Path(scratch), out=out, err=err)
        config = session.load_config()  # a configuration that cannot be read at all ends the command here
        config.plugins.on_startup(command="serve", dirty=False)
        try:
            host, port = config.dev_addr
            mount_path = urlsplit(config.site_url or "/").path
            session.url = _serve_url(host, port, mount_path)
            server = _Server(session, host=host, port=port, mount_path=mount_path, polling_interval=polling_interval)
            for path in (config.docs_dir, config.config_file_path):
                server.watch(path)
            served: LiveReloadServer = config.plugins.on_serve(server, config=config, builder=server.builder)
            for path in config.watch:
                served.watch(path)
            session.rebuild()  # the first build, after the watches: what it saw is what later lines compare with
            try:
                served.serve()
            except KeyboardInterrupt:
                pass
            finally:
                served.shutdown()
                session.stop()
        finally:
            config.plugins.on_shutdown()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """While a build runs, the cyclic collector leaves alone what exists when it starts (gc.freeze): the served
    site, the cache and the last model are millions of objects at 10,000 incidents, and one walk over them took
    2.3 s. They are given back to the collector when the build ends (a long-lived process frees what it drops)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _lower_this_threads_priority() -> None:
    """Give the calling thread, and the processes it starts (the Pagefind indexer), the lowest CPU priority but
    one, where the system lets a thread have its own (Linux: a thread's id is a process id to setpriority). The
    index uses both CPUs for seconds at 10,000 incidents; an edit made meanwhile waited for them (2.5 s instead
    of 0.5 s to its post-mortem)."""
    with suppress(AttributeError, OSError):  # no setpriority (Windows), or not allowed: the work at the same priority
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


def _say(stream: TextIO, text: str) -> None:
    """`text` as whole lines, in one write: the server's thread and the builder's do not interleave them."""
    stream.write(f"{text}\n")
    stream.flush()


def _stamps(paths: Iterable[str]) -> dict[str, Stamp]:
    """Every file under `paths` with its stamp."""
    stamps: dict[str, Stamp] = {}
    for path in paths:
        files = [path] if os.path.isfile(path) else _walk(path)
        for file in files:
            try:
                stat = os.stat(file)
            except OSError:  # gone since it was listed
                continue
            stamps[file] = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
    return stamps


def _walk(folder: str) -> Iterable[str]:
    for parent, _, names in os.walk(folder):
        for name in names:
            yield os.path.join(parent, name)


def _changed(before: dict[str, Stamp], after: dict[str, Stamp]) -> list[str]:
    """The files added, changed or removed, sorted."""
    return sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))


def _point(link: Path, target: Path) -> None:
    """Point the symbolic link `link` at the folder `target` (beside it) in one rename."""
    scratch = link.with_name(f"{link.name}.new")
    scratch.unlink(missing_ok=True)
    scratch.symlink_to(target.name)
    os.replace(scratch, link)
