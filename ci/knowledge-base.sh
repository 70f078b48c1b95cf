#!/usr/bin/env bash
# The knowledge-base pipeline as plain commands, for any CI system (the GitHub workflow calls the same steps).
#   ci/knowledge-base.sh validate   - annotations for a pull request (exit 1 on invalid records)
#   ci/knowledge-base.sh build      - both sites into site/ and public-site/
#   ci/knowledge-base.sh diff BASE  - Markdown summary of what the change means (for a PR comment)
set -euo pipefail
step="${1:?usage: ci/knowledge-base.sh validate|build|diff BASE}"
format="${INCIDENTKB_FORMAT:-text}"
[ -n "${GITHUB_ACTIONS:-}" ] && format=github
case "$step" in
  validate) incidentkb validate --format "$format" ;;
  build)
    incidentkb build --site-dir site
    incidentkb build --public --site-dir public-site
    ;;
  diff) incidentkb diff "${2:?diff needs a base revision}" ;;
  *) echo "unknown step: $step" >&2; exit 2 ;;
esac
