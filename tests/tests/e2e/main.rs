//! End-to-end tests: the real router over HTTP, a fresh database per test.
//! Run on SQLite by default; set `TEST_DATABASE_URL=postgres://…` for PostgreSQL.

mod activity;
mod api_keys;
mod branding;
mod cli;
mod contacts;
mod correctness;
mod counters;
mod custom_fields;
mod graphiql;
mod http;
mod identity;
mod import;
mod invitations;
mod isolation;
mod jobs;
mod kanban;
mod mail;
mod memberships;
mod merge;
mod node;
mod notifications;
mod purge;
mod readme;
mod reminders;
mod resellers;
mod retention;
mod rls;
mod scale;
mod schema;
mod sidebar;
mod subscriptions;
mod tenancy;
mod tenant;
mod webhooks;
mod workspace;
