//! The failed-payment review: orders whose payment needs a person.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{Payment, PaymentService};
use crate::entity::order;
use crate::error::Result;
use crate::orders::Order;
pub use crate::orders::PaymentIssueKind;
use crate::pagination::{Page, PageRequest, encode_cursor};

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
    /// Orders with `kind` of payment issue, newest first, excluding those staff
    /// resolved (until the order changes again). The queue is brought up to date
    /// first, so the answer is exact.
    pub async fn issues(&self, kind: PaymentIssueKind, page: &PageRequest) -> Result<Page<PaymentIssue>> {
        self.inner.orders.refresh_payment_issues().await?;
        let q = order::Entity::find().filter(order::Column::PaymentIssue.eq(kind.as_str()));
        let rows = crate::pagination::newest_first(q, order::Column::Id, page)?.all(self.inner.db.conn()).await?;
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

    /// The order's payment issue now, if it has one (for live views).
    pub async fn issue_of(&self, order_id: i64) -> Result<Option<PaymentIssue>> {
        let Some(row) = order::Entity::find_by_id(order_id).one(self.inner.db.conn()).await? else { return Ok(None) };
        let Some(kind) = row.payment_issue.as_deref().map(PaymentIssueKind::parse).transpose()? else { return Ok(None) };
        let order = Order::try_from(row)?;
        let payments = self.payments_by_order_ids(&[order_id]).await?.remove(&order_id).unwrap_or_default();
        Ok(Some(PaymentIssue { kind, order, payments }))
    }

    /// How many orders have each kind of issue (for the admin app's badges), after
    /// bringing the queue up to date.
    pub async fn issue_counts(&self) -> Result<HashMap<PaymentIssueKind, u64>> {
        self.inner.orders.refresh_payment_issues().await?;
        self.inner.orders.payment_issue_counts().await
    }
}

impl PaymentService {
    /// Brings the stored review queue up to date (orders that became stuck by waiting,
    /// anything a change missed) and publishes what changed; returns how many orders
    /// changed. The commerce sweeper runs it on every tick.
    pub async fn refresh_issues(&self) -> Result<usize> {
        self.inner.orders.refresh_payment_issues().await
    }
}
