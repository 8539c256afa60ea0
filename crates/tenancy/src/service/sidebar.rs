//! Sidebar options: each agency and sub-account gets a default sidebar when it is created; its
//! admins (`SETTINGS_MANAGE`) rename, hide and reorder the entries. Order is a fractional rank
//! key, so a move rewrites one row.

use super::access;
use crate::entity::{agency, sidebar_option, sub_account};
use chrono::Utc;
use kernel::auth::{Actor, Permission, Scope, ScopeKind};
use kernel::error::{Error, UserErrorCode};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};
use uuid::Uuid;

/// The default entries of an agency's sidebar: (key, label, icon).
pub const AGENCY_DEFAULTS: &[(&str, &str, &str)] = &[
    ("dashboard", "Dashboard", "home"),
    ("sub_accounts", "Sub-accounts", "building"),
    ("team", "Team", "users"),
    ("billing", "Billing", "credit-card"),
    ("marketplace", "Marketplace", "store"),
    ("settings", "Settings", "settings"),
];

/// The default entries of a sub-account's sidebar: (key, label, icon).
pub const SUB_ACCOUNT_DEFAULTS: &[(&str, &str, &str)] = &[
    ("dashboard", "Dashboard", "home"),
    ("conversations", "Conversations", "message-circle"),
    ("contacts", "Contacts", "contact"),
    ("pipelines", "Opportunities", "columns"),
    ("calendars", "Calendars", "calendar"),
    ("tasks", "Tasks", "check-square"),
    ("funnels", "Sites", "globe"),
    ("automations", "Automations", "zap"),
    ("reviews", "Reputation", "star"),
    ("reporting", "Reporting", "bar-chart"),
    ("settings", "Settings", "settings"),
];

