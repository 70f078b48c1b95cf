"""Record text renders as exactly the text that was written, whatever Markdown syntax it holds.

`escape_markdown` escapes only what Markdown (with the extensions of mkdocs.yml) would act on, so it is checked
against the real renderer: any text, escaped and converted by Python-Markdown with the site's extensions, must
come out as paragraphs of that same text, with no element a record could have asked for (links, emphasis,
headings, lists, tables, admonitions, code).
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import markdown
import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st
from support import REPO

from generator.render.markdown import escape_every_special, escape_markdown

PUNCTUATION = "\\`*_{}[]()#+-.!|~=^:?<>&\"'/@%;,$"
TOKENS = st.one_of(
    st.sampled_from(list(PUNCTUATION)),
    st.sampled_from(["!!! ", "??? ", "=== ", "--8<-- ", "1. ", "12) ", "- ", "+ ", "* ", "> ", ": ", "---", "***"]),
    st.sampled_from(["[x](javascript:alert(1))", "{: onclick=x}", "{ #id }", "<script>", "&amp;", "C#", "a | b"]),
    st.text(alphabet="abcXYZ019", min_size=1, max_size=6),
    st.just(" "),
    st.just("\n"),
)


def site_markdown() -> markdown.Markdown:
    """Python-Markdown with exactly the extensions and settings of the site's mkdocs.yml."""
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))
    names: list[str] = []
    settings_of: dict[str, Any] = {}
    for entry in config["markdown_extensions"]:
        name, options = next(iter(entry.items())) if isinstance(entry, dict) else (entry, None)
        names.append(name)
        if options:
            settings_of[name] = options
    return markdown.Markdown(extensions=names, extension_configs=settings_of)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.extend(attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def rendered(text: str) -> _Text:
    md = site_markdown()
    parser = _Text()
    parser.feed(md.convert(escape_markdown(text)))
    parser.close()
    return parser


def words(text: str) -> str:
    return " ".join(text.split())


def lines_without_indent(text: str) -> str:
    # Indentation is layout (an indented paragraph line is still prose); records' prose filters strip it.
    return "\n".join(line.lstrip(" ") for line in text.split("\n"))


@settings(max_examples=400, deadline=None)
@given(st.lists(TOKENS, min_size=1, max_size=40).map("".join).map(lines_without_indent))
@example('1986. A fine year\n- not a list\n# not a heading\nC#\n!!! danger "x"\n=== "tab"\nsetext\n---')
@example("[x](javascript:alert(1)) {: onclick=alert(2) } *b* _i_ `c` <img src=x onerror=alert(3)>")
def test_any_text_renders_as_itself(text: str) -> None:
    result = rendered(text)
    assert result.tags <= {"p", "br"}, result.tags
    assert result.attributes == []
    assert words("".join(result.text)) == words(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Checkout failed at 09:12 (see the runbook).", "Checkout failed at 09:12 (see the runbook)."),
        ("- a\n1. b", "\\- a\n1\\. b"),
        ("C# and a_b", "C\\# and a\\_b"),
    ],
)
def test_prose_punctuation_is_left_alone(text: str, expected: str) -> None:
    """Only what Markdown would act on is escaped: plain prose stays readable in the generated Markdown."""
    assert escape_markdown(text) == expected


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(), st.lists(TOKENS, max_size=40).map("".join)))
def test_the_shortcut_for_plain_text_changes_nothing(text: str) -> None:
    """escape_markdown returns text unchanged when no character needs escaping; that must be exactly what the
    full escape would have returned."""
    assert escape_markdown(text) == escape_every_special(text)
