"""The public site's language (`public.language` in incidentkb.yml): its fixed wording from a gettext catalogue, its
dates and numbers in the language's form (Babel).

The catalogues are `templates/public/locale/<language>/LC_MESSAGES/messages.po`, the English msgids being the
English site's words (English needs no catalogue). A `.po` file is compiled in memory the first time a build asks
for its language (a few milliseconds), so the reviewable `.po` is the only file there is and no compiled `.mo` can
be stale. tests/test_public_language.py extracts every message (`babel.cfg` beside the catalogues, the same file
`pybabel extract -F` reads) and checks each has its German.

The records' own words (statuses, impact levels, kinds) are the schema's enums, not literals in the code: they are
messages in the context WORD, extracted from the schema by `extract_vocabulary`. A word a knowledge base adds
(taxonomies) and no catalogue translates shows as its English words.

The English site keeps the forms it always had (`render/markdown.py`'s filters): only other languages format
through Babel. Machine-readable outputs (status.json, api/v2, badges) stay English whatever the language.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import cache, partial
from gettext import NullTranslations
from io import BytesIO
from pathlib import Path
from typing import IO, Any

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations
from jinja2 import Environment
from markupsafe import Markup

from generator.analyze.uptime import NOT_MEASURED, STRIP_LEVELS, UNDER_MAINTENANCE
from generator.model import ApproximateMinutes, ApproximateTime, DateOnly
from generator.render import markdown
from generator.render.markdown import finalize, label, nearest_minute

LOCALE_DIR = Path(__file__).resolve().parent.parent / "templates" / "public" / "locale"
DOMAIN = "messages"
ENGLISH = "en"
WORD = "vocabulary"  # the msgctxt of the records' words (their enum values, as label() writes them)


# --- the catalogue ----------------------------------------------------------------------------------------------


def catalogue_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: str) -> NullTranslations:
    """The language's messages; English's are the msgids themselves. Fuzzy entries are left out, as msgfmt does."""
    if language == ENGLISH:
        return NullTranslations()
    with catalogue_path(language).open("rb") as file:
        catalog = read_po(file, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def word(value: str | None, language: str) -> str | None:
    """A record's word (an enum value) in the language: in_progress is "in progress", in German "läuft"."""
    shown = label(value)
    return None if shown is None else translations(language).pgettext(WORD, shown)


def capital_word(value: str | None, language: str) -> str | None:
    """`word` at the start of a sentence or a bold label: its first letter upper case (not str.capitalize, which
    would lower-case a German noun later in the words)."""
    shown = word(value, language)
    return None if shown is None else shown[:1].upper() + shown[1:]


class MarkdownMessage(Markup):
    """A translated message for a Markdown page. Its own text is trusted (it is the catalogue's; the tests hold a
    translation to its msgid's Markdown and HTML punctuation), so `finalize` passes it unchanged; each value put
    into it by `%` is escaped as `finalize` escapes a `{{ value }}`, and a value that is Markup already (a link, a
    value the `html` filter made) goes in as it is. Record text therefore renders as written, and a `%(x)s` in it is
    data, never a placeholder: gettext formats the message once, with the values as arguments."""

    __slots__ = ()

    @classmethod
    def escape(cls, s: Any) -> MarkdownMessage:
        return cls(finalize(s))


def _page_gettext(language: str, message: str) -> MarkdownMessage:
    return MarkdownMessage(translations(language).gettext(message))


def _page_ngettext(language: str, singular: str, plural: str, n: int) -> MarkdownMessage:
    return MarkdownMessage(translations(language).ngettext(singular, plural, n))


def _page_pgettext(language: str, context: str, message: str) -> MarkdownMessage:
    return MarkdownMessage(translations(language).pgettext(context, message))


def _page_npgettext(language: str, context: str, singular: str, plural: str, n: int) -> MarkdownMessage:
    return MarkdownMessage(translations(language).npgettext(context, singular, plural, n))


# --- dates and numbers --------------------------------------------------------------------------------------------


