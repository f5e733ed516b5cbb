//! The built-in test gateway: the default when no Stripe key is configured, so the
//! embedded setup and the storefront sample can pay end to end with no network.
//!
//! It keeps its own intents (in `test_gateway_intents`, the way Stripe keeps its own),
//! follows Stripe's test-card conventions, and hands every outcome over as a
//! [`GatewayEvent`] that goes through the same code path as Stripe's webhooks:
//!
//! | card number           | outcome                                              |
//! |-----------------------|------------------------------------------------------|
//! | 4242 4242 4242 4242   | succeeds                                             |
//! | 5555 5555 5555 4444   | succeeds (Mastercard)                                |
//! | 4000 0000 0000 0002   | declined: `card_declined` / `generic_decline`        |
//! | 4000 0000 0000 9995   | declined: `insufficient_funds`                       |
//! | 4000 0000 0000 3220   | requires action (3-D Secure), then approve or fail   |

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::Utc;
use hmac::{KeyInit, Mac};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use sha2::Sha256;

use super::gateway::{
    Failure, GatewayError, GatewayEvent, GatewayKind, Intent, IntentRequest, IntentStatus, META_ATTEMPT, META_ORDER_ID, PaymentChange,
    PaymentGateway, RefundReply, RefundRequest, RefundState, order_ref_from,
};
use crate::db::Database;
use crate::entity::test_gateway_intent as row;
use crate::error::{Error, Result};

/// A test card and what it does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TestCard {
    pub number: &'static str,
    pub brand: &'static str,
    pub outcome: CardOutcome,
    pub description: &'static str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardOutcome {
    Succeeds,
    Declined { code: &'static str, message: &'static str },
    RequiresAction,
}

pub const TEST_CARDS: [TestCard; 5] = [
    TestCard { number: "4242424242424242", brand: "visa", outcome: CardOutcome::Succeeds, description: "Succeeds" },
    TestCard { number: "5555555555554444", brand: "mastercard", outcome: CardOutcome::Succeeds, description: "Succeeds" },
    TestCard {
        number: "4000000000000002",
        brand: "visa",
        outcome: CardOutcome::Declined { code: "generic_decline", message: "Your card was declined." },
        description: "Declined (generic_decline)",
    },
    TestCard {
        number: "4000000000009995",
        brand: "visa",
        outcome: CardOutcome::Declined { code: "insufficient_funds", message: "Your card has insufficient funds." },
        description: "Declined (insufficient_funds)",
    },
    TestCard {
        number: "4000000000003220",
        brand: "visa",
        outcome: CardOutcome::RequiresAction,
        description: "Requires 3-D Secure authentication",
    },
];

pub struct TestGateway {
    db: Database,
    /// Signs client secrets so only the holder of one can confirm its intent (and any
    /// instance sharing the key can check it).
    key: Vec<u8>,
    deliveries: Mutex<HashMap<String, Vec<GatewayEvent>>>,
}

impl TestGateway {
    pub fn new(db: Database, key: Vec<u8>) -> Self {
        TestGateway { db, key, deliveries: Mutex::new(HashMap::new()) }
    }

    fn secret_for(&self, intent_id: &str) -> String {
        let Ok(mut mac) = hmac::Hmac::<Sha256>::new_from_slice(&self.key) else { return String::new() };
        mac.update(intent_id.as_bytes());
        format!("{intent_id}_secret_{}", &hex::encode(mac.finalize().into_bytes())[..24])
    }

