"""The internal site's content as an on-call engineer uses it (issue 19), checked in the built HTML of real builds:
the repository's example knowledge base and small knowledge bases written here.

* Runbook commands: each lever's, diagnostic's and smoke test's command is alone in its code block, exactly as the
  record has it (its explanation outside), every page offers Material's copy button, and in Chromium the copy
  button puts exactly the record's command on the clipboard, even a command holding a fence or `</code><script>`.
* Action items: an overdue item says "overdue N days" and is listed once on the tracker; an http(s) ticket is a
  link, a `javascript:` one stays text.
* Post-mortems: the three lessons lists are all shown (no tabs); a defect younger than a day is aged in hours and
  minutes, not "0 days"; an ongoing incident's missing times say "ongoing (not ... as of <cut-off>)".
* Every post-mortem is linked from a month page that the incidents index links; the monthly reports are in the
  navigation.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import yaml
from support import (
    AS_OF,
    REPO,
    TODAY_DATE,
    assert_ok,
    build,
    chromium_browser,
    example_incidents,
    example_services,
    example_site,
    html_text,
    make_kb,
    page_path,
    parse_html,
    serve,
    service,
    sev1_incident,
    squash,
)

from generator.render.markdown import duration

CUTOFF_WORDS = datetime.fromisoformat(AS_OF).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
# A command block as Python-Markdown and the minifier leave it: `<div class="ikb-command highlight"><pre><span>
# </span><code>COMMAND\n</code></pre></div>`.
COMMAND_BLOCK = re.compile(r'<div class="?ikb-command[^>]*><pre>(?:<span></span>)?<code>(.*?)</code>', re.S)
# What a runbook command may hold and still must copy exactly: a longer fence, HTML that would close the block.
HOSTILE_COMMAND = "echo ```` && printf '</code><script>alert(9)</script>' | grep -c \"<b>x</b>\" # {{ 7*7 }}"
MULTILINE_COMMAND = "cdnctl rules revert --property www --to last-known-good\ncdnctl purge --property www --all"


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return example_site(tmp_path_factory)


def commands_of(record: dict[str, Any]) -> list[str]:
    """Every command a service record holds: its levers', diagnostics' and smoke tests'."""
    found = []
    for section in ("containment_levers", "diagnostics", "smoke_tests"):
        found += [entry["command"] for entry in record.get(section) or () if entry.get("command")]
    return found


def command_blocks(markup: str) -> list[str]:
    """The text of every runbook command block of a page (the code element's text, its closing newline off)."""
    return [html.unescape(code).removesuffix("\n") for code in COMMAND_BLOCK.findall(markup)]


def read(site: Path, page: str) -> str:
    return page_path(site, page).read_text(encoding="utf-8")


# --- runbook commands ------------------------------------------------------------------------------------


def test_the_example_records_every_lever_command_in_its_command_field() -> None:
    """The example's levers were migrated: each has its command, and no `how` still holds one (`how` is prose)."""
    tools = re.compile(r"\b(flagctl|deployctl|lbctl|searchctl|opsctl|cdnctl|oectl|kafka-configs|identityctl)\b")
    for path, record in example_services():
        for lever in record.get("containment_levers") or ():
            assert lever.get("command"), f"{path.name}: lever {lever['name']!r} has no command"
            assert not tools.search(lever["how"]), f"{path.name}: the how of {lever['name']!r} holds a command"
            assert "(" not in lever["command"], f"{path.name}: {lever['command']!r} holds a remark in parentheses"


def test_each_runbook_command_is_alone_in_its_code_block(example: tuple[Path, Path]) -> None:
    kb, site = example
    for _, record in example_services(kb):
        markup = read(site, f"runbooks/{record['id']}")
        blocks = command_blocks(markup)
        own = commands_of(record)
        for command in own:
            assert command in blocks, f"{record['id']}: {command!r} is not alone in a code block; blocks: {blocks}"
        text = html_text(markup)
        for lever in record.get("containment_levers") or ():
            assert squash(lever["how"]) in text, f"{record['id']}: the explanation {lever['how']!r} is not shown"
            assert not [b for b in blocks if squash(lever["how"]) in squash(b)], "an explanation is inside a block"
        # The smoke suite runs the tests of the services that depend on this one too: only commands of records.
        every = {c for _, r in example_services(kb) for c in commands_of(r)}
        assert set(blocks) <= every, f"{record['id']}: a code block is not a record's command: {set(blocks) - every}"


def test_a_command_that_looks_like_markup_stays_inside_its_block(small: dict[str, Any]) -> None:
    markup = read(small["site"], "runbooks/api")
    blocks = command_blocks(markup)
    assert HOSTILE_COMMAND in blocks, blocks
    assert MULTILINE_COMMAND in blocks, blocks
    scripts = [s for s in parse_html(markup).scripts if "alert(9)" in s]
    assert not scripts, "the command's <script> became a script element"
    assert "{{ 7*7 }}" in html_text(markup)


