"""The folders a build writes (a site, the pages of `generate --out`): the build's alone, replaced in one step.

A pull request can commit a `site` symbolic link to anywhere, and a typo can name `docs` or `.` as the site: a
build that replaced whatever the path resolves to would delete what is not its own. So a target is refused unless
it is a real folder (no link on the way) outside the knowledge base's sources, and either new, empty, or marked
by an earlier build. A build is written to a staging folder beside its target and exchanged with it in one
rename (`renameat2(RENAME_EXCHANGE)` on Linux; two renames elsewhere); staging folders of a build that was killed
are cleared by the next one.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from generator.findings import UsageError

SITE_MARKER = ".incidentkb-site"  # in every site a build wrote: a later build may replace that folder
GENERATED_MANIFEST = ".incidentkb-generated"  # in a `generate --out` folder: every file the command wrote
SOURCE_FOLDERS = ("docs", "incidents", "services", "schemas", ".git")
_STAGING_KINDS = ("building", "generating", "old", "docs")


def check_target(target: Path, root: Path, *, option: str, extra_sources: Sequence[Path] = ()) -> Path:
    """`target` as an absolute path, if a build may write it; else a UsageError that says why.

    Refused: a path that is or passes through a symbolic link; a file or anything but a folder; the knowledge
    base's root, one of its source folders (and `extra_sources`, e.g. MkDocs' docs_dir), anything inside them or
    any folder above them.
    """
    absolute = Path(os.path.abspath(target))
    if _links_on_the_way(absolute, Path(os.path.abspath(root))):
        raise UsageError(f"{option} {target}: is or passes through a symbolic link; a build writes only real folders")
    if os.path.lexists(absolute) and not absolute.is_dir():
        raise UsageError(f"{option} {target}: exists and is not a folder")
    real = Path(os.path.realpath(absolute))
    real_root = Path(os.path.realpath(root))
    sources = [real_root / name for name in SOURCE_FOLDERS] + [Path(os.path.realpath(p)) for p in extra_sources]
    for source in [real_root, *sources]:  # a site may lie inside the root (site/), but not be it or hold it
        inside = source in real.parents and source != real_root
        if real == source or inside or real in source.parents:
            where = "is" if real == source else "lies inside" if inside else "holds"
            raise UsageError(f"{option} {target}: {where} {source}, which the build reads; choose another folder")
    return absolute


def _links_on_the_way(target: Path, root: Path) -> bool:
    """Whether `target` is a symbolic link, or (inside the knowledge base, where a pull request can add links)
    passes through one. The folders above the knowledge base are the machine's, links or not."""
    if os.path.islink(target):
        return True
    if root not in target.parents:
        return False
    return any(os.path.islink(folder) for folder in target.parents if root in folder.parents)


def check_replaceable_site(site_dir: Path, *, option: str) -> None:
    """A non-empty folder that no build marked as its own is never replaced (so never deleted)."""
    if site_dir.is_dir() and not (site_dir / SITE_MARKER).is_file() and any(site_dir.iterdir()):
        raise UsageError(
            f"{option} {site_dir}: a folder with files that no incidentkb build wrote (it has no {SITE_MARKER}); "
            "choose a new or empty folder, or move it away first"
        )


@contextlib.contextmanager
def staging_beside(target: Path, kind: str) -> Iterator[Path]:
    """A new folder beside `target` for a build to write; removed if the build fails or is interrupted. Staging
    folders that killed builds left beside `target` are removed first."""
    assert kind in _STAGING_KINDS
    target.parent.mkdir(parents=True, exist_ok=True)
    clear_debris(target)
    made: list[Path] = []
    try:  # made inside the try, with stop signals held until it is listed: one that came inside mkdtemp, after
        # its mkdir, left the folder behind (CI saw it once)
        with _interrupts_deferred():
            made.append(Path(tempfile.mkdtemp(prefix=f".{target.name}.{kind}-{os.getpid()}-", dir=target.parent)))
        staging = made[0]
        staging.chmod(0o777 & ~_umask())  # mkdtemp makes 0700; a published site is readable like its subfolders
        yield staging
    except BaseException:
        for folder in made:
            shutil.rmtree(folder, ignore_errors=True)
        raise


