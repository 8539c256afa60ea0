//! Agencies: created by the platform (direct customers), updated by the platform or their own
//! admins, suspended, deleted (soft, restorable for 30 days) and restored by the platform.

use super::access;
use super::membership::upsert_membership;
use super::validate::Check;
use crate::entity::agency;
use chrono::Utc;
use identity::entity::user;
use kernel::auth::{Actor, Permission, Role, Scope};
use kernel::connection::{Page, PageInfo};
use kernel::error::{Error, UserErrorCode};
use kernel::event::EventType;
use kernel::event::{self, NewEvent};
use kernel::id::{NodeKind, new_uuid};
use sea_orm::sea_query::Condition;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, TransactionSession, TransactionTrait,
};
use uuid::Uuid;

/// Days during which a deleted agency or sub-account can be restored.
pub const RESTORE_WINDOW_DAYS: i64 = 30;

/// Input of [`create`].
#[derive(Debug, Clone, Default)]
pub struct NewAgency {
    /// The reseller it is sold through; `None` for a direct customer of the platform.
    pub reseller_id: Option<Uuid>,
    /// Display name.
    pub name: String,
    /// Email of the registered user who will own the agency.
    pub owner_email: String,
    /// `<subdomain>.<platform domain>`.
    pub subdomain: Option<String>,
    /// The agency's own domain.
    pub custom_domain: Option<String>,
    /// IANA time zone.
    pub timezone: String,
    /// Postal address.
    pub address: Option<String>,
    /// Logo URL.
    pub logo_url: Option<String>,
    /// Brand colour, `#rrggbb`.
    pub primary_color: Option<String>,
    /// Marketplace feature flag.
    pub marketplace_enabled: bool,
    /// AI suite feature flag.
    pub ai_suite_enabled: bool,
    /// What the agency charges per sub-account (minor units).
    pub sub_account_price: i64,
    /// What the agency charges for white-label credits (minor units).
    pub white_label_price: i64,
    /// Currency of the prices.
    pub currency: String,
}

/// Changes of [`update`]; `None` leaves a field as it is. Optional text fields take `Some("")`
/// to clear them.
#[derive(Debug, Clone, Default)]
pub struct AgencyChanges {
    /// Display name.
    pub name: Option<String>,
    /// Subdomain.
    pub subdomain: Option<String>,
    /// Custom domain.
    pub custom_domain: Option<String>,
    /// Time zone.
    pub timezone: Option<String>,
    /// Address.
    pub address: Option<String>,
    /// Logo URL.
    pub logo_url: Option<String>,
    /// Brand colour.
    pub primary_color: Option<String>,
    /// White-label sender address of its email (empty: the reseller's or the platform's).
    pub sender_email: Option<String>,
    /// Marketplace flag (platform only).
    pub marketplace_enabled: Option<bool>,
    /// AI suite flag (platform only).
    pub ai_suite_enabled: Option<bool>,
    /// Price per sub-account.
    pub sub_account_price: Option<i64>,
    /// Price of white-label credits.
    pub white_label_price: Option<i64>,
    /// Currency.
    pub currency: Option<String>,
}

/// `sites` is where funnels are published by default (`sites.<platform domain>`).
const RESERVED_SUBDOMAINS: &[&str] = &[
    "www", "api", "app", "admin", "mail", "static", "status", "sites",
];

/// The visible agency with this id, else `NOT_FOUND` (deleted ones included).
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<agency::Model, Error> {
    let a = agency::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|a| a.deleted_at.is_none())
        .ok_or(Error::NotFound)?;
    if !access::agency_visible(actor, &a) {
        return Err(Error::NotFound);
    }
    Ok(a)
}

