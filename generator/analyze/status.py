"""The public site's current status, from the public model as of the cut-off: which incidents are ongoing, the
status each service is in now (an impact level, under maintenance, or operational), which maintenance is in
progress or coming, whether a promised update is overdue, and when an incident's impact ended.

Pure functions: no file, clock or environment access; the model passed in is already cut at the cut-off
(public.as_of), so "now" is that instant.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from generator.analyze.availability import LEVELS
from generator.public import PublicIncident, PublicMaintenance, PublicModel, PublicService

UNDER_MAINTENANCE = "under_maintenance"  # a service's status while planned work is in progress and nothing worse


@dataclass(frozen=True)
class ServiceStatus:
    service: PublicService
    level: str | None  # the worst level of a window still open in an ongoing incident; None: operational
    under_maintenance: bool = False  # planned maintenance in progress on it

    @property
    def status(self) -> str:
        """What the page says: an impact level, under_maintenance, or operational."""
        return self.level or (UNDER_MAINTENANCE if self.under_maintenance else "operational")


@dataclass(frozen=True)
class OpenIncident:
    """An ongoing incident as the home page leads with it: its last update, and the promise it broke if any."""

    incident: PublicIncident
    last_update: datetime | None
    overdue_since: datetime | None  # the time the last update promised the next one by, when that has passed


@dataclass(frozen=True)
class CurrentStatus:
    ongoing: tuple[PublicIncident, ...]  # not resolved and with a window still open, in the model's order
    services: tuple[ServiceStatus, ...]  # every listed service, in the model's order
    worst: str | None  # the worst level of any service now; None: all operational
    open: tuple[OpenIncident, ...] = ()  # every unresolved incident, with its last update
    in_progress: tuple[PublicMaintenance, ...] = ()  # planned maintenance under way now
    upcoming: tuple[PublicMaintenance, ...] = ()  # planned maintenance announced for later, soonest first

    @property
    def overall(self) -> str:
        """The page's headline status: the worst impact level, else under_maintenance, else operational."""
        if self.worst:
            return self.worst
        return UNDER_MAINTENANCE if any(s.under_maintenance for s in self.services) else "operational"


def current_status(model: PublicModel, cutoff: datetime | None = None) -> CurrentStatus:
    """Each service's status now: the worst level of the open windows of ongoing incidents, else under maintenance
    while planned work on it is in progress. Without a cut-off, no maintenance is in progress or upcoming."""
    ongoing = tuple(i for i in model.incidents if i.ongoing and any(w.end is None for w in i.impact))
    in_progress = tuple(m for m in model.maintenance if cutoff and maintenance_state(m, cutoff) == "in_progress")
    upcoming = tuple(
        sorted(
            (m for m in model.maintenance if cutoff and maintenance_state(m, cutoff) == "scheduled"),
            key=lambda m: (m.start or cutoff, m.id),  # type: ignore[arg-type, return-value]
        )
    )
    under_maintenance = {s for m in in_progress for s in maintenance_services(m)}
    services = tuple(
        ServiceStatus(
            service,
            _worst(w.level for i in ongoing for w in i.impact if w.end is None and w.service == service.id),
            service.id in under_maintenance,
        )
        for service in model.services
    )
    unresolved = tuple(
        OpenIncident(i, i.updates[-1].at if i.updates else None, overdue_update(i, cutoff) if cutoff else None)
        for i in model.incidents
        if i.ongoing and i.kind != "maintenance"
    )
    return CurrentStatus(
        ongoing, services, _worst(s.level for s in services if s.level), unresolved, in_progress, upcoming
    )


def overdue_update(incident: PublicIncident, cutoff: datetime) -> datetime | None:
    """The time the last update of an unresolved incident promised the next one by, if it has passed."""
    if not incident.ongoing or not incident.updates:
        return None
    promised = incident.updates[-1].next_update_at
    return promised if promised is not None and promised < cutoff else None


def maintenance_state(item: PublicMaintenance, cutoff: datetime) -> str:
    """scheduled (not begun), in_progress or completed, at `cutoff`.

    Done when the record says so; under way while one of its windows is open, or, with no window of its own yet,
    from its scheduled start; scheduled before that.
    """
    if item.resolved:
        return "completed"
    if any(w.start <= cutoff and (w.end is None or w.end > cutoff) for w in item.windows):
        return "in_progress"
    if item.windows and all(w.end is not None and w.end <= cutoff for w in item.windows):
        return "completed"  # every window is over: the work is done, even if nobody said so
    start = item.start
    return "in_progress" if start is not None and start <= cutoff else "scheduled"


def maintenance_services(item: PublicMaintenance) -> tuple[str, ...]:
    """The services under maintenance while it is in progress: those with an open window, else all it names."""
    open_windows = tuple(dict.fromkeys(w.service for w in item.windows if w.end is None))
    return open_windows or item.services


def impact_end(incident: PublicIncident) -> datetime | None:
    """The end of the incident's last impact window; None while any window is open."""
    ends = [w.end for w in incident.impact]
    if not ends:  # impact that is not availability only: the incident's own end
        return incident.resolved_at
    return None if None in ends else max(e for e in ends if e is not None)


def _worst(levels: Iterable[str]) -> str | None:
    return max(levels, key=LEVELS.index, default=None)
