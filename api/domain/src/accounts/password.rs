//! Password rules and hashing (argon2id). Hashing is deliberately slow, so it runs on
//! the blocking pool, never on the async runtime's threads. Passwords are never logged.

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

use super::model::Email;
use crate::error::{Error, Result};

const MIN_LEN: usize = 10;
/// Long enough for passphrases; short enough that hashing stays cheap to refuse.
const MAX_LEN: usize = 128;

/// Passwords that are long enough but guessed first by every attacker.
const COMMON: &[&str] = &[
    "password123",
    "password1234",
    "passw0rd123",
    "1234567890",
    "12345678910",
    "123456789012",
    "qwertyuiop",
    "qwerty12345",
    "1q2w3e4r5t",
    "iloveyou123",
    "letmein1234",
    "welcome123",
    "admin12345",
    "abc1234567",
    "princess123",
    "football123",
    "baseball123",
    "sunshine123",
    "dragon12345",
    "monkey12345",
    "trustno1234",
    "changeme123",
    "stockade123",
    "zaq12wsxcde",
];

/// Checks the rules; the message says exactly what to fix.
pub fn check_rules(password: &str, email: Option<&Email>) -> Result<()> {
    let weak = |message: String| Err(Error::WeakPassword { message });
    let chars = password.chars().count();
    if chars < MIN_LEN {
        return weak(format!("password must be at least {MIN_LEN} characters"));
    }
    if chars > MAX_LEN {
        return weak(format!("password must be at most {MAX_LEN} characters"));
    }
    if password.trim().is_empty() {
        return weak("password cannot be only spaces".into());
    }
    let mut distinct: Vec<char> = password.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 4 {
        return weak("password must use at least 4 different characters".into());
    }
    let lower = password.to_lowercase();
    if COMMON.contains(&lower.as_str()) {
        return weak("this password is too common; choose another".into());
    }
    if let Some(email) = email {
        let local = email.local_part();
        if local.len() >= 4 && lower.contains(local) {
            return weak("password must not contain your email address".into());
        }
    }
    Ok(())
}

/// Hashes with argon2id and a random salt; returns the PHC string.
pub async fn hash(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| Error::Internal(anyhow::anyhow!("hashing a password failed: {e}")))
    })
    .await
    .map_err(|e| Error::Internal(anyhow::anyhow!("password hashing task failed: {e}")))?
}

/// Whether `password` matches `phc`. A malformed stored hash is an internal error.
pub async fn verify(password: String, phc: String) -> Result<bool> {
    tokio::task::spawn_blocking(move || match Argon2::default().verify_password(password.as_bytes(), phc.as_str()) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
        Err(e) => Err(Error::Internal(anyhow::anyhow!("verifying a password failed: {e}"))),
    })
    .await
    .map_err(|e| Error::Internal(anyhow::anyhow!("password verification task failed: {e}")))?
}

/// Verifies against a fixed dummy hash, so an unknown email takes as long to refuse as
/// a wrong password (no account enumeration by timing).
pub async fn burn_time(password: String) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let phc = match DUMMY.get() {
        Some(p) => p.clone(),
        None => match hash("not-a-real-password-x".into()).await {
            Ok(p) => DUMMY.get_or_init(|| p).clone(),
            Err(_) => return,
        },
    };
    let _ = verify(password, phc).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_explain_what_is_wrong() {
        let email = Email::parse("marta.silva@example.com").unwrap();
        for (pw, needle) in [
            ("short", "at least 10"),
            ("aaaaaaaaaaaa", "4 different"),
            ("Password123", "too common"),
            ("marta.silva-2026!", "email"),
            (&"x1y2".repeat(40), "at most 128"),
        ] {
            match check_rules(pw, Some(&email)) {
                Err(Error::WeakPassword { message }) => assert!(message.contains(needle), "{pw}: {message}"),
                other => panic!("{pw}: {other:?}"),
            }
        }
        assert!(check_rules("correct horse battery staple", Some(&email)).is_ok());
    }

    #[tokio::test]
    async fn hashes_verify_and_differ_per_salt() {
        let a = hash("correct horse battery".into()).await.unwrap();
        let b = hash("correct horse battery".into()).await.unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$"));
        assert!(verify("correct horse battery".into(), a.clone()).await.unwrap());
        assert!(!verify("wrong horse battery".into(), a).await.unwrap());
    }
}
