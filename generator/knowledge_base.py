"""Where a knowledge base's records live, and how they are found: the ground every command stands on."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

SETTINGS_FILE = "incidentkb.yml"


@dataclass(frozen=True)
class KnowledgeBase:
    """Where the records of a knowledge base live."""

    root: Path

    @property
    def incident_dir(self) -> Path:
        return self.root / "incidents"

    @property
    def service_dir(self) -> Path:
        return self.root / "services"

    def incident_files(self) -> list[Path]:
        """Every YAML file under incidents/, wherever it is: a misplaced file is reported, never skipped."""
        return record_files(self.incident_dir)

    def service_files(self) -> list[Path]:
        return record_files(self.service_dir)

    def display(self, path: Path) -> str:
        """The path relative to the knowledge base, without resolving links (a link is named as the author sees it)."""
        absolute = os.path.abspath(path)
        if absolute.startswith(self._root_prefix):  # string work: this runs for every file, and pathlib is slow
            return absolute[len(self._root_prefix) :].replace(os.sep, "/")
        return str(path)

    def is_service_file(self, path: Path) -> bool:
        return os.path.abspath(path).startswith(self._service_prefix)

    @cached_property
    def _root_prefix(self) -> str:
        return os.path.join(os.path.abspath(self.root), "")

    @cached_property
    def _service_prefix(self) -> str:
        return os.path.join(os.path.abspath(self.service_dir), "")


def record_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for pattern in ("*.yaml", "*.yml") for p in folder.rglob(pattern))


def is_settings_file(kb: KnowledgeBase, path: Path) -> bool:
    settings = kb.root / SETTINGS_FILE
    return os.path.abspath(path) == os.path.abspath(settings) or Path(path).resolve() == settings.resolve()
