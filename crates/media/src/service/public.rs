//! The public side: a file by its token, for anyone, with no sign-in.
//!
//! Architecture Invariant: a file is served only by its own random token, and only while its
//! agency and sub-account are live (not suspended, not deleted). The token is the only thing
//! read before the tenant is known (`kernel::db::Opening::MediaToken`); the rest is read in
//! that tenant.

use super::usage::TOKEN_LEN;
use crate::entity::file;
use kernel::db::{Opening, TenantGuard};
use kernel::error::Error;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

/// Whether `token` has the shape of a file token (so nothing else reaches the database).
pub fn is_token(token: &str) -> bool {
    token.len() == TOKEN_LEN
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The live file with this token, on `db` (a transaction of its own: it enters the file's
/// tenant).
pub async fn by_token(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<file::Model>, Error> {
    if !is_token(token) {
        return Ok(None);
    }
    kernel::db::open(db, Opening::MediaToken(token.to_owned())).await?;
    let Some(f) = file::Entity::find()
        .filter(file::Column::Token.eq(token))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    kernel::db::set_tenant(db, TenantGuard::Agency(f.agency_id)).await?;
    let online =
        tenancy::service::sub_account::is_online(db, f.agency_id, f.sub_account_id).await?;
    Ok(online.then_some(f))
}
