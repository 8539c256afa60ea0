//! Demo data, seeded once into an empty database.

use crate::AppState;
use identity::entity::user;
use kernel::{Actor, Role, Scope};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};

/// The demo platform admin's email.
pub const DEMO_ADMIN_EMAIL: &str = "admin@canopy.demo";
/// The demo platform admin's password.
pub const DEMO_ADMIN_PASSWORD: &str = "canopy-demo-admin";
/// The password of every other demo user.
pub const DEMO_PASSWORD: &str = "canopy-demo";

/// Seeds the demo platform unless it is already there. Safe to run any number of times.
pub async fn seed_demo(state: &AppState) -> Result<(), String> {
    let err = |e: kernel::Error| format!("seeding failed: {e:?}");
    let tx = state.db.begin().await.map_err(|e| e.to_string())?;
    // Canopy itself seeds every tenant: row-level security must let it.
    kernel::db::set_tenant(&tx, kernel::db::TenantGuard::CrossTenant)
        .await
        .map_err(err)?;
    if user::Entity::find()
        .filter(user::Column::Email.eq(DEMO_ADMIN_EMAIL))
        .one(&tx)
        .await
        .map_err(|e| e.to_string())?
        .is_some()
    {
        return Ok(());
    }
    let system = Actor::system();
    let register = |email: &str, name: &str| {
        identity::service::user::register(
            &tx,
            &state.identity,
            &system,
            identity::service::user::NewUser {
                email: email.into(),
                name: name.into(),
                password: DEMO_PASSWORD.into(),
            },
        )
    };
    let admin = identity::service::user::register(
        &tx,
        &state.identity,
        &system,
        identity::service::user::NewUser {
            email: DEMO_ADMIN_EMAIL.into(),
            name: "Demo Platform Admin".into(),
            password: DEMO_ADMIN_PASSWORD.into(),
        },
    )
    .await
    .map_err(err)?;
    tenancy::grant(&tx, &system, admin.id, Scope::Platform, Role::PlatformAdmin)
        .await
        .map_err(err)?;

    // A direct agency with two sub-accounts and staff at each level.
    let owner = register("owner@acme.demo", "Olivia Owner")
        .await
        .map_err(err)?;
    let agency_admin = register("admin@acme.demo", "Adam Admin")
        .await
        .map_err(err)?;
    let dental_staff = register("staff@dental.demo", "Sam Staff")
        .await
        .map_err(err)?;
    let acme = tenancy::service::agency::create(
        &tx,
        &system,
        tenancy::service::agency::NewAgency {
            name: "Acme Marketing".into(),
            owner_email: owner.email.clone(),
            subdomain: Some("acme".into()),
            timezone: "Europe/London".into(),
            sub_account_price: 9_900,
            white_label_price: 4_900,
            currency: "USD".into(),
            marketplace_enabled: true,
            ..Default::default()
        },
    )
    .await
    .map_err(err)?;
    tenancy::grant(
        &tx,
        &system,
        agency_admin.id,
        Scope::Agency(acme.id),
        Role::AgencyAdmin,
    )
    .await
    .map_err(err)?;
    let mut dental_id = None;
    for (name, staff) in [
        ("Bright Dental", Some(&dental_staff)),
        ("Green Gardens", None),
    ] {
        let sub = tenancy::service::sub_account::create(
            &tx,
            &system,
            acme.id,
            tenancy::service::sub_account::SubAccountFields {
                name: Some(name.into()),
                ..Default::default()
            },
        )
        .await
        .map_err(err)?;
        if let Some(staff) = staff {
            dental_id = Some(sub.id);
            let scope = Scope::SubAccount {
                agency_id: acme.id,
                id: sub.id,
            };
            tenancy::grant(&tx, &system, staff.id, scope, Role::SubaccountUser)
                .await
                .map_err(err)?;
        }
    }
    // A reseller with a funded wallet and two agencies it sold (paying its credits).
    let partner = register("partner@northstar.demo", "Paula Partner")
        .await
        .map_err(err)?;
    let northstar = tenancy::service::reseller::create(
        &tx,
        &system,
        &partner.email,
        tenancy::service::reseller::ResellerFields {
            name: Some("Northstar Partners".into()),
            brand_name: Some("Northstar CRM".into()),
            primary_color: Some("#1d4ed8".into()),
            white_label_domain: Some("crm.northstar.demo".into()),
            revenue_share_bps: Some(3_000),
            agency_price_credits: Some(5),
            ..Default::default()
        },
    )
    .await
    .map_err(err)?;
    tenancy::service::reseller::credit(
        &tx,
        &system,
        northstar.id,
        50,
        Some("opening balance".into()),
    )
    .await
    .map_err(err)?;
    let partner_actor = kernel::Actor {
        principal: kernel::Principal::User {
            user_id: partner.id,
            session_id: uuid::Uuid::nil(),
        },
        memberships: tenancy::memberships_of(&tx, partner.id)
            .await
            .map_err(err)?,
        tenant: None,
    };
    for (name, email, owner_name) in [
        ("Beacon Digital", "owner@beacon.demo", "Bea Beacon"),
        ("Harbor Media", "owner@harbor.demo", "Hal Harbor"),
    ] {
        register(email, owner_name).await.map_err(err)?;
        tenancy::service::agency::create(
            &tx,
            &partner_actor,
            tenancy::service::agency::NewAgency {
                reseller_id: Some(northstar.id),
                name: name.into(),
                owner_email: email.into(),
                timezone: "America/New_York".into(),
                currency: "USD".into(),
                ..Default::default()
            },
        )
        .await
        .map_err(err)?;
    }
    if let Some(dental) = dental_id {
        // Bright Dental's CRM and pipeline, written as its owner inside the agency.
        kernel::db::set_tenant(&tx, kernel::db::TenantGuard::Agency(acme.id))
            .await
            .map_err(err)?;
        let owner_actor = Actor {
            principal: kernel::Principal::User {
                user_id: owner.id,
                session_id: uuid::Uuid::nil(),
            },
            memberships: tenancy::memberships_of(&tx, owner.id).await.map_err(err)?,
            tenant: Some(acme.id),
        };
        seed_dental(&tx, &owner_actor, dental, dental_staff.id)
            .await
            .map_err(err)?;
    }
    sea_orm::TransactionSession::commit(tx)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!("demo data seeded");
    Ok(())
}

