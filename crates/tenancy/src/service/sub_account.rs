//! Sub-accounts: an agency's client businesses, managed by the agency (`SUB_ACCOUNTS_MANAGE`)
//! or from above it; their own admins (`SETTINGS_MANAGE` in the sub-account) may edit them.

use super::access;
use super::agency::Lifecycle;
use super::validate::{Check, slugify};
use crate::entity::{agency, sub_account};
use chrono::Utc;
use kernel::auth::{Actor, Permission, Scope};
use kernel::connection::{Page, PageInfo};
use kernel::error::{Error, UserErrorCode};
use kernel::event;
use kernel::event::EventType;
use kernel::id::{NodeKind, new_uuid};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, TransactionSession, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

/// Input of [`create`] and the fields of [`update`] (`None`: unchanged; `Some("")` clears).
#[derive(Debug, Clone, Default)]
pub struct SubAccountFields {
    /// Display name.
    pub name: Option<String>,
    /// URL-safe short name, unique in the agency (default: from the name).
    pub slug: Option<String>,
    /// Contact email.
    pub email: Option<String>,
    /// Contact phone.
    pub phone: Option<String>,
    /// IANA time zone (default: the agency's).
    pub timezone: Option<String>,
    /// Logo URL.
    pub logo_url: Option<String>,
    /// Postal address.
    pub address: Option<String>,
}

/// Whether a sub-account and its agency are live (active, not deleted): what the public sides
/// (published pages, media files) serve only while true. Reads in the tenant set on `db`.
pub async fn is_online(
    db: &impl ConnectionTrait,
    agency_id: Uuid,
    sub_account_id: Uuid,
) -> Result<bool, Error> {
    let a = agency::Entity::find_by_id(agency_id).one(db).await?;
    if !a.is_some_and(|a| a.status == "active" && a.deleted_at.is_none()) {
        return Ok(false);
    }
    let s = sub_account::Entity::find_by_id((agency_id, sub_account_id))
        .one(db)
        .await?;
    Ok(s.is_some_and(|s| s.status == "active" && s.deleted_at.is_none()))
}

