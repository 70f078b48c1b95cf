#!/usr/bin/env bash
# Refreshes constraints.txt: the newest releases that pyproject.toml's ranges admit, installed into a new, empty
# virtual environment and frozen (runtime and test dependencies). Run it, run `bash scripts/test.sh`, commit both.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="$(mktemp -d "${TMPDIR:-/tmp}/incidentkb-lock.XXXXXX")"
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check -e ".[test]"
{
  echo "# Exact versions for scripts/test.sh, frozen by scripts/lock.sh from pyproject.toml's ranges on $(date -u +%Y-%m-%d)"
  echo "# with $("$venv/bin/python" --version). Refresh: bash scripts/lock.sh"
  "$venv/bin/python" -m pip freeze --exclude-editable --disable-pip-version-check | LC_ALL=C sort -f
} >constraints.txt
echo "wrote constraints.txt ($(grep -vc '^#' constraints.txt) packages)"
