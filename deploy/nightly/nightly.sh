#!/usr/bin/env bash
# The nightly regression run, as both deploy/nightly/credo-nightly.service and the CI workflow
# (deploy/nightly/github-nightly.yml) call it: bring the checkout up to date (optional), build,
# run the suite against the persistent store, keep the reports. Exits with credo's code:
# 0 no regression, 1 a regression (or a benchmark that could not be judged), 2 bad usage.
#
# Settings (environment):
#   CREDO_NIGHTLY_STORE    DuckDB file or clickhouse://user:password@host:8123/db
#                          (default $HOME/credo-nightly/nightly.duckdb) — history lives here
#   CREDO_NIGHTLY_REPORTS  where each night's report.md, report.html and trend PNGs go
#                          (default $HOME/credo-nightly/reports; "latest" links the newest)
#   CREDO_NIGHTLY_SUITE    suite file (default regress/nightly.yaml)
#   CREDO_NIGHTLY_UPDATE   1: git fetch + reset to origin/$CREDO_NIGHTLY_BRANCH (default main) first
#   CREDO_NIGHTLY_BUILD    0: skip `npm ci` (the checkout is already built)
# Extra arguments go to `credo regress run` (e.g. --workers 4, --baseline SHA).
set -euo pipefail
cd "$(dirname "$0")/../.."

store="${CREDO_NIGHTLY_STORE:-$HOME/credo-nightly/nightly.duckdb}"
reports="${CREDO_NIGHTLY_REPORTS:-$HOME/credo-nightly/reports}"
suite="${CREDO_NIGHTLY_SUITE:-regress/nightly.yaml}"
branch="${CREDO_NIGHTLY_BRANCH:-main}"

if [ "${CREDO_NIGHTLY_UPDATE:-0}" = 1 ]; then
  git fetch --quiet origin "$branch"
  git reset --quiet --hard "origin/$branch"
fi
# npm ci runs the root `prepare` (tsc -b): the build under test is exactly this commit.
if [ "${CREDO_NIGHTLY_BUILD:-1}" = 1 ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

commit="$(git rev-parse HEAD)"
night="$(date -u +%F)"
out="$reports/$night-${commit:0:10}"
mkdir -p "$reports"
case "$store" in clickhouse://*|http://*|https://*) ;; *) mkdir -p "$(dirname "$store")" ;; esac

set +e
node packages/cli/bin/credo.js regress run "$suite" --store "$store" --commit "$commit" --ref "$branch" --date "$night" --out-dir "$out" "$@"
code=$?
set -e
[ -d "$out" ] && ln -sfn "$out" "$reports/latest"
exit "$code"
