"""The Jinja2 environment for Markdown pages, with escaping on by default.

Record text is untrusted: an author (or a pasted log line) can hold `<script>`, `[x](javascript:...)` or
`{{ }}`. Every `{{ value }}` in a Markdown template passes through `finalize`, which HTML-escapes it and
backslash-escapes Markdown syntax, so it always renders as the visible text that was written. Values the
generator itself builds (links to other pages, front matter) are wrapped in `Trusted` to pass unchanged.
Record values are only ever data to templates, never template source, so `{{ }}` in a record is never evaluated.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from functools import cache
from typing import Any
from urllib.parse import quote

from jinja2 import ChainableUndefined, Environment, PackageLoader, StrictUndefined, Undefined
from markupsafe import Markup

from generator.analyze.uptime import uptime_strip
from generator.model import ApproximateMinutes, ApproximateTime, DateOnly, Quantity

NOT_RECORDED = "not recorded"  # what a null or absent value reads as: the record does not say

Trusted = Markup  # a string that is already safe Markdown (built by the generator, not taken from a record)

# Punctuation that Markdown or a pymdownx extension gives meaning to anywhere in a line: links and images,
# emphasis, code, tables, attribute lists, heading ends (a trailing `#` is dropped), strike/mark/caret.
_INLINE_SPECIALS = "\\`*_{}[]#|~^="
_INLINE_ESCAPES = str.maketrans({char: "\\" + char for char in _INLINE_SPECIALS})  # one pass, linear in the text
# Punctuation that only means something at the start of a line: headings, lists (`-`, `+`, `1.`), rules and
# setext underlines, admonitions (!!!), details (???), tabs (===), definitions (:), snippets (--8<--).
_LINE_START_SPECIAL = re.compile(r"^([ \t]*)([-+!?:.>/]|[0-9]+[.)])", re.MULTILINE)
# Any of the above, or a character html.escape changes: most values (times, names, plain sentences) hold none.
_ANY_SPECIAL = re.compile(r"[&<>\\`*_{}\[\]#|~^=]|^[ \t]*(?:[-+!?:.>/]|[0-9]+[.)])", re.MULTILINE)
# Escaping only where needed matters: each backslash escape costs Python-Markdown an inline match and a
# placeholder, and escaping every `.`, `-` and `:` of prose made rendering the site markedly slower.


def escape_markdown(text: str) -> str:
    """Text that renders in Markdown exactly as written: no HTML, no links, no emphasis, no extensions.

    pymdownx.escapeall (in mkdocs.yml) makes a backslash escape valid before any character.
    """
    return escape_every_special(text) if _ANY_SPECIAL.search(text) else text


def escape_every_special(text: str) -> str:
    """escape_markdown without its shortcut for text that needs no escape (the tests compare the two)."""
    escaped = html.escape(text, quote=False)  # & < > become entities first, so no raw HTML survives
    escaped = escaped.translate(_INLINE_ESCAPES)  # 20 times faster than a regular expression's sub on `****`
    return _LINE_START_SPECIAL.sub(_escape_line_start, escaped)


def _escape_line_start(match: re.Match[str]) -> str:
    indent, marker = match.groups()
    return f"{indent}{marker[:-1]}\\{marker[-1]}"  # `1.` becomes `1\.`; `-` becomes `\-`


# On GitHub, `@name` and `@org/team` in a comment notify them, `#123` cross-references an issue, and a bare
# `https://...`, `www.` or e-mail address becomes a link. Each is matched within one run of text, so an empty HTML
# comment (it renders as nothing; record text cannot make one, its `<` is escaped) inside each breaks it up: the
# comment shows the text as written, and nobody is pinged, referenced or sent anywhere.
_GITHUB_TRIGGER = re.compile(r"(?<=@)(?=[a-z0-9])|(?<=#)(?=[0-9])|(?=://)|(?<=www)(?=\.)", re.IGNORECASE)
_TEXT_BREAK = "<!-- -->"


def inert(text: str | None) -> Markup:
    """Record text for a GitHub comment (the `diff` pull-request comment): escaped as `finalize` escapes it, with
    its mentions, issue references and bare addresses broken up so that they show but neither notify nor link."""
    text = _known(text)
    if text is None:
        return Markup(NOT_RECORDED)
    return Markup(_GITHUB_TRIGGER.sub(_TEXT_BREAK, escape_markdown(str(text))))


def _known(value: Any) -> Any:
    """A key the record does not have reads as None: optional fields are often absent."""
    return None if isinstance(value, Undefined) else value


def finalize(value: Any) -> Any:
    value = _known(value)
    if isinstance(value, Markup):
        return str(value)
    if value is None:
        return NOT_RECORDED
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return escape_markdown(value)
    return value


def oneline(text: str | None) -> str | None:
    """For table cells: collapse line breaks so a cell cannot break the table."""
    text = _known(text)
    return None if text is None else " ".join(text.split())


def paragraphs(text: str | None) -> Markup:
    """Multi-line prose: each line escaped, blank lines kept as paragraph breaks, single breaks as line breaks."""
    text = _known(text)
    if text is None:
        return Markup(f"_{NOT_RECORDED}_")
    blocks = [block.strip() for block in re.split(r"\n\s*\n", text.strip())]
    return Markup("\n\n".join("  \n".join(escape_markdown(line) for line in b.splitlines()) for b in blocks if b))


_CSS_CLASS = re.compile(r"[a-z][a-z0-9-]*")


def codeblock(text: str | None, css_class: str | None = None) -> Markup:
    """A fenced code block; the fence is longer than any backtick run inside, so the text cannot close it.
    `css_class` (a name the generator chooses, never record text) marks the block for the site's style sheet."""
    text = _known(text)
    if not text:
        return Markup("")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    if css_class is None:
        return Markup(f"{fence}text\n{text}\n{fence}")
    if not _CSS_CLASS.fullmatch(css_class):
        raise ValueError(f"not a CSS class name: {css_class!r}")
    return Markup(f"{fence}{{ .text .{css_class} }}\n{text}\n{fence}")


