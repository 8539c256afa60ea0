//! The permission matrix and the actor's checks.

use super::*;
use crate::Error;
use uuid::Uuid;

fn member(scope: Scope, role: Role) -> Membership {
    Membership {
        id: Uuid::nil(),
        scope,
        role,
        granted: PermissionSet::EMPTY,
        withheld: PermissionSet::EMPTY,
        all_sub_accounts: false,
    }
}

fn user(memberships: Vec<Membership>) -> Actor {
    Actor {
        principal: Principal::User {
            user_id: Uuid::nil(),
            session_id: Uuid::nil(),
        },
        memberships,
        tenant: None,
    }
}

#[test]
fn permission_names_round_trip() {
    for p in Permission::ALL {
        assert_eq!(Permission::parse(p.as_str()), Some(p));
    }
    let set = PermissionSet::of(&[Permission::ContactsRead, Permission::BillingManage]);
    assert_eq!(PermissionSet::from_names(&set.to_names()), set);
}

#[test]
fn agency_admin_reaches_sub_accounts_but_user_does_not() {
    let agency = Uuid::now_v7();
    let sub = Scope::SubAccount {
        agency_id: agency,
        id: Uuid::now_v7(),
    };
    let admin = user(vec![member(Scope::Agency(agency), Role::AgencyAdmin)]);
    assert!(admin.can(Permission::ContactsWrite, sub));
    let staff = user(vec![member(Scope::Agency(agency), Role::AgencyUser)]);
    assert!(!staff.can(Permission::ContactsRead, sub));
    let mut all = member(Scope::Agency(agency), Role::AgencyUser);
    all.all_sub_accounts = true;
    assert!(user(vec![all]).can(Permission::ContactsRead, sub));
}

#[test]
fn other_agency_gets_nothing() {
    let a = Uuid::now_v7();
    let b = Uuid::now_v7();
    let owner = user(vec![member(Scope::Agency(a), Role::AgencyOwner)]);
    assert!(owner.permissions_in(Scope::Agency(b)).is_empty());
    assert!(
        owner
            .permissions_in(Scope::SubAccount {
                agency_id: b,
                id: Uuid::now_v7()
            })
            .is_empty()
    );
}

#[test]
fn reseller_and_platform_do_not_read_crm_data() {
    let agency = Scope::Agency(Uuid::now_v7());
    let actor = user(vec![
        member(Scope::Platform, Role::PlatformAdmin),
        member(Scope::Reseller(Uuid::now_v7()), Role::ResellerOwner),
    ]);
    assert!(!actor.can(Permission::ContactsRead, agency));
    assert!(
        !Role::PlatformAdmin
            .default_permissions()
            .contains(Permission::ContactsRead)
    );
}

#[test]
fn grants_and_withholds_apply() {
    let scope = Scope::Agency(Uuid::now_v7());
    let mut m = member(scope, Role::AgencyUser);
    m.granted = PermissionSet::of(&[Permission::FunnelsPublish]);
    m.withheld = PermissionSet::of(&[Permission::ContactsWrite]);
    let a = user(vec![m]);
    assert!(a.can(Permission::FunnelsPublish, scope));
    assert!(!a.can(Permission::ContactsWrite, scope));
    assert!(a.can(Permission::ContactsRead, scope));
}

#[test]
fn api_key_is_bounded_by_its_scope() {
    let agency = Uuid::now_v7();
    let key = Actor {
        principal: Principal::ApiKey {
            key_id: Uuid::nil(),
            owner: Uuid::nil(),
            scope: Scope::Agency(agency),
            permissions: PermissionSet::of(&[Permission::ContactsRead]),
        },
        memberships: vec![member(Scope::Agency(agency), Role::AgencyOwner)],
        tenant: None,
    };
    let sub = Scope::SubAccount {
        agency_id: agency,
        id: Uuid::now_v7(),
    };
    assert!(key.can(Permission::ContactsRead, sub));
    assert!(!key.can(Permission::ContactsWrite, sub));
    assert!(!key.can(Permission::ContactsRead, Scope::Agency(Uuid::now_v7())));

    // The owner loses reach: so does the key.
    let mut demoted = key.clone();
    demoted.memberships = vec![member(Scope::Agency(agency), Role::AgencyUser)];
    assert!(demoted.can(Permission::ContactsRead, Scope::Agency(agency)));
    assert!(
        !demoted.can(Permission::ContactsRead, sub),
        "an agency user does not reach every sub-account"
    );
    demoted.memberships.clear();
    assert!(!demoted.can(Permission::ContactsRead, Scope::Agency(agency)));
}

