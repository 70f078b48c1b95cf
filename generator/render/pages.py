"""The internal site as `{path: content}`: one post-mortem per incident, one runbook per service, the indexes.

Plain Python returning Markdown and SVG, so the same output can be written to disk (`incidentkb generate`),
handed to MkDocs by the plugin, or published by another engine that reads mkdocs.yml.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from generator import workers
from generator.analyze import lessons, metrics, runbooks
from generator.model import Incident, KnowledgeBaseModel, parse_time
from generator.render import charts
from generator.render.markdown import Trusted, markdown_environment

CHART_DIR = "assets/charts"
RECENT_COUNT = 10


@dataclass(frozen=True)
class SiteInputs:
    """What the pages are rendered from: the model, the analyses that need outside facts, and the date."""

    model: KnowledgeBaseModel
    today: date
    cutoff: datetime  # ongoing impact is drawn up to here
    availability: Mapping[str, Sequence[object]] = field(default_factory=dict)  # service id -> recent months
    weights: Mapping[str, float] = field(default_factory=dict)
    jobs: int = 1  # processes that render the post-mortems of a large knowledge base


def anchor(text: str) -> Trusted:
    return Trusted(re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x")


def render_internal(inputs: SiteInputs, postmortems: workers.Started | None = None) -> dict[str, str]:
    """Every generated page and chart of the internal site, sorted by path. The post-mortems may have been begun
    already (start_postmortems); else they are begun here, and the other pages render while they are made."""
    env = markdown_environment()
    model = inputs.model
    pages: dict[str, str] = {}
    if postmortems is None:
        postmortems = start_postmortems(model, inputs.cutoff, inputs.jobs)
    with postmortems:
        ongoing = [i for i in model.incidents if i.ongoing and i.kind != "maintenance"]
        tracker = lessons.action_tracker(model, inputs.today)
        views = lessons.index_views(model, inputs.today)
        pages.update(_other_pages(env, inputs, ongoing, tracker, views))
        for part in postmortems.results():
            pages.update(part)
    return dict(sorted(pages.items()))


def _other_pages(  # type: ignore[no-untyped-def]
    env, inputs: SiteInputs, ongoing: list[Incident], tracker: lessons.ActionTracker, views: Sequence[lessons.IndexView]
) -> dict[str, str]:
    """Every page but the post-mortems: runbooks, incident lists, lessons, action items, metrics, home."""
    model = inputs.model
    pages: dict[str, str] = {}
    for service in model.services:
        pages[f"runbooks/{service.id}.md"] = env.get_template("site/runbook.md.j2").render(
            service=service,
            ongoing=[i for i in ongoing if service.id in i.services],
            blast_radius=runbooks.dependents_of(model, service.id),
            suite=runbooks.smoke_suite(model, service.id),
            failure_modes=runbooks.failure_modes(model, service.id),
            open_items=runbooks.open_action_items(model, service.id),
            availability=inputs.availability.get(service.id, ()),
            weights=inputs.weights,
        )
    counts = Counter(s for i in model.incidents for s in i.services)
    pages["runbooks/index.md"] = env.get_template("site/runbooks-index.md.j2").render(
        services=[(s, counts[s.id]) for s in model.services]
    )

    pages.update(_incident_indexes(env, model, ongoing))

    pages.update(_lessons(env, model, views))
    pages["actions.md"] = env.get_template("site/actions.md.j2").render(
        tracker=tracker, today=inputs.today, recently_closed_days=lessons.RECENTLY_CLOSED_DAYS
    )
    pages.update(_metrics(env, model))
    recent = sorted(model.incidents, key=lambda i: i.sort_key, reverse=True)[:RECENT_COUNT]
    pages["index.md"] = env.get_template("site/home.md.j2").render(
        ongoing=ongoing, recent=recent, overdue=tracker.overdue
    )
    return pages


# Below this many incidents, forking workers costs more than it saves.
PARALLEL_MIN_INCIDENTS = 400
_CHUNK_INCIDENTS = 250


def start_postmortems(model: KnowledgeBaseModel, cutoff: datetime, jobs: int) -> workers.Started:
    """The post-mortem pages and charts of every incident, begun on up to `jobs` CPUs: a dict per chunk."""
    incidents = model.incidents
    jobs = jobs if len(incidents) >= PARALLEL_MIN_INCIDENTS else 1
    shared = (markdown_environment(), incidents, cutoff)
    return workers.Started(_postmortem_chunk, workers.chunks(len(incidents), _CHUNK_INCIDENTS), jobs, shared)


def _postmortem_chunk(chunk: range) -> dict[str, str]:
    env, incidents, cutoff = workers.shared()
    pages: dict[str, str] = {}
    for index in chunk:
        pages.update(_postmortem(env, incidents[index], cutoff))
    return pages


def _postmortem(env, incident: Incident, cutoff: datetime) -> dict[str, str]:  # type: ignore[no-untyped-def]
    pages: dict[str, str] = {}
    timeline_svg = charts.phase_timeline(incident, cutoff)
    fishbone_svg = charts.fishbone(incident)
    if timeline_svg:
        pages[f"{CHART_DIR}/{incident.id}-timeline.svg"] = timeline_svg
    if fishbone_svg:
        pages[f"{CHART_DIR}/{incident.id}-fishbone.svg"] = fishbone_svg
    record = incident.record
    fix = record.get("fix") or {}
    pages[f"incidents/{incident.id}.md"] = env.get_template("site/postmortem.md.j2").render(
        incident=incident,
        durations=metrics.durations(incident),
        window_minutes=[metrics.minutes_between(w.start, w.end or cutoff) for w in incident.impact],
        containment_minutes=[metrics.minutes_between(c.applied_at, c.removed_at) for c in incident.containment],
        still_in_place=sum(1 for c in incident.containment if c.removed_at is None),
        parsed_changes=[parse_time(c.get("at")) for c in record.get("changes") or ()],
        deployed_at=parse_time(fix.get("deployed_at")),
        verified_at=parse_time((record.get("verification") or {}).get("verified_at")),
        introduced_at=incident.introduced_at,
        defect_age_days=(
            (incident.started_at - incident.introduced_at).total_seconds() / 86400
            if incident.started_at and incident.introduced_at
            else None
        ),
        tag_pages={t: "../lessons/" + group_page("by-tag", t) for t in incident.tags},
        timeline_chart=f"../{CHART_DIR}/{incident.id}-timeline.svg" if timeline_svg else None,
        fishbone_chart=f"../{CHART_DIR}/{incident.id}-fishbone.svg" if fishbone_svg else None,
    )
    return pages


def _lessons(env, model: KnowledgeBaseModel, views: Sequence[lessons.IndexView]) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The lessons-learned index, the near misses, a summary page per view and a page per group."""
    near_misses = lessons.near_misses(model)
    pages = {
        "lessons/index.md": env.get_template("site/lessons-index.md.j2").render(
            patterns=lessons.recurring_patterns(model), near_misses=near_misses, views=views
        ),
        "lessons/near-misses.md": env.get_template("site/lessons-near-misses.md.j2").render(near_misses=near_misses),
    }
    group_template = env.get_template("site/lessons-group.md.j2")
    for view in views:
        group_pages = {g.key: group_page(view.slug, g.key) for g in view.groups}
        pages[f"lessons/{view.slug}.md"] = env.get_template("site/lessons-view.md.j2").render(
            view=view, group_pages=group_pages
        )
        if view.slug in GROUPS_LISTED_ELSEWHERE:
            continue
        for group, summary in zip(view.groups, view.summaries, strict=True):
            pages["lessons/" + group_pages[group.key]] = group_template.render(view=view, group=group, summary=summary)
    return pages


