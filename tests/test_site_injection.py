"""Injection: record text is untrusted. Every free-text field of the records holds HTML, JavaScript links,
Jinja syntax, snippet and admonition syntax and a table pipe; the site must show all of it as text and run
none of it: not in the generated Markdown, not in the built HTML, not in a real browser.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from support import (
    AS_OF,
    RecordMaker,
    assert_ok,
    build,
    chromium_browser,
    explain,
    generate,
    html_text,
    load_schema,
    make_kb,
    page_path,
    parse_html,
    run_cli,
    serve,
    squash,
    watched_page,
)

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    "[x](javascript:alert(3))",
    "{{ 7*7 }}",
    "{% if true %}X{% endif %}",
    '--8<-- "/etc/passwd"',
    '!!! danger "x"',
    "a | b",
]
TITLE = 'Checkout "down" </title><script>alert(1)</script> <img src=x onerror=alert(2)> {{ 7*7 }} a | b'
ONGOING_TITLE = 'Sign-in "broken" </title> [x](javascript:alert(3)) {% if true %}X{% endif %}'
# One payload per line, so line-start syntax (admonitions, snippets) is at the start of a line somewhere.
TEXT = "\n".join(PAYLOADS)
EVIDENCE_URL = 'https://evil.example/"><script>alert(4)</script>'
DASHBOARD_URL = "https://evil.example/)](javascript:alert(5))"
SERVICE = "victim"
BASE = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
JS_SCHEMES = ("javascript:", "vbscript:", "data:text/html")
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "xlink:href", "data", "srcdoc")


def _text(path: tuple[str | int, ...]) -> str:
    return TITLE if path == ("title",) else TEXT


def _service() -> dict[str, Any]:
    record = RecordMaker(load_schema("service"), base=BASE, text=_text).make()
    record["id"] = SERVICE
    record["depends_on"] = []
    record["public"] = {"listed": True, "name": TEXT}
    record["dashboards"][0]["url"] = DASHBOARD_URL
    return record


def _incident(number: int, title: str, *, ongoing: bool) -> dict[str, Any]:
    record = RecordMaker(load_schema("incident"), base=BASE.replace(day=5 + number), text=_text).make()
    record.update(id=f"INC-2026-{800 + number}", title=title, severity="SEV3", kind="incident", services=[SERVICE])
    record["impact"][0].update(service=SERVICE, level="partial_outage", kind="availability", timing="during")
    record["updates"][0]["status"] = "identified"  # an incident's status (maintenance ones are refused)
    record["evidence"][0]["url"] = EVIDENCE_URL
    if ongoing:
        record.update(status="investigating", resolved_at=None, mitigated_at=None)
        record["impact"][0]["end"] = None
    else:
        record.update(
            status="resolved", resolved_at=BASE.replace(day=5 + number, hour=23).strftime("%Y-%m-%dT%H:%M:%SZ")
        )
    return record


RESOLVED = _incident(1, TITLE, ongoing=False)
ONGOING = _incident(2, ONGOING_TITLE, ongoing=True)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("hostile")
    root = make_kb(base / "kb", [RESOLVED, ONGOING], [_service()])
    generated = base / "generated"
    assert_ok(generate(root, generated))
    site = base / "out" / "site"
    assert_ok(build(root, site))
    return {"root": root, "generated": generated, "site": site}


def _body(markdown: str) -> str:
    """Markdown without its front matter (YAML, not Markdown), fenced code blocks and inline code spans (whose
    content Markdown shows literally)."""
    body = re.sub(r"\A---\n.*?\n---\n", "", markdown, flags=re.S)
    body = re.sub(r"(?ms)^[ \t]*(`{3,}|~{3,})[^\n]*\n.*?^[ \t]*\1[ \t]*$", "", body)
    return re.sub(r"(`+)(?!`).+?(?<!`)\1(?!`)", "", body)


LIVE_MARKDOWN = {
    "raw <script>": r"(?<!\\)<\s*script",
    "raw <img>": r"(?<!\\)<\s*img",
    "a javascript: link": r"(?<!\\)\]\(\s*<?\s*javascript:",  # an escaped `\]` closes no link
    "the record's admonition": r'(?m)^\s*!!!\s+danger\s+"x"',
    "a snippet include": r"(?m)^\s*--8<--",
    "a table cell split by the record's pipe": r"(?<!\\)a \| b",
}


def markdown_problems(markdown: str) -> list[str]:
    body = _body(markdown)
    return [
        f"{what}: {body[max(m.start() - 40, 0) : m.end() + 40]!r}"
        for what, pattern in LIVE_MARKDOWN.items()
        for m in re.finditer(pattern, body, re.I)
    ]


def html_problems(markup: str) -> list[str]:
    """Anything in a page that would run: an event handler, a script URL, a record's <img> or <script>."""
    parsed = parse_html(markup)
    problems = []
    for tag in parsed.tags:
        for name, value in tag.attrs:
            if name.startswith("on"):
                problems.append(f"<{tag.name} {name}={value!r}>")
            if name in URL_ATTRIBUTES and value and re.sub(r"\s", "", value).lower().startswith(JS_SCHEMES):
                problems.append(f"<{tag.name} {name}={value!r}>")
        if tag.name == "img" and tag.get("src") == "x":
            problems.append("an <img src=x> from a record")
        if tag.name == "script" and "alert" in (tag.get("src") or ""):
            problems.append(f"<script src={tag.get('src')!r}>")
    problems.extend(f"a script runs {s[:80]!r}" for s in parsed.scripts if "alert(" in s)
    return problems


