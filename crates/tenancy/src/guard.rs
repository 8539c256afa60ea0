//! The one access primitive for a sub-account's data: every domain crate loads, enters and
//! records through it, so "may this actor see or change this row" is written once.
//!
//! Architecture Invariant: a service never reads a tenant row by id or lists a sub-account's
//! rows without going through [`load`] / [`load_where`] / [`load_child`] / [`load_with`] (a row
//! by id, the last with rows joined to it) or
//! [`enter`] (a sub-account, before listing or creating in it). Both apply the same rule,
//! [`kernel::Actor::require_inside`]: another tenant's row or sub-account, or one the actor
//! holds nothing in, is `NOT_FOUND`, exactly like a missing one; one it may not act on the way
//! asked is `FORBIDDEN`. GraphQL guards are never the only check (interfaces bypass them).
//! Every entry point reads in the request's tenant (`Actor::tenant`); with none set, nothing is
//! found. Bulk paths enter the sub-account first, then read their rows in one query filtered
//! by it (`crm::service::tag::set_on_contacts`, the CSV import); a ticket move joins its target
//! lane to the ticket in the ticket's sub-account ([`load_with`]).
//!
//! A table opts in with [`sub_account_data!`](crate::sub_account_data), which states its node
//! kind and the permissions that read and write it:
//!
//! ```ignore
//! tenancy::sub_account_data!(contact::Entity, NodeKind::Contact, ContactsRead, ContactsWrite);
//! let c = guard::load::<contact::Entity>(db, actor, id, Access::Write).await?;
//! guard::record(db, actor, &c, EventType::ContactUpdated, json!({})).await?;
//! ```

use crate::entity::sub_account;
use kernel::auth::{Actor, Permission, Scope};
use kernel::error::Error;
use kernel::event::{self, EventType};
use kernel::id::NodeKind;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, ModelTrait, QueryFilter, QuerySelect, Select,
    SelectTwo,
};
use uuid::Uuid;

/// What the actor wants to do with a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// See it.
    Read,
    /// Change it (which needs reading it too).
    Write,
}

impl Access {
    /// The permissions this access needs on rows of `E`.
    pub fn needs<E: SubAccountData>(self) -> Vec<Permission> {
        match self {
            Access::Read => vec![E::READ],
            Access::Write => vec![E::READ, E::WRITE],
        }
    }
}

/// A table of one sub-account's data, keyed `(agency_id, id)` and carrying `sub_account_id`.
/// Implement it with [`sub_account_data!`](crate::sub_account_data).
pub trait SubAccountData: EntityTrait {
    /// The GraphQL node kind of its rows (the subject of their events).
    const KIND: NodeKind;
    /// The permission that reads its rows.
    const READ: Permission;
    /// The permission that changes them.
    const WRITE: Permission;

    /// The row with this key.
    fn by_key(agency_id: Uuid, id: Uuid) -> Select<Self>;

    /// The sub-account the row lives in.
    fn scope(row: &Self::Model) -> Scope;

    /// The row's id.
    fn id(row: &Self::Model) -> Uuid;

    /// Adds what live clients follow the row by to an event's payload (a ticket's pipeline,
    /// say). Nothing by default.
    fn annotate(_row: &Self::Model, _payload: &mut serde_json::Value) {}
}

/// Implements [`SubAccountData`] for an entity whose model has `agency_id`, `sub_account_id`
/// and `id`: `sub_account_data!(Entity, NodeKind::X, ReadPermission, WritePermission)`.
#[macro_export]
macro_rules! sub_account_data {
    ($entity:ty, $kind:expr, $read:ident, $write:ident) => {
        $crate::sub_account_data!($entity, $kind, $read, $write, |_row, _payload| {});
    };
    ($entity:ty, $kind:expr, $read:ident, $write:ident, |$row:ident, $payload:ident| $annotate:block) => {
        impl $crate::guard::SubAccountData for $entity {
            const KIND: $crate::__private::kernel::id::NodeKind = $kind;
            const READ: $crate::__private::kernel::auth::Permission = $crate::__private::kernel::auth::Permission::$read;
            const WRITE: $crate::__private::kernel::auth::Permission = $crate::__private::kernel::auth::Permission::$write;

            fn by_key(agency_id: $crate::__private::uuid::Uuid, id: $crate::__private::uuid::Uuid) -> $crate::__private::sea_orm::Select<Self> {
                <Self as $crate::__private::sea_orm::EntityTrait>::find_by_id((agency_id, id))
            }

            fn scope(row: &Self::Model) -> $crate::__private::kernel::auth::Scope {
                $crate::__private::kernel::auth::Scope::SubAccount {
                    agency_id: row.agency_id,
                    id: row.sub_account_id,
                }
            }

            fn id(row: &Self::Model) -> $crate::__private::uuid::Uuid {
                row.id
            }

            fn annotate($row: &Self::Model, $payload: &mut $crate::__private::serde_json::Value) $annotate
        }
    };
}