#[test]
fn stored_scopes_and_permissions_read_back() {
    let (a, id) = (Uuid::now_v7(), Uuid::now_v7());
    assert_eq!(
        Scope::from_stored("platform", Uuid::nil(), None),
        Some(Scope::Platform)
    );
    assert_eq!(
        Scope::from_stored("agency", a, Some(a)),
        Some(Scope::Agency(a))
    );
    assert_eq!(
        Scope::from_stored("sub_account", id, Some(a)),
        Some(Scope::SubAccount { agency_id: a, id })
    );
    assert_eq!(
        Scope::from_stored("sub_account", id, None),
        None,
        "a sub-account needs its agency"
    );
    assert_eq!(Scope::from_stored("galaxy", id, None), None);
    let set = PermissionSet::from_json(&serde_json::json!(["contacts.read", "unknown.perm"]));
    assert_eq!(set, PermissionSet::of(&[Permission::ContactsRead]));
    assert!(PermissionSet::from_json(&serde_json::json!({"not": "a list"})).is_empty());
}

#[test]
fn anonymous_is_unauthenticated() {
    let err = Actor::anonymous()
        .require(Permission::ContactsRead, Scope::Platform)
        .unwrap_err();
    assert_eq!(err.code(), crate::error::ErrorCode::Unauthenticated);
}

fn sub_user(agency: Uuid, sub: Uuid, role: Role, withheld: &[Permission]) -> Actor {
    let scope = Scope::SubAccount {
        agency_id: agency,
        id: sub,
    };
    let mut m = member(scope, role);
    m.withheld = PermissionSet::of(withheld);
    let mut a = user(vec![m]);
    a.tenant = Some(agency);
    a
}

#[test]
fn require_inside_hides_other_tenants_and_empty_scopes() {
    let (agency, sub) = (Uuid::now_v7(), Uuid::now_v7());
    let scope = Scope::SubAccount {
        agency_id: agency,
        id: sub,
    };
    let a = sub_user(agency, sub, Role::SubaccountUser, &[]);
    assert!(a.require_inside(scope, &[Permission::ContactsRead]).is_ok());
    // Outside the request's tenant: invisible, whatever the memberships.
    let mut elsewhere = a.clone();
    elsewhere.tenant = Some(Uuid::now_v7());
    assert!(!elsewhere.inside_tenant(agency));
    let nf = elsewhere.require_inside(scope, &[Permission::ContactsRead]);
    assert!(matches!(nf, Err(Error::NotFound)));
    // A sub-account the actor holds nothing in: invisible too.
    let other = Scope::SubAccount {
        agency_id: agency,
        id: Uuid::now_v7(),
    };
    let nf = a.require_inside(other, &[Permission::ContactsRead]);
    assert!(matches!(nf, Err(Error::NotFound)));
    assert!(matches!(
        Actor::anonymous().require_inside(scope, &[]),
        Err(Error::Unauthenticated(_))
    ));
}

#[test]
fn require_inside_needs_every_permission_named() {
    let (agency, sub) = (Uuid::now_v7(), Uuid::now_v7());
    let scope = Scope::SubAccount {
        agency_id: agency,
        id: sub,
    };
    // Write without read: a write check that names both is refused.
    let a = sub_user(
        agency,
        sub,
        Role::SubaccountUser,
        &[Permission::ContactsRead],
    );
    assert!(
        a.require_inside(scope, &[Permission::ContactsWrite])
            .is_ok()
    );
    let both = [Permission::ContactsRead, Permission::ContactsWrite];
    assert!(matches!(
        a.require_inside(scope, &both),
        Err(Error::Forbidden)
    ));
}

#[test]
fn require_in_ignores_the_tenant_and_returns_what_is_held() {
    let reseller = Scope::Reseller(Uuid::now_v7());
    let a = user(vec![member(reseller, Role::ResellerAdmin)]);
    let held = a.require_in(reseller, &[Permission::MembersManage]);
    assert!(held.is_ok_and(|p| p.contains(Permission::MembersManage)));
    let nf = a.require_in(Scope::Reseller(Uuid::now_v7()), &[]);
    assert!(matches!(nf, Err(Error::NotFound)));
    let forbidden = a.require_in(
        reseller,
        &[Permission::BillingManage, Permission::ContactsRead],
    );
    assert!(matches!(forbidden, Err(Error::Forbidden)));
}