def test_generated_markdown_has_no_live_markup(hostile: dict[str, Path]) -> None:
    pages = sorted(hostile["generated"].rglob("*.md"))
    assert len(pages) > 5
    problems = [
        f"{page.relative_to(hostile['generated'])}: {problem}"
        for page in pages
        for problem in markdown_problems(page.read_text(encoding="utf-8"))
    ]
    assert not problems, "\n".join(problems)
    # the payloads are there, escaped: the check above did not pass because they were dropped
    postmortem = _body((hostile["generated"] / f"incidents/{RESOLVED['id']}.md").read_text(encoding="utf-8"))
    for escaped in (r"\{\{ 7\*7 \}\}", "&lt;script&gt;alert(1)&lt;/script&gt;", r"a \| b", r"\!!! danger"):
        assert escaped in postmortem, f"{escaped!r} not in the post-mortem Markdown"


def test_built_html_has_no_script_event_handler_or_javascript_link(hostile: dict[str, Path]) -> None:
    files = sorted([*hostile["site"].rglob("*.html"), *hostile["site"].rglob("*.svg")])
    assert len(files) > 10
    problems = [
        f"{file.relative_to(hostile['site'])}: {problem}"
        for file in files
        for problem in html_problems(file.read_text(encoding="utf-8"))
    ]
    assert not problems, "\n".join(problems)


def test_the_static_checks_can_fail() -> None:
    live = '---\ntitle: t\n---\n\n<script>alert(1)</script>\n[x](javascript:alert(3))\n!!! danger "x"\n--8<-- "/etc/passwd"\n'
    assert len(markdown_problems(live)) == 4, markdown_problems(live)
    assert markdown_problems("```text\n<script>alert(1)</script>\n```\n\\<img\n") == []
    page = '<a href=" JavaScript:alert(1)">x</a><img src=x onerror=alert(2)><script>alert(1)</script>'
    assert len(html_problems(page)) == 4, html_problems(page)
    # A <title> is read as browsers read it: a title closed early lets a script run; `<script>` inside it is text.
    assert html_problems("<title>a </title><script>alert(1)</script></title>") == ["a script runs 'alert(1)'"]
    assert html_problems("<title>a &lt;/title><script>alert(1)</script></title>") == []
    assert parse_html("<title>a &lt;/title><b></title>").title == "a </title><b>"


