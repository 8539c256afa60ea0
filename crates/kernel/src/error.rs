//! The one error type of Canopy and its mapping to GraphQL.
//!
//! Services return [`Result`]. Resolvers turn [`Error::User`] into a payload's `userErrors`
//! (see [`IntoPayload`]) and every other variant into a top-level GraphQL error whose
//! `extensions.code` is one of the codes of [`ErrorCode`]. Internal errors are logged with their
//! cause chain; the client sees only a generic message (the gateway adds the request id).

use async_graphql::{Enum, ErrorExtensions, SimpleObject};

/// The result of a service call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Top-level error codes, as found in `extensions.code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// No valid credentials were presented.
    Unauthenticated,
    /// The actor may not do this.
    Forbidden,
    /// The object does not exist or is not visible to the actor.
    NotFound,
    /// The input is malformed.
    BadUserInput,
    /// Too many attempts; try again later.
    RateLimited,
    /// The database is out of reach for a moment (a restart, a failover): the request did
    /// nothing, and the same request may be sent again after `Retry-After`.
    Unavailable,
    /// Something failed on the server.
    Internal,
}

impl ErrorCode {
    /// The code as it appears in `extensions.code`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::BadUserInput => "BAD_USER_INPUT",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::Unavailable => "UNAVAILABLE",
            ErrorCode::Internal => "INTERNAL",
        }
    }
}

/// Machine-readable codes of the problems a person can fix, found in `userErrors.code`.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserErrorCode {
    /// A value is missing or malformed.
    Invalid,
    /// A value is too short.
    TooShort,
    /// A value is too long.
    TooLong,
    /// The value is already taken (for example an email address).
    Taken,
    /// The email address or password is wrong.
    InvalidCredentials,
    /// The current password is wrong.
    WrongPassword,
    /// The token is unknown, used or expired.
    InvalidToken,
    /// The object is already in the requested state.
    AlreadyDone,
    /// The requested change is not allowed for this object.
    NotAllowed,
    /// The wallet does not hold enough credits.
    InsufficientCredits,
    /// The object is in use and cannot be removed or changed this way.
    InUse,
    /// A limit on how many objects may exist was reached.
    LimitReached,
    /// A file is larger than allowed, or would take a storage quota past its limit.
    TooLarge,
    /// A file's bytes are of a type that is not accepted, or not the type it was declared as.
    UnsupportedType,
    /// The time asked for is booked already (perhaps a moment ago, by someone else): pick
    /// another slot.
    SlotTaken,
    /// The time asked for cannot be booked: outside the hours of whom or what it needs, inside
    /// the service's minimum notice, or past its booking horizon.
    SlotUnavailable,
    /// Its time is over (a referral code past its expiry).
    Expired,
    /// It was used as often as it may be (a referral code at its most uses).
    UsedUp,
}

/// A problem with the input that a person can fix, returned in a payload's `userErrors`.
#[derive(SimpleObject, Debug, Clone, PartialEq, Eq)]
pub struct UserError {
    /// The path to the input field at fault (for example `["input", "email"]`), empty if none.
    pub field: Vec<String>,
    /// A machine-readable code.
    pub code: UserErrorCode,
    /// A human-readable message.
    pub message: String,
}

impl UserError {
    /// A user error on the input field `field` (a dotted path such as `input.email`).
    pub fn new(field: &str, code: UserErrorCode, message: impl Into<String>) -> Self {
        Self {
            field: if field.is_empty() {
                Vec::new()
            } else {
                field.split('.').map(str::to_owned).collect()
            },
            code,
            message: message.into(),
        }
    }
}

/// Every error a service can return.
///
/// It deliberately does not implement `Display`: async-graphql converts any `Display` type into
/// an error without a code, so leaving it out forces every conversion through the `From` below.
#[derive(Debug)]
pub enum Error {
    /// No valid credentials.
    Unauthenticated(String),
    /// Authenticated, but not allowed.
    Forbidden,
    /// Not allowed, for a reason the actor may know (they can see the object).
    ForbiddenWith(String),
    /// Missing, or not visible to the actor: the two are indistinguishable on purpose.
    NotFound,
    /// Malformed input that the schema could not catch.
    BadInput {
        /// The input field at fault, if known.
        field: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// Problems a person can fix; resolvers put them into `userErrors`.
    User(Vec<UserError>),
    /// Too many attempts.
    RateLimited {
        /// Seconds until a retry can succeed.
        retry_after_secs: u64,
    },
    /// A database error.
    Db(sea_orm::DbErr),
    /// Any other failure on the server.
    Internal(String),
}

impl Error {
    /// A `BAD_USER_INPUT` error.
    pub fn bad_input(field: Option<&str>, message: impl Into<String>) -> Self {
        Error::BadInput {
            field: field.map(str::to_owned),
            message: message.into(),
        }
    }

