#!/usr/bin/env python3
"""The time of a ticket move that respaces a big lane, at the client (BENCHMARKS.md, "Rank keys
at a lane's ends, and respacing a lane").

On a database that `scripts/bench-compare.sh` seeded (`canopy_bench_<agencies>`), every ticket
of the first agency (2,000 at `--agencies 1`) is moved into one lane of its first sub-account
(in SQL, as the owner: this rewrites the seed, so reseed before other benchmarks). Each rep then
gives the lane's first two tickets adjacent keys of 72 and 71 digits and moves its last ticket
between them through `ticketMove`: the key it would need is past `MAX_RANK_LEN`, so the move
respaces the whole lane first. The script prints each move's milliseconds, their median and the
lane's longest key after.

Usage: scripts/bench-respace.py <canopy binary> [reps] [agencies]
"""

import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request

canopy = sys.argv[1]
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 5
db = f"canopy_bench_{sys.argv[3] if len(sys.argv) > 3 else 1}"
url = "http://127.0.0.1:8090/graphql"


def psql(sql):
    out = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-Atqc", sql],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def gql(query, variables, token=None):
    req = urllib.request.Request(
        url,
        json.dumps({"query": query, "variables": variables}).encode(),
        {"content-type": "application/json"},
    )
    if token:
        req.add_header("authorization", f"Bearer {token}")
    with urllib.request.urlopen(req) as r:
        body = json.load(r)
    if body.get("errors"):
        sys.exit(f"errors: {body['errors']}")
    return body["data"]


# The lane: the first lane of the agency's first pipeline (by rank); every ticket of the agency
# goes into it.
agency = psql(
    "SELECT a.id FROM agencies a JOIN memberships m ON m.scope_id = a.id "
    "JOIN users u ON u.id = m.user_id WHERE u.email = 'owner@agency-0000.scale.test' LIMIT 1"
)
lane, pipeline, sub = psql(
    f"SELECT l.id, l.pipeline_id, p.sub_account_id FROM lanes l JOIN pipelines p "
    f"ON p.agency_id = l.agency_id AND p.id = l.pipeline_id WHERE l.agency_id = '{agency}' "
    f"ORDER BY p.sub_account_id, p.rank, l.rank LIMIT 1"
).split("|")
psql(
    f"UPDATE tickets t SET sub_account_id = '{sub}', lane_id = '{lane}', "
    f"pipeline_id = '{pipeline}', rank = '8' || lpad(to_hex(n.i * 16 + 8), 6, '0') "
    f"FROM (SELECT id, row_number() OVER (ORDER BY lane_id, rank) AS i FROM tickets "
    f"WHERE agency_id = '{agency}') n "
    f"WHERE t.agency_id = '{agency}' AND t.id = n.id"
)
count = psql(f"SELECT count(*) FROM tickets WHERE lane_id = '{lane}'")
print(f"{count} tickets in one lane")

env = dict(
    os.environ,
    CANOPY_OWNER_DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{db}",
    DATABASE_URL=f"postgres://canopy_app@127.0.0.1:5432/{db}",
    CANOPY_RATE_PER_IP="1000000000",
    CANOPY_RATE_PER_CREDENTIAL="1000000000",
    CANOPY_RATE_PER_AGENCY="1000000000",
    CANOPY_LISTEN="127.0.0.1:8090",
    CANOPY_SEED_DEMO="false",
    RUST_LOG="warn",
)
server = subprocess.Popen(
    [canopy, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
)
try:
    for _ in range(300):
        try:
            urllib.request.urlopen("http://127.0.0.1:8090/readyz")
            break
        except OSError:
            time.sleep(0.2)
    else:
        sys.exit("the server did not become ready within 60 s")
    token = gql(
        "mutation($i: SessionCreateInput!) "
        "{ sessionCreate(input: $i) { session { accessToken } } }",
        {"i": {"email": "owner@agency-0000.scale.test", "password": "canopy-scale"}},
    )["sessionCreate"]["session"]["accessToken"]
    move = (
        "mutation($t: ID!, $l: ID!, $a: ID) { ticketMove(input: { ticketId: $t, laneId: $l, "
        "afterTicketId: $a }) { ticket { id } userErrors { code message } } }"
    )
    times = []
    for _ in range(reps):
        ids = psql(
            f"SELECT id FROM tickets WHERE lane_id = '{lane}' ORDER BY rank"
        ).split("\n")
        first, second, last = ids[0], ids[1], ids[-1]
        prefix = "0000" + "17" * 33
        psql(f"UPDATE tickets SET rank = '{prefix}18' WHERE id = '{first}'")
        psql(f"UPDATE tickets SET rank = '{prefix}2' WHERE id = '{second}'")
        gid = lambda kind, u: f"{kind}_{u.replace('-', '')}"  # noqa: E731
        start = time.perf_counter()
        r = gql(
            move,
            {"t": gid("tkt", last), "l": gid("lan", lane), "a": gid("tkt", first)},
            token,
        )
        times.append((time.perf_counter() - start) * 1000)
        if r["ticketMove"]["userErrors"]:
            sys.exit(f"user errors: {r['ticketMove']['userErrors']}")
    longest = psql(f"SELECT max(length(rank)) FROM tickets WHERE lane_id = '{lane}'")
    print("moves, ms:", " ".join(f"{t:.1f}" for t in times))
    print(f"median {statistics.median(times):.1f} ms; longest key after: {longest} digits")
finally:
    server.terminate()
    server.wait()