@pytest.mark.parametrize("record", [RESOLVED, ONGOING], ids=["resolved", "ongoing"])
def test_postmortem_shows_every_payload_as_text(hostile: dict[str, Path], record: dict[str, Any]) -> None:
    markup = page_path(hostile["site"], f"incidents/{record['id']}").read_text(encoding="utf-8")
    text = html_text(markup)
    for payload in [*PAYLOADS, squash(record["title"])]:
        assert payload in text, f"{payload!r} is not shown as text on the post-mortem"
    assert "{{ 7*7 }}" in text
    # No payload holds a backslash: one on the page is an escape shown instead of applied (text escaped twice)
    assert "\\" not in text, f"escaped twice: {text[max(text.find(chr(92)) - 60, 0) : text.find(chr(92)) + 60]!r}"
    assert not re.search(r"(?<![\w.:])49(?![\w:]|\.\d)", text), "{{ 7*7 }} was evaluated somewhere"
    assert "root:x:0:0" not in text, "a snippet include read /etc/passwd"
    parsed = parse_html(markup)
    assert record["title"] in parsed.title, f"<title> is {parsed.title!r}, it should show the title as written"
    assert not re.search(r'class="admonition-title">\s*x\s*<', markup), (
        "a record's '!!! danger \"x\"' became an admonition"
    )


def test_runbook_shows_every_payload_as_text(hostile: dict[str, Path]) -> None:
    markup = page_path(hostile["site"], f"runbooks/{SERVICE}").read_text(encoding="utf-8")
    text = html_text(markup)
    for payload in PAYLOADS:
        assert payload in text, f"{payload!r} is not shown as text on the runbook"
    title = squash(parse_html(markup).title)
    assert squash("Runbook: " + TEXT) in title, f"<title> is {title!r}, it should show the name as written"


def test_nasty_urls_are_not_links_to_script(hostile: dict[str, Path]) -> None:
    for page, _url in ((f"incidents/{RESOLVED['id']}", EVIDENCE_URL), (f"runbooks/{SERVICE}", DASHBOARD_URL)):
        parsed = parse_html(page_path(hostile["site"], page).read_text(encoding="utf-8"))
        hrefs = [t.get("href") or "" for t in parsed.tags if t.name == "a"]
        host = [h for h in hrefs if h.startswith("https://evil.example/")]
        assert len(host) == 1, f"{page}: expected one link to the record's URL, found {host}"
        assert not re.search(r"[\"<>()\s]", host[0]), f"{page}: the record URL's syntax was not encoded: {host[0]!r}"


PAGES = {
    "post-mortem": f"incidents/{RESOLVED['id']}/",
    "ongoing post-mortem": f"incidents/{ONGOING['id']}/",
    "runbook": f"runbooks/{SERVICE}/",
    "home": "",
    "incidents index": "incidents/",
}
VISIBLE = {
    "post-mortem": [*PAYLOADS, TITLE],
    "ongoing post-mortem": [*PAYLOADS, ONGOING_TITLE],
    "runbook": PAYLOADS,
    "home": [TITLE, ONGOING_TITLE],
    "incidents index": [ONGOING_TITLE],
}


