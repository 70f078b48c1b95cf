"""The public site in German (`public.language: de`): its fixed wording from the catalogue, its dates and numbers
in German form, Material's own words German, record text shown as written; the English site as it was.

The catalogue is held to the code: Babel extracts every message the way `pybabel extract` does (the babel.cfg
beside the catalogues), and each must have its German, with the same placeholders and the same Markdown and HTML
punctuation, and no German entry may be left over. The German site is the real `incidentkb build --public` of the
example knowledge base, opened in Chromium.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from support import REPO, chromium_browser, copy_kb, load_record, run_ok, serve, write_record

from generator.model import ApproximateTime
from generator.render import i18n
from generator.render.markdown import escape_markdown

AS_OF = "2026-12-01T12:00:00Z"
LOCALE = REPO / "generator" / "templates" / "public" / "locale"
SCREENSHOTS = REPO / "docs" / "screenshots"
PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")
# A message's own text is trusted and not escaped (render/i18n.MarkdownMessage): a translation keeps its msgid's
# markup (Markdown's emphasis, HTML's tags) exactly, and adds none of the punctuation that means something to
# Markdown, HTML or YAML (front matter, the nav) that its msgid does not have.
MARKUP = "*_`[]<>|#"
SPECIALS = MARKUP + "&\"'{}:!"
GERMAN_MONTHS = "Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember"
HOSTILE = "%(x)s {{ 7*7 }} <script>alert(1)</script> 100%"


# --- the catalogue ----------------------------------------------------------------------------------------------


def extracted() -> dict[tuple[str | None, str], tuple[str, ...]]:
    """Every message of the public site as Babel finds it: {(context, msgid): (msgid, plural...)}."""
    with (LOCALE / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: dict[tuple[str | None, str], tuple[str, ...]] = {}
    for _, _, message, _, context in extract_from_dir(str(REPO), method_map, options_map):
        forms = (message,) if isinstance(message, str) else tuple(message)
        found[(context, forms[0])] = forms
    return found


def catalogue(language: str) -> Catalog:
    with i18n.catalogue_path(language).open("rb") as file:
        return read_po(file, locale=language)


def german() -> Catalog:
    return catalogue("de")


# Every language shipped: a catalogue added under locale/ is held to the same checks. The schema's enum is the list
# a knowledge base may choose from, so the two must agree.
LANGUAGES = sorted(path.parent.parent.name for path in LOCALE.glob("*/LC_MESSAGES/messages.po"))


def test_the_shipped_catalogues_are_the_settings_languages() -> None:
    schema = json.loads((REPO / "schemas" / "settings.schema.json").read_text(encoding="utf-8"))
    choices = schema["properties"]["public"]["properties"]["language"]["enum"]
    assert sorted([i18n.ENGLISH, *LANGUAGES]) == sorted(choices)


def punctuation_added(text: str, msgid: str) -> list[str]:
    """The markup `text` does not keep as `msgid` has it, and the punctuation it adds."""
    return [
        char
        for char in SPECIALS
        if ((text.count(char) != msgid.count(char)) if char in MARKUP else (text.count(char) > msgid.count(char)))
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_has_its_translation_and_none_is_left_over(language: str) -> None:
    messages = extracted()
    shipped = catalogue(language)
    entries = {(m.context, m.id if isinstance(m.id, str) else m.id[0]): m for m in shipped if m.id}
    assert len(messages) > 150, "the extraction found too little: is babel.cfg's mapping right?"
    assert sorted(messages.keys() - entries.keys(), key=str) == [], "untranslated: run the pybabel update"
    assert sorted(entries.keys() - messages.keys(), key=str) == [], f"obsolete entries in the {language} catalogue"
    assert not shipped.obsolete, "obsolete (#~) entries left by pybabel update: delete them"
    for key, forms in messages.items():
        entry = entries[key]
        ids = (entry.id,) if isinstance(entry.id, str) else tuple(entry.id)
        assert ids == forms, f"{key}: the catalogue's msgid_plural is out of date"
        strings = (entry.string,) if isinstance(entry.string, str) else tuple(entry.string)
        assert len(strings) == (1 if len(forms) == 1 else shipped.num_plurals), key  # German has two
        assert not entry.fuzzy, f"{key}: fuzzy (not used until reviewed)"
        for text in strings:
            assert text.strip(), f"{key}: no German"
            assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(forms[-1])), key
            assert punctuation_added(text, forms[0]) == [], f"{key}: {text!r} changes the punctuation"


def test_the_check_sees_a_new_untranslated_message(tmp_path: Path) -> None:
    """The extraction reads the templates themselves: a message added to one is found, and has no German."""
    template = REPO / "generator" / "templates" / "public" / "archive.md.j2"
    with (LOCALE / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    (tmp_path / "generator" / "templates" / "public").mkdir(parents=True)
    probe = tmp_path / "generator" / "templates" / "public" / "archive.md.j2"
    probe.write_text(template.read_text(encoding="utf-8") + '{{ _("A sentence nobody translated") }}\n')
    found = {m[2] for m in extract_from_dir(str(tmp_path), method_map, options_map)}
    assert "A sentence nobody translated" in found
    assert "A sentence nobody translated" not in {m.id for m in german()}


# --- dates and numbers ------------------------------------------------------------------------------------------


def test_german_dates_and_numbers() -> None:
    berlin = datetime(2026, 12, 1, 13, 5, 20, tzinfo=UTC).astimezone(ZoneInfo("Europe/Berlin"))
    assert i18n.local_when(berlin, "de") == "1. Dezember 2026, 14:05 MEZ"
    assert i18n.report_when(berlin, "de") == "1. Dezember, 14:05 MEZ"
    summer = datetime(2026, 7, 14, 9, 12, tzinfo=ZoneInfo("Europe/Berlin"))
    assert i18n.local_when(summer, "de") == "14. Juli 2026, 09:12 MESZ"
    approximate = ApproximateTime(2026, 7, 14, 9, 12, tzinfo=ZoneInfo("Europe/Berlin"))
    assert i18n.local_when(approximate, "de") == "etwa 14. Juli 2026, 09:12 MESZ"
    kolkata = datetime(2026, 7, 14, 9, 12, tzinfo=ZoneInfo("Asia/Kolkata"))
    assert i18n.local_when(kolkata, "de") == "14. Juli 2026, 09:12 IST"
    assert i18n.percent(0.9995, "de") == "99,950\u00a0%"
    assert i18n.decimal(12.25, "de", 1) in ("12,2", "12,3")
    assert i18n.decimal(1234.5, "de", 1) == "1.234,5"
    assert i18n.minutes_words(65, "de") == "1 Stunde 5 Minuten"
    assert i18n.minutes_words(2 * 24 * 60 + 120 + 1, "de") == "2 Tage 2 Stunden 1 Minute"
    assert i18n.minutes_words(0.2, "de") == "weniger als eine Minute"
    assert i18n.word("partial_outage", "de") == "Teilausfall"
    assert i18n.capital_word("investigating", "de") == "Wird untersucht"
    # English is what render/markdown.py always wrote.
    assert i18n.local_when(berlin, "en") == "1 December 2026, 14:05 CET"
    assert i18n.percent(0.9995, "en") == "99.950%"
    assert i18n.minutes_words(65, "en") == "1 hour 5 minutes"


# --- the German site --------------------------------------------------------------------------------------------


def set_language(root: Path, language: str, **public: str) -> None:
    settings = root / "incidentkb.yml"
    data = yaml.safe_load(settings.read_text(encoding="utf-8"))
    data["public"] = data.get("public", {}) | {"language": language} | public
    settings.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture(scope="module")
def german_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("german")
    kb = copy_kb(base / "kb")
    set_language(kb, "de")
    run_ok(kb, "build", "--public", "--site-dir", base / "site", "--as-of", AS_OF)
    return base / "site"


@pytest.fixture(scope="module")
def english_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("english")
    kb = copy_kb(base / "kb")
    run_ok(kb, "build", "--public", "--site-dir", base / "site", "--as-of", AS_OF)
    return base / "site"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium_browser() as instance:
        yield instance


def record_strings() -> list[str]:
    """Every string the example knowledge base's files hold (records, services, settings), whitespace collapsed:
    record text is shown as written, English here, so it is taken out before looking for English fixed words."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            found.extend(" ".join(line.split()) for line in value.splitlines() if line.strip())
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for path in [*REPO.glob("incidents/**/*.yaml"), *REPO.glob("services/*.yaml"), REPO / "incidentkb.yml"]:
        walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    return sorted(set(found), key=len, reverse=True)