def test_a_lever_without_a_command_is_still_valid_and_shown_as_prose(small: dict[str, Any]) -> None:
    """A record written before `command` existed keeps its command in `how`: shown as written, in prose."""
    markup = read(small["site"], "runbooks/api")
    assert squash(OLD_STYLE_HOW) in html_text(markup)
    assert not [b for b in command_blocks(markup) if OLD_STYLE_HOW in b]


def test_every_page_offers_the_copy_button() -> None:
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))
    assert "content.code.copy" in config["theme"]["features"]


# --- action items ----------------------------------------------------------------------------------------


def open_items(kb: Path) -> list[tuple[str, dict[str, Any]]]:
    return [
        (record["id"], item)
        for _, record in example_incidents(kb)
        for item in record.get("action_items") or ()
        if item.get("status") in ("open", "in_progress")
    ]


def days_overdue(item: dict[str, Any], today: date = TODAY_DATE) -> int | None:
    due = date.fromisoformat(item["due"]) if item.get("due") else None
    return (today - due).days if due is not None and due < today else None


def overdue_words(days: int) -> str:
    return f"overdue {days} day" + ("" if days == 1 else "s")


def row_of(text_rows: list[str], title: str) -> list[str]:
    return [row for row in text_rows if squash(title) in row]


def table_rows(markup: str) -> list[str]:
    """The visible text of every table row of a page (a minifier may leave out `</tr>`: a row ends where the next
    one or its table does)."""
    tables = re.findall(r"<table\b.*?</table>", markup, re.S)
    return [html_text("<tr" + row) for table in tables for row in re.split(r"<tr\b", table)[1:]]


def test_overdue_items_say_how_late_they_are_and_are_listed_once(example: tuple[Path, Path]) -> None:
    kb, site = example
    rows = table_rows(read(site, "actions"))
    items = open_items(kb)
    overdue = [(i, item) for i, item in items if days_overdue(item)]
    assert overdue and len(overdue) < len(items), "the example needs overdue and not overdue open items"
    for incident_id, item in items:
        found = row_of(rows, item["title"])
        assert len(found) == 1, f"{item['title']!r} is listed {len(found)} times on the tracker"
        days = days_overdue(item)
        if days:
            assert overdue_words(days) in found[0], f"{found[0]!r} does not say {overdue_words(days)!r}"
        else:
            assert "overdue" not in found[0], found[0]
        on_postmortem = row_of(table_rows(read(site, f"incidents/{incident_id}")), item["title"])
        assert len(on_postmortem) == 1 and (not days or overdue_words(days) in on_postmortem[0]), on_postmortem


def test_tracker_urls_are_links(example: tuple[Path, Path]) -> None:
    kb, site = example
    linked = 0
    for _, record in example_incidents(kb):
        hrefs = {t.get("href") for t in parse_html(read(site, f"incidents/{record['id']}")).tags if t.name == "a"}
        for item in record.get("action_items") or ():
            if (item.get("link") or "").startswith(("http://", "https://")):
                assert item["link"] in hrefs, f"{record['id']}: {item['link']} is not a link"
                linked += 1
        for evidence in record.get("evidence") or ():
            assert evidence["url"] in hrefs, f"{record['id']}: the evidence {evidence['url']} is not a link"
    assert linked, "the example has no action item with a tracker URL"
    tracker = {t.get("href") for t in parse_html(read(site, "actions")).tags if t.name == "a"}
    assert {item["link"] for _, item in open_items(kb) if (item.get("link") or "").startswith("https://")} <= tracker


def test_a_javascript_ticket_stays_text_and_a_ticket_id_is_shown_as_written(small: dict[str, Any]) -> None:
    markup = read(small["site"], f"incidents/{small['incident']['id']}")
    anchors = [t.get("href") or "" for t in parse_html(markup).tags if t.name == "a"]
    assert not [h for h in anchors if "javascript" in h.lower()], anchors
    assert "https://tracker.example/SHOP-991" in anchors
    text = html_text(markup)
    assert "javascript:alert(1)" in text and "CHK-2210" in text
    assert overdue_words(days_overdue(small["overdue"]) or 0) in text


# --- post-mortems ----------------------------------------------------------------------------------------


