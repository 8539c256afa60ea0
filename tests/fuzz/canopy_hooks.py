"""schemathesis hooks for scripts/fuzz: values for Canopy's custom scalars, and the one check
that matters here, "no INTERNAL": a 5xx, or a GraphQL error coded INTERNAL. (schemathesis's own
`not_a_server_error` fails on every GraphQL error, FORBIDDEN and BAD_USER_INPUT included, which
are the right answers to most generated input.)"""

import graphql
import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes

schemathesis.graphql.scalar(
    "DateTime",
    st.datetimes().map(lambda d: nodes.String(d.isoformat() + "Z")) | st.text().map(nodes.String),
)
# Dates (a calendar exception's day): any date, far ones too, or any text.
schemathesis.graphql.scalar(
    "NaiveDate",
    st.dates().map(lambda d: nodes.String(d.isoformat())) | st.text().map(nodes.String),
)
# Uploads travel as multipart parts, which generated queries do not send.
schemathesis.graphql.scalar("Upload", st.just(nodes.Null))


def _object(fields):
    return nodes.Object(
        [graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=v) for k, v in fields.items()]
    )


# JSON (a page document, say): any value, with keys that a document has more often than not,
# so that the parser's deeper checks are reached too.
_leaf = st.one_of(
    st.just(nodes.Null),
    st.booleans().map(nodes.Boolean),
    st.integers(min_value=-(2**31), max_value=2**31 - 1).map(nodes.Int),
    st.sampled_from(["section", "row", "column", "heading", "text", "form", "customHtml", "email"]).map(nodes.String),
    st.text(max_size=40).map(nodes.String),
)
_key = st.sampled_from(
    ["schemaVersion", "blocks", "type", "children", "text", "level", "html", "href", "key", "fields", "name", "kind", "contact", "submitLabel"]
) | st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)
schemathesis.graphql.scalar(
    "JSON",
    st.recursive(
        _leaf,
        lambda inner: st.lists(inner, max_size=4).map(nodes.List)
        | st.dictionaries(_key, inner, max_size=5).map(_object),
        max_leaves=25,
    ),
)


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
