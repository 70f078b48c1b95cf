"""The plugin gets its pages from whoever built them through use_pages(), on the configured instance only; without
them (`mkdocs build`) it generates them itself (tests/test_site_build.py builds both ways)."""

from __future__ import annotations

from mkdocs.config import load_config
from support import REPO

from generator.plugin import IncidentKBPlugin, Preview
from generator.site import PagesPlugin


def test_pages_handed_to_one_plugin_instance_stay_with_it() -> None:
    pages = {"index.md": "# Home\n"}
    one, other = IncidentKBPlugin(), IncidentKBPlugin()
    one.use_pages(pages)
    pages["later.md"] = "# Later\n"  # the plugin keeps what it was handed, not the caller's dict
    assert one.supplied_pages == {"index.md": "# Home\n"}
    assert other.supplied_pages is None and other.preview is None


def test_the_configured_plugin_takes_the_pages_and_the_preview() -> None:
    config = load_config(str(REPO / "mkdocs.yml"))
    plugin = config.plugins["incidentkb"]
    assert isinstance(plugin, IncidentKBPlugin) and isinstance(plugin, PagesPlugin)
    preview = Preview()
    plugin.use_preview(preview)
    assert plugin.preview is preview
    assert load_config(str(REPO / "mkdocs.yml")).plugins["incidentkb"].preview is None  # type: ignore[attr-defined]
