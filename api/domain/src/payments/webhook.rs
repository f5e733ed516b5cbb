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

use serde_json::Value;

use super::gateway::{Failure, GatewayEvent, GatewayKind, PaymentChange, order_ref_from};
pub use crate::signing::{SignatureError, TOLERANCE_SECS, sign, verify};

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
    use crate::settings::Secret;

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
