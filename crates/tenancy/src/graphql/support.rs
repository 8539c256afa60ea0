//! Support access in GraphQL: `supportAccessGrant`.

use super::types::MembershipObject;
use crate::service::support;
use async_graphql::{Context, ID, InputObject, Object};
use kernel::error::IntoPayload;
use kernel::id::{GlobalId, NodeKind};

/// Input of `supportAccessGrant`.
#[derive(InputObject)]
pub struct SupportAccessGrantInput {
    /// The agency to help (its global id).
    pub agency_id: ID,
    /// Why: shown to the agency with the grant, and kept in the audit log.
    pub reason: String,
    /// How many hours it lasts, 1 to 24. Default: 1.
    pub hours: Option<i32>,
}

/// Support access mutations.
#[derive(Default)]
pub struct SupportMutation;

#[Object]
impl SupportMutation {
    /// Grants yourself, a platform admin, an agency admin's access to one agency for a few
    /// hours, for a reason: the only way platform staff act inside a tenant. The grant is a
    /// membership that ends by itself (`expiresAt`), listed among the agency's memberships (its
    /// admins may remove it early); everything done under it is in the agency's audit log.
    /// Needs `PLATFORM_MANAGE`. Asking again while it runs moves its end.
    async fn support_access_grant(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which agency, why and for how long.")] input: SupportAccessGrantInput,
    ) -> async_graphql::Result<super::mutation::MembershipPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let agency_id = GlobalId::parse_as(&input.agency_id, NodeKind::Agency)?;
        let hours = i64::from(input.hours.unwrap_or(1));
        let granted = support::grant(&**tx, &rc.actor, agency_id, &input.reason, hours).await;
        let granted = match granted {
            Ok(m) => {
                use sea_orm::EntityTrait;
                let user = identity::entity::user::Entity::find_by_id(m.user_id)
                    .one(&**tx)
                    .await
                    .map_err(kernel::Error::Db)?
                    .ok_or_else(|| kernel::Error::internal("the granted user is gone"))?;
                Ok(MembershipObject(m, user))
            }
            Err(e) => Err(e),
        };
        granted.into_payload()
    }
}