    /// The intent a client secret belongs to; `NOT_FOUND` for anything forged.
    fn intent_of_secret(&self, client_secret: &str) -> Result<String> {
        let not_found = || Error::not_found("payment", "clientSecret");
        let (intent_id, _) = client_secret.split_once("_secret_").ok_or_else(not_found)?;
        let expected = self.secret_for(intent_id);
        let same: bool = subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), client_secret.as_bytes()).into();
        if same { Ok(intent_id.to_owned()) } else { Err(not_found()) }
    }

    fn deliver(&self, intent_id: &str, event_type: &str, change: PaymentChange, order_ref: Option<(i64, i32)>) {
        let event = GatewayEvent {
            gateway: GatewayKind::Test,
            id: format!("evt_test_{}", uuid::Uuid::new_v4().simple()),
            event_type: event_type.to_owned(),
            intent_id: Some(intent_id.to_owned()),
            order_ref,
            change,
        };
        self.deliveries.lock().unwrap_or_else(|p| p.into_inner()).entry(intent_id.to_owned()).or_default().push(event);
    }

    async fn load(&self, intent_id: &str) -> Result<row::Model, GatewayError> {
        row::Entity::find_by_id(intent_id.to_owned())
            .one(self.db.conn())
            .await
            .map_err(|e| GatewayError::Unavailable(e.to_string()))?
            .ok_or_else(|| GatewayError::Rejected {
                code: "resource_missing".into(),
                message: format!("No such payment_intent: '{intent_id}'"),
            })
    }

    fn intent(&self, m: &row::Model) -> Intent {
        let meta = |k: &str| m.metadata.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        let status = IntentStatus::parse(&m.status).unwrap_or(IntentStatus::RequiresPaymentMethod);
        Intent {
            id: m.id.clone(),
            status,
            amount: m.amount,
            amount_received: if status == IntentStatus::Succeeded { m.amount } else { 0 },
            currency: m.currency.clone(),
            client_secret: Some(self.secret_for(&m.id)),
            last_failure: match (&m.error_code, &m.error_message) {
                (Some(code), Some(message)) => Some(Failure { code: code.clone(), message: message.clone() }),
                _ => None,
            },
            order_ref: order_ref_from(meta),
        }
    }

    /// Moves an intent from one of `from` to `to`; false if it was not in one of them.
    async fn shift(&self, intent_id: &str, from: &[IntentStatus], to: IntentStatus, failure: Option<&Failure>) -> Result<bool> {
        let done = row::Entity::update_many()
            .col_expr(row::Column::Status, Expr::val(to.as_str()))
            .col_expr(row::Column::ErrorCode, Expr::val(failure.map(|f| f.code.clone())))
            .col_expr(row::Column::ErrorMessage, Expr::val(failure.map(|f| f.message.clone())))
            .col_expr(row::Column::UpdatedAt, Expr::val(Utc::now()))
            .filter(row::Column::Id.eq(intent_id))
            .filter(row::Column::Status.is_in(from.iter().map(|s| s.as_str())))
            .exec(self.db.conn())
            .await?;
        Ok(done.rows_affected == 1)
    }

    /// Pays with a test card, as Stripe.js would confirm with one: the outcome is
    /// delivered as an event. Numbers that are not test cards are `INVALID`.
    pub async fn confirm(&self, client_secret: &str, card_number: &str) -> Result<Intent> {
        let intent_id = self.intent_of_secret(client_secret)?;
        let digits: String = card_number.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
        let card = TEST_CARDS.iter().find(|c| c.number == digits).ok_or_else(|| {
            Error::invalid(
                "cardNumber",
                "not a test card: use 4242 4242 4242 4242 (succeeds), 4000 0000 0000 0002 (declined) or 4000 0000 0000 3220 (3-D Secure)",
            )
        })?;
        let m = self.load(&intent_id).await?;
        let order_ref = self.intent(&m).order_ref;
        let open = [IntentStatus::RequiresPaymentMethod, IntentStatus::RequiresConfirmation];
        let moved = match card.outcome {
            CardOutcome::Succeeds => {
                let ok = self.shift(&intent_id, &open, IntentStatus::Succeeded, None).await?;
                if ok {
                    let change = PaymentChange::Succeeded { amount_received: m.amount, currency: m.currency.clone() };
                    self.deliver(&intent_id, "payment_intent.succeeded", change, order_ref);
                }
                ok
            }
            CardOutcome::Declined { code, message } => {
                let failure = Failure { code: code.into(), message: message.into() };
                let ok = self.shift(&intent_id, &open, IntentStatus::RequiresPaymentMethod, Some(&failure)).await?;
                if ok {
                    self.deliver(&intent_id, "payment_intent.payment_failed", PaymentChange::Failed(failure), order_ref);
                }
                ok
            }
            CardOutcome::RequiresAction => {
                let ok = self.shift(&intent_id, &open, IntentStatus::RequiresAction, None).await?;
                if ok {
                    self.deliver(&intent_id, "payment_intent.requires_action", PaymentChange::RequiresAction, order_ref);
                }
                ok
            }
        };
        let now = self.load(&intent_id).await?;
        if !moved {
            // A confirmation that already went through (the buyer retried after losing
            // the answer): answer its outcome, idempotently.
            return match IntentStatus::parse(&now.status) {
                Some(IntentStatus::Succeeded | IntentStatus::Processing | IntentStatus::RequiresAction) => Ok(self.intent(&now)),
                _ => Err(Error::invalid("clientSecret", "this payment was cancelled and cannot be confirmed; start a new payment")),
            };
        }
        Ok(self.intent(&now))
    }

    /// Completes (or fails) the 3-D Secure step of an intent that requires action.
    pub async fn authenticate(&self, client_secret: &str, approve: bool) -> Result<Intent> {
        let intent_id = self.intent_of_secret(client_secret)?;
        let m = self.load(&intent_id).await?;
        let order_ref = self.intent(&m).order_ref;
        let from = [IntentStatus::RequiresAction];
        let moved = if approve {
            let ok = self.shift(&intent_id, &from, IntentStatus::Succeeded, None).await?;
            if ok {
                let change = PaymentChange::Succeeded { amount_received: m.amount, currency: m.currency.clone() };
                self.deliver(&intent_id, "payment_intent.succeeded", change, order_ref);
            }
            ok
        } else {
            let failure = Failure {
                code: "payment_intent_authentication_failure".into(),
                message: "We are unable to authenticate your payment method. Please choose a different payment method and try again."
                    .into(),
            };
            let ok = self.shift(&intent_id, &from, IntentStatus::RequiresPaymentMethod, Some(&failure)).await?;
            if ok {
                self.deliver(&intent_id, "payment_intent.payment_failed", PaymentChange::Failed(failure), order_ref);
            }
            ok
        };
        let now = self.load(&intent_id).await?;
        if !moved {
            // Already authenticated (a retry after a lost answer): answer its outcome.
            return match IntentStatus::parse(&now.status) {
                Some(IntentStatus::Succeeded | IntentStatus::Processing) => Ok(self.intent(&now)),
                _ => Err(Error::invalid("clientSecret", format!("this payment is {} and needs no authentication", now.status))),
            };
        }
        Ok(self.intent(&now))
    }

    /// The intent id of a client secret (for the API to find its order).
    pub fn intent_id_of(&self, client_secret: &str) -> Result<String> {
        self.intent_of_secret(client_secret)
    }
}

