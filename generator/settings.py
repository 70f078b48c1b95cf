"""Knowledge-base settings (`incidentkb.yml`): report time zone, downtime weights, public site identity."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from generator.analyze.availability import Weights
from generator.findings import Finding, InvalidRecordsError, Severity
from generator.loader import LoadError, load_document
from generator.validate import schema_findings

SETTINGS_FILE = "incidentkb.yml"


@dataclass(frozen=True)
class Settings:
    timezone: str = "UTC"
    weights: Weights = field(default_factory=Weights)
    site_name: str = "Service availability"
    site_url: str = "https://status.example.com/"
    company: str = "We"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def load_settings(root: Path) -> Settings:
    """The settings of the knowledge base at `root`; defaults where the file or a key is absent."""
    path = root / SETTINGS_FILE
    if not path.is_file():
        return Settings()
    try:
        doc = load_document(path, SETTINGS_FILE)
    except LoadError as exc:
        raise InvalidRecordsError([exc.finding]) from None
    errors = schema_findings(doc, "settings")
    if errors:
        raise InvalidRecordsError(errors)
    report, public = doc.data.get("report", {}), doc.data.get("public", {})
    timezone = report.get("timezone", "UTC")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        line, column = doc.locate(["report", "timezone"])
        raise InvalidRecordsError(
            [Finding(SETTINGS_FILE, line, column, Severity.ERROR, "settings", f"unknown time zone {timezone!r}")]
        ) from None
    try:
        weights = Weights(**report.get("weights", {}))
    except ValueError as exc:
        line, column = doc.locate(["report", "weights"])
        raise InvalidRecordsError(
            [Finding(SETTINGS_FILE, line, column, Severity.ERROR, "settings", str(exc))]
        ) from None
    defaults = Settings()
    return Settings(
        timezone=timezone,
        weights=weights,
        site_name=public.get("site_name", defaults.site_name),
        site_url=public.get("site_url", defaults.site_url),
        company=public.get("company", defaults.company),
    )