def english_fragments() -> list[str]:
    """The English of every catalogue message whose German differs, cut at its placeholders and markup: the words
    a German page must not show."""
    fragments: set[str] = set()
    for entry in german():
        if not entry.id:
            continue
        ids = (entry.id,) if isinstance(entry.id, str) else tuple(entry.id)
        strings = (entry.string,) if isinstance(entry.string, str) else tuple(entry.string)
        for english, text in zip(ids, strings, strict=True):
            if english == text:
                continue
            for part in re.split(r"%\(\w+\)s|%%|\*\*|</?strong>", english):
                part = part.strip(" .,:;()")
                # A lone short word ("in", "for") is German too, or part of record text cut differently.
                if (" " in part or len(part) > 4) and re.search(r"[A-Za-z]{2}", part) and part not in text:
                    fragments.add(part)
    return sorted(fragments)


def visible_text(page: Any) -> str:
    """What a reader sees and a screen reader reads: the body's text, every aria-label and the text of every
    element an aria-labelledby names (an uptime day's hidden detail)."""
    labels = page.eval_on_selector_all("[aria-label]", "nodes => nodes.map(n => n.getAttribute('aria-label'))")
    labels += page.eval_on_selector_all(
        "[aria-labelledby]",
        "nodes => nodes.flatMap(n => n.getAttribute('aria-labelledby').split(' '))"
        ".map(id => document.getElementById(id).textContent)",
    )
    return " ".join([page.inner_text("body"), *labels]).replace("\u00a0", " ")


