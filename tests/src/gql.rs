//! GraphQL over HTTP: requests, uploads, [`Gql`] responses, and signing users up and in.

use crate::{PASSWORD, TestApp};
use serde_json::{Value, json};

/// The registration [`TestApp::register`] sends.
pub const REGISTER: &str = "mutation($i: UserRegisterInput!) { userRegister(input: $i) { user { id } userErrors { code } } }";
/// The sign-in [`TestApp::login`] sends.
pub const LOGIN: &str = "mutation($i: SessionCreateInput!) { sessionCreate(input: $i) { session { accessToken refreshToken user { id } } userErrors { field code message } } }";

/// A GraphQL response.
#[derive(Debug, Clone)]
pub struct Gql {
    /// HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: Value,
}

impl Gql {
    /// `data.<path>` (dotted).
    pub fn data(&self, path: &str) -> &Value {
        let mut v = &self.body["data"];
        for p in path.split('.').filter(|p| !p.is_empty()) {
            v = &v[p];
        }
        v
    }

    /// The `extensions.code` of the first top-level error, if any.
    pub fn error_code(&self) -> Option<&str> {
        self.body["errors"][0]["extensions"]["code"].as_str()
    }

    /// The message of the first top-level error, if any.
    pub fn error_message(&self) -> Option<&str> {
        self.body["errors"][0]["message"].as_str()
    }

    /// Panics unless the response has no errors.
    #[track_caller]
    pub fn ok(self) -> Self {
        assert!(
            self.body.get("errors").is_none(),
            "unexpected errors: {}",
            self.body
        );
        self
    }

    /// The `userErrors` of the mutation payload at `path`, as (field path dotted, code) pairs.
    pub fn user_errors(&self, path: &str) -> Vec<(String, String)> {
        self.data(path)["userErrors"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| {
                let field: Vec<&str> = e["field"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                (
                    field.join("."),
                    e["code"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    /// The `userErrors` of the mutation payload at `path`, as `code` strings.
    pub fn user_error_codes(&self, path: &str) -> Vec<String> {
        self.data(path)["userErrors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e["code"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A file part of a multipart request ([`TestApp::upload_part`]).
#[derive(Debug, Clone, Copy)]
pub struct Part<'a> {
    /// The part's file name.
    pub filename: &'a str,
    /// Its `Content-Type` header, if any.
    pub content_type: Option<&'a str>,
    /// Its bytes.
    pub bytes: &'a [u8],
}

/// A signed-in user's tokens.
#[derive(Debug, Clone)]
pub struct Session {
    /// The user's global id.
    pub user_id: String,
    /// Bearer access token.
    pub access: String,
    /// Refresh token.
    pub refresh: String,
}

impl TestApp {
    /// Posts a GraphQL request, optionally with a bearer token.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Gql {
        self.gql_with_headers(token, query, variables, &[]).await
    }

    /// Posts a GraphQL request with extra headers.
    pub async fn gql_with_headers(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
        headers: &[(&str, &str)],
    ) -> Gql {
        let mut req = self
            .http
            .post(format!("{}/graphql", self.url))
            .header("content-type", "application/json")
            .body(json!({ "query": query, "variables": variables }).to_string());
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or_else(|_| json!({ "raw": text }));
        Gql { status, body }
    }

    /// Posts a GraphQL multipart request (the GraphQL multipart request spec) with one file
    /// at `variables.<file_path>` (dotted); `preflight` adds `GraphQL-Require-Preflight`.
    pub async fn upload(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
        file_path: &str,
        file: &[u8],
        preflight: bool,
    ) -> Gql {
        let part = Part {
            filename: "contacts.csv",
            content_type: Some("text/csv"),
            bytes: file,
        };
        self.upload_part(token, query, variables, file_path, part, preflight)
            .await
    }

    /// [`TestApp::upload`] with the file part's name and `Content-Type` given (`None`: the
    /// part has no `Content-Type`).
    pub async fn upload_part(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
        file_path: &str,
        part: Part<'_>,
        preflight: bool,
    ) -> Gql {
        let file = part.bytes;
        let boundary = "canopy-test-boundary-7MA4YWxkTrZu0gW";
        let operations = json!({ "query": query, "variables": variables }).to_string();
        let map = json!({ "0": [format!("variables.{file_path}")] }).to_string();
        let mut body = Vec::new();
        for (name, value) in [("operations", operations), ("map", map)] {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        let content_type = part
            .content_type
            .map(|t| format!("Content-Type: {t}\r\n"))
            .unwrap_or_default();
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"0\"; filename=\"{}\"\r\n{content_type}\r\n",
                part.filename
            )
            .as_bytes(),
        );
        body.extend_from_slice(file);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let mut req = self
            .http
            .post(format!("{}/graphql", self.url))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        if preflight {
            req = req.header("graphql-require-preflight", "1");
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or_else(|_| json!({ "raw": text }));
        Gql { status, body }
    }

    /// Registers a user through the API.
    pub async fn register(&self, email: &str) -> String {
        let r = self
            .gql(
                None,
                REGISTER,
                json!({ "i": { "email": email, "name": "Test User", "password": PASSWORD } }),
            )
            .await
            .ok();
        r.data("userRegister.user.id")
            .as_str()
            .expect("user id")
            .to_owned()
    }

    /// Signs in through the API.
    pub async fn login(&self, email: &str, password: &str) -> Gql {
        self.gql(
            None,
            LOGIN,
            json!({ "i": { "email": email, "password": password } }),
        )
        .await
    }

    /// Registers and signs in a new user.
    pub async fn user(&self, email: &str) -> Session {
        let id = self.register(email).await;
        let r = self.login(email, PASSWORD).await.ok();
        Session {
            user_id: id,
            access: r
                .data("sessionCreate.session.accessToken")
                .as_str()
                .expect("access")
                .to_owned(),
            refresh: r
                .data("sessionCreate.session.refreshToken")
                .as_str()
                .expect("refresh")
                .to_owned(),
        }
    }
}
