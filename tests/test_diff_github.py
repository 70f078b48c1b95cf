"""`incidentkb diff` on real pull requests: one git process reads a revision's blobs, a broken record is reported
as broken (not as removed), and the comment is GitHub-flavoured Markdown that renders as meant.

Every test runs real git in a repository under tmp_path. The Markdown is rendered with markdown-it-py (CommonMark
with GFM tables and strikethrough, raw HTML passed through so that an escaping bug shows up as raw HTML).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

from markdown_it import MarkdownIt

from generator.review import read_revision

AS_OF = "2026-11-23T12:00:00Z"
SERVICE = "id: checkout\nname: Checkout\nowner_team: payments\ntier: 1\npublic: {listed: true, name: Checkout}\nslo: {availability: 0.999}\n"


def incident(number: int, title: str = "", *, impact: str = "", severity: str = "SEV3") -> str:
    day = 1 + number % 28
    return (
        f"id: INC-2026-{number:03d}\n"
        f"title: {title or f'Checkout slow, case {number}'}\n"
        f"severity: {severity}\n"
        "status: resolved\nkind: incident\nservices: [checkout]\n"
        f"started_at: 2026-03-{day:02d}T10:00:00Z\nresolved_at: 2026-03-{day:02d}T11:00:00Z\n"
        f"{impact}"
        "summary: {public: Some customers waited.}\n"
    )


def path_of(number: int) -> str:
    return f"incidents/2026/2026-03-{1 + number % 28:02d}-case-{number:03d}.yaml"


def git(root: Path, *args: str) -> bytes:
    return subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
    ).stdout


def commit(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-qm", message)


def run(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", "--root", str(root), *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


def new_repo(root: Path, files: dict[str, bytes | str]) -> Path:
    for path, content in {"services/checkout.yaml": SERVICE, **files}.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(content.encode() if isinstance(content, str) else content)
    git(root, "init", "-q", "-b", "main")
    commit(root, "base")
    git(root, "checkout", "-qb", "change")
    return root


def logging_git(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """An environment whose `git` is a wrapper that logs each call's arguments, one line each, then runs git."""
    real = shutil.which("git")
    assert real is not None
    bin_dir, log = tmp_path / "bin", tmp_path / "git-calls.log"
    bin_dir.mkdir()
    wrapper = bin_dir / "git"
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\nexec "{real}" "$@"\n')
    wrapper.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}, log


def test_one_git_process_reads_all_blobs_of_a_revision(tmp_path: Path) -> None:
    files: dict[str, bytes | str] = {path_of(n): incident(n) for n in range(1, 49)}
    files[path_of(49)] = incident(49, "Paiement refusé für Kunden: 決済エラー")  # non-ASCII text
    files[path_of(50)] = incident(50).replace("\n", "\r\n").encode()  # CRLF line endings
    repo = new_repo(tmp_path / "kb", files)
    (repo / path_of(7)).write_text(incident(7, severity="SEV2"))
    commit(repo, "change")

    env, log = logging_git(tmp_path)
    result = run(repo, "diff", "main", "change", "--as-of", AS_OF, env=env)
    assert result.returncode == 0, result.stderr
    assert "- Severity: ` SEV3 ` → ` SEV2 `" in result.stdout  # it really read both revisions
    calls = log.read_text().splitlines()
    assert [c.split()[0] for c in calls] == ["ls-tree", "cat-file", "ls-tree", "cat-file"], calls

    # what was read is byte for byte what `git show` prints, for every file of the revision
    blobs = read_revision(repo, "main")
    listed = git(repo, "ls-tree", "-r", "--name-only", "-z", "main").decode().strip("\0").split("\0")
    assert sorted(blobs) == sorted(listed) and len(blobs) == 51
    for path in listed:
        assert blobs[path] == git(repo, "show", f"main:{path}"), path
    assert b"\r\n" in blobs[path_of(50)] and "決済エラー".encode() in blobs[path_of(49)]


def test_non_utf8_and_crlf_records_load_like_the_validator_loads_them(tmp_path: Path) -> None:
    repo = new_repo(tmp_path, {path_of(1): incident(1)})
    (repo / path_of(2)).write_bytes(incident(2, "Caf\xe9 down").encode("latin-1"))  # not UTF-8 at line 2
    (repo / path_of(3)).write_bytes(incident(3, "'Zahlung fehlgeschlagen: Käufer'").replace("\n", "\r\n").encode())
    commit(repo, "change")
    result = run(repo, "diff", "main", "change", "--as-of", AS_OF)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert f"| {path_of(2)}:2 | encoding: not UTF-8: byte 0xe9 cannot be decoded | none (a new file) |" in result.stdout
    assert "| INC-2026-003 | Zahlung fehlgeschlagen: Käufer | SEV3 |" in result.stdout


