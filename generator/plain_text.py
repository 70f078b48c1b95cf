"""A Markdown extension that lets Python-Markdown skip text in which no inline pattern can match.

Python-Markdown tries each of its inline patterns (links, code, emphasis, escapes, HTML, entities...) on every
text node, one regular expression after another. A post-mortem has hundreds of table cells, and most of them
(times, durations, levels, plain sentences) hold none of the characters those patterns start with. Marking such
text as an AtomicString, which the inline processor leaves alone, takes a quarter off the Markdown time of a
post-mortem and changes no output (tests/test_plain_text.py renders arbitrary text both ways).

The characters come from the patterns registered on this Markdown instance, by name. An extension that adds an
inline pattern this module does not know turns the shortcut off for that instance: then every text is processed.
The incidentkb MkDocs plugin adds the extension; engines that run no plugins (Zensical) render the same HTML.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from collections.abc import Callable

from markdown import Markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from markdown.util import STX, AtomicString

# The characters at which each of Python-Markdown's own inline patterns can begin a match.
PATTERN_STARTS = {
    "backtick": "`\\",
    "escape": "\\",  # also pymdownx.escapeall's pattern, under the same name
    "reference": "[",
    "link": "[",
    "image_link": "[",  # `![`: no match without the bracket
    "image_reference": "[",
    "short_reference": "[",
    "short_image_ref": "[",
    "autolink": "<",
    "automail": "<",
    "html": "<",
    "entity": "&",
    "not_strong": "*_",
    "em_strong": "*_",
    "em_strong2": "_",
    "strong_em": "*_",
}
LINE_BREAK = "linebreak"  # two spaces before a newline
PRIORITY = 21  # just before the inline processor (20)


class PlainTextTreeprocessor(Treeprocessor):
    def run(self, root: etree.Element) -> None:
        needs_inline = _needs_inline(self.md)
        if needs_inline is None:
            return
        for element in root.iter():
            text = element.text
            if text and not isinstance(text, AtomicString) and not needs_inline(text):
                element.text = AtomicString(text)
            tail = element.tail
            if tail and not isinstance(tail, AtomicString) and not needs_inline(tail):
                element.tail = AtomicString(tail)


def _needs_inline(md: Markdown) -> Callable[[str], re.Match[str] | None] | None:
    """A search for any character an inline pattern of `md` can start at; None when a pattern is unknown."""
    starts = {STX}  # placeholders of stashed HTML and of earlier inline matches
    line_break = False
    for name in [item.name for item in md.inlinePatterns._priority]:
        if name == LINE_BREAK:
            line_break = True
        elif name in PATTERN_STARTS:
            starts.update(PATTERN_STARTS[name])
            starts.update(token[0] for token in getattr(md.inlinePatterns[name], "tokens", ()))  # em_strong's
        else:
            return None
    alternatives = ["[" + re.escape("".join(sorted(starts))) + "]"] + (["  \n"] if line_break else [])
    return re.compile("|".join(alternatives)).search


class PlainTextExtension(Extension):
    def extendMarkdown(self, md: Markdown) -> None:  # Python-Markdown names it so
        md.treeprocessors.register(PlainTextTreeprocessor(md), "incidentkb_plain_text", PRIORITY)


def makeExtension(**kwargs: object) -> PlainTextExtension:  # the entry point Python-Markdown looks for
    return PlainTextExtension(**kwargs)
