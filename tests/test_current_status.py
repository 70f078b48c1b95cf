"""analyze/status: the current status levels the public home page and status.json show, computed in analysis."""

from __future__ import annotations

from datetime import UTC, datetime

from generator.analyze.status import current_status, impact_end
from generator.public import PublicIncident, PublicModel, PublicService, PublicWindow

API, WEB = PublicService("api", "API", 0.999), PublicService("web", "Web", 0.99)


def at(hour: int) -> datetime:
    return datetime(2026, 9, 1, hour, tzinfo=UTC)


def incident(incident_id: str, status: str, *windows: PublicWindow) -> PublicIncident:
    return PublicIncident(
        id=incident_id,
        title=incident_id,
        kind="incident",
        status=status,
        services=tuple(sorted({w.service for w in windows})),
        started_at=windows[0].start,
        resolved_at=None,
        impact=windows,
        summary=None,
        cause=None,
        mitigation=None,
        prevention=None,
        updates=(),
    )


def test_each_service_is_at_the_worst_level_of_its_open_windows_in_ongoing_incidents() -> None:
    model = PublicModel(
        incidents=(
            incident("INC-1", "investigating", PublicWindow("api", "degraded_performance", at(1), None)),
            incident("INC-2", "monitoring", PublicWindow("api", "major_outage", at(2), None)),
            incident("INC-3", "identified", PublicWindow("web", "major_outage", at(1), at(2))),  # closed window
            incident("INC-4", "resolved", PublicWindow("web", "partial_outage", at(3), None)),  # resolved
        ),
        services=(API, WEB),
    )
    status = current_status(model)
    assert [i.id for i in status.ongoing] == ["INC-1", "INC-2"]
    assert [(s.service.id, s.level) for s in status.services] == [("api", "major_outage"), ("web", None)]
    assert status.worst == "major_outage"


def test_all_operational_without_an_open_window() -> None:
    model = PublicModel(
        incidents=(incident("INC-1", "resolved", PublicWindow("api", "major_outage", at(1), at(2))),),
        services=(API, WEB),
    )
    status = current_status(model)
    assert status.ongoing == ()
    assert [s.level for s in status.services] == [None, None]
    assert status.worst is None


def test_impact_ends_with_the_last_window_and_not_while_one_is_open() -> None:
    closed = incident(
        "INC-1",
        "resolved",
        PublicWindow("api", "major_outage", at(1), at(4)),
        PublicWindow("web", "major_outage", at(2), at(3)),
    )
    assert impact_end(closed) == at(4)
    still_open = incident(
        "INC-2",
        "identified",
        PublicWindow("api", "major_outage", at(1), at(4)),
        PublicWindow("web", "major_outage", at(2), None),
    )
    assert impact_end(still_open) is None
