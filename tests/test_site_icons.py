"""The theme's icons are drawn from one shared file (generator/theme_icons.py) instead of inlined on every page:
assets/icons.svg holds each icon Material's templates include, as Material's own drawing, and no page keeps an
inline copy of one (but the 404 page, served at any depth). A settings file naming an icon outside the theme's
.icons folders fails the build with a clear error instead of reading that file. How the icons look in a browser:
tests/test_site_look.py."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import pytest
from support import assert_ok, build, copy_kb, example_site, explain

from generator.theme_icons import THEME_ICONS

MATERIAL_ICONS = Path(str(files("material") / "templates" / ".icons"))


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return example_site(tmp_path_factory)


def test_the_shared_file_holds_materials_drawing_of_each_icon(example: tuple[Path, Path]) -> None:
    kb, site = example
    palette = re.findall(r"icon: (material/[\w-]+)", (kb / "mkdocs.yml").read_text(encoding="utf-8"))
    sprite = (site / "assets" / "icons.svg").read_text(encoding="utf-8")
    symbols = dict(re.findall(r'<symbol id="([\w-]+)" viewBox="[^"]+">(.*?)</symbol>', sprite))
    names = {n.replace("/", "-"): n for n in [*THEME_ICONS.values(), *palette]}
    assert sorted(symbols) == sorted(names)
    for symbol, drawing in symbols.items():
        assert drawing and drawing in (MATERIAL_ICONS / f"{names[symbol]}.svg").read_text(encoding="utf-8"), symbol


def test_no_page_inlines_an_icon_and_every_reference_names_a_symbol(example: tuple[Path, Path]) -> None:
    _, site = example
    sprite = (site / "assets" / "icons.svg").read_text(encoding="utf-8")
    drawings = re.findall(r"<symbol [^>]*>(.*?)</symbol>", sprite)
    symbols = set(re.findall(r'<symbol id="([\w-]+)"', sprite))
    pages = [p for p in site.rglob("*.html") if p.name != "404.html"]
    assert len(pages) > 100
    for page in pages:
        html = page.read_text(encoding="utf-8")
        inlined = [d for d in drawings if d in html]
        assert not inlined, f"{page.relative_to(site)} inlines {inlined[0][:60]}"
        depth = len(page.relative_to(site).parts) - 1
        for href in re.findall(r"<use href=([^ >]+)", html):
            assert href.startswith("../" * depth + "assets/icons.svg#"), (page, href)
            assert href.split("#", 1)[1] in symbols, (page, href)
    assert "<use href" not in (site / "404.html").read_text(encoding="utf-8")


def test_an_icon_outside_the_themes_icons_fails_the_build_and_reads_nothing(tmp_path: Path) -> None:
    kb = copy_kb(tmp_path / "kb")
    secret = tmp_path / "secret.svg"
    secret.write_text('<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0h1SECRET"/></svg>', encoding="utf-8")
    settings = kb / "mkdocs.yml"
    outside = f"../../../../../../..{secret.with_suffix('')}"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace("icon: material/brightness-7", f"icon: {outside}"),
        encoding="utf-8",
    )
    site = tmp_path / "site"
    result = build(kb, site)
    assert result.returncode != 0 and "Traceback" not in result.stderr, explain(result)
    assert f"theme icon {outside!r}: not the name of an icon" in result.stderr, explain(result)
    assert not site.exists(), "a failed build left a site behind"


def test_a_knowledge_bases_own_icons_file_is_kept_and_its_pages_keep_their_icons(tmp_path: Path) -> None:
    kb = copy_kb(tmp_path / "kb")
    (kb / "docs" / "assets").mkdir(parents=True, exist_ok=True)
    (kb / "docs" / "assets" / "icons.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'>ours</svg>")
    site = tmp_path / "site"
    assert_ok(build(kb, site))
    assert (site / "assets" / "icons.svg").read_text() == "<svg xmlns='http://www.w3.org/2000/svg'>ours</svg>"
    assert "<use href" not in (site / "index.html").read_text(encoding="utf-8")
