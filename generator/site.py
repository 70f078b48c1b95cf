"""Publish: validate, model, analyze and render the knowledge base, then build it with MkDocs, atomically.

A build goes to a staging folder beside the target and replaces it in one step only when MkDocs has finished, so
a failed build leaves the previous site untouched; the target must be the build's own (generator/output.py).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Protocol, cast, runtime_checkable

from generator import workers
from generator.analyze import runbooks
from generator.analyze.availability import MeasuredWindow, ServiceMonth
from generator.analyze.internal import InternalAnalysis, analyze_internal
from generator.analyze.postmortems import postmortem_facts
from generator.analyze.report import (
    MonthlyReport,
    ReportInputs,
    availability_windows,
    report_from,
    report_inputs,
    report_months,
)
from generator.findings import BuildError, Finding, InvalidRecordsError, UsageError, has_errors
from generator.knowledge_base import SETTINGS_FILE
from generator.loader import Record
from generator.model import Incident, KnowledgeBaseModel, build_model, incident_from
from generator.output import (
    SITE_MARKER,
    check_replaceable_site,
    check_target,
    replace_with,
    staging_beside,
    write_pages,
)
from generator.public import PublicModel, build_public_model
from generator.public import as_of as public_as_of
from generator.render.pages import render_postmortems, render_site
from generator.render.public_pages import (
    ArchiveEntry,
    archive_entry,
    public_mkdocs_config,
    render_public_site,
    render_report,
    render_report_archive,
)
from generator.settings import Settings, load_settings
from generator.validate import CheckCache, KnowledgeBase, ValidationResult, validate_knowledge_base

RUNBOOK_MONTHS = runbooks.RUNBOOK_MONTHS


@dataclass(frozen=True)
class Loaded:
    model: KnowledgeBaseModel
    public: PublicModel  # projected from the records through the schemas' x-public marks
    settings: Settings
    findings: list[Finding]  # warnings only: errors raise


def load_knowledge_base(kb: KnowledgeBase, as_of: datetime, jobs: int = 1) -> Loaded:
    """Validated records as the internal and the public model; an invalid knowledge base raises with every finding."""
    with workers.collector_spared() as spare:
        result, settings = _validated(kb, as_of, jobs)
        spare()  # the records, while the models are built from them (see generate_internal)
        public = _public_model(result, as_of, settings)
        return Loaded(_internal_model(result), public, settings, result.findings)


def _validated(
    kb: KnowledgeBase, as_of: datetime, jobs: int, cache: GenerationCache | None = None
) -> tuple[ValidationResult, Settings]:
    if as_of.tzinfo is None:
        raise UsageError("the cut-off needs an explicit offset")
    settings = load_settings(kb.root)
    checks = cache.checks if cache is not None else None
    result = validate_knowledge_base(kb, today=as_of.date(), now=as_of, jobs=jobs, cache=checks)
    if has_errors(result.findings):
        raise InvalidRecordsError(result.findings)
    return result, settings


def _public_model(result: ValidationResult, as_of: datetime, settings: Settings) -> PublicModel:
    return public_as_of(build_public_model(result.incidents, result.services), as_of, settings.vocabulary)


def _internal_model(result: ValidationResult, cache: GenerationCache | None = None) -> KnowledgeBaseModel:
    if cache is None:
        return build_model(result.incidents, result.services)
    model = cache.model_of(result)
    cache.model = model
    return model


@dataclass(frozen=True)
class Generation:
    """What one generation of the internal site analysed: where `incidentkb serve`'s quick preview of an edit
    starts from (generator/preview.py), so that it shows what the next generation will make of the edit."""

    model: KnowledgeBaseModel
    analysis: InternalAnalysis
    cutoff: datetime
    settings: Settings
    report_months: list[tuple[int, int]]  # runbook availability reads the last RUNBOOK_MONTHS of them


# A month's report as a generation made it: (what it read, with the settings, or None where nothing is kept; its
# archive row; its pages).
KeptReport = tuple[tuple[ReportInputs, Settings] | None, ArchiveEntry, dict[str, str]]
KEPT = "kept"  # what a worker sends back for a month whose report reads what it read last time


class GenerationCache:
    """What `incidentkb serve` keeps between generations so that an edit to one record costs about one record's
    work: each file's checks (CheckCache: by its bytes), each record's Incident (by the record, which the check
    cache hands out unchanged while its file is), each incident's post-mortem pages (by that Incident and the
    cut-off), each month's report pages (by what the report reads: analyze/report.py ReportInputs, and the
    settings), and the last generation's analysis (Generation). The pages made are those generate_internal makes
    without a cache (tests/test_preview_incremental.py compares every file)."""

    def __init__(self) -> None:
        self.checks = CheckCache()
        self.model: KnowledgeBaseModel | None = None  # the last generation's internal model
        self.last: Generation | None = None  # the last generation that made every page
        self._incidents: dict[int, tuple[Record, Incident]] = {}  # id(record) -> (the record, kept alive; its model)
        self._postmortems: dict[int, tuple[Incident, datetime, dict[str, str]]] = {}  # id(incident) -> pages
        self.reports: dict[tuple[int, int], KeptReport] = {}  # (year, month) -> its report as last made

    def model_of(self, result: ValidationResult) -> KnowledgeBaseModel:
        """build_model(result.incidents, result.services), reusing the Incident of every record seen before."""
        incidents: dict[int, tuple[Record, Incident]] = {}
        for record in result.incidents:
            kept = self._incidents.get(id(record))
            if kept is None or kept[0] is not record:
                kept = (record, incident_from(record.data, record.path))
            incidents[id(record)] = kept
        self._incidents = incidents
        return KnowledgeBaseModel(
            incidents=tuple(sorted((incident for _, incident in incidents.values()), key=lambda i: i.sort_key)),
            services=build_model([], result.services).services,
        )

    def postmortems(self, incidents: Sequence[Incident], cutoff: datetime) -> tuple[dict[str, str], list[int]]:
        """The kept pages of the incidents unchanged since they were made at this cut-off, and the positions of the
        others."""
        pages: dict[str, str] = {}
        missing = []
        for position, incident in enumerate(incidents):
            kept = self._postmortems.get(id(incident))
            if kept is not None and kept[0] is incident and kept[1] == cutoff:
                pages.update(kept[2])
            else:
                missing.append(position)
        return pages, missing

    def keep_postmortems(self, incidents: Sequence[Incident], cutoff: datetime, made: Sequence[dict[str, str]]) -> None:
        """Remember the pages `made` for `incidents` (one dict each), forgetting incidents no longer in the model."""
        live = {id(i) for i in self.model.incidents} if self.model is not None else set()
        self._postmortems = {key: kept for key, kept in self._postmortems.items() if key in live}
        for incident, pages in zip(incidents, made, strict=True):
            self._postmortems[id(incident)] = (incident, cutoff, pages)


def monthly_reports(public: PublicModel, settings: Settings, as_of: datetime, jobs: int = 1) -> list[MonthlyReport]:
    """The report of every month from the first impact to the cut-off (at most the last `history_months` of the
    settings), on up to `jobs` CPUs."""
    started, _ = _start_reports(_monthly_report, public, settings, as_of, jobs)
    with started:
        return [r for r in started.results() if r is not None]


@dataclass(frozen=True)
class _ReportsShared:
    """What every month's report task reads (in the workers, by fork): the public model, the settings, the cut-off,
    the months, the model's availability windows, and the reports kept from the last generation (if kept at all)."""

    public: PublicModel
    settings: Settings
    as_of: datetime
    months: list[tuple[int, int]]
    windows: Sequence[MeasuredWindow]  # availability_windows(public): found once, not once per month
    kept: Mapping[tuple[int, int], KeptReport] | None  # None: nothing is kept (no GenerationCache)


