"""The palette toggle's icons are drawn from one shared file (generator/templates/site/theme/partials/palette.html
and generator/plugin.py palette_icons) instead of inlined on every page. The partial copies Material's: these tests
fail when Material's changes (the copy must follow it), and a settings file naming an icon outside the theme's
.icons folders fails the build with a clear error instead of reading that file. How the icons look in a browser:
tests/test_site_look.py."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

from support import REPO, assert_ok, build, copy_kb, explain

OURS = REPO / "generator" / "templates" / "site" / "theme" / "partials" / "palette.html"
MATERIALS = Path(str(files("material") / "templates" / "partials" / "palette.html"))
COMMENT = re.compile(r"\{#-.*?-#\}\s*", re.S)
MATERIALS_ICON = '{% include ".icons/" ~ option.toggle.icon ~ ".svg" %}'
OUR_ICON = re.compile(r"<svg [^>]*><use href=\"\{\{ 'assets/palette-icons\.svg' \| url \}\}#[^\"]*\"/></svg>")


def test_the_partial_is_materials_own_but_for_the_icon() -> None:
    ours = COMMENT.sub("", OURS.read_text(encoding="utf-8"), count=1)
    assert len(OUR_ICON.findall(ours)) == 1, "the icon line of partials/palette.html changed"
    assert OUR_ICON.sub(MATERIALS_ICON, ours) == COMMENT.sub("", MATERIALS.read_text(encoding="utf-8"), count=1), (
        "Material's partials/palette.html is no longer the one ours copies: copy it again and keep the icon line"
    )


def test_the_built_site_has_each_toggle_icon_once_in_the_shared_file(tmp_path: Path) -> None:
    kb = copy_kb(tmp_path / "kb")
    site = tmp_path / "site"
    assert_ok(build(kb, site))
    icons = re.findall(r"icon: (material/[\w-]+)", (kb / "mkdocs.yml").read_text(encoding="utf-8"))
    sprite = (site / "assets" / "palette-icons.svg").read_text(encoding="utf-8")
    assert sorted(re.findall(r'<symbol id="([\w-]+)"', sprite)) == sorted(i.replace("/", "-") for i in icons)
    for icon in icons:  # each symbol holds Material's own drawing of the icon
        drawing = (MATERIALS.parent.parent / ".icons" / f"{icon}.svg").read_text(encoding="utf-8")
        path = re.search(r'<path d="[^"]+"/>', drawing)
        assert path and path.group(0) in sprite, icon
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "palette-icons.svg#material-brightness-7" in home and home.count("<use ") >= 3


def test_an_icon_outside_the_themes_icons_fails_the_build_and_reads_nothing(tmp_path: Path) -> None:
    kb = copy_kb(tmp_path / "kb")
    secret = tmp_path / "secret.svg"
    secret.write_text('<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0h1SECRET"/></svg>', encoding="utf-8")
    settings = kb / "mkdocs.yml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace(
            "icon: material/brightness-7", f"icon: ../../../../../../..{secret.with_suffix('')}"
        ),
        encoding="utf-8",
    )
    site = tmp_path / "site"
    result = build(kb, site)
    assert result.returncode != 0 and "Traceback" not in result.stderr, explain(result)
    assert "the toggle icon" in result.stderr and "is not in the theme's .icons folders" in result.stderr, explain(
        result
    )
    assert not site.exists() or "SECRET" not in "".join(p.read_text(errors="replace") for p in site.rglob("*.svg"))