def zone_name(moment: datetime, language: str) -> str:
    """The time zone's short name as the language writes it (Europe/Berlin: CET, in German MEZ). Where Babel has
    no name for it in the language (it would write an offset), the zone's own abbreviation, else UTC±hh:mm, the
    forms the public-time-zone rule suggests."""
    own = moment.tzname() or ""
    if language == ENGLISH:
        return own
    named = format_datetime(moment, "z", locale=language)
    if named.isalpha():
        return named
    if own.isalpha():
        return own
    minutes = int((moment.utcoffset() or timedelta(0)).total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def long_date(value: date, language: str) -> str:
    """14 October 2026; in German 14. Oktober 2026."""
    if language == ENGLISH:
        return f"{value.day} {value:%B} {value.year}"
    return format_date(value, "d. MMMM y", locale=language)


def day_and_month(value: date, language: str) -> str:
    """14 October; in German 14. Oktober."""
    if language == ENGLISH:
        return f"{value.day} {value:%B}"
    return format_date(value, "d. MMMM", locale=language)


def month_and_year(value: date, language: str) -> str:
    """October 2026, a report's month; in German Oktober 2026."""
    if language == ENGLISH:
        return value.strftime("%B %Y")
    return format_date(value, "LLLL y", locale=language)


def _customer_time(moment: datetime | None, language: str, date_form: str, time_form: str) -> str | None:
    """markdown._customer_time in a language other than English: a date only as its date, an exact time rounded
    to the minute with its zone, an approximate one with "about"."""
    moment = markdown._known(moment)
    if moment is None:
        return None
    if isinstance(moment, DateOnly):
        return format_date(moment.astimezone(UTC).date(), date_form, locale=language)
    rounded = nearest_minute(moment)
    shown = f"{format_date(rounded.date(), time_form, locale=language)}, {rounded:%H:%M} {zone_name(rounded, language)}"
    if isinstance(moment, ApproximateTime):
        return translations(language).gettext("about %(time)s") % {"time": shown}
    return shown


def local_when(moment: datetime | None, language: str) -> str | None:
    """markdown.local_when in the language: in German 14. Oktober 2026, 11:12 MESZ."""
    if language == ENGLISH:
        return markdown.local_when(moment)
    return _customer_time(moment, language, "d. MMMM y", "d. MMMM y")


def report_when(moment: datetime | None, language: str) -> str | None:
    """markdown.report_when in the language: in German 14. Oktober, 11:12 MESZ."""
    if language == ENGLISH:
        return markdown.report_when(moment)
    return _customer_time(moment, language, "d. MMMM", "d. MMMM")


def day(value: date | None, language: str) -> str | None:
    """markdown.day in the language: 2026-10-14; in German 14.10.2026."""
    if language == ENGLISH or value is None:
        return markdown.day(value)
    shown = value.astimezone(UTC).date() if isinstance(value, datetime) else value
    return format_date(shown, "dd.MM.y", locale=language)


def percent(fraction: float | None, language: str, digits: int = 3) -> str | None:
    """markdown.percent in the language: 99.950%; in German 99,950 % (with a no-break space)."""
    if language == ENGLISH or fraction is None:
        return markdown.percent(fraction, digits)
    return f"{decimal(fraction * 100, language, digits)}\u00a0%"


def decimal(number: float | None, language: str, places: int = 1) -> str | None:
    """markdown.decimal in the language: 12.5; in German 12,5."""
    if language == ENGLISH or number is None:
        return markdown.decimal(number, places)
    pattern = "#,##0." + "0" * places if places else "#,##0"
    return format_decimal(number, pattern, locale=language, decimal_quantization=True)


def number(value: float, language: str) -> float | str:
    """A number as it is, such as a downtime weight: 0.3; in German 0,3. English keeps the number itself, which
    a page prints unescaped (as a string, `1.0` would start a Markdown list at the start of a value)."""
    if language == ENGLISH:
        return value
    return format_decimal(value, locale=language)


def minutes_words(minutes: float | None, language: str) -> str | None:
    """markdown.minutes_words in the language: 1 hour 5 minutes; in German 1 Stunde 5 Minuten."""
    minutes = markdown._known(minutes)
    if language == ENGLISH or minutes is None:
        return markdown.minutes_words(minutes)
    t = translations(language)
    if isinstance(minutes, ApproximateMinutes):
        return t.gettext("about %(time)s") % {"time": minutes_words(float(minutes), language)}
    days, rest = divmod(round(minutes), 24 * 60)
    hours, mins = divmod(rest, 60)
    words = []
    if days:
        words.append(t.ngettext("%(num)s day", "%(num)s days", days) % {"num": number(days, language)})
    if hours:
        words.append(t.ngettext("%(num)s hour", "%(num)s hours", hours) % {"num": number(hours, language)})
    if mins:
        words.append(t.ngettext("%(num)s minute", "%(num)s minutes", mins) % {"num": number(mins, language)})
    return " ".join(words) if words else t.gettext("less than a minute")


def weights_words(weighting: Sequence[tuple[str, float]], language: str) -> str:
    """A strip's downtime weights by level: major outage 1, partial outage 0.3."""
    return ", ".join(f"{word(level, language)} {number(weight, language)}" for level, weight in weighting)


def status_mark(status: str, language: str) -> Markup:
    """markdown.status_mark with the status in the language's words."""
    return markdown.status_mark(status, words=capital_word(status, language))


# --- sentences the code makes ---------------------------------------------------------------------------------


def day_words(day_shown: date, level: str, downtime: float, maintenance: float, language: str) -> str:
    """What an uptime strip's day says (render/charts.py): 14 October 2026: 21 minutes of downtime, partial
    outage."""
    return _strip_sentence(long_date(day_shown, language), level, downtime, maintenance, language)


def days_words(first: date, last: date, level: str, downtime: float, maintenance: float, language: str) -> str:
    """What a run of alike days of an uptime strip says, as one element (render/charts.py): 4 March 2024 to
    12 March 2024: no downtime, operational. The day's sentence with the span's words for its date."""
    span = translations(language).gettext("%(first)s to %(last)s") % {
        "first": long_date(first, language),
        "last": long_date(last, language),
    }
    return _strip_sentence(span, level, downtime, maintenance, language)


def _strip_sentence(when: str, level: str, downtime: float, maintenance: float, language: str) -> str:
    """A strip element's sentence about `when` (a date or a span, in words). Whole sentences, one message each,
    since the order of their parts is the language's."""
    t = translations(language)
    values = {"day": when, "level": word(level, language)}
    if level == NOT_MEASURED:
        return t.gettext("%(day)s: %(level)s.") % values
    if downtime > 0:  # the minutes in words only where a sentence says them: most days have none
        values["downtime"] = minutes_words(downtime, language)
    if maintenance > 0:
        values["planned"] = minutes_words(maintenance, language)
    if maintenance <= 0:
        if downtime > 0:
            return t.gettext("%(day)s: %(downtime)s of downtime, %(level)s.") % values
        return t.gettext("%(day)s: no downtime, %(level)s.") % values
    if level == UNDER_MAINTENANCE:
        if downtime > 0:
            return t.gettext("%(day)s: %(downtime)s of downtime, %(level)s for %(planned)s.") % values
        return t.gettext("%(day)s: no downtime, %(level)s for %(planned)s.") % values
    if downtime > 0:
        return t.gettext("%(day)s: %(downtime)s of downtime, %(level)s, under maintenance for %(planned)s.") % values
    return t.gettext("%(day)s: no downtime, %(level)s, under maintenance for %(planned)s.") % values


def incidents_heading(count: int, language: str) -> str:
    """What heads the incidents of an uptime strip's day."""
    return translations(language).ngettext("Incident:", "Incidents:", count)


def report_lede(month: str, count: int, company: str, complete: bool, language: str) -> str:
    """The first sentence of a monthly report: In October 2026 we had 2 incidents that affected customers."""
    t = translations(language)
    values = {"month": month, "company": company, "num": number(count, language)}
    if company == "We":
        if complete:
            if count == 0:
                return t.gettext("In %(month)s we had no incidents that affected customers.") % values
            return (
                t.ngettext(
                    "In %(month)s we had %(num)s incident that affected customers.",
                    "In %(month)s we had %(num)s incidents that affected customers.",
                    count,
                )
                % values
            )
        if count == 0:
            return t.gettext("So far in %(month)s we have had no incidents that affected customers.") % values
        return (
            t.ngettext(
                "So far in %(month)s we have had %(num)s incident that affected customers.",
                "So far in %(month)s we have had %(num)s incidents that affected customers.",
                count,
            )
            % values
        )
    if complete:
        if count == 0:
            return t.gettext("In %(month)s %(company)s had no incidents that affected customers.") % values
        return (
            t.ngettext(
                "In %(month)s %(company)s had %(num)s incident that affected customers.",
                "In %(month)s %(company)s had %(num)s incidents that affected customers.",
                count,
            )
            % values
        )
    if count == 0:
        return t.gettext("So far in %(month)s %(company)s has had no incidents that affected customers.") % values
    return (
        t.ngettext(
            "So far in %(month)s %(company)s has had %(num)s incident that affected customers.",
            "So far in %(month)s %(company)s has had %(num)s incidents that affected customers.",
            count,
        )
        % values
    )


def feed_wording(language: str) -> dict[str, str]:
    """The fixed words of the Atom and RSS feeds and the maintenance calendar."""
    t = translations(language)
    return {
        "subtitle": t.gettext("Incidents, planned maintenance and their updates"),
        "calendar": t.gettext("%(site)s: planned maintenance"),
        "category": t.gettext("Maintenance"),
        "entry": t.gettext("%(title)s: %(status)s"),
    }


# --- the templates' environment -----------------------------------------------------------------------------------


def page_environment(language: str) -> Environment:
    """The environment of the public pages' templates in `language`: markdown_environment's filters and globals,
    with Jinja's i18n extension (templates call `_()` and `ngettext()` with named placeholders: newstyle gettext,
    so a `%` in a value is never a placeholder) and the language's forms of dates and numbers. English's is
    markdown_environment itself, which the internal site (its copy of the monthly reports) renders with too."""
    return markdown.markdown_environment() if language == ENGLISH else _translated_environment(language)


@cache
def _translated_environment(language: str) -> Environment:
    base = markdown.markdown_environment()
    env = markdown.template_environment(finalize, dict(base.filters), dict(base.globals))
    install_language(env, language)
    return env


def install_language(env: Environment, language: str) -> None:
    """`language`'s gettext, filters and uptime strip in `env` (markdown_environment installs English's)."""
    from generator.render.charts import uptime_day_items  # charts imports this module

    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        partial(_page_gettext, language),
        partial(_page_ngettext, language),
        newstyle=True,
        pgettext=partial(_page_pgettext, language),
        npgettext=partial(_page_npgettext, language),
    )
    env.filters.update(_language_filters(language))
    env.globals["uptime_day_items"] = partial(uptime_day_items, language=language)


