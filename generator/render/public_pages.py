"""The public site as `{path: content}`: monthly reports, incident histories, the Atom feed and status.json.

Rendered from the PublicModel only. The report pages are shared with the internal site, so both show the
same numbers.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from jinja2 import PackageLoader, StrictUndefined

from generator.analyze.report import MonthlyReport, ReportIncident, availability_windows
from generator.analyze.status import (
    CurrentStatus,
    current_status,
    impact_end,
    maintenance_services,
    maintenance_state,
    overdue_update,
)
from generator.analyze.uptime import UptimeStrip, recent_strip
from generator.config import Settings
from generator.model import utc_timestamp
from generator.public import PublicIncident, PublicMaintenance, PublicModel, PublicService, PublicUpdate
from generator.render.i18n import (
    ENGLISH,
    capital_word,
    config_environment,
    feed_wording,
    month_and_year,
    page_environment,
    report_lede,
)
from generator.render.statuspage_api import api_files

RECENT_COUNT = 10
# The public site's MkDocs hooks (they HTML-escape the site name): a file beside its mkdocs.yml template.
PUBLIC_HOOKS = Path(__file__).resolve().parent.parent / "templates" / "public" / "hooks.py"


def month_name(report: MonthlyReport, language: str = ENGLISH) -> str:
    return month_and_year(report.first_day, language)


def lede(report: MonthlyReport, company: str, language: str = ENGLISH) -> str:
    """The report's first sentence: In October 2026 we had 2 incidents that affected customers."""
    count = len(report.incidents) + len(report.without_downtime)
    return report_lede(month_name(report, language), count, company, report.complete, language)


def render_reports(
    reports: list[MonthlyReport],
    *,
    company: str,
    incident_base: str,
    searchable: bool = True,
    language: str = ENGLISH,
) -> dict[str, str]:
    """`reports/<month>.md` and `reports/index.md`, in `language` (the internal site's are English).

    Not `searchable` on the internal site: there a report restates the summaries of post-mortems that are
    indexed themselves, so indexing it would double every hit and half the search index.
    """
    pages: dict[str, str] = {}
    for report in reports:
        pages.update(
            render_report(
                report, company=company, incident_base=incident_base, searchable=searchable, language=language
            )
        )
    pages.update(render_report_archive([archive_entry(r, language) for r in reports], language))
    return pages


