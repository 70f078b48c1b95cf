"""Preview benchmark: how long `incidentkb serve` takes to show an edit to one record, beside a full build.

    python benchmarks/bench_preview.py [--count 10000] [--edits 3] [--old /tmp/old-incidentkb]

On a copy of the synthetic corpus (benchmarks/.corpus/build-N/, made by bench_build.py's corpus()), with the
cut-off of bench_build (as_of in the copy's mkdocs.yml, so serve and build make the same pages):
1. `incidentkb build` of the copy, timed as a child process (wall and CPU time);
2. `incidentkb serve` on a free port: the time until it serves its first page; then `--edits` times, the title
   of one record the home page lists changed (a different record each time, saved by rename as an editor does),
   and five pages polled over HTTP until each shows the new title: the post-mortem, its month's incident list,
   the home page, the runbook of the record's first service and the lessons page of its root-cause category;
   the times serve prints its `previewed summaries` line (the pages that summarise the edit are built) and the
   `rebuilt` line that ends the regeneration (the site is then what a full build makes);
3. with `--old`, the same with the serve of an older checkout (e.g. `git -C /work/main archive d20d6f0 | tar -x
   -C /tmp/old-incidentkb`), run with PYTHONPATH pointing at it: its first page and one edit.
The results go to benchmarks/results/preview-*.json (git-ignored) and a summary to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bench_build

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS_DIR = HERE / "results"
POLL_SECONDS = 0.05
TITLE = re.compile(r"^title: .*$", re.M)
ID = re.compile(r"^id: (\S+)$", re.M)


def knowledge_base(count: int, seed: int, scratch: Path) -> Path:
    """A copy of the corpus of `count` incidents, its cut-off in mkdocs.yml, every nav page present."""
    source = bench_build.corpus(count, seed)
    kb = scratch / "kb"
    shutil.copytree(source, kb, ignore=shutil.ignore_patterns("peer", "sites", ".stamp"))
    with_cut_off(kb / "mkdocs.yml")
    bench_build.stub_missing_nav_pages(kb, generated_names())
    return kb


def with_cut_off(config: Path) -> None:
    """mkdocs.yml with the benchmark's cut-off as the incidentkb plugin's as_of."""
    text = config.read_text(encoding="utf-8")
    assert text.count("\n  - incidentkb\n") == 1, "mkdocs.yml lists the incidentkb plugin in another form"
    setting = f"\n  - incidentkb:\n      as_of: '{bench_build.AS_OF}'\n"
    config.write_text(text.replace("\n  - incidentkb\n", setting), encoding="utf-8")


def old_configuration(kb: Path, old: Path) -> None:
    """The older checkout's mkdocs.yml and incidentkb.yml (settings it knows), with the same cut-off."""
    for name in ("mkdocs.yml", "incidentkb.yml"):
        shutil.copy2(old / name, kb / name)
    with_cut_off(kb / "mkdocs.yml")


def generated_names() -> set[str]:
    """The pages the generator makes whatever the records (those of the example knowledge base)."""
    from generator.site import generate_internal
    from generator.validate import KnowledgeBase

    pages, _ = generate_internal(KnowledgeBase(REPO), datetime.fromisoformat(bench_build.AS_OF))
    return set(pages)


def full_build(kb: Path, scratch: Path) -> dict[str, Any]:
    out = scratch / "full-site"
    command = [bench_build.executable("incidentkb"), "--root", str(kb), "build", "--site-dir", str(out)]
    result = bench_build.run_child([*command, "--as-of", bench_build.AS_OF], kb, scratch / "build.log", 3600)
    shutil.rmtree(out, ignore_errors=True)
    if result["exit"] != 0:
        raise SystemExit(f"the full build failed:\n{(scratch / 'build.log').read_text()[-3000:]}")
    return result


