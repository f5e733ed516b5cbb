//! The failed-payment review queue: which orders need a person about their payment.
//!
//! An order's issue is a rule over the order and its payment attempts (see
//! [`condition`]); the queue keeps the result on the order (`orders.payment_issue`,
//! one kind per order, the most urgent) so it can be listed and counted cheaply and,
//! above all, so every change of it is published: whenever the stored issue changes,
//! `orders.payment_issue_seq` grows and a `payment_issue.changed` outbox event
//! (sequenced by it) is written in the same transaction. Live views
//! (`paymentIssueChanged`) read those events on every instance.
//!
//! The stored issue is brought up to date
//! - in the transaction of every order change that could move it: each status
//!   transition and each timeline note (a payment attempt's outcome, a refund, a
//!   resolution), see [`OrderService::refresh_issue_in`];
//! - for what time alone changes (an order waiting too long becomes STUCK_PENDING) and
//!   as a safety net, by [`OrderService::refresh_payment_issues`], which compares the
//!   rule with the stored state for the whole queue at once and fixes the orders that
//!   differ. The commerce sweeper runs it on every tick, and the staff queue reads run
//!   it first, so what staff read is exact.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{CaseStatement, Expr, ExprTrait, LockType, SimpleExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};

use super::service::OrderService;
use super::status::OrderStatus;
use crate::entity::order;
use crate::error::{Error, Result};
use crate::events::{BusEvent, Event, append};

/// `aggregate_type` of payment issue events (the aggregate id is the order's id).
pub const AGGREGATE_TYPE: &str = "payment_issue";
/// `event_type` of a change of an order's payment issue.
pub const EVENT_TYPE: &str = "payment_issue.changed";

/// Orders fixed per [`OrderService::refresh_payment_issues`] call at most.
const REFRESH_BATCH: usize = 500;

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

    /// Most urgent first: an order that matches several rules is queued under the first.
    const PRIORITY: [PaymentIssueKind; 5] = [
        PaymentIssueKind::PaidWithoutStock,
        PaymentIssueKind::PaidTwice,
        PaymentIssueKind::Failed,
        PaymentIssueKind::RequiresAction,
        PaymentIssueKind::StuckPending,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentIssueKind::Failed => "failed",
            PaymentIssueKind::RequiresAction => "requires_action",
            PaymentIssueKind::StuckPending => "stuck_pending",
            PaymentIssueKind::PaidWithoutStock => "paid_without_stock",
            PaymentIssueKind::PaidTwice => "paid_twice",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| Error::Internal(anyhow::anyhow!("unknown payment issue kind {s:?}")))
    }
}

/// The rule for `kind`, over `orders` (and its payments), for orders created before
/// `stuck_before` counting as stuck. Resolved issues are left out until the order
/// changes again.
pub(crate) fn condition(kind: PaymentIssueKind, stuck_before: DateTime<Utc>) -> SimpleExpr {
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
            status(OrderStatus::PendingPayment).and(Expr::col((order::Entity, order::Column::CreatedAt)).lt(stuck_before))
        }
    };
    condition.and(unresolved)
}

/// The rule for every kind at once, most urgent first: the kind's name, or NULL.
fn classification(stuck_before: DateTime<Utc>) -> SimpleExpr {
    let mut case = CaseStatement::new();
    for kind in PaymentIssueKind::PRIORITY {
        // Our own constant names, as literals: Postgres cannot type a CASE of parameters.
        case = case.case(condition(kind, stuck_before), Expr::cust(format!("'{}'", kind.as_str())));
    }
    case.finally(Expr::cust("NULL")).into()
}

/// A change of an order's payment issue, as published.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssueChange {
    pub order_id: i64,
    /// The issue now; `None`: the order left the queue.
    pub kind: Option<PaymentIssueKind>,
    /// The issue before; `None`: the order was not queued.
    pub previous: Option<PaymentIssueKind>,
    /// `orders.payment_issue_seq` after the change: per order, higher is newer.
    pub sequence: i64,
    pub at: DateTime<Utc>,
}

/// An order in the queue, as read for a live view's snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueuedIssue {
    pub order_id: i64,
    pub kind: PaymentIssueKind,
    pub sequence: i64,
}

