//! Funnels and websites: create (with a first page at `/`), change, delete, list; custom
//! domains.

use super::{check_host, check_name, check_subdomain, check_url, fail_if};
use crate::document::Document;
use crate::entity::{FunnelKind, domain, funnel, page, version};
use chrono::Utc;
use kernel::auth::Actor;
use kernel::connection::{Page, PageInfo};
use kernel::error::{Error, UserError, UserErrorCode};
use kernel::event::EventType;
use kernel::id::new_uuid;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
};
use serde_json::json;
use tenancy::guard::{self, Access};
use uuid::Uuid;

/// Most funnels and websites in a sub-account.
pub const MAX_FUNNELS: u64 = 500;
/// Most custom domains of one funnel.
pub const MAX_DOMAINS: u64 = 10;

/// What a funnel is made of or changed to (`None`: unchanged; a blank favicon clears it).
#[derive(Debug, Clone, Default)]
pub struct FunnelFields {
    /// The name.
    pub name: Option<String>,
    /// The subdomain under the sites' domain.
    pub subdomain: Option<String>,
    /// The favicon's URL.
    pub favicon_url: Option<String>,
}

/// Keeps what the funnel's favicon uses of its sub-account's media library current.
pub(crate) async fn track_favicon(
    db: &impl ConnectionTrait,
    f: &funnel::Model,
) -> Result<(), Error> {
    let owner = media::service::usage::Owner {
        kind: media::service::usage::OwnerKind::Funnel,
        agency_id: f.agency_id,
        sub_account_id: f.sub_account_id,
        id: f.id,
    };
    let favicon = serde_json::Value::from(f.favicon_url.clone().unwrap_or_default());
    media::service::usage::set_tokens(db, owner, &media::service::usage::tokens_in(&favicon)).await
}

/// A funnel the actor may read.
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<funnel::Model, Error> {
    guard::load::<funnel::Entity>(db, actor, id, Access::Read).await
}

/// The funnels of a sub-account, newest first, optionally of one kind.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sub_account_id: Uuid,
    kind: Option<FunnelKind>,
    page: Page,
    with_total: bool,
) -> Result<(Vec<funnel::Model>, PageInfo, u64), Error> {
    let agency_id = guard::enter::<funnel::Entity>(db, actor, sub_account_id, Access::Read)
        .await?
        .agency_id;
    let mut q = funnel::Entity::find()
        .filter(funnel::Column::AgencyId.eq(agency_id))
        .filter(funnel::Column::SubAccountId.eq(sub_account_id));
    if let Some(k) = kind {
        q = q.filter(funnel::Column::Kind.eq(k));
    }
    let total = if with_total {
        q.clone().count(db).await?
    } else {
        0
    };
    let rows = page
        .apply_newest_first(q, funnel::Column::Id)
        .all(db)
        .await?;
    let (rows, info) = page.finish(rows, |f| f.id);
    Ok((rows, info, total))
}

pub(crate) fn subdomain_taken(err: sea_orm::DbErr) -> Error {
    if kernel::db::is_unique_violation(&err) {
        Error::user(
            "input.subdomain",
            UserErrorCode::Taken,
            "this subdomain is taken",
        )
    } else {
        err.into()
    }
}

