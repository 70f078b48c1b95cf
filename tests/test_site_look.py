"""The internal site's look, in headless Chromium on the repository's example knowledge base (issue 19): tables fit
the content column at a laptop's 1280 px, on a 390 px phone record tables turn into stacked blocks and the page
never scrolls sideways, the palette follows the OS preference and its toggle switches it, and Deque's axe-core
(tests/axe, pinned) finds no serious or critical violation on any page type in either scheme.

The page types are one page of each kind the site has (several post-mortems: a SEV1, a near miss, an ongoing
incident, a maintenance, and INC-2026-005, whose Fix table the issue measured), chosen from the records; a new
kind of page is one line in `page_types`. The table widths are also measured on every post-mortem.

Not checked here: what the SVG charts look like inside (axe-core reads an <img> by its alternative text only).

Set INCIDENTKB_SCREENSHOTS=1 to also save docs/screenshots/internal-dark-postmortem.png and
internal-phone-postmortem.png (nothing is written into the repository otherwise).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from support import REPO, TESTS, chromium_browser, example_incidents, example_site, serve

from generator.theme_icons import THEME_ICONS

AXE = TESTS / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = os.environ.get("INCIDENTKB_SCREENSHOTS") == "1"
LAPTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
FROM_THE_ISSUE = "INC-2026-005"  # its Fix table hid the Deployed and Follow-up columns at 1280 px
# Rounding: boxes are fractional, scroll sizes whole pixels.
SLACK = 1.0
# The three options of the palette toggle (mkdocs.yml), by their media queries.
AUTOMATIC, LIGHT, DARK = "(prefers-color-scheme)", "(prefers-color-scheme: light)", "(prefers-color-scheme: dark)"


# --- the site and the page types ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return example_site(tmp_path_factory)


@pytest.fixture(scope="module")
def base_url(example: tuple[Path, Path]) -> Iterator[str]:
    with serve(example[1]) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium_browser() as launched:
        yield launched


def _first_child_folder(folder: Path) -> str:
    children = sorted(p.name for p in folder.iterdir() if (p / "index.html").is_file())
    assert children, f"no pages under {folder}"
    return children[0]


def page_types(kb: Path, site: Path) -> dict[str, str]:
    """`{page type: path below the site root}`, one page of every kind (several kinds of post-mortem)."""
    records = [record for _, record in example_incidents(kb)]
    assert FROM_THE_ISSUE in {r["id"] for r in records}, f"{FROM_THE_ISSUE} is no longer in the example"

    def first(kind: str, *, ongoing: bool = False, severity: str | None = None) -> str:
        found = sorted(
            r["id"]
            for r in records
            if r["kind"] == kind
            and (r["status"] != "resolved") == ongoing
            and (severity is None or r.get("severity") == severity)
        )
        assert found, f"the example has no {'ongoing ' if ongoing else ''}{kind}"
        return found[0]

    types = {
        "home": "",
        "incidents index": "incidents/",
        "incidents month": f"incidents/{_month_folder(site)}/",
        "post-mortem from the issue": f"incidents/{FROM_THE_ISSUE}/",
        "post-mortem SEV1": f"incidents/{first('incident', severity='SEV1')}/",
        "post-mortem near miss": f"incidents/{first('near_miss')}/",
        "post-mortem ongoing": f"incidents/{first('incident', ongoing=True)}/",
        "post-mortem maintenance": f"incidents/{first('maintenance')}/",
        "runbooks index": "runbooks/",
        "runbook": f"runbooks/{_first_child_folder(site / 'runbooks')}/",
        "lessons index": "lessons/",
        "lessons view": "lessons/by-service/",
        "lessons group": f"lessons/by-tag/{_first_child_folder(site / 'lessons' / 'by-tag')}/",
        "near misses": "lessons/near-misses/",
        "action items": "actions/",
        "metrics": "metrics/",
        "monthly reports": "reports/",
        "monthly report": f"reports/{_first_child_folder(site / 'reports')}/",
        "404": "404.html",
    }
    for guide in sorted((kb / "docs").glob("*.md")):
        if guide.stem != "index":
            types[f"guide {guide.stem}"] = f"{guide.stem}/"
    for name, path in types.items():
        assert (site / (path if path.endswith(".html") else path + "index.html")).is_file(), f"{name}: {path}"
    return types


@pytest.fixture(scope="module")
def pages(example: tuple[Path, Path]) -> dict[str, str]:
    return page_types(*example)


def _month_folder(site: Path) -> str:
    months = sorted(p.name for p in (site / "incidents").iterdir() if p.name[:4].isdigit() and len(p.name) == 7)
    assert months, "no month pages"
    return months[0]


def open_page(browser: Any, base_url: str, path: str, *, viewport: dict[str, int], scheme: str = "light") -> Any:
    context = browser.new_context(viewport=viewport, color_scheme=scheme)
    page = context.new_page()
    response = page.goto(base_url + path, wait_until="load")
    assert response is not None and (response.ok or path == "404.html"), f"{path}: {response and response.status}"
    page.wait_for_function("() => document.querySelector('.md-content') !== null")
    return page


# --- tables at 1280 px ------------------------------------------------------------------------------------

# Every table of the content: its box, its own scroll width and its wrapper's, against the content column.
TABLE_FIT = """() => {
  const column = document.querySelector(".md-content__inner").getBoundingClientRect();
  return [...document.querySelectorAll(".md-content__inner table")].map((table, index) => {
    const box = table.getBoundingClientRect();
    const wrapper = table.closest(".md-typeset__scrollwrap") || table.parentElement;
    const headers = [...table.querySelectorAll("thead th")].map(th => {
      const b = th.getBoundingClientRect();
      return {text: th.innerText.trim(), left: b.left, right: b.right};
    });
    return {index, headers, column: {left: column.left, right: column.right, width: column.width},
            width: box.width, left: box.left, right: box.right,
            scrollWidth: table.scrollWidth, clientWidth: table.clientWidth,
            wrapperScroll: wrapper.scrollWidth, wrapperClient: wrapper.clientWidth};
  });
}"""


def table_problems(name: str, tables: list[dict[str, Any]]) -> list[str]:
    problems = []
    for t in tables:
        label = f"{name}: table {t['index'] + 1} ({' | '.join(h['text'] for h in t['headers'])})"
        column = t["column"]
        if t["width"] > column["width"] + SLACK or t["right"] > column["right"] + SLACK:
            problems.append(f"{label} is {t['width']:.0f} px wide, the content column {column['width']:.0f} px")
        if t["scrollWidth"] > t["clientWidth"] + SLACK:
            problems.append(f"{label} scrolls inside itself: {t['scrollWidth']} px in {t['clientWidth']} px")
        if t["wrapperScroll"] > t["wrapperClient"] + SLACK:
            problems.append(f"{label}: its wrapper scrolls sideways: {t['wrapperScroll']} in {t['wrapperClient']} px")
        hidden = [h["text"] for h in t["headers"] if h["right"] > column["right"] + SLACK]
        if hidden:
            problems.append(f"{label}: columns past the content column: {hidden}")
    return problems


def test_every_table_fits_the_content_column_at_1280(
    browser: Any, base_url: str, pages: dict[str, str], example: tuple[Path, Path]
) -> None:
    """No table of any page type (and of any post-mortem: their tables vary most with the record) is wider than
    the content column or needs a scroll bar; INC-2026-005's Fix table shows its Deployed and Follow-up columns."""
    kb, _ = example
    every = dict(pages)
    every.update({f"post-mortem {r['id']}": f"incidents/{r['id']}/" for _, r in example_incidents(kb)})
    problems: list[str] = []
    measured = 0
    fix_headers: list[str] = []
    page = open_page(browser, base_url, "", viewport=LAPTOP)
    for name, path in every.items():
        page.goto(base_url + path, wait_until="load")
        tables = page.evaluate(TABLE_FIT)
        measured += len(tables)
        problems += table_problems(name, tables)
        if path == f"incidents/{FROM_THE_ISSUE}/":
            fix_headers = next((h for t in tables for h in [[x["text"] for x in t["headers"]]] if "Deployed" in h), [])
    page.context.close()
    assert measured >= 100, f"only {measured} tables measured: is the selector still right?"
    assert {"Deployed", "Follow-up"} <= set(fix_headers), f"{FROM_THE_ISSUE}'s Fix table: {fix_headers}"
    assert not problems, "\n".join(problems)


