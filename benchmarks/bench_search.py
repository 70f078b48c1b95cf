"""Search benchmark: Pagefind against Material's search on the same synthetic site, in headless Chromium.

    python benchmarks/bench_search.py [--sizes 10000] [--queries 20] [--seed 1] [--jobs 2] [--reuse-sites]

For each size, the corpus of bench_build.py (benchmarks/.corpus/build-N/) is built twice in the same run:
- `pagefind`: `incidentkb build`, as shipped: Pagefind indexes every word of the post-mortems, runbooks, lessons
  and guide pages, and the header's search box uses it;
- `material`: the same pages with the plugin's `search: material` and every `data-search-exclude` mark taken
  out, so Material's search indexes the full text of every page it indexes (the peer of the issue).
Words are sampled (seeded) from every section of the post-mortems' records, round robin over the sections. For
each engine and word, a new browser context (an empty cache) opens a post-mortem, waits for its load event, clicks
into the search box and at once puts the word into it (as pasted); the page records when the first result is in
the result list. The
bytes are every response's body and headers (Playwright's request sizes, the page's workers included), counted
up to the first result and again once the network is quiet, the search's own files (index, fragments, filters,
scripts) apart from the page's. The
server sends files as they are, without compression (Pagefind's files are compressed already; the size of
Material's index compressed with gzip is recorded beside it).

Results go to benchmarks/results/search-*.json (git-ignored); the table is printed as Markdown.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import random
import re
import shutil
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # serve, field_texts
from bench_build import (  # a sibling script, not a package
    AS_OF,
    REPO,
    RESULTS_DIR,
    STOP_WORDS,
    corpus,
    executable,
    incident_files,
    machine,
    run_child,
    site_figures,
    stub_missing_nav_pages,
)
from support import field_texts, serve  # tests/support.py: the records' text and the localhost server of the tests

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ENGINES = ("pagefind", "material")
# The record fields behind each section of a post-mortem page.
SECTIONS: dict[str, tuple[str, ...]] = {
    "summary": ("summary.internal",),
    "root cause": ("root_cause.description",),
    "5 whys": ("root_cause.five_whys",),
    "contributing factors": ("contributing_factors.description",),
    "failed defences": ("failed_defences.description",),
    "containment": ("containment.description",),
    "fix": ("fix.description", "fix.follow_up"),
    "verification": ("verification.description",),
    "action items": ("action_items.title",),
    "timeline": ("timeline.event",),
}
WORD = re.compile(r"(?<![\w-])[A-Za-z][A-Za-z_]{4,}(?![\w-])")
# What each engine's box and first result are, and which files are the search's own.
INPUT = {"pagefind": "[data-ikb-search-query]", "material": ".md-search__input"}
RESULT = {"pagefind": "[data-ikb-search-list] > li", "material": ".md-search-result__item"}
SEARCH_FILE = re.compile(r"/pagefind/|/search/search_index\.json|/workers/search\.|/assets/search\.js")
TIMEOUT_MS = 300_000  # Material's full-text index at 10,000 incidents takes most of a minute


# --- sites --------------------------------------------------------------------------------------------------


def build_sites(root: Path, out: Path, jobs: int, timeout: float, reuse: bool) -> dict[str, Any]:
    """Both sites of the corpus at `root` under `out`, each built in its own timed child process."""
    builds: dict[str, Any] = {}
    for engine in ENGINES:
        site = out / f"site-{engine}"
        if reuse and (site / "index.html").is_file():
            builds[engine] = {"site": str(site), "reused": True, **site_figures(site), **search_files(site, engine)}
            continue
        argv = [sys.executable, __file__, "--build-site", engine, str(root), str(site), "--jobs", str(jobs)]
        log = out / f"build-{engine}.log"
        result = run_child(argv, root, log, timeout)
        print(f"  built {engine}: {result['wall_s']:.1f} s, exit {result['exit']}", file=sys.stderr)
        if result["exit"] != 0:
            raise SystemExit(f"the {engine} build failed:\n{log.read_text(encoding='utf-8', errors='replace')[-3000:]}")
        builds[engine] = {"site": str(site), **result, **site_figures(site), **search_files(site, engine)}
    return builds


def search_files(site: Path, engine: str) -> dict[str, Any]:
    if engine == "pagefind":
        files = [p for p in (site / "pagefind").rglob("*") if p.is_file()]
        return {"search_bytes": sum(p.stat().st_size for p in files), "search_files": len(files)}
    index = site / "search" / "search_index.json"
    data = index.read_bytes()
    return {"search_bytes": len(data), "search_bytes_gzip": len(gzip.compress(data, 6)), "search_files": 1}


def build_one(engine: str, root: Path, site: Path, jobs: int) -> None:
    """The child of build_sites: what `incidentkb build` does, with the Material variant's changes."""
    from generator.site import build_with_mkdocs, generate_internal
    from generator.validate import KnowledgeBase

    pages, _ = generate_internal(KnowledgeBase(root), datetime.fromisoformat(AS_OF), jobs)
    stub_missing_nav_pages(root, set(pages))
    config = root / "mkdocs.yml"
    if engine == "material":
        pages = {path: strip_search_marks(text) if path.endswith(".md") else text for path, text in pages.items()}
        config = root / "mkdocs-material-search.yml"
        text = (root / "mkdocs.yml").read_text(encoding="utf-8")
        config.write_text(text.replace("  - incidentkb\n", "  - incidentkb:\n      search: material\n", 1), "utf-8")
        assert "search: material" in config.read_text(encoding="utf-8"), "mkdocs.yml lists no bare `- incidentkb`"
    if site.exists():
        shutil.rmtree(site)
    build_with_mkdocs(config, site, pages, root, jobs)


