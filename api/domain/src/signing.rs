//! Webhook signatures in Stripe's scheme, for the webhooks Stripe sends us and the ones
//! we send: `t=<unix time>,v1=<hex>[,v1=<hex>...]`, each `v1` an HMAC-SHA256 of
//! `"<t>.<raw body>"` under the endpoint's signing secret. Any `v1` matching any of the
//! secrets passes (several while a secret is rotated), compared in constant time, and
//! the timestamp must be within the tolerance of the receiver's clock either way.

use hmac::{KeyInit, Mac};
use sha2::Sha256;

use crate::settings::Secret;

/// Stripe's default tolerance: five minutes.
pub const TOLERANCE_SECS: i64 = 300;

/// Why a delivery was refused (answered 400, nothing changed).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing signature header")]
    Missing,
    #[error("malformed signature header")]
    Malformed,
    #[error("timestamp outside the tolerance")]
    Stale,
    #[error("no signature matches")]
    Mismatch,
}

/// Checks `header` against `body` for any of `secrets`, at `now` (unix seconds).
pub fn verify(header: Option<&str>, body: &[u8], secrets: &[Secret<String>], now: i64) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut timestamp: Option<i64> = None;
    let mut signatures: Vec<Vec<u8>> = Vec::new();
    for part in header.split(',') {
        let (key, value) = part.trim().split_once('=').ok_or(SignatureError::Malformed)?;
        match key {
            "t" => timestamp = Some(value.parse().map_err(|_| SignatureError::Malformed)?),
            // Malformed v1 values are skipped: another may still match.
            "v1" => signatures.extend(hex::decode(value).ok().filter(|s| s.len() == 32)),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now - timestamp).abs() > TOLERANCE_SECS {
        return Err(SignatureError::Stale);
    }
    for secret in secrets {
        let Ok(mut mac) = hmac::Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()) else { continue };
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        let expected = mac.finalize().into_bytes();
        if signatures.iter().any(|s| bool::from(subtle::ConstantTimeEq::ct_eq(s.as_slice(), expected.as_slice()))) {
            return Ok(());
        }
    }
    Err(SignatureError::Mismatch)
}

/// The signature header for `body` at `timestamp` under `secret`: what Stripe sends us,
/// and what we send with our own webhooks.
pub fn sign(body: &[u8], secret: &str, timestamp: i64) -> String {
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={timestamp},v1={}", hex::encode(mac.finalize().into_bytes()))
}
