"""The public site as `{path: content}`: monthly reports, incident histories, the Atom feed and status.json.

Rendered from the PublicModel only. The report pages are shared with the internal site, so both show the
same numbers.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, PackageLoader, StrictUndefined

from generator.analyze.report import MonthlyReport, ReportIncident
from generator.analyze.status import CurrentStatus, current_status, impact_end
from generator.config import Settings
from generator.public import PublicIncident, PublicModel, PublicUpdate
from generator.render import charts
from generator.render.markdown import markdown_environment, svg_environment

RECENT_COUNT = 10
# The public site's MkDocs hooks (they HTML-escape the site name): a file beside its mkdocs.yml template.
PUBLIC_HOOKS = Path(__file__).resolve().parent.parent / "templates" / "public" / "hooks.py"


def month_name(report: MonthlyReport) -> str:
    return report.first_day.strftime("%B %Y")


def lede(report: MonthlyReport, company: str) -> str:
    count = len(report.incidents) + len(report.without_downtime)
    when = f"So far in {month_name(report)}" if not report.complete else f"In {month_name(report)}"
    subject = "we" if company == "We" else company
    what = "no incidents" if count == 0 else ("1 incident" if count == 1 else f"{count} incidents")
    tense = "had" if report.complete else ("have had" if subject == "we" else "has had")
    return f"{when} {subject} {tense} {what} that affected customers."


def render_reports(
    reports: list[MonthlyReport],
    *,
    company: str,
    incident_base: str,
    chart_base: str = "../",
    searchable: bool = True,
) -> dict[str, str]:
    """`reports/<month>.md`, their uptime charts and `reports/index.md`.

    Not `searchable` on the internal site: there a report restates the summaries of post-mortems that are
    indexed themselves, so indexing it would double every hit and half the search index.
    """
    pages: dict[str, str] = {}
    for report in reports:
        pages.update(
            render_report(
                report, company=company, incident_base=incident_base, chart_base=chart_base, searchable=searchable
            )
        )
    pages.update(render_report_archive([archive_entry(r) for r in reports]))
    return pages


def render_report(
    report: MonthlyReport, *, company: str, incident_base: str, chart_base: str = "../", searchable: bool = True
) -> dict[str, str]:
    """One month's `reports/<month>.md` and its uptime charts (see render_reports)."""
    pages: dict[str, str] = {}
    chart_paths = {}
    for s in report.services:
        path = f"assets/charts/uptime-{s.service.id}-{report.month}.svg"
        pages[path] = charts.uptime_bars(
            f"Uptime of {s.service.name}, 90 days to {s.days[-1].day.isoformat()}",
            [
                (d.day.isoformat(), d.downtime_minutes, d.worst_level, d.maintenance_minutes, d.length_minutes)
                for d in s.days
            ],
        )
        chart_paths[s.service.id] = chart_base + path
    pages[f"reports/{report.month}.md"] = (
        markdown_environment()
        .get_template("public/report.md.j2")
        .render(
            report=report,
            month_name=month_name(report),
            lede=lede(report, company),
            charts=chart_paths,
            incident_base=incident_base,
            searchable=searchable,
        )
    )
    return pages


@dataclass(frozen=True)
class ArchiveEntry:
    """A report's row in the archive: all the archive needs, so that a worker can send this back, not the report
    with its thousands of daily figures."""

    month: str  # YYYY-MM
    name: str
    complete: bool
    incidents: int
    lowest_availability: float  # of its services


def archive_entry(report: MonthlyReport) -> ArchiveEntry:
    return ArchiveEntry(
        month=report.month,
        name=month_name(report),
        complete=report.complete,
        incidents=len(report.incidents),
        lowest_availability=report.lowest_availability,
    )


def render_report_archive(entries: list[ArchiveEntry]) -> dict[str, str]:
    """`reports/index.md`: every month, newest first, with its lowest service availability."""
    newest_first = sorted(entries, key=lambda e: e.month, reverse=True)
    return {
        "reports/index.md": markdown_environment().get_template("public/archive.md.j2").render(reports=newest_first)
    }


@dataclass(frozen=True)
class FeedEntry:
    incident: PublicIncident
    update: PublicUpdate
    number: int
    at: str