/// A visible sub-account with its agency, else `NOT_FOUND`.
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<(agency::Model, sub_account::Model), Error> {
    let s = sub_account::Entity::find()
        .filter(sub_account::Column::Id.eq(id))
        .filter(sub_account::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    let a = agency::Entity::find_by_id(s.agency_id)
        .one(db)
        .await?
        .filter(|a| a.deleted_at.is_none())
        .ok_or(Error::NotFound)?;
    if !access::sub_account_visible(actor, &a, &s) {
        return Err(Error::NotFound);
    }
    Ok((a, s))
}

/// Managing sub-accounts: from above the agency, or inside it (its tenant context) with
/// `SUB_ACCOUNTS_MANAGE`.
fn may_manage(actor: &Actor, a: &agency::Model) -> bool {
    access::above_agency(actor, a)
        || (actor.inside_tenant(a.id)
            && actor.can(Permission::SubAccountsManage, Scope::Agency(a.id)))
}

fn apply(c: &mut Check, m: &mut sub_account::ActiveModel, f: &SubAccountFields) -> Option<String> {
    if let Some(v) = &f.name {
        m.name = Set(c.name("input.name", v, 200));
    }
    let slug = f.slug.as_ref().map(|v| c.slug("input.slug", v));
    if let Some(v) = &slug {
        m.slug = Set(v.clone());
    }
    if let Some(v) = &f.email {
        m.email = Set(c.email("input.email", Some(v)));
    }
    if let Some(v) = &f.phone {
        m.phone = Set(c.text("input.phone", Some(v), 32));
    }
    if let Some(v) = &f.timezone {
        m.timezone = Set(c.timezone("input.timezone", v));
    }
    if let Some(v) = &f.logo_url {
        m.logo_url = Set(c.url("input.logoUrl", Some(v)));
    }
    if let Some(v) = &f.address {
        m.address = Set(c.text("input.address", Some(v), 500));
    }
    slug
}

async fn slug_taken(
    db: &impl ConnectionTrait,
    agency_id: Uuid,
    slug: &str,
    except: Option<Uuid>,
) -> Result<bool, Error> {
    let mut q = sub_account::Entity::find()
        .filter(sub_account::Column::AgencyId.eq(agency_id))
        .filter(sub_account::Column::Slug.eq(slug));
    if let Some(id) = except {
        q = q.filter(sub_account::Column::Id.ne(id));
    }
    Ok(q.count(db).await? > 0)
}

/// A member of the agency acting outside it is told to act inside it; others are forbidden.
fn outside_or_forbidden(actor: &Actor, a: &agency::Model) -> Error {
    if !actor.inside_tenant(a.id) && actor.can(Permission::SubAccountsManage, Scope::Agency(a.id)) {
        Error::ForbiddenWith(
            "you belong to several agencies: name this one (Canopy-Agency header) to work in it"
                .into(),
        )
    } else {
        Error::Forbidden
    }
}

/// Creates a sub-account in an agency.
pub async fn create<C>(
    db: &C,
    actor: &Actor,
    agency_id: Uuid,
    f: SubAccountFields,
) -> Result<sub_account::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let a = super::agency::get(db, actor, agency_id).await?;
    if !may_manage(actor, &a) {
        return Err(outside_or_forbidden(actor, &a));
    }
    let mut c = Check::default();
    let name = c.name("input.name", f.name.as_deref().unwrap_or_default(), 200);
    let now = Utc::now();
    let mut m = sub_account::ActiveModel {
        agency_id: Set(a.id),
        id: Set(new_uuid()),
        name: Set(name.clone()),
        slug: Set(slugify(&name)),
        email: Set(None),
        phone: Set(None),
        timezone: Set(a.timezone.clone()),
        logo_url: Set(None),
        address: Set(None),
        status: Set("active".into()),
        deleted_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let f = SubAccountFields { name: None, ..f };
    let slug = apply(&mut c, &mut m, &f).unwrap_or_else(|| slugify(&name));
    if slug_taken(db, a.id, &slug, None).await? {
        c.0.push(kernel::UserError::new(
            "input.slug",
            UserErrorCode::Taken,
            "another sub-account of this agency has this slug",
        ));
    }
    c.finish()?;
    let txn = db.begin().await?;
    let s = m.insert(&txn).await?;
    super::sidebar::create_defaults(&txn, access::sub_scope(&s)).await?;
    event::record_in(
        &txn,
        actor,
        access::sub_scope(&s),
        (NodeKind::SubAccount, s.id),
        EventType::SubAccountCreated,
        json!({ "name": s.name }),
    )
    .await?;
    txn.commit().await?;
    Ok(s)
}

/// Changes a sub-account.
pub async fn update<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    f: SubAccountFields,
) -> Result<sub_account::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let (a, s) = get(db, actor, id).await?;
    if !may_manage(actor, &a) && !actor.can(Permission::SettingsManage, access::sub_scope(&s)) {
        return Err(Error::Forbidden);
    }
    let mut c = Check::default();
    let mut m: sub_account::ActiveModel = s.clone().into();
    let slug = apply(&mut c, &mut m, &f);
    if let Some(slug) = slug
        && slug_taken(db, a.id, &slug, Some(s.id)).await?
    {
        c.0.push(kernel::UserError::new(
            "input.slug",
            UserErrorCode::Taken,
            "another sub-account of this agency has this slug",
        ));
    }
    c.finish()?;
    m.updated_at = Set(Utc::now());
    let txn = db.begin().await?;
    let s = m.update(&txn).await?;
    event::record_in(
        &txn,
        actor,
        access::sub_scope(&s),
        (NodeKind::SubAccount, s.id),
        EventType::SubAccountUpdated,
        json!({ "name": s.name }),
    )
    .await?;
    txn.commit().await?;
    Ok(s)
}

/// Suspends, reactivates, deletes or restores a sub-account.
pub async fn lifecycle<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    change: Lifecycle,
) -> Result<sub_account::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    actor.require_authenticated()?;
    let s = sub_account::Entity::find()
        .filter(sub_account::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    let a = agency::Entity::find_by_id(s.agency_id)
        .one(db)
        .await?
        .filter(|a| a.deleted_at.is_none())
        .ok_or(Error::NotFound)?;
    let manage = may_manage(actor, &a);
    if s.deleted_at.is_some() && (!manage || change != Lifecycle::Restore) {
        return Err(Error::NotFound);
    }
    if !manage {
        return Err(if access::sub_account_visible(actor, &a, &s) {
            Error::Forbidden
        } else {
            Error::NotFound
        });
    }
    let (status, deleted_at) = change.apply(&s.status, s.deleted_at)?;
    let mut m: sub_account::ActiveModel = s.into();
    m.status = Set(status);
    m.deleted_at = Set(deleted_at);
    m.updated_at = Set(Utc::now());
    let txn = db.begin().await?;
    let s = m.update(&txn).await?;
    let event_type = match change {
        Lifecycle::Suspend => EventType::SubAccountSuspended,
        Lifecycle::Reactivate => EventType::SubAccountReactivated,
        Lifecycle::Delete => EventType::SubAccountDeleted,
        Lifecycle::Restore => EventType::SubAccountRestored,
    };
    event::record_in(
        &txn,
        actor,
        access::sub_scope(&s),
        (NodeKind::SubAccount, s.id),
        event_type,
        json!({ "name": s.name }),
    )
    .await?;
    txn.commit().await?;
    Ok(s)
}

