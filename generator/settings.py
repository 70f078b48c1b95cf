"""Knowledge-base settings (`incidentkb.yml`) loaded into config.Settings: report time zone, downtime weights,
public site identity, taxonomies."""

from __future__ import annotations

from pathlib import Path

from generator.analyze.availability import Weights
from generator.config import Settings
from generator.findings import InvalidRecordsError, has_errors
from generator.knowledge_base import SETTINGS_FILE, KnowledgeBase
from generator.schemas import taxonomies_from
from generator.validate import load_settings_document

__all__ = ["SETTINGS_FILE", "Settings", "load_settings"]


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
        site_url=public.get("site_url"),
        company=public.get("company", defaults.company),
        language=public.get("language", defaults.language),
        taxonomies=taxonomies_from(doc.data.get("taxonomies")),
    )