def code(text: str | None) -> Markup:
    """An inline code span; Markdown shows its content literally, so only the backtick fence needs care."""
    text = _known(text)
    if not text:
        return Markup("")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    return Markup(f"{fence} {oneline(text)} {fence}")


def when(moment: datetime | None) -> str | None:
    """A timestamp in UTC, to the minute (to the second when seconds are set); a date only as the date, an
    approximate time with "about"."""
    moment = _known(moment)
    if moment is None:
        return None
    utc = moment.astimezone(UTC)
    if isinstance(moment, DateOnly):
        return utc.date().isoformat()
    shown = utc.strftime("%Y-%m-%d %H:%M:%S UTC" if utc.second else "%Y-%m-%d %H:%M UTC")
    return f"about {shown}" if isinstance(moment, ApproximateTime) else shown


def day(value: date | None) -> str | None:
    """A date; a moment gives its day in UTC, as `when` shows it."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).date().isoformat()
    return None if value is None else value.isoformat()


def duration(minutes: float | None) -> str | None:
    """Minutes as a short human duration: 35 min, 2 h 05 min, 3 d 4 h."""
    minutes = _known(minutes)
    if minutes is None:
        return None
    if isinstance(minutes, ApproximateMinutes):
        return f"about {duration(float(minutes))}"
    total = round(minutes)
    if abs(minutes) < 1 and minutes:
        return f"{round(minutes * 60)} s"
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(total, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{sign}{days} d {hours} h {mins:02d} min"
    if hours:
        return f"{sign}{hours} h {mins:02d} min"
    return f"{sign}{mins} min"


def label(value: str | None) -> str | None:
    """An enum value as words: root_cause_fix -> root cause fix."""
    value = _known(value)
    return None if value is None else value.replace("_", " ")


def link(text: str, target: str) -> Markup:
    """A Markdown link whose text is escaped and whose target is a generated relative path."""
    return Markup(f"[{escape_markdown(text)}]({quote(target, safe='/#.-_')})")


def url_link(text: str, url: str) -> Markup:
    """A link to an external http(s) address from a record (the schema allows only http and https)."""
    if not re.match(r"^https?://", url):
        return Markup(escape_markdown(f"{text} ({url})"))
    return Markup(f"[{escape_markdown(text)}](<{quote(url, safe=':/?#[]@!$&*+,;=%~')}>)")


def url_or_text(text: str | None) -> Markup:
    """A free-text reference from a record (an action item's ticket): a link when it is an http(s) address, else
    the text as written (`CHK-2210`, or a `javascript:` address, which never becomes a link)."""
    text = _known(text)
    if text is None:
        return Markup(NOT_RECORDED)
    text = oneline(text) or ""
    return url_link(text, text) if re.match(r"^https?://\S+$", text) else Markup(escape_markdown(text))


def age(days: float | None) -> str | None:
    """A time span given in days, in words that do not round it away: under a minute "less than a minute", under
    a day in hours and minutes (2 h 36 min), else in whole days (1 day, 12 days)."""
    days = _known(days)
    if days is None:
        return None
    if abs(days) * 24 * 60 < 1:
        return "less than a minute"
    if abs(days) < 1:
        return duration(days * 24 * 60)
    whole = round(days)
    return f"{whole} day" if abs(whole) == 1 else f"{whole} days"


def front_matter_value(value: Any) -> Markup:
    """A front-matter value: HTML-escaped, because themes print `title` and `description` into the page unescaped
    (MkDocs' theme templates do not autoescape), then JSON-encoded, which is valid YAML."""
    return Markup(json.dumps(_html_escaped(_known(value)), ensure_ascii=False))


def _html_escaped(value: Any) -> Any:
    if isinstance(value, str):
        return html.escape(str(value), quote=True)  # str(): a Markup's replace() would escape the entities again
    if isinstance(value, list | tuple):
        return [_html_escaped(item) for item in value]
    return value


def local_when(moment: datetime | None) -> str | None:
    """A time for customers, in the report's time zone, with its year, rounded to the minute (04:28:40 is
    04:29): 14 October 2026, 09:12 UTC."""
    return _customer_time(moment, "{d.day} {d:%B} {d.year}", "{d.day} {d:%B} {d.year}, {d:%H:%M} {zone}")


def report_when(moment: datetime | None) -> str | None:
    """A time inside a month's report, whose title holds the year: October 14 09:12 UTC (the form GitHub's
    availability reports use), rounded to the minute as local_when is."""
    return _customer_time(moment, "{d:%B} {d.day}", "{d:%B} {d.day} {d:%H:%M} {zone}")


def _customer_time(moment: datetime | None, date_form: str, time_form: str) -> str | None:
    """`moment` in one of the customer forms: a date only as its date, an exact time rounded to the minute, an
    approximate one with "about"."""
    moment = _known(moment)
    if moment is None:
        return None
    if isinstance(moment, DateOnly):
        return date_form.format(d=moment.astimezone(UTC))
    rounded = nearest_minute(moment)
    shown = time_form.format(d=rounded, zone=rounded.tzname())
    return f"about {shown}" if isinstance(moment, ApproximateTime) else shown


def nearest_minute(moment: datetime) -> datetime:
    """`moment` rounded to the minute, half a minute up; in its own zone, so a DST change is crossed correctly."""
    zone = moment.tzinfo
    utc = datetime.fromtimestamp(math.floor(moment.timestamp() / 60 + 0.5) * 60, UTC)
    return utc.astimezone(zone) if zone is not None else utc


def status_mark(status: str, words: str | None = None) -> Markup:
    """A status as the pages show it: a mark coloured as the uptime strip colours that level (the style sheet
    templates/public/theme/assets/uptime.css holds the colours; the mark is hidden from screen readers), then
    its words (`words`: in the public site's language, render/i18n.status_mark)."""
    words = html.escape(words if words is not None else status.replace("_", " ").capitalize())
    return Markup(
        f'<span class="ikb-status" data-status="{html.escape(status)}"><span class="ikb-status-mark"'
        f' aria-hidden="true">&#9679;</span> {words}</span>'
    )


def minutes_words(minutes: float | None) -> str | None:
    """A duration for customers, to the minute: 35 minutes, 1 hour 5 minutes, 2 days 3 hours."""
    minutes = _known(minutes)
    if minutes is None:
        return None
    if isinstance(minutes, ApproximateMinutes):
        return f"about {minutes_words(float(minutes))}"
    total = round(minutes)
    days, rest = divmod(total, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [(days, "day"), (hours, "hour"), (mins, "minute")]
    words = [f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in parts if n]
    return " ".join(words) if words else "less than a minute"


def quantity(q: Quantity) -> str:
    """A stated quantity in words, everything it holds: share: 20% of requests; count: 8,500,000 devices; money:
    440,000,000 USD; "about" for estimates, and its note in parentheses."""
    number = f"{q.value:,.2f}".rstrip("0").rstrip(".") if isinstance(q.value, float) else f"{q.value:,}"
    words = [f"{q.measure}:", "about" if q.approximate else "", number + ("%" if q.measure == "share" else "")]
    words += [q.unit or "", q.currency or "", f"of {q.of}" if q.of else "", f"({q.note})" if q.note else ""]
    return " ".join(word for word in words if word)


# HTML's specials and Markdown's punctuation as character references, in one pass: the same text to a browser,
# nothing to Markdown.
_HTML_INERT = str.maketrans(
    {char: f"&#{ord(char)};" for char in _INLINE_SPECIALS}
    | {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}
)


def html_text(value: Any) -> Markup:
    """A value for raw HTML (an HTML block, which Markdown passes through unchanged, so a backslash escape would
    show): HTML-escaped, quotes included, on one line (whitespace runs become one space, as a browser shows
    them), and Markdown's punctuation as character references, so that the Markdown source holds no link, table
    pipe or emphasis either (the static checks of tests/test_site_injection.py). Nothing (None) is empty."""
    value = _known(value)
    if value is None:
        return Markup("")
    text = " ".join(str(value).split())
    return Markup(text.translate(_HTML_INERT))


def percent(fraction: float | None, digits: int = 3) -> str | None:
    return None if fraction is None else f"{fraction * 100:.{digits}f}%"


def decimal(number: float | None, places: int = 1) -> str | None:
    """A number with `places` decimals (rounded as printf rounds), for figures such as minutes and percents."""
    return None if number is None else f"{number:.{places}f}"


def template_environment(
    finalize: Callable[[Any], Any], filters: Mapping[str, Callable[..., Any]], globals_: Mapping[str, Any]
) -> Environment:
    """A Jinja environment for our templates whose `finalize` escapes every value for the output's own syntax
    (Markdown, a terminal): HTML autoescape would not stop a Markdown link or a terminal's escape sequence.
    Absent optional record keys read as unknown (ChainableUndefined), not as an error."""
    env = Environment(
        loader=PackageLoader("generator", "templates"),
        undefined=ChainableUndefined,
        finalize=finalize,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(filters)
    env.globals.update(globals_)
    return env


@cache  # compiled templates are reused: building an Environment per page recompiled them thousands of times
def markdown_environment() -> Environment:
    filters: dict[str, Callable[..., Any]] = {
        "codeblock": codeblock,
        "code": code,
        "oneline": oneline,
        "paragraphs": paragraphs,
        "when": when,
        "day": day,
        "duration": duration,
        "age": age,
        "url_or_text": url_or_text,
        "label": label,
        "fm": front_matter_value,
        "percent": percent,
        "decimal": decimal,
        "local_when": local_when,
        "report_when": report_when,
        "status_mark": status_mark,
        "minutes_words": minutes_words,
        "inert": inert,
        "quantity": quantity,
        "html": html_text,
    }
    from generator.render.charts import uptime_day_items  # charts and i18n import this module
    from generator.render.i18n import ENGLISH, install_language

    globals_ = {"link": link, "url_link": url_link, "uptime_strip": uptime_strip, "uptime_day_items": uptime_day_items}
    env = template_environment(finalize, filters, globals_)  # uptime_*: templates/public/_uptime.md.j2
    install_language(env, ENGLISH)  # the public templates' gettext (`_()`), English: render/i18n.py
    return env


@cache
def svg_environment() -> Environment:
    """SVG is XML: ordinary HTML autoescaping is the right escaping there."""
    env = Environment(
        loader=PackageLoader("generator", "templates"),
        undefined=StrictUndefined,
        autoescape=True,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(when=when, duration=duration, label=label)
    return env
