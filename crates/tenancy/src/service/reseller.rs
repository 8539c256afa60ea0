//! Resellers: white-label partners. The platform creates and administers them and credits their
//! wallets; their staff brand them and create agencies under them, paying in credits.

use super::agency::Lifecycle;
use super::membership::upsert_membership;
use super::validate::Check;
use crate::entity::{credit_entry, reseller};
use chrono::Utc;
use identity::entity::user;
use kernel::auth::{Actor, Permission, Role, Scope, ScopeKind};
use kernel::connection::{Page, PageInfo};
use kernel::error::{Error, UserErrorCode};
use kernel::event;
use kernel::event::EventType;
use kernel::id::{NodeKind, new_uuid};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait,
    PaginatorTrait, QueryFilter, QuerySelect, Statement, TransactionSession, TransactionTrait,
};
use uuid::Uuid;

/// Input of [`create`] and the fields of [`update`] (`None`: unchanged).
#[derive(Debug, Clone, Default)]
pub struct ResellerFields {
    /// Legal or display name.
    pub name: Option<String>,
    /// The brand its agencies see.
    pub brand_name: Option<String>,
    /// Logo URL.
    pub logo_url: Option<String>,
    /// Brand colour, `#rrggbb`.
    pub primary_color: Option<String>,
    /// White-label sender address of its email (empty: the platform's).
    pub sender_email: Option<String>,
    /// The domain its white-labelled platform is served at.
    pub white_label_domain: Option<String>,
    /// Revenue share, basis points (platform only).
    pub revenue_share_bps: Option<i32>,
    /// Credits per agency created (platform only).
    pub agency_price_credits: Option<i64>,
    /// The reseller's own main agency: one of the agencies it sold (platform only).
    pub manager_agency_id: Option<Uuid>,
}

/// Whether the actor may see the reseller: the platform's staff, or its own.
fn visible(actor: &Actor, r: &reseller::Model) -> bool {
    actor.can(Permission::ResellersManage, Scope::Platform)
        || !actor.permissions_in(Scope::Reseller(r.id)).is_empty()
}

/// A visible, live reseller, else `NOT_FOUND`.
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<reseller::Model, Error> {
    actor.require_authenticated()?;
    reseller::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|r| r.deleted_at.is_none() && visible(actor, r))
        .ok_or(Error::NotFound)
}

fn check_fields(
    c: &mut Check,
    m: &mut reseller::ActiveModel,
    f: &ResellerFields,
) -> Option<String> {
    if let Some(v) = &f.name {
        m.name = Set(c.name("input.name", v, 200));
    }
    if let Some(v) = &f.brand_name {
        m.brand_name = Set(c.name("input.brandName", v, 200));
    }
    if let Some(v) = &f.logo_url {
        m.logo_url = Set(c.url("input.logoUrl", Some(v)));
    }
    if let Some(v) = &f.primary_color {
        m.primary_color = Set(c.color("input.primaryColor", Some(v)));
    }
    if let Some(v) = &f.sender_email {
        m.sender_email = Set(c.email("input.senderEmail", Some(v)));
    }
    let mut domain = None;
    if let Some(v) = &f.white_label_domain {
        let d = (!v.trim().is_empty()).then(|| c.domain("input.whiteLabelDomain", v));
        domain.clone_from(&d);
        m.white_label_domain = Set(d);
    }
    if let Some(v) = f.revenue_share_bps {
        if !(0..=10_000).contains(&v) {
            c.0.push(kernel::UserError::new(
                "input.revenueShareBps",
                UserErrorCode::Invalid,
                "the revenue share is between 0 and 10000 basis points",
            ));
        }
        m.revenue_share_bps = Set(v);
    }
    if let Some(v) = f.agency_price_credits {
        m.agency_price_credits = Set(c.amount("input.agencyPriceCredits", v));
    }
    domain
}

async fn domain_taken(
    db: &impl ConnectionTrait,
    domain: &str,
    except: Option<Uuid>,
) -> Result<bool, Error> {
    // A domain names one brand: no agency's custom domain either.
    if crate::entity::agency::Entity::find()
        .filter(crate::entity::agency::Column::CustomDomain.eq(domain))
        .count(db)
        .await?
        > 0
    {
        return Ok(true);
    }
    let mut q = reseller::Entity::find().filter(reseller::Column::WhiteLabelDomain.eq(domain));
    if let Some(id) = except {
        q = q.filter(reseller::Column::Id.ne(id));
    }
    Ok(q.count(db).await? > 0)
}

