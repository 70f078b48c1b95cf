#!/usr/bin/env bash
# The author's walkthrough on a fresh clone, printed as a Markdown transcript (docs/walkthrough.md is its output).
# Usage: bash scripts/walkthrough.sh > docs/walkthrough.md   (needs incidentkb installed: pip install -e .)
set -uo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git clone -q "$repo" "$work/kb"
cd "$work/kb"
git config user.name "Avery (author)"; git config user.email "avery@example.com"
git checkout -q -b inc/search-timeouts

step() { printf '\n## %s\n\n' "$1"; }
show() { printf '```console\n$ %s\n' "$*"; eval "$@" 2>&1; printf '[exit %s]\n```\n' "$?"; }

cat <<'MD'
---
title: "Walkthrough: writing up an incident"
---

# Walkthrough: writing up an incident

A transcript of the author's workflow on a fresh clone of this repository, produced by
`scripts/walkthrough.sh` (every output below is real). The incident: search requests time out for a while.
MD

step "1. Open a record"
show incidentkb new --title "'Search requests timed out'" --severity SEV3 --service search --started-at 2026-11-23T08:02:00Z
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
show incidentkb validate "$record"

step "3. Fix it"
printf 'Schema errors come first; once the status is fixed, the policy rules run and find the second mistake:\n\n'
sed -i 's/status: mitigated/status: investigating/' "$record"
show incidentkb validate "$record"
sed -i 's/detected_at: 2026-11-23T07:58:00Z/detected_at: 2026-11-23T08:05:00Z/' "$record"
show incidentkb validate "$record"

step "4. Post two customer updates during the incident"
show incidentkb update INC-2026-017 --status identified --message "'We found the cause of the search timeouts and are rolling back a change. Next update by 09:00 UTC.'" --at 2026-11-23T08:20:00Z
show incidentkb update INC-2026-017 --status monitoring --message "'Search is working normally again. We are monitoring and will post a final update by 10:00 UTC.'" --at 2026-11-23T08:41:00Z
show tail -n 22 "$record"
git add -A && git commit -qm "INC-2026-017: search requests timed out"

step "5. What the pull request means"
show incidentkb diff main --as-of 2026-11-23T09:00:00Z

step "6. Build the sites"
show incidentkb build --as-of 2026-11-23T09:00:00Z --site-dir site "2>&1 | tail -n 3"
show incidentkb build --public --as-of 2026-11-23T09:00:00Z --site-dir public-site "2>&1 | tail -n 1"
show ls site/incidents/INC-2026-017/ public-site/history/INC-2026-017/
