"""Determinism: the same knowledge base and the same --as-of give the same bytes, in any process.

Each run is a fresh interpreter with its own PYTHONHASHSEED, so output that depends on set or dict-of-set order
shows up as a difference. Only MkDocs' sitemap.xml(.gz) (it stamps the build date) and Pagefind's word and
filter indexes (support.unstable_search_file) may differ between builds.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from support import REPO, assert_ok, build, copy_kb, generate, tree_digest, unstable_search_file


def _differences(first: Path, second: Path, ignore=lambda _: False) -> list[str]:  # type: ignore[no-untyped-def]
    a, b = tree_digest(first, ignore), tree_digest(second, ignore)
    report = []
    for rel in sorted(a.keys() | b.keys()):
        if rel not in a or rel not in b:
            report.append(f"{rel}: only in {'the first' if rel in a else 'the second'} run")
        elif a[rel] != b[rel]:
            report.append(f"{rel} differs")
            if not rel.endswith((".gz", ".png")):
                diff = difflib.unified_diff(
                    (first / rel).read_text(encoding="utf-8").splitlines(),
                    (second / rel).read_text(encoding="utf-8").splitlines(),
                    lineterm="",
                    n=0,
                )
                report.extend("    " + line[:200] for line in list(diff)[2:8])
    return report


def test_generate_is_byte_identical(tmp_path: Path) -> None:
    kb = copy_kb(tmp_path / "kb")
    first, second = tmp_path / "first", tmp_path / "second"
    assert_ok(generate(kb, first, env={"PYTHONHASHSEED": "1"}))
    assert_ok(generate(kb, second, env={"PYTHONHASHSEED": "2"}))
    assert len(tree_digest(first)) > 10
    differences = _differences(first, second)
    assert not differences, "two `generate` runs differ:\n" + "\n".join(differences)


def test_build_is_identical_except_the_sitemap(tmp_path: Path) -> None:
    kb = copy_kb(tmp_path / "kb")
    first, second = tmp_path / "first" / "site", tmp_path / "second" / "site"
    assert_ok(build(kb, first, env={"PYTHONHASHSEED": "3"}))
    assert_ok(build(kb, second, env={"PYTHONHASHSEED": "4"}))
    # and Pagefind's word and filter indexes, written in no fixed order (its issue 638; its page fragments are stable)
    sitemap = lambda rel: rel in ("sitemap.xml", "sitemap.xml.gz") or unstable_search_file(rel)  # noqa: E731
    assert len(tree_digest(first, sitemap)) > 50
    differences = _differences(first, second, sitemap)
    assert not differences, "two builds differ:\n" + "\n".join(differences)


def test_the_generated_pages_do_not_depend_on_the_working_folder(tmp_path: Path) -> None:
    """The knowledge base's own copy and the repository produce the same pages (no absolute paths leak in)."""
    here, there = tmp_path / "repo", tmp_path / "copy"
    assert_ok(generate(REPO, here))
    assert_ok(generate(copy_kb(tmp_path / "kb"), there))
    differences = _differences(here, there)
    assert not differences, "the pages depend on where the knowledge base is:\n" + "\n".join(differences)