/// Prints the demo logins.
pub fn print_logins() {
    println!("  Demo logins (password in parentheses):");
    println!("    platform admin       {DEMO_ADMIN_EMAIL}  ({DEMO_ADMIN_PASSWORD})");
    println!("    agency owner         owner@acme.demo    ({DEMO_PASSWORD})  Acme Marketing");
    println!("    agency admin         admin@acme.demo    ({DEMO_PASSWORD})  Acme Marketing");
    println!("    sub-account staff    staff@dental.demo  ({DEMO_PASSWORD})  Bright Dental");
    println!(
        "    reseller owner       partner@northstar.demo ({DEMO_PASSWORD})  Northstar Partners"
    );
    println!(
        "    agency owners        owner@beacon.demo, owner@harbor.demo ({DEMO_PASSWORD})  under Northstar"
    );
}

/// Demo contacts (with tags and a custom field), a pipeline with deals, and a task in one
/// sub-account, made through the services as a member would.
async fn seed_dental(
    tx: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    sub: uuid::Uuid,
    staff: uuid::Uuid,
) -> Result<(), kernel::Error> {
    use crm::service::{contact, custom_field, tag};
    let vip = tag::create(tx, actor, sub, "vip", Some("#d97706")).await?;
    let new_patient = tag::create(tx, actor, sub, "new patient", Some("#2563eb")).await?;
    let insurance = custom_field::create(
        tx,
        actor,
        sub,
        "Insurance",
        crm::entity::custom_field::CustomFieldKind::SingleSelect,
        Some(&["Delta".to_owned(), "Aetna".to_owned(), "None".to_owned()]),
    )
    .await?;
    let mut contacts = Vec::new();
    for (first, last, email, phone, plan) in [
        (
            "Ada",
            "Lovelace",
            "ada@example.com",
            Some("+14155552671"),
            "Delta",
        ),
        ("Grace", "Hopper", "grace@example.com", None, "Aetna"),
        (
            "Alan",
            "Turing",
            "alan@example.com",
            Some("+442079460958"),
            "None",
        ),
    ] {
        let c = contact::create(
            tx,
            actor,
            sub,
            contact::ContactFields {
                first_name: Some(first.into()),
                last_name: Some(last.into()),
                email: Some(email.into()),
                phone: phone.map(Into::into),
                owner_id: Some(Some(staff)),
                custom_values: vec![custom_field::ValueInput {
                    field_id: insurance.id,
                    text: Some(plan.into()),
                    ..Default::default()
                }],
                ..Default::default()
            },
        )
        .await?;
        contacts.push(c);
    }
    tag::set_on_contacts(tx, actor, &[contacts[0].id], &[vip.id], true).await?;
    tag::set_on_contacts(
        tx,
        actor,
        &[contacts[1].id, contacts[2].id],
        &[new_patient.id],
        true,
    )
    .await?;
    let (_, lanes) =
        kanban::service::pipeline::create(tx, actor, sub, "Treatments", Some("USD"), None).await?;
    for (i, (title, value)) in [
        ("Implants", 250_000),
        ("Whitening", 45_000),
        ("Braces", 380_000),
    ]
    .into_iter()
    .enumerate()
    {
        kanban::service::ticket::create(
            tx,
            actor,
            lanes[i].id,
            kanban::service::ticket::TicketFields {
                title: Some(format!("{title} for {}", contacts[i].first_name)),
                value_minor: Some(Some(value)),
                contact_id: Some(Some(contacts[i].id)),
                assignee_id: Some(Some(staff)),
                ..Default::default()
            },
        )
        .await?;
    }
    kanban::service::task::create(
        tx,
        actor,
        sub,
        None,
        kanban::service::task::TaskFields {
            title: Some("Call new patients back".into()),
            assignee_id: Some(Some(staff)),
            due_at: Some(Some(chrono::Utc::now() + chrono::Duration::days(1))),
            repeat_rule: Some(Some("FREQ=WEEKLY".into())),
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}
