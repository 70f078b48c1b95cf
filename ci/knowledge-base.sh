#!/usr/bin/env bash
# The knowledge-base pipeline as plain commands, for any CI system (the GitHub workflow calls the same steps).
# Run it in the knowledge base, with incidentkb installed (`python -m pip install -c constraints.txt -e .`).
set -euo pipefail

usage() {
  cat <<'EOF'
usage: ci/knowledge-base.sh STEP [ARGS]
  validate                - check every record; GitHub annotations when GITHUB_ACTIONS is set (exit 1 if invalid)
  build [internal|public] - the internal site into site/ and the public site into public-site/ (default: both)
  diff BASE               - Markdown summary of what the change since BASE means (for a pull-request comment)
  comment PR_NUMBER FILE  - post FILE as the pull request's summary comment, updating our earlier one
                            (needs GITHUB_TOKEN and GITHUB_REPOSITORY; GITHUB_API_URL for GitHub Enterprise)
  notify BEFORE           - tell chat what changed since commit BEFORE (incidentkb notify); skipped when BEFORE
                            is empty or all zeros (a new branch has no earlier commit)
Environment: INCIDENTKB_FORMAT=text|json|github for validate (github under GitHub Actions).
EOF
}

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
step="${1:-}"
[ $# -gt 0 ] && shift

case "$step" in
  validate)
    format="${INCIDENTKB_FORMAT:-text}"
    [ -n "${GITHUB_ACTIONS:-}" ] && format=github
    incidentkb validate --format "$format"
    ;;
  build)
    which="${1:-both}"
    case "$which" in
      internal | public | both) ;;
      *) echo "build: unknown site '$which' (internal, public or both)" >&2; exit 2 ;;
    esac
    if [ "$which" != public ]; then incidentkb build --site-dir site; fi
    if [ "$which" != internal ]; then incidentkb build --public --site-dir public-site; fi
    ;;
  diff)
    [ $# -eq 1 ] || { echo "diff needs a base revision" >&2; usage >&2; exit 2; }
    incidentkb diff "$1"
    ;;
  comment)
    [ $# -eq 2 ] || { echo "comment needs a pull request number and a file" >&2; usage >&2; exit 2; }
    "${PYTHON:-python3}" "$here/pr-comment.py" "$1" "$2"
    ;;
  notify)
    [ $# -eq 1 ] || { echo "notify needs the commit before the push (may be empty)" >&2; usage >&2; exit 2; }
    before="$1"
    if [ -z "$before" ] || [[ "$before" =~ ^0+$ ]]; then
      echo "notify: skipped, no earlier commit to compare with (new branch or no push)"
      exit 0
    fi
    incidentkb notify --since "$before"
    ;;
  -h | --help | help)
    usage
    ;;
  "")
    usage >&2
    exit 2
    ;;
  *)
    echo "unknown step: $step" >&2
    usage >&2
    exit 2
    ;;
esac
