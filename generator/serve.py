"""`incidentkb serve`: MkDocs' live-reload server, made to behave like a server.

It prints its address, then one line per rebuild: what changed, how long it took, the findings. No rebuild stops it
from answering. While records are invalid every page shows their findings above the last valid content (the
plugin's Preview); a build that fails for another reason (a broken mkdocs.yml, a template error) leaves the last
good site in place. MkDocs' own `serve` holds every request until a build succeeds.

Each build goes to a folder of its own and is swapped in when it has finished; MkDocs' server holds requests only
while a build is under way, so none sees a half-built site.
"""

from __future__ import annotations

import html
import os
import shutil
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.livereload import LiveReloadServer, _serve_url

from generator.findings import BuildError, Finding, Severity, format_text
from generator.plugin import IncidentKBPlugin, Preview

Stamp = tuple[int, int, int]  # a file's st_mtime_ns, st_size and st_ino: any change of content or by rename
SHOWN_CHANGES = 3  # changed files named in a rebuild line; the rest are counted


class LivePreview:
    """One `serve` session: the configuration it builds, the folder it serves, what the plugin keeps between
    builds, and the watched files as they were at the last build."""

    def __init__(self, config_file: Path, dev_addr: str, scratch: Path, *, out: TextIO, err: TextIO) -> None:
        self.config_file = config_file
        self.dev_addr = dev_addr
        self.scratch = scratch  # builds are made here, beside the site they replace
        self.site_dir = scratch / "site"
        self.site_dir.mkdir(exist_ok=True)
        self.out, self.err = out, err
        self.preview = Preview()
        self.url: str | None = None  # the server's address, once known
        self.watched: list[str] = []  # files and folders whose changes the rebuild lines name
        self.failure: str | None = None  # why the last build failed, if it did
        self.last_line = ""  # what the last build printed
        self._stamps: dict[str, Stamp] | None = None
        self._reported: list[Finding] = []

    def load_config(self, site_dir: Path | None = None) -> MkDocsConfig:
        config = load_config(str(self.config_file), site_dir=str(site_dir or self.site_dir), dev_addr=self.dev_addr)
        plugin = config.plugins.get("incidentkb")
        if not isinstance(plugin, IncidentKBPlugin):
            raise BuildError(f"{self.config_file}: the 'incidentkb' plugin is not listed under plugins")
        plugin.use_preview(self.preview)
        if self.url is not None:
            config.site_url = self.url
        return config

    def rebuild(self) -> None:
        """Build the site and swap it in, and print the line that says how it went (and the findings, when they
        changed). Never raises for a mistake in the knowledge base or its configuration."""
        started = time.perf_counter()
        stamps = _stamps(self.watched)
        changed = None if self._stamps is None else _changed(self._stamps, stamps)
        self._stamps = stamps
        staging = Path(tempfile.mkdtemp(prefix="build-", dir=self.scratch))
        try:
            build(self.load_config(staging), serve_url=self.url)
        except Exception as exc:  # whatever the build met, the server goes on serving the last good site
            shutil.rmtree(staging, ignore_errors=True)
            self.failure = " ".join(f"{type(exc).__name__}: {exc}".split())
        else:
            _swap(staging, self.site_dir)
            self.failure = None
        self.last_line = self._line(time.perf_counter() - started, changed)
        _say(self.out, self.last_line)
        if self.failure is None and self.preview.findings != self._reported:
            self._reported = list(self.preview.findings)
            if self._reported:
                _say(self.err, format_text(self._reported))

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

    def error_page(self, code: int) -> bytes | None:
        """What the server answers for a missing page (404) or its own failure (500)."""
        if self.failure is not None:
            return (
                "<!doctype html><title>incidentkb serve: the build failed</title>"
                f"<h1>The last build failed</h1><pre>{html.escape(self.failure)}</pre>"
                "<p>Fix it and save: the page reloads when the site builds again.</p>"
            ).encode()
        page = self.site_dir / f"{code}.html"
        return page.read_bytes() if page.is_file() else None

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
    """MkDocs' server, which says where it listens once it does, and lists what it watches."""

    def __init__(self, session: LivePreview, *, host: str, port: int, mount_path: str) -> None:
        super().__init__(
            builder=session.rebuild, host=host, port=port, root=str(session.site_dir), mount_path=mount_path
        )
        self.session = session
        self.error_handler = session.error_page

    def watch(self, path: str, func: None = None, *, recursive: bool = True) -> None:
        super().watch(path, func, recursive=recursive)
        self.session.watched.append(os.path.abspath(path))

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        # In the server's thread, which starts once the socket listens and the watches have taken their first look:
        # whoever reads the address may send requests, and a change they make from then on is seen.
        host = str(self.server_address[0])
        host = f"[{host}]" if ":" in host else host
        self.url = _serve_url(host, int(self.server_address[1]), self.mount_path)  # the real port if 0 was asked
        self.session.url = self.url
        _say(self.session.out, f"Serving on {self.url}")
        super().serve_forever(poll_interval)


def serve(config_file: Path, dev_addr: str, *, out: TextIO, err: TextIO) -> None:
    """Build the site, serve it on `dev_addr` and rebuild it whenever a watched file changes, until interrupted."""
    with tempfile.TemporaryDirectory(prefix="incidentkb-serve-") as scratch:
        session = LivePreview(config_file, dev_addr, Path(scratch), out=out, err=err)
        config = session.load_config()  # a configuration that cannot be read at all ends the command here
        config.plugins.on_startup(command="serve", dirty=False)
        try:
            host, port = config.dev_addr
            mount_path = urlsplit(config.site_url or "/").path
            session.url = _serve_url(host, port, mount_path)
            server = _Server(session, host=host, port=port, mount_path=mount_path)
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
        finally:
            config.plugins.on_shutdown()


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


def _swap(new: Path, target: Path) -> None:
    """Put the finished build `new` in the place of `target` by renames."""
    old = target.with_name(f"{target.name}.old")
    target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)