# An unbroken token of 400 characters (a URL, an id, a command) put into every cell of every table.
LONG_TOKENS = """() => {
  const token = "https://git.example.internal/" + "a1b2c3d4e5".repeat(37) + "/x";
  document.querySelectorAll(".md-content__inner td").forEach(td => {
    const code = document.createElement("code");
    code.textContent = token.replace("https", "curl-https");
    td.append(" ", token, " ", code);
  });
}"""


def test_long_unbroken_tokens_wrap_inside_their_cells(browser: Any, base_url: str, pages: dict[str, str]) -> None:
    """A 400-character URL and a 400-character command in every cell of a post-mortem, a runbook and the action
    items: the tables still fit the column (the tokens break inside their cells)."""
    problems: list[str] = []
    page = open_page(browser, base_url, "", viewport=LAPTOP)
    for name in ("post-mortem from the issue", "runbook", "action items"):
        page.goto(base_url + pages[name], wait_until="load")
        page.evaluate(LONG_TOKENS)
        tables = page.evaluate(TABLE_FIT)
        assert tables, f"{name}: no tables"
        problems += table_problems(name, tables)
    page.context.close()
    assert not problems, "\n".join(problems)


# --- a phone ------------------------------------------------------------------------------------------------

PHONE_LAYOUT = """() => {
  const tables = [...document.querySelectorAll(".md-content__inner table")].map((table, index) => {
    const headers = [...table.querySelectorAll("thead th")].map(th => th.textContent.replace(/\\s+/g, " ").trim());
    const rows = [...table.querySelectorAll("tbody tr")];
    const cells = rows.flatMap(row => [...row.cells].map((cell, column) => ({
      column, label: cell.getAttribute("data-label"),
      shown: getComputedStyle(cell, "::before").content,
      display: getComputedStyle(cell).display})));
    return {index, headers, display: getComputedStyle(table).display,
            rowDisplay: rows.length ? getComputedStyle(rows[0]).display : null,
            headVisible: table.tHead ? table.tHead.getBoundingClientRect().height > 1 : false,
            right: table.getBoundingClientRect().right, cells};
  });
  return {tables, scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
          bodyScroll: document.body.scrollWidth};
}"""


