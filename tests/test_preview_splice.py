"""Which changes to a page's source `incidentkb serve` splices row by row (generator/preview.py _changed_rows): only
consecutive body rows of one table, the table a block of its own after the front matter. Anything else is read
again whole. tests/test_preview_incremental.py checks that spliced pages are what a full build makes."""

from __future__ import annotations

from generator.preview import _changed_rows

PAGE = """---
title: Incidents by tag: database
---

# Incidents by tag: database

Incidents: 3; of severity SEV1 or SEV2: 1.

| Incident | Severity |
|---|---|
| [INC-3: third](../INC-3.md) | SEV3 |
| [INC-2: second](../INC-2.md) | SEV1 |
| [INC-1: first](../INC-1.md) | SEV4 |

Back to the index.
"""
HEADER = ["| Incident | Severity |", "|---|---|"]


def lines(text: str) -> list[str]:
    return text.split("\n")


def test_a_changed_row_is_spliced_alone() -> None:
    after = PAGE.replace("INC-2: second", "INC-2: second, edited")
    assert _changed_rows(lines(PAGE), lines(after)) == (
        HEADER,
        ["| [INC-2: second](../INC-2.md) | SEV1 |"],
        ["| [INC-2: second, edited](../INC-2.md) | SEV1 |"],
    )


def test_rows_added_or_removed_are_anchored_by_the_row_before() -> None:
    removed = PAGE.replace("| [INC-2: second](../INC-2.md) | SEV1 |\n", "")
    assert _changed_rows(lines(PAGE), lines(removed)) == (
        HEADER,
        ["| [INC-3: third](../INC-3.md) | SEV3 |", "| [INC-2: second](../INC-2.md) | SEV1 |"],
        ["| [INC-3: third](../INC-3.md) | SEV3 |"],
    )
    first_removed = PAGE.replace("| [INC-3: third](../INC-3.md) | SEV3 |\n", "")
    assert _changed_rows(lines(PAGE), lines(first_removed)) is None  # no row before it: read whole


def test_anything_but_rows_is_read_whole() -> None:
    changes = {
        "the same source": PAGE,
        "a paragraph": PAGE.replace("Incidents: 3;", "Incidents: 4;"),
        "a row and a paragraph": PAGE.replace("Incidents: 3;", "Incidents: 4;").replace("first", "1st"),
        "the front matter": PAGE.replace("title: Incidents by tag: database", "title: Other"),
        "the header": PAGE.replace("| Incident | Severity |", "| Incident | Level |"),
        "a row that is no row": PAGE.replace("| [INC-1: first](../INC-1.md) | SEV4 |", "INC-1 in prose"),
        "the text after": PAGE.replace("Back to the index.", "Back."),
    }
    for name, after in changes.items():
        assert _changed_rows(lines(PAGE), lines(after)) is None, name


def test_a_table_run_into_a_paragraph_is_read_whole() -> None:
    """Without a blank line above, the header line continues the paragraph: Markdown makes no table of it."""
    glued = PAGE.replace("SEV2: 1.\n\n|", "SEV2: 1.\n|")
    after = glued.replace("INC-2: second", "INC-2: edited")
    assert _changed_rows(lines(glued), lines(after)) is None
