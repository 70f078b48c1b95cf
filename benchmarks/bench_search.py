"""Search benchmark: Pagefind against Material's search on the same synthetic site, in headless Chromium.

    python benchmarks/bench_search.py [--sizes 10000] [--queries 20] [--seed 1] [--jobs 2] [--reuse-sites]
                                      [--engines pagefind,material] [--sites-dir DIR] [--type-delay MS]

For each size, the corpus of bench_build.py (benchmarks/.corpus/build-N/) is built twice in the same run:
- `pagefind`: `incidentkb build`, as shipped: Pagefind indexes every word of the post-mortems, runbooks, lessons
  and guide pages, and the header's search box uses it;
- `material`: the same pages with the plugin's `search: material` and every `data-search-exclude` mark taken
  out, so Material's search indexes the full text of every page it indexes (the peer of the issue).
Words are sampled (seeded) from every section of the post-mortems' records, round robin over the sections. For
each engine and word, a new browser context (an empty cache) opens a post-mortem, waits for its load event, clicks
into the search box and at once puts the word into it (as pasted); the page records when the first result is in
the result list. With --type-delay MS (Pagefind only) the word is typed key by key instead, MS apart, a search
per keystroke, and the time runs from the last key to the first result of the whole word. The
bytes are every response's body and headers (Playwright's request sizes, the page's workers included), counted
up to the first result and again once the network is quiet, the search's own files (index, fragments, filters,
scripts) apart from the page's; the search's bytes in before the first key tell whether the engine was loaded
by then. The
server sends files as they are, without compression (Pagefind's files are compressed already; the size of
Material's index compressed with gzip is recorded beside it).

Results go to benchmarks/results/search-*.json (git-ignored); the table is printed as Markdown.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
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
from support import chromium_browser, field_texts, serve  # tests/support.py: the tests' browser, records' text, server

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


def build_sites(
    root: Path, out: Path, engines: tuple[str, ...], jobs: int, timeout: float, reuse: bool
) -> dict[str, Any]:
    """The sites of `engines` for the corpus at `root` under `out`, each built in its own timed child process."""
    builds: dict[str, Any] = {}
    for engine in engines:
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


# With --type-delay: the word typed key by key. Records each key's time and each time the result list goes from
# empty to filled; the status names the word whose results are all shown (search.js), so the last filling before
# then is the first result of the whole word.
WATCH_KEYS = """() => {
  window.__keys = [];
  window.__fills = [];
  document.addEventListener("keydown", () => window.__keys.push(performance.now()), true);
  let filled = false;
  new MutationObserver(() => {
    const now = !!document.querySelector("[data-ikb-search-list] > li");
    if (now && !filled) window.__fills.push({at: performance.now(), epoch: performance.timeOrigin + performance.now()});
    filled = now;
  }).observe(document.body, {childList: true, subtree: true});
}"""
SHOWS = "word => document.querySelector('[data-ikb-search-status]')?.dataset.ikbSearchTerm === word"


def measure(
    browser: Any, base: str, page_path: str, engine: str, word: str, type_delay: int | None = None
) -> dict[str, Any]:
    """One query on a fresh page: time from typing (the last key, with `type_delay`) to the first result, and
    bytes (to then, and settled)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    finished: list[tuple[str, float, int]] = []  # url, when it finished (epoch ms), bytes transferred

    def done(request: Any) -> None:
        sizes, timing = request.sizes(), request.timing
        end = timing["startTime"] + max(timing["responseEnd"], 0)
        finished.append((request.url, end, sizes["responseBodySize"] + sizes["responseHeadersSize"]))

    context.on("requestfinished", done)  # the context sees the requests of the page's workers too
    page.goto(base + page_path, wait_until="load")
    if type_delay is None:
        page.evaluate(WATCH, RESULT[engine])
        page.click(INPUT[engine])  # the reader clicks into the box, and types at once
        typed = page.evaluate(TYPE, [INPUT[engine], word])
        page.wait_for_function("() => window.__first", timeout=TIMEOUT_MS, polling=50)
        first = page.evaluate("() => window.__first")
    else:
        page.evaluate(WATCH_KEYS)
        page.click(INPUT[engine])
        page.keyboard.type(word, delay=type_delay)
        page.wait_for_function(SHOWS, arg=word, timeout=TIMEOUT_MS, polling=50)
        typed = page.evaluate("() => window.__keys.at(-1)")
        first = page.evaluate("() => window.__fills.at(-1)")
    typed_epoch = page.evaluate("at => performance.timeOrigin + at", typed)
    count = page.eval_on_selector_all(RESULT[engine], "items => items.length")
    with contextlib.suppress(Exception):
        page.wait_for_load_state("networkidle", timeout=30_000)
    page.wait_for_timeout(1000)
    context.close()
    by_first = {"search": 0, "page": 0}
    settled = {"search": 0, "page": 0}
    before_typing = 0  # the search's files in before the first key: the engine loaded while the page did
    search_requests = 0
    for url, end, size in finished:
        kind = "search" if SEARCH_FILE.search(url) else "page"
        search_requests += kind == "search"
        settled[kind] += size
        if end <= first["epoch"]:
            by_first[kind] += size
        if kind == "search" and end <= typed_epoch:
            before_typing += size
    return {
        "engine": engine,
        "word": word,
        "type_delay_ms": type_delay,
        "first_result_ms": first["at"] - typed,
        "search_bytes_before_typing": before_typing,
        "results_shown": count,
        "search_bytes_to_first": by_first["search"],
        "page_bytes_to_first": by_first["page"],
        "search_bytes_settled": settled["search"],
        "page_bytes_settled": settled["page"],
        "requests": len(finished),
        "search_requests": search_requests,
    }


