"""The thin MkDocs adapter: adds the generated pages to the build and watches the records during `serve`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel

from generator.findings import InvalidRecordsError, format_text
from generator.plain_text import PlainTextExtension

log = get_plugin_logger(__name__)

# Pages reached from index pages rather than the sidebar: a sidebar of thousands of incidents makes every page
# carry the whole navigation, so the site would grow with the square of the number of incidents.
IN_NAV_PREFIXES = ("index.md", "actions.md", "metrics.md")
DETAIL_PREFIXES = ("incidents/", "runbooks/", "lessons/", "reports/", "assets/")


class IncidentKBConfig(Config):
    root = c.Optional(c.Type(str))  # the knowledge base folder; default: the folder of mkdocs.yml
    as_of = c.Optional(c.Type(str))  # RFC 3339 cut-off for ongoing incidents; default: now


class IncidentKBPlugin(BasePlugin[IncidentKBConfig]):
    supplied_pages: dict[str, str] | None = None  # set by `incidentkb build`, which has generated them already

    def on_config(self, config: Any, /) -> Any:
        # Python-Markdown then skips its inline patterns on text that holds none of their characters: the same
        # HTML, a quarter sooner (most cells of a post-mortem are times, durations and plain sentences).
        config.markdown_extensions.append(PlainTextExtension())
        return config

    def on_files(self, files: Files, /, *, config: Any) -> Files:
        pages = self.supplied_pages if self.supplied_pages is not None else self._generate(config)
        for path, content in pages.items():
            if files.get_file_from_path(path) is not None:
                raise PluginError(f"generated page {path} collides with an authored file in {config['docs_dir']}")
            inclusion = InclusionLevel.NOT_IN_NAV if _is_detail(path) else InclusionLevel.UNDEFINED
            files.append(File.generated(config, path, content=content, inclusion=inclusion))
        return files

    def on_serve(self, server: Any, /, *, config: Any, builder: Any) -> Any:
        root = self._root(config)
        for folder in ("incidents", "services", "schemas"):
            if (root / folder).is_dir():
                server.watch(str(root / folder))
        return server

    def _root(self, config: Any) -> Path:
        return Path(self.config.root or Path(config["config_file_path"]).parent).resolve()

    def _generate(self, config: Any) -> dict[str, str]:
        from generator.site import generate_internal
        from generator.validate import KnowledgeBase

        as_of = datetime.fromisoformat(self.config.as_of) if self.config.as_of else datetime.now(UTC)
        try:
            pages, warnings = generate_internal(KnowledgeBase(self._root(config)), as_of)
        except InvalidRecordsError as exc:
            raise PluginError(f"invalid records:\n{format_text(exc.findings)}") from None
        for finding in warnings:
            log.info(
                "%s:%d:%d: %s[%s]: %s",
                finding.path,
                finding.line,
                finding.column,
                finding.severity,
                finding.rule,
                finding.message,
            )
        return pages


def _is_detail(path: str) -> bool:
    return path.startswith(DETAIL_PREFIXES) and not path.endswith("/index.md")
