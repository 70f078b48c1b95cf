"""`incidentkb update` edits a live record in place; `incidentkb diff` summarises a change in meaning.

Both run as the real CLI on real files; diff reads real commits of a temporary git repository.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from generator.loader import load_document

SERVICES = {
    "checkout": "id: checkout\nname: Checkout\nowner_team: payments\ntier: 1\npublic: {listed: true, name: Checkout}\nslo: {availability: 0.999}\n",
    "ledger": "id: ledger\nname: Ledger\nowner_team: finance\ntier: 2\npublic: {listed: false}\nslo: {availability: 0.99}\n",
}
LIVE = """# yaml-language-server: $schema=../../schemas/incident.schema.json
# The record of an ongoing incident; comments like this one must survive updates.
id: INC-2026-007
title: Checkout errors
severity: SEV2
status: investigating   # keep this comment
kind: incident
services: [checkout]
started_at: 2026-10-14T09:12:00Z
detected_at: 2026-10-14T09:15:00Z
impact:
  - service: checkout
    level: major_outage
    start: 2026-10-14T09:12:00Z
summary:
  public: Some customers could not check out.
  internal: The pool on pg-main-03 was exhausted.
updates:
  - at: 2026-10-14T09:20:00Z
    status: investigating
    message: We are investigating failed checkouts. Next update in 30 minutes.

timeline:
  - {at: 2026-10-14T09:15:00Z, event: Alert fired}