def _start_reports(
    task: Callable[[_ReportsShared, tuple[int, int]], object],
    public: PublicModel,
    settings: Settings,
    as_of: datetime,
    jobs: int,
    kept: Mapping[tuple[int, int], KeptReport] | None = None,
) -> tuple[workers.Started, list[tuple[int, int]]]:
    """`task` for every report month, begun in workers while the caller goes on: task(shared, month); and the
    months."""
    months = report_months(public, as_of, settings.zone, settings.history_months)
    shared = _ReportsShared(public, settings, as_of, months, availability_windows(public), kept)
    return workers.Started(task, months, jobs, shared), months


def _monthly_report(shared: _ReportsShared, month: tuple[int, int]) -> MonthlyReport | None:
    inputs = _report_inputs(shared, month)
    return None if inputs is None else report_from(inputs)


def _report_inputs(shared: _ReportsShared, month: tuple[int, int]) -> ReportInputs | None:
    settings = shared.settings
    return report_inputs(
        shared.public,
        *month,
        zone=settings.zone,
        weights=settings.weights,
        cutoff=shared.as_of,
        model_windows=shared.windows,
    )


def _internal_report(shared: _ReportsShared, month: tuple[int, int]) -> KeptReport | str | None:
    """A month's report for the internal site, made and rendered in the worker: what it read, its archive row and
    its pages (only these travel back, not the report's daily figures); KEPT when it read what the kept report of
    the last generation read."""
    inputs = _report_inputs(shared, month)
    if inputs is None:
        return None
    key = (inputs, shared.settings)
    if shared.kept is not None and (kept := shared.kept.get(month)) is not None and kept[0] == key:
        return KEPT
    report = report_from(inputs)
    pages = render_report(report, company=shared.settings.company, incident_base="../incidents/", searchable=False)
    return (key if shared.kept is not None else None), archive_entry(report), pages  # what is read: only if kept


