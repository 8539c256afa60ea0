//! Storing and reading password hashes (`user_credentials`). On PostgreSQL the runtime role
//! may write a hash but not select one: the one hash a sign-in or a password change checks is
//! read through `canopy_password_hash(user_id)`, a `SECURITY DEFINER` function.

use crate::entity::credential;
use chrono::Utc;
use kernel::error::Error;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Statement,
};
use uuid::Uuid;

/// The password hash of `user_id`, if the user has one.
pub async fn stored_hash(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<Option<String>, Error> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "SELECT canopy_password_hash($1) AS h",
        _ => "SELECT password_hash AS h FROM user_credentials WHERE user_id = $1",
    };
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [user_id.into()],
        ))
        .await?;
    Ok(row.and_then(|r| r.try_get::<Option<String>>("", "h").ok().flatten()))
}

/// Stores the first hash of a new user (no `RETURNING`: the row is not the writer's to read).
pub async fn insert(db: &impl ConnectionTrait, user_id: Uuid, hash: String) -> Result<(), Error> {
    credential::Entity::insert(credential::ActiveModel {
        user_id: Set(user_id),
        password_hash: Set(hash),
        updated_at: Set(Utc::now()),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Replaces a user's hash.
pub async fn replace(db: &impl ConnectionTrait, user_id: Uuid, hash: String) -> Result<(), Error> {
    credential::Entity::update_many()
        .col_expr(credential::Column::PasswordHash, Expr::value(hash))
        .col_expr(credential::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(credential::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}
