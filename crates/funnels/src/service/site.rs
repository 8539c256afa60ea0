//! The public side: the published page at a host and path, for anyone, with no sign-in.
//!
//! Architecture Invariant: the public sees only live versions (`funnel_pages.live_version_id`)
//! of funnels whose sub-account and agency are live (not suspended, not deleted). A draft, an
//! unpublished page or a page of another funnel is never served: the lookup is by the host's
//! one funnel, then by path within it. The host is the only thing read before the tenant is
//! known (`kernel::db::Opening::SiteHost`); the rest is read in that tenant.

use crate::document::{self, render};
use crate::entity::{FunnelKind, domain, funnel, page, version};
use kernel::db::{Opening, TenantGuard};
use kernel::error::Error;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use std::hash::{Hash, Hasher};

/// What a host and path serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Served {
    /// A published page.
    Page {
        /// The whole HTML document.
        html: String,
        /// Its entity tag (a hash of the HTML, quoted).
        etag: String,
        /// Which page it is (for the view count).
        page: super::visit::PageKey,
        /// Its `Content-Security-Policy` when it differs from
        /// [`crate::document::tracking::BASE_POLICY`] (tracking tags).
        policy: Option<std::sync::Arc<str>>,
    },
    /// The host's funnel has no published page at this path, or its tenant is offline.
    NotFound,
    /// No funnel is served at this host.
    NoSite,
}

/// A host as a visitor sent it, normalized: lower case, no port, no trailing dot.
pub fn normalize_host(host: &str) -> String {
    let host = host.trim().to_ascii_lowercase();
    let host = match host.rsplit_once(':') {
        Some((h, port)) if !h.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host.as_str(),
    };
    host.trim_end_matches('.').to_owned()
}

/// The host of an `Origin` header's value (`https://www.example.com:8443` ->
/// `www.example.com`); empty for an opaque origin (`null`), which no host matches.
pub fn origin_host(origin: &str) -> String {
    let rest = origin.trim().split_once("://").map_or("", |(_, r)| r);
    normalize_host(rest.split('/').next().unwrap_or(""))
}

/// The funnel serving `host`: `<subdomain>.<sites_domain>`, or a custom domain. Opens the host
/// and then enters the funnel's tenant on `db` (a transaction of its own).
pub(crate) async fn funnel_at(
    db: &impl ConnectionTrait,
    sites_domain: &str,
    host: &str,
) -> Result<Option<funnel::Model>, Error> {
    if host.is_empty() || host.len() > 253 {
        return Ok(None);
    }
    let sub = host
        .strip_suffix(sites_domain)
        .and_then(|s| s.strip_suffix('.'))
        .filter(|s| !s.is_empty() && !s.contains('.'));
    // The opening names what is looked up: a subdomain (no dot) or a custom domain (dots).
    let key = sub.unwrap_or(host);
    kernel::db::open(db, Opening::SiteHost(key.to_owned())).await?;
    let f = match sub {
        Some(sub) => {
            funnel::Entity::find()
                .filter(funnel::Column::Subdomain.eq(sub))
                .one(db)
                .await?
        }
        None => {
            // A funnel's custom domain was free when it was added (an agency's or a reseller's
            // own domain is refused then): the first claim wins, so an agency that names a
            // funnel's domain as its own later cannot take the site offline.
            let Some(d) = domain::Entity::find()
                .filter(domain::Column::Host.eq(host))
                .one(db)
                .await?
            else {
                return Ok(None);
            };
            kernel::db::set_tenant(db, TenantGuard::Agency(d.agency_id)).await?;
            funnel::Entity::find_by_id((d.agency_id, d.funnel_id))
                .one(db)
                .await?
        }
    };
    let Some(f) = f else { return Ok(None) };
    kernel::db::set_tenant(db, TenantGuard::Agency(f.agency_id)).await?;
    Ok(Some(f))
}

/// The sub-account whose funnel `host` serves, if any, as `(agency_id, sub_account_id)` (on
/// `db`, a transaction of its own: it enters that tenant).
pub async fn owner_of_host(
    db: &impl ConnectionTrait,
    sites_domain: &str,
    host: &str,
) -> Result<Option<(uuid::Uuid, uuid::Uuid)>, Error> {
    Ok(funnel_at(db, sites_domain, host)
        .await?
        .map(|f| (f.agency_id, f.sub_account_id)))
}

/// Whether the funnel's agency and sub-account are live.
pub(crate) async fn online(db: &impl ConnectionTrait, f: &funnel::Model) -> Result<bool, Error> {
    tenancy::service::sub_account::is_online(db, f.agency_id, f.sub_account_id).await
}

/// A published page as the public reaches it.
pub(crate) struct LivePage {
    /// Its funnel.
    pub funnel: funnel::Model,
    /// The funnel's published pages, in order (a website's navigation).
    pub published: Vec<page::Model>,
    /// The page.
    pub page: page::Model,
    /// Its live version.
    pub version: version::Model,
    /// The funnel's tracking tags, if it has some and its sub-account allows them.
    pub tracking: Option<crate::document::tracking::Tracking>,
}

/// What a host and path reach.
pub(crate) enum Reached {
    /// A published page.
    Page(Box<LivePage>),
    /// The host's funnel has no published page at this path, or its tenant is offline.
    NotFound,
    /// No funnel is served at this host.
    NoSite,
}

