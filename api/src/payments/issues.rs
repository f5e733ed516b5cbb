//! The failed-payment review: orders whose payment needs a person.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{Payment, PaymentService};
use crate::entity::order;
use crate::error::Result;
use crate::orders::{Order, OrderStatus};
use crate::pagination::{Direction, Page, PageRequest, decode_cursor, encode_cursor};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PaymentIssueKind {
    /// The last attempt failed; the stock went back and the buyer may retry.
    Failed,
    /// Waiting for the buyer to authenticate (3-D Secure).
    RequiresAction,
    /// Waiting for payment longer than `PAYMENT_STUCK_AFTER_SECS`.
    StuckPending,
    /// Paid, but the stock was gone when the money arrived.
    PaidWithoutStock,
    /// More than one attempt took money (a second tab, a retried link): refund the extra.
    PaidTwice,
}

impl PaymentIssueKind {
    pub const ALL: [PaymentIssueKind; 5] = [
        PaymentIssueKind::Failed,
        PaymentIssueKind::RequiresAction,
        PaymentIssueKind::StuckPending,
        PaymentIssueKind::PaidWithoutStock,
        PaymentIssueKind::PaidTwice,
    ];
}

/// An order with a payment issue, and its attempts (oldest first).
#[derive(Clone, Debug)]
pub struct PaymentIssue {
    pub kind: PaymentIssueKind,
    pub order: Order,
    pub payments: Vec<Payment>,
}

impl PaymentIssue {
    /// The gateway's reason for the most recent failure, if any.
    pub fn last_failure(&self) -> Option<&super::Failure> {
        self.payments.iter().rev().find_map(|p| p.failure.as_ref())
    }
}

impl PaymentService {
    fn issue_condition(&self, kind: PaymentIssueKind) -> SimpleExpr {
        let unresolved = Expr::cust("(orders.issue_resolved_version IS NULL OR orders.issue_resolved_version < orders.version)");
        let status = |s: OrderStatus| Expr::col((order::Entity, order::Column::Status)).eq(s.as_str());
        let condition = match kind {
            PaymentIssueKind::Failed => status(OrderStatus::PaymentFailed),
            PaymentIssueKind::PaidWithoutStock => status(OrderStatus::NeedsAttention),
            PaymentIssueKind::RequiresAction => status(OrderStatus::PendingPayment).and(Expr::cust(
                "EXISTS (SELECT 1 FROM payments p WHERE p.order_id = orders.id AND p.status = 'requires_action' \
                 AND p.attempt = (SELECT MAX(q.attempt) FROM payments q WHERE q.order_id = orders.id))",
            )),
            // Until the extra money is refunded (whatever the order's status).
            PaymentIssueKind::PaidTwice => Expr::cust(
                "(SELECT COUNT(*) FROM payments p WHERE p.order_id = orders.id AND p.status = 'succeeded' \
                 AND p.amount_refunded < p.amount_received) > 1",
            ),
            PaymentIssueKind::StuckPending => {
                let stuck_after = chrono::Duration::from_std(self.inner.config.stuck_after).unwrap_or(chrono::Duration::minutes(30));
                status(OrderStatus::PendingPayment).and(Expr::col((order::Entity, order::Column::CreatedAt)).lt(Utc::now() - stuck_after))
            }
        };
        condition.and(unresolved)
    }

    /// Orders with `kind` of payment issue, newest first, excluding those staff
    /// resolved (until the order changes again).
    pub async fn issues(&self, kind: PaymentIssueKind, page: &PageRequest) -> Result<Page<PaymentIssue>> {
        let mut q = order::Entity::find().filter(self.issue_condition(kind));
        for (cursor, newer) in [(&page.after, false), (&page.before, true)] {
            if let Some(c) = cursor {
                let id: i64 = decode_cursor(c, if newer { "before" } else { "after" })?;
                q = q.filter(if newer { order::Column::Id.gt(id) } else { order::Column::Id.lt(id) });
            }
        }
        let forward = page.direction == Direction::Forward;
        let rows = (if forward { q.order_by_desc(order::Column::Id) } else { q.order_by_asc(order::Column::Id) })
            .limit(page.size as u64 + 1)
            .all(self.inner.db.conn())
            .await?;
        let orders = rows.into_iter().map(Order::try_from).collect::<Result<Vec<_>>>()?;
        let mut payments = self.payments_by_order_ids(&orders.iter().map(|o| o.id).collect::<Vec<_>>()).await?;
        let items = orders
            .into_iter()
            .map(|order| {
                let cursor = encode_cursor(&order.id);
                let payments = payments.remove(&order.id).unwrap_or_default();
                (cursor, PaymentIssue { kind, order, payments })
            })
            .collect();
        Ok(Page::from_rows(page, items))
    }

    /// How many orders have each kind of issue (for the admin app's badges).
    pub async fn issue_counts(&self) -> Result<HashMap<PaymentIssueKind, u64>> {
        let mut out = HashMap::new();
        for kind in PaymentIssueKind::ALL {
            let n = order::Entity::find().filter(self.issue_condition(kind)).count(self.inner.db.conn()).await?;
            out.insert(kind, n);
        }
        Ok(out)
    }
}