/// The event payload (field names are the contract with every reader, including other
/// instances of another release).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    order_id: i64,
    kind: Option<String>,
    previous_kind: Option<String>,
    sequence: i64,
    at: DateTime<Utc>,
}

fn issue_event(change: &IssueChange) -> Result<Event> {
    let payload = Payload {
        order_id: change.order_id,
        kind: change.kind.map(|k| k.as_str().to_owned()),
        previous_kind: change.previous.map(|k| k.as_str().to_owned()),
        sequence: change.sequence,
        at: change.at,
    };
    Ok(Event {
        aggregate_type: AGGREGATE_TYPE.into(),
        aggregate_id: change.order_id.to_string(),
        sequence: change.sequence,
        event_type: EVENT_TYPE.into(),
        payload: serde_json::to_value(payload).map_err(|e| Error::Internal(e.into()))?,
    })
}

/// Decodes a payment issue event; `None` for events of other kinds, an error for one
/// whose payload does not have the expected shape.
pub fn decode_issue_event(event: &BusEvent) -> Option<Result<IssueChange>> {
    if event.aggregate_type != AGGREGATE_TYPE || event.event_type != EVENT_TYPE {
        return None;
    }
    Some(decode(event))
}

fn decode(event: &BusEvent) -> Result<IssueChange> {
    let malformed = |what: &str| Error::Internal(anyhow::anyhow!("malformed payment issue event {} ({what})", event.id));
    let p = Payload::deserialize(&event.payload).map_err(|e| malformed(&e.to_string()))?;
    if p.order_id.to_string() != event.aggregate_id || p.sequence != event.sequence {
        return Err(malformed("order id or sequence differ from the envelope"));
    }
    let kind = p.kind.as_deref().map(PaymentIssueKind::parse).transpose().map_err(|_| malformed("kind"))?;
    let previous = p.previous_kind.as_deref().map(PaymentIssueKind::parse).transpose().map_err(|_| malformed("previousKind"))?;
    Ok(IssueChange { order_id: p.order_id, kind, previous, sequence: p.sequence, at: p.at })
}

impl OrderService {
    fn stuck_before(&self) -> DateTime<Utc> {
        Utc::now() - chrono::Duration::from_std(self.stuck_after).unwrap_or(chrono::Duration::minutes(30))
    }

    /// Brings the order's stored payment issue up to date inside `txn` (after the
    /// change that may have moved it) and, if it changed, writes the change and its
    /// outbox event. On Postgres the order row is locked first, so concurrent
    /// refreshes of one order apply one after the other, each seeing the last.
    pub(crate) async fn refresh_issue_in<C: ConnectionTrait>(&self, txn: &C, order_id: i64) -> Result<Option<IssueChange>> {
        let mut query = order::Entity::find()
            .select_only()
            .expr_as(classification(self.stuck_before()), "computed")
            .column(order::Column::PaymentIssue)
            .column(order::Column::PaymentIssueSeq)
            .filter(order::Column::Id.eq(order_id));
        if txn.get_database_backend() == DbBackend::Postgres {
            query = query.lock(LockType::Update);
        }
        let Some((computed, stored, seq)) = query.into_tuple::<(Option<String>, Option<String>, i64)>().one(txn).await? else {
            return Ok(None);
        };
        if computed == stored {
            return Ok(None);
        }
        let change = IssueChange {
            order_id,
            kind: computed.as_deref().map(PaymentIssueKind::parse).transpose()?,
            previous: stored.as_deref().map(PaymentIssueKind::parse).transpose()?,
            sequence: seq + 1,
            at: Utc::now(),
        };
        order::Entity::update_many()
            .col_expr(order::Column::PaymentIssue, Expr::val(computed))
            .col_expr(order::Column::PaymentIssueSeq, Expr::val(change.sequence))
            .filter(order::Column::Id.eq(order_id))
            .exec(txn)
            .await?;
        append(txn, &issue_event(&change)?).await?;
        Ok(Some(change))
    }

