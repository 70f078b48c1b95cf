"""Benchmark site generation and the full `incidentkb build` against plain MkDocs Material, in one run.

    python benchmarks/bench_build.py [--sizes 100,1000,10000] [--repeat 3] [--large-repeat 1] [--peer-nav-max 1000]

For each size N, benchmarks/synthetic.py writes a knowledge base to benchmarks/.corpus/build-N/ (cached, keyed by
the generator's source and the seed) with copies of the repository's mkdocs.yml, incidentkb.yml and docs/*.md.
A nav entry of mkdocs.yml that neither docs/ nor the generator provides gets a one-line stub page (the JSON lists
them), since a strict build fails on a missing nav target. Measured, each as its own child process waited for
with os.wait4 (wall time, CPU time and peak RSS are that child's own):

  generate     `incidentkb --root KB generate --out TMP --as-of AS_OF`: the generator alone
  build        `incidentkb --root KB build --site-dir TMP --as-of AS_OF`: validate, generate, MkDocs (strict)
  peer-index   plain MkDocs Material (same theme, extensions and search plugin, no incidentkb plugin) on N plain
               Markdown pages of about 4 KB made from the same records, reached from index pages (not_in_nav)
  peer-nav     the same pages with every page in the sidebar nav (the default nav); run only up to
               --peer-nav-max pages, because every page then carries the whole nav and the build grows with N^2

For every built site: bytes on disk, files, SVG and HTML counts, search/search_index.json bytes and what the index
holds by top-level folder. The search check (a proxy for the browser's lunr search) loads search_index.json and,
for sampled incidents, looks up the most specific word of the title, the summary and the root cause and a tag:
the incident's page must be among the pages whose title, text or tags contain the word.

Sizes below --large-from run --repeat times (medians quoted), larger ones --large-repeat times; the order of the
builds rotates between repeats. The machine may be shared (2 cores, other engineers' tests): the load average and
each child's CPU time are recorded, and the ratios (per incident, 10k/1k, generator share, ours/peer) are the
figures to quote. Prints a Markdown table and the targets; writes JSON to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import itertools
import json
import os
import platform
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CORPUS_DIR = HERE / ".corpus"
RESULTS_DIR = HERE / "results"
SYNTHETIC = HERE / "synthetic.py"
AS_OF = "2026-11-23T12:00:00Z"  # synthetic.DEFAULT_TODAY at noon: no action item of the corpus is overdue
PACKAGES = ("incidentkb", "mkdocs", "mkdocs-material", "Markdown", "pymdown-extensions", "Jinja2", "PyYAML")
TASKS = ("generate", "build", "peer-index", "peer-nav")
PEER_PAGE_BYTES = 4096
PEER_GROUP = 100  # peer pages per folder (and per index page), about one month of a 10,000-incident corpus
SEARCH_SAMPLES = 5

# Targets of the brief: 10,000 incidents build in under 2 minutes into a site under 400 MB with a search index
# under 15 MB; the generator's own time is under 20% of the build; time and size grow linearly.
TARGET_BUILD_S = 120.0
TARGET_SITE_BYTES = 400e6
TARGET_INDEX_BYTES = 15e6
TARGET_GENERATOR_SHARE = 0.20
LINEAR_SLACK = 1.25  # marginal cost per incident from 1k to 10k at most this times that from 100 to 1k

# lunr's English stop words (Material's search pipeline removes them, so they never find anything)
_STOP_WORDS = (
    "a able about across after all almost also am among an and any are as at be because been but by can cannot "
    "could dear did do does either else ever every for from get got had has have he her hers him his how however "
    "i if in into is it its just least let like likely may me might most must my neither no nor not of off often "
    "on only or other our own rather said say says she should since so some than that the their them then there "
    "these they this tis to too twas us wants was we were what when where which while who whom why will with "
    "would yet you your"
)
STOP_WORDS = frozenset(_STOP_WORDS.split())


# --- corpus -------------------------------------------------------------------------------------------------


def _source_key(seed: int) -> str:
    return f"{hashlib.sha256(SYNTHETIC.read_bytes()).hexdigest()[:12]}-s{seed}"


def corpus(count: int, seed: int) -> Path:
    """benchmarks/.corpus/build-N/: the synthetic records (regenerated when synthetic.py or the seed changed),
    the repository's mkdocs.yml, incidentkb.yml and docs/*.md copied afresh, and the peer's Markdown pages."""
    root = CORPUS_DIR / f"build-{count}"
    stamp = root / ".stamp"
    key = _source_key(seed)
    if not (stamp.is_file() and stamp.read_text(encoding="utf-8") == key):
        print(f"generating {root.relative_to(REPO)} ...", file=sys.stderr)
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        command = [sys.executable, str(SYNTHETIC), "--count", str(count), "--out", str(root), "--seed", str(seed)]
        subprocess.run(command, check=True)
        write_peer_docs(root, count)
        stamp.write_text(key, encoding="utf-8")
    for name in ("mkdocs.yml", "incidentkb.yml"):
        shutil.copy2(REPO / name, root / name)
    shutil.rmtree(root / "docs", ignore_errors=True)
    (root / "docs").mkdir()
    for page in sorted((REPO / "docs").glob("*.md")):
        shutil.copy2(page, root / "docs" / page.name)
    return root


def incident_files(root: Path) -> list[Path]:
    return sorted((root / "incidents").glob("*/*.yaml"))


class _AnyTagLoader(yaml.SafeLoader):
    """mkdocs.yml may hold !!python/name or !ENV tags; their values do not matter here."""


_AnyTagLoader.add_multi_constructor("", lambda loader, suffix, node: None)


def nav_targets(config_file: Path) -> list[tuple[str, str]]:
    """(title, page) of every Markdown page the nav of mkdocs.yml names."""
    config = yaml.load(config_file.read_text(encoding="utf-8"), Loader=_AnyTagLoader) or {}
    found: list[tuple[str, str]] = []

    def walk(item: Any, title: str) -> None:
        if isinstance(item, str) and item.endswith(".md") and "://" not in item:
            found.append((title, item))
        elif isinstance(item, list):
            for entry in item:
                walk(entry, title)
        elif isinstance(item, dict):
            for key, value in item.items():
                walk(value, str(key))

    walk(config.get("nav") or [], "Page")
    return found


def stub_missing_nav_pages(root: Path, generated: set[str]) -> list[str]:
    """Write a stub for every nav page that neither docs/ nor the generator provides; return their paths."""
    stubs = []
    for title, page in nav_targets(root / "mkdocs.yml"):
        target = root / "docs" / page
        if page in generated or target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(
            f"# {title}\n\nStub written by benchmarks/bench_build.py: the repository has no docs/{page}.\n",
            encoding="utf-8",
        )
        stubs.append(page)
    return stubs


# --- the peer: plain Markdown pages of the same records -----------------------------------------------------


def _flatten(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in _flatten(item) if key != "id"]
    if isinstance(value, list):
        return [text for item in value for text in _flatten(item)]
    return [] if value is None or isinstance(value, bool) else [str(value)]


def peer_page(record: dict[str, Any]) -> str:
    """About 4 KB of plain Markdown from one record: a title, then a section per top-level key."""
    parts = [f"# {record['id']}: {record['title']}\n"]
    size = len(parts[0])
    for key, value in record.items():
        if key in ("id", "title") or size >= PEER_PAGE_BYTES:
            continue
        text = " ".join(" ".join(_flatten(value)).split())
        if not text:
            continue
        section = f"\n## {key.replace('_', ' ').capitalize()}\n\n{text}\n"
        if size + len(section) > PEER_PAGE_BYTES:
            section = section[: max(0, PEER_PAGE_BYTES - size)].rsplit(" ", 1)[0] + "\n"
        parts.append(section)
        size += len(section)
    return "".join(parts)


PEER_CONFIG = """site_name: Plain MkDocs Material peer ({count} pages)
docs_dir: docs
use_directory_urls: true
theme:
  name: material
  font: false
  language: en
  features: [navigation.tabs, navigation.top, search.highlight]
