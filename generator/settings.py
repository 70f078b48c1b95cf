"""Knowledge-base settings (`incidentkb.yml`): report time zone, downtime weights, public site identity."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from generator.analyze.availability import Weights
from generator.findings import InvalidRecordsError, has_errors
from generator.knowledge_base import SETTINGS_FILE, KnowledgeBase
from generator.validate import load_settings_document

__all__ = ["SETTINGS_FILE", "Settings", "load_settings"]


@dataclass(frozen=True)
class Settings:
    """The settings as published: each value is checked by `validate` (validate.load_settings_document), and the
    renderers escape it for where it goes (HTML, Markdown, XML, JSON, YAML)."""

    timezone: str = "UTC"
    weights: Weights = field(default_factory=Weights)
    history_months: int = 120  # report months kept, ending with the cut-off's (report_months' limit)
    site_name: str = "Service availability"
    site_url: str = "https://status.example.com/"
    company: str = "We"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def load_settings(root: Path) -> Settings:
    """The settings of the knowledge base at `root`; defaults where the file or a key is absent. Invalid settings
    raise with the same findings `validate` reports."""
    doc, findings = load_settings_document(KnowledgeBase(root))
    if has_errors(findings):
        raise InvalidRecordsError(findings)
    if doc is None:
        return Settings()
    report, public = doc.data.get("report", {}), doc.data.get("public", {})
    defaults = Settings()
    return Settings(
        timezone=report.get("timezone", defaults.timezone),
        weights=Weights(**report.get("weights", {})),
        history_months=int(report.get("history_months", defaults.history_months)),
        site_name=public.get("site_name", defaults.site_name),
        site_url=public.get("site_url", defaults.site_url),
        company=public.get("company", defaults.company),
    )
