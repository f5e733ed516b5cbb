//! Access tokens (short-lived JWTs, HS256) and opaque secrets (refresh and invite
//! tokens: random, shown once, stored only as SHA-256).

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::model::Role;
use crate::error::{Error, Result};
use crate::settings::Secret;

const ISSUER: &str = "stockade";

/// The claims of an access token.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    /// User id.
    pub sub: String,
    /// Session (sign-in) id; revoking the session revokes the token.
    pub sid: String,
    /// Role when issued (informational; the current role is read per request).
    pub role: String,
    pub iss: String,
    pub iat: i64,
    pub exp: i64,
    pub typ: String,
}

/// Signing keys for access tokens.
pub struct JwtKeys {
    /// The configured or generated secret, for deriving keys for other purposes.
    secret: Vec<u8>,
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl JwtKeys {
    pub fn from_secret(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.leeway = 5;
        JwtKeys {
            secret: secret.to_vec(),
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
    }

    /// A key for another purpose (e.g. order tokens), derived from the signing secret
    /// so one secret serves all and the purposes cannot be confused.
    pub fn derive_key(&self, purpose: &str) -> Vec<u8> {
        use hmac::{KeyInit, Mac};
        let Ok(mut mac) = hmac::Hmac::<Sha256>::new_from_slice(&self.secret) else { return self.secret.clone() };
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// The configured secret, or one generated once and kept in `data_dir/jwt-secret`
    /// (readable only by this user) so tokens survive restarts of the embedded setup.
    pub fn load(configured: Option<&Secret<String>>, data_dir: &Path) -> std::io::Result<(Self, KeySource)> {
        if let Some(secret) = configured {
            return Ok((Self::from_secret(secret.expose().as_bytes()), KeySource::Configured));
        }
        let path = data_dir.join("jwt-secret");
        if let Ok(existing) = std::fs::read_to_string(&path)
            && existing.trim().len() >= 32
        {
            return Ok((Self::from_secret(existing.trim().as_bytes()), KeySource::File));
        }
        std::fs::create_dir_all(data_dir)?;
        let secret = random_token(48).map_err(|e| std::io::Error::other(e.to_string()))?;
        write_private(&path, &secret)?;
        Ok((Self::from_secret(secret.as_bytes()), KeySource::Generated))
    }

    pub fn issue(&self, user_id: i64, session_id: &str, role: Role, ttl: Duration) -> Result<(String, DateTime<Utc>)> {
        let now = Utc::now();
        let expires = now + chrono::Duration::from_std(ttl).map_err(|e| Error::Internal(e.into()))?;
        let claims = AccessClaims {
            sub: user_id.to_string(),
            sid: session_id.to_owned(),
            role: role.as_str().to_owned(),
            iss: ISSUER.to_owned(),
            iat: now.timestamp(),
            exp: expires.timestamp(),
            typ: "access".to_owned(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| Error::Internal(anyhow::anyhow!("signing an access token failed: {e}")))?;
        Ok((token, expires))
    }

    /// Verifies signature, issuer and expiry. Every failure is `Unauthenticated`.
    pub fn verify(&self, token: &str) -> Result<AccessClaims> {
        let data = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            Error::unauthenticated(match e.kind() {
                ErrorKind::ExpiredSignature => "the access token has expired; refresh it with tokenRefresh",
                _ => "the access token is not valid",
            })
        })?;
        if data.claims.typ != "access" {
            return Err(Error::unauthenticated("the access token is not valid"));
        }
        Ok(data.claims)
    }
}

/// Where the signing key came from (for the start-up log).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySource {
    Configured,
    File,
    Generated,
}

/// `bytes` random bytes from the OS as base64url (no padding).
pub fn random_token(bytes: usize) -> Result<String> {
    use base64::Engine;
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| Error::Internal(anyhow::anyhow!("the OS random generator failed: {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf))
}

/// SHA-256 of a secret token, hex: what the database stores.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
        file.write_all(contents.as_bytes())
    }
    #[cfg(not(unix))]
    {
        std::fs::write(path, contents)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_forgeries_fail() {
        let keys = JwtKeys::from_secret(b"0123456789abcdef0123456789abcdef");
        let (token, _) = keys.issue(7, "sess", Role::Staff, Duration::from_secs(60)).unwrap();
        let claims = keys.verify(&token).unwrap();
        assert_eq!((claims.sub.as_str(), claims.sid.as_str(), claims.role.as_str()), ("7", "sess", "staff"));

        let other = JwtKeys::from_secret(b"another-secret-another-secret-xx");
        assert!(matches!(other.verify(&token), Err(Error::Unauthenticated { .. })));
        let mut tampered = token.clone();
        tampered.pop();
        assert!(matches!(keys.verify(&tampered), Err(Error::Unauthenticated { .. })));
        assert!(matches!(keys.verify("garbage"), Err(Error::Unauthenticated { .. })));
    }

    #[test]
    fn expired_tokens_say_so() {
        let keys = JwtKeys::from_secret(b"0123456789abcdef0123456789abcdef");
        let claims = AccessClaims {
            sub: "1".into(),
            sid: "s".into(),
            role: "customer".into(),
            iss: ISSUER.into(),
            iat: 1,
            exp: 2,
            typ: "access".into(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &keys.encoding).unwrap();
        match keys.verify(&token) {
            Err(Error::Unauthenticated { message }) => assert!(message.contains("expired")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn secrets_are_random_and_hashed() {
        let (a, b) = (random_token(32).unwrap(), random_token(32).unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a).len(), 64);
        assert_eq!(token_hash(&a), token_hash(&a));
    }
}