def phone_problems(name: str, layout: dict[str, Any]) -> tuple[list[str], int]:
    problems = []
    if max(layout["scrollWidth"], layout["bodyScroll"]) > layout["innerWidth"]:
        problems.append(f"{name}: the page scrolls sideways: {layout['scrollWidth']} px in {layout['innerWidth']} px")
    stacked = 0
    for t in layout["tables"]:
        label = f"{name}: table {t['index'] + 1} ({' | '.join(t['headers'])})"
        if t["right"] > layout["innerWidth"] + SLACK:
            problems.append(f"{label} ends at {t['right']:.0f} px, past the screen")
        if len(t["headers"]) < 3:
            if t["display"] != "table":
                problems.append(f"{label}: a narrow table should stay a table, is display {t['display']}")
            continue
        stacked += 1
        if t["display"] != "block" or t["rowDisplay"] != "block" or t["headVisible"]:
            problems.append(f"{label} is not stacked: table {t['display']}, rows {t['rowDisplay']}, header shown")
        for cell in t["cells"]:
            header = t["headers"][cell["column"]] if cell["column"] < len(t["headers"]) else ""
            if cell["label"] != header or cell["shown"] != f'"{header}"' or cell["display"] != "block":
                problems.append(
                    f"{label}: column {cell['column'] + 1} cell shows {cell['shown']} ({cell}), not {header!r}"
                )
                break
    return problems, stacked


def test_a_phone_gets_stacked_record_tables_and_no_sideways_scrolling(
    browser: Any, base_url: str, pages: dict[str, str]
) -> None:
    """At 390 px: every table of three or more columns shows each row as a block, each value labelled with its
    column's header (the headers row hidden); two-column tables stay tables; no page is wider than the screen."""
    problems: list[str] = []
    stacked = 0
    page = open_page(browser, base_url, "", viewport=PHONE)
    for name, path in pages.items():
        page.goto(base_url + path, wait_until="load")
        found, count = phone_problems(name, page.evaluate(PHONE_LAYOUT))
        problems += found
        stacked += count
    page.context.close()
    assert stacked >= 20, f"only {stacked} record tables on the page types: is the selector still right?"
    assert not problems, "\n".join(problems)


# --- the palette --------------------------------------------------------------------------------------------

SCHEME = """() => ({scheme: document.body.getAttribute("data-md-color-scheme"),
  media: document.body.getAttribute("data-md-color-media"),
  background: getComputedStyle(document.body).backgroundColor,
  text: getComputedStyle(document.querySelector(".md-content__inner p") || document.body).color})"""


