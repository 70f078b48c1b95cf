"""Records stay inside the repository: a pull request may add a symbolic link to a file outside the knowledge base,
to a device, or a FIFO. Each is refused unread, with a finding at its path, and no command hangs or runs out of
memory on one (each run here has a 2 GiB address-space limit and a timeout)."""

from __future__ import annotations

import os
import resource
import subprocess
from pathlib import Path

import pytest
from support import AS_OF, copy_kb, run_cli

MEMORY_LIMIT = 2 * 1024**3
CANARY = "CANARY-OUTSIDE-7f3a"


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _incidentkb(kb: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """`incidentkb --root KB ARGS` under the memory limit; a hang fails after 120 s instead of stalling the suite."""
    return run_cli(*args, root=kb, timeout=120, preexec_fn=_limited)


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    return copy_kb(tmp_path / "kb")


def _an_incident(kb: Path) -> Path:
    return sorted((kb / "incidents").rglob("*.yaml"))[0]


def test_a_link_to_a_record_outside_is_refused_unread_and_never_published(kb: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    text = _an_incident(kb).read_text(encoding="utf-8")
    outside.write_text(text.replace("id: INC-", "id: INC-2026-777\nx: ").replace("title:", f"title: {CANARY}", 1))
    link = kb / "incidents" / "2026" / "2026-11-30-linked.yaml"
    link.symlink_to(outside)

    result = _incidentkb(kb, "validate", "--as-of", AS_OF)
    assert result.returncode == 1
    assert (
        "incidents/2026/2026-11-30-linked.yaml:1:1: error[outside-repository]: links to a file outside the "
        "knowledge base; it was not read"
    ) in result.stdout
    assert CANARY not in result.stdout + result.stderr

    public = tmp_path / "public"
    result = _incidentkb(kb, "build", "--public", "--site-dir", public, "--as-of", AS_OF)
    assert result.returncode == 1 and not public.exists()
    assert CANARY not in result.stdout + result.stderr


def test_a_link_to_a_device_is_refused_within_the_memory_limit(kb: Path) -> None:
    (kb / "incidents" / "2026" / "2026-11-30-zero.yaml").symlink_to("/dev/zero")
    result = _incidentkb(kb, "validate", "--as-of", AS_OF)
    assert result.returncode == 1, result.stderr
    assert "incidents/2026/2026-11-30-zero.yaml:1:1: error[outside-repository]" in result.stdout


def test_a_device_link_inside_the_repository_is_not_read_either(kb: Path) -> None:
    """A link that stays inside the knowledge base but names a device node made there."""
    fifo = kb / "incidents" / "2026" / "2026-11-30-fifo.yaml"
    os.mkfifo(fifo)
    (kb / "services" / "linked.yaml").symlink_to(fifo)
    result = _incidentkb(kb, "validate", "--as-of", AS_OF)
    assert result.returncode == 1, result.stderr
    assert "incidents/2026/2026-11-30-fifo.yaml:1:1: error[not-a-file]" in result.stdout
    assert "services/linked.yaml:1:1: error[not-a-file]" in result.stdout


@pytest.mark.parametrize("command", [["validate"], ["build", "--site-dir", "out"], ["build", "--public"]])
def test_a_fifo_record_never_hangs_a_command(kb: Path, command: list[str]) -> None:
    os.mkfifo(kb / "incidents" / "2026" / "2026-11-30-pipe.yaml")
    result = _incidentkb(kb, *command, "--as-of", AS_OF)
    assert result.returncode == 1, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert "incidents/2026/2026-11-30-pipe.yaml:1:1: error[not-a-file]: is not a regular file" in output
    assert "Traceback" not in output


def test_a_record_over_the_limit_is_not_read_whole(kb: Path) -> None:
    """A sparse 8 GiB file would exhaust the 2 GiB limit if it were read before the size check."""
    huge = kb / "incidents" / "2026" / "2026-11-30-huge.yaml"
    with open(huge, "wb") as file:
        file.truncate(8 * 1024**3)
    result = _incidentkb(kb, "validate", "--as-of", AS_OF)
    assert result.returncode == 1, result.stderr
    assert "2026-11-30-huge.yaml:1:1: error[file-too-large]: file is 8,589,934,592 bytes" in result.stdout


def test_a_settings_file_linked_from_outside_is_refused(kb: Path, tmp_path: Path) -> None:
    outside = tmp_path / "secret.yml"
    outside.write_text(f"public:\n  site_name: {CANARY}\n", encoding="utf-8")
    (kb / "incidentkb.yml").unlink()
    (kb / "incidentkb.yml").symlink_to(outside)
    result = _incidentkb(kb, "build", "--public", "--site-dir", tmp_path / "public", "--as-of", AS_OF)
    assert result.returncode == 1
    assert "incidentkb.yml:1:1: error[outside-repository]" in result.stderr
    assert CANARY not in result.stdout + result.stderr and not (tmp_path / "public").exists()