def runbook_availability(
    loaded: Loaded, months: list[tuple[int, int]], as_of: datetime
) -> dict[str, list[ServiceMonth]]:
    """Each service's availability in its most recent months (internal services included): analyze/runbooks.py."""
    return runbooks.recent_availability(
        loaded.model, months, cutoff=as_of, tz=loaded.settings.zone, weights=loaded.settings.weights
    )


def generate_internal(
    kb: KnowledgeBase, as_of: datetime, jobs: int = 1, cache: GenerationCache | None = None
) -> tuple[dict[str, str], list[Finding]]:
    """The internal site's generated pages, `{path: content}`, and the validation warnings. With `jobs` above 1
    the records are checked, and the post-mortems and monthly reports made, in that many forked workers. Work goes
    to the workers as soon as what it needs exists: the post-mortems (the most work in a large knowledge base) need
    only the internal model, the monthly reports only the public one. What is built is in use until the pages are
    rendered: spare() keeps it out of the cyclic collector's walks, where the entry point chose so (workers.py).
    With a `cache` (GenerationCache), what an earlier call made from the same files is reused."""
    with workers.collector_spared() as spare, ExitStack() as running:
        result, settings = _validated(kb, as_of, jobs, cache)  # load and check every record and the settings
        spare()
        model = _internal_model(result, cache)  # the internal model of the valid records
        spare()
        postmortems = start_postmortems(model, as_of, jobs, cache)  # the post-mortems begin in workers
        running.enter_context(postmortems)
        public = _public_model(result, as_of, settings)  # the public projection, as of the cut-off
        spare()
        kept = cache.reports if cache is not None else None
        started, months = _start_reports(_internal_report, public, settings, as_of, jobs, kept)
        reports = running.enter_context(started)  # the monthly reports begin too
        loaded = Loaded(model, public, settings, result.findings)
        pages, analysis, runbook_months = _internal_pages(loaded, as_of, postmortems)  # the rest, meanwhile
        made = _reports_made(months, reports.results(), cache)  # the monthly reports, with their archive rows
    for _, _, report_pages in made:
        pages.update(report_pages)
    pages.update(render_report_archive([entry for _, entry, _ in made]))  # the archive of every month
    if cache is not None:
        cache.last = Generation(model, analysis, as_of, settings, runbook_months)
    return dict(sorted(pages.items())), loaded.findings