/// Creates a funnel (or website) in a sub-account, with one empty page at `/`.
pub async fn create<C>(
    db: &C,
    actor: &Actor,
    sub_account_id: Uuid,
    kind: FunnelKind,
    fields: FunnelFields,
) -> Result<funnel::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let agency_id = guard::enter::<funnel::Entity>(db, actor, sub_account_id, Access::Write)
        .await?
        .agency_id;
    let mut errors = Vec::new();
    let name = check_name(
        &mut errors,
        "input.name",
        fields.name.as_deref().unwrap_or(""),
    );
    let subdomain = check_subdomain(
        &mut errors,
        "input.subdomain",
        fields.subdomain.as_deref().unwrap_or(""),
    );
    let favicon = check_url(
        &mut errors,
        "input.faviconUrl",
        fields.favicon_url.as_deref(),
    );
    let count = funnel::Entity::find()
        .filter(funnel::Column::AgencyId.eq(agency_id))
        .filter(funnel::Column::SubAccountId.eq(sub_account_id))
        .count(db)
        .await?;
    if count >= MAX_FUNNELS {
        errors.push(UserError::new(
            "input",
            UserErrorCode::LimitReached,
            format!("a sub-account has at most {MAX_FUNNELS} funnels and websites"),
        ));
    }
    fail_if(errors)?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let f = funnel::ActiveModel {
        agency_id: Set(agency_id),
        id: Set(new_uuid()),
        sub_account_id: Set(sub_account_id),
        name: Set(name),
        kind: Set(kind),
        subdomain: Set(subdomain),
        favicon_url: Set(favicon),
        tracking: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(subdomain_taken)?;
    track_favicon(&txn, &f).await?;
    page::ActiveModel {
        agency_id: Set(agency_id),
        id: Set(new_uuid()),
        sub_account_id: Set(sub_account_id),
        funnel_id: Set(f.id),
        name: Set("Home".to_owned()),
        path: Set("/".to_owned()),
        rank: Set(kernel::rank::between(None, None)?),
        seo_title: Set(None),
        seo_description: Set(None),
        draft: Set(serde_json::to_value(Document::empty()).unwrap_or_default()),
        live_version_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    guard::record(
        &txn,
        actor,
        &f,
        EventType::FunnelCreated,
        json!({ "name": f.name, "subdomain": f.subdomain }),
    )
    .await?;
    txn.commit().await?;
    Ok(f)
}

/// Changes a funnel's name, subdomain or favicon.
pub async fn update<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    fields: FunnelFields,
) -> Result<funnel::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let f = guard::load::<funnel::Entity>(db, actor, id, Access::Write).await?;
    let mut errors = Vec::new();
    let mut m: funnel::ActiveModel = f.into();
    if let Some(n) = &fields.name {
        m.name = Set(check_name(&mut errors, "input.name", n));
    }
    if let Some(s) = &fields.subdomain {
        m.subdomain = Set(check_subdomain(&mut errors, "input.subdomain", s));
    }
    if let Some(u) = &fields.favicon_url {
        m.favicon_url = Set(check_url(&mut errors, "input.faviconUrl", Some(u)));
    }
    fail_if(errors)?;
    m.updated_at = Set(Utc::now());
    let txn = db.begin().await?;
    let f = m.update(&txn).await.map_err(subdomain_taken)?;
    track_favicon(&txn, &f).await?;
    guard::record(
        &txn,
        actor,
        &f,
        EventType::FunnelUpdated,
        json!({ "name": f.name, "subdomain": f.subdomain }),
    )
    .await?;
    txn.commit().await?;
    Ok(f)
}

/// Deletes a funnel with its pages, their versions and its domains: its site goes offline.
pub async fn delete<C>(db: &C, actor: &Actor, id: Uuid) -> Result<Uuid, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let f = guard::load::<funnel::Entity>(db, actor, id, Access::Write).await?;
    let txn = db.begin().await?;
    let pages: Vec<Uuid> = page::Entity::find()
        .select_only()
        .column(page::Column::Id)
        .filter(page::Column::AgencyId.eq(f.agency_id))
        .filter(page::Column::FunnelId.eq(f.id))
        .into_tuple()
        .all(&txn)
        .await?;
    media::service::usage::clear_many(
        &txn,
        f.agency_id,
        media::service::usage::OwnerKind::FunnelPage,
        pages,
    )
    .await?;
    media::service::usage::clear_many(
        &txn,
        f.agency_id,
        media::service::usage::OwnerKind::Funnel,
        vec![f.id],
    )
    .await?;
    version::Entity::delete_many()
        .filter(version::Column::AgencyId.eq(f.agency_id))
        .filter(version::Column::FunnelId.eq(f.id))
        .exec(&txn)
        .await?;
    page::Entity::delete_many()
        .filter(page::Column::AgencyId.eq(f.agency_id))
        .filter(page::Column::FunnelId.eq(f.id))
        .exec(&txn)
        .await?;
    domain::Entity::delete_many()
        .filter(domain::Column::AgencyId.eq(f.agency_id))
        .filter(domain::Column::FunnelId.eq(f.id))
        .exec(&txn)
        .await?;
    funnel::Entity::delete_by_id((f.agency_id, f.id))
        .exec(&txn)
        .await?;
    guard::record(
        &txn,
        actor,
        &f,
        EventType::FunnelDeleted,
        json!({ "name": f.name }),
    )
    .await?;
    txn.commit().await?;
    Ok(f.id)
}

