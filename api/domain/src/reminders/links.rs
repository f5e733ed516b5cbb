//! Recovery link tokens: the reminder's id and a MAC over it, so nothing secret is
//! stored (the database holds no token and no hash of one) and a token cannot be
//! made up or altered. The key comes from the webhook secret: rotating that secret
//! ends the links already sent.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};

/// Bytes of MAC kept in a token (128 bits).
const MAC_BYTES: usize = 16;

#[derive(Clone)]
pub(super) struct LinkKey([u8; 32]);

impl LinkKey {
    /// The link key for webhook signing secret `secret` (a different key from it).
    pub fn derive(secret: &str) -> Self {
        LinkKey(mac(secret.as_bytes(), b"stockade cart recovery links v1"))
    }

    /// The token of reminder `reminder_id`.
    pub fn token(&self, reminder_id: i64) -> String {
        let mut raw = reminder_id.to_be_bytes().to_vec();
        raw.extend_from_slice(&self.tag(reminder_id)[..MAC_BYTES]);
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// The reminder a token names, if the token is genuine.
    pub fn verify(&self, token: &str) -> Option<i64> {
        let raw = URL_SAFE_NO_PAD.decode(token.trim().as_bytes()).ok().filter(|r| r.len() == 8 + MAC_BYTES)?;
        let id = i64::from_be_bytes(raw[..8].try_into().ok()?);
        let genuine: bool = subtle::ConstantTimeEq::ct_eq(&raw[8..], &self.tag(id)[..MAC_BYTES]).into();
        (genuine && id > 0).then_some(id)
    }

    fn tag(&self, reminder_id: i64) -> [u8; 32] {
        mac(&self.0, &reminder_id.to_be_bytes())
    }
}

fn mac(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut m = hmac::Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(message);
    m.finalize().into_bytes().into()
}

/// What is stored of a device id: its SHA-256, hex.
pub(super) fn device_hash(device_id: &str) -> String {
    hex::encode(Sha256::digest(device_id.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_names_its_reminder_and_nothing_else_passes() {
        let key = LinkKey::derive("a-secret-of-twenty-four-chars");
        let token = key.token(42);
        assert_eq!(key.verify(&token), Some(42));
        assert_eq!(LinkKey::derive("another-secret-of-24-chars!").verify(&token), None, "another key");
        let mut raw = URL_SAFE_NO_PAD.decode(&token).unwrap();
        raw[7] = 43;
        assert_eq!(key.verify(&URL_SAFE_NO_PAD.encode(&raw)), None, "another id, same tag");
        assert_eq!(key.verify("not base64 !"), None);
        assert_eq!(key.verify(""), None);
        assert_eq!(key.verify(&token[..token.len() - 2]), None, "cut short");
    }
}
