#!/usr/bin/env python3
"""Sets up the free-slots benchmark against a running Canopy with the demo data.

As the demo agency owner, in the agency's first sub-account: 10 staff members (in three time
zones, 08:00-18:00 every day), one 30-minute service given by all of them (buffers of 5 minutes,
slots every 30 minutes, a 60-day horizon), made bookable, and `--bookings` appointments spread
over the next 30 days. Prints the public booking page's path for the next 30 days, to run
`tests/src/bin/pages.rs` on (see BENCHMARKS.md).

    python3 tests/bench/slots_setup.py --url http://127.0.0.1:18080
"""

import argparse
import datetime as dt
import json
import random
import urllib.request

parser = argparse.ArgumentParser()
parser.add_argument("--url", default="http://127.0.0.1:8080")
parser.add_argument("--email", default="owner@acme.demo")
parser.add_argument("--password", default="canopy-demo")
parser.add_argument("--bookings", type=int, default=200)
args = parser.parse_args()


def gql(query, variables=None, token=None, agency=None):
    req = urllib.request.Request(
        args.url + "/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"content-type": "application/json"},
    )
    if token:
        req.add_header("authorization", "Bearer " + token)
    if agency:
        req.add_header("canopy-agency", agency)
    body = json.load(urllib.request.urlopen(req))
    if body.get("errors"):
        raise SystemExit(json.dumps(body))
    return body["data"]


session = gql(
    "mutation($i: SessionCreateInput!) { sessionCreate(input: $i) { session { accessToken } } }",
    {"i": {"email": args.email, "password": args.password}},
)["sessionCreate"]["session"]
token = session["accessToken"]
first = gql("{ agencies(first: 1) { edges { node { id subAccounts(first: 1) { edges { node { id } } } } } } }", token=token)
agency = first["agencies"]["edges"][0]["node"]["id"]
sub = first["agencies"]["edges"][0]["node"]["subAccounts"]["edges"][0]["node"]["id"]


def run(query, variables):
    data = gql(query, variables, token, agency)
    payload = next(iter(data.values()))
    if payload.get("userErrors"):
        raise SystemExit(json.dumps(payload))
    return payload


days = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]
weekly = [{"weekday": d, "start": "08:00", "end": "18:00"} for d in days]
zones = ["Europe/Berlin", "America/New_York", "Asia/Tokyo"]
staff = []
for i in range(10):
    r = run(
        "mutation($i: CalendarResourceCreateInput!) { calendarResourceCreate(input: $i) { resource { id } userErrors { field code } } }",
        {"i": {"subAccountId": sub, "kind": "STAFF", "name": f"Bench staff {i}", "timeZone": zones[i % 3], "weekly": weekly}},
    )
    staff.append(r["resource"]["id"])
service = run(
    "mutation($i: CalendarServiceCreateInput!) { calendarServiceCreate(input: $i) { service { id } userErrors { field code } } }",
    {"i": {"subAccountId": sub, "name": "Bench visit", "durationMinutes": 30, "bufferBeforeMinutes": 5,
           "bufferAfterMinutes": 5, "intervalMinutes": 30, "horizonDays": 60, "resourceIds": staff}},
)["service"]["id"]
path = run(
    "mutation($id: ID!) { calendarServiceSetBookable(id: $id, bookable: true) { service { bookingPath } userErrors { code } } }",
    {"id": service},
)["service"]["bookingPath"]
contact = run(
    "mutation($i: ContactCreateInput!) { contactCreate(input: $i) { contact { id } userErrors { field code } } }",
    {"i": {"subAccountId": sub, "firstName": "Bench", "email": "bench-slots@bench.test"}},
)["contact"]["id"]
now = dt.datetime.now(dt.timezone.utc).replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=2)
rng = random.Random(7)
booked = 0
for _ in range(args.bookings * 3):
    if booked == args.bookings:
        break
    start = now + dt.timedelta(minutes=30 * rng.randrange(30 * 48))
    data = gql(
        "mutation($i: AppointmentBookInput!) { appointmentBook(input: $i) { appointment { id } userErrors { code } } }",
        {"i": {"serviceId": service, "contactId": contact, "start": start.isoformat(), "timeZone": "UTC",
               "resourceIds": [rng.choice(staff)]}},
        token, agency,
    )
    if not data["appointmentBook"]["userErrors"]:
        booked += 1
frm = now.strftime("%Y-%m-%dT%H:%M:%SZ")
to = (now + dt.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
print(f"{path}?from={frm}&to={to}&timeZone=Europe/Berlin")
print(f"# {len(staff)} staff, {booked} bookings", flush=True)
