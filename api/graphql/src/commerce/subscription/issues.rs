//! `paymentIssueChanged`: the failed-payment review queue, live, for staff.
//!
//! The queue is stored on the orders and every change of it is published
//! (`payment_issue.changed`, sequenced per order; see `orders::payment_issue`), so this
//! works the same on every instance. A subscription:
//! 1. subscribes to the bus first, so nothing committed from then on can be missed;
//! 2. brings the queue up to date and reads it (order, kind, sequence), and sends the
//!    counts per kind as the SNAPSHOT;
//! 3. applies an event only if its sequence is above the one held for its order
//!    (repeats from at-least-once delivery and events older than the snapshot are
//!    dropped) and sends a CHANGE when the order's kind differs from what was shown:
//!    it entered the queue, moved to another kind, or left it, with the counts after;
//! 4. on a resync signal (it fell behind its bounded bus buffer, or events from other
//!    instances may have been lost) reads the queue again and sends a RESYNC with the
//!    counts if the queue differs from what was shown (clients reload their lists).
//!
//! It holds one small entry per queued order (and a bounded memory of orders that left).

use std::collections::{HashMap, VecDeque};

use async_graphql::{Context, Enum, ErrorExtensions, ID, Object, Result};
use chrono::{DateTime, Utc};

use crate::commerce::order_types::{Order, PaymentIssue, PaymentIssueCount, PaymentIssueKind};
use crate::error::{ApiError, ResultExt};
use crate::ids::NodeType;
use crate::int::int;
use stockade_domain::events::{BusMessage, Subscription};
use stockade_domain::orders::{IssueChange, OrderService, QueuedIssue, decode_issue_event};
use stockade_domain::payments::{self, PaymentService};

/// Orders remembered after they left the queue (for dropping their late events); beyond
/// this the memory of departed orders is reset (a late repeat then gets through, which
/// at-least-once delivery allows).
const MAX_REMEMBERED_DEPARTED: usize = 10_000;

/// Why a `paymentIssueChanged` message was sent.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum PaymentIssueUpdateKind {
    /// The counts when the subscription started (load the lists now).
    Snapshot,
    /// One order entered the queue, moved to another kind, or left it.
    Change,
    /// The queue re-read after this subscription may have missed changes (it fell
    /// behind, or another instance's events were lost) and found different from what
    /// was sent: replace the counts and reload the lists.
    Resync,
}

/// A change of the failed-payment review queue: a snapshot or resync of the counts, or
/// one order's issue appearing, changing kind or going away.
pub struct PaymentIssueUpdate {
    kind: PaymentIssueUpdateKind,
    change: Option<IssueChange>,
    counts: HashMap<payments::PaymentIssueKind, u64>,
    at: DateTime<Utc>,
}

#[Object]
impl PaymentIssueUpdate {
    async fn kind(&self) -> PaymentIssueUpdateKind {
        self.kind
    }
    /// How many orders the queue holds of each kind after this message (as
    /// `paymentIssueCounts`), every kind listed.
    async fn counts(&self) -> Vec<PaymentIssueCount> {
        payments::PaymentIssueKind::ALL
            .into_iter()
            .map(|k| PaymentIssueCount { kind: k.into(), count: int(self.counts.get(&k).copied().unwrap_or(0)) })
            .collect()
    }
    /// CHANGE: the order whose issue changed (global id); null otherwise.
    async fn order_id(&self) -> Option<ID> {
        self.change.as_ref().map(|c| NodeType::Order.id(c.order_id))
    }
    /// CHANGE: the order's issue now; null when it left the queue (resolved, paid,
    /// cancelled, refunded, ...). Null for SNAPSHOT and RESYNC.
    async fn issue_kind(&self) -> Option<PaymentIssueKind> {
        self.change.as_ref().and_then(|c| c.kind).map(Into::into)
    }
    /// CHANGE: the order's issue as this subscription showed it before; null when it
    /// was not queued.
    async fn previous_issue_kind(&self) -> Option<PaymentIssueKind> {
        self.change.as_ref().and_then(|c| c.previous).map(Into::into)
    }
    /// CHANGE: the issue, read when this message is sent (one read per message: select
    /// it only if you need more than the kind); null if the order is not queued (any
    /// more). After quick successive changes it may already be newer than this message.
    async fn issue(&self, ctx: &Context<'_>) -> Result<Option<PaymentIssue>> {
        let Some(change) = &self.change else { return Ok(None) };
        Ok(ctx.data_unchecked::<PaymentService>().issue_of(change.order_id).await.gql()?.map(PaymentIssue))
    }
    /// CHANGE: the order, read when this message is sent (also when it left the queue:
    /// its status says why). Null for SNAPSHOT and RESYNC.
    async fn order(&self, ctx: &Context<'_>) -> Result<Option<Order>> {
        let Some(change) = &self.change else { return Ok(None) };
        Ok(ctx.data_unchecked::<OrderService>().by_id(change.order_id).await.gql()?.map(Order))
    }
    /// When the change happened (for SNAPSHOT and RESYNC: when the queue was read).
    async fn at(&self) -> DateTime<Utc> {
        self.at
    }
}