    /// A single user error.
    pub fn user(field: &str, code: UserErrorCode, message: impl Into<String>) -> Self {
        Error::User(vec![UserError::new(field, code, message)])
    }

    /// An internal error with a message for the logs (never shown to the client).
    pub fn internal(message: impl std::fmt::Display) -> Self {
        Error::Internal(message.to_string())
    }

    /// The message a client may see.
    pub fn public_message(&self) -> String {
        match self {
            Error::Unauthenticated(m) => m.clone(),
            Error::Forbidden => "you are not allowed to do this".into(),
            Error::ForbiddenWith(m) => m.clone(),
            Error::NotFound => "not found".into(),
            Error::BadInput { message, .. } => message.clone(),
            Error::User(errors) => errors
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            Error::RateLimited { retry_after_secs } => {
                format!("too many attempts, retry in {retry_after_secs} s")
            }
            Error::Db(e) if is_unavailable(e) => UNAVAILABLE_MESSAGE.into(),
            Error::Db(_) | Error::Internal(_) => INTERNAL_MESSAGE.into(),
        }
    }

    /// The whole message, internals included: for the operator (start-up failures, logs),
    /// never for a client.
    pub fn operator_message(&self) -> String {
        match self {
            Error::Db(e) => e.to_string(),
            Error::Internal(m) => m.clone(),
            other => other.public_message(),
        }
    }

    /// The top-level code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Unauthenticated(_) => ErrorCode::Unauthenticated,
            Error::Forbidden | Error::ForbiddenWith(_) => ErrorCode::Forbidden,
            Error::NotFound => ErrorCode::NotFound,
            Error::BadInput { .. } | Error::User(_) => ErrorCode::BadUserInput,
            Error::RateLimited { .. } => ErrorCode::RateLimited,
            Error::Db(e) if is_unavailable(e) => ErrorCode::Unavailable,
            Error::Db(_) | Error::Internal(_) => ErrorCode::Internal,
        }
    }
}

/// The message shown to clients for internal errors. The gateway adds `extensions.requestId`.
pub const INTERNAL_MESSAGE: &str = "internal server error";

/// The message shown to clients when the database is out of reach.
pub const UNAVAILABLE_MESSAGE: &str =
    "the database is unavailable for a moment; nothing was changed, retry shortly";

/// Seconds a client should wait before retrying an `UNAVAILABLE` request.
pub const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 1;

/// Whether a database error means the database is out of reach (a restart, a failover, a
/// network cut, a full pool) rather than a fault in the request or in Canopy: the pool could
/// not hand out a working connection (whatever the reason: refused, cut off during the TLS or
/// startup exchange, timed out), a connection broke mid-statement, PostgreSQL said it is
/// shutting down or starting up (SQLSTATE class 08, or 57P01–57P03), or it rolled the
/// transaction back to break a deadlock or a serialization conflict (40P01, 40001): nothing was
/// written, and the same request again is expected to pass.
pub fn is_unavailable(err: &sea_orm::DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    use sea_orm::{DbErr, RuntimeErr};
    let sqlx = match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => e,
        _ => return false,
    };
    match sqlx.as_ref() {
        Sqlx::Io(_) | Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::WorkerCrashed => true,
        Sqlx::Database(db) => db
            .code()
            // Lost connections and shutdowns, and a deadlock or serialization failure (the
            // transaction was rolled back; the same request again will most likely pass).
            .is_some_and(|c| {
                c.starts_with("08")
                    || matches!(&*c, "57P01" | "57P02" | "57P03" | "40P01" | "40001")
            }),
        _ => false,
    }
}

