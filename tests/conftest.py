"""The fixtures, and the `--update-goldens` option. Every helper, record and constant lives in tests/support.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import KB, SERVICES, write_base_kb


@pytest.fixture
def kb(tmp_path: Path) -> KB:
    """The small valid knowledge base: three services and four incidents (a SEV1 post-mortem, an open
    investigation, a near miss and one from 2025)."""
    return write_base_kb(KB(tmp_path / "kb"))


@pytest.fixture
def empty_kb(tmp_path: Path) -> KB:
    """Only the services; no incidents yet."""
    kb = KB(tmp_path / "kb")
    for name, data in SERVICES.items():
        kb.write_service(name, data)
    (kb.root / "incidents").mkdir()
    return kb


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--update-goldens`: rewrite tests/golden/*/expected/ from the code as it is (tests/golden/README.md)."""
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite the golden files of tests/test_golden.py, not only compare (or INCIDENTKB_UPDATE_GOLDENS=1)",
    )
