//! Canopy's database migrations: one module per domain, portable across SQLite and PostgreSQL.
//!
//! PostgreSQL-only statements (row-level security, later) check the backend and run with
//! `execute_unprepared`. `DeriveMigrationName` names a migration after its file, so each file
//! holds exactly one migration.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_kernel;
mod m20261122_000002_identity;
mod m20261122_000003_tenancy;
mod m20261122_000004_tenancy_tree;
pub mod m20261122_000005_row_level_security;
mod m20261122_000006_resellers;
mod m20261122_000007_invitations;
mod m20261122_000008_sidebar_options;
mod m20261122_000009_crm_contacts;
mod m20261122_000010_crm_tags;
mod m20261122_000011_crm_timeline;
mod m20261123_000012_crm_fields_segments;
pub mod m20261123_000013_crm_full_text;
mod m20261123_000014_kanban;
mod m20261123_000015_task_workspace;
mod m20261123_000016_contacts_phone;
mod m20261123_000017_events_feed;
mod m20261123_000018_notifications;
pub mod m20261123_000019_live_bus;
pub mod m20261123_000020_sub_account_counters;
mod m20261203_000021_jobs;
mod m20261203_000022_delivery;
mod m20261203_000023_webhooks;
pub mod m20261203_000024_unique_ranks;
pub mod m20261203_000025_second_wall;
mod m20261203_000026_credentials;
mod m20261204_000027_funnels;
mod m20261204_000028_forms;
mod m20261204_000029_funnel_visits;
mod m20261204_000030_media;
mod m20261204_000031_funnel_tracking;
mod m20261204_000032_media_thumbnails;
mod m20261205_000033_calendars;
mod m20261205_000034_referrals;
mod m20261205_000035_reviews;
mod m20261206_000036_analytics;
pub mod m20261207_000037_credential_bus;
mod m20261207_000038_rate_budgets;
mod m20261207_000039_audit_log;
mod m20261207_000040_support_access;

/// A hash of every migration's source: changes whenever a migration is added or edited.
pub const FINGERPRINT: &str = env!("MIGRATIONS_FINGERPRINT");

/// Every migration, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_kernel::Migration),
            Box::new(m20261122_000002_identity::Migration),
            Box::new(m20261122_000003_tenancy::Migration),
            Box::new(m20261122_000004_tenancy_tree::Migration),
            Box::new(m20261122_000005_row_level_security::Migration),
            Box::new(m20261122_000006_resellers::Migration),
            Box::new(m20261122_000007_invitations::Migration),
            Box::new(m20261122_000008_sidebar_options::Migration),
            Box::new(m20261122_000009_crm_contacts::Migration),
            Box::new(m20261122_000010_crm_tags::Migration),
            Box::new(m20261122_000011_crm_timeline::Migration),
            Box::new(m20261123_000012_crm_fields_segments::Migration),
            Box::new(m20261123_000013_crm_full_text::Migration),
            Box::new(m20261123_000014_kanban::Migration),
            Box::new(m20261123_000015_task_workspace::Migration),
            Box::new(m20261123_000016_contacts_phone::Migration),
            Box::new(m20261123_000017_events_feed::Migration),
            Box::new(m20261123_000018_notifications::Migration),
            Box::new(m20261123_000019_live_bus::Migration),
            Box::new(m20261123_000020_sub_account_counters::Migration),
            Box::new(m20261203_000021_jobs::Migration),
            Box::new(m20261203_000022_delivery::Migration),
            Box::new(m20261203_000023_webhooks::Migration),
            Box::new(m20261203_000024_unique_ranks::Migration),
            Box::new(m20261203_000025_second_wall::Migration),
            Box::new(m20261203_000026_credentials::Migration),
            Box::new(m20261204_000027_funnels::Migration),
            Box::new(m20261204_000028_forms::Migration),
            Box::new(m20261204_000029_funnel_visits::Migration),
            Box::new(m20261204_000030_media::Migration),
            Box::new(m20261204_000031_funnel_tracking::Migration),
            Box::new(m20261204_000032_media_thumbnails::Migration),
            Box::new(m20261205_000033_calendars::Migration),
            Box::new(m20261205_000034_referrals::Migration),
            Box::new(m20261205_000035_reviews::Migration),
            Box::new(m20261206_000036_analytics::Migration),
            Box::new(m20261207_000037_credential_bus::Migration),
            Box::new(m20261207_000038_rate_budgets::Migration),
            Box::new(m20261207_000039_audit_log::Migration),
            Box::new(m20261207_000040_support_access::Migration),
        ]
    }
}
