"""Plain text for a terminal: the monthly report as `incidentkb report MONTH` prints it by default.

Record text is untrusted, and a terminal obeys control sequences: a title holding `ESC [ 2 J` would clear the
screen, `ESC ] 8 ;;` would plant a link, a carriage return would overwrite what came before, U+202E would
reverse what follows. So every `{{ value }}` passes through `finalize`, which shows each C0 and C1 control,
DEL, the Unicode line separators and the bidirectional controls as a visible escape (`\\x1b`, `\\u202e`), and a
value stays on its line. Text the filters below have already made safe (wrapped prose, aligned tables,
headings) is marked `Trusted` and passes unchanged. Nothing here is Markdown: no escapes, no links, no images.
"""

from __future__ import annotations

import re
import textwrap
import unicodedata
from collections.abc import Callable
from functools import cache
from typing import Any

from jinja2 import Environment, Undefined
from markupsafe import Markup

from generator.analyze.report import MonthlyReport
from generator.render.markdown import (
    day,
    decimal,
    label,
    local_when,
    minutes_words,
    percent,
    report_when,
    template_environment,
)
from generator.render.public_pages import lede, month_name

Trusted = Markup  # text already made safe for a terminal here, not taken raw from a record

WIDTH = 100
_CELL = "\x1f"  # separates cells from `row` to `columns`; in a record's text it is white space, made a space
# Characters a terminal acts on, or that move or reorder text: C0 and C1 controls, DEL, line and paragraph
# separators, and the bidirectional embeddings, overrides and isolates.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def terminal_safe(text: str) -> str:
    """`text` with every control character shown as its escape, so a terminal prints it and does nothing else."""
    return _CONTROL.sub(_visible, text)


def _line(value: Any) -> str:
    """A value on one line, terminal-safe; "unknown" for an absent one."""
    return "unknown" if value is None or isinstance(value, Undefined) else terminal_safe(" ".join(str(value).split()))


def finalize(value: Any) -> Any:
    if isinstance(value, Markup):
        return str(value)
    if value is None or isinstance(value, Undefined):
        return "unknown"
    if isinstance(value, str):
        return terminal_safe(value)
    return value


def display_width(text: str) -> int:
    """Columns the text takes in a terminal: wide East Asian characters take two, combining marks none."""
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def wrap(text: str | None, indent: int = 0) -> Markup:
    """Prose as paragraphs of at most WIDTH columns, each line indented by `indent` spaces."""
    if text is None or isinstance(text, Undefined):
        return Trusted(" " * indent + "unknown")
    pad = " " * indent
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text.strip())]
    return Trusted(
        "\n\n".join(
            textwrap.fill(
                terminal_safe(p),
                width=WIDTH,
                initial_indent=pad,
                subsequent_indent=pad,
                break_long_words=False,
                break_on_hyphens=False,
            )
            for p in paragraphs
            if p
        )
    )


def heading(text: str, rule: str = "=") -> Markup:
    """A heading underlined to its width."""
    shown = _line(text)
    return Trusted(f"{shown}\n{rule * display_width(shown)}")


def row(*cells: Any) -> Markup:
    """One table row, for `columns`: each cell on one line and terminal-safe."""
    return Trusted(_CELL.join(_line(cell) for cell in cells))


def columns(block: str, align: str = "", indent: int = 0, rule: bool = True) -> Markup:
    """The rows in `block` (one `row` a line) as aligned columns two spaces apart; `align` holds one letter per
    column, `l` (the default) or `r`; with `rule`, a line of dashes under the first row."""
    rows = [line.split(_CELL) for line in block.splitlines() if line.strip()]
    count = max((len(r) for r in rows), default=0)
    widths = [max((display_width(r[i]) for r in rows if i < len(r)), default=0) for i in range(count)]
    pad = " " * indent

    def line(cells: list[str]) -> str:
        shown = []
        for i, cell in enumerate(cells):
            gap = " " * (widths[i] - display_width(cell))
            shown.append(gap + cell if align[i : i + 1] == "r" else cell + gap)
        return (pad + "  ".join(shown)).rstrip()

    lines = [line(r) for r in rows]
    if rule and rows:
        lines.insert(1, pad + "  ".join("-" * w for w in widths))
    return Trusted("\n".join(lines))


@cache
def text_environment() -> Environment:
    filters: dict[str, Callable[..., Any]] = {
        "wrap": wrap,
        "heading": heading,
        "columns": columns,
        "day": day,
        "label": label,
        "local_when": local_when,
        "report_when": report_when,
        "minutes_words": minutes_words,
        "percent": percent,
        "decimal": decimal,
    }
    return template_environment(finalize, filters, {"row": row})


def render_report_text(report: MonthlyReport, *, company: str) -> str:
    """The month's availability report as plain text, from the same MonthlyReport as the site's page."""
    return (
        text_environment()
        .get_template("public/report.txt.j2")
        .render(report=report, month_name=month_name(report), lede=lede(report, company))
    )