def run_queries(
    sites: dict[str, Any], words: list[dict[str, str]], page_path: str, type_delay: int | None = None
) -> list[dict[str, Any]]:
    """Every word on every site of `sites` (engine -> build), each on a fresh page."""
    rows = []
    with chromium_browser() as browser:
        for engine in sites:
            with serve(Path(sites[engine]["site"])) as base:
                for sample in words:
                    row = {**measure(browser, base, page_path, engine, sample["word"], type_delay), **sample}
                    rows.append(row)
                    print(
                        f"  {engine:<8} {sample['section']:<20} {sample['word']:<22} "
                        f"{row['first_result_ms']:8.0f} ms  {row['search_bytes_to_first'] / 1e6:7.2f} MB "
                        f"({row['search_bytes_settled'] / 1e6:.2f} settled, "
                        f"{row['search_bytes_before_typing'] / 1e6:.2f} before typing)  {row['results_shown']} shown",
                        file=sys.stderr,
                    )
    return rows


def first_incident_id(root: Path) -> str:
    match = re.search(r"^id: (\S+)", incident_files(root)[0].read_text(encoding="utf-8"), re.M)
    assert match, "the corpus's first record has no id line"
    return match.group(1)


def medians(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    keys = (
        "first_result_ms",
        "search_bytes_to_first",
        "search_bytes_settled",
        "page_bytes_to_first",
        "search_bytes_before_typing",
    )
    summary = {}
    for engine in dict.fromkeys(r["engine"] for r in rows):
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
        for engine in result["medians"]:
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
    parser.add_argument(
        "--engines",
        default=",".join(ENGINES),
        help="the searches to build and measure, comma-separated (default: pagefind,material; Material's takes "
        "minutes per query at 10,000 incidents)",
    )
    parser.add_argument(
        "--type-delay",
        type=int,
        metavar="MS",
        help="type each word key by key, MS apart, and time from the last key (pagefind only: its status names "
        "the word whose results it shows)",
    )
    parser.add_argument(
        "--sites-dir", help="where the sites are built or reused, with one size (default: .corpus/search-N)"
    )
    parser.add_argument("--build-site", nargs=3, metavar=("ENGINE", "ROOT", "SITE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.build_site:
        engine, root, site = args.build_site
        build_one(engine, Path(root), Path(site), args.jobs)
        return 0
    executable("incidentkb")  # the project is installed
    load_at_start = os.getloadavg()  # the machine may be shared: the figures are worth what the load lets them be
    if args.sites_dir and "," in args.sizes:
        parser.error("--sites-dir takes one size")
    engines = tuple(dict.fromkeys(e.strip() for e in args.engines.split(",") if e.strip()))
    if not engines or set(engines) - set(ENGINES):
        parser.error(f"--engines: choose from {', '.join(ENGINES)}")
    if args.type_delay is not None and engines != ("pagefind",):
        parser.error("--type-delay needs --engines pagefind")
    results = []
    for count in (int(s) for s in args.sizes.split(",")):
        root = corpus(count, args.seed)
        out = Path(args.sites_dir).resolve() if args.sites_dir else root.parent / f"search-{count}"
        out.mkdir(parents=True, exist_ok=True)
        builds = build_sites(root, out, engines, args.jobs, args.timeout, args.reuse_sites)
        words = sample_words(root, args.queries, args.seed)
        page_path = f"incidents/{first_incident_id(root)}/"  # the page each query starts on
        rows = run_queries(builds, words, page_path, args.type_delay)
        results.append({"incidents": count, "builds": builds, "words": words, "rows": rows, "medians": medians(rows)})
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS_DIR.mkdir(exist_ok=True)
    target = RESULTS_DIR / f"search-{args.sizes.replace(',', '-')}-{stamp}.json"
    payload = {
        "machine": machine(),
        "seed": args.seed,
        "type_delay_ms": args.type_delay,
        "load_average": {"start": load_at_start, "end": os.getloadavg()},
        "finished": time.time(),
        "results": results,
    }
    target.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    print(markdown_table(results))
    start, end = payload["load_average"]["start"], payload["load_average"]["end"]
    print(
        f"load average (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in start)} at the start, "
        f"{' '.join(f'{x:.2f}' for x in end)} at the end ({os.cpu_count()} CPUs)"
    )
    if args.type_delay is not None:
        print(f"(each word typed key by key, {args.type_delay} ms apart: the first result is timed from the last key)")
    print(f"results: {target.relative_to(REPO)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
