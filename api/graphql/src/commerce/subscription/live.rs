//! The live state of one `orderStatusChanged` subscription.
//!
//! 1. It subscribes to the bus first, so nothing committed from then on can be missed;
//! 2. reads the order's status now (one statement: status, version and the change that
//!    led there agree) and sends it as the SNAPSHOT;
//! 3. sends a status event of this order as a CHANGE only if its version is above the
//!    last one sent: repeats (at-least-once delivery, several publishers) and events
//!    older than the snapshot are dropped, so each change arrives once, in order;
//! 4. on a resync signal (it fell behind its bounded bus buffer, or events from other
//!    instances may have been lost) re-reads the status and sends it as a RESYNC if it
//!    is newer than what was sent (if not, nothing was missed and nothing is sent).
//!
//! After a message whose status is final (no move leaves it: refunded) the stream
//! completes. Cancelled and expired orders are not final (a late payment can still make
//! them paid or needing attention), nor are delivered ones (they can be refunded), so
//! those streams stay open until the client stops them.

use async_graphql::ErrorExtensions;

use super::{OrderStatusUpdate, OrderStatusUpdateKind as Kind};
use crate::error::ApiError;
use stockade_domain::events::{BusMessage, Subscription};
use stockade_domain::orders::{OrderService, StatusChange, decode_status_event, status_event_order};

/// Lets through only versions above the last one let through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Gate {
    sent: i64,
}

impl Gate {
    fn admit(&mut self, version: i64) -> bool {
        if version <= self.sent {
            return false;
        }
        self.sent = version;
        true
    }
}

pub(super) struct Live {
    sub: Subscription,
    orders: OrderService,
    order_id: i64,
    gate: Gate,
    /// The next message to send (at most one is ever waiting).
    pending: Option<OrderStatusUpdate>,
    done: bool,
}

impl Live {
    /// Starts with `snapshot` as the first message.
    pub(super) fn new(sub: Subscription, orders: OrderService, snapshot: StatusChange) -> Self {
        Live {
            sub,
            orders,
            order_id: snapshot.order_id,
            gate: Gate { sent: snapshot.version },
            pending: Some(OrderStatusUpdate { change: snapshot, kind: Kind::Snapshot }),
            done: false,
        }
    }

    fn offer(&mut self, change: StatusChange, kind: Kind) {
        if self.gate.admit(change.version) {
            self.pending = Some(OrderStatusUpdate { change, kind });
        }
    }

    /// The next message to send; `None` ends the subscription (final status sent, an
    /// error sent, or the bus is gone).
    pub(super) async fn next(mut self) -> Option<(async_graphql::Result<OrderStatusUpdate>, Self)> {
        loop {
            if let Some(update) = self.pending.take() {
                self.done = update.change.status.is_final();
                return Some((Ok(update), self));
            }
            if self.done {
                return None;
            }
            match self.sub.recv().await? {
                BusMessage::Event(event) => {
                    if status_event_order(&event) != Some(self.order_id) {
                        continue;
                    }
                    match decode_status_event(&event) {
                        Some(Ok(change)) => self.offer(change, Kind::Change),
                        Some(Err(e)) => tracing::warn!(error = %e, "skipping an order status event that does not decode"),
                        None => {}
                    }
                }
                BusMessage::Resync(reason) => {
                    tracing::debug!(?reason, order_id = self.order_id, "orderStatusChanged subscriber resyncs");
                    match self.orders.current_status(self.order_id).await {
                        Ok(Some(now)) => self.offer(now, Kind::Resync),
                        // Orders are never deleted; if one were, there is nothing left to watch.
                        Ok(None) => return None,
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
    use super::Gate;

    #[test]
    fn only_newer_versions_pass() {
        let mut gate = Gate { sent: 3 };
        assert!(!gate.admit(3), "the snapshot's own change, delivered after the read");
        assert!(!gate.admit(2), "older than the snapshot");
        assert!(gate.admit(5), "versions may skip (edits that change no status)");
        assert!(!gate.admit(5), "the same event twice");
        assert!(!gate.admit(4), "a late event after a newer one");
        assert!(gate.admit(6));
        assert_eq!(gate.sent, 6);
    }
}
