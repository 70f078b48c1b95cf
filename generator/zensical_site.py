"""`incidentkb build --public --engine zensical`: the public site built by Zensical instead of MkDocs.

Zensical reads mkdocs.yml but runs no MkDocs hooks or plugins, insists on paths relative to the configuration
(0.0.x panics on absolute ones) and on a site folder inside the project. So the generated docs, their mkdocs.yml
(relative paths), hooks.py and the theme folder are written into a scratch project beside the site folder,
Zensical builds it there, and its site replaces the site folder in one exchange, as an MkDocs build does.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from generator.findings import BuildError, UsageError
from generator.output import SITE_MARKER, replace_with, staging_beside, write_pages
from generator.render.public_pages import PUBLIC_HOOKS, public_mkdocs_config
from generator.settings import Settings

ZENSICAL_TIMEOUT_SECONDS = 3600
# Zensical prints site_name unescaped into attributes and <title> (it runs no hooks, so hooks.py cannot escape it).
UNSAFE_IN_SITE_NAME = '<>"'


def build_public_site_with_zensical(pages: Mapping[str, str], settings: Settings, site_dir: Path) -> None:
    """Build the public docs folder with Zensical into `site_dir` (checked by the caller: check_site_dir)."""
    zensical = shutil.which("zensical")
    if zensical is None:
        raise UsageError("--engine zensical: the zensical command is not installed (pip install zensical)")
    if unsafe := sorted({c for c in settings.site_name if c in UNSAFE_IN_SITE_NAME}):
        raise UsageError(
            f"--engine zensical: public.site_name holds {' '.join(unsafe)}, which Zensical would print into the page "
            "as HTML (it runs no hooks, so incidentkb cannot escape the name there); build with MkDocs, or drop them"
        )
    existed = site_dir.exists()
    with staging_beside(site_dir, "docs") as project:
        try:
            write_project(pages, settings, project)
            result = subprocess.run(
                [zensical, "build", "-f", "mkdocs.yml"],
                cwd=project,
                capture_output=True,
                text=True,
                timeout=ZENSICAL_TIMEOUT_SECONDS,
                check=False,
            )
            built = project / "site"
            if result.returncode != 0 or "panicked" in result.stderr or not (built / "index.html").is_file():
                kept = "the previous site is untouched" if existed else "no site was written"
                said = (result.stderr.strip() or result.stdout.strip() or "no output").splitlines()[-5:]
                raise BuildError(f"Zensical build failed (exit {result.returncode}): {' / '.join(said)}; {kept}")
            (built / SITE_MARKER).write_text("A site built by incidentkb; a later build replaces this folder.\n")
            replace_with(built, site_dir)
        finally:
            shutil.rmtree(project, ignore_errors=True)


def write_project(pages: Mapping[str, str], settings: Settings, project: Path) -> None:
    """A self-contained project: docs/, mkdocs.yml naming docs/ and site/ relative to itself, hooks.py, theme/."""
    write_pages(pages, project / "docs")
    shutil.copy(PUBLIC_HOOKS, project / "hooks.py")
    shutil.copytree(PUBLIC_HOOKS.parent / "theme", project / "theme")
    config = public_mkdocs_config(settings, "docs", "site", hooks="hooks.py")
    (project / "mkdocs.yml").write_text(config, encoding="utf-8")