def _reports_made(
    months: Sequence[tuple[int, int]], results: Sequence[KeptReport | str | None], cache: GenerationCache | None
) -> list[KeptReport]:
    """Each month's report as made, or as kept where the worker found it read what it read last time; the cache
    then keeps these."""
    made = []
    for month, result in zip(months, results, strict=True):
        if result is None:
            continue
        report = cache.reports[month] if result == KEPT and cache is not None else result
        assert not isinstance(report, str)
        made.append((month, report))
    if cache is not None:
        cache.reports = dict(made)
    return [report for _, report in made]


# Below this many incidents, forking workers costs more than it saves.
PARALLEL_MIN_INCIDENTS = 400
_CHUNK_INCIDENTS = 250


def start_postmortems(
    model: KnowledgeBaseModel, cutoff: datetime, jobs: int, cache: GenerationCache | None = None
) -> workers.Started | CachedPostmortems:
    """The post-mortem pages and charts of every incident, begun on up to `jobs` CPUs: a dict per chunk. With a
    `cache`, only those of the incidents it holds no pages of."""
    incidents = model.incidents
    if cache is not None:
        kept, missing = cache.postmortems(incidents, cutoff)
        return CachedPostmortems(cache, kept, [incidents[p] for p in missing], cutoff, jobs)
    jobs = jobs if len(incidents) >= PARALLEL_MIN_INCIDENTS else 1
    chunks = workers.chunks(len(incidents), _CHUNK_INCIDENTS)
    return workers.Started(_postmortem_chunk, chunks, jobs, (incidents, cutoff))


class CachedPostmortems:
    """start_postmortems with a cache: the kept pages, and the others made in workers (one dict per incident, so
    that each can be kept)."""

    def __init__(
        self, cache: GenerationCache, kept: dict[str, str], todo: list[Incident], cutoff: datetime, jobs: int
    ) -> None:
        self._cache, self._kept, self._todo, self._cutoff = cache, kept, todo, cutoff
        jobs = jobs if len(todo) >= PARALLEL_MIN_INCIDENTS else 1
        chunks = workers.chunks(len(todo), _CHUNK_INCIDENTS)
        self._started = workers.Started(_postmortem_pages, chunks, jobs, (todo, cutoff))

    def results(self) -> list[dict[str, str]]:
        made = [pages for part in self._started.results() for pages in part]
        self._cache.keep_postmortems(self._todo, self._cutoff, made)
        return [self._kept, *made]

    def __enter__(self) -> CachedPostmortems:
        return self

    def __exit__(self, *exc: object) -> None:
        self._started.__exit__(*exc)


def _postmortem_pages(shared: tuple[Sequence[Incident], datetime], chunk: range) -> list[dict[str, str]]:
    """_postmortem_chunk with the pages of each incident apart."""
    incidents, cutoff = shared
    return [render_postmortems([postmortem_facts(incidents[index], cutoff)], cutoff) for index in chunk]


def _postmortem_chunk(shared: tuple[Sequence[Incident], datetime], chunk: range) -> dict[str, str]:
    """A worker's share: each incident's facts found (analyze), then its page rendered (render)."""
    incidents, cutoff = shared
    return render_postmortems((postmortem_facts(incidents[index], cutoff) for index in chunk), cutoff)


def _internal_pages(
    loaded: Loaded, as_of: datetime, postmortems: workers.Started | CachedPostmortems
) -> tuple[dict[str, str], InternalAnalysis, list[tuple[int, int]]]:
    """Every internal page but the monthly reports, with the analysis and the report months it was made from;
    `postmortems` (begun in workers) makes the post-mortems."""
    months = report_months(loaded.public, as_of, loaded.settings.zone)
    availability = runbook_availability(loaded, months, as_of)  # each service's recent months, for its runbook
    analysis = analyze_internal(loaded.model, as_of.date(), availability)  # every other fact the pages show
    made = cast(workers.Started, postmortems)  # render_site only asks for its results(), as both give them
    return render_site(analysis, weights_by_level(loaded.settings), made), analysis, months  # sorted by path


def weights_by_level(settings: Settings) -> dict[str, float]:
    """The downtime weights, by impact level: printed under each runbook's availability."""
    weights = settings.weights
    return {
        "major_outage": weights.major_outage,
        "partial_outage": weights.partial_outage,
        "degraded_performance": weights.degraded_performance,
    }