/// Creates the default sidebar of a new agency or sub-account (inside its creation).
pub(crate) async fn create_defaults(db: &impl ConnectionTrait, scope: Scope) -> Result<(), Error> {
    let (agency_id, scope_id, defaults) = match scope {
        Scope::Agency(a) => (a, a, AGENCY_DEFAULTS),
        Scope::SubAccount { agency_id, id } => (agency_id, id, SUB_ACCOUNT_DEFAULTS),
        _ => {
            return Err(Error::internal(
                "sidebars belong to agencies and sub-accounts",
            ));
        }
    };
    let now = Utc::now();
    let ranks = kernel::rank::spaced(defaults.len());
    let rows: Vec<sidebar_option::ActiveModel> = defaults
        .iter()
        .zip(ranks)
        .map(|((key, label, icon), rank)| sidebar_option::ActiveModel {
            agency_id: Set(agency_id),
            id: Set(kernel::id::new_uuid()),
            scope_kind: Set(scope.kind().as_str().into()),
            scope_id: Set(scope_id),
            key: Set((*key).into()),
            label: Set((*label).into()),
            icon: Set((*icon).into()),
            rank: Set(rank),
            visible: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .collect();
    sidebar_option::Entity::insert_many(rows).exec(db).await?;
    Ok(())
}

/// Whether the actor sees the sidebar of `scope` (of the agency `a`): a member of that scope
/// (any permission in it; an agency's sidebar is not its sub-accounts' users'), or staff above
/// the agency. The list and `node` both ask this.
fn sees(actor: &Actor, a: &agency::Model, scope: Scope) -> bool {
    (actor.inside_tenant(a.id) && !actor.permissions_in(scope).is_empty())
        || access::above_agency(actor, a)
}

/// The sidebar of a scope, in order, for an actor who sees it ([`sees`]; otherwise empty).
pub async fn for_scope(
    db: &impl ConnectionTrait,
    actor: &Actor,
    a: &agency::Model,
    scope: Scope,
) -> Result<Vec<sidebar_option::Model>, Error> {
    if !sees(actor, a, scope) {
        return Ok(Vec::new());
    }
    list(db, scope).await
}

async fn list(
    db: &impl ConnectionTrait,
    scope: Scope,
) -> Result<Vec<sidebar_option::Model>, Error> {
    let (agency_id, scope_id) = match scope {
        Scope::Agency(a) => (a, a),
        Scope::SubAccount { agency_id, id } => (agency_id, id),
        _ => return Ok(Vec::new()),
    };
    Ok(sidebar_option::Entity::find()
        .filter(sidebar_option::Column::AgencyId.eq(agency_id))
        .filter(sidebar_option::Column::ScopeId.eq(scope_id))
        .order_by_asc(sidebar_option::Column::Rank)
        .order_by_asc(sidebar_option::Column::Id)
        .all(db)
        .await?)
}

fn scope_of(o: &sidebar_option::Model) -> Scope {
    if o.scope_kind == ScopeKind::SubAccount.as_str() {
        Scope::SubAccount {
            agency_id: o.agency_id,
            id: o.scope_id,
        }
    } else {
        Scope::Agency(o.agency_id)
    }
}

/// A sidebar option the actor sees ([`sees`], as in the list of its scope), else `NOT_FOUND`.
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<sidebar_option::Model, Error> {
    actor.require_authenticated()?;
    let Some(o) = sidebar_option::Entity::find()
        .filter(sidebar_option::Column::Id.eq(id))
        .one(db)
        .await?
    else {
        return Err(Error::NotFound);
    };
    let a = agency::Entity::find_by_id(o.agency_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    if sees(actor, &a, scope_of(&o)) {
        Ok(o)
    } else {
        Err(Error::NotFound)
    }
}

/// A sidebar option the actor may change (`SETTINGS_MANAGE` in its scope, inside its tenant),
/// else `NOT_FOUND` (or `FORBIDDEN` for a member without the permission).
pub async fn get_for_change(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<sidebar_option::Model, Error> {
    actor.require_authenticated()?;
    let o = sidebar_option::Entity::find()
        .filter(sidebar_option::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    let scope = scope_of(&o);
    actor.require_inside(scope, &[Permission::SettingsManage])?;
    // The scope itself must still be in service.
    let live = match scope {
        Scope::SubAccount { id, .. } => sub_account::Entity::find()
            .filter(sub_account::Column::Id.eq(id))
            .filter(sub_account::Column::DeletedAt.is_null())
            .one(db)
            .await?
            .is_some(),
        _ => agency::Entity::find_by_id(o.agency_id)
            .one(db)
            .await?
            .is_some_and(|a| a.deleted_at.is_none()),
    };
    if !live {
        return Err(Error::NotFound);
    }
    Ok(o)
}

/// Renames, re-icons, shows or hides an entry.
pub async fn update(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    label: Option<String>,
    icon: Option<String>,
    visible: Option<bool>,
) -> Result<sidebar_option::Model, Error> {
    let o = get_for_change(db, actor, id).await?;
    let mut c = super::validate::Check::default();
    let mut m: sidebar_option::ActiveModel = o.into();
    if let Some(v) = &label {
        m.label = Set(c.name("input.label", v, 60));
    }
    if let Some(v) = &icon {
        m.icon = Set(c.name("input.icon", v, 40));
    }
    if let Some(v) = visible {
        m.visible = Set(v);
    }
    c.finish()?;
    m.updated_at = Set(Utc::now());
    Ok(m.update(db).await?)
}

/// Moves an entry right after `after` (another entry of the same sidebar), or first when
/// `after` is `None`. One row changes: the moved one gets a rank between its new neighbours.
pub async fn move_after(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    after: Option<Uuid>,
) -> Result<sidebar_option::Model, Error> {
    let o = get_for_change(db, actor, id).await?;
    // Lock the sidebar so two moves cannot pick the same rank between the same neighbours.
    kernel::db::lock_list(db, "sidebar", o.scope_id).await?;
    let entries = list(db, scope_of(&o)).await?;
    let others: Vec<&sidebar_option::Model> = entries.iter().filter(|e| e.id != o.id).collect();
    let ranks: Vec<(uuid::Uuid, &str)> = others.iter().map(|e| (e.id, e.rank.as_str())).collect();
    let rank = kernel::rank::after_anchor(&ranks, after).ok_or_else(|| {
        Error::user(
            "afterId",
            UserErrorCode::Invalid,
            "that entry is not in the same sidebar",
        )
    })??;
    let mut m: sidebar_option::ActiveModel = o.into();
    m.rank = Set(rank);
    m.updated_at = Set(Utc::now());
    m.update(db).await.map_err(kernel::db::taken_rank)
}
