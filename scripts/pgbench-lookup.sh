#!/usr/bin/env bash
# The ceiling for the benchmark's lookup: pgbench runs the same primary-key select on the same
# database, bare (as the owner) and inside Canopy's frame (as canopy_app, row-level security on:
# BEGIN, the tenant's set_config, the select, COMMIT), with the load driver's 8 connections.
# Usage: scripts/pgbench-lookup.sh <database> [seconds]
set -euo pipefail
db="$1"
seconds="${2:-10}"
psql() { command psql -h 127.0.0.1 -U postgres -d "${db}" -tAc "$1"; }
agency=$(psql "SELECT id FROM agencies ORDER BY created_at, id LIMIT 1")
contact=$(psql "SELECT id FROM contacts WHERE agency_id = '${agency}' ORDER BY id LIMIT 1")
dir=$(mktemp -d)
trap 'rm -rf "${dir}"' EXIT
select="SELECT id, first_name, last_name, email, phone, status, created_at FROM contacts WHERE agency_id = '${agency}' AND id = '${contact}';"
echo "${select}" > "${dir}/bare.sql"
printf "BEGIN;\nSELECT set_config('app.agency_id', '%s', true);\n%s\nCOMMIT;\n" "${agency}" "${select}" > "${dir}/framed.sql"
for script in bare framed; do
  user=postgres
  [ "${script}" = framed ] && user=canopy_app
  tps=$(pgbench -h 127.0.0.1 -U "${user}" -n -M prepared -c 8 -j 2 -T "${seconds}" -f "${dir}/${script}.sql" "${db}" 2>/dev/null \
    | awk '/^tps/ { print int($3) }')
  echo "pgbench lookup (${script}): ${tps} per second"
done
