//! The media library's services: files (upload, rename, move, delete), folders, what uses a
//! file, and the public side that serves a file by its token. Every entry point takes access
//! through `tenancy::guard` (`MEDIA_READ` / `MEDIA_WRITE` in the file's sub-account).

pub mod file;
pub mod folder;
pub mod public;
pub mod usage;

use kernel::error::{Error, UserError, UserErrorCode};

/// A file's or folder's name: 1 to 255 characters, no `/` or `\`, no control characters,
/// surrounding spaces trimmed.
pub(crate) fn check_name(errors: &mut Vec<UserError>, field: &str, name: &str) -> String {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 255 {
        errors.push(UserError::new(
            field,
            UserErrorCode::Invalid,
            "1 to 255 characters",
        ));
    } else if name
        .chars()
        .any(|c| c.is_control() || c == '/' || c == '\\')
    {
        errors.push(UserError::new(
            field,
            UserErrorCode::Invalid,
            "a name has no slashes or control characters",
        ));
    } else if name == "." || name == ".." {
        errors.push(UserError::new(field, UserErrorCode::Invalid, "not a name"));
    }
    name.to_owned()
}

/// Takes, for the rest of the transaction, the lock of a sub-account's library: every change
/// of its folders and file places (and every upload, for its quota) takes it first, so changes
/// of one library never wait on each other in a circle, whatever one request combines.
pub(crate) async fn lock_library(
    db: &impl sea_orm::ConnectionTrait,
    sub_account_id: uuid::Uuid,
) -> Result<(), Error> {
    kernel::db::lock(db, &format!("media:{sub_account_id}")).await
}

pub(crate) use kernel::error::fail_if;