class Serve:
    """A running serve (ours or an old one): its stdout lines with the time each arrived, and GET requests."""

    def __init__(self, kb: Path, scratch: Path, env: dict[str, str], command: list[str]) -> None:
        self.started = time.perf_counter()
        self.lines: queue.Queue[tuple[float, str] | None] = queue.Queue()
        self.seen: list[tuple[float, str]] = []
        self.stderr = open(scratch / f"serve-{len(os.listdir(scratch))}.stderr", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [*command, "serve", "--dev-addr", "127.0.0.1:0"],
            cwd=kb,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
            env={**os.environ, **env, "TMPDIR": str(scratch)},
        )
        threading.Thread(target=self._read, daemon=True).start()
        self.url = ""

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put((time.perf_counter(), line.rstrip("\n")))
        self.lines.put(None)

    def wait_for(self, pattern: str, timeout: float) -> tuple[float, re.Match[str]]:
        deadline = time.perf_counter() + timeout
        while (left := deadline - time.perf_counter()) > 0:
            try:
                item = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if item is None:
                raise SystemExit(f"serve ended before /{pattern}/: {self.seen[-5:]}")
            self.seen.append(item)
            if match := re.fullmatch(pattern, item[1]):
                return item[0], match
        raise SystemExit(f"no /{pattern}/ within {timeout:.0f} s: {self.seen[-5:]}")

    def get(self, path: str) -> str | None:
        try:
            with urllib.request.urlopen(self.url + path, timeout=600) as response:
                return str(response.read().decode("utf-8"))
        except (urllib.error.URLError, ConnectionError):
            return None

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.stderr.close()


def until_shown(server: Serve, paths: list[str], text: str, timeout: float) -> dict[str, float]:
    """Poll `paths` until each shows `text`: the time (from now) at which each first did."""
    started = time.perf_counter()
    shown: dict[str, float] = {}
    while len(shown) < len(paths):
        if time.perf_counter() - started > timeout:
            raise SystemExit(f"{[p for p in paths if p not in shown]} did not show {text!r} within {timeout:.0f} s")
        for path in paths:
            if path not in shown and text in (server.get(path) or ""):
                shown[path] = time.perf_counter() - started
        time.sleep(POLL_SECONDS)
    return shown


def home_records(server: Serve, kb: Path, count: int) -> list[Path]:
    """The records of the first `count` incidents the home page links (recent and ongoing ones)."""
    home = server.get("") or ""
    ids = list(dict.fromkeys(re.findall(r"href=\"?incidents/([A-Z]+-[0-9]+-[0-9]+)/", home)))[:count]  # minified
    if len(ids) < count:
        raise SystemExit(f"the home page links {len(ids)} incidents, {count} edits asked for")
    found: dict[str, Path] = {}
    for record in reversed(bench_build.incident_files(kb)):  # the newest first: file names begin with the date
        match = ID.search(record.read_text(encoding="utf-8"))
        if match and match.group(1) in ids:
            found[match.group(1)] = record
            if len(found) == len(ids):
                break
    return [found[i] for i in ids]


def watched_pages(record: Path) -> dict[str, str]:
    """The pages that show the record's title, by what they are: its post-mortem and month list (the quick step),
    the home page, its first service's runbook and its root-cause lessons page (the summaries)."""
    from generator.analyze.internal import incident_months
    from generator.loader import load_document
    from generator.model import incident_from
    from generator.render.pages import group_page

    incident = incident_from(load_document(record).data, str(record))  # as the generator reads it
    (month,) = incident_months([incident])
    lessons = group_page("by-root-cause", incident.root_cause_category or "not recorded").removesuffix(".md")
    return {
        "postmortem": f"incidents/{incident.id}/",
        "month_page": f"incidents/{month.month}/",
        "home": "",
        "runbook": f"runbooks/{incident.services[0]}/",
        "lessons": f"lessons/{lessons}/",
    }


def edit_title(record: Path, title: str, scratch: Path) -> None:
    """Change the record's title, saved by rename (the server never reads half a file)."""
    text = TITLE.sub(f"title: {title}", record.read_text(encoding="utf-8"), count=1)
    draft = scratch / f"{record.name}.draft"
    draft.write_text(text, encoding="utf-8")
    os.replace(draft, record)


