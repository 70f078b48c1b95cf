"""The plain-text shortcut (generator/plain_text.py) changes no HTML, and is on in every MkDocs build of the site.

Python-Markdown skips inline patterns on text the shortcut marks; if it ever marked text a pattern could match,
a link, an escape or an emphasis would come out as literal text. So any Markdown, built from the syntax the
patterns react to, must convert to the same HTML with and without it.
"""

from __future__ import annotations

import markdown
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown.util import AtomicString
from mkdocs.config import load_config
from support import REPO
from test_escaping import TOKENS, site_markdown

from generator.plain_text import PlainTextExtension, PlainTextTreeprocessor

SYNTAX = st.one_of(
    TOKENS,
    st.sampled_from(
        [
            "[a](b.md)",
            "![i](x.svg)",
            "`code`",
            "**bold**",
            "_em_",
            "a  \nb",
            "<b>x</b>",
            "&copy;",
            "<https://example.org>",
            "<a@b.c>",
            "\\*",
            "| a | b |\n|---|---|\n| 1 | x_y |\n",
            "\n\n",
            "# h { data-x }",
            "!!! note\n    text",
        ]
    ),
)


def both(text: str) -> tuple[str, str]:
    plain = site_markdown().convert(text)
    with_shortcut = site_markdown()
    PlainTextExtension().extendMarkdown(with_shortcut)
    return plain, with_shortcut.convert(text)


@settings(max_examples=500, deadline=None)
@given(st.lists(SYNTAX, min_size=1, max_size=30).map("".join))
@example("| Service | Note |\n|---|---|\n| [api](a.md) | plain words |\n| b | x *y* z |\n")
def test_any_markdown_converts_the_same_with_the_shortcut(text: str) -> None:
    plain, fast = both(text)
    assert fast == plain


class _Spy(PlainTextTreeprocessor):
    marked: list[str]

    def run(self, root):  # type: ignore[no-untyped-def]
        super().run(root)
        self.marked = [t for e in root.iter() for t in (e.text, e.tail) if isinstance(t, AtomicString)]


def spied(md: markdown.Markdown) -> _Spy:
    spy = _Spy(md)
    md.treeprocessors.register(spy, "spy", 21)
    return spy


def test_plain_cells_are_skipped_and_cells_with_syntax_are_not() -> None:
    md = site_markdown()
    spy = spied(md)
    md.convert("| When | What |\n|---|---|\n| 09:12 UTC | [runbook](r.md) |\n| 09:40 UTC | *rolled back* |\n")
    assert "09:12 UTC" in spy.marked and "09:40 UTC" in spy.marked
    assert not any("runbook" in t or "rolled" in t for t in spy.marked)


def test_an_unknown_inline_pattern_turns_the_shortcut_off() -> None:
    """An extension's pattern may start at any character: then nothing is marked."""
    md = markdown.Markdown(extensions=["pymdownx.magiclink"])  # matches bare URLs and @mentions
    spy = spied(md)
    md.convert("| a | b |\n|---|---|\n| 09:12 UTC | see https://example.org |\n")
    assert spy.marked == []
    assert '<a href="https://example.org"' in md.convert("see https://example.org")


def test_the_plugin_adds_the_shortcut_to_the_sites_markdown() -> None:
    config = load_config(str(REPO / "mkdocs.yml"))
    config = config.plugins.on_config(config)
    md = markdown.Markdown(extensions=config.markdown_extensions, extension_configs=config.mdx_configs)
    assert "incidentkb_plain_text" in md.treeprocessors
