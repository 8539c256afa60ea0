//! Demo data, seeded once into an empty database.

use crate::AppState;
use identity::entity::user;
use kernel::{Actor, Role, Scope};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};

/// The demo platform admin's email.
pub const DEMO_ADMIN_EMAIL: &str = "admin@canopy.demo";
/// The demo platform admin's password.
pub const DEMO_ADMIN_PASSWORD: &str = "canopy-demo-admin";

/// Seeds the demo platform unless it is already there. Safe to run any number of times.
pub async fn seed_demo(state: &AppState) -> Result<(), String> {
    let err = |e: kernel::Error| format!("seeding failed: {e:?}");
    let tx = state.db.begin().await.map_err(|e| e.to_string())?;
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
    sea_orm::TransactionSession::commit(tx)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!("demo data seeded");
    Ok(())
}

/// Prints the demo logins.
pub fn print_logins() {
    println!("  Demo logins (password in parentheses):");
    println!("    platform admin  {DEMO_ADMIN_EMAIL}  ({DEMO_ADMIN_PASSWORD})");
}
