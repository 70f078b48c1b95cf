"""MkDocs's build on several CPUs (generator/parallel_build.py) gives the site MkDocs builds, byte for byte.

The example knowledge base is small, so these tests lower the page threshold and the chunk size: the pages then
really go to two forked workers, in many chunks. Every build here is a real MkDocs build of the example site.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from mkdocs.commands import build as mkdocs_build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort
from mkdocs.structure.pages import Page
from support import AS_OF, build, copy_kb, tree_digest, unstable_search_file

from generator import parallel_build
from generator import plugin as plugin_module
from generator.knowledge_base import KnowledgeBase
from generator.site import generate_internal


@pytest.fixture()
def kb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(parallel_build, "PARALLEL_MIN_PAGES", 0)
    monkeypatch.setattr(parallel_build, "CHUNK_PAGES", 3)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795000000")  # the sitemap's and footer's build date
    return copy_kb(tmp_path / "kb")


def config_for(kb: Path, site_dir: Path, search: str = "pagefind") -> Any:
    pages, _ = generate_internal(KnowledgeBase(kb), datetime.fromisoformat(AS_OF))
    config = load_config(str(kb / "mkdocs.yml"), strict=True, site_dir=str(site_dir))
    config.plugins["incidentkb"].supplied_pages = pages  # type: ignore[attr-defined]
    config.plugins["incidentkb"].config["search"] = search  # the plugin's option (generator/plugin.py)
    return config


def test_two_workers_build_the_site_mkdocs_builds(kb: Path, tmp_path: Path) -> None:
    mkdocs_build.build(config_for(kb, tmp_path / "mkdocs"))
    parallel_build.build(config_for(kb, tmp_path / "workers"), jobs=2)
    # Pagefind writes its word and filter indexes in no fixed order (its issue 638); its page fragments are stable.
    expected = tree_digest(tmp_path / "mkdocs", unstable_search_file)
    actual = tree_digest(tmp_path / "workers", unstable_search_file)
    assert len(expected) > 100 and "search/search_index.json" in expected
    assert sorted(actual) == sorted(expected)
    assert [rel for rel in expected if actual[rel] != expected[rel]] == []


def test_the_pages_are_rendered_in_other_processes(kb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marks = tmp_path / "pids"
    marks.mkdir()
    render = Page.render

    def render_and_mark(self: Page, config: Any, files: Any) -> None:
        (marks / str(os.getpid())).touch()
        render(self, config, files)

    monkeypatch.setattr(Page, "render", render_and_mark)
    parallel_build.build(config_for(kb, tmp_path / "site"), jobs=2)
    pids = {int(p.name) for p in marks.iterdir()}
    assert os.getpid() not in pids
    assert len(pids) == 2


def test_a_warning_in_a_worker_fails_the_strict_build_once(
    kb: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (kb / "docs" / "broken.md").write_text("# Broken\n\nSee [the missing page](missing.md).\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING), pytest.raises(Abort, match="1 warnings in strict mode"):
        parallel_build.build(config_for(kb, tmp_path / "site"), jobs=2)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "broken.md" in warnings[0] and "missing.md" in warnings[0]


def test_an_error_in_a_worker_stops_the_build_with_it(
    kb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    render = Page.render

    def fail_on_metrics(self: Page, config: Any, files: Any) -> None:
        if self.file.src_uri == "metrics.md":
            raise RuntimeError("the metrics page broke")
        render(self, config, files)

    monkeypatch.setattr(Page, "render", fail_on_metrics)
    with caplog.at_level(logging.ERROR), pytest.raises(RuntimeError, match="the metrics page broke"):
        parallel_build.build(config_for(kb, tmp_path / "site"), jobs=2)
    assert any("Error reading page 'metrics.md'" in r.getMessage() for r in caplog.records)


class _CountingPlugin:
    """A plugin that keeps state across pages: its count would be lost in workers."""

    pages = 0

    def on_page_markdown(self, markdown: str, **_: Any) -> str:
        self.pages += 1
        return markdown


def test_a_plugin_with_page_state_keeps_the_build_on_one_cpu(kb: Path, tmp_path: Path) -> None:
    config = config_for(kb, tmp_path / "site")
    assert parallel_build.serial_reason(config, jobs=2) is None
    assert parallel_build.serial_reason(config, jobs=1) == "one job asked for"
    config.plugins.events["page_markdown"].append(_CountingPlugin().on_page_markdown)
    reason = parallel_build.serial_reason(config, jobs=2)
    assert reason is not None and "plugin test_parallel_build._CountingPlugin" in reason


def test_the_search_plugin_reads_only_the_indexed_sections(
    kb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plugin shows the search plugin a post-mortem without its search-excluded tail: same index, same pages."""
    cut = plugin_module.unsearched_tail
    trimmed: list[int] = []

    def counting(content: str) -> int | None:
        at = cut(content)
        trimmed.extend([] if at is None else [len(content) - at])
        return at

    monkeypatch.setattr(plugin_module, "unsearched_tail", counting)
    mkdocs_build.build(config_for(kb, tmp_path / "trimmed", search="material"))  # with Pagefind, Material's
    monkeypatch.setattr(plugin_module, "unsearched_tail", lambda content: None)  # search skips generated pages
    mkdocs_build.build(config_for(kb, tmp_path / "whole", search="material"))

    assert len(trimmed) >= 16 and min(trimmed) > 1000  # every post-mortem, by kilobytes
    expected, actual = tree_digest(tmp_path / "whole"), tree_digest(tmp_path / "trimmed")
    assert sorted(actual) == sorted(expected)
    assert [rel for rel in expected if actual[rel] != expected[rel]] == []
    index = json.loads((tmp_path / "trimmed" / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert any(
        doc["location"].endswith("#summary") and doc["location"].startswith("incidents/") for doc in index["docs"]
    )


HOOK = """def on_page_markdown(markdown, page, config, files):
    return markdown + "\\n\\nAdded by the hook.\\n"
"""


def test_hooks_and_page_event_plugins_build_serially_and_say_why(kb: Path, tmp_path: Path) -> None:
    """An MkDocs hook module and Material's tags plugin handle page events: the build runs on one CPU, says so at
    INFO with the reason, and the site has what the hook added."""
    (kb / "hook.py").write_text(HOOK, encoding="utf-8")
    config = (kb / "mkdocs.yml").read_text(encoding="utf-8").replace("  - search\n", "  - search\n  - tags\n", 1)
    (kb / "mkdocs.yml").write_text(config + "\nhooks:\n  - hook.py\n", encoding="utf-8")
    result = build(kb, tmp_path / "site", "--jobs", "2")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    note = next(line for line in result.stderr.splitlines() if "pages are built on one CPU" in line)
    assert "hook hook.py.on_page_markdown" in note and "material.plugins.tags.plugin.TagsPlugin" in note
    assert "Added by the hook." in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")


def test_a_changed_private_mkdocs_function_makes_the_build_serial(
    kb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A MkDocs release whose private _populate_page takes other parameters gets a plain MkDocs build."""
    assert parallel_build.missing_internals() == []
    original = mkdocs_build._populate_page

    def renamed(the_page: Page, the_config: Any, the_files: Any, dirty: bool = False) -> None:
        original(the_page, the_config, the_files, dirty)

    monkeypatch.setattr(mkdocs_build, "_populate_page", renamed)
    assert parallel_build.missing_internals() == ["mkdocs.commands.build._populate_page('page', 'config', 'files')"]
    with caplog.at_level(logging.INFO, logger="mkdocs.plugins.incidentkb"):
        parallel_build.build(config_for(kb, tmp_path / "site"), jobs=2)
    assert any("pages are built on one CPU: this MkDocs or Material lacks" in r.getMessage() for r in caplog.records)
    assert (tmp_path / "site" / "index.html").is_file()
