"""The public site's current status, from the public model as of the cut-off: which incidents are ongoing, the
impact level each service is at now, and when an incident's impact ended.

Pure functions: no file, clock or environment access; the model passed in is already cut at the cut-off
(public.as_of), so "now" is that instant.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from generator.analyze.availability import LEVELS
from generator.public import PublicIncident, PublicModel, PublicService


@dataclass(frozen=True)
class ServiceStatus:
    service: PublicService
    level: str | None  # the worst level of a window still open in an ongoing incident; None: operational


@dataclass(frozen=True)
class CurrentStatus:
    ongoing: tuple[PublicIncident, ...]  # not resolved and with a window still open, in the model's order
    services: tuple[ServiceStatus, ...]  # every listed service, in the model's order
    worst: str | None  # the worst level of any service now; None: all operational


def current_status(model: PublicModel) -> CurrentStatus:
    """Each service's level now: the worst level of the open windows of ongoing incidents."""
    ongoing = tuple(i for i in model.incidents if i.ongoing and any(w.end is None for w in i.impact))
    services = tuple(
        ServiceStatus(
            service, _worst(w.level for i in ongoing for w in i.impact if w.end is None and w.service == service.id)
        )
        for service in model.services
    )
    return CurrentStatus(ongoing, services, _worst(s.level for s in services if s.level))


def impact_end(incident: PublicIncident) -> datetime | None:
    """The end of the incident's last impact window; None while any window is open."""
    ends = [w.end for w in incident.impact]
    if not ends:  # impact that is not availability only: the incident's own end
        return incident.resolved_at
    return None if None in ends else max(e for e in ends if e is not None)


def _worst(levels: Iterable[str]) -> str | None:
    return max(levels, key=LEVELS.index, default=None)