def clear_debris(target: Path) -> list[Path]:
    """Remove the staging folders beside `target` whose build process no longer runs; return them."""
    removed: list[Path] = []
    if not target.parent.is_dir():
        return removed
    for entry in target.parent.iterdir():
        owner = _staging_owner(entry.name, target.name)
        if owner is not None and owner != os.getpid() and not _is_running(owner) and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def _staging_owner(name: str, target_name: str) -> int | None:
    """The process id in a staging folder's name `.<target>.<kind>-<pid>-<random>`, else None."""
    for kind in _STAGING_KINDS:
        prefix = f".{target_name}.{kind}-"
        if name.startswith(prefix):
            pid, _, rest = name[len(prefix) :].partition("-")
            return int(pid) if pid.isdigit() and rest else None
    return None


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def replace_with(staging: Path, target: Path) -> None:
    """Put the finished `staging` folder in the place of `target` in one step, then delete what was there. A stop
    signal (Ctrl-C, `kill`) that arrives meanwhile takes effect once the old site is gone: interrupted halfway,
    the deletion would leave half of it behind."""
    with _interrupts_deferred():
        if not os.path.lexists(target):
            staging.rename(target)
            return
        if _exchange(staging, target):
            shutil.rmtree(staging, ignore_errors=True)  # it now holds the old site
            return
        old = target.with_name(f".{target.name}.old-{os.getpid()}-{staging.name[-8:]}")
        target.rename(old)
        staging.rename(target)
        shutil.rmtree(old, ignore_errors=True)


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """SIGINT and SIGTERM are held while the block runs and raise KeyboardInterrupt after it (only the main
    thread may set signal handlers; elsewhere the block runs as it is)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    previous = {number: signal.signal(number, lambda number, _: held.append(number)) for number in _STOP_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if held:
        raise KeyboardInterrupt


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths atomically with Linux's renameat2(RENAME_EXCHANGE); False where it is unavailable."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False  # an old kernel or a file system without it: two renames instead
    raise OSError(code, os.strerror(code), str(second))


def _renameat2() -> Callable[..., int] | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        function = libc.renameat2
    except (OSError, AttributeError, TypeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function  # type: ignore[no-any-return]


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


# --- generate --out: exactly the current pages ----------------------------------------------------------------


def replace_generated(pages: Mapping[str, str], out_dir: Path, root: Path) -> None:
    """Make `out_dir` hold exactly `pages` (and the manifest): written beside it, then swapped in.

    An existing folder is replaced only when it is empty or everything in it is listed in the manifest of an
    earlier `generate`; a folder holding anything else is refused, never deleted.
    """
    out_dir = check_target(out_dir, root, option="--out")
    if out_dir.is_dir() and (foreign := _not_generated(out_dir)):
        more = f" and {len(foreign) - 1:,} more" if len(foreign) > 1 else ""
        raise UsageError(
            f"--out {out_dir}: holds {foreign[0]}{more}, which incidentkb generate did not write; "
            "give a new or empty folder, or one an earlier generate wrote"
        )
    with staging_beside(out_dir, "generating") as staging:
        write_pages(pages, staging)
        (staging / GENERATED_MANIFEST).write_text("".join(f"{path}\n" for path in sorted(pages)), encoding="utf-8")
        replace_with(staging, out_dir)  # inside: a stop signal before the swap still removes the staging folder


def write_pages(pages: Mapping[str, str], out_dir: Path) -> None:
    """Write generated pages under `out_dir`."""
    for folder in sorted({os.path.dirname(path) for path in pages}):  # each folder once, not once per page
        (out_dir / folder).mkdir(parents=True, exist_ok=True)
    for path, content in pages.items():
        with open(os.path.join(out_dir, path), "w", encoding="utf-8") as target:
            target.write(content)


def _not_generated(folder: Path) -> list[str]:
    """What in `folder` an earlier `generate` did not write (per its manifest): files, links, anything."""
    manifest = folder / GENERATED_MANIFEST
    listed = set(manifest.read_text(encoding="utf-8").splitlines()) if manifest.is_file() else set()
    foreign = []
    for parent, folders, files in os.walk(folder):
        for name in sorted(files) + [f for f in folders if os.path.islink(os.path.join(parent, f))]:
            path = os.path.join(parent, name)
            relative = os.path.relpath(path, folder).replace(os.sep, "/")
            if relative == GENERATED_MANIFEST and not os.path.islink(path):
                continue
            if relative not in listed or os.path.islink(path) or not os.path.isfile(path):
                foreign.append(relative)
    return sorted(foreign)


def write_files(folder: Path, files: Mapping[str, str]) -> list[Path]:
    """Write each `{name: text}` into `folder` (made if missing) atomically: a temporary file beside it, renamed
    over it, so a reader sees the old file or the new one, never half of one. Returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                os.fchmod(handle.fileno(), 0o666 & ~_umask())
                handle.write(text)
            os.replace(temporary, folder / name)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        written.append(folder / name)
    return written
