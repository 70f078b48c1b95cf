"""Portability: the generated pages are plain Markdown that another engine reading mkdocs.yml can publish.

Zensical runs no MkDocs plugins, so the pages come from `incidentkb generate`, the authored pages are copied
beside them, and the configuration is mkdocs.yml without the incidentkb plugin. Zensical 0.0.x panics when
docs_dir or site_dir is an absolute path ("invariant: Id(Format(Path(RootDir)))"), so the copy of mkdocs.yml
sits beside the folders and names them relative to itself.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from support import assert_ok, copy_kb, example_incidents, example_services, explain, generate, html_text, run

ZENSICAL = shutil.which("zensical")


def _zensical_config(kb: Path, folder: Path) -> Path:
    config = yaml.safe_load((kb / "mkdocs.yml").read_text(encoding="utf-8"))
    config["plugins"] = [
        p for p in config.get("plugins") or [] if p != "incidentkb" and not (isinstance(p, dict) and "incidentkb" in p)
    ]
    config["docs_dir"] = "pages"
    config["site_dir"] = "site"
    path = folder / "mkdocs.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def test_zensical_publishes_every_incident(tmp_path: Path) -> None:
    assert ZENSICAL, "the zensical command is not installed (pip install -e '.[test]')"
    kb = copy_kb(tmp_path / "kb")
    folder = tmp_path / "zensical"
    pages = folder / "pages"
    assert_ok(generate(kb, pages))
    generated = {p.relative_to(pages) for p in pages.rglob("*") if p.is_file()}
    authored = {p.relative_to(kb / "docs") for p in (kb / "docs").rglob("*") if p.is_file()}
    assert not generated & authored, f"authored pages collide with generated ones: {sorted(generated & authored)}"
    shutil.copytree(kb / "docs", pages, dirs_exist_ok=True)
    config = _zensical_config(kb, folder)

    result = run([ZENSICAL, "build", "-f", str(config)], cwd=folder, timeout=600)
    assert result.returncode == 0, "zensical build failed:\n" + explain(result)
    assert "Traceback" not in result.stderr and "panicked" not in result.stderr, explain(result)

    site = folder / "site"
    missing = []
    for _, record in example_incidents(kb):
        page = site / "incidents" / record["id"] / "index.html"
        if not page.is_file():
            missing.append(f"incidents/{record['id']}/index.html")
        elif record["id"] not in html_text(page.read_text(encoding="utf-8")):
            missing.append(f"{record['id']} is not on its own page")
    for _, record in example_services(kb):
        if not (site / "runbooks" / record["id"] / "index.html").is_file():
            missing.append(f"runbooks/{record['id']}/index.html")
    if not (site / "index.html").is_file():
        missing.append("index.html")
    assert not missing, "Zensical's site lacks:\n" + "\n".join(missing) + "\n" + explain(result)