def english_left(text: str) -> list[str]:
    text = " ".join(text.split())
    for record in record_strings():
        text = text.replace(record, " ¦ ")
    return [f for f in english_fragments() if re.search(rf"(?<![\w-]){re.escape(f)}(?![\w-])", text)]


@pytest.mark.parametrize(("page_path", "shot"), [("", "home"), ("reports/2026-10/", "report")])
def test_german_pages_in_a_browser(german_site: Path, browser: Any, page_path: str, shot: str) -> None:
    with serve(german_site) as base:
        for width in (1200, 390) if shot == "home" else (1200,):
            context = browser.new_context(viewport={"width": width, "height": 900})
            page = context.new_page()
            response = page.goto(base + page_path, wait_until="networkidle")
            assert response is not None and response.ok
            assert page.get_attribute("html", "lang") == "de"
            text = visible_text(page)
            assert re.search(rf"\b\d{{1,2}}\. (?:{GERMAN_MONTHS}) \d{{4}}, \d\d:\d\d UTC\b", text) or shot == "report"
            assert re.search(rf"\b\d{{1,2}}\. (?:{GERMAN_MONTHS})\b", text), "no German date"
            assert re.search(r"\b\d+,\d+ %", text), "no number with a decimal comma"
            assert english_left(text) == [], "English fixed wording on a German page"
            page.screenshot(path=str(german_site.parent / f"public-de-{shot}-{width}.png"), full_page=False)
            if shot == "home":
                assert "In Betrieb" in text and "Eingeschränkte Leistung" in text
                assert "Die letzten 90 Tage" in text
                search = page.get_attribute("input.md-search__input", "placeholder")
                assert search == "Suche", search  # Material's own words, from theme.language
            else:
                assert "Verfügbarkeitsbericht: Oktober 2026" in text
                assert "Verfügbarkeit nach Dienst" in text and "Teilausfall" in text
            context.close()


def test_no_german_page_shows_english_fixed_wording(german_site: Path) -> None:
    """Every page of the German site, incident histories, maintenance and archives included (as built, without a
    browser: the text of the HTML and its aria-labels)."""
    pages = sorted(german_site.rglob("*.html"))
    assert len(pages) > 20
    for path in pages:
        page = Page.of(path)
        assert english_left(" ".join([page.text, *page.labels])) == [], path.relative_to(german_site)


def test_the_check_finds_english_words() -> None:
    """english_left is not blind: the English headline and a table heading are caught, record text is not."""
    assert english_left("Alle Systeme in Betrieb") == []
    assert "All systems operational" in english_left("All systems operational · Dienst")
    assert "Availability by service" in english_left("## Availability by service")
    record = next(s for s in record_strings() if "Search" in s)
    assert english_left(record) == []


def test_german_feeds_and_calendar(german_site: Path) -> None:
    atom = (german_site / "feed.xml").read_text(encoding="utf-8")
    rss = (german_site / "rss.xml").read_text(encoding="utf-8")
    assert "<subtitle>Störungen, geplante Wartungen und ihre Updates</subtitle>" in atom
    assert "<language>de</language>" in rss
    assert re.search(r"<title>[^<]+: (Wird untersucht|Ursache erkannt|Wird beobachtet|Behoben)</title>", atom)
    assert not re.search(r"<title>[^<]+: (investigating|identified|monitoring|resolved)</title>", atom)
    calendar = (german_site / "maintenance.ics").read_text(encoding="utf-8")
    assert "X-WR-CALNAME:Larkspur Market status: geplante Wartungen" in calendar
    assert "CATEGORIES:Wartung" in calendar
    # Machine-readable outputs keep their English values: they are contracts, not wording.
    assert '"status": "degraded_performance"' in (german_site / "status.json").read_text(encoding="utf-8")


