"""The knowledge base's settings as one typed value: report time zone, downtime weights, public site identity, and
the taxonomies it adds to the schemas' vocabularies.

Defined here, above analyze (it holds analyze's Weights) and below render and publish, so that the renderers can
name the type they format and `settings.py` (publish) only reads `incidentkb.yml` into it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from generator.analyze.availability import Weights
from generator.schemas import NO_TAXONOMIES, Taxonomies
from generator.vocabulary import Vocabulary

__all__ = ["NotifySettings", "NotifyTarget", "Settings"]


@dataclass(frozen=True)
class NotifyTarget:
    """A webhook `incidentkb notify` posts to (notify.targets): its URL is a secret, read from `url_env`."""

    name: str
    format: str  # slack, teams or generic
    url_env: str


@dataclass(frozen=True)
class NotifySettings:
    """notify: the targets and how deliveries are retried (defaults: the settings schema's)."""

    targets: tuple[NotifyTarget, ...] = ()
    retries: int = 3  # attempts after the first
    timeout_seconds: float = 10.0
    retry_delay_seconds: float = 1.0  # before the first retry; doubled for each further one
    max_retry_delay_seconds: float = 30.0  # also the cap of a Retry-After


@dataclass(frozen=True)
class Settings:
    """The settings as published: each value is checked by `validate` (validate.load_settings_document), and the
    renderers escape it for where it goes (HTML, Markdown, XML, JSON, YAML)."""

    timezone: str = "UTC"
    weights: Weights = field(default_factory=Weights)
    history_months: int = 120  # report months kept, ending with the cut-off's (report_months' limit)
    site_name: str = "Service availability"
    site_url: str | None = None  # where the public site is published; a public build refuses to run without it
    company: str = "We"
    language: str = "en"  # the public site's wording, dates and numbers (public.language)
    taxonomies: Taxonomies = NO_TAXONOMIES  # the values incidentkb.yml adds to the schemas' enums
    notify: NotifySettings = field(default_factory=NotifySettings)  # where `incidentkb notify` posts

    @property
    def vocabulary(self) -> Vocabulary:
        """The knowledge base's words: the incident schema's with its taxonomies added."""
        return Vocabulary.of(self.taxonomies)

    @property
    def public_url(self) -> str:
        """site_url, for the public site's links: it must be set (generate_public checks before rendering)."""
        if self.site_url is None:
            raise ValueError("site_url is not set")
        return self.site_url

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
