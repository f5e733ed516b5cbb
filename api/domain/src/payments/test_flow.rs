//! The built-in test gateway's flows: a card confirmed or a 3-D Secure challenge
//! answered, applied through the same path as a webhook before the call returns.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::GatewayEvent;
use super::{Payment, PaymentService};
use crate::entity::payment;
use crate::error::{Error, Result};
use crate::orders::Order;

impl PaymentService {
    /// Applies what the test gateway delivered for `intent_id` (nothing for Stripe,
    /// which delivers by webhook).
    pub(super) async fn deliver(&self, intent_id: &str) -> Result<usize> {
        let events = self.inner.gateway.take_deliveries(intent_id);
        for event in &events {
            self.apply_event(event).await?;
        }
        Ok(events.len())
    }

    /// Test gateway: pays with a test card (see [`TEST_CARDS`]); the outcome is applied
    /// through the same path as a webhook before this returns. Confirming a payment
    /// that already went through answers its outcome (a retry after a lost answer).
    pub async fn test_confirm(&self, client_secret: &str, card_number: &str) -> Result<(Payment, Order)> {
        let test = self.test_gateway().ok_or_else(|| Error::invalid("clientSecret", "the test gateway is not in use"))?;
        let intent = test.confirm(client_secret, card_number).await?;
        self.settle_test_intent(&intent.id).await?;
        self.payment_and_order(&intent.id).await
    }

    /// Test gateway: completes (`approve`) or fails the 3-D Secure step.
    pub async fn test_authenticate(&self, client_secret: &str, approve: bool) -> Result<(Payment, Order)> {
        let test = self.test_gateway().ok_or_else(|| Error::invalid("clientSecret", "the test gateway is not in use"))?;
        let intent = test.authenticate(client_secret, approve).await?;
        self.settle_test_intent(&intent.id).await?;
        self.payment_and_order(&intent.id).await
    }

    /// Applies the test gateway's outcome for `intent_id`. The outcome is already
    /// durable (the gateway's intent row is committed before it answers). Its events
    /// are applied; if that fails (a database blip) or there were none (a retry of a
    /// confirmation whose answer was lost, or whose events a crash took), the intent
    /// as it stands is read back and applied, with a few retries. Whatever is still
    /// missing is read back before the order could expire.
    async fn settle_test_intent(&self, intent_id: &str) -> Result<()> {
        match self.deliver(intent_id).await {
            Ok(0) => {}
            Ok(_) => return Ok(()),
            Err(e) => tracing::warn!(%intent_id, error = %e, "applying a test payment's events failed; reading the intent back"),
        }
        let mut delay = std::time::Duration::from_millis(200);
        for attempt in 1.. {
            let applied = async {
                let intent = self.inner.gateway.retrieve_intent(intent_id).await?;
                self.apply_event(&GatewayEvent::from_intent(self.gateway_kind(), &intent)).await
            }
            .await;
            match applied {
                Ok(_) => return Ok(()),
                Err(e) if attempt < 3 => {
                    tracing::warn!(%intent_id, error = %e, attempt, "applying a test payment failed; retrying");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    async fn payment_and_order(&self, intent_id: &str) -> Result<(Payment, Order)> {
        let row = payment::Entity::find()
            .filter(payment::Column::Gateway.eq(self.gateway_kind().as_str()))
            .filter(payment::Column::IntentId.eq(intent_id))
            .one(self.inner.db.conn())
            .await?
            .ok_or_else(|| Error::not_found("payment", "clientSecret"))?;
        let payment = Payment::from_model(row)?;
        let order = self.order(payment.order_id).await?;
        Ok((payment, order))
    }
}