def measure_serve(
    kb: Path, scratch: Path, command: list[str], env: dict[str, str], edits: int, label: str, timeout: float
) -> dict[str, Any]:
    server = Serve(kb, scratch, env, command)
    try:
        _, match = server.wait_for(r"Serving on (http://127\.0\.0\.1:[0-9]+/)", timeout)
        server.url = match.group(1)
        while server.get("") is None:
            time.sleep(POLL_SECONDS)
        first_page = time.perf_counter() - server.started
        print(f"  {label}: first page after {first_page:.1f} s", file=sys.stderr)
        runs = []
        for number, record in enumerate(home_records(server, kb, edits), start=1):
            pages = watched_pages(record)
            title = f"Preview benchmark edit {number} of {label}"
            seen_before = len(server.seen)
            load = os.getloadavg()
            edited = time.perf_counter()
            edit_title(record, title, scratch)
            shown = until_shown(server, list(pages.values()), title, timeout)
            at, _ = server.wait_for(r"rebuilt in .*", timeout)
            summaries = [t for t, line in server.seen[seen_before:] if line.startswith("previewed summaries in ")]
            run: dict[str, Any] = {"record": record.name, "pages": pages, "load_average_before": load}
            run.update({f"{name}_s": shown[path] for name, path in pages.items()})
            run["summaries_line_s"] = summaries[0] - edited if summaries else None
            run["rebuilt_line_s"] = at - edited
            runs.append(run)
            print(f"  {label} edit {number}: {run}", file=sys.stderr)
            time.sleep(1.0)
    finally:
        server.stop()
    measured = [*(f"{name}_s" for name in WATCHED), "summaries_line_s", "rebuilt_line_s"]
    return {
        "first_page_s": first_page,
        "edits": runs,
        **{f"{key}_median": _median([r[key] for r in runs]) for key in measured},
        "load_average": os.getloadavg(),
        "lines": [line for _, line in server.seen if not line.startswith(" ")][-20:],
    }


WATCHED = ("postmortem", "month_page", "home", "runbook", "lessons")  # watched_pages' keys


def _median(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--edits", type=int, default=3)
    parser.add_argument("--old", type=Path, help="an older checkout whose serve is measured too (one edit)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds any one wait may take")
    parser.add_argument("--skip-ours", action="store_true", help="measure only the older checkout's serve")
    args = parser.parse_args(argv)
    started = datetime.now(UTC)
    results: dict[str, Any] = {"count": args.count, "started": started.isoformat(), "machine": bench_build.machine()}
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / f"preview-{args.count}-{started.strftime('%Y%m%dT%H%M%SZ')}.json"

    def record(key: str, value: Any) -> None:  # after each step, so that a stopped run keeps what it measured
        results[key] = value
        out.write_text(json.dumps(results, indent=2), encoding="utf-8")

    with tempfile.TemporaryDirectory(prefix="bench-preview-") as folder:
        scratch = Path(folder)
        kb = knowledge_base(args.count, args.seed, scratch)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        if not args.skip_ours:
            record("build", full_build(kb, scratch))
            build = results["build"]
            print(f"  full build: {build['wall_s']:.1f} s (CPU {build['cpu_s']:.1f} s)", file=sys.stderr)
            ours = [bench_build.executable("incidentkb")]
            record("serve", measure_serve(kb, scratch, ours, {}, args.edits, "serve", args.timeout))
            medians = {k: v for k, v in results["serve"].items() if k.endswith("_median")}
            print(f"  serve medians: {json.dumps(medians)}", file=sys.stderr)
        if args.old is not None:
            old_configuration(kb, args.old)
            old = [sys.executable, "-m", "generator"]
            env = {"PYTHONPATH": str(args.old.resolve())}
            record("old_serve", measure_serve(kb, scratch, old, env, 1, "old serve", args.timeout))
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        record("children_cpu_s", after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    print(f"wrote {out.relative_to(REPO)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
