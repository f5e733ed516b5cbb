//! Order states and the one table of transitions between them.
//!
//! States only move forward along the table; anything else is an error that changes
//! nothing, so a late or duplicated event (a payment failure arriving after success)
//! can never undo a later state.

use std::fmt;

use crate::error::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// Created at checkout; stock held until the payment deadline.
    PendingPayment,
    /// The last payment attempt failed; the buyer may retry until the deadline.
    PaymentFailed,
    /// Paid and the stock sold.
    Paid,
    /// Paid, but the hold had expired and the stock was gone: staff must decide.
    NeedsAttention,
    /// Picked and packed.
    Fulfilled,
    Shipped,
    Delivered,
    /// Cancelled by the buyer or staff before payment completed (holds released).
    Cancelled,
    /// Not paid by the deadline (holds released).
    Expired,
    Refunded,
}

use OrderStatus::*;

/// Every allowed move. Nothing else is.
const TRANSITIONS: &[(OrderStatus, OrderStatus)] = &[
    (PendingPayment, Paid),
    (PendingPayment, PaymentFailed),
    (PendingPayment, NeedsAttention),
    (PendingPayment, Cancelled),
    (PendingPayment, Expired),
    (PaymentFailed, PendingPayment),
    (PaymentFailed, Paid),
    (PaymentFailed, NeedsAttention),
    (PaymentFailed, Cancelled),
    (PaymentFailed, Expired),
    (NeedsAttention, Paid),
    (NeedsAttention, Refunded),
    (Paid, Fulfilled),
    (Paid, Refunded),
    (Fulfilled, Shipped),
    (Fulfilled, Refunded),
    (Shipped, Delivered),
    (Shipped, Refunded),
    (Delivered, Refunded),
    // Money arriving after the order lapsed: sold if the stock can be held again,
    // otherwise staff decide (refund or find stock). Never silently lost or oversold.
    (Expired, Paid),
    (Expired, NeedsAttention),
    (Cancelled, NeedsAttention),
];

impl OrderStatus {
    pub const ALL: [OrderStatus; 10] =
        [PendingPayment, PaymentFailed, Paid, NeedsAttention, Fulfilled, Shipped, Delivered, Cancelled, Expired, Refunded];

    /// Whether the order's money was received (and not given back).
    pub fn is_paid(self) -> bool {
        matches!(self, Paid | NeedsAttention | Fulfilled | Shipped | Delivered)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PendingPayment => "pending_payment",
            PaymentFailed => "payment_failed",
            Paid => "paid",
            NeedsAttention => "needs_attention",
            Fulfilled => "fulfilled",
            Shipped => "shipped",
            Delivered => "delivered",
            Cancelled => "cancelled",
            Expired => "expired",
            Refunded => "refunded",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("unknown order status in database: {s}")))
    }

    pub fn can_become(self, next: OrderStatus) -> bool {
        TRANSITIONS.contains(&(self, next))
    }

    /// The states `next` may be reached from (for guarded `WHERE status IN (...)`).
    pub fn sources_of(next: OrderStatus) -> Vec<OrderStatus> {
        TRANSITIONS.iter().filter(|(_, to)| *to == next).map(|(from, _)| *from).collect()
    }

    /// `Ok` if `self -> next` is in the table, else a clear error naming both.
    pub fn check(self, next: OrderStatus) -> Result<()> {
        if self.can_become(next) { Ok(()) } else { Err(Error::IllegalTransition { from: self.as_str(), to: next.as_str() }) }
    }

    /// Whether the order holds stock reservations (a failed payment gives them back).
    pub fn holds_stock(self) -> bool {
        matches!(self, PendingPayment)
    }

    /// No further moves at all.
    pub fn is_final(self) -> bool {
        !TRANSITIONS.iter().any(|(from, _)| *from == self)
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_happy_path_and_retry_are_allowed() {
        for (a, b) in
            [(PendingPayment, Paid), (Paid, Fulfilled), (Fulfilled, Shipped), (Shipped, Delivered), (PaymentFailed, PendingPayment)]
        {
            assert!(a.can_become(b), "{a} -> {b}");
        }
    }

    #[test]
    fn nothing_moves_backwards() {
        for (a, b) in [
            (Paid, PendingPayment),
            (Paid, PaymentFailed),
            (Delivered, Shipped),
            (Cancelled, Paid),
            (Refunded, Paid),
            (Expired, PendingPayment),
        ] {
            assert!(matches!(a.check(b), Err(Error::IllegalTransition { .. })), "{a} -> {b}");
        }
        assert!(Refunded.is_final());
        for lapsed in [Cancelled, Expired] {
            let next: Vec<OrderStatus> = OrderStatus::ALL.into_iter().filter(|n| lapsed.can_become(*n)).collect();
            assert!(next.iter().all(|n| matches!(n, Paid | NeedsAttention)), "{lapsed} only moves when money arrives late: {next:?}");
        }
    }

    #[test]
    fn names_round_trip() {
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.as_str()).unwrap(), s);
        }
    }

    proptest! {
        /// Any walk along allowed moves never returns to pending payment once paid.
        #[test]
        fn paid_orders_never_become_unpaid(choices in proptest::collection::vec(0usize..10, 0..30)) {
            let mut state = PendingPayment;
            let mut paid = false;
            for c in choices {
                let options: Vec<OrderStatus> = OrderStatus::ALL.into_iter().filter(|n| state.can_become(*n)).collect();
                if options.is_empty() { break; }
                state = options[c % options.len()];
                paid |= state == Paid;
                if paid {
                    prop_assert!(!matches!(state, PendingPayment | PaymentFailed | Cancelled | Expired));
                }
            }
        }
    }
}