#[async_trait::async_trait]
impl PaymentGateway for TestGateway {
    fn kind(&self) -> GatewayKind {
        GatewayKind::Test
    }

    async fn create_intent(&self, r: &IntentRequest) -> Result<Intent, GatewayError> {
        let now = Utc::now();
        let id = format!("pi_test_{}", &uuid::Uuid::new_v4().simple().to_string()[..24]);
        let metadata = serde_json::json!({ META_ORDER_ID: r.order_id.to_string(), META_ATTEMPT: r.attempt.to_string() });
        let insert = row::Entity::insert(row::ActiveModel {
            id: Set(id),
            idempotency_key: Set(r.idempotency_key.clone()),
            amount: Set(r.amount),
            currency: Set(r.currency.code().to_lowercase()),
            status: Set(IntentStatus::RequiresPaymentMethod.as_str().into()),
            metadata: Set(metadata),
            error_code: Set(None),
            error_message: Set(None),
            amount_refunded: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .on_conflict(OnConflict::column(row::Column::IdempotencyKey).do_nothing().to_owned())
        .try_insert()
        .exec(self.db.conn())
        .await;
        insert.map_err(|e| GatewayError::Unavailable(e.to_string()))?;
        // Like Stripe, the same key answers with the intent it made first.
        let m = row::Entity::find()
            .filter(row::Column::IdempotencyKey.eq(&r.idempotency_key))
            .one(self.db.conn())
            .await
            .map_err(|e| GatewayError::Unavailable(e.to_string()))?
            .ok_or_else(|| GatewayError::Unavailable("the intent vanished after it was created".into()))?;
        if m.amount != r.amount {
            return Err(GatewayError::Rejected {
                code: "idempotency_error".into(),
                message: "Keys for idempotent requests can only be used with the same parameters they were first used with.".into(),
            });
        }
        Ok(self.intent(&m))
    }

    async fn retrieve_intent(&self, intent_id: &str) -> Result<Intent, GatewayError> {
        Ok(self.intent(&self.load(intent_id).await?))
    }

    async fn cancel_intent(&self, intent_id: &str) -> Result<Intent, GatewayError> {
        let m = self.load(intent_id).await?;
        let open = [
            IntentStatus::RequiresPaymentMethod,
            IntentStatus::RequiresConfirmation,
            IntentStatus::RequiresAction,
            IntentStatus::RequiresCapture,
            IntentStatus::Processing,
        ];
        let moved =
            self.shift(intent_id, &open, IntentStatus::Canceled, None).await.map_err(|e| GatewayError::Unavailable(e.to_string()))?;
        let now = self.load(intent_id).await?;
        if moved {
            self.deliver(intent_id, "payment_intent.canceled", PaymentChange::Canceled, self.intent(&m).order_ref);
        } else if now.status != IntentStatus::Canceled.as_str() {
            return Err(GatewayError::Rejected {
                code: "payment_intent_unexpected_state".into(),
                message: format!("You cannot cancel this PaymentIntent because it has a status of {}.", now.status),
            });
        }
        Ok(self.intent(&now))
    }

    async fn refund(&self, r: &RefundRequest) -> Result<RefundReply, GatewayError> {
        let m = self.load(&r.intent_id).await?;
        if m.status != IntentStatus::Succeeded.as_str() {
            return Err(GatewayError::Rejected {
                code: "charge_not_refundable".into(),
                message: format!("This PaymentIntent has a status of {} and has no charge to refund.", m.status),
            });
        }
        // Like Stripe, the same key answers with the refund it made first.
        if let Some(id) = m.metadata.get("refunds").and_then(|refunds| refunds.get(&r.idempotency_key)).and_then(|v| v.as_str()) {
            return Ok(RefundReply { id: id.to_owned(), status: RefundState::Succeeded });
        }
        let refund_id = format!("re_test_{}", &uuid::Uuid::new_v4().simple().to_string()[..24]);
        let mut metadata = m.metadata.clone();
        if let Some(map) = metadata.as_object_mut() {
            let refunds = map.entry("refunds").or_insert_with(|| serde_json::json!({}));
            if let Some(refunds) = refunds.as_object_mut() {
                refunds.insert(r.idempotency_key.clone(), serde_json::Value::String(refund_id.clone()));
            }
        }
        // Guarded: never more than was paid, however many refunds race.
        let done = row::Entity::update_many()
            .col_expr(row::Column::Metadata, Expr::val(metadata))
            .col_expr(row::Column::AmountRefunded, Expr::col(row::Column::AmountRefunded).add(r.amount))
            .col_expr(row::Column::UpdatedAt, Expr::val(Utc::now()))
            .filter(row::Column::Id.eq(&r.intent_id))
            .filter(Expr::col(row::Column::AmountRefunded).add(r.amount).lte(Expr::col(row::Column::Amount)))
            .exec(self.db.conn())
            .await
            .map_err(|e| GatewayError::Unavailable(e.to_string()))?;
        if done.rows_affected != 1 {
            return Err(GatewayError::Rejected {
                code: "amount_too_large".into(),
                message: "Refund amount is greater than the unrefunded amount of the charge.".into(),
            });
        }
        let now = self.load(&r.intent_id).await?;
        let change = PaymentChange::Refunded { amount_refunded: now.amount_refunded, refund_ids: vec![refund_id.clone()] };
        self.deliver(&r.intent_id, "charge.refunded", change, self.intent(&m).order_ref);
        Ok(RefundReply { id: refund_id, status: RefundState::Succeeded })
    }

    async fn retrieve_refund(&self, intent_id: &str, refund_id: &str) -> Result<RefundReply, GatewayError> {
        let m = self.load(intent_id).await?;
        // This gateway refunds at once: a refund it made has succeeded.
        let made =
            m.metadata.get("refunds").and_then(|r| r.as_object()).is_some_and(|r| r.values().any(|id| id.as_str() == Some(refund_id)));
        if !made {
            return Err(GatewayError::Rejected { code: "resource_missing".into(), message: format!("No such refund: '{refund_id}'") });
        }
        Ok(RefundReply { id: refund_id.to_owned(), status: RefundState::Succeeded })
    }

    fn take_deliveries(&self, intent_id: &str) -> Vec<GatewayEvent> {
        self.deliveries.lock().unwrap_or_else(|p| p.into_inner()).remove(intent_id).unwrap_or_default()
    }
}