def test_all_three_lessons_lists_are_shown(example: tuple[Path, Path]) -> None:
    kb, site = example
    for _, record in example_incidents(kb):
        markup = read(site, f"incidents/{record['id']}")
        tabs = [t for t in parse_html(markup).tags if "tabbed-set" in (t.get("class") or "")]
        assert not tabs, f"{record['id']}: the lessons are in tabs"
        text = html_text(markup)
        for heading in ("Went well", "Went wrong", "Where we got lucky"):
            assert heading in text
        lessons = record.get("lessons") or {}
        for item in [*(lessons.get("went_well") or ()), *(lessons.get("went_wrong") or ())]:
            assert squash(item) in text, f"{record['id']}: {item!r} is not shown"
        for item in lessons.get("lucky") or ():
            assert squash(item) in text, f"{record['id']}: {item!r} is not shown"


def parsed_time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) and "T" in value else None


def test_a_defect_younger_than_a_day_is_aged_in_hours_and_minutes(example: tuple[Path, Path]) -> None:
    kb, site = example
    young = 0
    for _, record in example_incidents(kb):
        text = html_text(read(site, f"incidents/{record['id']}"))
        assert "0 days before the incident" not in text, record["id"]
        introduced = parsed_time((record.get("defect_age") or {}).get("introduced_at"))
        started = parsed_time(record.get("started_at"))
        if introduced and started and (started - introduced).total_seconds() < 86400:
            minutes = (started - introduced).total_seconds() / 60
            words = duration(minutes) if minutes >= 1 else "less than a minute"
            assert f"{words} before the incident" in text, f"{record['id']}: no {words!r} before the incident"
            young += 1
    assert young, "the example has no defect younger than a day"
    assert "2 h 36 min before the incident" in html_text(read(site, "incidents/INC-2026-003"))


def test_an_ongoing_incident_says_it_is_ongoing_as_of_the_cut_off(example: tuple[Path, Path]) -> None:
    kb, site = example
    ongoing = [r for _, r in example_incidents(kb) if r["status"] not in ("resolved", "completed")]
    assert ongoing, "the example has no ongoing incident"
    for record in ongoing:
        text = html_text(read(site, f"incidents/{record['id']}"))
        assert f"ongoing (not resolved as of {CUTOFF_WORDS})" in text, record["id"]
        assert "not yet" not in text and "unknown" not in text.replace("unknown-", ""), record["id"]
        if record.get("mitigated_at") is None:
            assert f"ongoing (not mitigated as of {CUTOFF_WORDS})" in text, record["id"]


# --- reaching every incident -----------------------------------------------------------------------------


def links_of(site: Path, page: str) -> set[str]:
    """The site paths (`incidents/2026-08/`) a page links to, resolved against the page."""
    base = f"http://site/{page}/" if page else "http://site/"
    found = set()
    for tag in parse_html(read(site, page)).tags:
        href = tag.get("href") if tag.name == "a" else None
        if href and not href.startswith("#"):
            parts = urlsplit(urljoin(base, href))
            if parts.netloc == "site":
                found.add(parts.path.strip("/"))
    return found


def month_pages(site: Path) -> set[str]:
    months = {p for p in links_of(site, "incidents") if re.fullmatch(r"incidents/(\d{4}-\d{2}|unknown)", p)}
    assert months, "the incidents index links no month"
    return months


def reachable_postmortems(site: Path) -> set[str]:
    return {p.removeprefix("incidents/") for m in month_pages(site) for p in links_of(site, m) if "/INC-" in p}


def test_every_postmortem_is_linked_from_a_month_page_the_index_links(example: tuple[Path, Path]) -> None:
    kb, site = example
    ids = {record["id"] for _, record in example_incidents(kb)}
    assert reachable_postmortems(site) == ids
    for month in month_pages(site):
        tables = [t for t in parse_html(read(site, month)).tags if t.name == "table"]
        assert len(tables) == 1, f"{month}: its list is not a table"


def test_a_small_knowledge_base_reaches_every_incident_by_its_utc_month(small: dict[str, Any]) -> None:
    site = small["site"]
    assert reachable_postmortems(site) == {small["incident"]["id"], small["late"]["id"]}
    # Started at 00:30+02:00 on 1 November: 22:30 UTC on 31 October, which is the month its page shows.
    assert small["late"]["id"] in html_text(read(site, "incidents/2026-10"))
    assert not page_path(site, "incidents/2026-11").exists()


def test_the_monthly_reports_are_in_the_navigation(example: tuple[Path, Path]) -> None:
    _, site = example
    nav = [
        t.get("href")
        for t in parse_html(read(site, "")).tags
        if t.name == "a" and "md-tabs__link" in (t.get("class") or "")
    ]
    assert "reports/" in nav, nav
    assert page_path(site, "reports").exists()


# --- the small knowledge base ----------------------------------------------------------------------------

OLD_STYLE_HOW = "deployctl rollback api --to previous (the command, as older records wrote it)"