PREVIEW_URL = "http://127.0.0.1:8000/"


def _with_site_url(settings: Settings, preview: bool) -> Settings:
    """The settings with the address the public site is published at. Without one, its feed, status.json,
    calendar and links would point at a made-up host, so only a local preview may go on (at PREVIEW_URL)."""
    if settings.site_url is not None:
        return settings
    if preview:
        return replace(settings, site_url=PREVIEW_URL)
    raise UsageError(
        f"{SETTINGS_FILE}: public.site_url is not set. The public site's feed, status.json, maintenance calendar"
        " and links need the address it is published at (e.g. site_url: https://status.example.com/); set it,"
        f" or build a local preview with --preview (links then point at {PREVIEW_URL})"
    )


def generate_public(
    kb: KnowledgeBase, as_of: datetime, jobs: int = 1, *, preview: bool = False
) -> tuple[dict[str, str], Settings, list[Finding]]:
    """The public site's whole docs folder, built from the public projection only."""
    with workers.collector_spared() as spare:  # as in generate_internal
        loaded = load_knowledge_base(kb, as_of, jobs)
        spare()
        public, settings = loaded.public, _with_site_url(loaded.settings, preview)
        return (
            render_public_site(public, monthly_reports(public, settings, as_of, jobs), settings, as_of),
            settings,
            loaded.findings,
        )


def build_public_site(pages: Mapping[str, str], settings: Settings, site_dir: Path, root: Path, jobs: int = 1) -> None:
    """Write the public docs folder and its own MkDocs configuration beside the site and build them."""
    site_dir = check_site_dir(site_dir, root)
    with staging_beside(site_dir, "docs") as scratch:
        try:
            docs = scratch / "docs"
            write_pages(pages, docs)
            config_file = scratch / "mkdocs.yml"
            config_file.write_text(public_mkdocs_config(settings, str(docs), str(site_dir)), encoding="utf-8")
            build_with_mkdocs(config_file, site_dir, None, root, jobs)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def check_site_dir(site_dir: Path, root: Path, docs_dir: Path | None = None) -> Path:
    """The site folder as an absolute path, if a build may replace it (see generator/output.py); else UsageError."""
    site_dir = check_target(site_dir, root, option="--site-dir", extra_sources=[docs_dir] if docs_dir else [])
    check_replaceable_site(site_dir, option="--site-dir")
    return site_dir


@runtime_checkable
class PagesPlugin(Protocol):
    """What build_with_mkdocs hands the generated pages to: the incidentkb plugin (generator/plugin.py)."""

    def use_pages(self, pages: Mapping[str, str]) -> None: ...


def build_with_mkdocs(
    config_file: Path, site_dir: Path, pages: Mapping[str, str] | None, root: Path, jobs: int = 1
) -> None:
    """Run `mkdocs build --strict` into `site_dir`, atomically, on up to `jobs` CPUs; `pages` go to the incidentkb
    plugin if given. The site folder must be the build's own (check_site_dir)."""
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, ConfigurationError, MkDocsException

    from generator.parallel_build import build

    site_dir = check_site_dir(site_dir, root)
    existed = site_dir.exists()
    with staging_beside(site_dir, "building") as staging:
        try:
            config = load_config(str(config_file), strict=True, site_dir=str(staging))
            check_site_dir(site_dir, root, Path(config.docs_dir))
            if pages is not None:
                plugin = config.plugins.get("incidentkb")
                if not isinstance(plugin, PagesPlugin):
                    raise BuildError(f"{config_file}: the 'incidentkb' plugin is not listed under plugins")
                plugin.use_pages(pages)
            build(config, jobs)
        except (Abort, ConfigurationError, MkDocsException) as exc:
            kept = "the previous site is untouched" if existed else "no site was written"
            raise BuildError(f"MkDocs build failed ({config_file}): {exc}; {kept}") from None
        (staging / SITE_MARKER).write_text("A site built by incidentkb; a later build replaces this folder.\n")
        replace_with(staging, site_dir)  # inside: a stop signal before the swap still removes the staging folder