/// Creates a reseller (platform admins) owned by a registered user.
pub async fn create<C>(
    db: &C,
    actor: &Actor,
    owner_email: &str,
    f: ResellerFields,
) -> Result<reseller::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    actor.require(Permission::ResellersManage, Scope::Platform)?;
    let mut c = Check::default();
    let now = Utc::now();
    let name = c.name("input.name", f.name.as_deref().unwrap_or_default(), 200);
    let mut m = reseller::ActiveModel {
        id: Set(new_uuid()),
        name: Set(name.clone()),
        brand_name: Set(name),
        logo_url: Set(None),
        primary_color: Set(None),
        sender_email: Set(None),
        white_label_domain: Set(None),
        revenue_share_bps: Set(0),
        agency_price_credits: Set(1),
        manager_agency_id: Set(None),
        status: Set("active".into()),
        deleted_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let domain = check_fields(&mut c, &mut m, &ResellerFields { name: None, ..f });
    if let Some(d) = &domain
        && domain_taken(db, d, None).await?
    {
        c.0.push(kernel::UserError::new(
            "input.whiteLabelDomain",
            UserErrorCode::Taken,
            "this domain is taken",
        ));
    }
    let owner = user::Entity::find()
        .filter(user::Column::Email.eq(owner_email.trim().to_lowercase()))
        .one(db)
        .await?;
    if owner.is_none() {
        c.0.push(kernel::UserError::new(
            "input.ownerEmail",
            UserErrorCode::Invalid,
            "no user has this email address; they must register first",
        ));
    }
    c.finish()?;
    let owner = owner.ok_or(Error::NotFound)?;
    let txn = db.begin().await?;
    let r = m.insert(&txn).await?;
    upsert_membership(
        &txn,
        actor,
        owner.id,
        Scope::Reseller(r.id),
        Role::ResellerOwner,
    )
    .await?;
    event::record_in(
        &txn,
        actor,
        Scope::Reseller(r.id),
        (NodeKind::Reseller, r.id),
        EventType::ResellerCreated,
        serde_json::json!({ "name": r.name }),
    )
    .await?;
    txn.commit().await?;
    Ok(r)
}

/// Changes a reseller: its staff (`SETTINGS_MANAGE`) its brand; the platform also its terms.
pub async fn update<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    f: ResellerFields,
) -> Result<reseller::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let r = get(db, actor, id).await?;
    let platform = actor.can(Permission::ResellersManage, Scope::Platform);
    if !platform && !actor.can(Permission::SettingsManage, Scope::Reseller(r.id)) {
        return Err(Error::Forbidden);
    }
    if !platform
        && (f.revenue_share_bps.is_some()
            || f.agency_price_credits.is_some()
            || f.manager_agency_id.is_some())
    {
        return Err(Error::user(
            "input",
            UserErrorCode::NotAllowed,
            "the terms are set by the platform",
        ));
    }
    let mut c = Check::default();
    let mut m: reseller::ActiveModel = r.clone().into();
    let domain = check_fields(&mut c, &mut m, &f);
    if let Some(a) = f.manager_agency_id {
        let sold = crate::entity::agency::Entity::find_by_id(a)
            .one(db)
            .await?
            .is_some_and(|x| x.reseller_id == Some(r.id) && x.deleted_at.is_none());
        if sold {
            m.manager_agency_id = Set(Some(a));
        } else {
            c.0.push(kernel::UserError::new(
                "input.managerAgencyId",
                UserErrorCode::Invalid,
                "the manager agency must be one of the reseller's agencies",
            ));
        }
    }
    if let Some(d) = &domain
        && domain_taken(db, d, Some(r.id)).await?
    {
        c.0.push(kernel::UserError::new(
            "input.whiteLabelDomain",
            UserErrorCode::Taken,
            "this domain is taken",
        ));
    }
    c.finish()?;
    m.updated_at = Set(Utc::now());
    let txn = db.begin().await?;
    let r = m.update(&txn).await?;
    event::record_in(
        &txn,
        actor,
        Scope::Reseller(r.id),
        (NodeKind::Reseller, r.id),
        EventType::ResellerUpdated,
        serde_json::json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(r)
}

/// Suspends, reactivates, deletes or restores a reseller (platform admins).
pub async fn lifecycle<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    change: Lifecycle,
) -> Result<reseller::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    actor.require_authenticated()?;
    let r = reseller::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    let platform = actor.can(Permission::ResellersManage, Scope::Platform);
    if !platform {
        return Err(if r.deleted_at.is_none() && visible(actor, &r) {
            Error::Forbidden
        } else {
            Error::NotFound
        });
    }
    if r.deleted_at.is_some() && change != Lifecycle::Restore {
        return Err(Error::NotFound);
    }
    let (status, deleted_at) = change.apply(&r.status, r.deleted_at)?;
    let mut m: reseller::ActiveModel = r.into();
    m.status = Set(status);
    m.deleted_at = Set(deleted_at);
    m.updated_at = Set(Utc::now());
    let txn = db.begin().await?;
    let r = m.update(&txn).await?;
    let event_type = match change {
        Lifecycle::Suspend => EventType::ResellerSuspended,
        Lifecycle::Reactivate => EventType::ResellerReactivated,
        Lifecycle::Delete => EventType::ResellerDeleted,
        Lifecycle::Restore => EventType::ResellerRestored,
    };
    event::record_in(
        &txn,
        actor,
        Scope::Reseller(r.id),
        (NodeKind::Reseller, r.id),
        event_type,
        serde_json::json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(r)
}

/// Most credits one movement may add.
pub const MAX_CREDIT: i64 = 1_000_000_000;

