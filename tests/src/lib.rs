//! Canopy's end-to-end test harness: [`spawn_app`] starts the real router on port 0 against a
//! fresh database: a temporary SQLite file, or, when `TEST_DATABASE_URL` names a PostgreSQL
//! server, a new database cloned from a migrated template and dropped afterwards.

mod app;
pub mod browser;
pub mod effects;
mod fixtures;
mod gql;
pub mod measure;
pub mod outage;
mod pg;
pub mod receiver;
pub mod s3;
pub mod smtp;
mod sse;
pub mod wire;
mod ws;

pub use app::{
    Configure, PASSWORD, TEST_JWT_SECRET, TestApp, heard, spawn_app, spawn_app_with, test_config,
};
pub use fixtures::{Acme, World};
pub use gql::{Gql, LOGIN, Part, REGISTER, Session};
pub use pg::with_user;
pub use sse::{Sse, SseEvent};
pub use ws::{WS_WAIT, Ws, WsEvent};

/// The fill-time token of the first form in a served page's HTML (its hidden `_t` field).
pub fn form_token(html: &str) -> Option<&str> {
    const FIELD: &str = "name=\"_t\" value=\"";
    let at = html.find(FIELD)? + FIELD.len();
    html[at..].split('"').next()
}

/// The row id (UUID) inside a global id.
pub fn uuid_of(gid: &str) -> uuid::Uuid {
    kernel::GlobalId::parse(gid).expect("a global id").uuid
}
