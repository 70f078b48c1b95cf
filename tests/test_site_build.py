"""The internal site of the repository's own knowledge base: a strict build, every page it should have, links
that resolve, an atomic replacement of the previous site, and the MkDocs plugin path.

The knowledge base is always copied to a tmp folder first (tests/support.py: copy_kb): nothing here
writes into the repository.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from support import (
    AS_OF,
    FINDING_LINE,
    assert_ok,
    build,
    copy_kb,
    example_incidents,
    example_services,
    example_site,
    explain,
    generate,
    parse_html,
    run,
    tree_digest,
    unstable_search_file,
)

from generator.model import parse_time


@pytest.fixture(scope="session")
def example(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return example_site(tmp_path_factory)


@pytest.fixture(scope="session")
def kb(example: tuple[Path, Path]) -> Path:
    return example[0]


@pytest.fixture(scope="session")
def site(example: tuple[Path, Path]) -> Path:
    return example[1]


def test_the_example_knowledge_base_has_records() -> None:  # the repository's own, not a copy
    assert len(example_incidents()) >= 3, "the example knowledge base should hold several incidents"
    assert len(example_services()) >= 2, "the example knowledge base should hold several services"


def test_strict_build_has_every_page(kb: Path, site: Path) -> None:
    assert (site / "index.html").is_file()
    missing = []
    for path, record in example_incidents(kb):
        page = site / "incidents" / record["id"] / "index.html"
        if not page.is_file():
            missing.append(f"post-mortem of {record['id']} ({path.name})")
        elif record["id"] not in page.read_text(encoding="utf-8"):
            missing.append(f"{record['id']} is not named on its own page")
    for path, record in example_services(kb):
        if not (site / "runbooks" / record["id"] / "index.html").is_file():
            missing.append(f"runbook of {record['id']} ({path.name})")
    for page in ("incidents", "runbooks", "lessons", "actions", "metrics", "reports"):
        if not (site / page / "index.html").is_file():
            missing.append(f"{page}/index.html")
    if not list((site / "lessons").glob("*/index.html")):
        missing.append("a lessons index page (lessons/<view>/index.html)")
    months = sorted(
        {
            parse_time(record["started_at"]).isoformat()[:7]
            for _, record in example_incidents(kb)
            if record.get("started_at")
        }  # type: ignore[union-attr]
    )
    months = [m for m in months if m <= AS_OF[:7]]  # a maintenance announced for later has no report yet
    missing += [f"report of {m}" for m in months if not (site / "reports" / m / "index.html").is_file()]
    missing += [f"incidents of {m}" for m in months if not (site / "incidents" / m / "index.html").is_file()]
    assert not missing, "the built site lacks: " + ", ".join(missing)


def test_every_generated_page_is_built(kb: Path, site: Path, tmp_path: Path) -> None:
    """Everything `incidentkb generate` writes ends up in the site (as a page or as a file)."""
    result = generate(kb, tmp_path / "generated")
    assert_ok(result)
    out = tmp_path / "generated"
    generated = [p.relative_to(out).as_posix() for p in out.rglob("*") if p.name != ".incidentkb-generated"]
    assert sorted((out / ".incidentkb-generated").read_text(encoding="utf-8").split()) == sorted(
        rel for rel in generated if (out / rel).is_file()
    )  # the manifest lists exactly the pages
    missing = []
    for rel in generated:
        if (tmp_path / "generated" / rel).is_dir():
            continue
        if rel.endswith(".md"):
            stem = rel[: -len(".md")]
            target = site / (stem[: -len("index")] if stem.rpartition("/")[2] == "index" else stem + "/") / "index.html"
        else:
            target = site / rel
        if not target.is_file():
            missing.append(f"{rel} -> {target.relative_to(site)}")
    assert len(generated) > 10
    assert not missing, "generated but not built:\n" + "\n".join(missing)


def test_every_internal_link_resolves(site: Path) -> None:
    broken = []
    pages = sorted(site.rglob("*.html"))
    for page in pages:
        for tag in parse_html(page.read_text(encoding="utf-8")).tags:
            for name in ("href", "src"):
                value = tag.get(name)
                if not value:
                    continue
                parts = urlsplit(value)
                if parts.scheme or parts.netloc or not parts.path:
                    continue
                base = site if parts.path.startswith("/") else page.parent  # 404.html links from the root
                target = (base / unquote(parts.path).lstrip("/")).resolve()
                if target.is_dir():
                    target = target / "index.html"
                if not target.exists():
                    broken.append(f"{page.relative_to(site)}: <{tag.name} {name}={value!r}>")
    assert len(pages) > 10
    assert not broken, f"{len(broken)} broken links:\n" + "\n".join(broken[:50])


def test_the_site_folder_is_as_readable_as_its_subfolders(site: Path) -> None:
    """The published folder gets the permissions of any new folder (umask), like the folders MkDocs makes in it;
    a web server running as another user must be able to read it."""
    own = stat.S_IMODE(site.stat().st_mode)
    inner = stat.S_IMODE((site / "incidents").stat().st_mode)
    assert own == inner, f"{site} has mode {own:o} but the folders in it have {inner:o}"


# --- atomicity ----------------------------------------------------------------------------------------------


def _break_a_record(kb: Path) -> tuple[str, int]:
    """Give the first incident an impossible severity; return its path (relative to kb) and the line."""
    path = sorted((kb / "incidents").glob("*/*.yaml"))[0]
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if re.match(r"severity:\s", line))
    lines[index] = "severity: SEV9\n"
    path.write_text("".join(lines), encoding="utf-8")
    return path.relative_to(kb).as_posix(), index + 1


def _first_build(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    kb = copy_kb(tmp_path / "kb")
    site = tmp_path / "out" / "site"
    assert_ok(build(kb, site))
    assert sorted(os.listdir(site.parent)) == ["site"], "a successful build left something beside the site"
    return kb, site, tree_digest(site)


def test_invalid_records_leave_the_previous_site_untouched(tmp_path: Path) -> None:
    kb, site, before = _first_build(tmp_path)
    broken, line = _break_a_record(kb)
    result = build(kb, site)
    assert result.returncode == 1, explain(result)
    assert "Traceback" not in result.stderr, explain(result)
    findings = [m.groupdict() for m in FINDING_LINE.finditer(result.stderr)]
    assert any(f["path"] == broken and f["line"] == str(line) and f["rule"] == "schema" for f in findings), (
        f"expected `{broken}:{line}:<col>: error[schema]: ...` on stderr\n" + explain(result)
    )
    assert tree_digest(site) == before, "the previous site changed"
    assert sorted(os.listdir(site.parent)) == ["site"], f"leftovers beside the site: {os.listdir(site.parent)}"


def test_a_failing_mkdocs_build_leaves_the_previous_site_untouched(tmp_path: Path) -> None:
    kb, site, before = _first_build(tmp_path)
    (kb / "docs" / "site-tests-broken.md").write_text("# Broken\n\n[a link](no-such-page.md)\n", encoding="utf-8")
    result = build(kb, site)
    assert result.returncode == 1, explain(result)
    assert "Traceback" not in result.stderr, explain(result)
    assert "incidentkb: error:" in result.stderr and "no-such-page.md" in result.stderr, explain(result)
    assert tree_digest(site) == before, "the previous site changed"
    assert sorted(os.listdir(site.parent)) == ["site"], f"leftovers beside the site: {os.listdir(site.parent)}"


def test_a_second_good_build_replaces_the_site(tmp_path: Path) -> None:
    kb, site, before = _first_build(tmp_path)
    (site / "stale.html").write_text("from an old build", encoding="utf-8")
    assert_ok(build(kb, site))
    assert not (site / "stale.html").exists(), "the site was updated in place rather than replaced"
    unstable = lambda rel: rel.startswith("sitemap.xml") or unstable_search_file(rel)  # noqa: E731
    assert tree_digest(site, unstable) == {k: v for k, v in before.items() if not unstable(k)}
    assert sorted(os.listdir(site.parent)) == ["site"], f"leftovers beside the site: {os.listdir(site.parent)}"


# --- the plugin path ----------------------------------------------------------------------------------------


def test_mkdocs_build_strict_with_the_plugin(tmp_path: Path, example: tuple[Path, Path]) -> None:
    """`mkdocs build --strict` on the knowledge base's own mkdocs.yml: the plugin generates the pages itself."""
    source, site = example
    kb = copy_kb(tmp_path / "kb", source)
    config = yaml.safe_load((kb / "mkdocs.yml").read_text(encoding="utf-8"))
    plugins = config["plugins"]
    index = next(i for i, p in enumerate(plugins) if p == "incidentkb" or (isinstance(p, dict) and "incidentkb" in p))
    plugins[index] = {"incidentkb": {"as_of": AS_OF}}  # reproducible, like `build --as-of`
    (kb / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    plugin_site = tmp_path / "plugin-site"
    result = run(["mkdocs", "build", "--strict", "-f", str(kb / "mkdocs.yml"), "-d", str(plugin_site)], cwd=kb)
    assert result.returncode == 0, explain(result)
    for _, record in example_incidents(kb):
        assert (plugin_site / "incidents" / record["id"] / "index.html").is_file(), record["id"]
    # the plugin and `incidentkb build` publish the same site
    ignore = lambda rel: rel.startswith("sitemap.xml") or unstable_search_file(rel)  # noqa: E731
    ours, theirs = tree_digest(site, ignore), tree_digest(plugin_site, ignore)
    assert ours.pop(".incidentkb-site")  # the one file only `incidentkb build` writes: the site is its own
    differ = sorted(k for k in ours.keys() | theirs.keys() if ours.get(k) != theirs.get(k))
    assert not differ, f"the plugin build differs from `incidentkb build` in {differ[:20]}"