def _luminance(css_colour: str) -> float:
    """Relative luminance (WCAG) of an `rgb(...)`/`rgba(...)` colour as Chromium reports it."""
    numbers = css_colour[css_colour.index("(") + 1 : css_colour.index(")")].replace(",", " ").replace("/", " ")
    red, green, blue = (float(n) / 255 for n in numbers.split()[:3])

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


def _looks(state: dict[str, str]) -> str:
    background, text = _luminance(state["background"]), _luminance(state["text"])
    if background < 0.1 and text > 0.4:
        return "dark"
    if background > 0.8 and text < 0.1:
        return "light"
    return f"unclear ({state})"


def test_the_palette_follows_the_os_preference_and_the_toggle_switches_it(
    browser: Any, base_url: str, pages: dict[str, str]
) -> None:
    """With no choice made, a dark OS gets Material's dark scheme (slate) and a light OS the light one; the
    header's toggle then picks light, dark, and the OS preference again."""
    path = pages["post-mortem from the issue"]
    for os_scheme, material in (("light", "default"), ("dark", "slate")):
        page = open_page(browser, base_url, path, viewport=LAPTOP, scheme=os_scheme)
        state = page.evaluate(SCHEME)
        assert state["scheme"] == material and _looks(state) == os_scheme, f"OS {os_scheme}: {state}"
        page.context.close()

    # The toggle cycles automatic -> light -> dark -> automatic; a choice survives a reload, and in automatic
    # mode the page follows the OS when its preference changes.
    page = open_page(browser, base_url, path, viewport=LAPTOP, scheme="dark")
    seen = [_palette_state(page)]
    for _ in range(3):
        page.locator("form[data-md-component=palette] label:visible").click()
        page.wait_for_function(f"() => document.body.getAttribute('data-md-color-media') !== {seen[-1][0]!r}")
        seen.append(_palette_state(page))
        if len(seen) == 2:
            page.reload(wait_until="load")
            assert _palette_state(page) == seen[-1], "the chosen scheme did not survive a reload"
    assert [state[1:] for state in seen] == [
        ("slate", "dark"),  # automatic, the OS is dark
        ("default", "light"),
        ("slate", "dark"),
        ("slate", "dark"),  # automatic again
    ], seen
    assert [state[0] for state in seen] == [AUTOMATIC, LIGHT, DARK, AUTOMATIC], seen
    page.emulate_media(color_scheme="light")
    page.wait_for_function("() => document.body.getAttribute('data-md-color-scheme') === 'default'")
    assert _palette_state(page)[1:] == ("default", "light")
    page.context.close()


def _palette_state(page: Any) -> tuple[str, str, str]:
    """(the palette option in force, by its media query; Material's scheme; how the page looks: light or dark)."""
    state = page.evaluate(SCHEME)
    return state["media"], state["scheme"], _looks(state)


MATERIAL_TEMPLATES = Path(str(files("material") / "templates"))
ICON_FILES = {
    name.replace("/", "-"): name
    for name in [*THEME_ICONS.values(), "material/brightness-auto", "material/brightness-7", "material/brightness-4"]
}


