"""`incidentkb report MONTH` in a terminal: plain text by default, Markdown and JSON on request.

The text is read by a person at a terminal, so it holds none of the site page's Markdown (front matter,
backslash escapes, links, images, admonitions), it lines its table up, and record text reaches the terminal
without a single control character: a title holding `ESC [ 31 m` prints as the visible text `\\x1b[31m`.
"""

from __future__ import annotations

import json
import re
import shutil
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from support import KB, REPO, SEV1_FILE, run_cli, run_ok, service, sev1_incident

MONTH, AS_OF = "2026-10", "2026-12-01T00:00:00Z"
# What a terminal acts on: C0 controls but the newline, DEL, C1 controls, line separators, bidi controls.
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository's example knowledge base (other work in the checkout cannot change it)."""
    root = tmp_path_factory.mktemp("example") / "kb"
    for part in ("incidents", "services"):
        shutil.copytree(REPO / part, root / part)
    shutil.copy(REPO / "incidentkb.yml", root)
    return root


@pytest.fixture(scope="module")
def text(example: Path) -> str:
    return run_ok(example, "report", MONTH, "--as-of", AS_OF)


@pytest.fixture(scope="module")
def figures(example: Path) -> dict[str, Any]:
    return json.loads(run_ok(example, "report", MONTH, "--format", "json", "--as-of", AS_OF))


def table_rows(text: str) -> list[str]:
    """The lines of the 'Availability by service' table: its header, its rule and one row per service."""
    section = text.split("Availability by service\n-----------------------\n\n", 1)[1]
    return section.split("\n\n", 1)[0].splitlines()


def width(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def test_text_is_the_default_and_is_not_markdown(example: Path, text: str) -> None:
    assert run_ok(example, "report", MONTH, "--format", "text", "--as-of", AS_OF) == text
    assert text.startswith("Availability report: October 2026\n=================================\n\n")
    assert not text.startswith("---") and "\n---\n" not in text  # no front matter
    for markdown in ("\\.", "\\", "](", "![", "../assets/", "???", "!!!", "**", "| ", "&amp;", "&lt;", "&#"):
        assert markdown not in text, f"{markdown!r} in the text report"
    assert "In October 2026 Larkspur Market had 4 incidents that affected customers." in text


def in_words(minutes: float) -> str:
    hours, rest = divmod(round(minutes), 60)
    parts = [f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in ((hours, "hour"), (rest, "minute")) if n]
    return " ".join(parts)


def test_text_holds_every_incident_and_each_services_availability(text: str, figures: dict[str, Any]) -> None:
    ids = [i["id"] for i in figures["incidents"] + figures["maintenance"]]
    assert ids, "the month must have incidents for this test to mean anything"
    assert [line.split("  ")[0] for line in text.splitlines() if line.startswith("INC-")] == ids
    for entry in figures["incidents"]:
        assert entry["title"] in text
    rows = {row.split("  ")[0]: row for row in table_rows(text)[2:]}
    assert set(rows) == {s["name"] for s in figures["services"]}
    for s in figures["services"]:
        cells = re.split(r"\s{2,}", rows[s["name"]])
        assert cells[1].rstrip("*") == f"{s['availability'] * 100:.3f}%", rows[s["name"]]
        assert cells[3] == f"{s['slo'] * 100:.3f}%"
        # durations read alike everywhere: whole minutes, in words ("3 hours 43 minutes", never "223.2 min")
        assert cells[4] == f"{s['error_budget_used_percent']:.1f}% of {in_words(s['error_budget_minutes'])}"


def test_the_availability_table_is_aligned_and_prose_is_wrapped(text: str) -> None:
    rows = table_rows(text)
    assert re.fullmatch(r"Service +Availability +Downtime +SLO +Error budget used +Maintenance", rows[0])
    assert set(rows[1]) == {"-", " "}
    starts = [m.start() for m in re.finditer(r"-+", rows[1])]
    for row in rows[2:]:  # every cell starts where its column's rule starts (right-aligned ones end there)
        for start in starts[1:]:
            assert row[start - 2 : start] == "  ", f"a cell runs into the column at {start}: {row!r}"
    ends = {row.index("%") for row in rows[2:]}  # availability is right-aligned: its % signs line up
    assert len(ends) == 1, rows
    for line in text.splitlines():
        if line not in rows:
            assert width(line) <= 100, f"not wrapped: {line!r}"


def test_markdown_and_json_remain_formats(example: Path, figures: dict[str, Any]) -> None:
    page = run_ok(example, "report", MONTH, "--format", "markdown", "--as-of", AS_OF)
    assert page.startswith("---\ntitle: ")
    assert "99\\.924%" in page  # the site page's source, escapes and all
    assert figures["month"] == MONTH and figures["services"]
    proc = run_cli("report", MONTH, "--format", "html", "--as-of", AS_OF, root=example, timeout=120)
    assert proc.returncode == 2
    assert "invalid choice: 'html' (choose from 'text', 'markdown', 'json')" in proc.stderr


# What the loader lets through (it refuses C0/C1 controls and bidi overrides: tests/test_hostile_text.py) but a
# terminal would obey or show out of order: line and paragraph separators, and the right-to-left mark.
HOSTILE = "Checkout\u2028red\u2029 over\u200fesrever"


def test_record_text_reaches_the_terminal_without_control_characters(kb: KB) -> None:
    record = sev1_incident()
    record["title"] = HOSTILE
    record["summary"]["public"] = f"What they saw: {HOSTILE}\n\nSecond\u2028paragraph."
    kb.write(SEV1_FILE, record)
    web = service("web")
    web["public"]["name"] = "Web\u200e 网站"
    kb.write_service("web", web)

    out = run_ok(kb.root, "report", MONTH, "--as-of", AS_OF)

    found = sorted({f"U+{ord(c):04X}" for c in CONTROL.findall(out)})
    assert not found, f"control characters reach the terminal: {found}"
    # Line and paragraph separators break lines as any white space does; the mark is shown, not obeyed.
    assert "Checkout red over\\u200fesrever" in out
    row = next(line for line in table_rows(out) if line.startswith("Web"))
    assert row.startswith("Web\\u200e 网站  ")
    header = table_rows(out)[0]
    assert width(row[: row.index("%") + 1]) == width(header[: header.index("Availability") + len("Availability")])


def test_what_the_loader_refuses_is_also_made_visible_by_the_terminal_renderer() -> None:
    """A second line of defence: even text that never loaded is shown, not obeyed."""
    from generator.render.terminal import terminal_safe

    hostile = "a\x1b[31mred\x1b[0m\x07\x9b2J\u202eb"
    assert terminal_safe(hostile) == "a\\x1b[31mred\\x1b[0m\\x07\\x9b2J\\u202eb"