/// A page of an agency's sub-accounts that the actor can see.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    a: &agency::Model,
    page: Page,
    with_total: bool,
) -> Result<(Vec<sub_account::Model>, PageInfo, u64), Error> {
    let mut q = sub_account::Entity::find()
        .filter(sub_account::Column::AgencyId.eq(a.id))
        .filter(sub_account::Column::DeletedAt.is_null());
    if !access::reaches_all_sub_accounts(actor, a) {
        q = q.filter(sub_account::Column::Id.is_in(access::own_sub_accounts(actor, a.id)));
    }
    let total = if with_total {
        q.clone().count(db).await?
    } else {
        0
    };
    let rows = page.apply(q, sub_account::Column::Id).all(db).await?;
    let (rows, info) = page.finish(rows, |s| s.id);
    Ok((rows, info, total))
}

/// What each of `sub_accounts` (of `agency_id`) counts, in one statement whatever the page's
/// size: live contacts and open tickets from the counter rows the database keeps, and members
/// (memberships at the sub-account itself) counted. A sub-account with nothing counted is
/// absent. The caller decides who may see the numbers.
pub async fn counts(
    db: &impl ConnectionTrait,
    agency_id: Uuid,
    sub_accounts: &[Uuid],
) -> Result<kernel::loader::LoadedMap<Uuid, crate::SubAccountCounts>, Error> {
    use crate::entity::{membership, sub_account_counter as counter};
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, UnionType};
    let backend = db.get_database_backend();
    let ids = || sub_accounts.iter().copied();
    // `kind` 0: a counter row (`a` contacts, `b` open tickets); 1: members (`a`).
    let mut counters = Query::select()
        .expr_as(Expr::col(counter::Column::SubAccountId), Alias::new("id"))
        .expr_as(Expr::cust("0"), Alias::new("kind"))
        .expr_as(Expr::col(counter::Column::Contacts), Alias::new("a"))
        .expr_as(Expr::col(counter::Column::OpenTickets), Alias::new("b"))
        .from(counter::Entity)
        .and_where(Expr::col(counter::Column::AgencyId).eq(agency_id))
        .and_where(kernel::db::one_of(
            backend,
            counter::Column::SubAccountId,
            ids(),
        ))
        .to_owned();
    let members = Query::select()
        .expr_as(Expr::col(membership::Column::ScopeId), Alias::new("id"))
        .expr_as(Expr::cust("1"), Alias::new("kind"))
        .expr_as(Expr::col(membership::Column::Id).count(), Alias::new("a"))
        .expr_as(Expr::cust("CAST(0 AS BIGINT)"), Alias::new("b"))
        .from(membership::Entity)
        .and_where(Expr::col(membership::Column::AgencyId).eq(agency_id))
        .and_where(
            Expr::col(membership::Column::ScopeKind)
                .eq(kernel::auth::ScopeKind::SubAccount.as_str()),
        )
        .and_where(kernel::db::one_of(
            backend,
            membership::Column::ScopeId,
            ids(),
        ))
        .group_by_col(membership::Column::ScopeId)
        .to_owned();
    counters.union(UnionType::All, members);
    let stmt = backend.build(&counters);
    let mut out: kernel::loader::LoadedMap<Uuid, crate::SubAccountCounts> = Default::default();
    for row in db.query_all_raw(stmt).await? {
        let id: Uuid = row.try_get("", "id")?;
        let kind: i32 = row.try_get("", "kind")?;
        let (a, b): (i64, i64) = (row.try_get("", "a")?, row.try_get("", "b")?);
        let c = out.entry(id).or_default();
        if kind == 0 {
            (c.contacts, c.open_tickets) = (a, b);
        } else {
            c.members = a;
        }
    }
    Ok(out)
}
