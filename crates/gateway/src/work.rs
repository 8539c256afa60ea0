//! Background work: every domain's job handlers and schedules in one [`jobs::Registry`], and
//! the runtime that runs them while the server serves. A crate with jobs adds one line here.

use crate::AppState;
use std::time::Duration;

/// Every kind of job this binary can run.
pub fn registry(state: &AppState) -> Result<jobs::Registry, String> {
    let config = &state.config;
    let mut r = jobs::Registry::new();
    let mailer = mail::Mailer::new(&mail::MailConfig {
        smtp_url: config.smtp_url.clone(),
        from: config.mail_from.clone(),
        dir: config.mail_dir.clone(),
        retry_base: Duration::from_millis(config.mail_retry_base_ms),
    })?;
    tracing::info!("email goes to {}", mailer.describe());
    mail::register(&mut r, std::sync::Arc::new(mailer));
    kanban::work::register(&mut r);
    identity::work::register(&mut r);
    jobs::retention::register(&mut r);
    webhooks::register(&mut r, webhook_settings(config), config.webhook_retry_scale)?;
    tenancy::retention::register(&mut r, tenant_tables());
    tenancy::service::support::register(&mut r);
    media::work::register(&mut r, state.media.clone());
    calendars::work::register(&mut r);
    analytics::register(&mut r);
    audit::register(&mut r, config.audit_retention_days);
    Ok(r)
}

/// Every crate's tenant tables in the order removing a tenant empties them: children before
/// parents (webhooks and kanban before the CRM's contacts and tags, the tenancy tree last). A
/// crate with tenant tables adds its list here.
pub fn tenant_tables() -> Vec<kernel::purge::TenantTable> {
    [
        webhooks::TENANT_TABLES,
        funnels::TENANT_TABLES,
        kanban::TENANT_TABLES,
        media::TENANT_TABLES,
        calendars::TENANT_TABLES,
        referrals::TENANT_TABLES,
        reviews::TENANT_TABLES,
        analytics::TENANT_TABLES,
        audit::TENANT_TABLES,
        crm::TENANT_TABLES,
        jobs::TENANT_TABLES,
        mail::TENANT_TABLES,
        kernel::purge::TENANT_TABLES,
        identity::TENANT_TABLES,
        tenancy::retention::TENANT_TABLES,
    ]
    .concat()
}

/// The funnels' deployment settings.
pub fn funnel_settings(config: &kernel::Config) -> funnels::Settings {
    let sites = config.sites_domain();
    let platform = config
        .platform_domain
        .trim()
        .trim_end_matches('.')
        .to_ascii_lowercase();
    funnels::Settings {
        sites_domain: sites.clone(),
        reserved_domains: vec![platform, sites],
    }
}

/// The webhooks' deployment settings.
pub fn webhook_settings(config: &kernel::Config) -> webhooks::Settings {
    webhooks::Settings {
        allow_private: config.webhook_allow_private,
    }
}

/// Starts the job runtime on a pool of its own (its statements are not the requests'; on
/// PostgreSQL its sessions may read every tenant's `jobs`, and only those).
pub async fn start(state: &AppState, registry: jobs::Registry) -> Result<jobs::Runtime, String> {
    let config = &state.config;
    let workers = config.job_workers;
    let size = u32::try_from(workers.min(32)).unwrap_or(32) + 2;
    let db = kernel::pool::connect_job_runner(config, size).await?;
    jobs::Runtime::start(
        db,
        registry,
        jobs::RuntimeConfig {
            workers,
            poll: Duration::from_millis(config.job_poll_ms.max(10)),
            lease: Duration::from_secs(config.job_lease_secs.max(3)),
            shutdown_grace: Duration::from_secs(config.job_shutdown_grace_secs),
            ..jobs::RuntimeConfig::default()
        },
        state.metrics.jobs.clone(),
    )
    .await
    .map_err(|e| format!("the job runtime did not start: {}", e.public_message()))
}
