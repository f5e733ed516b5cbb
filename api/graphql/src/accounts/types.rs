//! Account types as clients see them.

use async_graphql::{Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use crate::error::UserError;
use crate::ids::NodeType;
use stockade_domain::accounts;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "stockade_domain::accounts::Role")]
pub enum Role {
    /// Shops and sees their own account and orders.
    Customer,
    /// Manages catalog, inventory, orders and payments.
    Staff,
    /// Everything staff can, plus managing staff accounts.
    Admin,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "stockade_domain::accounts::UserStatus")]
pub enum UserStatus {
    Active,
    /// Invited staff who has not set a password yet.
    Invited,
    Disabled,
}

/// An account.
pub struct User(pub accounts::User);

#[Object]
impl User {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        NodeType::User.id(self.0.id)
    }
    async fn email(&self) -> &str {
        &self.0.email
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn role(&self) -> Role {
        self.0.role.into()
    }
    async fn status(&self) -> UserStatus {
        self.0.status.into()
    }
    /// Incremented on every edit; send it back as `expectedVersion` when editing.
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// The result of signing in (registering, refreshing, accepting an invite).
#[derive(SimpleObject, Default)]
pub struct AuthPayload {
    pub user: Option<User>,
    /// Send as `Authorization: Bearer <accessToken>` (HTTP) or in the WebSocket
    /// `connection_init` payload as `{"authorization": "Bearer <accessToken>"}`.
    pub access_token: Option<String>,
    pub access_token_expires_at: Option<DateTime<Utc>>,
    /// Exchange with `tokenRefresh` before `accessTokenExpiresAt`. Works once: each
    /// refresh returns a new one, and reusing an old one signs the session out.
    pub refresh_token: Option<String>,
    pub refresh_token_expires_at: Option<DateTime<Utc>>,
    pub user_errors: Vec<UserError>,
}

impl From<accounts::SignIn> for AuthPayload {
    fn from(s: accounts::SignIn) -> Self {
        AuthPayload {
            user: Some(User(s.user)),
            access_token: Some(s.tokens.access_token),
            access_token_expires_at: Some(s.tokens.access_expires_at),
            refresh_token: Some(s.tokens.refresh_token),
            refresh_token_expires_at: Some(s.tokens.refresh_expires_at),
            user_errors: Vec::new(),
        }
    }
}

#[derive(SimpleObject, Default)]
pub struct TokenRevokePayload {
    /// Whether a session was signed out (false if it already was).
    pub revoked: bool,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject, Default)]
pub struct PasswordChangePayload {
    pub user: Option<User>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject, Default)]
pub struct UserPayload {
    pub user: Option<User>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject, Default)]
pub struct StaffInvitePayload {
    pub user: Option<User>,
    /// Shown once: pass it to the invitee (e.g. in a link to the admin app); they
    /// accept with `staffInviteAccept`.
    pub invite_token: Option<String>,
    pub invite_expires_at: Option<DateTime<Utc>>,
    pub user_errors: Vec<UserError>,
}