/// What a subscriber holds of one order: its kind as shown and the sequence seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Held {
    kind: Option<payments::PaymentIssueKind>,
    sequence: i64,
}

/// The queue as one subscriber has shown it.
#[derive(Debug, Default)]
struct Queue {
    held: HashMap<i64, Held>,
}

impl Queue {
    fn from_read(read: &[QueuedIssue]) -> Self {
        Queue { held: read.iter().map(|q| (q.order_id, Held { kind: Some(q.kind), sequence: q.sequence })).collect() }
    }

    fn counts(&self) -> HashMap<payments::PaymentIssueKind, u64> {
        let mut out: HashMap<payments::PaymentIssueKind, u64> = payments::PaymentIssueKind::ALL.into_iter().map(|k| (k, 0)).collect();
        for kind in self.held.values().filter_map(|h| h.kind) {
            *out.entry(kind).or_default() += 1;
        }
        out
    }

    /// Applies an event; returns the change to show (with the kind shown before as
    /// `previous`) if it is news and changes what was shown.
    fn apply(&mut self, mut change: IssueChange) -> Option<IssueChange> {
        let before = self.held.get(&change.order_id).copied().unwrap_or(Held { kind: None, sequence: 0 });
        if change.sequence <= before.sequence {
            return None;
        }
        if change.kind.is_none() && self.held.len() >= MAX_REMEMBERED_DEPARTED {
            self.held.retain(|_, h| h.kind.is_some());
        }
        self.held.insert(change.order_id, Held { kind: change.kind, sequence: change.sequence });
        if before.kind == change.kind {
            return None;
        }
        change.previous = before.kind;
        Some(change)
    }

    /// Takes a fresh read of the queue (newer than every event applied so far); returns
    /// whether what is shown changed.
    fn merge(&mut self, read: &[QueuedIssue]) -> bool {
        let fresh = Queue::from_read(read);
        let mut changed = false;
        for (order_id, held) in self.held.iter_mut() {
            if held.kind.is_some() && !fresh.held.contains_key(order_id) {
                // It left after what we saw: its sequence is at least one more.
                *held = Held { kind: None, sequence: held.sequence + 1 };
                changed = true;
            }
        }
        for (order_id, read) in fresh.held {
            let entry = self.held.entry(order_id).or_insert(Held { kind: None, sequence: 0 });
            if read.sequence >= entry.sequence {
                changed |= entry.kind != read.kind;
                *entry = read;
            }
        }
        changed
    }
}

/// The live state of one `paymentIssueChanged` subscription.
pub(super) struct IssueFeed {
    sub: Subscription,
    orders: OrderService,
    queue: Queue,
    pending: VecDeque<PaymentIssueUpdate>,
    done: bool,
}