/// A table of rows that belong to one row of a [`SubAccountData`] table (a task's checklist
/// items, a ticket's notes): keyed `(agency_id, id)`, reached through their parent. Implement it
/// with [`child_data!`](crate::child_data).
pub trait ChildData: EntityTrait {
    /// The table of the parent rows.
    type Parent: SubAccountData;

    /// The row with this key.
    fn by_key(agency_id: Uuid, id: Uuid) -> Select<Self>;

    /// The parent row's id.
    fn parent_id(row: &Self::Model) -> Uuid;
}

/// Implements [`ChildData`]: `child_data!(Entity, ParentEntity, parent_id_field)`.
#[macro_export]
macro_rules! child_data {
    ($entity:ty, $parent:ty, $field:ident) => {
        impl $crate::guard::ChildData for $entity {
            type Parent = $parent;

            fn by_key(
                agency_id: $crate::__private::uuid::Uuid,
                id: $crate::__private::uuid::Uuid,
            ) -> $crate::__private::sea_orm::Select<Self> {
                <Self as $crate::__private::sea_orm::EntityTrait>::find_by_id((agency_id, id))
            }

            fn parent_id(row: &Self::Model) -> $crate::__private::uuid::Uuid {
                row.$field
            }
        }
    };
}

/// Checks that the actor may act on `row` as `access` asks (see [`Actor::require_inside`]).
pub fn check<M>(actor: &Actor, row: &M, access: Access) -> Result<(), Error>
where
    M: ModelTrait,
    M::Entity: SubAccountData<Model = M>,
{
    actor.require_inside(M::Entity::scope(row), &access.needs::<M::Entity>())
}

/// The row of `E` with this id in the request's tenant, if the actor may act on it as `access`
/// asks; `NOT_FOUND` otherwise (or `FORBIDDEN`: see [`Actor::require_inside`]).
pub async fn load<E: SubAccountData>(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    access: Access,
) -> Result<E::Model, Error> {
    load_where::<E>(db, actor, id, access, |_| true).await
}

/// [`load`], for a row that also meets `keep` (a live one, or a deleted one to restore): a row
/// that does not is `NOT_FOUND`, before any permission is looked at.
pub async fn load_where<E: SubAccountData>(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    access: Access,
    keep: impl FnOnce(&E::Model) -> bool,
) -> Result<E::Model, Error> {
    actor.require_authenticated()?;
    let agency_id = actor.tenant.ok_or(Error::NotFound)?;
    let row = E::by_key(agency_id, id)
        .one(db)
        .await?
        .filter(keep)
        .ok_or(Error::NotFound)?;
    check(actor, &row, access)?;
    Ok(row)
}

/// [`load`], with the rows of `F` that `join` adds to its statement (a pipeline and its
/// lanes; a ticket and the lane it moves to): one statement, `NOT_FOUND` and the access check
/// as [`load`]'s, and no joined row returned unless the row itself is, and then only those in
/// the row's own sub-account (whatever the join's conditions). Rows of the join without an `F`
/// (a left join that found none) add nothing; an inner join that finds none is `NOT_FOUND`
/// before any check, as if the row were missing.
pub async fn load_with<E: SubAccountData, F: SubAccountData>(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    access: Access,
    join: impl FnOnce(Select<E>) -> SelectTwo<E, F>,
) -> Result<(E::Model, Vec<F::Model>), Error> {
    actor.require_authenticated()?;
    let agency_id = actor.tenant.ok_or(Error::NotFound)?;
    let mut rows = join(E::by_key(agency_id, id)).all(db).await?.into_iter();
    let (row, first) = rows.next().ok_or(Error::NotFound)?;
    check(actor, &row, access)?;
    let scope = E::scope(&row);
    let joined = first.into_iter().chain(rows.filter_map(|(_, f)| f));
    Ok((row, joined.filter(|f| F::scope(f) == scope).collect()))
}

