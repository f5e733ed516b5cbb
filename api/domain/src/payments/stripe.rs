//! Stripe through async-stripe (the 1.0 line): PaymentIntents and refunds.
//!
//! Every request carries an idempotency key derived from the order and attempt (or
//! refund), so a retried call, by us or by another instance, returns what the first
//! one made. Network failures and Stripe's 5xx/429 answers are retried here, with the
//! same key, a few times with backoff.

use std::collections::HashMap;
use std::time::Duration;

use stripe::{ClientBuilder, IdempotencyKey, RequestStrategy, StripeError, StripeRequest};
use stripe_core::payment_intent::{
    CancelPaymentIntent, CreatePaymentIntent, CreatePaymentIntentAutomaticPaymentMethods, RetrievePaymentIntent,
};
use stripe_core::refund::{CreateRefund, RetrieveRefund};

use super::PaymentsConfig;
use super::gateway::{
    Failure, GatewayError, GatewayKind, Intent, IntentRequest, IntentStatus, META_ATTEMPT, META_ORDER_ID, PaymentGateway, RefundReply,
    RefundRequest, RefundState, order_ref_from,
};

/// Calls per request, the first included.
const ATTEMPTS: u32 = 3;

pub struct StripeGateway {
    client: stripe::Client,
}

impl StripeGateway {
    pub fn new(config: &PaymentsConfig) -> Result<Self, String> {
        let key = config.stripe_secret_key.as_ref().ok_or("STRIPE_SECRET_KEY is not set")?;
        let client = ClientBuilder::new(key.expose().as_str())
            .url(config.stripe_api_base.as_str())
            .timeout(config.gateway_timeout)
            .app_info("stockade", Some(env!("CARGO_PKG_VERSION").to_owned()), None)
            .build()
            .map_err(|e| format!("cannot build the Stripe client: {e}"))?;
        Ok(StripeGateway { client })
    }

    /// Sends `call` up to [`ATTEMPTS`] times while Stripe is unreachable or says to
    /// retry. The idempotency key inside `call` makes the repeats safe.
    async fn send<T, F, Fut>(&self, what: &'static str, call: F) -> Result<T, GatewayError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, StripeError>>,
    {
        let mut last = GatewayError::Unavailable("not attempted".into());
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(250 * 4u64.pow(attempt - 1))).await;
            }
            match call().await {
                Ok(v) => return Ok(v),
                Err(e) => {
                    let (error, retry) = classify(e);
                    tracing::warn!(operation = what, attempt = attempt + 1, retry, error = %error, "Stripe call failed");
                    last = error;
                    if !retry {
                        break;
                    }
                }
            }
        }
        Err(last)
    }
}

/// Our error for Stripe's, and whether the same request may be sent again.
fn classify(e: StripeError) -> (GatewayError, bool) {
    match e {
        StripeError::Stripe(api, status) => {
            let code = api.code.as_ref().map(|c| c.as_str().to_owned()).unwrap_or_else(|| api.type_.as_str().to_owned());
            let message = api.message.clone().unwrap_or_else(|| format!("Stripe answered {status}"));
            // 409: the same idempotent request is still in flight; 429/5xx: Stripe's own trouble.
            if status == 409 || status == 429 || status >= 500 {
                (GatewayError::Unavailable(format!("{status} {code}: {message}")), true)
            } else {
                (GatewayError::Rejected { code, message }, false)
            }
        }
        StripeError::ClientError(m) => (GatewayError::Unavailable(m), true),
        StripeError::Timeout => (GatewayError::Unavailable("timed out".into()), true),
        StripeError::JSONDeserialize(m) => (GatewayError::Unavailable(format!("unreadable answer: {m}")), false),
        StripeError::ConfigError(m) => (GatewayError::Rejected { code: "configuration".into(), message: m }, false),
    }
}

fn idempotent(key: &str) -> Result<RequestStrategy, GatewayError> {
    IdempotencyKey::new(key)
        .map(RequestStrategy::Idempotent)
        .map_err(|e| GatewayError::Rejected { code: "idempotency_key".into(), message: e.to_string() })
}