impl IssueFeed {
    /// Subscribes, brings the queue up to date and reads it: the first message is the
    /// SNAPSHOT.
    pub(super) async fn start(sub: Subscription, orders: OrderService) -> Result<Self> {
        orders.refresh_payment_issues().await.gql()?;
        let queue = Queue::from_read(&orders.payment_issue_queue().await.gql()?);
        let first = PaymentIssueUpdate { kind: PaymentIssueUpdateKind::Snapshot, change: None, counts: queue.counts(), at: Utc::now() };
        Ok(IssueFeed { sub, orders, queue, pending: VecDeque::from([first]), done: false })
    }

    /// The next message to send; `None` ends the subscription (an error was sent, or
    /// the bus is gone).
    pub(super) async fn next(mut self) -> Option<(Result<PaymentIssueUpdate>, Self)> {
        loop {
            if let Some(update) = self.pending.pop_front() {
                return Some((Ok(update), self));
            }
            if self.done {
                return None;
            }
            match self.sub.recv().await? {
                BusMessage::Event(event) => match decode_issue_event(&event) {
                    Some(Ok(change)) => {
                        if let Some(change) = self.queue.apply(change) {
                            let at = change.at;
                            let counts = self.queue.counts();
                            self.pending.push_back(PaymentIssueUpdate {
                                kind: PaymentIssueUpdateKind::Change,
                                change: Some(change),
                                counts,
                                at,
                            });
                        }
                    }
                    Some(Err(e)) => tracing::warn!(error = %e, "skipping a payment issue event that does not decode"),
                    None => {}
                },
                BusMessage::Resync(reason) => {
                    tracing::debug!(?reason, "paymentIssueChanged subscriber resyncs");
                    match self.orders.payment_issue_queue().await {
                        Ok(read) => {
                            if self.queue.merge(&read) {
                                let counts = self.queue.counts();
                                self.pending.push_back(PaymentIssueUpdate {
                                    kind: PaymentIssueUpdateKind::Resync,
                                    change: None,
                                    counts,
                                    at: Utc::now(),
                                });
                            }
                        }
                        Err(e) => {
                            self.done = true;
                            return Some((Err(ApiError(e).extend()), self));
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use payments::PaymentIssueKind as K;

    fn change(order_id: i64, kind: Option<K>, sequence: i64) -> IssueChange {
        IssueChange { order_id, kind, previous: None, sequence, at: Utc::now() }
    }

    #[test]
    fn changes_apply_once_in_sequence_order_and_counts_follow() {
        let mut q = Queue::from_read(&[QueuedIssue { order_id: 1, kind: K::Failed, sequence: 2 }]);
        assert_eq!(q.counts()[&K::Failed], 1);
        assert!(q.apply(change(1, Some(K::Failed), 2)).is_none(), "the snapshot's own change, delivered after the read");
        assert!(q.apply(change(1, Some(K::RequiresAction), 1)).is_none(), "older than the snapshot");
        let left = q.apply(change(1, None, 3)).unwrap();
        assert_eq!((left.kind, left.previous), (None, Some(K::Failed)));
        assert!(q.apply(change(1, None, 3)).is_none(), "the same event twice");
        let entered = q.apply(change(2, Some(K::PaidTwice), 1)).unwrap();
        assert_eq!((entered.kind, entered.previous), (Some(K::PaidTwice), None));
        assert!(q.apply(change(3, None, 4)).is_none(), "leaving a queue it was never shown in changes nothing");
        let counts = q.counts();
        assert_eq!((counts[&K::Failed], counts[&K::PaidTwice]), (0, 1));

        // A re-read after missed events: order 2 left, order 4 entered.
        assert!(q.merge(&[QueuedIssue { order_id: 4, kind: K::StuckPending, sequence: 1 }]));
        let counts = q.counts();
        assert_eq!((counts[&K::PaidTwice], counts[&K::StuckPending]), (0, 1));
        assert!(q.apply(change(2, Some(K::PaidTwice), 1)).is_none(), "a late repeat from before the re-read");
        assert!(!q.merge(&[QueuedIssue { order_id: 4, kind: K::StuckPending, sequence: 1 }]), "nothing new");
    }
}