/// `Err(Error::User(errors))` when a check collected problems, `Ok(())` otherwise.
pub fn fail_if(errors: Vec<UserError>) -> Result<(), Error> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::User(errors))
    }
}

impl From<sea_orm::DbErr> for Error {
    fn from(e: sea_orm::DbErr) -> Self {
        Error::Db(e)
    }
}

impl From<Error> for async_graphql::Error {
    fn from(err: Error) -> Self {
        let code = err.code();
        let message = match &err {
            Error::Db(e) if is_unavailable(e) => {
                tracing::warn!(error = %e, "the database is unavailable");
                UNAVAILABLE_MESSAGE.to_owned()
            }
            Error::Db(e) => {
                tracing::error!(error = %e, debug = ?e, "database error");
                INTERNAL_MESSAGE.to_owned()
            }
            Error::Internal(m) => {
                tracing::error!(error = %m, "internal error");
                INTERNAL_MESSAGE.to_owned()
            }
            other => other.public_message(),
        };
        async_graphql::Error::new(message).extend_with(|_, ext| {
            ext.set("code", code.as_str());
            match &err {
                Error::BadInput {
                    field: Some(field), ..
                } => ext.set("field", field.as_str()),
                Error::RateLimited { retry_after_secs } => ext.set("retryAfter", *retry_after_secs),
                Error::Db(e) if is_unavailable(e) => {
                    ext.set("retryAfter", UNAVAILABLE_RETRY_AFTER_SECS);
                }
                _ => {}
            }
        })
    }
}

/// Payloads that carry `userErrors`: built from a service result by [`IntoPayload`].
pub trait Payload: Sized {
    /// The successful value of the service call.
    type Value;
    /// The payload of a success.
    fn ok(value: Self::Value) -> Self;
    /// The payload of a failure a person can fix.
    fn user_errors(errors: Vec<UserError>) -> Self;
}

/// Turns a service result into a payload: user errors go into `userErrors`, everything else
/// becomes a top-level GraphQL error.
pub trait IntoPayload<P> {
    /// Convert.
    fn into_payload(self) -> async_graphql::Result<P>;
}

impl<P: Payload> IntoPayload<P> for Result<P::Value> {
    fn into_payload(self) -> async_graphql::Result<P> {
        match self {
            Ok(v) => Ok(P::ok(v)),
            Err(Error::User(errors)) => {
                crate::audit::note_user_errors(&errors);
                Ok(P::user_errors(errors))
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// Declares a mutation payload holding one changed object and `userErrors`.
///
/// ```ignore
/// kernel::payload!(ApiKeyRevokePayload, api_key: ApiKey, "The revoked key.");
/// ```
#[macro_export]
macro_rules! payload {
    ($name:ident, $field:ident : $ty:ty, $doc:literal) => {
        #[doc = concat!("The result of a mutation: ", $doc)]
        #[derive(async_graphql::SimpleObject)]
        pub struct $name {
            #[doc = $doc]
            #[doc = " Null when `userErrors` is not empty."]
            pub $field: Option<$ty>,
            /// Problems with the input that a person can fix; empty on success.
            pub user_errors: Vec<$crate::UserError>,
        }

        impl $crate::error::Payload for $name {
            type Value = $ty;
            fn ok(value: $ty) -> Self {
                Self {
                    $field: Some(value),
                    user_errors: Vec::new(),
                }
            }
            fn user_errors(errors: Vec<$crate::UserError>) -> Self {
                Self {
                    $field: None,
                    user_errors: errors,
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn db_errors_hide_their_text() {
        let err: async_graphql::Error =
            Error::Db(sea_orm::DbErr::Custom("relation \"users\" secret".into())).into();
        assert_eq!(err.message, INTERNAL_MESSAGE);
        let ext = err.extensions.expect("extensions");
        assert_eq!(
            ext.get("code"),
            Some(&async_graphql::Value::from("INTERNAL"))
        );
    }

    #[test]
    fn user_error_field_paths_split() {
        let e = UserError::new("input.email", UserErrorCode::Taken, "taken");
        assert_eq!(e.field, vec!["input", "email"]);
        assert!(
            UserError::new("", UserErrorCode::Invalid, "x")
                .field
                .is_empty()
        );
    }
}