def test_a_broken_record_in_head_is_invalid_not_removed(tmp_path: Path) -> None:
    repo = new_repo(tmp_path, {path_of(n): incident(n) for n in (1, 2, 3)})
    # 1: the schema fails in place; 2: renamed and its YAML broken; 3: really removed
    (repo / path_of(1)).write_text(incident(1, severity="SEV9"))
    git(repo, "mv", path_of(2), "incidents/2026/renamed.yaml")
    (repo / "incidents/2026/renamed.yaml").write_text(incident(2).replace("kind: incident", "kind: [incident"))
    git(repo, "rm", "-q", path_of(3))
    commit(repo, "change")
    out = run(repo, "diff", "main", "change", "--as-of", AS_OF)
    assert out.returncode == 0, out.stderr
    md = out.stdout
    assert "> [!CAUTION]\n> 2 record file(s) at ` change ` fail to load or validate" in md
    assert (
        f'| {path_of(1)}:3 | schema: severity: "SEV9" is not one of "SEV1", "SEV2", "SEV3" or "SEV4" (or null if not recorded) '
        "| INC-2026-001: Checkout slow, case 1 |" in md
    )
    assert "| incidents/2026/renamed.yaml:6 | yaml-syntax: " in md
    assert md.count("| INC-2026-002: Checkout slow, case 2 |") == 1  # matched by its `id:` line
    removed = md.split("### Incidents removed\n\n")[1].split("\n\n")[0]
    assert removed == "- INC-2026-003: Checkout slow, case 3"


class Tables(HTMLParser):
    """The rendered comment's elements, its tables (rows of cell texts, header row first) and blockquotes (text)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.blockquotes: list[str] = []
        self.html = ""
        self.tags: list[str] = []
        self._cell: list[str] | None = None
        self._quote_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in {"th", "td"}:
            self._cell = []
        elif tag == "blockquote":
            self._quote_depth += 1
            self.blockquotes.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"th", "td"} and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell))
            self._cell = None
        elif tag == "blockquote":
            self._quote_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._quote_depth:
            self.blockquotes[-1] += data


def render_gfm(markdown: str) -> Tables:
    html = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(markdown)
    tables = Tables()
    tables.html = html
    tables.feed(html)
    tables.close()
    return tables


HOSTILE = "Pay | fail <script>alert(1)</script> `rm -rf` **bold**\nsecond line"
WINDOW = "  - {{service: checkout, level: {level}, start: '2026-03-{d}T10:00:00Z', end: '2026-03-{d}T10:{m}:00Z'}}\n"


def test_the_comment_renders_on_github_with_alerts_and_one_row_per_window(tmp_path: Path) -> None:
    two_windows = "impact:\n" + WINDOW.format(level="major_outage", d="02", m="30")
    two_windows += WINDOW.format(level="partial_outage", d="02", m="45")
    repo = new_repo(tmp_path, {path_of(1): incident(1, impact=two_windows), path_of(2): incident(2)})
    quoted = '"' + HOSTILE.replace("\n", "\\n") + '"'
    one_window = "impact:\n" + WINDOW.format(level="degraded_performance", d="02", m="50")
    (repo / path_of(1)).write_text(incident(1, quoted, impact=one_window))
    (repo / path_of(2)).write_text(incident(2, severity="SEV0"))
    (repo / path_of(3)).write_text(incident(3, quoted))
    commit(repo, "change")
    out = run(repo, "diff", "main", "change", "--as-of", AS_OF)
    assert out.returncode == 0, out.stderr
    md = out.stdout
    assert "!!!" not in md

    page = render_gfm(md)
    assert "script" not in page.tags and "<script" not in page.html  # a code span shows `<script>` as text
    alerts = [quote.split()[0] for quote in page.blockquotes]
    assert alerts == ["[!CAUTION]", "[!WARNING]", "[!WARNING]"], page.blockquotes  # broken, published, public text
    assert page.blockquotes[1].strip().startswith("[!WARNING]\nWill be published: ")  # its ** became <strong>

    shown_title = " ".join(HOSTILE.split())  # the title exactly as written, its line break a space

    invalid, added, impact, availability = page.tables
    assert [len(row) for row in invalid] == [3, 3]
    assert invalid[1][0] == f"{path_of(2)}:3" and invalid[1][2] == "INC-2026-002: Checkout slow, case 2"
    assert added[0] == ["Incident", "Title", "Severity", "Kind", "Status", "Services"]
    assert added[1:] == [["INC-2026-003", shown_title, "SEV3", "incident", "resolved", "checkout"]]
    assert impact == [
        ["", "Service", "Level", "Start", "End"],
        ["before", "checkout", "major outage", "2026-03-02 10:00 UTC", "2026-03-02 10:30 UTC"],
        ["before", "checkout", "partial outage", "2026-03-02 10:00 UTC", "2026-03-02 10:45 UTC"],
        ["after", "checkout", "degraded performance", "2026-03-02 10:00 UTC", "2026-03-02 10:50 UTC"],
    ]
    assert availability[0][:2] == ["Service", "Month"] and [row[:2] for row in availability[1:]] == [
        ["checkout", "2026-03"]
    ]
    heading = md.split("#### INC-2026-001: ")[1].split("\n")[0]
    assert render_gfm(heading).tags == ["p"] and "\\|" in heading  # the heading's title is escaped too
