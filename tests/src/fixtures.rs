//! Domain fixtures: platform staff, resellers, agencies, sub-accounts and grants, made through
//! the API where the API can make them.

use crate::{Gql, Session, TestApp};
use kernel::{Actor, Role, Scope};
use sea_orm::QueryFilter;
use serde_json::json;

impl TestApp {
    /// Gives a user (by global id) a role in a scope, as Canopy itself would (a fixture).
    pub async fn grant(&self, user_gid: &str, scope: Scope, role: Role) {
        let uuid = kernel::GlobalId::parse_as(user_gid, kernel::NodeKind::User).expect("user id");
        tenancy::grant(&self.db, &Actor::system(), uuid, scope, role)
            .await
            .expect("grant");
    }

    /// A signed-in platform admin (the role is given as a fixture: it cannot be had through the
    /// API, by design).
    pub async fn platform_admin(&self, email: &str) -> Session {
        let s = self.user(email).await;
        self.grant(&s.user_id, Scope::Platform, Role::PlatformAdmin)
            .await;
        s
    }

    /// Creates an agency through the API as `admin`, owned by the registered `owner_email`;
    /// returns its global id.
    pub async fn agency(&self, admin: &Session, name: &str, owner_email: &str) -> String {
        let r = self
            .gql(
                Some(&admin.access),
                "mutation($i: AgencyCreateInput!) { agencyCreate(input: $i) { agency { id } userErrors { field code message } } }",
                json!({ "i": { "name": name, "ownerEmail": owner_email } }),
            )
            .await
            .ok();
        r.data("agencyCreate.agency.id")
            .as_str()
            .unwrap_or_else(|| panic!("agency: {}", r.body))
            .to_owned()
    }

    /// Creates a reseller through the API as `admin`, owned by the registered `owner_email`,
    /// charging `price` credits per agency; returns its global id.
    pub async fn reseller(
        &self,
        admin: &Session,
        name: &str,
        owner_email: &str,
        price: i64,
    ) -> String {
        let r = self
            .gql(
                Some(&admin.access),
                "mutation($i: ResellerCreateInput!) { resellerCreate(input: $i) { reseller { id } userErrors { field code message } } }",
                json!({ "i": { "name": name, "ownerEmail": owner_email, "agencyPriceCredits": price } }),
            )
            .await
            .ok();
        r.data("resellerCreate.reseller.id")
            .as_str()
            .unwrap_or_else(|| panic!("reseller: {}", r.body))
            .to_owned()
    }

    /// Credits a reseller's wallet through the API as `admin`.
    pub async fn credit(&self, admin: &Session, reseller: &str, amount: i64) {
        self.gql(
            Some(&admin.access),
            "mutation($i: ResellerWalletCreditInput!) { resellerWalletCredit(input: $i) { reseller { id } userErrors { code } } }",
            json!({ "i": { "resellerId": reseller, "amount": amount } }),
        )
        .await
        .ok();
    }

    /// Creates an agency under a reseller through the API as `actor`; returns the response.
    pub async fn agency_under(
        &self,
        actor: &Session,
        reseller: &str,
        name: &str,
        owner_email: &str,
    ) -> Gql {
        self.gql(
            Some(&actor.access),
            "mutation($i: AgencyCreateInput!) { agencyCreate(input: $i) { agency { id } userErrors { field code message } } }",
            json!({ "i": { "resellerId": reseller, "name": name, "ownerEmail": owner_email } }),
        )
        .await
    }

    /// Creates a sub-account through the API as `actor`; returns its global id.
    pub async fn sub_account(&self, actor: &Session, agency: &str, name: &str) -> String {
        let r = self
            .gql(
                Some(&actor.access),
                "mutation($i: SubAccountCreateInput!) { subAccountCreate(input: $i) { subAccount { id } userErrors { field code message } } }",
                json!({ "i": { "agencyId": agency, "name": name } }),
            )
            .await
            .ok();
        r.data("subAccountCreate.subAccount.id")
            .as_str()
            .unwrap_or_else(|| panic!("sub-account: {}", r.body))
            .to_owned()
    }

    /// Gives a user a role in an agency or sub-account named by global id (a fixture until
    /// invitations exist).
    pub async fn grant_in(&self, user_gid: &str, scope_gid: &str, role: Role) {
        let g = kernel::GlobalId::parse(scope_gid).expect("scope id");
        let scope = match g.kind {
            kernel::NodeKind::Agency => Scope::Agency(g.uuid),
            kernel::NodeKind::SubAccount => {
                use sea_orm::EntityTrait;
                let s = tenancy::entity::sub_account::Entity::find()
                    .filter(sea_orm::ColumnTrait::eq(
                        &tenancy::entity::sub_account::Column::Id,
                        g.uuid,
                    ))
                    .one(&self.db)
                    .await
                    .expect("query")
                    .expect("sub-account");
                Scope::SubAccount {
                    agency_id: s.agency_id,
                    id: s.id,
                }
            }
            other => panic!("not a tenant scope: {other:?}"),
        };
        self.grant(user_gid, scope, role).await;
    }
}
