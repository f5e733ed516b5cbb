//! Reconciliation: payments (and refunds, see `refunds.rs`) that have waited too long
//! are read back from the gateway and what it says is applied through the same path as
//! a webhook. Each is claimed with a guarded update before it is checked, so several
//! instances running this at once check each once per period.

use std::fmt;

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::gateway::{GatewayError, GatewayEvent};
use super::{Applied, PaymentService, PaymentStatus};
use crate::entity::payment;
use crate::error::Result;

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
    /// Checks up to `batch` open payments, and up to `batch` pending refunds, untouched
    /// for `PAYMENT_RECONCILE_AFTER_SECS`.
    #[tracing::instrument(skip(self))]
    pub async fn reconcile(&self, batch: u64) -> Result<ReconcileReport> {
        let now = Utc::now();
        let cutoff = now - chrono::Duration::from_std(self.inner.config.reconcile_after).unwrap_or(chrono::Duration::minutes(5));
        let open: Vec<&str> = PaymentStatus::ALL.into_iter().filter(|s| s.is_open()).map(PaymentStatus::as_str).collect();
        let not_recently_checked = || Condition::any().add(payment::Column::CheckedAt.is_null()).add(payment::Column::CheckedAt.lt(cutoff));
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
        let mut report = ReconcileReport::default();
        for (id, intent_id) in due {
            let claimed = payment::Entity::update_many()
                .col_expr(payment::Column::CheckedAt, Expr::val(now))
                .filter(payment::Column::Id.eq(id))
                .filter(not_recently_checked())
                .exec(self.inner.db.conn())
                .await?;
            if claimed.rows_affected != 1 {
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
}