def render_public_site(
    model: PublicModel, reports: list[MonthlyReport], settings: Settings, cutoff: datetime
) -> dict[str, str]:
    """Every file of the public site's docs folder."""
    env = markdown_environment()
    zone = settings.zone
    pages = render_reports(reports, company=settings.company, incident_base="../history/")
    status = current_status(model)
    newest_first = sorted(model.incidents, key=lambda i: (i.first_impact, i.id), reverse=True)
    local = _localised(model, zone)
    pages["index.md"] = env.get_template("public/home.md.j2").render(
        settings=settings,
        ongoing=[local[i.id] for i in status.ongoing],
        status=status,
        recent=[local[i.id] for i in newest_first[:RECENT_COUNT]],
    )
    names = {s.id: s.name for s in model.services}
    pages["history/index.md"] = env.get_template("public/history-index.md.j2").render(
        incidents=[(local[i.id], ", ".join(names[s] for s in i.services)) for i in newest_first]
    )
    for incident in model.incidents:
        shown = local[incident.id]
        pages[f"history/{incident.id}.md"] = env.get_template("public/history.md.j2").render(
            incident=shown,
            names=", ".join(names[s] for s in incident.services),
            windows=[(w, names[w.service]) for w in shown.impact],
        )
    pages["feed.xml"] = _feed(model, settings, cutoff)
    pages["status.json"] = json.dumps(_status(status, newest_first, settings, cutoff), indent=2) + "\n"
    return dict(sorted(pages.items()))


def _localised(model: PublicModel, zone: tzinfo) -> dict[str, PublicIncident]:
    """Incidents with every time converted to the report's time zone, for display."""
    from dataclasses import replace

    def to_zone(moment: datetime | None) -> datetime | None:
        return moment.astimezone(zone) if moment else None

    return {
        i.id: replace(
            i,
            started_at=to_zone(i.started_at),
            resolved_at=to_zone(i.resolved_at),
            impact=tuple(replace(w, start=w.start.astimezone(zone), end=to_zone(w.end)) for w in i.impact),
            updates=tuple(replace(u, at=u.at.astimezone(zone)) for u in i.updates),
            other_impact=tuple(replace(o, start=to_zone(o.start), end=to_zone(o.end)) for o in i.other_impact),
        )
        for i in model.incidents
    }


def _feed(model: PublicModel, settings: Settings, cutoff: datetime) -> str:
    entries = [
        FeedEntry(incident, update, number, update.at.isoformat())
        for incident in model.incidents
        for number, update in enumerate(incident.updates, start=1)
    ]
    entries.sort(key=lambda e: (e.update.at, e.incident.id, e.number), reverse=True)
    updated = entries[0].at if entries else cutoff.isoformat()
    return (
        svg_environment().get_template("public/feed.xml.j2").render(settings=settings, entries=entries, updated=updated)
    )


def _status(
    status: CurrentStatus,
    newest_first: list[PublicIncident],
    settings: Settings,
    cutoff: datetime,
) -> dict[str, Any]:
    def incident_json(i: PublicIncident) -> dict[str, Any]:
        last = i.updates[-1] if i.updates else None
        end = impact_end(i)
        return {
            "id": i.id,
            "title": i.title,
            "status": i.status,
            "kind": i.kind,
            "start": i.first_impact.isoformat() if i.first_impact else None,
            "end": end.isoformat() if end else None,
            "services": list(i.services),
            "url": f"{settings.site_url}history/{i.id}/",
            "last_update": {"at": last.at.isoformat(), "status": last.status, "message": last.message}
            if last
            else None,
        }

    return {
        "as_of": cutoff.isoformat(),
        "status": status.worst or "operational",
        "services": [
            {"id": s.service.id, "name": s.service.name, "status": s.level or "operational"} for s in status.services
        ],
        "ongoing": [incident_json(i) for i in status.ongoing],
        "recent": [incident_json(i) for i in newest_first[:RECENT_COUNT]],
    }


def public_mkdocs_config(settings: Settings, docs_dir: str, site_dir: str) -> str:
    """The public site's mkdocs.yml. Every value from the settings is a double-quoted YAML scalar that reads back
    exactly as written; the site name is HTML-escaped by the hook module beside the template (hooks.py)."""
    env = Environment(loader=PackageLoader("generator", "templates"), undefined=StrictUndefined, autoescape=False)
    quoted = {
        key: yaml_string(value)
        for key, value in {
            "site_name": settings.site_name,
            "site_url": settings.site_url,
            "docs_dir": docs_dir,
            "site_dir": site_dir,
            "hooks": str(PUBLIC_HOOKS),
        }.items()
    }
    return env.get_template("public/mkdocs.yml.j2").render(**quoted)


def yaml_string(value: str) -> str:
    """`value` as a double-quoted YAML scalar on one line: everything but printable ASCII is an escape (JSON's
    `\\ud83d\\ude00` for an emoji would read back as two lone surrogates), so nothing can end the scalar, begin a
    tag such as `!ENV`, or start another key."""
    return yaml.safe_dump(value, default_style='"', allow_unicode=False, width=sys.maxsize).removesuffix("\n")


__all__ = [
    "ReportIncident",
    "archive_entry",
    "public_mkdocs_config",
    "render_public_site",
    "render_report",
    "render_report_archive",
    "render_reports",
    "yaml_string",
]