# Every icon drawn from the shared file with a box on screen, marked for the test: its mark, name and box.
ICONS_ON_SCREEN = """(round) => [...document.querySelectorAll("svg > use")].map((use, index) => {
  const svg = use.parentElement, box = svg.getBoundingClientRect(), mark = `${round}-${index}`;
  svg.setAttribute("data-test-icon", mark);
  return {mark, name: use.getAttribute("href").split("#")[1],
          box: {x: box.x - 1, y: box.y - 1, width: box.width + 2, height: box.height + 2}};
}).filter(({box}) => box.width > 2 && box.x >= 0 && box.y >= 0 && box.x + box.width <= innerWidth
                     && box.y + box.height <= innerHeight)"""


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1280", "390"])
def test_each_icon_is_drawn_from_the_shared_file_as_materials_own(
    browser: Any, base_url: str, pages: dict[str, str], viewport: dict[str, int]
) -> None:
    """The theme's icons come from assets/icons.svg (generator/theme_icons.py), not inlined on every page: each
    one on screen (the logo, the menu on a phone, search, the palette toggle in each of its three states, back to
    top) looks exactly as Material's own icon inlined in its place. An icon counts as shown where the screen
    changes without it; the ones a reader must see are required."""
    page = open_page(browser, base_url, pages["post-mortem from the issue"], viewport=viewport)
    page.mouse.wheel(0, 1500)  # scrolled down, then a little up: Material shows "Back to top"
    page.wait_for_timeout(300)
    page.mouse.wheel(0, -200)
    page.wait_for_timeout(800)
    seen: set[str] = set()
    for round in range(3):  # the palette's three states each show another icon
        for icon in page.evaluate(ICONS_ON_SCREEN, round):
            svg = page.locator(f"[data-test-icon='{icon['mark']}']")
            drawn = page.screenshot(clip=icon["box"])
            inline = (MATERIAL_TEMPLATES / ".icons" / f"{ICON_FILES[icon['name']]}.svg").read_text(encoding="utf-8")
            svg.evaluate(REPLACE_DRAWING, inline)
            as_material = page.screenshot(clip=icon["box"])
            svg.evaluate("(svg) => { svg.innerHTML = ''; }")
            if page.screenshot(clip=icon["box"]) == as_material:
                continue  # hidden here (another state's icon, or covered): not shown either way
            assert drawn == as_material, f"{icon['name']} is not drawn as Material's own icon"
            seen.add(icon["name"])
        page.reload(wait_until="load")  # the icons as built again, then the next palette state
        label = page.locator("form[data-md-component=palette] label:visible")
        before = page.evaluate("() => document.body.getAttribute('data-md-color-media')")
        label.click()
        page.wait_for_function(f"() => document.body.getAttribute('data-md-color-media') !== {before!r}")
        page.mouse.wheel(0, 1500)
        page.wait_for_timeout(300)
        page.mouse.wheel(0, -200)
        page.wait_for_timeout(800)
    expected = {"material-magnify", "material-brightness-auto", "material-brightness-7", "material-brightness-4"}
    expected |= {
        "material-arrow-up",
        "material-menu" if viewport is PHONE else "material-library",
    }  # a phone's logo is in the menu
    assert expected <= seen, f"not seen: {sorted(expected - seen)}"
    page.context.close()


REPLACE_DRAWING = """(svg, inline) => {
  svg.innerHTML = new DOMParser().parseFromString(inline, "image/svg+xml").documentElement.innerHTML;
}"""


# --- axe-core -----------------------------------------------------------------------------------------------

AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.filter(v => v.impact === "serious" || v.impact === "critical").map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(" ") + ": " + n.failureSummary.replace(/\\s+/g, " ").slice(0, 300))}));
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_or_critical_violation_on_any_page_type(
    browser: Any, base_url: str, pages: dict[str, str], scheme: str
) -> None:
    """Every rule axe-core has (none disabled), on every page type, in the scheme the OS asks for."""
    assert AXE.is_file(), f"{AXE} is missing: run npm ci --prefix tests/axe (bash scripts/test.sh does)"
    problems: list[str] = []
    page = open_page(browser, base_url, "", viewport=LAPTOP, scheme=scheme)
    for name, path in pages.items():
        page.goto(base_url + path, wait_until="load")
        assert page.evaluate("() => document.body.getAttribute('data-md-color-scheme')") == (
            "slate" if scheme == "dark" else "default"
        )
        page.add_script_tag(path=str(AXE))
        for violation in page.evaluate(AXE_RUN):
            nodes = "\n      ".join(violation["nodes"][:8])
            more = len(violation["nodes"]) - 8
            problems.append(
                f"{name} ({path or '/'}): {violation['id']} ({violation['impact']}): {violation['help']}\n      {nodes}"
                + (f"\n      ... and {more} more" if more > 0 else "")
            )
    page.context.close()
    assert not problems, f"{len(problems)} axe-core violation(s) in {scheme} mode:\n" + "\n".join(problems)


# --- screenshots (on request) -------------------------------------------------------------------------------


def test_screenshots_on_request(browser: Any, base_url: str, pages: dict[str, str]) -> None:
    """With INCIDENTKB_SCREENSHOTS=1: a post-mortem's Fix section in dark mode at 1280 px and on a phone."""
    if not SCREENSHOTS:
        return
    folder = REPO / "docs" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    for file, viewport, scheme in (
        ("internal-dark-postmortem.png", LAPTOP, "dark"),
        ("internal-phone-postmortem.png", PHONE, "light"),
    ):
        page = open_page(browser, base_url, pages["post-mortem from the issue"], viewport=viewport, scheme=scheme)
        page.wait_for_load_state("networkidle")
        page.evaluate("() => document.getElementById('containment').scrollIntoView()")
        page.screenshot(path=str(folder / file))
        page.context.close()
