#!/usr/bin/env bash
# Sets up everything the tests need on a fresh machine, then runs them (lint included).
# Installs: the project with its test extras (PyPI), Debian's chromium for the browser tests, and the YAML
# language server (npm) for the editor tests.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  as_root=""
  [ "$(id -u)" = 0 ] || as_root="sudo"
  $as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq chromium chromium-driver >/dev/null
fi

python -m pip install -q --disable-pip-version-check -e ".[test]"
# The YAML language server (npm), pinned in tests/lsp/package-lock.json, for the editor tests.
npm ci --prefix tests/lsp --no-audit --no-fund --silent
python -m ruff check .
python -m ruff format --check .
python -m pytest "$@"