plugins:
  - search
markdown_extensions:
  - admonition
  - attr_list
  - tables
  - toc:
      permalink: true
  - pymdownx.escapeall:
      hardbreak: false
      nbsp: false
  - pymdownx.superfences
  - pymdownx.tabbed:
      alternate_style: true
  - pymdownx.details
"""


def write_peer_docs(root: Path, count: int) -> None:
    """root/peer/: docs/ with N pages in folders of PEER_GROUP and an index page per folder; two configurations."""
    peer = root / "peer"
    docs = peer / "docs"
    shutil.rmtree(peer, ignore_errors=True)
    (docs / "pages").mkdir(parents=True)
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for index, path in enumerate(incident_files(root)):
        record = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        group = f"g{index // PEER_GROUP:03d}"
        (docs / "pages" / group).mkdir(exist_ok=True)
        (docs / "pages" / group / f"{record['id']}.md").write_text(peer_page(record), encoding="utf-8")
        groups[group].append((record["id"], record["title"]))
    for group, pages in groups.items():
        lines = [f"# Pages {group}\n", *(f"- [{pid}: {title}]({pid}.md)" for pid, title in pages)]
        (docs / "pages" / group / "index.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    lines = ["# All pages\n", *(f"- [{group}]({group}/index.md)" for group in groups)]
    (docs / "pages" / "index.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (docs / "index.md").write_text(f"# Peer\n\n{count} pages: [all pages](pages/index.md).\n", encoding="utf-8")
    base = PEER_CONFIG.format(count=count)
    (peer / "mkdocs-nav.yml").write_text(base, encoding="utf-8")  # no nav: every page is in the sidebar
    (peer / "mkdocs-index.yml").write_text(
        base + "nav:\n  - Home: index.md\n  - Pages: pages/index.md\nnot_in_nav: |\n  /pages/g*/\n",
        encoding="utf-8",
    )


# --- running and measuring ----------------------------------------------------------------------------------


def executable(name: str) -> str:
    """The tool's own entry script next to this interpreter (a pyenv shim would add its start-up to the figure)."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.is_file() else shutil.which(name)
    if not found:
        raise SystemExit(f"{name} is not installed (pip install -e '.[test]')")
    return found


