//! Reconciliation: payments (and refunds, see `refunds.rs`) that have waited too long
//! are read back from the gateway and what it says is applied through the same path as
//! a webhook. Each is claimed with a guarded update before it is checked, so several
//! instances running this at once check each once per period.

use std::fmt;

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::gateway::{GatewayError, GatewayEvent};
use super::{Applied, Payment, PaymentService, PaymentStatus, VoidState};
use crate::entity::payment;
use crate::error::{Error, Result};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    /// Payments and refunds read back from the gateway.
    pub checked: usize,
    /// ... of which the gateway knew something we did not.
    pub changed: usize,
    /// ... or could not be reached for.
    pub unreachable: usize,
}

impl fmt::Display for ReconcileReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "checked {}, changed {}, gateway unreachable for {}", self.checked, self.changed, self.unreachable)
    }
}

impl crate::periodic::PassOutcome for ReconcileReport {
    fn is_nothing(&self) -> bool {
        self.checked == 0
    }
}

impl PaymentService {
    /// Finishes up to `batch` cancellations at the gateway that did not go through,
    /// then checks up to `batch` open payments, and up to `batch` pending refunds,
    /// untouched for `PAYMENT_RECONCILE_AFTER_SECS`.
    #[tracing::instrument(skip(self))]
    pub async fn reconcile(&self, batch: u64) -> Result<ReconcileReport> {
        let now = Utc::now();
        let cutoff = now - chrono::Duration::from_std(self.inner.config.reconcile_after).unwrap_or(chrono::Duration::minutes(5));
        let not_recently_checked = || Condition::any().add(payment::Column::CheckedAt.is_null()).add(payment::Column::CheckedAt.lt(cutoff));
        let mut report = ReconcileReport::default();

        // Voids first: an open attempt waiting to be cancelled is cancelled, not read back.
        let voids = payment::Entity::find()
            .filter(payment::Column::Gateway.eq(self.gateway_kind().as_str()))
            .filter(payment::Column::VoidState.eq(VoidState::Requested.as_str()))
            .filter(not_recently_checked())
            .order_by_asc(payment::Column::UpdatedAt)
            .limit(batch)
            .all(self.inner.db.conn())
            .await?;
        for m in voids {
            if !self.claim(m.id, now, not_recently_checked()).await? {
                continue;
            }
            report.checked += 1;
            let payment = Payment::from_model(m)?;
            match self.void(&payment).await {
                Ok(()) => {
                    tracing::info!(intent_id = %payment.intent_id, order_id = payment.order_id, "reconciliation cancelled an intent at the gateway");
                    report.changed += 1;
                }
                Err(Error::GatewayUnavailable { detail }) => {
                    tracing::warn!(intent_id = %payment.intent_id, error = %detail, "reconciliation could not reach the gateway to cancel an intent");
                    report.unreachable += 1;
                }
                Err(e) => tracing::warn!(intent_id = %payment.intent_id, error = %e, "reconciliation could not cancel an intent"),
            }
        }

        let open: Vec<&str> = PaymentStatus::ALL.into_iter().filter(|s| s.is_open()).map(PaymentStatus::as_str).collect();
        let due: Vec<(i64, String)> = payment::Entity::find()
            .select_only()
            .column(payment::Column::Id)
            .column(payment::Column::IntentId)
            .filter(payment::Column::Gateway.eq(self.gateway_kind().as_str()))
            .filter(payment::Column::Status.is_in(open))
            .filter(payment::Column::UpdatedAt.lt(cutoff))
            .filter(not_recently_checked())
            .order_by_asc(payment::Column::UpdatedAt)
            .limit(batch)
            .into_tuple()
            .all(self.inner.db.conn())
            .await?;
        for (id, intent_id) in due {
            if !self.claim(id, now, not_recently_checked()).await? {
                continue; // another instance has it
            }
            report.checked += 1;
            let intent = match self.inner.gateway.retrieve_intent(&intent_id).await {
                Ok(intent) => intent,
                Err(GatewayError::Unavailable(e)) => {
                    tracing::warn!(%intent_id, error = %e, "reconciliation could not reach the gateway");
                    report.unreachable += 1;
                    continue;
                }
                Err(e) => {
                    tracing::warn!(%intent_id, error = %e, "the gateway does not know this intent");
                    continue;
                }
            };
            let outcome = self.apply_event(&GatewayEvent::from_intent(self.gateway_kind(), &intent)).await?;
            if outcome.applied == Applied::Applied {
                tracing::info!(%intent_id, order_id = ?outcome.order_id, detail = %outcome.detail, "reconciliation applied what the gateway knew");
                report.changed += 1;
            }
        }
        self.reconcile_refunds(batch, cutoff, &mut report).await?;
        Ok(report)
    }

    /// Claims a payment for this pass (false: another instance has it).
    async fn claim(&self, id: i64, now: chrono::DateTime<Utc>, unclaimed: Condition) -> Result<bool> {
        let claimed = payment::Entity::update_many()
            .col_expr(payment::Column::CheckedAt, Expr::val(now))
            .filter(payment::Column::Id.eq(id))
            .filter(unclaimed)
            .exec(self.inner.db.conn())
            .await?;
        Ok(claimed.rows_affected == 1)
    }
}
