#!/usr/bin/env bash
# The author's walkthrough on a fresh copy of this repository, printed as a Markdown transcript: docs/walkthrough.md
# is its output, and tests/test_walkthrough.py fails when the two differ.
# Usage: bash scripts/walkthrough.sh > docs/walkthrough.md   (needs incidentkb on PATH: pip install -e .)
#
# The copy holds the checkout's tracked files as they are in its working tree, committed as `main` of a new
# repository. A `git clone` would take the last commit instead, so the transcript (and the test) would describe
# the code and records of HEAD while the tool that runs is the working tree's (pip install -e).
# Every command gets a fixed time (--started-at, --at, --as-of), so the output is the same on any day.
set -uo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1  # no hooks, signing or default branch of the user's
export LC_ALL=C.UTF-8  # one sort order for `ls`, whatever the caller's locale
mkdir "$work/kb"
git -C "$repo" ls-files -z | (cd "$repo" && tar --null --files-from=- --ignore-failed-read -cf - 2>/dev/null) |
  tar -xf - -C "$work/kb"
cd "$work/kb"
git init -q -b main
git config user.name "Avery (author)"; git config user.email "avery@example.com"
git add -A && git commit -qm "the knowledge base"
git checkout -q -b inc/search-timeouts

step() { printf '\n## %s\n\n' "$1"; }
show() { printf '```console\n$ %s\n' "$*"; eval "$@" 2>&1; printf '[exit %s]\n```\n' "$?"; }

cat <<'MD'
---
title: "Walkthrough: writing up an incident"
---

# Walkthrough: writing up an incident

A transcript of the author's workflow on a fresh copy of this repository, produced by
`scripts/walkthrough.sh` (every output below is real; `tests/test_walkthrough.py` runs the script and fails when
this page differs from its output). The incident: search requests time out for a while.
MD

step "1. Open a record"
show incidentkb new --title "'Search requests timed out'" --severity SEV3 --service search --started-at 2026-11-23T08:02:00Z --level major_outage
record="$(ls incidents/2026/2026-11-23-search-requests-timed-out.yaml)"
show head -n 14 "$record"

step "2. Edit it, with a deliberate mistake"
printf 'An engineer fills in what is known, and types `mitigated` where the status should be `monitoring`, and a detection time before the start:\n\n'
python - "$record" <<'PY'
import sys
p = sys.argv[1]; s = open(p).read()
s = s.replace("status: investigating", "status: mitigated")
s = s.replace("detected_at: null      # when the first alert or report arrived", "detected_at: 2026-11-23T07:58:00Z")
s = s.replace("  public: null    # what customers saw; published in the public report", "  public: Searches on the website and apps timed out for some customers.")
open(p, "w").write(s)
PY
show incidentkb validate --as-of 2026-11-23 "$record"

step "3. Fix it"
printf 'Schema errors come first; once the status is fixed, the policy rules run and find the second mistake:\n\n'
sed -i 's/status: mitigated/status: investigating/' "$record"
show incidentkb validate --as-of 2026-11-23 "$record"
sed -i 's/detected_at: 2026-11-23T07:58:00Z/detected_at: 2026-11-23T08:05:00Z/' "$record"
show incidentkb validate --as-of 2026-11-23 "$record"

step "4. Post two customer updates during the incident"
show incidentkb update INC-2026-018 --status identified --message "'We found the cause of the search timeouts and are rolling back a change. Next update by 09:00 UTC.'" --at 2026-11-23T08:20:00Z
show incidentkb update INC-2026-018 --status monitoring --message "'Search is working normally again. We are monitoring and will post a final update by 10:00 UTC.'" --at 2026-11-23T08:41:00Z
show tail -n 22 "$record"
git add -A && git commit -qm "INC-2026-018: search requests timed out"

step "5. What the pull request means"
show incidentkb diff main --as-of 2026-11-23T09:00:00Z

step "6. Build the sites"
printf 'The build prints how long it took; `sed` puts N for those seconds, which differ on every run:\n\n'
show incidentkb build --as-of 2026-11-23T09:00:00Z --site-dir site "2>&1 | tail -n 4 | sed -E 's/in [0-9]+\.[0-9] s/in N s/g'"
show incidentkb build --public --as-of 2026-11-23T09:00:00Z --site-dir public-site "2>&1 | tail -n 1"
show ls site/incidents/INC-2026-018/ public-site/history/INC-2026-018/
