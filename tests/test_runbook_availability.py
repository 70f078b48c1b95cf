"""A runbook's recent availability: measured from only the impact windows that reach into its months, it must
equal the same months measured from every window of the knowledge base."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from support import REPO

from generator.analyze.availability import MeasuredWindow, service_month
from generator.analyze.report import report_months
from generator.knowledge_base import KnowledgeBase
from generator.site import RUNBOOK_MONTHS, load_knowledge_base, runbook_availability


@pytest.mark.parametrize(
    "as_of",
    [
        datetime(2026, 9, 2, 12, tzinfo=UTC),  # inside an early month of the example knowledge base
        datetime(2026, 11, 23, 12, tzinfo=UTC),  # windows of August end before the runbook's months begin
        datetime(2027, 4, 1, tzinfo=UTC),  # every window is older than the runbook's months
    ],
)
def test_recent_availability_equals_a_measure_over_every_window(as_of: datetime) -> None:
    loaded = load_knowledge_base(KnowledgeBase(REPO), as_of)
    months = report_months(loaded.public, as_of, loaded.settings.zone)
    every_window = [
        MeasuredWindow(w.service, w.level, w.start, w.end, i.id, maintenance=i.kind == "maintenance")
        for i in loaded.model.incidents
        for w in i.impact
    ]
    figures = runbook_availability(loaded, months, as_of)
    assert set(figures) == {s.id for s in loaded.model.services}
    downtime_seen = False
    for service in loaded.model.services:
        expected = [
            service_month(
                service.id,
                service.slo,
                every_window,
                year,
                month,
                cutoff=as_of,
                tz=loaded.settings.zone,
                weights=loaded.settings.weights,
            )
            for year, month in months[-RUNBOOK_MONTHS:]
        ]
        assert figures[service.id] == [f for f in reversed(expected) if f is not None], service.id
        downtime_seen |= any(f.downtime_minutes > 0 for f in figures[service.id])
    if as_of.year == 2026 and as_of.month == 11:
        assert downtime_seen  # the comparison covers months with impact, not only empty ones
