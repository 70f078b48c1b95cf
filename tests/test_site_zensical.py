"""Portability: the generated pages are plain Markdown that another engine reading mkdocs.yml can publish.

Zensical runs no MkDocs plugins, so the pages come from `incidentkb generate`, the authored pages are copied
beside them, and the configuration is mkdocs.yml without the incidentkb plugin. Zensical 0.0.x panics when
docs_dir or site_dir is an absolute path ("invariant: Id(Format(Path(RootDir)))"), so the copy of mkdocs.yml
sits beside the folders and names them relative to itself.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import yaml
from support import (
    assert_ok,
    copy_kb,
    example_incidents,
    example_services,
    explain,
    generate,
    html_text,
    run,
    run_cli,
)

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


AS_OF = "2026-12-01T12:00:00Z"


def _public_build(kb: Path, site: Path, *engine: str) -> Any:
    return run_cli("build", "--public", "--site-dir", site, "--as-of", AS_OF, *engine, root=kb)


def _outputs(site: Path) -> set[str]:
    """What a reader or client fetches: every page and every machine file (not the engines' own assets)."""
    return {
        str(p.relative_to(site))
        for p in site.rglob("*")
        if p.is_file() and not str(p.relative_to(site)).startswith(("assets/", "search/", "search.json", "sitemap"))
    }


def test_zensical_builds_the_public_site_with_every_report_history_page_and_api_file(tmp_path: Path) -> None:
    assert ZENSICAL, "the zensical command is not installed (pip install -e '.[test]')"
    kb = copy_kb(tmp_path / "kb")
    with_mkdocs, with_zensical = tmp_path / "mkdocs-site", tmp_path / "zensical-site"
    assert_ok(_public_build(kb, with_mkdocs))
    built = _public_build(kb, with_zensical, "--engine", "zensical")
    assert_ok(built)
    assert "Zensical built them" in built.stdout and "Traceback" not in built.stderr, explain(built)

    expected = _outputs(with_mkdocs)
    # The outputs a client reads, named so that a missing kind is seen even if MkDocs lost it too.
    for must in ("index.html", "api/v2/summary.json", "api/v2/incidents.json", "feed.xml", "status.json"):
        assert must in expected
    assert any(p.startswith("reports/2026-") for p in expected) and any(p.startswith("history/INC-") for p in expected)
    missing = sorted(expected - _outputs(with_zensical))
    assert not missing, f"Zensical's public site lacks {len(missing)} of MkDocs' outputs: {missing[:20]}"
    for name in ("api/v2/summary.json", "status.json", "feed.xml", "maintenance.ics"):
        assert (with_zensical / name).read_bytes() == (with_mkdocs / name).read_bytes(), name
    for page in sorted(with_mkdocs.glob("history/*/index.html")) + sorted(with_mkdocs.glob("reports/*/index.html")):
        same = with_zensical / page.relative_to(with_mkdocs)
        heading = re.search(r"<h1[^>]*>(.*?)</h1>", page.read_text(encoding="utf-8"), re.S)
        assert heading, page
        assert html_text(heading.group(1)).strip() in html_text(same.read_text(encoding="utf-8")), same
    report = next(iter(sorted((with_zensical / "reports").glob("2026-*/index.html"))))
    assert "uptime.css" in report.read_text(encoding="utf-8"), "the report's strips need their style sheet"
    assert not list(tmp_path.glob(".zensical-site.*")), "the scratch project beside the site was not removed"

    # A second build replaces the first (the site is marked as incidentkb's own), like an MkDocs build.
    assert_ok(_public_build(kb, with_zensical, "--engine", "zensical"))


def test_zensical_refuses_a_site_name_it_would_print_as_html(tmp_path: Path) -> None:
    """Zensical runs no hooks and prints site_name unescaped into attributes and <title>: such a name is refused,
    and the previous site stays as it was."""
    kb = copy_kb(tmp_path / "kb")
    site = tmp_path / "site"
    assert_ok(_public_build(kb, site, "--engine", "zensical"))
    before = (site / "index.html").read_bytes()
    settings = kb / "incidentkb.yml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace("site_name: Larkspur Market status", "site_name: 'x\" onfocus=\"alert(1)'"))
    refused = _public_build(kb, site, "--engine", "zensical")
    assert refused.returncode == 2, explain(refused)
    assert "public.site_name" in refused.stderr and "Traceback" not in refused.stderr, explain(refused)
    assert (site / "index.html").read_bytes() == before
    assert_ok(_public_build(kb, tmp_path / "mkdocs-site"))  # MkDocs escapes it (hooks.py): that build goes on


def test_engine_is_only_for_the_public_site(tmp_path: Path) -> None:
    kb = copy_kb(tmp_path / "kb")
    result = run_cli("build", "--engine", "zensical", "--site-dir", tmp_path / "site", root=kb)
    assert result.returncode == 2 and "--engine is for --public" in result.stderr, explain(result)