def run_child(argv: list[str], cwd: Path, log: Path, timeout: float) -> dict[str, Any]:
    """Run one child in its own process group; its wall time, CPU time and peak RSS (wait4's ru_maxrss, KiB)."""
    load = os.getloadavg()[0]
    with log.open("wb") as sink:
        start = time.perf_counter()
        process = subprocess.Popen(argv, cwd=cwd, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
        timer = threading.Timer(timeout, lambda: os.killpg(process.pid, signal.SIGKILL))
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "max_rss_mib": usage.ru_maxrss / 1024,
        "exit": process.returncode,
        "timed_out": wall >= timeout and process.returncode < 0,
        "load_1min_before": load,
    }


GENERATED_LINE = re.compile(r"^generated [\d,]+ pages and charts in ([\d.]+) s; MkDocs built them in", re.M)


def generator_seconds(log: Path) -> float:
    """The generator's own time inside one `incidentkb build`, as the build reports it."""
    found = GENERATED_LINE.search(log.read_text(encoding="utf-8", errors="replace"))
    if found is None:
        raise SystemExit(f"{log}: the build did not report its generator time")
    return float(found.group(1))


def site_figures(site: Path) -> dict[str, Any]:
    """Bytes (apparent and allocated), files, SVG and HTML counts, by top-level folder; search index size."""
    files = 0
    size = 0
    disk = 0
    by_top: Counter[str] = Counter()
    by_ext: Counter[str] = Counter()
    count_ext: Counter[str] = Counter()
    for folder, _, names in os.walk(site):
        for name in names:
            stat = os.stat(os.path.join(folder, name))
            rel = os.path.relpath(os.path.join(folder, name), site)
            top = rel.split(os.sep)[0] if os.sep in rel else "(top)"
            if rel.startswith(os.path.join("assets", "charts")):
                top = "assets/charts"
            ext = os.path.splitext(name)[1].lstrip(".") or "(none)"
            files += 1
            size += stat.st_size
            disk += stat.st_blocks * 512
            by_top[top] += stat.st_size
            by_ext[ext] += stat.st_size
            count_ext[ext] += 1
    index = site / "search" / "search_index.json"
    return {
        "bytes": size,
        "disk_bytes": disk,
        "files": files,
        "svg_files": count_ext["svg"],
        "svg_bytes": by_ext["svg"],
        "html_files": count_ext["html"],
        "html_bytes": by_ext["html"],
        "search_index_bytes": index.stat().st_size if index.is_file() else None,
        "bytes_by_folder": dict(by_top.most_common()),
    }