    /// Compares the rule with the stored queue and fixes (and publishes) every order
    /// that differs, at most a batch per call: orders that became stuck by waiting, and
    /// anything a change missed. Cheap when nothing differs (one read per kind and one
    /// of the queue). Safe on several instances at once. Returns how many changed.
    pub async fn refresh_payment_issues(&self) -> Result<usize> {
        let conn = self.db.conn();
        let stuck_before = self.stuck_before();
        let mut live: HashMap<i64, PaymentIssueKind> = HashMap::new();
        for kind in PaymentIssueKind::PRIORITY {
            let ids: Vec<i64> = order::Entity::find()
                .select_only()
                .column(order::Column::Id)
                .filter(condition(kind, stuck_before))
                .into_tuple()
                .all(conn)
                .await?;
            for id in ids {
                live.entry(id).or_insert(kind);
            }
        }
        let stored = self.payment_issue_queue().await?;
        let mut differ: Vec<i64> = stored.iter().filter(|q| live.get(&q.order_id) != Some(&q.kind)).map(|q| q.order_id).collect();
        let queued: HashMap<i64, PaymentIssueKind> = stored.iter().map(|q| (q.order_id, q.kind)).collect();
        differ.extend(live.iter().filter(|(id, kind)| queued.get(id) != Some(kind)).map(|(id, _)| *id));
        differ.sort_unstable();
        differ.dedup();
        differ.truncate(REFRESH_BATCH);
        let mut changed = 0;
        for order_id in differ {
            let txn = self.db.begin_write().await?;
            if self.refresh_issue_in(&*txn, order_id).await?.is_some() {
                changed += 1;
            }
            txn.commit().await?;
        }
        if changed > 0 {
            self.notify.notify();
        }
        Ok(changed)
    }

    /// Every queued order with its issue and sequence (for a live view's snapshot).
    pub async fn payment_issue_queue(&self) -> Result<Vec<QueuedIssue>> {
        let rows: Vec<(i64, String, i64)> = order::Entity::find()
            .select_only()
            .columns([order::Column::Id, order::Column::PaymentIssue, order::Column::PaymentIssueSeq])
            .filter(order::Column::PaymentIssue.is_not_null())
            .into_tuple()
            .all(self.db.conn())
            .await?;
        rows.into_iter()
            .map(|(order_id, kind, sequence)| Ok(QueuedIssue { order_id, kind: PaymentIssueKind::parse(&kind)?, sequence }))
            .collect()
    }

    /// How many orders are queued under each kind.
    pub async fn payment_issue_counts(&self) -> Result<HashMap<PaymentIssueKind, u64>> {
        let rows: Vec<(String, i64)> = order::Entity::find()
            .select_only()
            .column(order::Column::PaymentIssue)
            .column_as(Expr::col(order::Column::Id).count(), "n")
            .filter(order::Column::PaymentIssue.is_not_null())
            .group_by(order::Column::PaymentIssue)
            .into_tuple()
            .all(self.db.conn())
            .await?;
        let mut out: HashMap<PaymentIssueKind, u64> = PaymentIssueKind::ALL.into_iter().map(|k| (k, 0)).collect();
        for (kind, n) in rows {
            out.insert(PaymentIssueKind::parse(&kind)?, u64::try_from(n).unwrap_or(0));
        }
        Ok(out)
    }

    /// How long an unpaid order may wait before it counts as stuck.
    pub fn stuck_after(&self) -> Duration {
        self.stuck_after
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_events_round_trip_and_others_are_ignored() {
        let change = IssueChange { order_id: 7, kind: Some(PaymentIssueKind::Failed), previous: None, sequence: 3, at: Utc::now() };
        let e = issue_event(&change).unwrap();
        let event = BusEvent {
            id: 1,
            aggregate_type: e.aggregate_type,
            aggregate_id: e.aggregate_id,
            sequence: e.sequence,
            event_type: e.event_type,
            payload: e.payload,
            created_at: Utc::now(),
        };
        assert_eq!(event.payload["kind"], "failed");
        assert_eq!(event.payload["previousKind"], serde_json::Value::Null);
        assert_eq!(decode_issue_event(&event).unwrap().unwrap(), change);
        let mut moved = event.clone();
        moved.sequence = 4;
        assert!(decode_issue_event(&moved).unwrap().is_err(), "payload and envelope must agree");
        let other = BusEvent { aggregate_type: "order".into(), event_type: "order.status_changed".into(), ..event };
        assert!(decode_issue_event(&other).is_none());
        for kind in PaymentIssueKind::ALL {
            assert_eq!(PaymentIssueKind::parse(kind.as_str()).unwrap(), kind);
        }
    }
}
