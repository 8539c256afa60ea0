"""schemathesis hooks for scripts/fuzz: values for Canopy's custom scalars, and the one check
that matters here, "no INTERNAL": a 5xx, or a GraphQL error coded INTERNAL. (schemathesis's own
`not_a_server_error` fails on every GraphQL error, FORBIDDEN and BAD_USER_INPUT included, which
are the right answers to most generated input.)"""

import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes

schemathesis.graphql.scalar(
    "DateTime",
    st.datetimes().map(lambda d: nodes.String(d.isoformat() + "Z")) | st.text().map(nodes.String),
)
# Uploads travel as multipart parts, which generated queries do not send.
schemathesis.graphql.scalar("Upload", st.just(nodes.Null))


@schemathesis.check
def no_internal_error(ctx, response, case):
    """A 5xx, or an error coded INTERNAL, is a defect; every other answer may be right."""
    if response.status_code >= 500:
        raise AssertionError(f"status {response.status_code}")
    try:
        body = response.json()
    except Exception:  # a non-JSON answer is for other checks
        return None
    for error in (body or {}).get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code == "INTERNAL" or code is None:
            raise AssertionError(f"an error coded {code}: {error.get('message')}")
    return None