_MARK = re.compile(r"[ \t]*\{ data-search-exclude \}")


def strip_search_marks(markdown: str) -> str:
    """The page with every section searchable by Material (its headings and paragraphs lose the exclude mark)."""
    return _MARK.sub("", markdown)


# --- words --------------------------------------------------------------------------------------------------


def sample_words(root: Path, count: int, seed: int) -> list[dict[str, str]]:
    """`count` words, round robin over the sections: each of a random post-mortem's field of that section."""
    import yaml

    rng = random.Random(seed)
    files = incident_files(root)
    names = list(SECTIONS)
    chosen: list[dict[str, str]] = []
    seen: set[str] = set()
    while len(chosen) < count:
        section = names[len(chosen) % len(names)]
        record = yaml.safe_load(rng.choice(files).read_text(encoding="utf-8"))
        texts = [t for field in SECTIONS[section] for t in field_texts(record, field)]
        words = sorted({w for t in texts for w in WORD.findall(t) if w.lower() not in STOP_WORDS} - seen)
        if words:
            word = rng.choice(words)
            seen.add(word)
            chosen.append({"word": word, "section": section, "incident": record["id"]})
    return chosen


# --- the browser --------------------------------------------------------------------------------------------


# Records, once, when the first result is in the list (performance.now() and the epoch, in ms).
WATCH = """selector => new Promise(ready => {
  const seen = () => {
    if (window.__first || !document.querySelector(selector)) return;
    window.__first = {at: performance.now(), epoch: performance.timeOrigin + performance.now()};
  };
  new MutationObserver(seen).observe(document.body, {childList: true, subtree: true});
  ready(true);
})"""
# The word goes into the box at once (as pasted): Pagefind's box listens for input, Material's for keyup.
TYPE = """([selector, word]) => {
  const box = document.querySelector(selector);
  box.focus();
  const at = performance.now();
  box.value = word;
  box.dispatchEvent(new InputEvent("input", {bubbles: true, data: word, inputType: "insertText"}));
  box.dispatchEvent(new KeyboardEvent("keyup", {bubbles: true, key: word.slice(-1)}));
  return at;
}"""