# A service's incidents are listed, with their triggers and containment, under its runbook's known failure modes.
GROUPS_LISTED_ELSEWHERE = {"by-service": "../runbooks/{key}.md#known-failure-modes"}


_SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")


def group_page(view_slug: str, key: str) -> str:
    """Where a lessons view lists the incidents of one of its groups, relative to the lessons folder."""
    if view_slug in GROUPS_LISTED_ELSEWHERE:
        return GROUPS_LISTED_ELSEWHERE[view_slug].format(key=key)
    name = key if _SLUG.fullmatch(key) else anchor(key)  # tags are slugs already; anchor() would merge "a--b" and "a-b"
    # A page named index.md would be its folder's page, the view's own URL: "_" is in no other name.
    return f"{view_slug}/{name}_.md" if name == "index" else f"{view_slug}/{name}.md"


def _month_of(incident: Incident) -> str:
    return incident.started_at.strftime("%Y-%m") if incident.started_at else "unknown"


def _incident_indexes(env, model: KnowledgeBaseModel, ongoing: list[Incident]) -> dict[str, str]:  # type: ignore[no-untyped-def]
    by_month: dict[str, list[Incident]] = {}
    for incident in model.incidents:
        by_month.setdefault(_month_of(incident), []).append(incident)
    months = sorted(by_month, reverse=True)
    pages = {
        f"incidents/{month}.md": env.get_template("site/incidents-month.md.j2").render(
            month=month, incidents=by_month[month]
        )
        for month in months
    }
    pages["incidents/index.md"] = env.get_template("site/incidents-index.md.j2").render(
        ongoing=ongoing, months=[(m, Counter(i.kind for i in by_month[m])) for m in months]
    )
    return pages


def _metrics(env, model: KnowledgeBaseModel) -> dict[str, str]:  # type: ignore[no-untyped-def]
    severity_rows = metrics.by_severity(model.incidents)
    counts = metrics.counts_by_month(model.incidents)
    ages = metrics.defect_ages(model.incidents)
    mitigate = [
        (row.group, row.metrics["time_to_mitigate"].median or 0.0, f"{row.metrics['time_to_mitigate'].median or 0:.0f}")
        for row in severity_rows
    ]
    per_month = [(c.month, float(c.by_kind.get("incident", 0)), str(c.by_kind.get("incident", 0))) for c in counts]
    return {
        f"{CHART_DIR}/metrics-mitigate-by-severity.svg": charts.bar_chart(
            "Median time to mitigate by severity", "Median minutes from start to mitigation", mitigate, unit="minutes"
        ),
        f"{CHART_DIR}/metrics-incidents-per-month.svg": charts.bar_chart(
            "Incidents per month", "Unplanned incidents started in each month", per_month, unit="incidents"
        ),
        "metrics.md": env.get_template("site/metrics.md.j2").render(
            tables=[("By severity", severity_rows), ("By quarter", metrics.by_quarter(model.incidents))],
            phase_metrics=metrics.PHASE_METRICS,
            counts=counts,
            ages=ages,
            median_age=metrics.percentile([a.days for a in ages], 50) if ages else None,
            regression=metrics.regression_share(model.incidents),
        ),
    }
