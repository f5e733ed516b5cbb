//! Stripe webhooks: the `Stripe-Signature` check and the decoding of the events we act on.
//!
//! Verification follows Stripe's scheme: `t=<unix time>,v1=<hex>[,v1=<hex>...]`, each
//! `v1` an HMAC-SHA256 of `"<t>.<raw body>"` under the endpoint's signing secret. Any
//! `v1` matching any configured secret passes (Stripe sends several while a secret is
//! rolled; we accept several while ours is rotated), compared in constant time, and the
//! timestamp must be within the tolerance of our clock either way.
//!
//! We verify and decode ourselves rather than with async-stripe's webhook crate: that
//! crate compiles every Stripe resource type (minutes of build time) to decode events
//! of which we read five fields, and a strict decoder would reject events from newer
//! API versions that we can still apply.

use hmac::{KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;

use super::gateway::{Failure, GatewayEvent, GatewayKind, PaymentChange, order_ref_from};
use crate::settings::Secret;

/// Stripe's default tolerance: five minutes.
pub const TOLERANCE_SECS: i64 = 300;

/// Why a delivery was refused (answered 400, nothing changed).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing Stripe-Signature header")]
    Missing,
    #[error("malformed Stripe-Signature header")]
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

/// The `Stripe-Signature` header for `body` at `timestamp` under `secret` (what Stripe
/// sends; used by tests and by the `stripe` CLI stand-in).
pub fn sign(body: &[u8], secret: &str, timestamp: i64) -> String {
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={timestamp},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Why a verified body could not be read as an event (answered 400).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a Stripe event: {0}")]
pub struct DecodeError(pub String);

/// Decodes a verified Stripe event into what we act on. Types we do not act on decode
/// to [`PaymentChange::Unhandled`] (acknowledged, recorded, logged).
pub fn decode(body: &[u8]) -> Result<GatewayEvent, DecodeError> {
    let event: Value = serde_json::from_slice(body).map_err(|e| DecodeError(e.to_string()))?;
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let id = text(&event, "id").filter(|id| !id.is_empty() && id.len() <= 255).ok_or_else(|| DecodeError("no event id".into()))?;
    let event_type = text(&event, "type").filter(|t| t.len() <= 100).ok_or_else(|| DecodeError("no event type".into()))?;
    let object = event.pointer("/data/object").ok_or_else(|| DecodeError("no data.object".into()))?;
    let metadata = |k: &str| object.get("metadata").and_then(|m| m.get(k)).and_then(Value::as_str).map(str::to_owned);
    let amount = |k: &str| object.get(k).and_then(Value::as_i64).unwrap_or(0);

    let (intent_id, change) = match event_type.as_str() {
        "payment_intent.succeeded" => (
            text(object, "id"),
            PaymentChange::Succeeded { amount_received: amount("amount_received"), currency: text(object, "currency").unwrap_or_default() },
        ),
        "payment_intent.payment_failed" => {
            let error = object.get("last_payment_error");
            let field = |k: &str| error.and_then(|e| e.get(k)).and_then(Value::as_str).map(str::to_owned);
            let failure = Failure {
                code: field("decline_code").or_else(|| field("code")).unwrap_or_else(|| "payment_failed".into()),
                message: field("message").unwrap_or_else(|| "The payment failed.".into()),
            };
            (text(object, "id"), PaymentChange::Failed(failure))
        }
        "payment_intent.canceled" => (text(object, "id"), PaymentChange::Canceled),
        "payment_intent.requires_action" => (text(object, "id"), PaymentChange::RequiresAction),
        "payment_intent.processing" => (text(object, "id"), PaymentChange::Processing),
        "charge.refunded" => {
            let refund_ids = object
                .pointer("/refunds/data")
                .and_then(Value::as_array)
                .map(|rs| rs.iter().filter_map(|r| text(r, "id")).collect())
                .unwrap_or_default();
            // `payment_intent` is an id, or the object when expanded.
            let intent = object.get("payment_intent").and_then(|p| p.as_str().map(str::to_owned).or_else(|| text(p, "id")));
            (intent, PaymentChange::Refunded { amount_refunded: amount("amount_refunded"), refund_ids })
        }
        _ => (None, PaymentChange::Unhandled),
    };
    if intent_id.is_none() && change != PaymentChange::Unhandled {
        return Err(DecodeError(format!("{event_type} without a payment intent id")));
    }
    Ok(GatewayEvent { gateway: GatewayKind::Stripe, id, event_type, intent_id, order_ref: order_ref_from(metadata), change })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";

    fn secrets(list: &[&str]) -> Vec<Secret<String>> {
        list.iter().map(|s| Secret::new((*s).to_owned())).collect()
    }

    #[test]
    fn a_valid_signature_passes_and_anything_else_does_not() {
        let body = br#"{"id":"evt_1"}"#;
        let now = 1_700_000_000;
        let header = sign(body, SECRET, now);
        assert_eq!(verify(Some(&header), body, &secrets(&[SECRET]), now + 10), Ok(()));
        assert_eq!(verify(Some(&header), br#"{"id":"evt_2"}"#, &secrets(&[SECRET]), now), Err(SignatureError::Mismatch), "tampered body");
        assert_eq!(verify(Some(&header), body, &secrets(&["whsec_other"]), now), Err(SignatureError::Mismatch), "wrong secret");
        assert_eq!(verify(Some(&header), body, &secrets(&[SECRET]), now + 301), Err(SignatureError::Stale), "too old");
        assert_eq!(verify(Some(&header), body, &secrets(&[SECRET]), now - 301), Err(SignatureError::Stale), "from the future");
        assert_eq!(verify(None, body, &secrets(&[SECRET]), now), Err(SignatureError::Missing));
        assert_eq!(verify(Some("v1=abc"), body, &secrets(&[SECRET]), now), Err(SignatureError::Malformed));
        assert_eq!(verify(Some("t=1,v0=00"), body, &secrets(&[SECRET]), 1), Err(SignatureError::Malformed), "no v1 at all");
        assert_eq!(verify(Some("garbage"), body, &secrets(&[SECRET]), now), Err(SignatureError::Malformed));
    }

    #[test]
    fn any_of_several_signatures_and_any_of_several_secrets_pass() {
        let body = b"{}";
        let now = 1_700_000_000;
        let old = sign(body, "whsec_old", now);
        let new = sign(body, "whsec_new", now);
        let both = format!("{},{}", old, new.split_once(',').unwrap().1);
        assert_eq!(verify(Some(&both), body, &secrets(&["whsec_new"]), now), Ok(()), "the second v1 matches");
        assert_eq!(verify(Some(&old), body, &secrets(&["whsec_new", "whsec_old"]), now), Ok(()), "rotating: the old secret still works");
        let junk_first = format!("t={now},v1=zz,v1={}", new.split_once("v1=").unwrap().1);
        assert_eq!(verify(Some(&junk_first), body, &secrets(&["whsec_new"]), now), Ok(()));
    }

    #[test]
    fn events_decode_into_changes() {
        let failed = br#"{"id":"evt_f","type":"payment_intent.payment_failed","data":{"object":{"id":"pi_1","metadata":{"stockade_order_id":"7","stockade_attempt":"2"},
            "last_payment_error":{"code":"card_declined","decline_code":"insufficient_funds","message":"Your card has insufficient funds."}}}}"#;
        let e = decode(failed).unwrap();
        assert_eq!(e.intent_id.as_deref(), Some("pi_1"));
        assert_eq!(e.order_ref, Some((7, 2)));
        assert_eq!(
            e.change,
            PaymentChange::Failed(Failure { code: "insufficient_funds".into(), message: "Your card has insufficient funds.".into() })
        );

        let refunded = br#"{"id":"evt_r","type":"charge.refunded","data":{"object":{"id":"ch_1","payment_intent":"pi_1","amount_refunded":500,"refunds":{"data":[{"id":"re_1"}]}}}}"#;
        assert_eq!(decode(refunded).unwrap().change, PaymentChange::Refunded { amount_refunded: 500, refund_ids: vec!["re_1".into()] });

        let other = br#"{"id":"evt_o","type":"customer.created","data":{"object":{"id":"cus_1"}}}"#;
        assert_eq!(decode(other).unwrap().change, PaymentChange::Unhandled);
        assert!(decode(b"not json").is_err());
        assert!(decode(br#"{"type":"payment_intent.succeeded","data":{"object":{}}}"#).is_err(), "no id");
        assert!(decode(br#"{"id":"evt","type":"payment_intent.succeeded","data":{"object":{}}}"#).is_err(), "no intent");
    }
}
