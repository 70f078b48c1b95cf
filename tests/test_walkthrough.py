"""docs/walkthrough.md says every output in it is real: it must be exactly what scripts/walkthrough.sh prints.

The script runs the real commands on a fresh copy of this checkout's tracked files (as they are in the working
tree), with every time fixed by an option, so its output is the same on any day and any machine.
"""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
SCRIPT = PROJECT / "scripts" / "walkthrough.sh"
PAGE = PROJECT / "docs" / "walkthrough.md"
REGENERATE = "bash scripts/walkthrough.sh > docs/walkthrough.md"


def test_the_walkthrough_page_is_what_the_script_prints(tmp_path: Path) -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("GIT_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"  # this environment's incidentkb
    env["TMPDIR"] = str(tmp_path)  # the script's copy lives here, so a temp path in its output can be recognised
    result = subprocess.run(["bash", str(SCRIPT)], cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    transcript = result.stdout
    assert str(tmp_path) not in transcript, "the transcript shows a temporary path"
    assert "Traceback" not in transcript and "command not found" not in transcript
    assert list(tmp_path.iterdir()) == [], "the script left its copy behind"

    page = PAGE.read_text(encoding="utf-8")
    if transcript != page:
        diff = "".join(
            difflib.unified_diff(
                page.splitlines(keepends=True),
                transcript.splitlines(keepends=True),
                "docs/walkthrough.md",
                "output of scripts/walkthrough.sh",
            )
        )
        pytest.fail(
            f"docs/walkthrough.md differs from what the commands print now; regenerate it with\n"
            f"    {REGENERATE}\nand read the change:\n{diff}",
            pytrace=False,
        )
