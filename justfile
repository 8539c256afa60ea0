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
