"""Response metrics: durations computed from the phase timestamps, summarised as median and p90.

Incident durations are skewed (a few long outages), so means mislead; we report the median and the 90th
percentile, each with the number of incidents it is computed from. A p90 needs P90_MIN_INCIDENTS of them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from generator.model import ApproximateMinutes, ApproximateTime, DateOnly, Incident
from generator.vocabulary import SEVERITIES

# (metric name, label, from-phase, to-phase)
PHASE_METRICS = (
    ("time_to_detect", "Time to detect", "started_at", "detected_at"),
    ("time_to_acknowledge", "Time to acknowledge", "detected_at", "acknowledged_at"),
    ("time_to_mitigate", "Time to mitigate", "started_at", "mitigated_at"),
    ("time_to_resolve", "Time to resolve", "started_at", "resolved_at"),
)


NOT_ASSESSED = "not assessed"  # the group of records whose severity was never assessed (not live)


def minutes_between(start: datetime | None, end: datetime | None) -> float | None:
    """Minutes from `start` to `end`; None when either is not recorded or is a date only (a day does not say how
    long), approximate when either is."""
    if start is None or end is None or isinstance(start, DateOnly) or isinstance(end, DateOnly):
        return None
    minutes = (end - start) / timedelta(minutes=1)
    if isinstance(start, ApproximateTime) or isinstance(end, ApproximateTime):
        return ApproximateMinutes(minutes)
    return minutes


def durations(incident: Incident) -> dict[str, float | None]:
    """Minutes for each response phase; None where a timestamp is unknown."""
    return {
        name: minutes_between(getattr(incident, start), getattr(incident, end)) for name, _, start, end in PHASE_METRICS
    }


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation between closest ranks (numpy's default)."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


# Below ten values the 90th percentile is an interpolation between the two largest (with 2, it is 90% of the way
# to the maximum): it describes one incident, not a tail. From ten on, at least one value lies above it.
P90_MIN_INCIDENTS = 10


@dataclass(frozen=True)
class Summary:
    count: int
    median: float | None
    p90: float | None  # None with fewer than P90_MIN_INCIDENTS values

    @property
    def p90_minimum(self) -> int:
        return P90_MIN_INCIDENTS


def summarise(values: Iterable[float | None]) -> Summary:
    known = [v for v in values if v is not None]
    if not known:
        return Summary(0, None, None)
    p90 = percentile(known, 90) if len(known) >= P90_MIN_INCIDENTS else None
    return Summary(len(known), percentile(known, 50), p90)


@dataclass(frozen=True)
class MetricRow:
    group: str
    incidents: int
    metrics: dict[str, Summary]


def response_incidents(incidents: Iterable[Incident]) -> list[Incident]:
    """Response metrics are about unplanned incidents; maintenance and near misses are counted elsewhere."""
    return [i for i in incidents if i.kind == "incident"]


def quarter_of(incident: Incident) -> str:
    started = incident.started_at
    return f"{started.year}-Q{(started.month - 1) // 3 + 1}" if started else "unknown"


def metric_table(incidents: Iterable[Incident], group_of: Callable[[Incident], str]) -> list[MetricRow]:
    groups: dict[str, list[Incident]] = defaultdict(list)
    for incident in response_incidents(incidents):
        groups[group_of(incident)].append(incident)
    rows = []
    for group in sorted(groups, key=_group_sort_key):
        members = groups[group]
        per_incident = [durations(i) for i in members]
        metrics = {name: summarise(d[name] for d in per_incident) for name, *_ in PHASE_METRICS}
        rows.append(MetricRow(group, len(members), metrics))
    return rows


def _group_sort_key(group: str) -> tuple[int, str]:
    return (SEVERITIES.index(group), group) if group in SEVERITIES else (len(SEVERITIES), group)


def by_severity(incidents: Iterable[Incident]) -> list[MetricRow]:
    return metric_table(incidents, lambda i: i.severity or NOT_ASSESSED)


def by_quarter(incidents: Iterable[Incident]) -> list[MetricRow]:
    return metric_table(incidents, quarter_of)


@dataclass(frozen=True)
class MonthCount:
    month: str
    by_kind: dict[str, int]
    by_severity: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())


def counts_by_month(incidents: Iterable[Incident]) -> list[MonthCount]:
    kinds: dict[str, Counter[str]] = defaultdict(Counter)
    severities: dict[str, Counter[str]] = defaultdict(Counter)
    for incident in incidents:
        month = incident.started_at.strftime("%Y-%m") if incident.started_at else "unknown"
        kinds[month][incident.kind] += 1
        if incident.kind == "incident":
            severities[month][incident.severity or NOT_ASSESSED] += 1
    return [MonthCount(m, dict(sorted(kinds[m].items())), dict(sorted(severities[m].items()))) for m in sorted(kinds)]


@dataclass(frozen=True)
class DefectAge:
    incident: Incident
    days: float


def defect_ages(incidents: Iterable[Incident]) -> list[DefectAge]:
    """How old each defect was when it caused the incident (only where the introduction time is known)."""
    ages = [
        DefectAge(i, (i.started_at - i.introduced_at) / timedelta(days=1))
        for i in incidents
        if i.started_at and i.introduced_at
    ]
    return sorted(ages, key=lambda a: (-a.days, a.incident.id))


@dataclass(frozen=True)
class RegressionShare:
    added: int
    not_added: int
    unknown: int

    @property
    def known(self) -> int:
        return self.added + self.not_added

    @property
    def share(self) -> float | None:
        return self.added / self.known if self.known else None


def regression_share(incidents: Iterable[Incident]) -> RegressionShare:
    values = [i.regression_test_added for i in response_incidents(incidents)]
    return RegressionShare(values.count(True), values.count(False), values.count(None))


@dataclass(frozen=True)
class MetricTable:
    grouped_by: str  # "severity", "quarter"
    rows: list[MetricRow]


@dataclass(frozen=True)
class Bar:
    label: str
    value: float


@dataclass(frozen=True)
class MetricsAnalysis:
    """Everything the metrics page shows: the response tables, the counts, defect ages and the chart series."""

    tables: tuple[MetricTable, ...]
    counts: list[MonthCount]
    ages: list[DefectAge]
    median_age_days: float | None
    regression: RegressionShare
    detect_by_severity: tuple[tuple[str, Summary], ...]  # each severity's time to detect
    mitigate_by_severity: tuple[tuple[str, Summary], ...]  # each severity's time to mitigate
    incidents_per_month: tuple[Bar, ...]  # unplanned incidents started in each month


def metrics_analysis(incidents: Iterable[Incident]) -> MetricsAnalysis:
    incidents = list(incidents)
    severity_rows = by_severity(incidents)
    counts = counts_by_month(incidents)
    ages = defect_ages(incidents)
    return MetricsAnalysis(
        tables=(MetricTable("severity", severity_rows), MetricTable("quarter", by_quarter(incidents))),
        counts=counts,
        ages=ages,
        median_age_days=percentile([a.days for a in ages], 50) if ages else None,
        regression=regression_share(incidents),
        detect_by_severity=tuple((row.group, row.metrics["time_to_detect"]) for row in severity_rows),
        mitigate_by_severity=tuple((row.group, row.metrics["time_to_mitigate"]) for row in severity_rows),
        incidents_per_month=tuple(Bar(c.month, float(c.by_kind.get("incident", 0))) for c in counts),
    )