def load_index(site: Path) -> list[dict[str, Any]]:
    return json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]


def index_breakdown(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """What the search index holds: entries and bytes by top-level folder, and the share of repeated fields."""
    entries: Counter[str] = Counter()
    size: Counter[str] = Counter()
    repeated = 0
    for doc in docs:
        top = doc["location"].split("/")[0].split("#")[0] or "(home)"
        entries[top] += 1
        size[top] += len(json.dumps(doc, ensure_ascii=False).encode())
        if "#" in doc["location"]:
            repeated += len(json.dumps({k: doc[k] for k in ("tags", "boost") if k in doc}).encode())
    return {
        "entries": len(docs),
        "entries_by_folder": dict(entries.most_common()),
        "bytes_by_folder": dict(size.most_common()),
        "section_entries": sum("#" in d["location"] for d in docs),
        "bytes_of_tags_and_boost_repeated_on_sections": repeated,
    }


# --- the search check ---------------------------------------------------------------------------------------

_TAG = re.compile(r"<[^>]+>")
_SEPARATOR = re.compile(r"[\s\-]+")  # Material's default search separator
_TRIM = re.compile(r"^\W+|\W+$")  # lunr's trimmer


def tokens(text: str) -> set[str]:
    words = (_TRIM.sub("", w).lower() for w in _SEPARATOR.split(html.unescape(_TAG.sub(" ", text))))
    return {w for w in words if w}


def inverted_index(docs: list[dict[str, Any]]) -> dict[str, set[str]]:
    """word -> pages (locations without the #section) whose title, text or tags contain it."""
    pages: dict[str, set[str]] = defaultdict(set)
    for doc in docs:
        page = doc["location"].split("#")[0]
        for word in tokens(doc.get("title", "")) | tokens(doc.get("text", "")) | tokens(" ".join(doc.get("tags", []))):
            pages[word].add(page)
    return pages


def search_check(root: Path, docs: list[dict[str, Any]], seed: int) -> dict[str, Any]:
    """For sampled incidents, the most specific word of each field must find the incident's page."""
    index = inverted_index(docs)
    sample = random.Random(seed).sample(incident_files(root), min(SEARCH_SAMPLES, len(incident_files(root))))
    checks = []
    for path in sample:
        record = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        page = f"incidents/{record['id']}/"
        summary = record.get("summary") or {}
        fields = {
            "title": record["title"],
            "summary": " ".join(filter(None, (summary.get("public"), summary.get("internal")))),
            "root cause": (record.get("root_cause") or {}).get("description") or "",
            "tag": " ".join(record.get("tags") or []),
        }
        for field, text in fields.items():
            candidates = sorted(w for w in tokens(text) if len(w) >= 4 and w.isalpha() and w not in STOP_WORDS)
            if field == "tag":  # a tag is searched whole
                candidates = sorted(t.lower() for t in record.get("tags") or [] if t.lower() in index) or candidates
            if not candidates:
                continue
            word = min(candidates, key=lambda w: (len(index.get(w, ())), w))
            pages = index.get(word, set())
            checks.append(
                {"incident": record["id"], "field": field, "word": word, "found": page in pages, "pages": len(pages)}
            )
    return {"checks": checks, "all_found": bool(checks) and all(c["found"] for c in checks)}


# --- one size -----------------------------------------------------------------------------------------------


def commands(task: str, root: Path, out: Path) -> list[str]:
    if task == "generate":
        return [executable("incidentkb"), "--root", str(root), "generate", "--out", str(out), "--as-of", AS_OF]
    if task == "build":
        return [executable("incidentkb"), "--root", str(root), "build", "--site-dir", str(out), "--as-of", AS_OF]
    config = root / "peer" / ("mkdocs-nav.yml" if task == "peer-nav" else "mkdocs-index.yml")
    return [executable("mkdocs"), "build", "--strict", "--quiet", "--config-file", str(config), "--site-dir", str(out)]


def bench_size(count: int, args: argparse.Namespace, scratch: Path, largest: bool) -> dict[str, Any]:
    root = corpus(count, args.seed)
    repeat = args.repeat if count < args.large_from else args.large_repeat
    tasks = [t for t in TASKS if t != "peer-nav" or count <= args.peer_nav_max]
    runs: dict[str, list[dict[str, Any]]] = {task: [] for task in tasks}
    sites: dict[str, dict[str, Any]] = {}
    extra: dict[str, Any] = {"stubbed_nav_pages": None}
    for index in range(repeat):
        shift = index % (len(tasks) - 1)
        later = tasks[1:][shift:] + tasks[1:][:shift]  # the generator first (it tells which nav pages exist)
        for task in [tasks[0], *later]:
            out = scratch / f"{task}-{count}-{index}"
            log = scratch / f"{task}-{count}-{index}.log"
            result = run_child(commands(task, root, out), root, log, args.timeout)
            runs[task].append(result)
            print(
                f"  {count:>6,} {task:<10} run {index + 1}/{repeat}: {result['wall_s']:7.1f} s, "
                f"CPU {result['cpu_s']:7.1f} s, {result['max_rss_mib']:6.0f} MiB, exit {result['exit']}, "
                f"load {result['load_1min_before']:.1f}",
                file=sys.stderr,
            )
            if result["exit"] != 0:
                tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
                raise SystemExit(f"{task} of {count} failed (exit {result['exit']}):\n{tail}")
            if task == "build":
                result["generator_in_build_s"] = generator_seconds(log)
            if task == "generate" and extra["stubbed_nav_pages"] is None:
                generated = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
                extra["generated_files"] = len(generated)
                extra["stubbed_nav_pages"] = stub_missing_nav_pages(root, generated)
            if task != "generate" and task not in sites:
                sites[task] = site_figures(out)
                if args.keep_sites:
                    kept = root / "sites" / task
                    shutil.rmtree(kept, ignore_errors=True)
                    kept.parent.mkdir(exist_ok=True)
                    shutil.copytree(out, kept)
                if task == "build" or (task == "peer-index" and largest):
                    docs = load_index(out)
                    sites[task]["search_index"] = index_breakdown(docs)
                    # The internal site's incidents are searched with Pagefind now (benchmarks/bench_search.py
                    # drives it in Chromium); Material's index holds only the guide pages, so the check of
                    # incident words applies to the peer's index alone.
                    if task == "build" and any(d["location"].startswith("incidents/") for d in docs):
                        extra["search"] = search_check(root, docs, args.seed)
                    del docs
            shutil.rmtree(out, ignore_errors=True)
    summary = {}
    for task, measured in runs.items():
        summary[task] = {
            "wall_s_median": statistics.median(r["wall_s"] for r in measured),
            "wall_s_min": min(r["wall_s"] for r in measured),
            "wall_s_max": max(r["wall_s"] for r in measured),
            "cpu_s_median": statistics.median(r["cpu_s"] for r in measured),
            "max_rss_mib_median": statistics.median(r["max_rss_mib"] for r in measured),
            "repeats": len(measured),
            "runs": measured,
            "site": sites.get(task),
        }
    build, generate = summary["build"], summary["generate"]
    # The generator's part of each build, timed by the build itself: the same run, so the machine's drift between
    # runs does not enter the ratio, and without the file writing that only `generate --out` does.
    in_build = [r["generator_in_build_s"] / r["wall_s"] for r in runs["build"]]
    return {
        "incidents": count,
        "generator_source": generator_source(),  # the code may change under a long run (an editable install)
        "corpus": str(root.relative_to(REPO)),
        "repeats": repeat,
        "peer_nav_skipped": "peer-nav" not in tasks,
        "tasks": summary,
        "generator_share": generate["wall_s_median"] / build["wall_s_median"],
        "generator_share_cpu": generate["cpu_s_median"] / build["cpu_s_median"],  # steadier on a busy machine
        "generator_share_in_build": statistics.median(in_build),
        "generator_in_build_s_median": statistics.median(r["generator_in_build_s"] for r in runs["build"]),
        **extra,
    }


# --- report -------------------------------------------------------------------------------------------------


def _mb(value: float | None) -> str:
    return "" if value is None else f"{value / 1e6:,.1f}"


def markdown_table(results: list[dict[str, Any]]) -> str:
    rows = [
        "| incidents | what | runs | wall s (median) | ms per incident | CPU s | peak RSS MiB | site MB | files | "
        "SVG files | search index MB | generator share |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        n = result["incidents"]
        for task in TASKS:
            figures = result["tasks"].get(task)
            if figures is None:
                rows.append(f"| {n:,} | {task} | 0 | not run (capped: grows with N²) | | | | | | | | |")
                continue
            site = figures["site"] or {}
            share = (
                f"{result['generator_share_in_build']:.0%} in the build ({result['generator_share']:.0%} as `generate`)"
                if task == "build"
                else ""
            )
            site_cells = (
                f"{_mb(site['bytes'])} | {site['files']:,} | {site['svg_files']:,} | {_mb(site['search_index_bytes'])}"
                if site
                else "| | |"
            )
            rows.append(
                f"| {n:,} | {task} | {figures['repeats']} | {figures['wall_s_median']:.1f} | "
                f"{figures['wall_s_median'] / n * 1000:.1f} | {figures['cpu_s_median']:.1f} | "
                f"{figures['max_rss_mib_median']:.0f} | {site_cells} | {share} |"
            )
    return "\n".join(rows)


def growth(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-incident figures, the ratio between sizes and the marginal cost per incident between them."""
    by_n = {r["incidents"]: r for r in results}
    sizes = sorted(by_n)
    figures: dict[str, Any] = {}

    def value(n: int, what: str) -> float | None:
        build = by_n[n]["tasks"]["build"]
        if what == "build_s":
            return build["wall_s_median"]
        if what == "build_cpu_s":
            return build["cpu_s_median"]
        if what == "generate_s":
            return by_n[n]["tasks"]["generate"]["wall_s_median"]
        return build["site"][what]

    for what in ("build_s", "build_cpu_s", "generate_s", "bytes", "files", "search_index_bytes"):
        entry: dict[str, Any] = {"per_incident": {n: value(n, what) / n for n in sizes}}
        for low, high in itertools.pairwise(sizes):
            entry[f"ratio_{high}/{low}"] = value(high, what) / value(low, what)
            entry[f"marginal_{low}-{high}"] = (value(high, what) - value(low, what)) / (high - low)
        if len(sizes) >= 3:
            a, b, c = sizes[-3:]
            entry["marginal_ratio"] = entry[f"marginal_{b}-{c}"] / entry[f"marginal_{a}-{b}"]
        figures[what] = entry
    return figures


def targets(results: list[dict[str, Any]], grow: dict[str, Any]) -> list[tuple[str, bool | None, str]]:
    largest = max(results, key=lambda r: r["incidents"])
    n = largest["incidents"]
    build = largest["tasks"]["build"]
    site = build["site"]
    checks: list[tuple[str, bool | None, str]] = []
    for what, label in (("build_s", "build time"), ("build_cpu_s", "build CPU time"), ("bytes", "site size")):
        ratio = grow[what].get("marginal_ratio")
        if ratio is None:
            checks.append((f"{label} grows linearly", None, "needs three sizes"))
            continue
        sizes = sorted(r["incidents"] for r in results)
        checks.append(
            (
                f"{label} grows linearly",
                ratio <= LINEAR_SLACK,
                f"per incident from {sizes[-2]:,} to {sizes[-1]:,}: {ratio:.2f}x that from {sizes[-3]:,} to "
                f"{sizes[-2]:,} (linear: about 1, allowed {LINEAR_SLACK}); {sizes[-1]:,}/{sizes[-2]:,} ratio "
                f"{grow[what][f'ratio_{sizes[-1]}/{sizes[-2]}']:.1f}",
            )
        )
    shares = ", ".join(
        f"{r['incidents']:,}: {r['generator_share_in_build']:.0%} in the build (run apart as `generate`: "
        f"{r['generator_share']:.0%}, CPU time {r['generator_share_cpu']:.0%})"
        for r in results
    )
    checks.append(
        (
            "generator's own time < 20% of the build",
            all(r["generator_share_in_build"] < TARGET_GENERATOR_SHARE for r in results),
            shares,
        )
    )
    full = n >= 10_000
    checks.append(
        (
            f"{n:,} incidents build in under 2 minutes",
            build["wall_s_median"] < TARGET_BUILD_S if full else None,
            f"{build['wall_s_median']:.1f} s",
        )
    )
    checks.append(
        (f"{n:,}: site under 400 MB", site["bytes"] < TARGET_SITE_BYTES if full else None, f"{_mb(site['bytes'])} MB")
    )
    checks.append(
        (
            f"{n:,}: search index under 15 MB",
            site["search_index_bytes"] < TARGET_INDEX_BYTES if full else None,
            f"{_mb(site['search_index_bytes'])} MB",
        )
    )
    search = largest.get("search")
    if search is None:  # Material's index holds the guide pages only: incident search is Pagefind's (bench_search.py)
        checks.append((f"{n:,}: incident search", None, "Pagefind: see benchmarks/bench_search.py"))
        return checks
    missed = [f"{c['incident']} {c['field']} '{c['word']}'" for c in search["checks"] if not c["found"]]
    checks.append(
        (
            f"{n:,}: search finds incidents by title, summary, root-cause word and tag",
            search["all_found"],
            f"{sum(c['found'] for c in search['checks'])}/{len(search['checks'])} found"
            + (f"; missed: {', '.join(missed)}" if missed else ""),
        )
    )
    return checks


def peer_lines(results: list[dict[str, Any]]) -> list[str]:
    lines = []
    for result in results:
        tasks = result["tasks"]
        ours = tasks["build"]
        parts = [
            f"{result['incidents']:,}: ours/peer-index time {ours['wall_s_median'] / tasks['peer-index']['wall_s_median']:.1f}x"
        ]
        parts.append(f"site {ours['site']['bytes'] / tasks['peer-index']['site']['bytes']:.1f}x")
        parts.append(
            f"search index {ours['site']['search_index_bytes'] / tasks['peer-index']['site']['search_index_bytes']:.1f}x"
        )
        if "peer-nav" in tasks:
            parts.append(
                f"peer-nav/peer-index time {tasks['peer-nav']['wall_s_median'] / tasks['peer-index']['wall_s_median']:.1f}x, "
                f"peak RSS {tasks['peer-nav']['max_rss_mib_median'] / tasks['peer-index']['max_rss_mib_median']:.1f}x"
            )
        lines.append(", ".join(parts))
    return lines


def generator_source() -> str:
    """A hash of generator/ (code and templates) and mkdocs.yml as they are now."""
    digest = hashlib.sha256()
    for path in sorted([*(REPO / "generator").rglob("*"), REPO / "mkdocs.yml"]):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(REPO).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def machine() -> dict[str, Any]:
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    git = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--", "generator", "schemas", "mkdocs.yml", "docs"],
        capture_output=True,
        text=True,
    )
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "packages": versions,
        "git_head": git.stdout.strip(),
        "changes_not_committed": [line[3:] for line in dirty.stdout.splitlines()],
        "repo_has_docs": (REPO / "docs").is_dir(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000,10000", help="incident counts (default: 100,1000,10000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each build below --large-from (default: 3)")
    parser.add_argument("--large-from", type=int, default=10_000, help="sizes from here run --large-repeat times")
    parser.add_argument("--large-repeat", type=int, default=1, help="runs of each build at large sizes (default: 1)")
    parser.add_argument(
        "--peer-nav-max", type=int, default=1000, help="largest size for the all-in-nav peer (default: 1000)"
    )
    parser.add_argument("--timeout", type=float, default=3600, help="seconds before a child is killed")
    parser.add_argument("--keep-sites", action="store_true", help="keep each first site under the corpus folder")
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))

    started = datetime.now(UTC)
    info = machine()
    info["load_average_before"] = os.getloadavg()
    results = []
    CORPUS_DIR.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="runs-", dir=CORPUS_DIR) as scratch:  # git-ignored, beside the corpus
        for count in sizes:
            results.append(bench_size(count, args, Path(scratch), largest=count == sizes[-1]))
    info["load_average_after"] = os.getloadavg()
    info["wall_s_total"] = (datetime.now(UTC) - started).total_seconds()

    print(markdown_table(results))
    print()
    for line in peer_lines(results):
        print(line)
    grow = growth(results)
    print()
    for what in ("build_s", "build_cpu_s", "bytes", "search_index_bytes"):
        seconds = what.endswith("_s")
        per = ", ".join(f"{n:,}: {v * (1000 if seconds else 1):,.0f}" for n, v in grow[what]["per_incident"].items())
        unit = "ms" if seconds else "bytes"
        print(f"{what} per incident ({unit}): {per}")
    print()
    checks = targets(results, grow)
    for label, met, detail in checks:
        verdict = "n/a" if met is None else ("met" if met else "MISSED")
        print(f"- {label}: {verdict} ({detail})")
    search = max(results, key=lambda r: r["incidents"]).get("search") or {}
    for check in search.get("checks", []):
        print(
            f"  search {check['incident']} {check['field']:<10} '{check['word']}': "
            f"{'found' if check['found'] else 'NOT FOUND'} among {check['pages']:,} pages"
        )
    stubs = results[0].get("stubbed_nav_pages")
    if stubs:
        print(f"\nnote: stub pages written for nav entries the repository does not provide: {', '.join(stubs)}")
    if len({r["generator_source"] for r in results}) > 1:
        print("\nnote: generator/ or mkdocs.yml changed during the run (see generator_source in the JSON)")
    print(
        f"\nload average (1, 5, 15 min) before {info['load_average_before']}, after {info['load_average_after']}; "
        f"{info['cpus']} CPUs"
    )
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / f"build-{'-'.join(map(str, sizes))}-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    payload = {
        "started": started.isoformat(),
        "settings": vars(args),
        "machine": info,
        "results": results,
        "growth": grow,
        "targets": [{"target": label, "met": met, "detail": detail} for label, met, detail in checks],
    }
    out.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    print(f"\nresults: {out.relative_to(REPO)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
