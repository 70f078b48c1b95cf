"""Publish: validate, model, analyze and render the knowledge base, then build it with MkDocs, atomically.

A build goes to a temporary folder beside the target and replaces it only when MkDocs has finished, so a
failed build leaves the previous site untouched.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from generator.findings import BuildError, Finding, InvalidRecordsError, has_errors
from generator.model import KnowledgeBaseModel, build_model
from generator.render.pages import SiteInputs, render_internal
from generator.validate import KnowledgeBase, validate_knowledge_base

log = logging.getLogger("mkdocs.plugins.incidentkb")


@dataclass(frozen=True)
class Loaded:
    model: KnowledgeBaseModel
    findings: list[Finding]  # warnings only: errors raise


def load_model(kb: KnowledgeBase, as_of: datetime) -> Loaded:
    """Validated records as a model; an invalid knowledge base raises with every finding."""
    result = validate_knowledge_base(kb, today=as_of.date())
    if has_errors(result.findings):
        raise InvalidRecordsError(result.findings)
    return Loaded(build_model(result.incidents, result.services), result.findings)


def generate_internal(kb: KnowledgeBase, as_of: datetime) -> tuple[dict[str, str], list[Finding]]:
    """The internal site's generated pages, `{path: content}`, and the validation warnings."""
    loaded = load_model(kb, as_of)
    inputs = SiteInputs(model=loaded.model, today=as_of.date(), cutoff=as_of)
    return render_internal(inputs), loaded.findings


def write_pages(pages: Mapping[str, str], out_dir: Path) -> None:
    """Write generated pages under `out_dir` (for engines that run no MkDocs plugins)."""
    for path, content in pages.items():
        target = out_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")


def build_with_mkdocs(config_file: Path, site_dir: Path, pages: Mapping[str, str]) -> None:
    """Run `mkdocs build --strict` with our pre-generated pages, into `site_dir`, atomically."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, ConfigurationError, MkDocsException

    site_dir = site_dir.resolve()
    site_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{site_dir.name}.building-", dir=site_dir.parent))
    try:
        config = load_config(str(config_file), strict=True, site_dir=str(staging))
        plugin = config.plugins.get("incidentkb")
        if plugin is None:
            raise BuildError(f"{config_file}: the 'incidentkb' plugin is not listed under plugins")
        plugin.supplied_pages = dict(pages)  # type: ignore[attr-defined]
        build(config)
    except (Abort, ConfigurationError, MkDocsException) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise BuildError(f"MkDocs build failed ({config_file}): {exc}; the previous site is untouched") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _replace(staging, site_dir)


def _replace(new: Path, target: Path) -> None:
    """Swap the finished build into place with renames (atomic on one file system)."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        target.rename(old)
    new.rename(target)
    if old:
        shutil.rmtree(old, ignore_errors=True)
