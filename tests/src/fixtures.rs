//! Domain fixtures: platform staff, resellers, agencies, sub-accounts and grants, made through
//! the API where the API can make them.

use crate::{Gql, Session, TestApp};
use kernel::{Actor, Role, Scope};
use sea_orm::QueryFilter;
use serde_json::{Value, json};

/// The agency most tests act in: "Acme", created by the platform admin `root@platform.test`
/// and owned by `owner@acme.test` (see [`TestApp::acme`]).
pub struct Acme {
    /// The platform admin who created it.
    pub admin: Session,
    /// Its owner, signed in.
    pub owner: Session,
    /// Its global id.
    pub agency: String,
}

/// [`Acme`] with two sub-accounts, "Dental" and "Gardens", created by its owner in that order
/// (see [`TestApp::world`]).
pub struct World {
    /// The platform admin who created the agency.
    pub admin: Session,
    /// The agency's owner, signed in.
    pub owner: Session,
    /// The agency's global id.
    pub agency: String,
    /// The sub-account "Dental".
    pub dental: String,
    /// The sub-account "Gardens".
    pub gardens: String,
}

impl TestApp {
    /// Gives a user (by global id) a role in a scope, as Canopy itself would (a fixture).
    pub async fn grant(&self, user_gid: &str, scope: Scope, role: Role) {
        let uuid = kernel::GlobalId::parse_as(user_gid, kernel::NodeKind::User).expect("user id");
        tenancy::grant(&self.db, &Actor::system(), uuid, scope, role)
            .await
            .expect("grant");
        // This replica at once (the request that granted would have cleared it).
        self.credentials
            .clear_after(kernel::EventType::MembershipGranted);
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

    /// The agency "Acme" (see [`Acme`]).
    pub async fn acme(&self) -> Acme {
        let admin = self.platform_admin("root@platform.test").await;
        let owner = self.user("owner@acme.test").await;
        let agency = self.agency(&admin, "Acme", "owner@acme.test").await;
        Acme {
            admin,
            owner,
            agency,
        }
    }

    /// The agency "Acme" with its sub-accounts "Dental" and "Gardens" (see [`World`]).
    pub async fn world(&self) -> World {
        let Acme {
            admin,
            owner,
            agency,
        } = self.acme().await;
        let dental = self.sub_account(&owner, &agency, "Dental").await;
        let gardens = self.sub_account(&owner, &agency, "Gardens").await;
        World {
            admin,
            owner,
            agency,
            dental,
            gardens,
        }
    }

    /// Removes the membership of user `user_gid` in `scope` (a global id) through the API, as
    /// `who`, asserting it was removed.
    pub async fn remove_membership(&self, who: &Session, scope: &str, user_gid: &str) {
        let r = self
            .gql(
                Some(&who.access),
                "query($s: ID!) { memberships(scopeId: $s) { nodes { id user { id } } } }",
                json!({ "s": scope }),
            )
            .await
            .ok();
        let membership = r
            .data("memberships.nodes")
            .as_array()
            .expect("nodes")
            .iter()
            .find(|m| m["user"]["id"] == user_gid)
            .expect("the user's membership")["id"]
            .clone();
        let r = self
            .gql(
                Some(&who.access),
                "mutation($id: ID!) { membershipRemove(id: $id) { membership { id } } }",
                json!({ "id": membership }),
            )
            .await
            .ok();
        assert!(
            r.data("membershipRemove.membership.id").is_string(),
            "{}",
            r.body
        );
    }

    /// A new signed-in user with `role` in the agency or sub-account `scope` (a global id).
    pub async fn member(&self, email: &str, scope: &str, role: Role) -> Session {
        let s = self.user(email).await;
        self.grant_in(&s.user_id, scope, role).await;
        s
    }

    /// Creates a contact in the sub-account `sub` from `input` (its `subAccountId` is set) as
    /// `who`, asserting no errors and no user errors; returns the contact with the fields of
    /// `selection` (such as `"id firstName"`).
    pub async fn create_contact_selecting(
        &self,
        who: &Session,
        sub: &str,
        input: Value,
        selection: &str,
    ) -> Value {
        let mut i = input;
        i["subAccountId"] = json!(sub);
        let r = self
            .gql(
                Some(&who.access),
                &format!("mutation($i: ContactCreateInput!) {{ contactCreate(input: $i) {{ contact {{ {selection} }} userErrors {{ field code message }} }} }}"),
                json!({ "i": i }),
            )
            .await
            .ok();
        assert_eq!(
            r.user_error_codes("contactCreate"),
            Vec::<String>::new(),
            "{}",
            r.body
        );
        r.data("contactCreate.contact").clone()
    }

    /// As [`TestApp::create_contact_selecting`]; returns the contact's global id.
    pub async fn create_contact(&self, who: &Session, sub: &str, input: Value) -> String {
        self.create_contact_selecting(who, sub, input, "id").await["id"]
            .as_str()
            .expect("contact id")
            .to_owned()
    }
}
