"""The `incidentkb` command: parse arguments, run one step, turn our errors into a message and an exit code."""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import time as clock
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

from generator import vocabulary, workers
from generator.findings import (
    REPORTERS,
    IncidentKBError,
    InvalidRecordsError,
    UsageError,
    format_text,
    has_errors,
    visible,
)
from generator.knowledge_base import KnowledgeBase, record_files
from generator.validate import validate_knowledge_base
from generator.workers import available_cpus

if TYPE_CHECKING:
    from generator.importers.writer import ImportReport

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")


def is_knowledge_base(folder: Path) -> bool:
    return (folder / "incidents").is_dir() or (folder / "services").is_dir()


def find_root(start: Path) -> Path:
    """The nearest folder (from `start` upwards) that holds incidents/ or services/."""
    for folder in (start, *start.parents):
        if is_knowledge_base(folder):
            return folder
    raise UsageError(
        f"no knowledge base here: neither {start} nor a folder above it holds incidents/ or services/ "
        "(run incidentkb inside one, or give --root)"
    )


def knowledge_base_at(root: Path | None) -> KnowledgeBase:
    """The knowledge base at --root, or the one the current folder is in; a folder without one is a usage error."""
    if root is None:
        return KnowledgeBase(find_root(Path.cwd().resolve()))
    if not root.is_dir():
        raise UsageError(f"--root {root}: no such folder")
    if not is_knowledge_base(root):
        raise UsageError(f"--root {root}: not a knowledge base (it holds neither incidents/ nor services/)")
    return KnowledgeBase(root.resolve())


def _timestamp(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an RFC 3339 timestamp: {value!r}") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{value!r} needs an explicit offset, e.g. Z or +02:00")
    if not 1970 <= moment.year <= 2100:  # the years a record may hold (schemas/incident.schema.json)
        raise argparse.ArgumentTypeError(f"{value!r} is outside the years 1970 to 2100")
    return moment