def test_browser_runs_nothing_and_shows_the_text(hostile: dict[str, Path]) -> None:
    with serve(hostile["site"]) as base, chromium_browser() as browser:
        context = browser.new_context()
        problems = []
        for name, path in PAGES.items():
            page, watch = watched_page(context)
            response = page.goto(base + path, wait_until="networkidle")
            assert response is not None and response.ok, (
                f"{name}: {base + path} answered {response and response.status}"
            )
            page.wait_for_timeout(300)  # let the theme's scripts run
            text = squash(page.inner_text("body"))
            problems += [f"{name}: dialog {d}" for d in watch.dialogs]
            problems += [f"{name}: console error {e}" for e in watch.console_errors + watch.page_errors]
            problems += [f"{name}: {s!r} is not visible" for s in VISIBLE[name] if squash(s) not in text]
            if name == "post-mortem":
                if TITLE not in page.title():
                    problems.append(f"{name}: the browser's title is {page.title()!r}")
                page.click(".md-search__input") if page.locator(
                    ".md-search__input"
                ).is_visible() else page.keyboard.press("/")
                page.keyboard.type("danger")
                page.wait_for_selector(".md-search-result__item", timeout=15000)
                page.wait_for_timeout(500)
                problems += [f"{name} search: dialog {d}" for d in watch.dialogs]
                problems += [f"{name} search: console error {e}" for e in watch.console_errors + watch.page_errors]
            page.close()
        context.close()
    assert not problems, "\n".join(problems)


def test_the_browser_check_can_fail(tmp_path: Path) -> None:
    """The same checks see a dialog and a console error on a page that does run a script."""
    (tmp_path / "index.html").write_text(
        "<!doctype html><title>t</title><body>hello<script>console.error('boom'); alert(1)</script></body>",
        encoding="utf-8",
    )
    with serve(tmp_path) as base, chromium_browser() as browser:
        context = browser.new_context()
        page, watch = watched_page(context)
        page.goto(base, wait_until="load")
        page.wait_for_timeout(200)
        context.close()
    assert watch.dialogs == ["alert: 1"], repr(watch)
    assert "boom" in watch.console_errors, repr(watch)


# --- the settings file: its values reach every public page ----------------------------------------------------

SITE_NAME = '<script>alert(11)</script> "><img src=x onerror=alert(12)> {{ 7*7 }} Status 🚦 & Co'
COMPANY = "<script>alert(13)</script> [x](javascript:alert(14)) {{ 7*7 }} & Co"
SITE_URL = "https://status.evil.example/"  # (the 404 page loads its assets from its path: a root, to be served here)
HOSTILE_SETTINGS = (  # JSON strings are YAML, written with the characters themselves (an emoji is no surrogate pair)
    "report:\n  timezone: UTC\n"
    f"public:\n  site_name: {json.dumps(SITE_NAME, ensure_ascii=False)}\n  site_url: {json.dumps(SITE_URL)}\n"
    f"  company: {json.dumps(COMPANY)}\n"
)


@pytest.fixture(scope="module")
def hostile_settings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The public site of a knowledge base whose settings and public record fields hold the payloads."""
    base = tmp_path_factory.mktemp("hostile-settings")
    root = make_kb(base / "kb", [RESOLVED, ONGOING], [_service()])
    (root / "incidentkb.yml").write_text(HOSTILE_SETTINGS, encoding="utf-8")
    site = base / "public-site"
    assert_ok(build(root, site, "--public"))
    return {"root": root, "site": site}


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)//", 'https://status.example/"><script>alert(1)</script>/', "data:text/html,<script>/"],
)
def test_settings_with_a_script_url_are_refused(tmp_path: Path, url: str) -> None:
    """A site URL goes into links, the feed and status.json: anything but a plain http(s) folder is refused by
    `validate` at its line and column, and `build` writes no site."""
    root = make_kb(tmp_path / "kb", [RESOLVED], [_service()])
    text = HOSTILE_SETTINGS.replace(json.dumps(SITE_URL), json.dumps(url))
    (root / "incidentkb.yml").write_text(text, encoding="utf-8")
    validated = run_cli("--root", root, "validate", "--as-of", AS_OF)
    assert validated.returncode == 1, explain(validated)
    line = text.splitlines().index(f"  site_url: {json.dumps(url)}") + 1
    assert re.search(
        rf"^incidentkb\.yml:{line}:13: error\[(schema|settings)\]: public\.site_url: ", validated.stdout, re.M
    )
    site = tmp_path / "public-site"
    built = build(root, site, "--public")
    assert built.returncode == 1 and not site.exists(), explain(built)


def _public_pages(site: Path) -> list[str]:
    """Every HTML page of the public site, as a path under the site's URL."""
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    return [p.removesuffix("index.html") for p in pages]


