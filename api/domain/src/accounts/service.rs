//! The account service: its policy, the handle, and what its operations return. The
//! operations live in `sessions` (signing in and staying signed in) and `users`
//! (accounts staff manage).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::model::{Role, User};
use super::throttle::LoginThrottle;
use super::tokens::JwtKeys;
use crate::db::Database;
use crate::error::{Error, ErrorCode};

/// Lifetimes of what accounts hand out.
#[derive(Clone, Copy, Debug)]
pub struct AccountsPolicy {
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    /// Longest a sign-in lasts however often it is refreshed.
    pub session_ttl: Duration,
    pub invite_ttl: Duration,
    pub throttle: super::throttle::ThrottlePolicy,
}

impl Default for AccountsPolicy {
    fn default() -> Self {
        AccountsPolicy {
            access_ttl: Duration::from_secs(15 * 60),
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
            session_ttl: Duration::from_secs(90 * 24 * 3600),
            invite_ttl: Duration::from_secs(72 * 3600),
            throttle: Default::default(),
        }
    }
}

/// The tokens of a sign-in. Secrets: never log them.
#[derive(Clone)]
pub struct TokenPair {
    pub access_token: String,
    pub access_expires_at: DateTime<Utc>,
    pub refresh_token: String,
    pub refresh_expires_at: DateTime<Utc>,
}

/// A user and their fresh tokens.
#[derive(Clone)]
pub struct SignIn {
    pub user: User,
    pub tokens: TokenPair,
}

/// What ending an account's sign-in lockout found.
#[derive(Clone, Debug)]
pub struct Unlocked {
    pub user: User,
    /// Whether the account was locked out (else only its failed sign-ins were forgotten,
    /// if it had any).
    pub was_locked: bool,
}

/// What an operator's password reset did.
#[derive(Clone, Debug)]
pub struct PasswordReset {
    pub user: User,
    /// Sessions signed out (each with its refresh and access tokens).
    pub sessions_revoked: u64,
    /// Whether the account was locked out before the reset.
    pub was_locked: bool,
}

/// Narrows a user listing.
#[derive(Clone, Debug, Default)]
pub struct UserFilter {
    pub roles: Vec<Role>,
    /// Part of the email or name.
    pub search: Option<String>,
}

#[derive(Clone)]
pub struct AccountService {
    pub(super) db: Database,
    pub(super) keys: Arc<JwtKeys>,
    pub(super) policy: AccountsPolicy,
    pub(super) throttle: LoginThrottle,
}

pub(super) fn chrono_duration(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

pub(super) fn taken_email() -> Error {
    Error::Taken { code: ErrorCode::EmailTaken, field: "email".into(), message: "an account with this email already exists".into() }
}

impl AccountService {
    pub fn new(db: Database, keys: Arc<JwtKeys>, policy: AccountsPolicy) -> Self {
        let throttle = LoginThrottle::new(db.clone(), policy.throttle);
        AccountService { db, keys, policy, throttle }
    }
}