def test_the_english_site_is_english(english_site: Path, german_site: Path) -> None:
    home = (english_site / "index.html").read_text(encoding="utf-8")
    assert (
        re.search(r"<html[^>]* lang=\"?en\b", home) and "The last 90 days" in home and "Die letzten 90 Tage" not in home
    )
    assert "<subtitle>Incidents, planned maintenance and their updates</subtitle>" in (
        english_site / "feed.xml"
    ).read_text(encoding="utf-8")
    # The same outputs, in both languages: only the wording differs.
    english = sorted(p.relative_to(english_site) for p in english_site.rglob("*") if p.is_file())
    assert english == sorted(p.relative_to(german_site) for p in german_site.rglob("*") if p.is_file())


def test_hostile_text_in_a_german_build(tmp_path: Path) -> None:
    """Record text and settings put into a translated message stay data: no tag, no template, no placeholder."""
    kb = copy_kb(tmp_path / "kb")
    set_language(kb, "de", company=f"Acme {HOSTILE}")
    record_path = kb / "incidents" / "2026" / "2026-11-22-search-results-missing-products.yaml"
    record = load_record(record_path)
    record["title"] = f"Search {HOSTILE}"
    record["updates"][-1]["message"] = f"Still {HOSTILE}"
    write_record(record_path, record)
    service_path = kb / "services" / "search.yaml"
    service = load_record(service_path)
    service["public"]["name"] = f"Find {HOSTILE}"  # the name the public site shows
    write_record(service_path, service)
    run_ok(kb, "build", "--public", "--site-dir", tmp_path / "site", "--as-of", AS_OF)
    site = tmp_path / "site"
    home = Page.of(site / "index.html")
    report = Page.of(site / "reports" / "2026-11" / "index.html")
    for page in (home, report):
        assert not [script for script in page.scripts if "alert(1)" in script], "record text ran as a script"
    assert f"Search {HOSTILE}" in home.text  # the title, in the open incident's heading, as written
    assert f"Still {HOSTILE}" in home.text  # the last update, under it
    lede = f"Im November 2026 hatte Acme {HOSTILE} 2 Störungen, die Kunden betrafen."
    assert lede in report.text, "the company name, put into the report's first sentence by gettext"
    assert any(f"Störung: Search {HOSTILE}" in label for label in home.labels), "an uptime day's name, its detail"
    strip = f"Verfügbarkeit von Find {HOSTILE}, ein Balken pro Tag, 3. September 2026 bis 1. Dezember 2026"
    assert strip in home.labels, "a service's name, put into a translated message by the template's gettext"


@pytest.mark.parametrize(("language", "since"), [("en", "since"), ("de", "seit")])
def test_a_value_in_a_message_is_escaped_as_any_value_is(language: str, since: str) -> None:
    """A template's `_()` escapes each value it is given, as `{{ value }}` would: Markdown's link and HTML's tag
    stay text, `%(x)s` and `{{ }}` in the value are neither a placeholder nor a template; a link (Markup) is kept."""
    env = i18n.page_environment(language)
    value = f"{HOSTILE} [a](javascript:alert(1))"
    shown = env.from_string('{{ _("since %(when)s", when=value) }}').render(value=value)
    assert shown == f"{since} {escape_markdown(value)}"
    assert "<script>" not in shown and "[a](javascript" not in shown and "%(x)s" in shown
    linked = env.from_string('{{ _("since %(when)s", when=link("x", "y.md")) }}').render()
    assert linked == f"{since} [x](y.md)"


class Page(HTMLParser):
    """A built page's text (what it shows), its labels (each aria-label, and the text of each span an
    aria-labelledby names, as an uptime day with incidents is named by its detail) and the content of its
    scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.scripts: list[str] = []
        self.labels: list[str] = []
        self._in_script = False
        self._labelledby: list[str] = []
        self._spans: list[str | None] = []  # the id of each open span
        self._span_text: dict[str, list[str]] = {}

    @classmethod
    def of(cls, path: Path) -> Page:
        page = cls()
        page.feed(path.read_text(encoding="utf-8"))
        page.close()
        page.labels += [" ".join("".join(page._span_text.get(i, [])).split()) for i in page._labelledby]
        return page

    @property
    def text(self) -> str:
        return " ".join("".join(self.parts).split())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag == "script"
        self.labels += [value for name, value in attrs if name == "aria-label" and value]
        self._labelledby += [value for name, value in attrs if name == "aria-labelledby" and value]
        if tag == "span":
            self._spans.append(dict(attrs).get("id"))
        elif tag == "br":
            self._in_spans(" ")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False
        if tag == "span" and self._spans:
            self._spans.pop()

    def handle_data(self, data: str) -> None:
        (self.scripts if self._in_script else self.parts).append(data)
        self._in_spans(data)

    def _in_spans(self, text: str) -> None:
        for span in filter(None, self._spans):
            self._span_text.setdefault(span, []).append(text)