/// The child row of `C` with this id in the request's tenant and its parent, if the actor may
/// act on the parent as `access` asks; `NOT_FOUND` otherwise (or `FORBIDDEN`).
pub async fn load_child<C: ChildData>(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    access: Access,
) -> Result<(C::Model, <C::Parent as EntityTrait>::Model), Error> {
    actor.require_authenticated()?;
    let agency_id = actor.tenant.ok_or(Error::NotFound)?;
    let row = C::by_key(agency_id, id)
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    let parent = load::<C::Parent>(db, actor, C::parent_id(&row), access).await?;
    Ok((row, parent))
}

/// A live sub-account of the request's tenant that the actor entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entered {
    /// Its agency (the tenant key).
    pub agency_id: Uuid,
    /// The sub-account.
    pub sub_account_id: Uuid,
}

impl Entered {
    /// The sub-account's scope.
    pub fn scope(self) -> Scope {
        Scope::SubAccount {
            agency_id: self.agency_id,
            id: self.sub_account_id,
        }
    }
}

/// Enters a live sub-account of the request's tenant to read or change its rows of `E` (to
/// list them, or create one), or `NOT_FOUND` / `FORBIDDEN`.
pub async fn enter<E: SubAccountData>(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sub_account_id: Uuid,
    access: Access,
) -> Result<Entered, Error> {
    actor.require_authenticated()?;
    let agency_id = actor.tenant.ok_or(Error::NotFound)?;
    // The credential cache knows the live sub-accounts a request named or entered lately, by
    // agency (deleted ones are never cached, and a deletion clears them on every replica).
    let cached = kernel::credentials::with_request(|cache, _| {
        cache.tenant(agency_id, Some(sub_account_id)).is_some()
    });
    if cached != Some(true) {
        let status = sub_account::Entity::find()
            .select_only()
            .column(sub_account::Column::Status)
            .filter(sub_account::Column::AgencyId.eq(agency_id))
            .filter(sub_account::Column::Id.eq(sub_account_id))
            .filter(sub_account::Column::DeletedAt.is_null())
            .into_tuple::<String>()
            .one(db)
            .await?
            .ok_or(Error::NotFound)?;
        kernel::credentials::with_request(|cache, stamp| {
            cache.put_tenant(stamp, agency_id, Some(sub_account_id), status == "active");
        });
    }
    let entered = Entered {
        agency_id,
        sub_account_id,
    };
    actor.require_inside(entered.scope(), &access.needs::<E>())?;
    Ok(entered)
}

/// Records an event about `row` in its sub-account, on `db` (the change's transaction).
pub async fn record<M>(
    db: &impl ConnectionTrait,
    actor: &Actor,
    row: &M,
    event_type: EventType,
    payload: serde_json::Value,
) -> Result<(), Error>
where
    M: ModelTrait,
    M::Entity: SubAccountData<Model = M>,
{
    event::record(db, actor, new_event(row, event_type, payload))
        .await
        .map(|_| ())
}

/// The event [`record`] would write about `row`, for the statement of its change to write
/// (`event::Unwritten`).
pub fn unwritten<M>(
    actor: &Actor,
    row: &M,
    event_type: EventType,
    payload: serde_json::Value,
) -> event::Unwritten
where
    M: ModelTrait,
    M::Entity: SubAccountData<Model = M>,
{
    event::unwritten(actor, new_event(row, event_type, payload))
}

/// The event `event_type` about `row`, in its sub-account, its payload annotated by `row`'s
/// kind (`SubAccountData::annotate`).
fn new_event<M>(row: &M, event_type: EventType, mut payload: serde_json::Value) -> event::NewEvent
where
    M: ModelTrait,
    M::Entity: SubAccountData<Model = M>,
{
    type E<M> = <M as ModelTrait>::Entity;
    E::<M>::annotate(row, &mut payload);
    event::NewEvent {
        event_type,
        scope: E::<M>::scope(row),
        subject: (E::<M>::KIND, E::<M>::id(row)),
        payload,
    }
}
