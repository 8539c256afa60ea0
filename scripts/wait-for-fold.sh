#!/usr/bin/env bash
# Waits until the server `pid` has folded every metric delta of database `db` into daily rows
# (a seed leaves its events' deltas for the fold, whose work a benchmark must not count as its
# queries'). Gives up when the server exits or after FOLD_TIMEOUT_SECS (default 1800).
# Usage: scripts/wait-for-fold.sh <db> <pid>
set -euo pipefail
db="$1"
pid="$2"
deadline=$(( $(date +%s) + ${FOLD_TIMEOUT_SECS:-1800} ))
until [ "$(psql -h 127.0.0.1 -U postgres -d "${db}" -tAc 'SELECT count(*) FROM metric_deltas' || true)" = 0 ]; do
  kill -0 "${pid}" 2>/dev/null || { echo "the server folding ${db}'s metric deltas exited" >&2; exit 1; }
  [ "$(date +%s)" -lt "${deadline}" ] || { echo "${db}'s metric deltas were not folded in time" >&2; exit 1; }
  sleep 1
done
