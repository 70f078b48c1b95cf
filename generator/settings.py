"""Knowledge-base settings (`incidentkb.yml`) loaded into config.Settings: report time zone, downtime weights,
public site identity, taxonomies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generator.analyze.availability import Weights
from generator.config import NotifySettings, NotifyTarget, Settings
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
        notify=_notify_settings(doc.data.get("notify", {})),
    )


def _notify_settings(notify: dict[str, Any]) -> NotifySettings:
    """notify: as validated by the settings schema; absent keys take its defaults (NotifySettings')."""
    defaults = NotifySettings()
    return NotifySettings(
        targets=tuple(NotifyTarget(t["name"], t["format"], t["url_env"]) for t in notify.get("targets", [])),
        retries=int(notify.get("retries", defaults.retries)),
        timeout_seconds=float(notify.get("timeout_seconds", defaults.timeout_seconds)),
        retry_delay_seconds=float(notify.get("retry_delay_seconds", defaults.retry_delay_seconds)),
        max_retry_delay_seconds=float(notify.get("max_retry_delay_seconds", defaults.max_retry_delay_seconds)),
    )
