"""The `incidentkb` command: parse arguments, run one step, turn our errors into a message and an exit code."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from generator.findings import REPORTERS, IncidentKBError, InvalidRecordsError, UsageError, format_text, has_errors
from generator.validate import KnowledgeBase, available_cpus, record_files, validate_knowledge_base

SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")
KINDS = ("incident", "near_miss", "maintenance")


def find_root(start: Path) -> Path:
    """The nearest folder (from `start` upwards) that holds incidents/ or services/; else `start`."""
    for folder in (start, *start.parents):
        if (folder / "incidents").is_dir() or (folder / "services").is_dir():
            return folder
    return start


def _timestamp(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an RFC 3339 timestamp: {value!r}") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{value!r} needs an explicit offset, e.g. Z or +02:00")
    return moment


def _month(value: str) -> tuple[int, int]:
    try:
        year, month = (int(part) for part in value.split("-"))
        date(year, month, 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a month (YYYY-MM): {value!r}") from None
    return year, month


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _jobs(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"not a number of processes (1 or more): {value!r}")
    return int(value)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="incidentkb", description="A knowledge base of production incidents in git.")
    parser.add_argument("--root", type=Path, help="the knowledge base folder (default: found from the current folder)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser("validate", help="check records against the schemas and the policy rules")
    validate.add_argument(
        "paths", nargs="*", type=Path, metavar="PATH", help="files or folders (default: every record)"
    )
    validate.add_argument("--format", choices=sorted(REPORTERS), default="text", help="output format (default: text)")
    validate.add_argument("--strict", action="store_true", help="treat overdue action items as errors")
    validate.add_argument(
        "--today", type=_day, help="the date overdue action items are judged against (default: today)"
    )
    _add_jobs(validate)
    validate.set_defaults(run=run_validate)

    new = commands.add_parser("new", help="write a new incident record and print its path")
    new.add_argument("--title", required=True, help="what customers experienced, in one sentence")
    new.add_argument("--severity", required=True, choices=SEVERITIES)
    new.add_argument(
        "--service", dest="services", action="append", required=True, help="an affected service id (repeatable)"
    )
    new.add_argument("--kind", choices=KINDS, default="incident")
    new.add_argument("--started-at", type=_timestamp, help="when it started (default: now, UTC)")
    new.set_defaults(run=run_new)

    update = commands.add_parser("update", help="append a customer update to a live incident and set its status")
    update.add_argument("incident_id", metavar="ID", help="the incident id, e.g. INC-2026-014")
    update.add_argument("--status", required=True, choices=("investigating", "identified", "monitoring", "resolved"))
    update.add_argument("--message", required=True, help="the update as customers will read it")
    update.add_argument("--at", type=_timestamp, help="when it was published (default: now, UTC)")
    update.set_defaults(run=run_update)

    diff = commands.add_parser("diff", help="what changed in meaning between two git revisions, as Markdown")
    diff.add_argument("base", metavar="BASE", help="the base revision, e.g. main or origin/main")
    diff.add_argument("head", metavar="HEAD", nargs="?", help="the head revision (default: the working tree)")
    _add_as_of(diff)
    diff.set_defaults(run=run_diff)

    generate = commands.add_parser("generate", help="write the generated pages (Markdown, SVG) without MkDocs")
    generate.add_argument("--out", type=Path, required=True, help="folder to write the pages into")
    _add_as_of(generate)
    _add_jobs(generate)
    generate.set_defaults(run=run_generate)

    build = commands.add_parser("build", help="validate, generate and build the site with MkDocs (strict)")
    build.add_argument("--site-dir", type=Path, help="where to write the site (default: site/ of the knowledge base)")
    build.add_argument(
        "--config-file", type=Path, help="MkDocs configuration (default: mkdocs.yml of the knowledge base)"
    )
    build.add_argument(
        "--public", action="store_true", help="build the public availability site instead (default dir: public-site/)"
    )
    _add_as_of(build)
    _add_jobs(build)
    build.set_defaults(run=run_build)

    report = commands.add_parser("report", help="print the availability report of one month")
    report.add_argument("month", type=_month, metavar="MONTH", help="YYYY-MM")
    report.add_argument("--format", choices=("markdown", "json"), default="markdown")
    _add_as_of(report)
    report.set_defaults(run=run_report)

    serve = commands.add_parser("serve", help="live preview: rebuilds when a record changes")
    serve.add_argument("--dev-addr", default="127.0.0.1:8000", help="address to serve on (default: 127.0.0.1:8000)")
    serve.set_defaults(run=run_serve)
    return parser


def _add_jobs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--jobs",
        type=_jobs,
        default=available_cpus(),
        help="worker processes for large knowledge bases (default: the CPUs available, %(default)s)",
    )


def _add_as_of(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as-of",
        type=_timestamp,
        help="the cut-off for ongoing incidents and overdue items (default: now); fixes the output for reproducible builds",
    )


def _expand(paths: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(record_files(path))
        elif path.is_file():
            files.append(path)
        else:
            raise UsageError(f"{path}: no such file or folder")
    return files


def run_validate(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    paths = _expand(args.paths) if args.paths else None
    result = validate_knowledge_base(
        kb, today=args.today or date.today(), strict=args.strict, paths=paths, keep_incidents=False, jobs=args.jobs
    )
    output = REPORTERS[args.format](result.findings)
    if output:
        print(output)
    return 1 if has_errors(result.findings) else 0


def run_new(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    from generator.authoring import NewIncident, create_incident

    started = args.started_at or datetime.now(UTC).replace(second=0)
    path = create_incident(kb, NewIncident(args.title, args.severity, args.services, started, args.kind))
    print(kb.display(path))
    return 0


def run_update(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    from generator.authoring import append_update, find_incident_file
    from generator.loader import LoadError

    if not args.message.strip():
        raise UsageError("--message is empty; customers need words")
    path = find_incident_file(kb, args.incident_id)
    text = path.read_text(encoding="utf-8")
    at = args.at or datetime.now(UTC).replace(microsecond=0)
    try:
        new_text = append_update(text, kb.display(path), at=at, status=args.status, message=args.message)
    except LoadError as exc:
        print(format_text([exc.finding]), file=sys.stderr)
        print("incidentkb: error: fix the record before adding an update; it was not changed", file=sys.stderr)
        return 1
    path.write_text(new_text, encoding="utf-8")
    print(f"{kb.display(path)}: status {args.status}, update at {at.isoformat()}")
    result = validate_knowledge_base(kb, today=at.date(), paths=[path])
    if result.findings:
        print(format_text(result.findings), file=sys.stderr)
    return 1 if has_errors(result.findings) else 0


def run_diff(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    from generator.review import compare, load_side, read_revision, render_diff
    from generator.settings import load_settings

    as_of = args.as_of or datetime.now(UTC)
    base = load_side(args.base, read_revision(kb.root, args.base))
    head = load_side(args.head or "working tree", read_revision(kb.root, args.head))
    summary = compare(base, head, settings=load_settings(kb.root), as_of=as_of)
    print(render_diff(summary, as_of.date()), end="")
    return 0


def run_generate(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    from generator.site import generate_internal, write_pages

    pages, warnings = generate_internal(kb, args.as_of or datetime.now(UTC), args.jobs)
    _print_warnings(warnings)
    write_pages(pages, args.out)
    print(f"wrote {len(pages)} generated files to {args.out}")
    return 0


def run_build(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    from generator.site import build_public_site, build_with_mkdocs, generate_internal, generate_public

    _log_mkdocs_warnings()
    as_of = args.as_of or datetime.now(UTC)
    if args.public:
        site_dir = args.site_dir or kb.root / "public-site"
        public_pages, settings, warnings = generate_public(kb, as_of, args.jobs)
        _print_warnings(warnings)
        build_public_site(public_pages, settings, site_dir, jobs=args.jobs)
    else:
        site_dir = args.site_dir or kb.root / "site"
        started = time.perf_counter()
        pages, warnings = generate_internal(kb, as_of, args.jobs)
        generated = time.perf_counter()
        _print_warnings(warnings)
        build_with_mkdocs(args.config_file or kb.root / "mkdocs.yml", site_dir, pages, jobs=args.jobs)
        print(
            f"generated {len(pages):,} pages and charts in {generated - started:.1f} s; "
            f"MkDocs built them in {time.perf_counter() - generated:.1f} s"
        )
    print(f"built {site_dir}")
    return 0


def run_report(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    import json

    from generator.analyze.report import monthly_report, report_json
    from generator.render.public_pages import render_reports
    from generator.site import load_knowledge_base

    as_of = args.as_of or datetime.now(UTC)
    loaded = load_knowledge_base(kb, as_of)
    year, month = args.month
    settings = loaded.settings
    report = monthly_report(loaded.public, year, month, zone=settings.zone, weights=settings.weights, cutoff=as_of)
    if report is None:
        raise UsageError(f"{year:04d}-{month:02d} has not begun at {as_of.isoformat()}")
    if args.format == "json":
        print(json.dumps(report_json(report), indent=2))
    else:
        pages = render_reports([report], company=settings.company, incident_base="../history/")
        print(pages[f"reports/{report.month}.md"], end="")
    return 0


def _log_mkdocs_warnings() -> None:
    """MkDocs reports through logging; show its warnings and errors (strict mode turns them into failures)."""
    import logging

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("mkdocs: %(levelname)s: %(message)s"))
    handler.setLevel(logging.WARNING)
    logging.getLogger("mkdocs").addHandler(handler)


def run_serve(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    from mkdocs.commands.serve import serve

    serve(config_file=str(kb.root / "mkdocs.yml"), dev_addr=args.dev_addr, livereload=True)
    return 0


def _print_warnings(findings: list) -> None:  # type: ignore[type-arg]
    if findings:
        print(format_text(findings), file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    kb = KnowledgeBase((args.root or find_root(Path.cwd())).resolve())
    run: Callable[[argparse.Namespace, KnowledgeBase], int] = args.run
    try:
        return run(args, kb)
    except InvalidRecordsError as exc:
        print(format_text(exc.findings), file=sys.stderr)
        print("incidentkb: error: the knowledge base is invalid; nothing was built", file=sys.stderr)
        return exc.exit_code
    except IncidentKBError as exc:
        print(f"incidentkb: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
