//! What the gateway says of our refunds. The refund API's own answer is applied at
//! once (a card refund usually succeeds in the reply), and refunds still pending after
//! `PAYMENT_RECONCILE_AFTER_SECS` are read back (or, if the request never got an
//! answer, sent again with the same idempotency key): one lost webhook no longer leaves
//! a refund pending for ever. Every answer goes through `apply_event`, like a webhook.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::gateway::{GatewayError, GatewayEvent, RefundReply, RefundRequest, RefundState};
use super::reconcile::ReconcileReport;
use super::{Applied, PaymentService};
use crate::actor::Actor;
use crate::entity::{payment, refund};
use crate::error::Result;
use crate::orders::Change;

impl PaymentService {
    /// Stores the gateway's id for refund `refund_id` and, when the answer is final,
    /// applies it. Returns what applying it did (`None` while the refund is pending).
    pub(super) async fn record_refund_reply(&self, intent_id: &str, refund_id: i64, reply: &RefundReply) -> Result<Option<Applied>> {
        refund::Entity::update_many()
            .col_expr(refund::Column::GatewayRefundId, Expr::val(reply.id.clone()))
            .col_expr(refund::Column::UpdatedAt, Expr::val(Utc::now()))
            .filter(refund::Column::Id.eq(refund_id))
            .filter(refund::Column::GatewayRefundId.is_null())
            .exec(self.inner.db.conn())
            .await?;
        // On a task of its own: applying is a deep call chain that would otherwise sit on
        // top of the staff request's (enough to overflow a 2 MiB stack in debug builds).
        let (service, intent_id) = (self.clone(), intent_id.to_owned());
        let event = GatewayEvent::from_refund(self.gateway_kind(), &intent_id, refund_id, reply);
        tokio::spawn(async move {
            let applied = match event {
                Some(event) => Some(service.apply_event(&event).await?.applied),
                None => None,
            };
            // The test gateway's own `charge.refunded` (already counted by now: ignored).
            service.deliver(&intent_id).await?;
            Ok(applied)
        })
        .await
        .map_err(|e| crate::error::Error::Internal(anyhow::anyhow!("applying a refund's answer stopped: {e}")))?
    }

    /// The gateway refused refund `refund_id` outright: nothing was given back.
    pub(super) async fn refund_refused(&self, order_id: i64, refund_id: i64, error: &GatewayError, actor: Actor) -> Result<()> {
        let txn = self.inner.db.begin_write().await?;
        refund::Entity::update_many()
            .col_expr(refund::Column::Status, Expr::val(RefundState::Failed.as_str()))
            .col_expr(refund::Column::UpdatedAt, Expr::val(Utc::now()))
            .filter(refund::Column::Id.eq(refund_id))
            .filter(refund::Column::Status.eq(RefundState::Pending.as_str()))
            .exec(&*txn)
            .await?;
        let cause = format!("refund failed: {error}");
        self.inner.orders.note_in(&*txn, order_id, "refund_failed", Change { actor, cause: &cause }, None).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Reconciliation's part for refunds: up to `batch` refunds pending and untouched
    /// since `cutoff` are claimed (a guarded update, so instances running this at once
    /// take each once) and asked after at the gateway.
    pub(super) async fn reconcile_refunds(&self, batch: u64, cutoff: chrono::DateTime<Utc>, report: &mut ReconcileReport) -> Result<()> {
        let pending = || refund::Column::Status.eq(RefundState::Pending.as_str());
        let due = refund::Entity::find()
            .filter(pending())
            .filter(refund::Column::UpdatedAt.lt(cutoff))
            .order_by_asc(refund::Column::UpdatedAt)
            .limit(batch)
            .all(self.inner.db.conn())
            .await?;
        for r in due {
            let Some(paid) = payment::Entity::find_by_id(r.payment_id).one(self.inner.db.conn()).await? else { continue };
            if paid.gateway != self.gateway_kind().as_str() {
                continue;
            }
            let claimed = refund::Entity::update_many()
                .col_expr(refund::Column::UpdatedAt, Expr::val(Utc::now()))
                .filter(refund::Column::Id.eq(r.id))
                .filter(pending())
                .filter(refund::Column::UpdatedAt.lt(cutoff))
                .exec(self.inner.db.conn())
                .await?;
            if claimed.rows_affected != 1 {
                continue; // another instance has it, or it was settled meanwhile
            }
            report.checked += 1;
            let answer = match &r.gateway_refund_id {
                Some(id) => self.inner.gateway.retrieve_refund(&paid.intent_id, id).await,
                // The request never got an answer: the same key makes this the same refund.
                None => {
                    let request = RefundRequest {
                        intent_id: paid.intent_id.clone(),
                        amount: r.amount,
                        idempotency_key: r.idempotency_key.clone(),
                        order_id: r.order_id,
                        refund_id: r.id,
                    };
                    self.inner.gateway.refund(&request).await
                }
            };
            match answer {
                Ok(reply) => {
                    if self.record_refund_reply(&paid.intent_id, r.id, &reply).await? == Some(Applied::Applied) {
                        tracing::info!(
                            refund_id = r.id,
                            order_id = r.order_id,
                            status = reply.status.as_str(),
                            "reconciliation settled a refund"
                        );
                        report.changed += 1;
                    }
                }
                Err(GatewayError::Unavailable(e)) => {
                    tracing::warn!(refund_id = r.id, error = %e, "reconciliation could not reach the gateway for a refund");
                    report.unreachable += 1;
                }
                Err(e) if r.gateway_refund_id.is_none() => {
                    self.refund_refused(r.order_id, r.id, &e, Actor::Gateway).await?;
                    report.changed += 1;
                }
                Err(e) => tracing::warn!(refund_id = r.id, error = %e, "the gateway does not know this refund"),
            }
        }
        Ok(())
    }
}
