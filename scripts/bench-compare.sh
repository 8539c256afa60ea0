#!/usr/bin/env bash
# Interleaved query-mix runs of two gateway builds on one seeded PostgreSQL database, as
# `just bench` runs one: `canopy` and `load` release binaries of the build under test in
# $HEAD_DIR (default /tmp/head), and `canopy` of the build to compare with in $BEFORE_DIR
# (/tmp/before). RESEED=0 keeps an already seeded `canopy_bench_<agencies>`; BENCH_SECONDS sets
# each query's seconds and BENCH_QUERIES (comma-separated) which queries run. Each run starts on a
# freshly vacuumed database.
# Usage: scripts/bench-compare.sh [agencies] [rounds]
set -euo pipefail
agencies="${1:-1}"
rounds="${2:-2}"
db="canopy_bench_${agencies}"
declare -A dirs=([before]="${BEFORE_DIR:-/tmp/before}" [head]="${HEAD_DIR:-/tmp/head}")
export CANOPY_OWNER_DATABASE_URL="postgres://postgres@127.0.0.1:5432/${db}"
export DATABASE_URL="postgres://canopy_app@127.0.0.1:5432/${db}"
if [ "${RESEED:-1}" = 1 ]; then
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS ${db} WITH (FORCE)"
  createdb -h 127.0.0.1 -U postgres "${db}"
  "${dirs[head]}/canopy" seed-scale --agencies "${agencies}"
  # Statistics first: without them the fold's batches plan a scan of every delta (at
  # --agencies 100 it folded about 700 a second, against tens of thousands after ANALYZE).
  psql -h 127.0.0.1 -U postgres -d "${db}" -qc "VACUUM ANALYZE"
  # A server's fold empties the seeded metric deltas into daily rows before any round, so no
  # round's PostgreSQL CPU counts it.
  CANOPY_LISTEN=127.0.0.1:8090 CANOPY_SEED_DEMO=false RUST_LOG=warn "${dirs[head]}/canopy" serve > /dev/null 2>&1 &
  server=$!
  trap 'kill "${server}" 2>/dev/null || true' EXIT
  "$(dirname "$0")/wait-for-fold.sh" "${db}" "${server}"
  kill "${server}" 2>/dev/null || true; wait "${server}" || true
  psql -h 127.0.0.1 -U postgres -d "${db}" -qc "VACUUM ANALYZE"
fi
for round in $(seq 1 "${rounds}"); do
  for which in before head; do
    # Every run starts from the same table state: the moves of the run before leave thousands of
    # dead ticket rows (tens of thousands over a comparison), which the next run's boards would
    # read past, and this machine kind's PostgreSQL runs without autovacuum.
    psql -h 127.0.0.1 -U postgres -d "${db}" -qc "VACUUM"
    CANOPY_RATE_PER_IP=1000000000 CANOPY_RATE_PER_CREDENTIAL=1000000000 CANOPY_RATE_PER_AGENCY=1000000000 \
      CANOPY_METRICS=true CANOPY_LISTEN=127.0.0.1:8090 CANOPY_SEED_DEMO=false RUST_LOG=warn \
      "${dirs[${which}]}/canopy" serve > /dev/null 2>&1 &
    server=$!
    until curl -sf http://127.0.0.1:8090/readyz > /dev/null; do sleep 0.2; done
    echo "## ${which}, round ${round}, agencies ${agencies}"
    "${dirs[head]}/load" --url http://127.0.0.1:8090 --email owner@agency-0000.scale.test \
      --password canopy-scale --gateway-pid "${server}" --connections 8 --seconds "${BENCH_SECONDS:-10}" \
      ${BENCH_QUERIES:+--queries "${BENCH_QUERIES}"}
    kill "${server}"; wait "${server}" || true
  done
done
