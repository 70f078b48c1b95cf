"""Text in the SVG charts: how wide a label is drawn, wrapping it to a width, and stacking labels in rows so that
no two overlap. The charts' geometry (render/charts.py) is built on these measures, so that the layout, not the
template, keeps labels apart.

An SVG shown as an image cannot measure its own text, so we measure here, from the advance widths of DejaVu Sans,
the first font the charts ask for (their style sheet, render/charts.py _style). Verdana, the next, has nearly the
same widths, and the usual `sans-serif` fallbacks (Arial, Helvetica, Liberation Sans) are narrower, so a label
measured here is never drawn wider than its box. Characters outside ASCII count as a full em (wide ones, CJK) or
0.8 em, which is more than any Latin letter takes.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

FONT_FAMILY = "DejaVu Sans,Verdana,sans-serif"
FONT_SIZE = 13.0  # user units: a chart drawn at its own width shows 13 CSS px text
LINE_HEIGHT = 16.0
SAFETY = 1.04  # hinting and kerning differ a little between renderers

# Advance widths of printable ASCII (space to tilde) in thousandths of an em, measured in Chromium.
_REGULAR = (
    "318,401,460,838,636,950,780,275,390,390,500,838,318,361,318,337,636,636,636,636,636,636,636,636,636,636,337,"
    "337,838,838,838,531,1000,684,686,698,770,632,575,775,752,295,295,656,557,863,748,787,603,787,695,635,611,732,"
    "684,989,685,611,685,390,337,390,838,500,500,613,635,550,635,615,352,635,634,278,278,579,278,974,634,612,635,"
    "635,411,521,392,634,592,818,592,592,525,636,337,636,838"
)
_BOLD = (
    "348,456,521,838,696,1002,872,306,457,457,523,838,380,415,380,365,696,696,696,696,696,696,696,696,696,696,400,"
    "400,838,838,838,580,1000,774,762,734,830,683,683,821,837,372,372,775,637,995,837,850,733,850,770,720,682,812,"
    "774,1103,771,724,725,457,365,457,838,500,500,675,716,593,716,678,435,716,712,343,343,665,343,1042,712,687,716,"
    "716,493,595,478,712,652,924,645,652,582,712,365,712,838"
)
_WIDTHS = {
    False: tuple(int(w) / 1000 for w in _REGULAR.split(",")),
    True: tuple(int(w) / 1000 for w in _BOLD.split(",")),
}


def _char_em(char: str, bold: bool) -> float:
    code = ord(char)
    if 32 <= code < 127:
        return _WIDTHS[bold][code - 32]
    if unicodedata.combining(char):
        return 0.0
    return 1.0 if unicodedata.east_asian_width(char) in ("W", "F") else 0.8


@lru_cache(maxsize=65536)  # words recur (category names, times, common words of causes)
def _ems(text: str, bold: bool) -> float:
    return sum(_char_em(c, bold) for c in text)


def text_width(text: str, *, size: float = FONT_SIZE, bold: bool = False) -> float:
    """The drawn width of one line of text, in user units (never less than a renderer draws it)."""
    return round(_ems(text, bold) * size * SAFETY, 1)


# A long token (a URL, a dotted name, a path) may break after one of these without a hyphen.
_BREAK_AFTER = "/-_.,:;=&?"


def _pieces(word: str) -> list[str]:
    """A word split after each character it may break after: payments-db.pool -> payments- db. pool."""
    pieces, current = [], ""
    for char in word:
        current += char
        if char in _BREAK_AFTER:
            pieces.append(current)
            current = ""
    return [*pieces, current] if current else pieces


def _hard_break(piece: str, width: float, bold: bool) -> list[str]:
    """A piece wider than a line cut into lines that fit, a hyphen where the cut splits a word of an alphabet
    (Chinese or Japanese text breaks between any two characters without one)."""
    lines, current = [], ""
    for char in piece:
        if current and text_width(current + char + "-", bold=bold) > width:
            hyphen = "-" if current[-1].isalpha() and char.isalpha() and ord(char) < 0x2E80 else ""
            lines.append(current + hyphen)
            current = ""
        current += char
    return [*lines, current] if current else lines


def wrap(text: str, width: float, *, bold: bool = False) -> tuple[str, ...]:
    """`text` on lines no wider than `width`: broken between words, then after a token's punctuation (a URL, a
    dotted name), and only a word longer than the line itself is cut, with a hyphen. Nothing is dropped."""
    return _wrap(text, width, bold)


@lru_cache(maxsize=4096)  # a chart measures its labels before it places them, at two widths
def _wrap(text: str, width: float, bold: bool) -> tuple[str, ...]:
    lines: list[str] = []
    current = ""
    room = width / (FONT_SIZE * SAFETY)  # in ems, so that a line's width is the sum of its words'
    space = _ems(" ", bold)
    used = 0.0  # the ems of `current`
    for word in text.split():
        word_ems = _ems(word, bold)
        if (used + space + word_ems if current else word_ems) <= room:
            current, used = (f"{current} {word}", used + space + word_ems) if current else (word, word_ems)
            continue
        if current and word_ems <= room:
            lines.append(current)
            current, used = word, word_ems
            continue
        # the word does not fit on a line of its own: fill the line piece by piece
        for index, piece in enumerate(_pieces(word)):
            joined = current + (" " if current and index == 0 else "") + piece
            if text_width(joined, bold=bold) <= width:
                current = joined
                continue
            if current:
                lines.append(current)
                current = ""
            if text_width(piece, bold=bold) <= width:
                current = piece
            else:
                *full, current = _hard_break(piece, width, bold)
                lines.extend(full)
        used = _ems(current, bold)
    if current:
        lines.append(current)
    return tuple(lines) or ("",)


@dataclass(frozen=True)
class Span:
    """A label's horizontal extent, and where its leader line (if any) meets the axis."""

    start: float
    end: float
    anchor_x: float


def stack_rows(spans: Sequence[Span], *, gap: float = 8.0) -> list[int]:
    """A row for each span (0 the first), so that spans in one row are `gap` apart. Spans must come in order of
    `start`. Each takes the first row whose last span ended `gap` before it: the fewest rows for spans in order."""
    row_ends: list[float] = []
    rows = []
    for span in spans:
        for row, end in enumerate(row_ends):
            if end + gap <= span.start:
                row_ends[row] = span.end
                rows.append(row)
                break
        else:
            row_ends.append(span.end)
            rows.append(len(row_ends) - 1)
    return rows


def staircase_rows(spans: Sequence[Span], *, gap: float = 8.0) -> list[int]:
    """Rows for flag labels whose leader lines drop from the label's row down to the axis (row 0 is the top):
    a label goes to the row just below every earlier label that covers its leader, so a leader never crosses a
    label and labels in a row never touch. Spans come in order of `anchor_x`, each starting at its anchor."""
    placed: list[tuple[Span, int]] = []
    rows = []
    for span in spans:
        covering = [row for other, row in placed if other.start - gap < span.anchor_x < other.end + gap]
        row = max(covering) + 1 if covering else 0
        placed.append((span, row))
        rows.append(row)
    return rows
