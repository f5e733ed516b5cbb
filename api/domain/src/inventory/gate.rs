//! Admission control for hot SKUs: at most `width` reservation transactions per SKU
//! from this instance are in the database at once; the rest queue here, in FIFO order.
//!
//! Only performance depends on this, never correctness (every write stays guarded, and
//! other instances have gates of their own). A flash sale puts many callers on ONE
//! stock level row; letting them all into Postgres makes them queue on its row lock,
//! where every waiter costs a backend, lock-manager work and a re-check on wake-up, and
//! throughput collapses as the queue grows. Queued here they cost nothing, and `width`
//! 2 keeps the next transaction ready (begun, hint read, reservation row written) for
//! the moment the row is free.
//!
//! SKUs share semaphores by `variant_id % STRIPES` (fixed memory, no map to lock); a
//! request for several SKUs takes its stripes in ascending order, so gates cannot
//! deadlock each other.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

const STRIPES: usize = 1024;

pub(super) struct SkuGate {
    stripes: Vec<Arc<Semaphore>>,
}

impl SkuGate {
    /// `None` when `width` is 0 (no gate).
    pub(super) fn new(width: usize) -> Option<Self> {
        (width > 0).then(|| SkuGate { stripes: (0..STRIPES).map(|_| Arc::new(Semaphore::new(width))).collect() })
    }

    /// Waits for a place for each of `variant_ids`; the places are held until the
    /// returned permits are dropped.
    pub(super) async fn enter(&self, variant_ids: impl IntoIterator<Item = i64>) -> Vec<OwnedSemaphorePermit> {
        let mut stripes: Vec<usize> = variant_ids.into_iter().map(|v| v.rem_euclid(STRIPES as i64) as usize).collect();
        stripes.sort_unstable();
        stripes.dedup();
        let mut permits = Vec::with_capacity(stripes.len());
        for s in stripes {
            // The semaphores are never closed; should one be, go on without its place.
            if let Ok(p) = self.stripes[s].clone().acquire_owned().await {
                permits.push(p);
            }
        }
        permits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_stripe_makes_the_next_caller_wait() {
        let gate = SkuGate::new(1).unwrap();
        assert!(SkuGate::new(0).is_none());
        let held = gate.enter([5, 5 + STRIPES as i64, 7]).await;
        assert_eq!(held.len(), 2, "same stripe once");
        let waiting = tokio::time::timeout(std::time::Duration::from_millis(20), gate.enter([7])).await;
        assert!(waiting.is_err(), "stripe 7 is taken");
        drop(held);
        assert_eq!(gate.enter([7]).await.len(), 1);
    }
}
