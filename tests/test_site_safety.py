"""The site folder is the build's alone: a build never deletes what is not its own, replaces the old site in one
step, and leaves nothing behind when it is interrupted or killed (no staging folder, no old copy, no worker)."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from support import AS_OF, build, copy_kb, run_cli

from generator import output

BUILD = [sys.executable, "-m", "generator"]


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    return copy_kb(tmp_path / "kb")


def _victim(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "precious.txt").write_text("keep me\n", encoding="utf-8")
    return folder


def _assert_untouched(folder: Path) -> None:
    assert (folder / "precious.txt").read_text(encoding="utf-8") == "keep me\n"


@pytest.mark.parametrize("link", ["../victim", ".."])
def test_a_committed_site_link_is_refused_and_its_target_kept(kb: Path, tmp_path: Path, link: str) -> None:
    victim = _victim(tmp_path / "victim")
    (kb / "site").symlink_to(link)
    for extra in ([], ["--public"]):
        result = run_cli("--root", kb, "build", "--site-dir", kb / "site", "--as-of", AS_OF, *extra)
        assert result.returncode == 2, result.stdout + result.stderr
        assert "is or passes through a symbolic link" in result.stderr
    _assert_untouched(victim)
    assert (kb / "incidents").is_dir() and (kb / "mkdocs.yml").is_file()


def test_a_site_inside_a_linked_folder_is_refused(kb: Path, tmp_path: Path) -> None:
    victim = _victim(tmp_path / "victim")
    (kb / "out").symlink_to(victim)
    result = build(kb, kb / "out" / "precious.txt")
    assert result.returncode == 2 and "passes through a symbolic link" in result.stderr, result.stderr
    _assert_untouched(victim)


@pytest.mark.parametrize("where", ["docs", "incidents", "services", "schemas", ".", "..", "docs/sub"])
def test_sources_and_their_parents_are_never_a_site(kb: Path, where: str) -> None:
    before = sorted(str(p.relative_to(kb.parent)) for p in kb.parent.rglob("*"))
    (kb / "schemas").mkdir(exist_ok=True)
    for extra in ([], ["--public"]):
        result = build(kb, kb / where, *extra)
        assert result.returncode == 2, result.stdout + result.stderr
        assert "which the build reads; choose another folder" in result.stderr
    after = sorted(str(p.relative_to(kb.parent)) for p in kb.parent.rglob("*"))
    assert [p for p in before if p not in after] == []


def test_a_file_or_a_foreign_folder_is_never_replaced(kb: Path, tmp_path: Path) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("keep me\n", encoding="utf-8")
    result = build(kb, a_file)
    assert result.returncode == 2 and "exists and is not a folder" in result.stderr
    assert a_file.read_text(encoding="utf-8") == "keep me\n"

    foreign = _victim(tmp_path / "foreign")
    result = build(kb, foreign)
    assert result.returncode == 2 and "a folder with files that no incidentkb build wrote" in result.stderr
    _assert_untouched(foreign)


def test_a_previous_site_is_replaced_and_an_empty_folder_used(kb: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    assert build(kb, site).returncode == 0
    assert (site / output.SITE_MARKER).is_file() and (site / "index.html").is_file()
    (site / "stale.html").write_text("from an earlier build", encoding="utf-8")
    result = build(kb, site)
    assert result.returncode == 0, result.stderr
    assert not (site / "stale.html").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kb", "site"]  # no staging folder, no old copy


def test_the_swap_is_one_exchange(tmp_path: Path) -> None:
    """Readers never find the site missing: the new folder and the old one trade places in one rename."""
    target, staging = tmp_path / "site", tmp_path / ".site.building-1-x"
    target.mkdir()
    (target / "index.html").write_text("old", encoding="utf-8")
    missing = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            if not (target / "index.html").exists():
                missing.append(1)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for round_ in range(300):
            staging.mkdir()
            (staging / "index.html").write_text(str(round_), encoding="utf-8")
            output.replace_with(staging, target)
            assert not staging.exists()
    finally:
        stop.set()
        reader.join()
    assert (target / "index.html").read_text(encoding="utf-8") == "299"
    assert missing == []


def _children(pid: int) -> set[int]:
    """The process's children now; a thread or the process may end while we read (a race, not an error)."""
    found: set[int] = set()
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except FileNotFoundError:
        return found
    for task in tasks:
        try:
            children = (task / "children").read_text().split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        found.update(int(c) for c in children)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_a_killed_build_leaves_no_worker_and_the_next_build_clears_its_debris(kb: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    assert build(kb, site).returncode == 0
    rng = random.Random(20261201)
    workers_seen = 0
    for _ in range(6):
        process = subprocess.Popen(
            [*BUILD, "--root", str(kb), "build", "--site-dir", str(site), "--as-of", AS_OF, "--jobs", "2"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + rng.uniform(0.8, 3.0)
        children: set[int] = set()
        while time.monotonic() < deadline and process.poll() is None:
            children |= _children(process.pid)
            time.sleep(0.02)
        process.kill()
        process.wait()
        workers_seen += len(children)
        for _ in range(200):  # the workers get SIGKILL from the kernel when their parent dies
            if not any(_alive(child) for child in children):
                break
            time.sleep(0.05)
        assert [c for c in children if _alive(c)] == []
        assert (site / "index.html").is_file()  # the old site is still served
    assert workers_seen > 0  # the kills did land while workers ran

    result = build(kb, site)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kb", "site"]


def test_sigterm_stops_a_build_and_removes_its_staging_folder(kb: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    process = subprocess.Popen(
        [*BUILD, "--root", str(kb), "build", "--site-dir", str(site), "--as-of", AS_OF],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for _ in range(600):  # until its staging folder exists
        if any(p.name.startswith(".site.building-") for p in tmp_path.iterdir()):
            break
        time.sleep(0.01)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    if process.returncode == 0:  # it finished first: then its site is complete
        assert (site / "index.html").is_file()
    else:
        assert process.returncode == 130 and "Traceback" not in err, err
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "site") == ["kb"]


def test_a_stop_signal_inside_mkdtemp_still_removes_the_staging_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The moment the test above aims at, made certain: SIGTERM (the command's handler: KeyboardInterrupt) arrives
    after mkdtemp made the staging folder and before it returned. The folder must still go (it once stayed)."""
    import tempfile

    from generator.cli import _interrupt
    from generator.output import staging_beside

    real_mkdtemp = tempfile.mkdtemp

    def signalled_inside(*args: object, **kwargs: object) -> str:
        made = real_mkdtemp(*args, **kwargs)  # type: ignore[call-overload]
        os.kill(os.getpid(), signal.SIGTERM)  # handled at the next instruction, still inside this call
        return str(made)

    previous = signal.signal(signal.SIGTERM, _interrupt)
    monkeypatch.setattr(tempfile, "mkdtemp", signalled_inside)
    try:
        with pytest.raises(KeyboardInterrupt), staging_beside(tmp_path / "site", "building"):
            pytest.fail("the build ran on after the stop signal")
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert list(tmp_path.iterdir()) == []


def test_a_read_only_parent_is_a_message(kb: Path, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        if os.access(locked, os.W_OK):  # root ignores permissions: make the parent unwritable another way
            locked.chmod(0o755)
            result = build(kb, Path("/proc/incidentkb-site"))
        else:
            result = build(kb, locked / "site")
    finally:
        locked.chmod(0o755)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith("incidentkb: error: ")


def test_the_default_sites_inside_the_knowledge_base_build_and_rebuild(kb: Path) -> None:
    for extra, folder in (([], "site"), (["--public"], "public-site")):
        for _ in range(2):
            result = run_cli("--root", kb, "build", "--as-of", AS_OF, *extra)
            assert result.returncode == 0, result.stderr
            assert result.stdout.endswith(f"built {kb / folder}\n")
        assert (kb / folder / "index.html").is_file()
    assert sorted(p.name for p in kb.iterdir() if p.name.startswith(".")) == []


def test_a_stop_signal_during_the_swap_waits_until_the_old_site_is_deleted(tmp_path: Path) -> None:
    """The swap and the deletion of the old site run with SIGTERM and SIGINT held: a signal that arrives then
    stops the command right after, with nothing of the old site left behind (CI once found half of it)."""
    target, staging = tmp_path / "site", tmp_path / ".site.building-1-abcdefgh"
    for folder, text in ((target, "old"), (staging, "new")):
        for n in range(50):
            (folder / f"d{n}").mkdir(parents=True)
            (folder / f"d{n}" / "index.html").write_text(text)
    original = shutil.rmtree

    def rmtree_interrupted(path: object, *args: object, **kwargs: object) -> None:
        os.kill(os.getpid(), signal.SIGTERM)  # arrives in the middle of the deletion
        original(path, *args, **kwargs)  # type: ignore[arg-type]

    previous = signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        output.shutil.rmtree = rmtree_interrupted  # type: ignore[assignment]
        with pytest.raises(KeyboardInterrupt):
            output.replace_with(staging, target)
    finally:
        output.shutil.rmtree = original  # type: ignore[assignment]
        signal.signal(signal.SIGTERM, previous)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
    assert (target / "d0" / "index.html").read_text() == "new"