/// `FORBIDDEN` unless the actor may read the reseller's billing (its wallet).
pub fn require_billing_read(actor: &Actor, reseller_id: Uuid) -> Result<(), Error> {
    if actor.can(Permission::BillingRead, Scope::Platform)
        || actor.can(Permission::BillingRead, Scope::Reseller(reseller_id))
    {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

/// The wallet balance: the sum of the ledger.
pub async fn balance(db: &impl ConnectionTrait, reseller_id: Uuid) -> Result<i64, Error> {
    let backend = db.get_database_backend();
    let placeholder = if backend == DbBackend::Postgres {
        "$1"
    } else {
        "?"
    };
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS total \
                 FROM reseller_credit_entries WHERE reseller_id = {placeholder}"
            ),
            [reseller_id.into()],
        ))
        .await?;
    Ok(match row {
        Some(r) => r.try_get::<i64>("", "total")?,
        None => 0,
    })
}

/// Adds credits to a reseller's wallet (the platform's `BILLING_MANAGE`).
pub async fn credit<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    amount: i64,
    note: Option<String>,
) -> Result<reseller::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let r = get(db, actor, id).await?;
    actor.require(Permission::BillingManage, Scope::Platform)?;
    let mut c = Check::default();
    if amount <= 0 || amount > MAX_CREDIT {
        c.0.push(kernel::UserError::new(
            "input.amount",
            UserErrorCode::Invalid,
            "credit between 1 and 1000000000 credits",
        ));
    }
    let note = c.text("input.note", note.as_deref(), 500);
    c.finish()?;
    let txn = db.begin().await?;
    entry(&txn, actor, r.id, amount, "credit", None, note).await?;
    event::record_in(
        &txn,
        actor,
        Scope::Reseller(r.id),
        (NodeKind::Reseller, r.id),
        EventType::ResellerWalletCredited,
        serde_json::json!({ "amount": amount }),
    )
    .await?;
    txn.commit().await?;
    Ok(r)
}

async fn entry(
    db: &impl ConnectionTrait,
    actor: &Actor,
    reseller_id: Uuid,
    amount: i64,
    kind: &str,
    agency_id: Option<Uuid>,
    note: Option<String>,
) -> Result<(), Error> {
    credit_entry::ActiveModel {
        id: Set(new_uuid()),
        reseller_id: Set(reseller_id),
        amount: Set(amount),
        kind: Set(kind.into()),
        agency_id: Set(agency_id),
        note: Set(note),
        actor_id: Set(actor.user_id()),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Spends `price` credits of a reseller for a new agency, inside the caller's transaction.
/// The reseller row is locked first (`FOR UPDATE` on PostgreSQL; SQLite writers are serial), so
/// two concurrent spends of the last credit cannot both succeed.
pub(crate) async fn spend_for_agency(
    db: &impl ConnectionTrait,
    actor: &Actor,
    reseller_id: Uuid,
    agency_id: Uuid,
) -> Result<(), Error> {
    let r = reseller::Entity::find_by_id(reseller_id)
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    let price = r.agency_price_credits;
    if price == 0 {
        return Ok(());
    }
    let have = balance(db, reseller_id).await?;
    if have < price {
        return Err(Error::user(
            "input.resellerId",
            UserErrorCode::InsufficientCredits,
            format!("an agency costs {price} credits and the wallet holds {have}"),
        ));
    }
    entry(
        db,
        actor,
        reseller_id,
        -price,
        "agency_created",
        Some(agency_id),
        None,
    )
    .await
}

/// A page of the resellers the actor can see.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    page: Page,
    with_total: bool,
) -> Result<(Vec<reseller::Model>, PageInfo, u64), Error> {
    actor.require_authenticated()?;
    let mut q = reseller::Entity::find().filter(reseller::Column::DeletedAt.is_null());
    if !actor.can(Permission::ResellersManage, Scope::Platform) {
        let own: Vec<Uuid> = actor
            .memberships
            .iter()
            .filter(|m| m.scope.kind() == ScopeKind::Reseller)
            .filter_map(|m| m.scope.id())
            .collect();
        q = q.filter(reseller::Column::Id.is_in(own));
    }
    let total = if with_total {
        q.clone().count(db).await?
    } else {
        0
    };
    let rows = page.apply(q, reseller::Column::Id).all(db).await?;
    let (rows, info) = page.finish(rows, |r| r.id);
    Ok((rows, info, total))
}

/// A page of a reseller's ledger, newest last.
pub async fn entries(
    db: &impl ConnectionTrait,
    r: &reseller::Model,
    page: Page,
    with_total: bool,
) -> Result<(Vec<credit_entry::Model>, PageInfo, u64), Error> {
    let q = credit_entry::Entity::find().filter(credit_entry::Column::ResellerId.eq(r.id));
    let total = if with_total {
        q.clone().count(db).await?
    } else {
        0
    };
    let rows = page.apply(q, credit_entry::Column::Id).all(db).await?;
    let (rows, info) = page.finish(rows, |e| e.id);
    Ok((rows, info, total))
}