async fn check_unique(
    db: &impl ConnectionTrait,
    check: &mut Check,
    except: Option<Uuid>,
    subdomain: Option<&str>,
    custom_domain: Option<&str>,
) -> Result<(), Error> {
    let taken = |col: agency::Column, value: &str| {
        let mut q = agency::Entity::find().filter(col.eq(value));
        if let Some(id) = except {
            q = q.filter(agency::Column::Id.ne(id));
        }
        q
    };
    if let Some(s) = subdomain
        && (RESERVED_SUBDOMAINS.contains(&s)
            || taken(agency::Column::Subdomain, s).count(db).await? > 0)
    {
        check.0.push(kernel::UserError::new(
            "input.subdomain",
            UserErrorCode::Taken,
            "this subdomain is taken",
        ));
    }
    // A domain names one brand: no other agency's, and no reseller's white-label domain.
    if let Some(d) = custom_domain
        && (taken(agency::Column::CustomDomain, d).count(db).await? > 0
            || crate::entity::reseller::Entity::find()
                .filter(crate::entity::reseller::Column::WhiteLabelDomain.eq(d))
                .count(db)
                .await?
                > 0)
    {
        check.0.push(kernel::UserError::new(
            "input.customDomain",
            UserErrorCode::Taken,
            "this domain is taken",
        ));
    }
    Ok(())
}

