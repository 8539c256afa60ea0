#!/usr/bin/env bash
# The gateway's instructions per request for one query of the query mix, counted by callgrind:
# the same for the same binary and data whatever else the machine is doing, so two builds compare
# to a fraction of a percent where CPU time on these machines drifts by 10 % or more between runs.
# `canopy serve` runs under `valgrind --tool=callgrind` (about 50 times slower) on a database that
# `scripts/bench-compare.sh` seeded (`canopy_bench_<agencies>`); the load driver warms it up for
# 4 s uncounted, then drives the query for $SECONDS_COUNTED seconds (default 15), counted.
# Requests are read from the gateway's `/metrics` (`canopy_graphql_documents_reused_total`). The
# driver's fixed cost (its sign-in, with a password hash, and its discovery queries) is taken out
# by counting a run of no seconds first.
# Usage: scripts/bench-instructions.sh <canopy binary> <query> [agencies]
#        (the query is one of the load driver's: board, sub_accounts, contacts, lookup, move, search)
set -euo pipefail
canopy="$1"
query="$2"
db="canopy_bench_${3:-1}"
load="${LOAD:-/tmp/head/load}"
out="$(mktemp -d)"
export CANOPY_OWNER_DATABASE_URL="postgres://postgres@127.0.0.1:5432/${db}"
export DATABASE_URL="postgres://canopy_app@127.0.0.1:5432/${db}"
CANOPY_RATE_PER_IP=1000000000 CANOPY_RATE_PER_CREDENTIAL=1000000000 CANOPY_RATE_PER_AGENCY=1000000000 \
  CANOPY_METRICS=true CANOPY_LISTEN=127.0.0.1:8090 CANOPY_SEED_DEMO=false RUST_LOG=warn \
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="${out}/cg.%p" \
  "${canopy}" serve > "${out}/serve.log" 2>&1 &
server=$!
until curl -sf http://127.0.0.1:8090/readyz > /dev/null; do
  kill -0 "${server}" 2> /dev/null || { cat "${out}/serve.log"; exit 1; }
  sleep 0.5
done
# shellcheck source=scripts/bench-drive.sh
source "$(dirname "$0")/bench-drive.sh"
# A dump's `totals:` line (callgrind_annotate's "PROGRAM TOTALS" reads the `summary:` line, which
# callgrind 3.19 gets wrong for a second dump).
total() {
  awk '/^totals:/ { print $2 }' "$1"
}
drive 4
callgrind_control -z "${server}" > /dev/null 2>&1
callgrind_control -i on "${server}" > /dev/null 2>&1
# A run of no seconds (the sign-in, the driver's discovery queries and a request or two on each
# connection), then the counted run: their difference is the query's own cost.
a=$(requests)
drive 0
b=$(requests)
callgrind_control -d "${server}" > /dev/null 2>&1
c=$(requests)
drive "${SECONDS_COUNTED:-15}"
d=$(requests)
callgrind_control -i off "${server}" > /dev/null 2>&1
callgrind_control -d "${server}" > /dev/null 2>&1
kill "${server}"
wait "${server}" || true
fixed=$(total "$(ls "${out}"/cg.*.1)")
counted=$(total "$(ls "${out}"/cg.*.2)")
n=$(((d - c) - (b - a)))
echo "${query}: ${n} requests, $(((counted - fixed) / n)) instructions per request (profile: $(ls "${out}"/cg.*.2))"
