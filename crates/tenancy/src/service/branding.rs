//! White-label branding: which brand a request host shows, without signing in.

use crate::entity::{agency, reseller};
use kernel::error::Error;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

/// The platform's own brand and domain (from configuration).
#[derive(Debug, Clone)]
pub struct PlatformBrand {
    /// The platform's name.
    pub name: String,
    /// The platform's domain; agencies are reached at `<subdomain>.<domain>`.
    pub domain: String,
}

/// Whose brand a host shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrandOwner {
    /// The platform itself.
    Platform,
    /// A reseller's white-label domain.
    Reseller,
    /// An agency's custom domain or subdomain.
    Agency,
}

/// A brand to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Brand {
    /// Whose brand it is.
    pub owner: BrandOwner,
    /// The name to show.
    pub name: String,
    /// Logo URL.
    pub logo_url: Option<String>,
    /// Brand colour.
    pub primary_color: Option<String>,
}

fn normalize(host: &str) -> String {
    let host = host.trim().to_lowercase();
    // A port is not part of the brand, nor is the root's trailing dot.
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host.as_str(),
    };
    host.trim_end_matches('.').to_owned()
}

fn live_agency(a: &agency::Model) -> bool {
    a.deleted_at.is_none() && a.status == "active"
}

/// The brand a host shows: an agency's custom domain, a reseller's white-label domain, an
/// agency's `<subdomain>.<platform domain>`, or the platform's own domain. An agency sold by a
/// reseller falls back on the reseller's logo and colour. `None` for any other host (or a
/// suspended or deleted owner).
pub async fn for_host(
    db: &impl ConnectionTrait,
    platform: &PlatformBrand,
    host: &str,
) -> Result<Option<Brand>, Error> {
    let host = normalize(host);
    if host.is_empty() || host.len() > 253 {
        return Ok(None);
    }
    let platform_domain = normalize(&platform.domain);
    if host == platform_domain {
        return Ok(Some(Brand {
            owner: BrandOwner::Platform,
            name: platform.name.clone(),
            logo_url: None,
            primary_color: None,
        }));
    }
    // Under the platform's domain only subdomains count: nobody's custom domain can claim a
    // name there.
    let under_platform = host.ends_with(&format!(".{platform_domain}"));
    let by_domain = if under_platform {
        None
    } else {
        agency::Entity::find()
            .filter(agency::Column::CustomDomain.eq(&host))
            .one(db)
            .await?
    };
    let by_subdomain = match (
        by_domain.is_none(),
        host.strip_suffix(&format!(".{platform_domain}")),
    ) {
        (true, Some(sub)) if !sub.contains('.') => {
            agency::Entity::find()
                .filter(agency::Column::Subdomain.eq(sub))
                .one(db)
                .await?
        }
        _ => None,
    };
    if let Some(a) = by_domain.or(by_subdomain) {
        if !live_agency(&a) {
            return Ok(None);
        }
        let reseller = match a.reseller_id {
            Some(r) => reseller::Entity::find_by_id(r).one(db).await?,
            None => None,
        };
        return Ok(Some(Brand {
            owner: BrandOwner::Agency,
            name: a.name,
            logo_url: a
                .logo_url
                .or_else(|| reseller.as_ref().and_then(|r| r.logo_url.clone())),
            primary_color: a
                .primary_color
                .or_else(|| reseller.as_ref().and_then(|r| r.primary_color.clone())),
        }));
    }
    if under_platform {
        return Ok(None);
    }
    let r = reseller::Entity::find()
        .filter(reseller::Column::WhiteLabelDomain.eq(&host))
        .one(db)
        .await?
        .filter(|r| r.deleted_at.is_none() && r.status == "active");
    Ok(r.map(|r| Brand {
        owner: BrandOwner::Reseller,
        name: r.brand_name,
        logo_url: r.logo_url,
        primary_color: r.primary_color,
    }))
}

/// Who a scope's email is from: its agency's white-label sender, else the sender of the
/// reseller that sold the agency (or of the reseller itself), else `None` (the platform's).
pub async fn sender_for(
    db: &impl ConnectionTrait,
    scope: kernel::Scope,
) -> Result<Option<mail::Sender>, Error> {
    use kernel::Scope;
    let reseller_id = match scope {
        Scope::Agency(a) | Scope::SubAccount { agency_id: a, .. } => {
            let Some(a) = agency::Entity::find_by_id(a).one(db).await? else {
                return Ok(None);
            };
            if let Some(address) = a.sender_email {
                return Ok(Some(mail::Sender {
                    name: a.name,
                    address,
                }));
            }
            a.reseller_id
        }
        Scope::Reseller(r) => Some(r),
        _ => None,
    };
    let Some(r) = reseller_id else {
        return Ok(None);
    };
    Ok(reseller::Entity::find_by_id(r)
        .one(db)
        .await?
        .and_then(|r| {
            r.sender_email.map(|address| mail::Sender {
                name: r.brand_name,
                address,
            })
        }))
}

/// Whether `host` (normalized) is an agency's custom domain or a reseller's white-label domain,
/// whatever their status: such a host is the dashboard's, and nothing else may be served there
/// (a funnel's custom domain, say).
pub async fn is_branded_host(db: &impl ConnectionTrait, host: &str) -> Result<bool, Error> {
    let host = normalize(host);
    if agency::Entity::find()
        .filter(agency::Column::CustomDomain.eq(&host))
        .one(db)
        .await?
        .is_some()
    {
        return Ok(true);
    }
    Ok(reseller::Entity::find()
        .filter(reseller::Column::WhiteLabelDomain.eq(&host))
        .one(db)
        .await?
        .is_some())
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn hosts_are_normalised() {
        assert_eq!(normalize(" CRM.Example.com.:8443 "), "crm.example.com");
        assert_eq!(normalize("example.com"), "example.com");
    }
}