def _cut_off(value: str) -> datetime:
    """--as-of: a timestamp with an offset, or a day (its start, in UTC)."""
    if _DAY.fullmatch(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None
        return _timestamp(datetime.combine(day, time(0), UTC).isoformat())
    return _timestamp(value)


def _month(value: str) -> tuple[int, int]:
    if not _MONTH.fullmatch(value):
        raise argparse.ArgumentTypeError(f"not a month (YYYY-MM): {value!r}")
    year, month = (int(part) for part in value.split("-"))
    if not 1 <= month <= 12:
        raise argparse.ArgumentTypeError(f"not a month (YYYY-MM): {value!r}")
    return year, month


def _jobs(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"not a number of processes (1 or more): {value!r}")
    return int(value)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="incidentkb", description="A knowledge base of production incidents in git.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.add_argument("--root", type=Path, help="the knowledge base folder (default: found from the current folder)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", help="what to do")

    validate = commands.add_parser("validate", help="check records against the schemas and the policy rules")
    validate.add_argument(
        "paths", nargs="*", type=Path, metavar="PATH", help="files or folders (default: every record)"
    )
    validate.add_argument("--format", choices=sorted(REPORTERS), default="text", help="output format (default: text)")
    validate.add_argument("--strict", action="store_true", help="treat overdue action items as errors")
    _add_as_of(validate)
    _add_jobs(validate)
    validate.set_defaults(run=run_validate)

    new = commands.add_parser("new", help="write a new incident record and print its path")
    new.add_argument("--title", required=True, help="what customers experienced, in one sentence")
    new.add_argument(
        "--severity",
        required=True,
        choices=vocabulary.SEVERITIES,
        help="impact on customers, as docs/severity.md defines it",
    )
    new.add_argument(
        "--service", dest="services", action="append", required=True, help="an affected service id (repeatable)"
    )
    new.add_argument(
        "--kind",
        choices=vocabulary.KINDS,
        default="incident",
        help="an incident, a near miss or planned maintenance (default: incident)",
    )
    new.add_argument("--started-at", type=_timestamp, help="when it started (default: now, UTC)")
    new.add_argument(
        "--level",
        choices=vocabulary.IMPACT_LEVELS,
        help="the impact customers see on each service (default: not assessed yet, so not published until set)",
    )
    new.set_defaults(run=run_new)

    update = commands.add_parser("update", help="append a customer update to a live incident and set its status")
    update.add_argument("incident_id", metavar="ID", help="the incident id, e.g. INC-2026-014")
    update.add_argument(
        "--status",
        required=True,
        choices=vocabulary.INCIDENT_STATUSES,
        help="the incident's status as of this update",
    )
    update.add_argument("--message", required=True, help="the update as customers will read it")
    update.add_argument("--at", type=_timestamp, help="when it was published (default: now, UTC)")
    update.set_defaults(run=run_update)

    diff = commands.add_parser("diff", help="what changed in meaning between two git revisions, as Markdown")
    diff.add_argument("base", metavar="BASE", help="the base revision, e.g. main or origin/main")
    diff.add_argument("head", metavar="HEAD", nargs="?", help="the head revision (default: the working tree)")
    _add_as_of(diff)
    diff.set_defaults(run=run_diff)

    _add_notify(commands)

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
    build.add_argument(
        "--preview",
        action="store_true",
        help="with --public and no public.site_url in incidentkb.yml: a local preview, its links at "
        "http://127.0.0.1:8000/ (without it, such a build is refused: it would publish wrong links)",
    )
    build.add_argument(
        "--engine",
        choices=("mkdocs", "zensical"),
        default="mkdocs",
        help="with --public: the static site generator (default mkdocs; zensical needs the zensical command)",
    )
    _add_as_of(build)
    _add_jobs(build)
    build.set_defaults(run=run_build)

    report = commands.add_parser("report", help="print the availability report of one month")
    report.add_argument("month", type=_month, metavar="MONTH", help="YYYY-MM")
    report.add_argument(
        "--format",
        choices=("text", "markdown", "json"),
        default="text",
        help="text for a terminal (default), the site page's Markdown, or JSON for tools",
    )
    _add_as_of(report)
    report.set_defaults(run=run_report)

    export = commands.add_parser(
        "export", help="print every incident and service as one JSON document (or the incidents as CSV)"
    )
    export.add_argument(
        "--format",
        choices=("json", "csv"),
        default="json",
        help="json: incidents and services as validated, described by schemas/export.schema.json (default); "
        "csv: one row per incident",
    )
    export.add_argument(
        "--public",
        action="store_true",
        help="only what the public site publishes: the incidents customers saw and the listed services, each "
        "with its public fields",
    )
    _add_as_of(export)
    export.set_defaults(run=run_export)

    _add_import(commands)

    schema = commands.add_parser(
        "schema", help="write the knowledge base's effective schemas (its taxonomies added) for editors"
    )
    schema.add_argument(
        "--out",
        type=Path,
        help=f"folder to write incident, service and settings schemas into (default: {SCHEMA_FOLDER} of the "
        "knowledge base)",
    )
    schema.set_defaults(run=run_schema)

    serve = commands.add_parser(
        "serve", help="live preview: rebuilds when a file changes, and shows the findings while records are invalid"
    )
    serve.add_argument(
        "--dev-addr",
        default="127.0.0.1:8000",
        help="address to serve on, IP:PORT (default: 127.0.0.1:8000; port 0: any free port, printed)",
    )
    serve.set_defaults(run=run_serve)
    return parser


def _add_notify(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    notify = commands.add_parser(
        "notify",
        help="post each public update added since a git revision to the webhooks of incidentkb.yml",
        description="Post every public update that customers could not see at REV to each target of notify.targets "
        "(Slack, Microsoft Teams or generic JSON), oldest first, with retries, and print one line per target. "
        "Exit 0 when every configured target succeeded (a target whose environment variable is unset is skipped), "
        "1 when one failed, 2 for usage errors. See docs/notifications.md.",
    )
    notify.add_argument("--since", required=True, metavar="REV", help="the revision already published, e.g. $BASE")
    notify.add_argument(
        "--target",
        dest="targets",
        action="append",
        metavar="NAME",
        help="post only to this target of notify.targets (repeatable; default: every target)",
    )
    notify.add_argument("--dry-run", action="store_true", help="print each payload instead of posting it")
    _add_as_of(notify)
    notify.set_defaults(run=run_notify)


def _add_import(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    importer = commands.add_parser(
        "import",
        help="bring incidents in from a Statuspage page, incident.io or a spreadsheet (safe to run again)",
        description="Write one record per incident of the source, with provenance imported. Running it again "
        "updates what the source changed, keeps every edit a person made, and never touches records of another "
        "provenance. See docs/importing.md.",
    )
    sources = importer.add_subparsers(
        dest="source_kind", required=True, metavar="SOURCE_KIND", help="where from: statuspage, incidentio or csv"
    )
    statuspage = sources.add_parser(
        "statuspage", help="Statuspage public API v2 JSON (incidents, components, summary, scheduled maintenances)"
    )
    statuspage.add_argument(
        "source", metavar="SOURCE", help="a JSON file, a folder of them, or the page's address (https://status...)"
    )
    incidentio = sources.add_parser("incidentio", help="incident.io API v2 JSON (incidents, follow_ups)")
    incidentio.add_argument("source", metavar="SOURCE", help="a JSON file or a folder of them")
    spreadsheet = sources.add_parser("csv", help="a CSV file of incidents, with a column mapping (YAML)")
    spreadsheet.add_argument("source", metavar="FILE", help="the CSV file")
    spreadsheet.add_argument("--map", required=True, type=Path, metavar="MAPPING", help="the column mapping (YAML)")
    for parser in (statuspage, incidentio, spreadsheet):
        parser.add_argument("--dry-run", action="store_true", help="print what would be written; write nothing")
        _add_as_of(parser)
        parser.set_defaults(run=run_import)


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
        type=_cut_off,
        metavar="TIMESTAMP|DATE",
        help="the cut-off for ongoing incidents and overdue items, e.g. 2026-11-23T12:00:00Z or 2026-11-23 "
        "(the start of that day, UTC); default: now. Fixes the output for reproducible builds",
    )


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("incidentkb")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def _expand(paths: Sequence[Path], kb: KnowledgeBase) -> tuple[list[Path], list[Path]]:
    """The record files among `paths` (a folder gives its YAML files), and the files that are no record: the
    settings file and anything not YAML, such as a schema. Those must never be checked as incidents."""
    from generator.settings import SETTINGS_FILE

    settings = (kb.root / SETTINGS_FILE).resolve()
    files: list[Path] = []
    others: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = record_files(path)
        elif path.is_file():
            found = [path]
        else:
            raise UsageError(f"{path}: no such file or folder")
        for file in found:
            is_record = file.suffix in (".yaml", ".yml") and file.resolve() != settings
            (files if is_record else others).append(file)
    return files, others


def run_validate(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    from generator.knowledge_base import is_settings_file

    paths, others = _expand(args.paths, kb) if args.paths else (None, [])
    settings = [path for path in others if is_settings_file(kb, path)]  # validated as the settings, not a record
    now = args.as_of or datetime.now(UTC)
    result = validate_knowledge_base(
        kb,
        today=now.date(),
        now=now,
        strict=args.strict,
        paths=None if paths is None else [*paths, *settings],
        keep_incidents=False,
        jobs=args.jobs,
    )
    findings = result.findings
    for path in others:
        if path not in settings:
            note = "is not a record (those are the YAML files under incidents/ and services/); not checked"
            print(f"incidentkb: note: {visible(kb.display(path))} {note}", file=sys.stderr)
    output = REPORTERS[args.format](findings)
    if output:
        print(output)
    return 1 if has_errors(findings) else 0


def run_new(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    from generator.authoring import NewIncident, create_incident

    started = args.started_at or datetime.now(UTC).replace(second=0)
    path = create_incident(kb, NewIncident(args.title, args.severity, args.services, started, args.kind, args.level))
    print(kb.display(path))
    return 0


def run_update(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    from generator.authoring import find_incident_file, update_incident_file
    from generator.loader import LoadError

    if not args.message.strip():
        raise UsageError("--message is empty; customers need words")
    path = find_incident_file(kb, args.incident_id)
    at = args.at or datetime.now(UTC).replace(microsecond=0)
    try:  # atomic: the record is left whole, as it was or with the update; a refusal (exit 1) leaves it as it was
        update_incident_file(kb, path, at=at, status=args.status, message=args.message)
    except LoadError as exc:
        print(format_text([exc.finding]), file=sys.stderr)
        print("incidentkb: error: fix the record before adding an update; it was not changed", file=sys.stderr)
        return 1
    print(f"{kb.display(path)}: status {args.status}, update at {at.isoformat()}")
    result = validate_knowledge_base(kb, today=at.date(), paths=[path])
    if result.findings:
        print(format_text(result.findings), file=sys.stderr)
    return 1 if has_errors(result.findings) else 0


def run_diff(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    from generator.review import compare, load_side, read_revision, render_diff
    from generator.settings import load_settings

    as_of = args.as_of or datetime.now(UTC)
    settings = load_settings(kb.root)  # its taxonomies read both sides: a taxonomy only adds values
    base = load_side(args.base, read_revision(kb.root, args.base), settings.taxonomies)
    head = load_side(args.head or "working tree", read_revision(kb.root, args.head), settings.taxonomies)
    summary = compare(base, head, settings=settings, as_of=as_of)
    print(render_diff(summary, as_of.date()), end="")
    return 0


def run_notify(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    from generator.notify.command import notify

    return notify(kb, args.since, targets=args.targets, dry_run=args.dry_run, cutoff=args.as_of or datetime.now(UTC))


def run_generate(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    from generator.output import check_target, replace_generated
    from generator.site import generate_internal

    check_target(args.out, kb.root, option="--out")  # before the work, not after it
    pages, warnings = generate_internal(kb, args.as_of or datetime.now(UTC), args.jobs)
    _print_warnings(warnings)
    replace_generated(pages, args.out, kb.root)
    print(f"wrote {len(pages)} generated files to {args.out}")
    return 0


def run_build(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    from generator.site import build_public_site, build_with_mkdocs, check_site_dir, generate_internal, generate_public

    _log_mkdocs_warnings()
    as_of = args.as_of or datetime.now(UTC)
    started = clock.perf_counter()
    if args.preview and not args.public:
        raise UsageError("--preview is for --public: the internal site has no published address")
    if args.engine != "mkdocs" and not args.public:
        raise UsageError("--engine is for --public: the internal site needs the incidentkb MkDocs plugin")
    if args.public:
        site_dir = check_site_dir(args.site_dir or kb.root / "public-site", kb.root)
        pages, settings, warnings = generate_public(kb, as_of, args.jobs, preview=args.preview)
        generated = clock.perf_counter()
        _print_warnings(warnings)
        if args.engine == "zensical":
            from generator.zensical_site import build_public_site_with_zensical

            build_public_site_with_zensical(pages, settings, site_dir)
        else:
            build_public_site(pages, settings, site_dir, kb.root, jobs=args.jobs)
    else:
        site_dir = check_site_dir(args.site_dir or kb.root / "site", kb.root)
        pages, warnings = generate_internal(kb, as_of, args.jobs)
        generated = clock.perf_counter()
        _print_warnings(warnings)
        build_with_mkdocs(args.config_file or kb.root / "mkdocs.yml", site_dir, pages, kb.root, jobs=args.jobs)
    engine = "Zensical" if args.engine == "zensical" else "MkDocs"
    print(
        f"generated {len(pages):,} pages and charts in {generated - started:.1f} s; "
        f"{engine} built them in {clock.perf_counter() - generated:.1f} s"
    )
    print(f"built {args.site_dir or site_dir}")  # as the user named it
    return 0


def run_report(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    import json

    from generator.analyze.report import monthly_report, report_json
    from generator.render.public_pages import render_reports
    from generator.render.terminal import render_report_text
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
    elif args.format == "markdown":
        pages = render_reports([report], company=settings.company, incident_base="../history/")
        print(pages[f"reports/{report.month}.md"], end="")
    else:
        print(render_report_text(report, company=settings.company), end="")
    return 0


def run_export(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    import json

    from generator.export import export_csv, export_document
    from generator.site import load_knowledge_base

    loaded = load_knowledge_base(kb, args.as_of or datetime.now(UTC))
    if args.format == "csv":
        if args.public:
            raise UsageError("--public is for --format json: the CSV holds internal fields (severity, root cause)")
        sys.stdout.write(export_csv(loaded.model))
    else:
        document = export_document(loaded.model, loaded.public, public_only=args.public)
        print(json.dumps(document, indent=2, ensure_ascii=False))
    return 0


def run_import(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    from generator.importers import SourceError, Translation
    from generator.importers.sources import json_documents, read_text
    from generator.importers.writer import Importer

    try:
        translations: list[Translation]
        if args.source_kind == "statuspage":
            from generator.importers import statuspage

            translations = statuspage.translate(json_documents(args.source))
        elif args.source_kind == "incidentio":
            from generator.importers import incidentio

            translations = [incidentio.translate(json_documents(args.source))]
        else:
            from generator.importers import spreadsheet

            mapping = spreadsheet.load_mapping(read_text(args.map), str(args.map))
            source = Path(args.source)
            translations = [spreadsheet.translate(read_text(source), source.name, mapping)]
    except SourceError as exc:
        raise UsageError(str(exc)) from None
    today = (args.as_of or datetime.now(UTC)).date()
    by = f"incidentkb import {args.source_kind}"
    report = Importer(kb, today=today, by=by, dry_run=args.dry_run).run(translations)
    _print_import_report(report, args.dry_run)
    if args.dry_run or not report.outcomes:
        return 1 if report.count("not written") else 0
    result = validate_knowledge_base(kb, today=today, keep_incidents=False)
    errors = [f for f in result.findings if has_errors([f])]
    if errors:
        print(format_text(errors), file=sys.stderr)
        print(f"incidentkb: the knowledge base has {len(errors)} error(s) after the import", file=sys.stderr)
    return 1 if errors or report.count("not written") else 0


def _print_import_report(report: ImportReport, dry_run: bool) -> None:
    verbs = {"add": "would add" if dry_run else "added", "update": "would update" if dry_run else "updated"}
    for outcome in report.outcomes:
        if outcome.action == "unchanged":
            continue
        detail = f" ({outcome.detail})" if outcome.detail else ""
        print(f"{verbs.get(outcome.action, outcome.action)}: {visible(outcome.path)}{detail}")
    for line in report.kept_edits:
        print(f"kept: {visible(line)}")
    for line in report.unmapped:
        print(f"not mapped: {visible(line)}")
    print(report.summary(dry_run))


SCHEMA_FOLDER = ".incidentkb/schemas"  # where `incidentkb schema` writes by default, under the knowledge base


def run_schema(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    """Write the effective incident, service and settings schemas (incidentkb.yml's taxonomies added), which a
    record's `# yaml-language-server: $schema=...` modeline can name, so that editors offer the knowledge base's
    own vocabulary."""
    import json

    from generator.output import check_target, write_files
    from generator.schemas import EDITOR_KINDS, editor_schema
    from generator.settings import load_settings

    option = "--out" if args.out is not None else "the schema folder"
    out = check_target(args.out if args.out is not None else kb.root / SCHEMA_FOLDER, kb.root, option=option)
    try:
        taxonomies = load_settings(kb.root).taxonomies
    except InvalidRecordsError as exc:
        print(format_text(exc.findings), file=sys.stderr)
        print("incidentkb: error: the settings (incidentkb.yml) are invalid; no schema was written", file=sys.stderr)
        return exc.exit_code
    files = {
        f"{kind}.schema.json": json.dumps(editor_schema(kind, taxonomies), indent=2, ensure_ascii=False) + "\n"
        for kind in EDITOR_KINDS
    }
    try:
        written = write_files(out, files)
    except OSError as exc:
        where = exc.filename or out
        raise UsageError(
            f"{option} {args.out or kb.display(out)}: cannot write {where}: {exc.strerror or exc}"
        ) from None
    for path in written:
        print(f"wrote {kb.display(path)}")
    return 0


def _log_mkdocs_warnings() -> None:
    """MkDocs reports through logging; show its warnings and errors (strict mode turns them into failures)."""
    import logging

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("mkdocs: %(levelname)s: %(message)s"))
    handler.setLevel(logging.WARNING)
    logging.getLogger("mkdocs").addHandler(handler)
    # Our own notes (e.g. why the pages are built on one CPU) at INFO; warnings reach the handler above.
    ours = logging.getLogger("mkdocs.plugins.incidentkb")
    ours.setLevel(logging.INFO)
    notes = logging.StreamHandler(sys.stderr)
    notes.setFormatter(logging.Formatter("incidentkb: %(message)s"))
    notes.addFilter(lambda record: record.levelno < logging.WARNING)
    ours.addHandler(notes)


def run_serve(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    from mkdocs.exceptions import MkDocsException

    from generator.findings import BuildError
    from generator.serve import serve

    _log_mkdocs_warnings()
    config_file = kb.root / "mkdocs.yml"
    if not config_file.is_file():
        raise UsageError(f"{config_file}: no such file; serve previews the site that file configures")
    try:
        serve(config_file, args.dev_addr, out=sys.stdout, err=sys.stderr)
    except MkDocsException as exc:  # only the first reading of mkdocs.yml can fail: later builds report and go on
        raise BuildError(f"{config_file}: {exc}") from None
    return 0


def _print_warnings(findings: list) -> None:  # type: ignore[type-arg]
    if findings:
        print(format_text(findings), file=sys.stderr)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # `kill` stops a command as Ctrl-C does: staging folders and temporary sites go


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    run: Callable[[argparse.Namespace, KnowledgeBase], int] = args.run
    if args.command in ("build", "generate"):
        # A one-shot command: what the generation keeps out of the cyclic collector (workers.collector_spared)
        # may stay out until the process ends. `serve` builds again and again in one process and must not.
        workers.spare_the_collector_until_exit()
    try:
        return run(args, knowledge_base_at(args.root))
    except InvalidRecordsError as exc:
        print(format_text(exc.findings), file=sys.stderr)
        print("incidentkb: error: the knowledge base is invalid; nothing was built", file=sys.stderr)
        return exc.exit_code
    except IncidentKBError as exc:
        print(f"incidentkb: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `incidentkb export | head`: the reader has what it wanted; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the interpreter's final flush is quiet
        return 141  # 128 + SIGPIPE, as a shell reports a command stopped by a closed pipe
    except OSError as exc:  # the file system or the environment, not our code: say what and where
        where = f": {exc.filename}" if exc.filename else ""
        print(f"incidentkb: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