"""
RECORD = "incidents/2026/2026-10-14-checkout-errors.yaml"


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", "--root", str(root), *args], capture_output=True, text=True, check=False
    )


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    for name, text in SERVICES.items():
        (tmp_path / "services").mkdir(exist_ok=True)
        (tmp_path / "services" / f"{name}.yaml").write_text(text)
    (tmp_path / "incidents" / "2026").mkdir(parents=True)
    (tmp_path / RECORD).write_text(LIVE)
    return tmp_path


def test_update_appends_and_keeps_everything_else(kb: Path) -> None:
    result = run(
        kb,
        "update",
        "INC-2026-007",
        "--status",
        "identified",
        "--message",
        'Found it: "pool" # not a comment',
        "--at",
        "2026-10-14T09:50:00Z",
    )
    assert result.returncode == 0, result.stderr
    text = (kb / RECORD).read_text()
    # every original line is still there, in order, except the status value
    original = [line for line in LIVE.splitlines() if not line.startswith("status:")]
    remaining = iter(text.splitlines())
    assert all(any(line == other for other in remaining) for line in original)
    assert "status: identified   # keep this comment" in text
    data = load_document(kb / RECORD).data
    assert data["status"] == "identified"
    assert data["updates"][-1] == {
        "at": "2026-10-14T09:50:00Z",
        "status": "identified",
        "message": 'Found it: "pool" # not a comment',
    }
    assert data["timeline"] == [{"at": "2026-10-14T09:15:00Z", "event": "Alert fired"}]


def test_update_twice_keeps_order_and_validates(kb: Path) -> None:
    assert (
        run(
            kb,
            "update",
            "INC-2026-007",
            "--status",
            "identified",
            "--message",
            "Cause found.",
            "--at",
            "2026-10-14T09:50:00Z",
        ).returncode
        == 0
    )
    assert (
        run(
            kb,
            "update",
            "INC-2026-007",
            "--status",
            "monitoring",
            "--message",
            "Fix deployed.",
            "--at",
            "2026-10-14T10:05:00Z",
        ).returncode
        == 0
    )
    data = load_document(kb / RECORD).data
    assert [u["status"] for u in data["updates"]] == ["investigating", "identified", "monitoring"]
    assert run(kb, "validate", "--as-of", "2026-10-14").returncode == 0


def test_update_to_resolved_sets_resolved_at_and_reports_what_is_missing(kb: Path) -> None:
    result = run(
        kb, "update", "INC-2026-007", "--status", "resolved", "--message", "Resolved.", "--at", "2026-10-14T11:00:00Z"
    )
    assert result.returncode == 1  # written, but the validator names what a resolved SEV2 still needs
    assert load_document(kb / RECORD).data["resolved_at"] == "2026-10-14T11:00:00Z"
    assert "error[open-impact]" in result.stderr and "error[root-cause-required]" in result.stderr
    assert "Traceback" not in result.stderr


def test_update_of_unknown_id_is_a_usage_error(kb: Path) -> None:
    result = run(kb, "update", "INC-2026-999", "--status", "resolved", "--message", "x")
    assert result.returncode == 2 and "no incident record has id INC-2026-999" in result.stderr
    assert (kb / RECORD).read_text() == LIVE


def test_update_refuses_a_broken_file_and_leaves_it_alone(kb: Path) -> None:
    broken = LIVE.replace("severity: SEV2\n", "severity: SEV2\nseverity: SEV1\n")
    (kb / RECORD).write_text(broken)
    result = run(kb, "update", "INC-2026-007", "--status", "identified", "--message", "x")
    assert result.returncode == 1 and "error[duplicate-key]" in result.stderr
    assert (kb / RECORD).read_text() == broken


@pytest.fixture
def repo(kb: Path) -> Path:
    git(kb, "init", "-q", "-b", "main")
    git(kb, "add", "-A")
    git(kb, "commit", "-qm", "base")
    return kb


def test_diff_of_identical_revisions_says_nothing_changed(repo: Path) -> None:
    result = run(repo, "diff", "main", "HEAD", "--as-of", "2026-11-23T12:00:00Z")
    assert result.returncode == 0
    assert "No incident changed in meaning." in result.stdout


def test_diff_reports_meaning(repo: Path) -> None:
    text = LIVE.replace("status: investigating   #", "status: monitoring   #").replace(
        "severity: SEV2", "severity: SEV1"
    )
    text = text.replace(
        "    start: 2026-10-14T09:12:00Z\n", "    start: 2026-10-14T09:12:00Z\n    end: 2026-10-14T10:12:00Z\n", 1
    )
    text = text.replace(
        "  public: Some customers could not check out.", "  public: Many customers could not check out."
    )
    text = text.replace(
        "timeline:",
        "action_items:\n  - {title: Alert on pool saturation, owner: Dana, due: 2026-11-01, status: open, kind: detect}\ntimeline:",
    )
    (repo / RECORD).write_text(text)
    (repo / "incidents" / "2026" / "2026-10-20-ledger-lag.yaml").write_text(
        "id: INC-2026-008\ntitle: Ledger lag\nseverity: SEV3\nstatus: resolved\nkind: near_miss\nservices: [ledger]\n"
        "started_at: 2026-10-20T10:00:00Z\nresolved_at: 2026-10-20T11:00:00Z\nsummary: {public: null}\n"
    )
    git(repo, "checkout", "-qb", "change")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "change")
    out = run(repo, "diff", "main", "change", "--as-of", "2026-11-23T12:00:00Z")
    assert out.returncode == 0, out.stderr
    md = out.stdout
    assert "### Incidents added" in md and "INC-2026-008" in md
    assert "- Status: ` investigating ` → ` monitoring `" in md
    assert "- Severity: ` SEV2 ` → ` SEV1 `" in md
    assert "- Action item added: Alert on pool saturation" in md
    assert "**Public text changed** (summary)" in md
    # the impact change is a table, one row per window of each side
    assert "| before | checkout | major outage | 2026-10-14 09:12 UTC | ongoing |\n" in md
    assert "| after | checkout | major outage | 2026-10-14 09:12 UTC | 2026-10-14 10:12 UTC |\n" in md
    assert "Impact windows changed:" in md and "→ checkout" not in md
    # before: the window was ongoing, so October counted it from 09:12 on the 14th to the end of the month;
    # after: it ends an hour after it started
    october = 31 * 24 * 60
    down_before = (datetime(2026, 11, 1, tzinfo=UTC) - datetime(2026, 10, 14, 9, 12, tzinfo=UTC)) / timedelta(minutes=1)

    def shown(fraction: float) -> str:  # a value that begins like `1.` of a numbered list has that dot escaped
        return f"{fraction * 100:.3f}%".replace(".", "\\.", 1)

    assert f"| checkout | 2026-10 | {shown(1 - down_before / october)} | {shown(1 - 60 / october)} (below SLO) |" in md
    assert "| checkout | 2026-11 | 0\\.000% | 100\\.000% |" in md  # November was all down while ongoing
    assert "Overdue action items" in md and "Alert on pool saturation (due 2026-11-01, open)" in md


def test_diff_against_the_working_tree_and_a_bad_revision(repo: Path) -> None:
    (repo / RECORD).write_text(LIVE.replace("severity: SEV2", "severity: SEV9"))
    out = run(repo, "diff", "main", "--as-of", "2026-11-23T12:00:00Z")
    assert out.returncode == 0
    assert "### Records that do not load or validate" in out.stdout
    assert f"| {RECORD}:5 | schema: severity: " in out.stdout
    assert "| INC-2026-007: Checkout errors |" in out.stdout  # the broken record is the base's incident...
    assert "Incidents removed" not in out.stdout  # ...which is invalid, not removed
    bad = run(repo, "diff", "no-such-branch")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "'no-such-branch' is not a commit of the repository at" in bad.stderr and "branch, tag" in bad.stderr
    option = run(repo, "diff", "--output=/tmp/x")  # argparse would take it as an option: pass it after --
    assert option.returncode == 2
    option = run(repo, "diff", "--", "--output=x")  # a revision that git would read as an option is refused
    assert option.returncode == 2 and "cannot start with -" in option.stderr and not (repo / "x").exists()
