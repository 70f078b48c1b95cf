#!/usr/bin/env bash
# Sets up everything the tests need on a fresh machine, then runs them (lint and type check included).
#
# Every run starts from a new, empty virtual environment, so nothing installed by hand can hide a missing
# dependency; it installs the exact versions pinned in constraints.txt (refresh with `bash scripts/lock.sh`).
# Also installs, when missing: Debian's chromium (browser tests), shellcheck (the workflow's lint) and Node.js
# with npm (the YAML language server of the editor tests, pinned in tests/lsp/package-lock.json, and Atlassian's
# Statuspage widget, pinned in tests/widget/package-lock.json, and Deque's axe-core for the accessibility
# checks, pinned in tests/axe/package-lock.json).
# Arguments go to pytest, e.g. `bash scripts/test.sh tests/test_rules.py -x`.
set -euo pipefail
cd "$(dirname "$0")/.."

debian_packages=()
command -v chromium >/dev/null 2>&1 || debian_packages+=(chromium)
command -v node >/dev/null 2>&1 || debian_packages+=(nodejs)
command -v npm >/dev/null 2>&1 || debian_packages+=(npm)
# actionlint runs it on the workflow's `run:` scripts (tests/test_workflow.py)
command -v shellcheck >/dev/null 2>&1 || debian_packages+=(shellcheck)
if [ ${#debian_packages[@]} -gt 0 ]; then
  as_root=""
  [ "$(id -u)" = 0 ] || as_root="sudo"
  echo "installing Debian packages: ${debian_packages[*]}"
  $as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq --no-install-recommends "${debian_packages[@]}" >/dev/null
fi

venv="$(mktemp -d "${TMPDIR:-/tmp}/incidentkb-tests.XXXXXX")"
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check -c constraints.txt -e ".[test]"
export PATH="$venv/bin:$PATH"

npm ci --prefix tests/lsp --no-audit --no-fund --silent
npm ci --prefix tests/widget --no-audit --no-fund --silent --ignore-scripts
npm ci --prefix tests/axe --no-audit --no-fund --silent
npm ci --prefix tests/teams --no-audit --no-fund --silent --ignore-scripts
npm ci --prefix tools/pagefind --no-audit --no-fund --silent --ignore-scripts  # Pagefind 1.6 for the search index
python -m ruff check .
python -m ruff format --check .
python -m mypy
# On every CPU, each test file in one worker (its module fixtures are built once).
python -m pytest -n auto --dist loadfile "$@"