def render_report(
    report: MonthlyReport, *, company: str, incident_base: str, searchable: bool = True, language: str = ENGLISH
) -> dict[str, str]:
    """One month's `reports/<month>.md` (see render_reports); its 90-day strips are HTML in the page."""
    pages: dict[str, str] = {}
    pages[f"reports/{report.month}.md"] = (
        page_environment(language)
        .get_template("public/report.md.j2")
        .render(
            report=report,
            month_name=month_name(report, language),
            lede=lede(report, company, language),
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


def archive_entry(report: MonthlyReport, language: str = ENGLISH) -> ArchiveEntry:
    return ArchiveEntry(
        month=report.month,
        name=month_name(report, language),
        complete=report.complete,
        incidents=len(report.incidents),
        lowest_availability=report.lowest_availability,
    )


def render_report_archive(entries: list[ArchiveEntry], language: str = ENGLISH) -> dict[str, str]:
    """`reports/index.md`: every month, newest first, with its lowest service availability."""
    newest_first = sorted(entries, key=lambda e: e.month, reverse=True)
    template = page_environment(language).get_template("public/archive.md.j2")
    return {"reports/index.md": template.render(reports=newest_first)}


def render_public_site(
    model: PublicModel, reports: list[MonthlyReport], settings: Settings, cutoff: datetime
) -> dict[str, str]:
    """Every file of the public site's docs folder, its wording in the settings' language."""
    env = page_environment(settings.language)
    zone = settings.zone
    pages = render_reports(reports, company=settings.company, incident_base="../history/", language=settings.language)
    status = current_status(model, cutoff)
    newest_first = sorted(model.incidents, key=lambda i: (i.first_impact, i.id), reverse=True)
    local = _localised(model, zone)
    local_maintenance = {m.id: _localised_maintenance(m, zone) for m in model.maintenance}
    names = {s.id: s.name for s in model.services}
    windows = availability_windows(model)
    strips = [
        (s, recent_strip(s.id, windows, cutoff, tz=zone, weights=settings.weights, incidents=model.incidents))
        for s in model.services
    ]
    pages.update(badges(strips, status))
    pages["index.md"] = env.get_template("public/home.md.j2").render(
        strips=strips,
        settings=settings,
        built=cutoff.astimezone(zone),
        status=status,
        open=[
            (local[o.incident.id], _to(o.last_update, zone), _to(o.overdue_since, zone), _names(o.incident, names))
            for o in status.open
        ],
        in_progress=[(local_maintenance[m.id], _names(m, names)) for m in status.in_progress],
        upcoming=[(local_maintenance[m.id], _names(m, names)) for m in status.upcoming],
        recent=[local[i.id] for i in newest_first[:RECENT_COUNT]],
    )
    maintenance_pages = [m for m in model.maintenance if m.id not in local]  # the others have an incident page
    pages["history/index.md"] = env.get_template("public/history-index.md.j2").render(
        incidents=[(local[i.id], _names(i, names)) for i in newest_first],
        maintenance=[
            (local_maintenance[m.id], _names(m, names), maintenance_state(m, cutoff))
            for m in sorted(model.maintenance, key=lambda m: (m.start or cutoff, m.id), reverse=True)
        ],
    )
    for incident in model.incidents:
        shown = local[incident.id]
        pages[f"history/{incident.id}.md"] = env.get_template("public/history.md.j2").render(
            incident=shown,
            names=_names(incident, names),
            windows=[(w, names[w.service]) for w in shown.impact],
            overdue=_to(overdue_update(incident, cutoff), zone),
        )
    for item in maintenance_pages:
        pages[f"history/{item.id}.md"] = env.get_template("public/maintenance.md.j2").render(
            item=local_maintenance[item.id],
            names=_names(item, names),
            state=maintenance_state(item, cutoff),
            windows=[(w, names[w.service]) for w in local_maintenance[item.id].windows],
        )
    pages.update(feeds(model, settings, cutoff))
    pages["status.json"] = json.dumps(_status(status, newest_first, settings, cutoff), indent=2) + "\n"
    pages["maintenance.ics"] = maintenance_calendar(model.maintenance, settings, cutoff)
    pages.update(api_files(model, status, settings, cutoff))
    return dict(sorted(pages.items()))


def _names(item: PublicIncident | PublicMaintenance, names: dict[str, str]) -> str:
    return ", ".join(names[s] for s in item.services)


def _to(moment: datetime | None, zone: tzinfo) -> datetime | None:
    return moment.astimezone(zone) if moment else None


def _localised_maintenance(item: PublicMaintenance, zone: tzinfo) -> PublicMaintenance:
    from dataclasses import replace

    return replace(
        item,
        scheduled_start=_to(item.scheduled_start, zone),
        scheduled_end=_to(item.scheduled_end, zone),
        windows=tuple(replace(w, start=w.start.astimezone(zone), end=_to(w.end, zone)) for w in item.windows),
        updates=tuple(
            replace(u, at=u.at.astimezone(zone), next_update_at=_to(u.next_update_at, zone)) for u in item.updates
        ),
        resolved_at=_to(item.resolved_at, zone),
    )


def maintenance_calendar(items: tuple[PublicMaintenance, ...], settings: Settings, cutoff: datetime) -> str:
    """`maintenance.ics` (RFC 5545): one event per planned maintenance with a start, for calendar clients to
    subscribe to. UIDs come from the record ids, so an event stays the same event when it is rescheduled."""
    from icalendar import Calendar, Event

    wording = feed_wording(settings.language)
    calendar = Calendar()
    calendar.add("prodid", "-//incidentkb//maintenance//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", wording["calendar"] % {"site": settings.site_name})
    host = urlsplit(settings.public_url).hostname or "incidentkb"
    for item in items:
        start = item.start
        if start is None:
            continue
        end = item.end if item.end is not None and item.end > start else None
        event = Event()
        event.add("uid", f"{item.id.lower()}@{host}")
        event.add("dtstamp", cutoff.astimezone(UTC).replace(microsecond=0))
        event.add("dtstart", start.astimezone(UTC))
        if end is not None:
            event.add("dtend", end.astimezone(UTC))
        event.add("summary", item.title)
        if item.summary:
            event.add("description", item.summary)
        event.add("url", f"{settings.public_url}history/{item.id}/")
        event.add("status", "CONFIRMED")
        event.add("categories", [wording["category"]])
        calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")


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


BADGE_COLOURS = {  # shields.io's named colours, by status
    "operational": "brightgreen",
    "degraded_performance": "yellow",
    "partial_outage": "orange",
    "major_outage": "red",
    "under_maintenance": "blue",
}


def badges(strips: list[tuple[PublicService, UptimeStrip]], status: CurrentStatus) -> dict[str, str]:
    """badges/<service>.json: a shields.io endpoint badge per public service (its status now and its availability
    over the last 90 days), for a README or a dashboard: https://img.shields.io/endpoint?url=<site>badges/api.json"""
    now = {s.service.id: s.status for s in status.services}
    files = {}
    for service, strip in strips:
        state = now[service.id]
        words = state.replace("_", " ")
        shown = f"{words} · {strip.availability * 100:.2f}% (90 days)" if strip.availability is not None else words
        badge = {"schemaVersion": 1, "label": service.name, "message": shown, "color": BADGE_COLOURS[state]}
        files[f"badges/{service.id}.json"] = json.dumps(badge, ensure_ascii=False) + "\n"
    return files


FEED_ENTRIES = 50  # the newest updates in each feed: a reader polls, it does not download the whole history


def feeds(model: PublicModel, settings: Settings, cutoff: datetime) -> dict[str, str]:
    """Atom (feed.xml) and RSS 2.0 (rss.xml) of every public update, incidents and planned maintenance, and the
    same two per public service (feeds/<service>.xml, feeds/<service>.rss); written by feedgen. Each entry's id
    is a tag: URI of the record and the update's own time, so it never changes when other updates are added or
    history is edited."""
    items: list[PublicIncident | PublicMaintenance] = [*model.incidents]
    items += [m for m in model.maintenance if m.id not in {i.id for i in model.incidents}]
    entries = [(item, update) for item in items for update in item.updates]
    entries.sort(key=lambda e: (e[1].at, e[0].id), reverse=True)
    files = _feed_pair(entries, settings, cutoff, settings.site_name, "feed.xml", "rss.xml")
    for service in model.services:
        mine = [e for e in entries if service.id in e[0].services]
        title = f"{settings.site_name}: {service.name}"
        files |= _feed_pair(mine, settings, cutoff, title, f"feeds/{service.id}.xml", f"feeds/{service.id}.rss")
    return files


def _zulu(atom: str) -> str:
    """feedgen writes UTC as +00:00; machine outputs here write Z, as status.json does."""
    return re.sub(r"(<(?:updated|published)>[^<]*?)\+00:00<", r"\1Z<", atom)


def entry_id(settings: Settings, record_id: str, at: datetime) -> str:
    """tag:<host>,<the update's day>:<record id>/<the update's time> (RFC 4151): stable, unique, not a URL."""
    host = urlsplit(settings.public_url).hostname or "incidentkb"
    utc = at.astimezone(UTC)
    return f"tag:{host},{utc:%Y-%m-%d}:{record_id}/{utc:%Y%m%dT%H%M%SZ}"


def _feed_pair(
    entries: list[tuple[PublicIncident | PublicMaintenance, PublicUpdate]],
    settings: Settings,
    cutoff: datetime,
    title: str,
    atom_path: str,
    rss_path: str,
) -> dict[str, str]:
    from feedgen.feed import FeedGenerator

    base = settings.public_url
    wording = feed_wording(settings.language)
    feed = FeedGenerator()
    feed.id(base if atom_path == "feed.xml" else base + atom_path)
    feed.title(title)
    feed.subtitle(wording["subtitle"])
    feed.author({"name": settings.site_name})
    feed.link(href=base, rel="alternate")
    feed.link(href=base + atom_path, rel="self", type="application/atom+xml")
    feed.language(settings.language)
    newest = entries[:FEED_ENTRIES]
    feed.updated((newest[0][1].at if newest else cutoff).astimezone(UTC))
    for item, update in reversed(newest):  # feedgen lists the last added first
        entry = feed.add_entry()
        entry.id(entry_id(settings, item.id, update.at))
        entry.guid(entry_id(settings, item.id, update.at), permalink=False)
        entry.title(wording["entry"] % {"title": item.title, "status": _feed_status(update.status, settings.language)})
        entry.link(href=f"{base}history/{item.id}/", rel="alternate")
        entry.published(update.at.astimezone(UTC))
        entry.updated(update.at.astimezone(UTC))
        entry.description(update.message)
    atom = _zulu(feed.atom_str(pretty=True).decode("utf-8"))
    feed.link(href=base + rss_path, rel="self", type="application/rss+xml", replace=True)
    feed.description(wording["subtitle"])
    return {atom_path: atom, rss_path: feed.rss_str(pretty=True).decode("utf-8")}


def _feed_status(status: str, language: str) -> str:
    """An update's status in an entry's title: in English the value as written (in_progress), as the feeds have
    always had it and readers may filter on; in another language its words."""
    return status if language == ENGLISH else capital_word(status, language) or status


def _status(
    status: CurrentStatus,
    newest_first: list[PublicIncident],
    settings: Settings,
    cutoff: datetime,
) -> dict[str, Any]:
    """status.json: every time in UTC with Z, as the pages say UTC."""

    def last_update(updates: tuple[PublicUpdate, ...]) -> dict[str, Any] | None:
        if not updates:
            return None
        last = updates[-1]
        shown = {"at": utc_timestamp(last.at), "status": last.status, "message": last.message}
        return shown | ({"next_update_by": utc_timestamp(last.next_update_at)} if last.next_update_at else {})

    def incident_json(i: PublicIncident) -> dict[str, Any]:
        overdue = overdue_update(i, cutoff)
        return {
            "id": i.id,
            "title": i.title,
            "status": i.status,
            "kind": i.kind,
            "start": utc_timestamp(i.first_impact),
            "end": utc_timestamp(impact_end(i)),
            "services": list(i.services),
            "url": f"{settings.public_url}history/{i.id}/",
            "last_update": last_update(i.updates),
            "update_overdue": overdue is not None,
        }

    def maintenance_json(m: PublicMaintenance) -> dict[str, Any]:
        return {
            "id": m.id,
            "title": m.title,
            "state": maintenance_state(m, cutoff),
            "scheduled_start": utc_timestamp(m.scheduled_start),
            "scheduled_end": utc_timestamp(m.scheduled_end),
            "start": utc_timestamp(m.start),
            "end": utc_timestamp(m.end),
            "services": list(maintenance_services(m)),
            "url": f"{settings.public_url}history/{m.id}/",
            "last_update": last_update(m.updates),
        }

    return {
        "as_of": utc_timestamp(cutoff),
        "status": status.overall,
        "services": [{"id": s.service.id, "name": s.service.name, "status": s.status} for s in status.services],
        "ongoing": [incident_json(i) for i in status.ongoing],
        "maintenance": {
            "in_progress": [maintenance_json(m) for m in status.in_progress],
            "upcoming": [maintenance_json(m) for m in status.upcoming],
        },
        "recent": [incident_json(i) for i in newest_first[:RECENT_COUNT]],
    }


def public_mkdocs_config(settings: Settings, docs_dir: str, site_dir: str, hooks: str = str(PUBLIC_HOOKS)) -> str:
    """The public site's mkdocs.yml. Every value from the settings is a double-quoted YAML scalar that reads back
    exactly as written; the site name is HTML-escaped by the hook module beside the template (hooks.py), whose
    folder also holds the theme folder (`hooks` relative to the configuration for a self-contained project)."""
    env = config_environment(
        settings.language, loader=PackageLoader("generator", "templates"), undefined=StrictUndefined, autoescape=False
    )
    quoted = {
        key: yaml_string(value)
        for key, value in {
            "site_name": settings.site_name,
            "site_url": settings.public_url,
            "docs_dir": docs_dir,
            "site_dir": site_dir,
            "hooks": hooks,
        }.items()
    }
    return env.get_template("public/mkdocs.yml.j2").render(language=settings.language, **quoted)


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
