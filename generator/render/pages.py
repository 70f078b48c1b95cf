"""The internal site as `{path: content}`: one post-mortem per incident, one runbook per service, the indexes.

Plain Python returning Markdown and SVG, so the same output can be written to disk (`incidentkb generate`),
handed to MkDocs by the plugin, or published by another engine that reads mkdocs.yml. The pages are rendered from
typed analyses (analyze/internal.py for the site, analyze/postmortems.py per incident): render computes nothing,
it names the pages, links them and hands the facts to the templates.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from generator import workers
from generator.analyze import lessons, metrics, postmortems
from generator.analyze.internal import UNKNOWN_MONTH, IncidentMonth, InternalAnalysis
from generator.render import charts
from generator.render.markdown import Trusted, markdown_environment

CHART_DIR = "assets/charts"


def anchor(text: str) -> Trusted:
    return Trusted(re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x")


def render_site(
    analysis: InternalAnalysis, weights: Mapping[str, float], postmortems: workers.Started
) -> dict[str, str]:
    """Every page and chart of the internal site, sorted by path: the analysis rendered, and the post-mortems that
    `postmortems` (start_postmortems) makes meanwhile."""
    pages = render_analysis(analysis, weights)
    for part in postmortems.results():
        pages.update(part)
    return dict(sorted(pages.items()))


def render_analysis(
    analysis: InternalAnalysis, weights: Mapping[str, float], only: Container[str] | None = None
) -> dict[str, str]:
    """Every page but the post-mortems: runbooks, incident lists, lessons, action items, metrics, home. With
    `only`, just the pages of those paths (the metrics page with its charts): what `incidentkb serve` shows of an
    edit before the whole site is generated again (generator/preview.py)."""
    wanted: Callable[[str], bool] = (lambda _: True) if only is None else only.__contains__
    env = markdown_environment()
    pages: dict[str, str] = {}
    for book in analysis.runbooks:
        if wanted(path := f"runbooks/{book.service.id}.md"):
            pages[path] = env.get_template("site/runbook.md.j2").render(
                service=book.service, book=book, weights=weights
            )
    if wanted("runbooks/index.md"):
        pages["runbooks/index.md"] = env.get_template("site/runbooks-index.md.j2").render(runbooks=analysis.runbooks)
    pages.update(_incident_indexes(env, analysis, wanted))
    pages.update(_lessons(env, analysis, wanted))
    if wanted("actions.md"):
        pages["actions.md"] = env.get_template("site/actions.md.j2").render(
            tracker=analysis.tracker, today=analysis.today, recently_closed_days=lessons.RECENTLY_CLOSED_DAYS
        )
    if wanted("metrics.md"):
        pages.update(_metrics(env, analysis.metrics))
    if wanted("index.md"):
        pages["index.md"] = env.get_template("site/home.md.j2").render(
            ongoing=analysis.ongoing, recent=analysis.recent, overdue=analysis.tracker.overdue
        )
    return pages


def render_postmortems(facts: Iterable[postmortems.PostmortemFacts], cutoff: datetime) -> dict[str, str]:
    """The post-mortem page and charts of each incident, from its facts (analyze/postmortems.py)."""
    env = markdown_environment()
    pages: dict[str, str] = {}
    for one in facts:
        pages.update(_postmortem(env, one, cutoff))
    return pages


def _postmortem(env, facts: postmortems.PostmortemFacts, cutoff: datetime) -> dict[str, str]:  # type: ignore[no-untyped-def]
    incident = facts.incident
    pages: dict[str, str] = {}
    timeline_chart = _chart_file(pages, f"{incident.id}-timeline", charts.phase_timeline(incident, cutoff))
    fishbone_chart = _chart_file(
        pages, f"{incident.id}-fishbone", charts.fishbone(incident, facts.contributing_factors)
    )
    pages[f"incidents/{incident.id}.md"] = env.get_template("site/postmortem.md.j2").render(
        incident=incident,
        facts=facts,
        tag_pages={t: "../lessons/" + group_page("by-tag", t) for t in incident.tags},
        timeline_chart=timeline_chart,
        fishbone_chart=fishbone_chart,
        cutoff=cutoff,  # what an ongoing incident's missing times are "as of"
    )
    return pages


@dataclass(frozen=True)
class ChartFile:
    """How a page shows a chart (templates/site/_charts.md.j2): its file's path from the page's Markdown (for the
    <img>, which MkDocs checks and rewrites), the same path from the built page (for the <picture>'s <source>,
    raw HTML, which MkDocs leaves as written: with directory URLs a page x.md is served as x/, a folder deeper),
    and the file's views by name."""

    src: Trusted
    page_src: Trusted
    views: Mapping[str, charts.View]


