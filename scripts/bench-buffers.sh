#!/usr/bin/env bash
# PostgreSQL's work per request for one query of the query mix, as buffers read (shared buffer
# hits and reads: pages of tables and indexes a plan touches) and rows it returned: the same for
# the same plans and data whatever else the machine is doing, where CPU time on these machines
# drifts by 10 % or more between runs. Read from `pg_stat_database` around a run of the load
# driver on a database that `scripts/bench-compare.sh` seeded (`canopy_bench_<agencies>`), after
# a `VACUUM`; requests from the gateway's `/metrics` (`canopy_graphql_documents_reused_total`).
# Backends report their counts when idle, within `PGSTAT_IDLE_INTERVAL` (10 s), so the script
# waits 11 s before reading. The server's own background work (the job runtime's polls) is
# counted too: a few buffers a second, well under one per request.
# Usage: scripts/bench-buffers.sh <canopy binary> <query> [agencies]
#        (the query is one of the load driver's: board, sub_accounts, contacts, lookup, move, search)
set -euo pipefail
canopy="$1"
query="$2"
db="canopy_bench_${3:-1}"
load="${LOAD:-/tmp/head/load}"
export CANOPY_OWNER_DATABASE_URL="postgres://postgres@127.0.0.1:5432/${db}"
export DATABASE_URL="postgres://canopy_app@127.0.0.1:5432/${db}"
psql -h 127.0.0.1 -U postgres -d "${db}" -qc "VACUUM"
CANOPY_RATE_PER_IP=1000000000 CANOPY_RATE_PER_CREDENTIAL=1000000000 CANOPY_RATE_PER_AGENCY=1000000000 \
  CANOPY_METRICS=true CANOPY_LISTEN=127.0.0.1:8090 CANOPY_SEED_DEMO=false RUST_LOG=warn \
  "${canopy}" serve > /dev/null 2>&1 &
server=$!
trap 'kill "${server}" 2>/dev/null || true' EXIT
until curl -sf http://127.0.0.1:8090/readyz > /dev/null; do
  kill -0 "${server}" 2> /dev/null || exit 1
  sleep 0.2
done
# shellcheck source=scripts/bench-drive.sh
source "$(dirname "$0")/bench-drive.sh"
stats() {
  psql -h 127.0.0.1 -U postgres -d "${db}" -Atc \
    "SELECT blks_hit + blks_read, tup_returned, tup_fetched FROM pg_stat_database WHERE datname = '${db}'"
}
drive 2
sleep 11
a=$(requests)
s=$(stats)
drive "${SECONDS_COUNTED:-10}"
b=$(requests)
sleep 11
e=$(stats)
n=$((b - a))
[ "${n}" -gt 0 ] || { echo "${query}: no request counted" >&2; exit 1; }
paste -d'|' <(echo "${s}") <(echo "${e}") | awk -F'|' -v n="${n}" -v q="${query}" '{
  printf "%s: %d requests, %.1f buffers, %.1f rows returned and %.1f fetched per request\n",
    q, n, ($4 - $1) / n, ($5 - $2) / n, ($6 - $3) / n }'