/// The published page at `host` and `path`. `db` should be a transaction of its own: it is
/// left in the funnel's tenant.
pub(crate) async fn reach(
    db: &impl ConnectionTrait,
    sites_domain: &str,
    host: &str,
    path: &str,
) -> Result<Reached, Error> {
    let host = normalize_host(host);
    let path = super::normalize_path(path);
    let Some(f) = funnel_at(db, &sites_domain.to_ascii_lowercase(), &host).await? else {
        return Ok(Reached::NoSite);
    };
    if !online(db, &f).await? {
        return Ok(Reached::NotFound);
    }
    let published = page::Entity::find()
        .filter(page::Column::AgencyId.eq(f.agency_id))
        .filter(page::Column::FunnelId.eq(f.id))
        .filter(page::Column::LiveVersionId.is_not_null())
        .order_by_asc(page::Column::Rank)
        .order_by_asc(page::Column::Id)
        .all(db)
        .await?;
    let Some(p) = published
        .iter()
        .find(|p| path.as_deref() == Some(p.path.as_str()))
        .cloned()
    else {
        return Ok(Reached::NotFound);
    };
    let Some(v) = match p.live_version_id {
        Some(id) => {
            version::Entity::find_by_id((f.agency_id, id))
                .one(db)
                .await?
        }
        None => None,
    }
    .filter(|v| v.page_id == p.id) else {
        return Ok(Reached::NotFound);
    };
    let tracking = match super::tracking::of(&f) {
        Some(t) if super::tracking::allowed(db, f.agency_id, f.sub_account_id).await? => Some(t),
        _ => None,
    };
    Ok(Reached::Page(Box::new(LivePage {
        funnel: f,
        published,
        page: p,
        version: v,
        tracking,
    })))
}

/// The page at `host` and `path` from `cache`, with no database read, if it is cached and
/// still good.
pub fn cached(
    cache: &super::cache::PageCache,
    forms: &super::form::FormGuard,
    host: &str,
    path: &str,
) -> Option<Served> {
    let host = normalize_host(host);
    let path = super::normalize_path(path)?;
    cache.get(&host, &path).map(|r| finish(&r, forms))
}

/// The published page at `host` and `path`, rendered, and kept in `cache`. `db` should be a
/// transaction of its own: it is left in the funnel's tenant.
pub async fn serve(
    db: &impl ConnectionTrait,
    sites_domain: &str,
    forms: &super::form::FormGuard,
    cache: &super::cache::PageCache,
    host: &str,
    path: &str,
) -> Result<Served, Error> {
    let normal_host = normalize_host(host);
    let stamp = cache.stamp(cache.agency_of(&normal_host));
    let live = match reach(db, sites_domain, host, path).await? {
        Reached::Page(p) => p,
        Reached::NotFound => return Ok(Served::NotFound),
        Reached::NoSite => return Ok(Served::NoSite),
    };
    let rendered = render_live(*live)?;
    if let Some(path) = super::normalize_path(path) {
        cache.put(stamp, &normal_host, &path, &rendered);
    }
    Ok(finish(&rendered, forms))
}

/// A published page rendered.
fn render_live(live: LivePage) -> Result<super::cache::Rendered, Error> {
    let LivePage {
        funnel: f,
        published,
        page: p,
        version: v,
        tracking,
    } = live;
    let navigation: Vec<(String, String)> = if f.kind == FunnelKind::Website {
        published
            .iter()
            .map(|p| (p.name.clone(), p.path.clone()))
            .collect()
    } else {
        Vec::new()
    };
    let doc = document::stored(&v.document)?;
    let frame = render::PageFrame {
        site_name: &f.name,
        title: v.seo_title.as_deref().unwrap_or(&p.name),
        description: v.seo_description.as_deref(),
        favicon: f.favicon_url.as_deref(),
        tracking: tracking.as_ref(),
        navigation: &navigation,
    };
    let html = render::page(&frame, &doc);
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    html.hash(&mut hasher);
    Ok(super::cache::Rendered {
        has_form: html.contains(render::FORM_TOKEN),
        html: html.into(),
        hash: hasher.finish(),
        policy: tracking.map(|t| t.policy().into()),
        page: super::visit::PageKey {
            agency_id: f.agency_id,
            sub_account_id: f.sub_account_id,
            funnel_id: f.id,
            page_id: p.id,
        },
    })
}

/// The page as served: a fresh fill-time token in each form, and the entity tag. A page with a
/// form has a weak tag (the token differs, the page does not) that changes weekly, so that a
/// cached copy never holds a token too old to be accepted.
fn finish(r: &super::cache::Rendered, forms: &super::form::FormGuard) -> Served {
    if r.has_form {
        let now = chrono::Utc::now().timestamp_millis();
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        r.hash.hash(&mut hasher);
        super::form::token_epoch(now).hash(&mut hasher);
        let token = forms.token(r.page.page_id, now);
        return Served::Page {
            html: r.html.replace(render::FORM_TOKEN, &token),
            etag: format!("W/\"{:016x}\"", hasher.finish()),
            page: r.page,
            policy: r.policy.clone(),
        };
    }
    Served::Page {
        html: r.html.to_string(),
        etag: format!("\"{:016x}\"", r.hash),
        page: r.page,
        policy: r.policy.clone(),
    }
}
