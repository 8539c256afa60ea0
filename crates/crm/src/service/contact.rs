//! Contacts: create, change, soft delete and restore, find and list. Read inside the request's
//! tenant with `CONTACTS_READ` in the contact's sub-account; written with `CONTACTS_WRITE`.

use crate::entity::contact;
use chrono::Utc;
use kernel::auth::{Actor, Permission, Scope};
use kernel::connection::{Page, PageInfo};
use kernel::error::{Error, UserError, UserErrorCode};
use kernel::event::{self, NewEvent};
use kernel::id::{NodeKind, new_uuid};
use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, TransactionSession, TransactionTrait,
};
use uuid::Uuid;

/// Where a contact came from.
pub const SOURCES: &[&str] = &["manual", "form", "ad", "import", "api", "referral", "other"];
/// Where a contact stands.
pub const STATUSES: &[&str] = &["new", "contacted", "qualified", "converted", "lost"];

/// A contact's fields; `None` leaves a field as it is (on update), `Some("")` clears it.
#[derive(Debug, Clone, Default)]
pub struct ContactFields {
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Phone number with its country code.
    pub phone: Option<String>,
    /// Company.
    pub company: Option<String>,
    /// Source (one of [`SOURCES`]).
    pub source: Option<String>,
    /// Status (one of [`STATUSES`]).
    pub status: Option<String>,
    /// The member who owns the contact; `Some(None)` clears it.
    pub owner_id: Option<Option<Uuid>>,
    /// Do not email.
    pub dnd_email: Option<bool>,
    /// Do not text.
    pub dnd_sms: Option<bool>,
    /// Do not call.
    pub dnd_calls: Option<bool>,
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct ContactFilter {
    /// Prefix of a first name, last name, email or phone.
    pub search: Option<String>,
    /// Only this status.
    pub status: Option<String>,
    /// Only this source.
    pub source: Option<String>,
    /// Only contacts owned by this user.
    pub owner_id: Option<Uuid>,
    /// Only contacts with this tag.
    pub tag_id: Option<Uuid>,
}

fn scope(agency_id: Uuid, sub_account_id: Uuid) -> Scope {
    Scope::SubAccount {
        agency_id,
        id: sub_account_id,
    }
}

/// `NOT_FOUND` unless the request acts inside the agency and the actor holds something in the
/// sub-account; `FORBIDDEN` without `permission` there.
pub fn authorize(
    actor: &Actor,
    agency_id: Uuid,
    sub_account_id: Uuid,
    permission: Permission,
) -> Result<(), Error> {
    actor.require_authenticated()?;
    let perms = actor.permissions_in(scope(agency_id, sub_account_id));
    if actor.tenant != Some(agency_id) || perms.is_empty() {
        return Err(Error::NotFound);
    }
    if !perms.contains(permission) {
        return Err(Error::Forbidden);
    }
    Ok(())
}

/// The sub-account's agency, when the request acts inside it and the sub-account is live.
pub async fn sub_account_in_tenant(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sub_account_id: Uuid,
) -> Result<Uuid, Error> {
    use tenancy::entity::sub_account;
    let agency_id = actor.tenant.ok_or(Error::NotFound)?;
    sub_account::Entity::find()
        .filter(sub_account::Column::AgencyId.eq(agency_id))
        .filter(sub_account::Column::Id.eq(sub_account_id))
        .filter(sub_account::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .map(|s| s.agency_id)
        .ok_or(Error::NotFound)
}

async fn load(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    deleted: bool,
) -> Result<contact::Model, Error> {
    let agency_id = actor.tenant.ok_or(Error::NotFound)?;
    contact::Entity::find_by_id((agency_id, id))
        .one(db)
        .await?
        .filter(|c| c.deleted_at.is_some() == deleted)
        .ok_or(Error::NotFound)
}

/// A contact the actor may read.
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<contact::Model, Error> {
    actor.require_authenticated()?;
    let c = load(db, actor, id, false).await?;
    authorize(
        actor,
        c.agency_id,
        c.sub_account_id,
        Permission::ContactsRead,
    )?;
    Ok(c)
}

fn check(errors: &mut Vec<UserError>, m: &mut contact::ActiveModel, f: &ContactFields) {
    let mut push = |field: &str, message: &str| {
        errors.push(UserError::new(field, UserErrorCode::Invalid, message));
    };
    let text = |v: &str, max: usize| -> Result<String, ()> {
        let v = v.trim();
        if v.chars().count() > max {
            Err(())
        } else {
            Ok(v.to_owned())
        }
    };
    if let Some(v) = &f.first_name {
        match text(v, 100) {
            Ok(v) => {
                m.first_name_key = Set(v.to_lowercase());
                m.first_name = Set(v);
            }
            Err(()) => push("input.firstName", "at most 100 characters"),
        }
    }
    if let Some(v) = &f.last_name {
        match text(v, 100) {
            Ok(v) => {
                m.last_name_key = Set(v.to_lowercase());
                m.last_name = Set(v);
            }
            Err(()) => push("input.lastName", "at most 100 characters"),
        }
    }
    if let Some(v) = &f.company {
        match text(v, 200) {
            Ok(v) => m.company = Set(Some(v).filter(|v| !v.is_empty())),
            Err(()) => push("input.company", "at most 200 characters"),
        }
    }
    if let Some(v) = &f.email {
        let v = v.trim().to_lowercase();
        if v.is_empty() {
            m.email = Set(None);
        } else if v.len() > 254 || !email_address::EmailAddress::is_valid(&v) {
            push("input.email", "enter a valid email address");
        } else {
            m.email = Set(Some(v));
        }
    }
    if let Some(v) = &f.phone {
        let v = v.trim();
        if v.is_empty() {
            m.phone = Set(None);
        } else {
            match phonenumber::parse(None, v) {
                Ok(n) if phonenumber::is_valid(&n) => {
                    m.phone = Set(Some(n.format().mode(phonenumber::Mode::E164).to_string()));
                }
                _ => push(
                    "input.phone",
                    "enter a valid number with its country code, such as +1 415 555 2671",
                ),
            }
        }
    }
    if let Some(v) = &f.source {
        if SOURCES.contains(&v.as_str()) {
            m.source = Set(v.clone());
        } else {
            push("input.source", "unknown source");
        }
    }
    if let Some(v) = &f.status {
        if STATUSES.contains(&v.as_str()) {
            m.status = Set(v.clone());
        } else {
            push("input.status", "unknown status");
        }
    }
    if let Some(v) = f.dnd_email {
        m.dnd_email = Set(v);
    }
    if let Some(v) = f.dnd_sms {
        m.dnd_sms = Set(v);
    }
    if let Some(v) = f.dnd_calls {
        m.dnd_calls = Set(v);
    }
}

/// The owner must be a person who works in the sub-account.
async fn check_owner(
    db: &impl ConnectionTrait,
    errors: &mut Vec<UserError>,
    owner: Uuid,
    agency_id: Uuid,
    sub_account_id: Uuid,
) -> Result<(), Error> {
    let member = Actor {
        principal: kernel::Principal::User {
            user_id: owner,
            session_id: Uuid::nil(),
        },
        memberships: tenancy::memberships_of(db, owner).await?,
        tenant: Some(agency_id),
    };
    if !member.can(Permission::ContactsRead, scope(agency_id, sub_account_id)) {
        errors.push(UserError::new(
            "input.ownerId",
            UserErrorCode::Invalid,
            "the owner must be a member who works in this sub-account",
        ));
    }
    Ok(())
}

async fn record(
    db: &impl ConnectionTrait,
    actor: &Actor,
    c: &contact::Model,
    event_type: &'static str,
) -> Result<(), Error> {
    event::record(
        db,
        actor,
        NewEvent {
            event_type,
            scope: scope(c.agency_id, c.sub_account_id),
            subject: (NodeKind::Contact, c.id),
            payload: serde_json::json!({}),
        },
    )
    .await
    .map(|_| ())
}

/// Whether the contact (as it would be written) has a name, an email address or a phone.
fn identifiable(m: &contact::ActiveModel) -> bool {
    use sea_orm::ActiveValue::{NotSet, Set, Unchanged};
    fn val<T>(v: &sea_orm::ActiveValue<T>) -> Option<&T>
    where
        T: Into<sea_orm::Value>,
    {
        match v {
            Set(x) | Unchanged(x) => Some(x),
            NotSet => None,
        }
    }
    let named = [&m.first_name, &m.last_name]
        .into_iter()
        .any(|v| val(v).is_some_and(|s| !s.is_empty()));
    named
        || val(&m.email).is_some_and(Option::is_some)
        || val(&m.phone).is_some_and(Option::is_some)
}

/// Creates a contact in a sub-account of the request's tenant.
pub async fn create<C>(
    db: &C,
    actor: &Actor,
    sub_account_id: Uuid,
    f: ContactFields,
) -> Result<contact::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    actor.require_authenticated()?;
    let agency_id = sub_account_in_tenant(db, actor, sub_account_id).await?;
    authorize(actor, agency_id, sub_account_id, Permission::ContactsWrite)?;
    let now = Utc::now();
    let mut m = contact::ActiveModel {
        agency_id: Set(agency_id),
        id: Set(new_uuid()),
        sub_account_id: Set(sub_account_id),
        first_name: Set(String::new()),
        last_name: Set(String::new()),
        first_name_key: Set(String::new()),
        last_name_key: Set(String::new()),
        email: Set(None),
        phone: Set(None),
        company: Set(None),
        source: Set("manual".into()),
        status: Set("new".into()),
        owner_id: Set(None),
        dnd_email: Set(false),
        dnd_sms: Set(false),
        dnd_calls: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
    };
    let mut errors = Vec::new();
    check(&mut errors, &mut m, &f);
    if let Some(Some(owner)) = f.owner_id {
        check_owner(db, &mut errors, owner, agency_id, sub_account_id).await?;
        m.owner_id = Set(Some(owner));
    }
    if errors.is_empty() && !identifiable(&m) {
        errors.push(UserError::new(
            "input",
            UserErrorCode::Invalid,
            "give the contact a name, an email address or a phone number",
        ));
    }
    if !errors.is_empty() {
        return Err(Error::User(errors));
    }
    let txn = db.begin().await?;
    let c = m.insert(&txn).await?;
    record(&txn, actor, &c, "contact.created").await?;
    txn.commit().await?;
    Ok(c)
}

/// Changes a contact.
pub async fn update<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    f: ContactFields,
) -> Result<contact::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    let c = get(db, actor, id).await?;
    authorize(
        actor,
        c.agency_id,
        c.sub_account_id,
        Permission::ContactsWrite,
    )?;
    let mut m: contact::ActiveModel = c.clone().into();
    let mut errors = Vec::new();
    check(&mut errors, &mut m, &f);
    match f.owner_id {
        Some(Some(owner)) => {
            check_owner(db, &mut errors, owner, c.agency_id, c.sub_account_id).await?;
            m.owner_id = Set(Some(owner));
        }
        Some(None) => m.owner_id = Set(None),
        None => {}
    }
    if errors.is_empty() && !identifiable(&m) {
        errors.push(UserError::new(
            "input",
            UserErrorCode::Invalid,
            "a contact keeps a name, an email address or a phone number",
        ));
    }
    if !errors.is_empty() {
        return Err(Error::User(errors));
    }
    m.updated_at = Set(Utc::now());
    let txn = db.begin().await?;
    let c = m.update(&txn).await?;
    record(&txn, actor, &c, "contact.updated").await?;
    txn.commit().await?;
    Ok(c)
}

