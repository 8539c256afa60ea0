# Everyday commands. `just` is optional: each recipe is a plain cargo command.

pg_url := "postgres://postgres@127.0.0.1:5432/postgres"

# Run Canopy on SQLite with demo data and GraphiQL at http://127.0.0.1:8080/
run:
    cargo run --release -p gateway

# Run Canopy against PostgreSQL
run-pg db="canopy":
    psql -h 127.0.0.1 -U postgres -tc "SELECT 1 FROM pg_database WHERE datname = '{{db}}'" | grep -q 1 || createdb -h 127.0.0.1 -U postgres {{db}}
    CANOPY_OWNER_DATABASE_URL=postgres://postgres@127.0.0.1:5432/{{db}} DATABASE_URL=postgres://canopy_app@127.0.0.1:5432/{{db}} CANOPY_SEED_DEMO=true cargo run --release -p gateway

# The whole test suite on SQLite
test:
    cargo test --workspace

# The whole test suite on PostgreSQL
test-pg:
    TEST_DATABASE_URL={{pg_url}} cargo test --workspace

# Format and lint as CI does
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Rewrite schema.graphql from the code
schema:
    cargo run -q -p gateway -- print-schema > schema.graphql

# What CI runs
ci:
    bash .ci/run

# Benchmarks on PostgreSQL (release builds): the dashboard query mix (`load`) on a seeded
# platform of 10,000 contacts (`BENCH_AGENCIES=100` for 1,000,000), pgbench's ceiling for the
# lookup on the same database, then live fan-out. See BENCHMARKS.md.
bench:
    #!/usr/bin/env bash
    set -euo pipefail
    agencies="${BENCH_AGENCIES:-1}"
    db="canopy_bench_${agencies}"
    target="${CARGO_TARGET_DIR:-target}/release"
    cargo build --release -p gateway --bin canopy
    cargo build --release -p tests --bin load
    psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS ${db} WITH (FORCE)"
    createdb -h 127.0.0.1 -U postgres "${db}"
    export CANOPY_OWNER_DATABASE_URL="postgres://postgres@127.0.0.1:5432/${db}"
    export DATABASE_URL="postgres://canopy_app@127.0.0.1:5432/${db}"
    "${target}/canopy" seed-scale --agencies "${agencies}"
    # Statistics before the fold: without them its batches scan every delta.
    psql -h 127.0.0.1 -U postgres -d "${db}" -qc "VACUUM ANALYZE"
    CANOPY_RATE_PER_IP=1000000000 CANOPY_RATE_PER_CREDENTIAL=1000000000 CANOPY_RATE_PER_AGENCY=1000000000 CANOPY_METRICS=true CANOPY_LISTEN=127.0.0.1:8090 CANOPY_SEED_DEMO=false RUST_LOG=warn "${target}/canopy" serve > /dev/null &
    server=$!
    trap 'kill ${server} 2>/dev/null || true' EXIT
    until curl -sf http://127.0.0.1:8090/readyz > /dev/null; do sleep 0.2; done
    # The server's fold empties the seeded metric deltas into daily rows first: otherwise it
    # runs during the queries and PostgreSQL's CPU per request counts it.
    scripts/wait-for-fold.sh "${db}" "${server}"
    psql -h 127.0.0.1 -U postgres -d "${db}" -qc "VACUUM ANALYZE"
    "${target}/load" --url http://127.0.0.1:8090 --email owner@agency-0000.scale.test \
      --password canopy-scale --gateway-pid "${server}" --connections 8 --seconds "${BENCH_SECONDS:-10}"
    kill "${server}"
    scripts/pgbench-lookup.sh "${db}" "${BENCH_SECONDS:-10}"
    TEST_DATABASE_URL={{pg_url}} cargo bench -p tests --bench fanout

# The analytics query over a year (a sub-account's by day, the agency's by month) on PostgreSQL,
# on one agency of 10 sub-accounts with BENCH_CONTACTS contacts each (1,000: 10,000 contacts;
# 100,000: 1,000,000). See BENCHMARKS.md.
bench-metrics:
    #!/usr/bin/env bash
    set -euo pipefail
    per_sub="${BENCH_CONTACTS:-1000}"
    db="canopy_bench_metrics_${per_sub}"
    target="${CARGO_TARGET_DIR:-target}/release"
    cargo build --release -p gateway --bin canopy
    cargo build --release -p tests --bin load
    psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS ${db} WITH (FORCE)"
    createdb -h 127.0.0.1 -U postgres "${db}"
    export CANOPY_OWNER_DATABASE_URL="postgres://postgres@127.0.0.1:5432/${db}"
    export DATABASE_URL="postgres://canopy_app@127.0.0.1:5432/${db}"
    "${target}/canopy" seed-scale --agencies 1 --contacts "${per_sub}"
    # Statistics before the fold: without them its batches scan every delta.
    psql -h 127.0.0.1 -U postgres -d "${db}" -qc "VACUUM ANALYZE"
    CANOPY_RATE_PER_IP=1000000000 CANOPY_RATE_PER_CREDENTIAL=1000000000 CANOPY_RATE_PER_AGENCY=1000000000 CANOPY_METRICS=true CANOPY_LISTEN=127.0.0.1:8091 CANOPY_SEED_DEMO=false RUST_LOG=warn "${target}/canopy" serve > /dev/null &
    server=$!
    trap 'kill ${server} 2>/dev/null || true' EXIT
    until curl -sf http://127.0.0.1:8091/readyz > /dev/null; do sleep 0.2; done
    # The server's fold empties the seeded deltas into daily rows.
    start=$(date +%s)
    scripts/wait-for-fold.sh "${db}" "${server}"
    echo "folded in $(( $(date +%s) - start )) s: $(psql -h 127.0.0.1 -U postgres -d "${db}" -tAc 'SELECT count(*) FROM metric_daily') daily rows, $(psql -h 127.0.0.1 -U postgres -d "${db}" -tAc 'SELECT count(*) FROM contacts') contacts"
    psql -h 127.0.0.1 -U postgres -d "${db}" -qc "VACUUM ANALYZE"
    "${target}/load" --url http://127.0.0.1:8091 --email owner@agency-0000.scale.test \
      --password canopy-scale --gateway-pid "${server}" --connections 8 --seconds "${BENCH_SECONDS:-10}" \
      --queries metrics,agency_metrics