/// Creates an agency and makes the named user its owner: a direct one (platform admins), or
/// one under a reseller (its staff, paying the reseller's price in wallet credits; the platform
/// may also create one there, free).
pub async fn create<C>(db: &C, actor: &Actor, input: NewAgency) -> Result<agency::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    actor.require_authenticated()?;
    let platform = actor.can(Permission::AgenciesManage, Scope::Platform);
    match input.reseller_id {
        None if !platform => return Err(Error::Forbidden),
        None => {}
        Some(r) => {
            let reseller = crate::entity::reseller::Entity::find_by_id(r)
                .one(db)
                .await?
                .filter(|x| x.deleted_at.is_none())
                .ok_or(Error::NotFound)?;
            if !platform && !actor.can(Permission::AgenciesManage, Scope::Reseller(r)) {
                return Err(if actor.permissions_in(Scope::Reseller(r)).is_empty() {
                    Error::NotFound
                } else {
                    Error::Forbidden
                });
            }
            if reseller.status != "active" {
                return Err(Error::user(
                    "input.resellerId",
                    UserErrorCode::NotAllowed,
                    "the reseller is suspended",
                ));
            }
        }
    }
    let mut c = Check::default();
    let name = c.name("input.name", &input.name, 200);
    let subdomain = input
        .subdomain
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| c.slug("input.subdomain", s));
    let custom_domain = input
        .custom_domain
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| c.domain("input.customDomain", s));
    let timezone = c.timezone("input.timezone", &input.timezone);
    let address = c.text("input.address", input.address.as_deref(), 500);
    let logo_url = c.url("input.logoUrl", input.logo_url.as_deref());
    let primary_color = c.color("input.primaryColor", input.primary_color.as_deref());
    let currency = c.currency("input.currency", &input.currency);
    let sub_account_price = c.amount("input.subAccountPrice", input.sub_account_price);
    let white_label_price = c.amount("input.whiteLabelPrice", input.white_label_price);
    let owner_email = input.owner_email.trim().to_lowercase();
    let owner = user::Entity::find()
        .filter(user::Column::Email.eq(&owner_email))
        .one(db)
        .await?;
    if owner.is_none() {
        c.0.push(kernel::UserError::new(
            "input.ownerEmail",
            UserErrorCode::Invalid,
            "no user has this email address; they must register first",
        ));
    }
    check_unique(
        db,
        &mut c,
        None,
        subdomain.as_deref(),
        custom_domain.as_deref(),
    )
    .await?;
    c.finish()?;
    let owner = owner.ok_or(Error::NotFound)?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let model = agency::ActiveModel {
        id: Set(new_uuid()),
        reseller_id: Set(input.reseller_id),
        name: Set(name),
        subdomain: Set(subdomain),
        custom_domain: Set(custom_domain),
        timezone: Set(timezone),
        address: Set(address),
        logo_url: Set(logo_url),
        primary_color: Set(primary_color),
        sender_email: Set(None),
        marketplace_enabled: Set(input.marketplace_enabled),
        ai_suite_enabled: Set(input.ai_suite_enabled),
        sub_account_price: Set(sub_account_price),
        white_label_price: Set(white_label_price),
        currency: Set(currency),
        stripe_connect_account_id: Set(None),
        status: Set("active".into()),
        deleted_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    if let (Some(r), false) = (input.reseller_id, platform) {
        super::reseller::spend_for_agency(&txn, actor, r, model.id).await?;
    }
    let scope = Scope::Agency(model.id);
    super::sidebar::create_defaults(&txn, scope).await?;
    upsert_membership(&txn, actor, owner.id, scope, Role::AgencyOwner).await?;
    event::record(
        &txn,
        actor,
        NewEvent {
            event_type: EventType::AgencyCreated,
            scope,
            subject: (NodeKind::Agency, model.id),
            payload: serde_json::json!({ "name": model.name, "ownerId": owner.id.to_string() }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// Changes an agency. The platform (or the agency's reseller) may change anything; the agency's
/// own admins (`SETTINGS_MANAGE`) everything but the feature flags, which are sold to them.
pub async fn update<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    ch: AgencyChanges,
) -> Result<agency::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let a = get(db, actor, id).await?;
    let above = access::above_agency(actor, &a);
    if !above && !actor.can(Permission::SettingsManage, Scope::Agency(a.id)) {
        return Err(Error::Forbidden);
    }
    if !above && (ch.marketplace_enabled.is_some() || ch.ai_suite_enabled.is_some()) {
        return Err(Error::user(
            "input",
            UserErrorCode::NotAllowed,
            "feature flags are set by the platform",
        ));
    }
    let mut c = Check::default();
    let mut m: agency::ActiveModel = a.clone().into();
    if let Some(v) = &ch.name {
        m.name = Set(c.name("input.name", v, 200));
    }
    let mut new_sub = None;
    if let Some(v) = &ch.subdomain {
        let v = (!v.trim().is_empty()).then(|| c.slug("input.subdomain", v));
        new_sub.clone_from(&v);
        m.subdomain = Set(v);
    }
    let mut new_domain = None;
    if let Some(v) = &ch.custom_domain {
        let v = (!v.trim().is_empty()).then(|| c.domain("input.customDomain", v));
        new_domain.clone_from(&v);
        m.custom_domain = Set(v);
    }
    if let Some(v) = &ch.timezone {
        m.timezone = Set(c.timezone("input.timezone", v));
    }
    if let Some(v) = &ch.address {
        m.address = Set(c.text("input.address", Some(v), 500));
    }
    if let Some(v) = &ch.logo_url {
        m.logo_url = Set(c.url("input.logoUrl", Some(v)));
    }
    if let Some(v) = &ch.primary_color {
        m.primary_color = Set(c.color("input.primaryColor", Some(v)));
    }
    if let Some(v) = &ch.sender_email {
        m.sender_email = Set(c.email("input.senderEmail", Some(v)));
    }
    if let Some(v) = ch.marketplace_enabled {
        m.marketplace_enabled = Set(v);
    }
    if let Some(v) = ch.ai_suite_enabled {
        m.ai_suite_enabled = Set(v);
    }
    if let Some(v) = ch.sub_account_price {
        m.sub_account_price = Set(c.amount("input.subAccountPrice", v));
    }
    if let Some(v) = ch.white_label_price {
        m.white_label_price = Set(c.amount("input.whiteLabelPrice", v));
    }
    if let Some(v) = &ch.currency {
        m.currency = Set(c.currency("input.currency", v));
    }
    check_unique(
        db,
        &mut c,
        Some(a.id),
        new_sub.as_deref(),
        new_domain.as_deref(),
    )
    .await?;
    c.finish()?;
    m.updated_at = Set(Utc::now());
    let txn = db.begin().await?;
    let model = m.update(&txn).await?;
    event::record(
        &txn,
        actor,
        NewEvent {
            event_type: EventType::AgencyUpdated,
            scope: Scope::Agency(a.id),
            subject: (NodeKind::Agency, a.id),
            payload: serde_json::json!({}),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// A change of an agency's or sub-account's life: suspend, reactivate, delete, restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    /// Stop its members from working in it.
    Suspend,
    /// Undo a suspension.
    Reactivate,
    /// Soft-delete: hidden at once, restorable for 30 days.
    Delete,
    /// Undo a deletion within 30 days.
    Restore,
}

impl Lifecycle {
    /// The event type suffix.
    pub const fn verb(self) -> &'static str {
        match self {
            Lifecycle::Suspend => "suspended",
            Lifecycle::Reactivate => "reactivated",
            Lifecycle::Delete => "deleted",
            Lifecycle::Restore => "restored",
        }
    }

    /// Applies the change to `(status, deleted_at)`, or says why it cannot.
    pub fn apply(
        self,
        status: &str,
        deleted_at: Option<chrono::DateTime<Utc>>,
    ) -> Result<(String, Option<chrono::DateTime<Utc>>), Error> {
        let done = |m: &str| Err(Error::user("id", UserErrorCode::AlreadyDone, m));
        let now = Utc::now();
        match self {
            Lifecycle::Suspend if status == "suspended" => done("it is already suspended"),
            Lifecycle::Suspend => Ok(("suspended".into(), deleted_at)),
            Lifecycle::Reactivate if status == "active" => done("it is already active"),
            Lifecycle::Reactivate => Ok(("active".into(), deleted_at)),
            Lifecycle::Delete => Ok((status.into(), Some(now))),
            Lifecycle::Restore => match deleted_at {
                None => done("it is not deleted"),
                Some(t) if now - t > chrono::Duration::days(RESTORE_WINDOW_DAYS) => {
                    Err(Error::user(
                        "id",
                        UserErrorCode::NotAllowed,
                        format!(
                            "it was deleted more than {RESTORE_WINDOW_DAYS} days ago and cannot be restored"
                        ),
                    ))
                }
                Some(_) => Ok((status.into(), None)),
            },
        }
    }
}

/// Suspends, reactivates, deletes or restores an agency: the platform's (or its reseller's) call.
pub async fn lifecycle<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    change: Lifecycle,
) -> Result<agency::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    actor.require_authenticated()?;
    let a = agency::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    let above = access::above_agency(actor, &a);
    // A deleted agency exists only for those who may restore it.
    if a.deleted_at.is_some() && !above {
        return Err(Error::NotFound);
    }
    if !above {
        return Err(if access::agency_visible(actor, &a) {
            Error::Forbidden
        } else {
            Error::NotFound
        });
    }
    if a.deleted_at.is_some() && change != Lifecycle::Restore {
        return Err(Error::NotFound);
    }
    let (status, deleted_at) = change.apply(&a.status, a.deleted_at)?;
    let mut m: agency::ActiveModel = a.into();
    m.status = Set(status);
    m.deleted_at = Set(deleted_at);
    m.updated_at = Set(Utc::now());
    let txn = db.begin().await?;
    let model = m.update(&txn).await?;
    event::record(
        &txn,
        actor,
        NewEvent {
            event_type: match change {
                Lifecycle::Suspend => EventType::AgencySuspended,
                Lifecycle::Reactivate => EventType::AgencyReactivated,
                Lifecycle::Delete => EventType::AgencyDeleted,
                Lifecycle::Restore => EventType::AgencyRestored,
            },
            scope: Scope::Agency(model.id),
            subject: (NodeKind::Agency, model.id),
            payload: serde_json::json!({}),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// A page of the agencies the actor can see (optionally only a reseller's), and their count
/// when asked for.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    under_reseller: Option<Uuid>,
    page: Page,
    with_total: bool,
) -> Result<(Vec<agency::Model>, PageInfo, u64), Error> {
    actor.require_authenticated()?;
    let mut q = agency::Entity::find().filter(agency::Column::DeletedAt.is_null());
    if let Some(r) = under_reseller {
        q = q.filter(agency::Column::ResellerId.eq(r));
    }
    if !actor.can(Permission::AgenciesManage, Scope::Platform) {
        let (resellers, agencies) = access::reach(actor);
        if resellers.is_empty() && agencies.is_empty() {
            return Ok((Vec::new(), PageInfo::default(), 0));
        }
        q = q.filter(
            Condition::any()
                .add(agency::Column::ResellerId.is_in(resellers))
                .add(agency::Column::Id.is_in(agencies)),
        );
    }
    let total = if with_total {
        q.clone().count(db).await?
    } else {
        0
    };
    let rows = page.apply(q, agency::Column::Id).all(db).await?;
    let (rows, info) = page.finish(rows, |a| a.id);
    Ok((rows, info, total))
}
