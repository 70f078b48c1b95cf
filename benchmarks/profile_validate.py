"""Where `incidentkb validate` spends its time, by stage, on the synthetic corpus.

    python benchmarks/profile_validate.py [--count 10000] [--root KB] [--top 0]

Three views of one workload: (1) process start-up and import time, from fresh interpreters; (2) a plain
in-process run that times the cyclic garbage collector with gc.callbacks (cProfile cannot see the collector:
its pauses land on whichever function happened to allocate); (3) a cProfile run with the collector off,
bucketed into stages. The `generator` package imported is whichever comes first on sys.path, so
`PYTHONPATH=/some/copy python benchmarks/profile_validate.py` profiles a patched copy.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import io
import pstats
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TODAY = "2026-11-23"

# (stage, function name, file name ending, how): "cum" adds the function's cumulative time, "-cum" subtracts it
# (to take nested stages out of their parent), "tt" adds its own time.
STAGES = [
    ("list files (glob, sort)", "incident_files", "validate.py", "cum"),
    ("list files (glob, sort)", "service_files", "validate.py", "cum"),
    ("path handling (resolve, display)", "display", "validate.py", "cum"),
    ("path handling (resolve, display)", "is_service_file", "validate.py", "cum"),
    ("read + decode", "load_document", "loader.py", "cum"),
    ("read + decode", "parse_document", "loader.py", "-cum"),
    ("compose (libyaml + resolver callbacks)", "parse_document", "loader.py", "cum"),
    ("compose (libyaml + resolver callbacks)", "convert", "loader.py", "-cum"),
    ("convert nodes (loader._Converter)", "convert", "loader.py", "cum"),
    ("schema (jsonschema_rs)", "schema_findings", "validate.py", "cum"),
    ("leap-second scan (unrepresentable_times)", "unrepresentable_times", "validate.py", "cum"),
    ("policy rules", "check_incident", "validate.py", "cum"),
    ("policy rules", "check_service", "validate.py", "cum"),
    ("policy rules", "check_service_graph", "validate.py", "cum"),
    ("policy rules", "check_unique_ids", "validate.py", "cum"),
    ("sort + report findings", "format_text", "findings.py", "cum"),
    ("sort + report findings", "<method 'sort' of 'list' objects>", "~", "cum"),
]


def validate_argv(root: Path) -> list[str]:
    return ["--root", str(root), "validate", "--as-of", TODAY]


def startup(repeat: int = 7) -> dict[str, float]:
    """Median seconds for a bare interpreter, for importing generator.cli, and for the parser and imports of main."""

    def timed(code: str) -> float:
        runs = []
        for _ in range(repeat):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, stdout=subprocess.DEVNULL)
            runs.append(time.perf_counter() - start)
        return statistics.median(runs)

    bare = timed("pass")
    imported = timed("import generator.cli")
    return {"interpreter_s": bare, "import_generator_cli_s": imported - bare}


def run_main(root: Path) -> tuple[int, str]:
    from generator.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(validate_argv(root))
    return code, out.getvalue()


def gc_timed_run(root: Path) -> dict[str, Any]:
    pauses = {0: 0.0, 1: 0.0, 2: 0.0}
    counts = {0: 0, 1: 0, 2: 0}
    started: list[float] = []

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append(time.perf_counter())
        elif started:
            pauses[info["generation"]] += time.perf_counter() - started.pop()
            counts[info["generation"]] += 1

    gc.collect()
    gc.callbacks.append(callback)
    try:
        start = time.perf_counter()
        code, output = run_main(root)
        wall = time.perf_counter() - start
    finally:
        gc.callbacks.remove(callback)
    return {
        "wall_s": wall,
        "exit": code,
        "summary": output.strip().splitlines()[-1] if output.strip() else "",
        "gc_s": sum(pauses.values()),
        "gc_s_by_generation": pauses,
        "gc_collections": counts,
    }


def profiled_run(root: Path, top: int) -> dict[str, Any]:
    profile = cProfile.Profile()
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        profile.enable()
        run_main(root)
        profile.disable()
        wall = time.perf_counter() - start
    finally:
        gc.enable()
    stats = pstats.Stats(profile)
    entries = stats.stats  # type: ignore[attr-defined]
    total = sum(tt for (_, _, tt, _, _) in entries.values())
    stages: dict[str, float] = {}
    for stage, name, file_end, how in STAGES:
        for (file, _, func), (_, _, tt, ct, _) in entries.items():
            if func == name and file.endswith(file_end):
                value = tt if how == "tt" else ct
                stages[stage] = stages.get(stage, 0.0) + (-value if how == "-cum" else value)
    stages["everything else (argparse, Finding objects, ...)"] = total - sum(stages.values())
    if top:
        stats.sort_stats("tottime").print_stats(top)
    return {"wall_s_with_profiler": wall, "profiled_s": total, "stages": stages}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000, help="corpus size, as for bench_validate.py")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--root", type=Path, help="profile this knowledge base instead of the synthetic corpus")
    parser.add_argument("--top", type=int, default=0, help="also print the N functions with most own time")
    args = parser.parse_args(argv)
    if args.root:
        root = args.root.resolve()
    else:
        sys.path.insert(0, str(HERE))
        from bench_validate import corpus  # the cached corpus, generated if missing

        root = corpus(args.count, args.seed, 0.0)
    records = len(list((root / "incidents").glob("*/*.yaml")))

    import generator

    print(f"generator package: {Path(generator.__file__).parent}")
    print(f"corpus: {root} ({records:,} incident records)\n")
    start_up = startup()
    timed = gc_timed_run(root)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    profiled = profiled_run(root, args.top)

    wall = timed["wall_s"]
    print(
        f"in-process validate: {wall:.2f} s ({records / wall:,.0f} records/s), exit {timed['exit']}: {timed['summary']}"
    )
    print(f"peak RSS of this process after it: {peak:,.0f} MiB\n")
    print("| stage | seconds | share |")
    print("|---|---:|---:|")
    print(f"| interpreter start-up (separate process) | {start_up['interpreter_s']:.3f} | |")
    print(f"| import generator.cli (separate process) | {start_up['import_generator_cli_s']:.3f} | |")
    gc_share = timed["gc_s"] / wall
    print(f"| cyclic GC pauses (gc.callbacks, normal run) | {timed['gc_s']:.2f} | {gc_share:.0%} of the normal run |")
    scale = (wall - timed["gc_s"]) / profiled["profiled_s"]  # profiler overhead removed proportionally
    for stage, seconds in sorted(profiled["stages"].items(), key=lambda item: -item[1]):
        print(f"| {stage} | {seconds * scale:.2f} | {seconds / profiled['profiled_s'] * (1 - gc_share):.0%} |")
    collections = timed["gc_collections"]
    print(
        f"\nGC collections (gen0/gen1/gen2): {collections[0]}/{collections[1]}/{collections[2]}, "
        f"seconds by generation: {', '.join(f'{s:.2f}' for s in timed['gc_s_by_generation'].values())}"
    )
    print(
        f"cProfile with GC off: {profiled['profiled_s']:.2f} s profiled; stage seconds above are scaled by "
        f"{scale:.2f} to remove the profiler's overhead"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
