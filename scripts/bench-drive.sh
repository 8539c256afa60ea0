# Sourced by scripts/bench-instructions.sh and scripts/bench-buffers.sh: drives one query of the
# load driver's mix at a server on 127.0.0.1:8090, and reads how many requests it has answered.
# Needs ${load} (the load driver) and ${query} set.

# Drives ${query} for $1 seconds on 2 connections, with no warm-up.
drive() {
  "${load}" --url http://127.0.0.1:8090 --email owner@agency-0000.scale.test --password canopy-scale \
    --connections 2 --warmup 0 --seconds "$1" --queries "${query}" > /dev/null
}

# The requests the server has answered (`canopy_graphql_documents_reused_total`).
requests() {
  curl -s http://127.0.0.1:8090/metrics | awk '$1 == "canopy_graphql_documents_reused_total" { print $2 }'
}
