//! Accounts settings: token lifetimes, the signing key, sign-in throttling.

use std::time::Duration;

use crate::settings::{ConfigError, Env, Secret};

#[derive(Clone, Debug)]
pub struct AuthConfig {
    /// HS256 signing key for access tokens (`JWT_SECRET`, at least 32 characters);
    /// unset: generated once into `DATA_DIR`.
    pub jwt_secret: Option<Secret<String>>,
    /// `ACCESS_TOKEN_TTL_SECS`.
    pub access_token_ttl: Duration,
    /// `REFRESH_TOKEN_TTL_DAYS`.
    pub refresh_token_ttl: Duration,
    /// Failed sign-ins per account (in the window) before answers slow down
    /// (`LOGIN_SLOWDOWN_AFTER`).
    pub login_slowdown_after: i32,
    /// Failed sign-ins per account (in the window) that lock it for the window
    /// (`LOGIN_LOCKOUT_AFTER`).
    pub login_lockout_after: i32,
    /// `LOGIN_LOCKOUT_MINUTES`.
    pub login_window: Duration,
}

impl AuthConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let jwt_secret = match env.get("JWT_SECRET") {
            Some(secret) if secret.len() < 32 => return Err(env.error("JWT_SECRET", "must be at least 32 characters")),
            other => other.map(Secret::new),
        };
        Ok(AuthConfig {
            jwt_secret,
            access_token_ttl: env.secs("ACCESS_TOKEN_TTL_SECS", 900, 30..=86_400)?,
            refresh_token_ttl: Duration::from_secs(86_400 * env.number("REFRESH_TOKEN_TTL_DAYS", 30u64, 1..=365)?),
            login_slowdown_after: env.number("LOGIN_SLOWDOWN_AFTER", 3i32, 0..=1000)?,
            login_lockout_after: env.number("LOGIN_LOCKOUT_AFTER", 10i32, 1..=1000)?,
            login_window: Duration::from_secs(60 * env.number("LOGIN_LOCKOUT_MINUTES", 15u64, 1..=1440)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_signing_key_is_refused_and_never_printed() {
        assert_eq!(AuthConfig::from_env(&Env::from_pairs(&[("JWT_SECRET", "short")])).unwrap_err().var, "JWT_SECRET");
        let c = AuthConfig::from_env(&Env::from_pairs(&[("JWT_SECRET", "a-very-long-signing-secret-of-40-chars!!")])).unwrap();
        assert!(!format!("{c:?}").contains("signing-secret"));
    }
}