/// The custom domains of a funnel, by name.
pub async fn domains(
    db: &impl ConnectionTrait,
    f: &funnel::Model,
) -> Result<Vec<domain::Model>, Error> {
    Ok(domain::Entity::find()
        .filter(domain::Column::AgencyId.eq(f.agency_id))
        .filter(domain::Column::FunnelId.eq(f.id))
        .order_by_asc(domain::Column::Host)
        .all(db)
        .await?)
}

/// Serves a funnel at a custom domain too. A domain under the platform's or the sites' domain
/// is refused (those names are the platform's to give), and so is one another funnel has.
pub async fn add_domain<C>(
    db: &C,
    actor: &Actor,
    reserved: &[&str],
    id: Uuid,
    host: &str,
) -> Result<funnel::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let f = guard::load::<funnel::Entity>(db, actor, id, Access::Write).await?;
    let mut errors = Vec::new();
    let host = check_host(&mut errors, "input.host", host);
    if reserved
        .iter()
        .any(|r| host == *r || host.ends_with(&format!(".{r}")))
    {
        errors.push(UserError::new(
            "input.host",
            UserErrorCode::NotAllowed,
            "this domain belongs to the platform: use the funnel's subdomain",
        ));
    }
    if errors.is_empty() && tenancy::service::branding::is_branded_host(db, &host).await? {
        errors.push(UserError::new(
            "input.host",
            UserErrorCode::Taken,
            "this domain is taken",
        ));
    }
    if domains(db, &f).await?.len() as u64 >= MAX_DOMAINS {
        errors.push(UserError::new(
            "input.host",
            UserErrorCode::LimitReached,
            format!("a funnel has at most {MAX_DOMAINS} custom domains"),
        ));
    }
    fail_if(errors)?;
    let txn = db.begin().await?;
    domain::ActiveModel {
        agency_id: Set(f.agency_id),
        id: Set(new_uuid()),
        sub_account_id: Set(f.sub_account_id),
        funnel_id: Set(f.id),
        host: Set(host.clone()),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if kernel::db::is_unique_violation(&e) {
            Error::user("input.host", UserErrorCode::Taken, "this domain is taken")
        } else {
            e.into()
        }
    })?;
    guard::record(
        &txn,
        actor,
        &f,
        EventType::FunnelDomainAdded,
        json!({ "host": host }),
    )
    .await?;
    txn.commit().await?;
    Ok(f)
}

/// Stops serving a funnel at a custom domain.
pub async fn remove_domain<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    host: &str,
) -> Result<funnel::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let f = guard::load::<funnel::Entity>(db, actor, id, Access::Write).await?;
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    let txn = db.begin().await?;
    let gone = domain::Entity::delete_many()
        .filter(domain::Column::AgencyId.eq(f.agency_id))
        .filter(domain::Column::FunnelId.eq(f.id))
        .filter(domain::Column::Host.eq(&host))
        .exec(&txn)
        .await?
        .rows_affected;
    if gone == 0 {
        return Err(Error::user(
            "input.host",
            UserErrorCode::Invalid,
            "the funnel has no such domain",
        ));
    }
    guard::record(
        &txn,
        actor,
        &f,
        EventType::FunnelDomainRemoved,
        json!({ "host": host }),
    )
    .await?;
    txn.commit().await?;
    Ok(f)
}