def measure(browser: Any, base: str, page_path: str, engine: str, word: str) -> dict[str, Any]:
    """One query on a fresh page: time from typing to the first result, and bytes (to then, and settled)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    finished: list[tuple[str, float, int]] = []  # url, when it finished (epoch ms), bytes transferred

    def done(request: Any) -> None:
        sizes, timing = request.sizes(), request.timing
        end = timing["startTime"] + max(timing["responseEnd"], 0)
        finished.append((request.url, end, sizes["responseBodySize"] + sizes["responseHeadersSize"]))

    context.on("requestfinished", done)  # the context sees the requests of the page's workers too
    page.goto(base + page_path, wait_until="load")
    page.evaluate(WATCH, RESULT[engine])
    page.click(INPUT[engine])  # the reader clicks into the box, and types at once
    typed = page.evaluate(TYPE, [INPUT[engine], word])
    page.wait_for_function("() => window.__first", timeout=TIMEOUT_MS, polling=50)
    first = page.evaluate("() => window.__first")
    count = page.eval_on_selector_all(RESULT[engine], "items => items.length")
    with contextlib.suppress(Exception):
        page.wait_for_load_state("networkidle", timeout=30_000)
    page.wait_for_timeout(1000)
    context.close()
    by_first = {"search": 0, "page": 0}
    settled = {"search": 0, "page": 0}
    search_requests = 0
    for url, end, size in finished:
        kind = "search" if SEARCH_FILE.search(url) else "page"
        search_requests += kind == "search"
        settled[kind] += size
        if end <= first["epoch"]:
            by_first[kind] += size
    return {
        "engine": engine,
        "word": word,
        "first_result_ms": first["at"] - typed,
        "results_shown": count,
        "search_bytes_to_first": by_first["search"],
        "page_bytes_to_first": by_first["page"],
        "search_bytes_settled": settled["search"],
        "page_bytes_settled": settled["page"],
        "requests": len(finished),
        "search_requests": search_requests,
    }


def run_queries(sites: dict[str, Any], words: list[dict[str, str]], page_path: str) -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for engine in ENGINES:
                with serve(Path(sites[engine]["site"])) as base:
                    for sample in words:
                        row = {**measure(browser, base, page_path, engine, sample["word"]), **sample}
                        rows.append(row)
                        print(
                            f"  {engine:<8} {sample['section']:<20} {sample['word']:<22} "
                            f"{row['first_result_ms']:8.0f} ms  {row['search_bytes_to_first'] / 1e6:7.2f} MB "
                            f"({row['search_bytes_settled'] / 1e6:.2f} settled)  {row['results_shown']} shown",
                            file=sys.stderr,
                        )
        finally:
            browser.close()
    return rows


def first_incident_id(root: Path) -> str:
    match = re.search(r"^id: (\S+)", incident_files(root)[0].read_text(encoding="utf-8"), re.M)
    assert match, "the corpus's first record has no id line"
    return match.group(1)


def medians(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    keys = ("first_result_ms", "search_bytes_to_first", "search_bytes_settled", "page_bytes_to_first")
    summary = {}
    for engine in ENGINES:
        mine = [r for r in rows if r["engine"] == engine]
        summary[engine] = {f"{k}_median": statistics.median(r[k] for r in mine) for k in keys}
        summary[engine]["first_result_ms_max"] = max(r["first_result_ms"] for r in mine)
        summary[engine]["search_bytes_to_first_max"] = max(r["search_bytes_to_first"] for r in mine)
        summary[engine]["queries"] = len(mine)
    return summary


def markdown_table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| incidents | search | first result, median (max) | search bytes to first result, median (max) "
        "| search bytes settled | site MB | index MB | build s |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        for engine in ENGINES:
            m, b = result["medians"][engine], result["builds"][engine]
            index = f"{b['search_bytes'] / 1e6:.1f}"
            if "search_bytes_gzip" in b:
                index += f" ({b['search_bytes_gzip'] / 1e6:.1f} gzip)"
            lines.append(
                f"| {result['incidents']:,} | {engine} | {m['first_result_ms_median'] / 1000:.2f} s "
                f"({m['first_result_ms_max'] / 1000:.2f}) | {m['search_bytes_to_first_median'] / 1e6:.2f} MB "
                f"({m['search_bytes_to_first_max'] / 1e6:.2f}) | {m['search_bytes_settled_median'] / 1e6:.2f} MB "
                f"| {b['bytes'] / 1e6:.1f} | {index} | {b.get('wall_s', float('nan')):.0f} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000", help="incident counts (default: 10000)")
    parser.add_argument("--queries", type=int, default=20, help="words per size (default: 20)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2, help="CPUs for each build (default: 2)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds before a build is killed")
    parser.add_argument("--reuse-sites", action="store_true", help="measure the sites of an earlier run again")
    parser.add_argument("--build-site", nargs=3, metavar=("ENGINE", "ROOT", "SITE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.build_site:
        engine, root, site = args.build_site
        build_one(engine, Path(root), Path(site), args.jobs)
        return 0
    executable("incidentkb")  # the project is installed
    results = []
    for count in (int(s) for s in args.sizes.split(",")):
        root = corpus(count, args.seed)
        out = root.parent / f"search-{count}"
        out.mkdir(exist_ok=True)
        builds = build_sites(root, out, args.jobs, args.timeout, args.reuse_sites)
        words = sample_words(root, args.queries, args.seed)
        page_path = f"incidents/{first_incident_id(root)}/"  # the page each query starts on
        rows = run_queries(builds, words, page_path)
        results.append({"incidents": count, "builds": builds, "words": words, "rows": rows, "medians": medians(rows)})
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS_DIR.mkdir(exist_ok=True)
    target = RESULTS_DIR / f"search-{args.sizes.replace(',', '-')}-{stamp}.json"
    payload = {"machine": machine(), "seed": args.seed, "finished": time.time(), "results": results}
    target.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    print(markdown_table(results))
    print(f"results: {target.relative_to(REPO)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