def _language_filters(language: str) -> dict[str, Callable[..., Any]]:
    """The filters whose output is the language's. English keeps render/markdown.py's own for those it has."""

    def bound(function: Callable[..., Any]) -> Callable[..., Any]:
        return lambda value, *args: function(value, language, *args)

    formats = {
        "local_when": bound(local_when),
        "report_when": bound(report_when),
        "day": bound(day),
        "percent": bound(percent),
        "decimal": bound(decimal),
        "minutes_words": bound(minutes_words),
        "status_mark": bound(status_mark),
    }
    added = {
        "number": bound(number),
        "word": bound(word),
        "Word": bound(capital_word),
        "long_date": bound(long_date),
        "day_month": bound(day_and_month),
        "zone_name": bound(zone_name),
        "weights_words": bound(weights_words),
    }
    return added if language == ENGLISH else formats | added


def config_environment(language: str, **options: Any) -> Environment:
    """A plain-text environment with the language's gettext (the public site's mkdocs.yml template)."""
    env = Environment(extensions=["jinja2.ext.i18n"], **options)
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    return env


# --- extraction ---------------------------------------------------------------------------------------------------

# The schema's enums whose values the public pages show, as paths of `properties` (and `items`) in it.
PUBLIC_ENUMS = (
    ("status",),
    ("kind",),
    ("updates", "status"),
    ("impact", "level"),
    ("impact", "kind"),
    ("publications", "kind"),
)


def extract_vocabulary(
    fileobj: IO[bytes], keywords: object, comment_tags: object, options: dict[str, Any]
) -> Iterator[tuple[int, str, tuple[str, str], list[str]]]:
    """A Babel extraction method (babel.cfg maps the incident schema to it): the records' words the public pages
    show, from the schema's enums, and the uptime strip's own levels (analyze/uptime.py), each a message in the
    context WORD."""
    schema = json.load(fileobj)
    words: list[str] = []
    for path in PUBLIC_ENUMS:
        node = schema
        for field in path:
            node = node["properties"][field]
            node = node.get("items", node)
        words += [value for value in node["enum"] if value is not None]
    words += STRIP_LEVELS
    for value in dict.fromkeys(words):
        yield 1, "pgettext", (WORD, label(value) or value), [f"a record's word: {value}"]


__all__ = [
    "ENGLISH",
    "WORD",
    "capital_word",
    "config_environment",
    "day_words",
    "days_words",
    "extract_vocabulary",
    "feed_wording",
    "incidents_heading",
    "local_when",
    "month_and_year",
    "page_environment",
    "report_lede",
    "translations",
    "word",
]
