//! The identity crate's mutation root.

use super::identity;
use super::types::{ApiKey, User};
use crate::service::{self, api_key::NewApiKey, session::Client, user::NewUser};
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use kernel::auth::Permission;
use kernel::error::{IntoPayload, Payload};
use kernel::id::{GlobalId, NodeKind};
use kernel::{UserError, payload};

/// Identity mutations.
#[derive(Default)]
pub struct IdentityMutation;

/// Input of `userRegister`.
#[derive(InputObject)]
pub struct UserRegisterInput {
    /// Email address to sign in with.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Password, 8 to 256 characters.
    pub password: String,
}

/// Input of `sessionCreate`.
#[derive(InputObject)]
pub struct SessionCreateInput {
    /// Email address.
    pub email: String,
    /// Password.
    pub password: String,
}

/// Input of `sessionRefresh`.
#[derive(InputObject)]
pub struct SessionRefreshInput {
    /// The refresh token from the last sign-in or refresh. It works once.
    pub refresh_token: String,
}

/// Input of `sessionRevoke`.
#[derive(InputObject, Default)]
pub struct SessionRevokeInput {
    /// The session to end, named by its refresh token. Default: the session of the access token.
    pub refresh_token: Option<String>,
    /// End every session of the user, on every device.
    #[graphql(default)]
    pub everywhere: bool,
}

/// Input of `passwordChange`.
#[derive(InputObject)]
pub struct PasswordChangeInput {
    /// The current password.
    pub current_password: String,
    /// The new password, 8 to 256 characters.
    pub new_password: String,
}

/// Input of `passwordResetRequest`.
#[derive(InputObject)]
pub struct PasswordResetRequestInput {
    /// The email address of the account.
    pub email: String,
}

/// Input of `passwordResetConfirm`.
#[derive(InputObject)]
pub struct PasswordResetConfirmInput {
    /// The code from the reset email.
    pub token: String,
    /// The new password, 8 to 256 characters.
    pub new_password: String,
}

/// Input of `apiKeyCreate`.
#[derive(InputObject)]
pub struct ApiKeyCreateInput {
    /// The global id of the scope (platform, reseller, agency or sub-account) the key acts in.
    pub scope_id: ID,
    /// A name to recognise the key by (1 to 100 characters).
    pub name: String,
    /// What the key may do; each must be a permission you hold in the scope.
    pub permissions: Vec<Permission>,
    /// When the key stops working. Default: never.
    pub expires_at: Option<DateTime<Utc>>,
}

payload!(UserRegisterPayload, user: User, "The new user.");
payload!(PasswordChangePayload, user: User, "The user whose password changed.");
payload!(PasswordResetConfirmPayload, user: User, "The user whose password was reset.");
payload!(ApiKeyRevokePayload, api_key: ApiKey, "The revoked key.");

/// A signed-in session's tokens.
#[derive(SimpleObject, Clone)]
pub struct SessionTokens {
    /// The signed-in user.
    pub user: User,
    /// Send as `Authorization: Bearer <accessToken>`. Short-lived.
    pub access_token: String,
    /// When the access token expires.
    pub access_token_expires_at: DateTime<Utc>,
    /// Trade it for new tokens with `sessionRefresh` before it expires. It works once.
    pub refresh_token: String,
    /// When the refresh token expires.
    pub refresh_token_expires_at: DateTime<Utc>,
}

impl From<service::session::Tokens> for SessionTokens {
    fn from(t: service::session::Tokens) -> Self {
        Self {
            user: User(t.user),
            access_token: t.access_token,
            access_token_expires_at: t.access_token_expires_at,
            refresh_token: t.refresh_token,
            refresh_token_expires_at: t.refresh_token_expires_at,
        }
    }
}

payload!(SessionPayload, session: SessionTokens, "The session's tokens.");

/// The result of `sessionRevoke`.
#[derive(SimpleObject)]
pub struct SessionRevokePayload {
    /// How many sessions were ended (0 when `userErrors` is not empty).
    pub revoked_count: u64,
    /// Problems with the input that a person can fix; empty on success.
    pub user_errors: Vec<UserError>,
}

impl Payload for SessionRevokePayload {
    type Value = u64;
    fn ok(revoked_count: u64) -> Self {
        Self {
            revoked_count,
            user_errors: Vec::new(),
        }
    }
    fn user_errors(errors: Vec<UserError>) -> Self {
        Self {
            revoked_count: 0,
            user_errors: errors,
        }
    }
}

/// The result of `passwordResetRequest`. It reads the same whether or not the address is known.
#[derive(SimpleObject)]
pub struct PasswordResetRequestPayload {
    /// Always true: if the address has an account, a reset email is on its way.
    pub accepted: bool,
    /// Problems with the input that a person can fix; empty on success.
    pub user_errors: Vec<UserError>,
}

/// The result of `apiKeyCreate`.
#[derive(SimpleObject)]
pub struct ApiKeyCreatePayload {
    /// The new key. Null when `userErrors` is not empty.
    pub api_key: Option<ApiKey>,
    /// The secret to send as `Authorization: Bearer <secret>`. Shown this once, never again.
    pub secret: Option<String>,
    /// Problems with the input that a person can fix; empty on success.
    pub user_errors: Vec<UserError>,
}

