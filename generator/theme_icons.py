"""The theme's icons from one shared file instead of inlined on every page.

Material inlines each icon it shows (`{% include ".icons/material/magnify.svg" %}`): the logo twice, the search
button and box, the menu, the palette toggle's three, back-to-top; about 2.2 KB of the same markup on each of
10,000 post-mortems. The plugin writes the icons once, as symbols of `assets/icons.svg`, and each page's copy of
an icon becomes `<svg viewBox=...><use href="../assets/icons.svg#material-magnify"/></svg>`, which draws the same
shape in the same box (Material's style sheet sizes and colours the outer element, and `fill: currentcolor`
reaches the symbol through `use`). Only an exact copy of an icon's file is replaced, so an icon the templates
change or a team's own override is left inline, as it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError
from mkdocs.utils import get_relative_url

ICONS_FILE = "assets/icons.svg"

# The icons Material's templates include, by their theme.icon setting and Material's default (base.html and
# partials/*.html, Material 9.8); the palette toggle's come from theme.palette.
THEME_ICONS = {
    "logo": "material/library",
    "menu": "material/menu",
    "search": "material/magnify",
    "previous": "material/arrow-left",
    "next": "material/arrow-right",
    "close": "material/close",
    "top": "material/arrow-up",
    "share": "material/share-variant",
    "edit": "material/file-edit-outline",
    "view": "material/file-eye-outline",
    "repo": "fontawesome/brands/git-alt",
    "alternate": "material/translate",
}

_NAME = re.compile(r"[\w-]+(?:/[\w-]+)*")  # folders and a file under .icons, as Jinja's loader takes a name: no `..`
_ICON = re.compile(r"\s*<svg\b(?P<attributes>[^>]*)>(?P<inner>.*)</svg>\s*", re.S)
_VIEW_BOX = re.compile(r'\bviewBox="(?P<box>[-0-9. ]+)"')


@dataclass(frozen=True)
class Icon:
    name: str  # material/magnify
    inline: str  # the markup a template's include puts in a page: the file less its last newline
    view_box: str
    inner: str

    @property
    def symbol_id(self) -> str:
        return self.name.replace("/", "-")


def theme_icon_names(theme: Mapping[str, Any]) -> list[str]:
    """The icons the site's pages may inline: the theme's settings (or Material's defaults) and the palette's."""
    settings = theme.get("icon") or {}
    names = {settings.get(key) or default for key, default in THEME_ICONS.items()}
    names |= {
        option["toggle"]["icon"] for option in theme.get("palette") or [] if (option.get("toggle") or {}).get("icon")
    }
    return sorted(name for name in names if isinstance(name, str))


def read_icons(names: Iterable[str], theme_dirs: Iterable[str]) -> list[Icon]:
    """Each named icon as Material's include finds it: the first theme folder (a custom_dir first) holding
    `.icons/<name>.svg`. A name that is not a plain path under .icons fails the build (a settings file in a pull
    request is untrusted: it names no file elsewhere); one no folder holds is left to Material, which says so."""
    folders = [Path(folder) / ".icons" for folder in theme_dirs]
    icons = []
    for name in names:
        if not _NAME.fullmatch(name):
            raise PluginError(f"theme icon {name!r}: not the name of an icon (folders and a file under .icons)")
        source = next((path for folder in folders if (path := folder / f"{name}.svg").is_file()), None)
        if source is None:
            continue
        text = source.read_text(encoding="utf-8")
        parts = _ICON.fullmatch(text)
        if parts is None:
            continue  # not one <svg> element: inlined as Material does
        box = _VIEW_BOX.search(parts["attributes"])
        inline = text[:-1] if text.endswith("\n") else text  # Jinja drops a template's last newline
        icons.append(Icon(name, inline, box["box"] if box else "0 0 24 24", parts["inner"].strip()))
    return icons


def icons_file(icons: Iterable[Icon]) -> str:
    """assets/icons.svg: every icon as a symbol, named as the pages refer to it."""
    symbols = "".join(f'<symbol id="{i.symbol_id}" viewBox="{i.view_box}">{i.inner}</symbol>' for i in icons)
    return f'<svg xmlns="http://www.w3.org/2000/svg">{symbols}</svg>\n'


def shared_icons(html: str, icons: Iterable[Icon], page_url: str) -> str:
    """A built page with each exact copy of an icon replaced by a reference to its symbol in assets/icons.svg."""
    href = get_relative_url(ICONS_FILE, page_url or ".")
    for icon in icons:
        if icon.inline in html:
            html = html.replace(
                icon.inline, f'<svg viewBox="{icon.view_box}"><use href="{href}#{icon.symbol_id}"/></svg>'
            )
    return html