def test_public_html_from_hostile_settings_runs_nothing(hostile_settings: dict[str, Path]) -> None:
    site = hostile_settings["site"]
    files = sorted([*site.rglob("*.html"), *site.rglob("*.svg")])
    assert len(files) >= 8  # home, history, reports and their index pages (the uptime charts are HTML now)
    problems = [f"{f.relative_to(site)}: {p}" for f in files for p in html_problems(f.read_text(encoding="utf-8"))]
    assert not problems, "\n".join(problems)
    home = parse_html((site / "index.html").read_text(encoding="utf-8"))
    assert SITE_NAME in home.title, home.title
    logo = next(t for t in home.tags if "md-logo" in (t.get("class") or ""))
    assert (logo.get("title"), logo.get("aria-label")) == (SITE_NAME, SITE_NAME), "escaped twice, or not at all"
    canonical = next(t.get("href") for t in home.tags if t.name == "link" and t.get("rel") == "canonical")
    assert canonical == SITE_URL


def test_feed_and_status_json_hold_the_settings_as_data(hostile_settings: dict[str, Path]) -> None:
    site = hostile_settings["site"]
    feed = ElementTree.parse(site / "feed.xml").getroot()  # well-formed XML, or this raises
    atom = "{http://www.w3.org/2005/Atom}"
    assert feed.findtext(f"{atom}title") == SITE_NAME
    assert feed.findtext(f"{atom}author/{atom}name") == SITE_NAME
    assert feed.findtext(f"{atom}id") == SITE_URL
    links = [link.get("href") or "" for link in feed.iter(f"{atom}link")]
    assert links and all(href.startswith(SITE_URL) for href in links), links
    status = json.loads((site / "status.json").read_text(encoding="utf-8"))
    urls = [i["url"] for i in status["recent"] + status["ongoing"]]
    assert urls and all(url.startswith(SITE_URL) for url in urls), urls


def test_browser_runs_nothing_from_the_settings_and_shows_them_as_text(hostile_settings: dict[str, Path]) -> None:
    """Every public page in Chromium: no dialog, no error, no request for the payload's image; the site name,
    the company and the records' text are shown as written."""
    pages = _public_pages(hostile_settings["site"])
    assert len(pages) >= 8 and "" in pages and "404.html" in pages and "reports/2026-10/" in pages, pages
    problems: list[str] = []
    with serve(hostile_settings["site"]) as base, chromium_browser() as browser:
        context = browser.new_context()
        for path in pages:
            page, watch = watched_page(context)
            response = page.goto(base + path, wait_until="networkidle")
            assert response is not None and response.ok, f"{base + path} answered {response and response.status}"
            page.wait_for_timeout(100)  # let the theme's scripts run
            problems += [f"{path}: dialog {d}" for d in watch.dialogs]
            problems += [f"{path}: console error {e}" for e in watch.console_errors + watch.page_errors]
            problems += [f"{path}: requested {r}" for r in watch.requests if r.endswith("/x")]
            if squash(SITE_NAME) not in squash(page.inner_text(".md-header__topic")):
                problems.append(f"{path}: the header shows {page.inner_text('.md-header__topic')!r}")
            if SITE_NAME not in page.title():
                problems.append(f"{path}: the browser's title is {page.title()!r}")
            if path.startswith("reports/20") and COMPANY not in squash(page.inner_text("article")):
                problems.append(f"{path}: the company is not shown as written")
            if path == "":
                shown = squash(page.inner_text("article h1").removesuffix("¶"))  # without the permalink
                if shown != SITE_NAME:
                    problems.append(f"home: the heading is {shown!r}")
                if squash(ONGOING_TITLE) not in squash(page.inner_text("body")):
                    problems.append("home: the ongoing incident's title is not shown as written")
            page.close()
        context.close()
    assert not problems, "\n".join(problems)