impl Payload for ApiKeyCreatePayload {
    type Value = (ApiKey, String);
    fn ok((api_key, secret): (ApiKey, String)) -> Self {
        Self {
            api_key: Some(api_key),
            secret: Some(secret),
            user_errors: Vec::new(),
        }
    }
    fn user_errors(errors: Vec<UserError>) -> Self {
        Self {
            api_key: None,
            secret: None,
            user_errors: errors,
        }
    }
}

#[Object]
impl IdentityMutation {
    /// Creates an account. It belongs to no scope until an invitation or a new agency adds one.
    async fn user_register(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new account.")] input: UserRegisterInput,
    ) -> async_graphql::Result<UserRegisterPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        service::user::register(
            &**tx,
            identity(ctx)?,
            &rc.actor,
            NewUser {
                email: input.email,
                name: input.name,
                password: input.password,
            },
        )
        .await
        .map(User)
        .into_payload()
    }

    /// Signs in with email and password. Attempts are throttled per account and per IP
    /// (`RATE_LIMITED`, with `extensions.retryAfter` in seconds).
    async fn session_create(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The credentials.")] input: SessionCreateInput,
    ) -> async_graphql::Result<SessionPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let client = Client {
            ip: rc.client_ip,
            user_agent: ctx.data_opt::<UserAgent>().map(|u| u.0.clone()),
        };
        service::session::create(
            &**tx,
            identity(ctx)?,
            &rc.actor,
            client,
            &input.email,
            input.password,
        )
        .await
        .map(SessionTokens::from)
        .into_payload()
    }

    /// Trades a refresh token for a new access and refresh token. An unknown, expired or used
    /// token is a user error `INVALID_TOKEN`; replaying a used one also ends the whole session.
    async fn session_refresh(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The refresh token.")] input: SessionRefreshInput,
    ) -> async_graphql::Result<SessionPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        service::session::refresh(&**tx, identity(ctx)?, &rc.actor, &input.refresh_token)
            .await
            .map(SessionTokens::from)
            .into_payload()
    }

    /// Signs out: ends the current session, the one named by a live refresh token, or all of
    /// them.
    async fn session_revoke(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which sessions to end. Default: the current one.")] input: Option<
            SessionRevokeInput,
        >,
    ) -> async_graphql::Result<SessionRevokePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let input = input.unwrap_or_default();
        service::session::revoke(
            &**tx,
            &rc.actor,
            input.refresh_token.as_deref(),
            input.everywhere,
        )
        .await
        .into_payload()
    }

    /// Changes the signed-in user's password and ends their other sessions.
    async fn password_change(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The current and the new password.")] input: PasswordChangeInput,
    ) -> async_graphql::Result<PasswordChangePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        service::user::change_password(
            &**tx,
            identity(ctx)?,
            &rc.actor,
            input.current_password,
            input.new_password,
        )
        .await
        .map(User)
        .into_payload()
    }

    /// Sends a password-reset code to the address if it has an account. The answer does not
    /// say whether it has.
    async fn password_reset_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's email address.")] input: PasswordResetRequestInput,
    ) -> async_graphql::Result<PasswordResetRequestPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        service::reset::request(&**tx, identity(ctx)?, rc.client_ip, &input.email).await?;
        Ok(PasswordResetRequestPayload {
            accepted: true,
            user_errors: Vec::new(),
        })
    }

    /// Sets a new password with the code from a reset email, and ends every session.
    async fn password_reset_confirm(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The code and the new password.")] input: PasswordResetConfirmInput,
    ) -> async_graphql::Result<PasswordResetConfirmPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        service::reset::confirm(
            &**tx,
            identity(ctx)?,
            &rc.actor,
            &input.token,
            input.new_password,
        )
        .await
        .map(User)
        .into_payload()
    }

    /// Creates an API key in a scope where you hold `API_KEYS_MANAGE`. The secret is in the
    /// payload once and never again.
    async fn api_key_create(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The key to create.")] input: ApiKeyCreateInput,
    ) -> async_graphql::Result<ApiKeyCreatePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let scope = kernel::db::resolve_scope(ctx, &input.scope_id).await?;
        service::api_key::create(
            &**tx,
            &rc.actor,
            NewApiKey {
                scope,
                name: input.name,
                permissions: input.permissions,
                expires_at: input.expires_at,
            },
        )
        .await
        .map(|(k, s)| (ApiKey(k), s))
        .into_payload()
    }

    /// Revokes an API key; it stops working at once.
    async fn api_key_revoke(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the key.")] id: ID,
    ) -> async_graphql::Result<ApiKeyRevokePayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = GlobalId::parse_as(&id, NodeKind::ApiKey)?;
        service::api_key::revoke(&**tx, &rc.actor, id)
            .await
            .map(ApiKey)
            .into_payload()
    }
}

/// The request's `User-Agent`, put into the request data by the gateway.
#[derive(Clone, Debug)]
pub struct UserAgent(pub String);