fn intent_of(pi: stripe_core::PaymentIntent) -> Intent {
    let last_failure = pi.last_payment_error.as_ref().map(|e| Failure {
        code: e.decline_code.clone().or_else(|| e.code.as_ref().map(|c| c.as_str().to_owned())).unwrap_or_else(|| "payment_failed".into()),
        message: e.message.clone().unwrap_or_else(|| "The payment failed.".into()),
    });
    let status = IntentStatus::parse(pi.status.as_str()).unwrap_or(IntentStatus::RequiresPaymentMethod);
    Intent {
        id: pi.id.to_string(),
        status,
        amount: pi.amount,
        amount_received: pi.amount_received,
        currency: pi.currency.to_string(),
        client_secret: pi.client_secret,
        last_failure,
        order_ref: order_ref_from(|k| pi.metadata.get(k).cloned()),
    }
}

/// A Stripe refund in our terms: `requires_action` (some non-card methods) and
/// `pending` wait; `failed` and `canceled` give nothing back.
fn refund_reply(refund: &stripe_core::Refund) -> RefundReply {
    let status = match refund.status.as_deref() {
        Some("succeeded") => RefundState::Succeeded,
        Some("failed") | Some("canceled") => RefundState::Failed,
        _ => RefundState::Pending,
    };
    RefundReply { id: refund.id.to_string(), status }
}

#[async_trait::async_trait]
impl PaymentGateway for StripeGateway {
    fn kind(&self) -> GatewayKind {
        GatewayKind::Stripe
    }

    async fn create_intent(&self, r: &IntentRequest) -> Result<Intent, GatewayError> {
        let currency: stripe_types::Currency = r.currency.code().to_lowercase().parse().unwrap_or(stripe_types::Currency::USD);
        let metadata =
            HashMap::from([(META_ORDER_ID.to_owned(), r.order_id.to_string()), (META_ATTEMPT.to_owned(), r.attempt.to_string())]);
        let mut request = CreatePaymentIntent::new(r.amount, currency)
            .automatic_payment_methods(CreatePaymentIntentAutomaticPaymentMethods::new(true))
            .metadata(metadata)
            .description(r.description.clone());
        if !r.email.is_empty() {
            request = request.receipt_email(r.email.clone());
        }
        let strategy = idempotent(&r.idempotency_key)?;
        let pi = self.send("create payment intent", || request.customize().request_strategy(strategy.clone()).send(&self.client)).await?;
        Ok(intent_of(pi))
    }

    async fn retrieve_intent(&self, intent_id: &str) -> Result<Intent, GatewayError> {
        let request = RetrievePaymentIntent::new(intent_id);
        let pi = self.send("retrieve payment intent", || request.send(&self.client)).await?;
        Ok(intent_of(pi))
    }

    async fn cancel_intent(&self, intent_id: &str) -> Result<Intent, GatewayError> {
        let request = CancelPaymentIntent::new(intent_id);
        let strategy = idempotent(&format!("cancel-{intent_id}"))?;
        let pi = self.send("cancel payment intent", || request.customize().request_strategy(strategy.clone()).send(&self.client)).await?;
        Ok(intent_of(pi))
    }

    async fn refund(&self, r: &RefundRequest) -> Result<RefundReply, GatewayError> {
        let metadata =
            HashMap::from([(META_ORDER_ID.to_owned(), r.order_id.to_string()), ("stockade_refund_id".to_owned(), r.refund_id.to_string())]);
        let request = CreateRefund::new().payment_intent(r.intent_id.clone()).amount(r.amount).metadata(metadata);
        let strategy = idempotent(&r.idempotency_key)?;
        let refund = self.send("create refund", || request.customize().request_strategy(strategy.clone()).send(&self.client)).await?;
        Ok(refund_reply(&refund))
    }

    async fn retrieve_refund(&self, _intent_id: &str, refund_id: &str) -> Result<RefundReply, GatewayError> {
        let request = RetrieveRefund::new(refund_id);
        let refund = self.send("retrieve refund", || request.send(&self.client)).await?;
        Ok(refund_reply(&refund))
    }
}