/// Soft-deletes (`deleted = true`) or restores a contact.
pub async fn set_deleted<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    deleted: bool,
) -> Result<contact::Model, Error>
where
    C: ConnectionTrait + TransactionTrait,
{
    actor.require_authenticated()?;
    let c = load(db, actor, id, !deleted).await?;
    authorize(
        actor,
        c.agency_id,
        c.sub_account_id,
        Permission::ContactsWrite,
    )?;
    let mut m: contact::ActiveModel = c.into();
    m.deleted_at = Set(deleted.then(Utc::now));
    m.updated_at = Set(Utc::now());
    let txn = db.begin().await?;
    let c = m.update(&txn).await?;
    record(
        &txn,
        actor,
        &c,
        if deleted {
            "contact.deleted"
        } else {
            "contact.restored"
        },
    )
    .await?;
    txn.commit().await?;
    Ok(c)
}

/// A page of a sub-account's contacts matching the filter, oldest first.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sub_account_id: Uuid,
    filter: ContactFilter,
    page: Page,
    with_total: bool,
) -> Result<(Vec<contact::Model>, PageInfo, u64), Error> {
    actor.require_authenticated()?;
    let agency_id = sub_account_in_tenant(db, actor, sub_account_id).await?;
    authorize(actor, agency_id, sub_account_id, Permission::ContactsRead)?;
    let mut q = contact::Entity::find()
        .filter(contact::Column::AgencyId.eq(agency_id))
        .filter(contact::Column::SubAccountId.eq(sub_account_id))
        .filter(contact::Column::DeletedAt.is_null());
    if let Some(s) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        // A prefix match, case-insensitive, escaped so `%` and `_` are literal.
        let escaped: String = s
            .to_lowercase()
            .chars()
            .flat_map(|ch| match ch {
                '%' | '_' | '\\' => vec!['\\', ch],
                c => vec![c],
            })
            .collect();
        let pattern = format!("{escaped}%");
        // The stored keys are lowercased already (names) or by nature (emails, E.164 phones):
        // no LOWER() on the column, so indexes apply and every database folds case alike.
        let like = |col: contact::Column| {
            Expr::col(col).like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\'))
        };
        q = q.filter(
            Condition::any()
                .add(like(contact::Column::FirstNameKey))
                .add(like(contact::Column::LastNameKey))
                .add(like(contact::Column::Email))
                .add(like(contact::Column::Phone)),
        );
    }
    if let Some(v) = filter.status {
        q = q.filter(contact::Column::Status.eq(v));
    }
    if let Some(v) = filter.source {
        q = q.filter(contact::Column::Source.eq(v));
    }
    if let Some(v) = filter.owner_id {
        q = q.filter(contact::Column::OwnerId.eq(v));
    }
    if let Some(t) = filter.tag_id {
        use crate::entity::contact_tag;
        use sea_orm::{QuerySelect, QueryTrait};
        let tagged = contact_tag::Entity::find()
            .select_only()
            .column(contact_tag::Column::ContactId)
            .filter(contact_tag::Column::AgencyId.eq(agency_id))
            .filter(contact_tag::Column::TagId.eq(t))
            .into_query();
        q = q.filter(contact::Column::Id.in_subquery(tagged));
    }
    let total = if with_total {
        q.clone().count(db).await?
    } else {
        0
    };
    let rows = page.apply(q, contact::Column::Id).all(db).await?;
    let (rows, info) = page.finish(rows, |c| c.id);
    Ok((rows, info, total))
}