def _chart_file(pages: dict[str, str], name: str, chart: charts.Chart | None, prefix: str = "../") -> ChartFile | None:
    """A chart into `pages` as one file, {name}.svg, holding all its layouts; None when there is nothing to draw."""
    if chart is None:
        return None
    file = f"{CHART_DIR}/{name}.svg"
    pages[file] = chart.svg
    src = prefix + quote(file)
    return ChartFile(Trusted(src), Trusted("../" + src), {view.name: view for view in chart.views})


def _lessons(env, analysis: InternalAnalysis, wanted: Callable[[str], bool]) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The lessons-learned index, the near misses, a summary page per view and a page per group (those wanted)."""
    pages = {}
    if wanted("lessons/index.md"):
        pages["lessons/index.md"] = env.get_template("site/lessons-index.md.j2").render(
            patterns=analysis.patterns, near_misses=analysis.near_misses, views=analysis.views
        )
    if wanted("lessons/near-misses.md"):
        pages["lessons/near-misses.md"] = env.get_template("site/lessons-near-misses.md.j2").render(
            near_misses=analysis.near_misses
        )
    group_template = env.get_template("site/lessons-group.md.j2")
    for view in analysis.views:
        group_pages = {g.group.key: group_page(view.slug, g.group.key) for g in view.groups}
        if wanted(f"lessons/{view.slug}.md"):
            pages[f"lessons/{view.slug}.md"] = env.get_template("site/lessons-view.md.j2").render(
                view=view, group_pages=group_pages
            )
        if view.slug in GROUPS_LISTED_ELSEWHERE:
            continue
        for g in view.groups:
            if wanted(path := "lessons/" + group_pages[g.group.key]):
                pages[path] = group_template.render(view=view, group=g.group, summary=g.summary)
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


def _incident_indexes(env, analysis: InternalAnalysis, wanted: Callable[[str], bool]) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The incidents index, which links every month, and a page per month listing its incidents (those wanted):
    every post-mortem is reachable from the index (tests/test_site_content.py follows the links)."""
    months = analysis.months  # newest first
    pages = month_pages(months, wanted)
    if wanted("incidents/index.md"):
        pages["incidents/index.md"] = env.get_template("site/incidents-index.md.j2").render(
            ongoing=analysis.ongoing, months=months, kinds=analysis.kinds, unknown_month=UNKNOWN_MONTH
        )
    return pages


def month_pages(months: Sequence[IncidentMonth], wanted: Callable[[str], bool]) -> dict[str, str]:
    """The page of each month (newest first, analyze/internal.py incident_months) whose path is wanted, linking the
    months before and after it."""
    template = markdown_environment().get_template("site/incidents-month.md.j2")
    return {
        path: template.render(
            month=m.month,
            incidents=m.incidents,
            newer=months[index - 1].month if index > 0 else None,
            older=months[index + 1].month if index + 1 < len(months) else None,
            unknown_month=UNKNOWN_MONTH,
        )
        for index, m in enumerate(months)
        if wanted(path := f"incidents/{m.month}.md")
    }


def _metrics(env, facts: metrics.MetricsAnalysis) -> dict[str, str]:  # type: ignore[no-untyped-def]
    pages: dict[str, str] = {}
    detect = _durations(facts.detect_by_severity)
    mitigate = _durations(facts.mitigate_by_severity)
    months = [(bar.label, round(bar.value)) for bar in facts.incidents_per_month]
    chart_paths = {
        "detect": _chart_file(
            pages, "metrics-detect-by-severity", charts.duration_chart("Time to detect by severity", detect), ""
        ),
        "mitigate": _chart_file(
            pages, "metrics-mitigate-by-severity", charts.duration_chart("Time to mitigate by severity", mitigate), ""
        ),
        "per_month": _chart_file(
            pages, "metrics-incidents-per-month", charts.count_chart("Incidents per month", months), ""
        ),
    }
    pages["metrics.md"] = env.get_template("site/metrics.md.j2").render(
        facts=facts, phase_metrics=metrics.PHASE_METRICS, charts=chart_paths, p90_minimum=metrics.P90_MIN_INCIDENTS
    )
    return pages


def _durations(series: Sequence[tuple[str, metrics.Summary]]) -> list[charts.DurationRow]:
    """A severity series as duration_chart draws it: each group's median and p90 and how many incidents."""
    return [charts.DurationRow(group, s.count, s.median, s.p90, s.p90_minimum) for group, s in series]