def _small_service() -> dict[str, Any]:
    record = service("api")
    record["depends_on"] = []
    record["containment_levers"] = [
        {
            "kind": "kill_switch",
            "name": "hostile",
            "how": "A command that looks like markup.",
            "command": HOSTILE_COMMAND,
            "minutes_to_effect": 1,
        },
        {
            "kind": "config_change",
            "name": "two steps",
            "how": "Revert, then purge.",
            "command": MULTILINE_COMMAND,
            "minutes_to_effect": 2,
        },
        {"kind": "rollback", "name": "old style", "how": OLD_STYLE_HOW, "minutes_to_effect": 5},
    ]
    return record


def _small_incidents() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    incident = sev1_incident()
    incident["services"] = ["api"]
    for window in incident.get("impact") or ():
        window["service"] = "api"
    overdue = {
        "title": "Alert on serializer buffer errors",
        "owner": "platform",
        "due": "2026-11-01",
        "status": "open",
        "kind": "detect",
        "link": "javascript:alert(1)",
    }
    incident["action_items"][1]["link"] = "CHK-2210"
    incident["action_items"].append(overdue)
    late = sev1_incident()
    late.update(id="INC-2026-015", services=["api"])
    for window in late.get("impact") or ():
        window["service"] = "api"
    _shift(late, "2026-10-14T09:12:00Z", "2026-11-01T00:30:00+02:00")
    return incident, late, overdue


def _shift(record: dict[str, Any], old_start: str, new_start: str) -> None:
    """Every time of `record` moved by the same amount, so that its start is `new_start` (same order, same gaps)."""
    delta = datetime.fromisoformat(new_start) - datetime.fromisoformat(old_start.replace("Z", "+00:00"))
    zone = datetime.fromisoformat(new_start).tzinfo

    def move(value: Any) -> Any:
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})", value):
            moved = datetime.fromisoformat(value.replace("Z", "+00:00")) + delta
            return moved.astimezone(zone).isoformat()
        if isinstance(value, dict):
            return {k: move(v) for k, v in value.items()}
        if isinstance(value, list):
            return [move(v) for v in value]
        return value

    record.update(move(record))


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("content")
    incident, late, overdue = _small_incidents()
    root = make_kb(base / "kb", [incident, late], [_small_service()])
    site = base / "site"
    assert_ok(build(root, site))
    return {"site": site, "incident": incident, "late": late, "overdue": overdue}


# --- in the browser ----------------------------------------------------------------------------------------


def copied(page: Any, command: str) -> str:
    """Click the copy button of the code block that shows `command`; what the clipboard then holds."""
    block = page.locator("div.ikb-command").filter(has=page.locator("code", has_text=command.splitlines()[0]))
    assert block.count() == 1, f"{block.count()} blocks show {command!r}"
    block.hover()
    block.locator("button.md-code__button[data-md-type=copy], button.md-clipboard").first.click()
    page.wait_for_function("() => document.hasFocus()")
    return str(page.evaluate("() => navigator.clipboard.readText()"))


def test_the_copy_button_copies_exactly_the_command(example: tuple[Path, Path], small: dict[str, Any]) -> None:
    kb, site = example
    search = dict(example_services(kb))[kb / "services" / "search.yaml"]
    lever = next(x for x in search["containment_levers"] if x["name"] == "search.strict-freshness")
    checkout = dict(example_services(kb))[kb / "services" / "checkout.yaml"]
    longest = max(commands_of(checkout), key=len)
    assert len(longest) > 100, longest
    lucky = next(r for _, r in example_incidents(kb) if (r.get("lessons") or {}).get("lucky"))
    with chromium_browser() as browser:
        for root, page_name, commands in (
            (site, "runbooks/search/", [lever["command"], search["diagnostics"][0]["command"]]),
            (site, "runbooks/checkout/", [longest]),  # wider than the content column: it must wrap
            (small["site"], "runbooks/api/", [HOSTILE_COMMAND, MULTILINE_COMMAND]),
        ):
            with serve(root) as base:
                context = browser.new_context()
                context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base.rstrip("/"))
                page = context.new_page()
                page.goto(base + page_name, wait_until="networkidle")
                for command in commands:
                    assert copied(page, command) == command
                cut = page.evaluate(
                    "() => [...document.querySelectorAll('.ikb-command code')]"
                    ".filter(code => code.scrollWidth > code.clientWidth + 1).map(code => code.innerText)"
                )
                assert cut == [], f"{page_name}: commands cut off at the right (they scroll): {cut}"
                if root == site:  # the lessons are all on screen, none hidden in a tab
                    page.goto(base + f"incidents/{lucky['id']}/", wait_until="networkidle")
                    item = squash(lucky["lessons"]["lucky"][0])
                    assert page.get_by_text(item, exact=False).first.is_visible(), item
                context.close()
