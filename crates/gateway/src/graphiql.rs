//! GraphiQL, served from the binary: pinned GraphiQL and React builds embedded at build time
//! (`assets/graphiql/`, with their licences), so it works offline. It opens on a Canopy example
//! (sign in as the demo agency owner, then ask who you are) and carries the access token of a
//! sign-in to the requests after it.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

/// The embedded files: (name, content type, bytes).
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "graphiql-3.9.0.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/graphiql-3.9.0.min.js"),
    ),
    (
        "graphiql-3.9.0.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/graphiql/graphiql-3.9.0.min.css"),
    ),
    (
        "react-18.3.1.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/react-18.3.1.min.js"),
    ),
    (
        "react-dom-18.3.1.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/react-dom-18.3.1.min.js"),
    ),
    (
        "canopy.js",
        "text/javascript; charset=utf-8",
        CANOPY_JS.as_bytes(),
    ),
];

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Canopy GraphiQL</title>
  <link rel="stylesheet" href="/graphiql/graphiql-3.9.0.min.css">
  <style>body { margin: 0; } #graphiql { height: 100vh; }</style>
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="/graphiql/react-18.3.1.min.js"></script>
  <script src="/graphiql/react-dom-18.3.1.min.js"></script>
  <script src="/graphiql/graphiql-3.9.0.min.js"></script>
  <script src="/graphiql/canopy.js"></script>
</body>
</html>
"#;

const CANOPY_JS: &str = r#"// Canopy's GraphiQL: the demo sign-in flow, and the token it returns used from then on.
var DEFAULT_QUERY = [
  '# Canopy GraphQL API',
  '#',
  '# 1. Run SignIn (the demo agency owner).',
  '#    Its accessToken is then sent with',
  '#    every request from this page.',
  '# 2. Run Me.',
  '#',
  '# Your own token or API key: put',
  '# {"Authorization": "Bearer <token>"}',
  '# in Headers below; it wins.',
  '',
  'mutation SignIn {',
  '  sessionCreate(input: {',
  '    email: "owner@acme.demo"',
  '    password: "canopy-demo"',
  '  }) {',
  '    session { accessToken refreshToken }',
  '    userErrors { field code message }',
  '  }',
  '}',
  '',
  'query Me {',
  '  viewer { id email name }',
  '}',
  ''
].join('\n');

var token = null;
var base = GraphiQL.createFetcher({
  url: '/graphql',
  subscriptionUrl: (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/graphql/ws'
});

function fetcher(params, options) {
  var headers = Object.assign({}, options && options.headers);
  var named = Object.keys(headers).some(function (k) { return k.toLowerCase() === 'authorization'; });
  if (token && !named) { headers.Authorization = 'Bearer ' + token; }
  return Promise.resolve(base(params, Object.assign({}, options, { headers: headers }))).then(function (result) {
    var data = result && result.data;
    var session = data && (data.sessionCreate || data.sessionRefresh);
    if (session && session.session && session.session.accessToken) { token = session.session.accessToken; }
    return result;
  });
}

ReactDOM.createRoot(document.getElementById('graphiql')).render(
  React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultQuery: DEFAULT_QUERY,
    defaultEditorToolsVisibility: 'headers',
    shouldPersistHeaders: false
  })
);
"#;

/// The GraphiQL page.
pub async fn page() -> Html<&'static str> {
    Html(PAGE)
}

/// One embedded file; the names carry their versions, so they may be cached for a year.
pub async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            *bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}
