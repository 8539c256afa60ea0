//! Canopy tenancy: the tree below the platform (agencies and their sub-accounts; resellers
//! next), the memberships that give users roles in it, and the request's tenant context.

pub mod counts;
pub mod entity;
pub mod graphql;
pub mod guard;
pub mod retention;
pub mod service;

/// What [`sub_account_data!`] expands to needs, whatever the calling crate depends on.
#[doc(hidden)]
pub mod __private {
    pub use kernel;
    pub use sea_orm;
    pub use serde_json;
    pub use uuid;
}

pub use counts::{Loaders, SubAccountCounts, SubAccountCountsLoader};
pub use graphql::{
    Agency, EmbedDomain, Invitation, MembershipObject, Reseller, SidebarOption, SubAccount,
    TenancyMutation, TenancyQuery,
};
pub use guard::{Access, SubAccountData};
pub use service::context::{act, resolve_tenant};
pub use service::membership::{grant, memberships_of, user_can, visible_memberships_of};

use kernel::error::Error;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

/// Resolves sub-account scopes for the crates below tenancy (see `kernel::db::ScopeDirectory`).
pub struct Directory;

#[async_graphql::async_trait::async_trait]
impl kernel::db::ScopeDirectory for Directory {
    async fn sub_account_agency(
        &self,
        db: &DatabaseTransaction,
        actor: &kernel::Actor,
        sub_account_id: Uuid,
    ) -> Result<Option<Uuid>, Error> {
        use entity::sub_account;
        let found = sub_account::Entity::find()
            .select_only()
            .column(sub_account::Column::AgencyId)
            .filter(sub_account::Column::Id.eq(sub_account_id))
            .filter(sub_account::Column::DeletedAt.is_null())
            .into_tuple::<Uuid>()
            .one(db)
            .await?;
        // Only inside the request's tenant, or from above: as row-level security would have it.
        Ok(found.filter(|a| actor.inside_tenant(*a) || service::access::manages_from_above(actor)))
    }
}
