//! Inventory settings: the reservation sweeper, the low-stock default, the per-SKU
//! group commit's batch and queue sizes.

use crate::settings::{ConfigError, Env, every};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InventoryConfig {
    /// Seconds between background sweeps of expired reservations
    /// (`RESERVATION_SWEEP_INTERVAL_SECS`); 0 switches this instance's sweeper off
    /// (another instance must run one).
    pub sweep_interval_secs: u64,
    /// Most reservations one sweep transaction expires (`RESERVATION_SWEEP_BATCH`).
    pub sweep_batch: usize,
    /// Low-stock threshold of variants that have none of their own (`LOW_STOCK_THRESHOLD`).
    pub low_stock_threshold: i64,
    /// Most requests for one SKU served by one shared transaction
    /// (`RESERVE_BATCH_MAX`). 1 gives every request a transaction of its own (still
    /// one at a time per SKU on this instance).
    pub reserve_batch_max: usize,
    /// Most requests for one SKU waiting on this instance (`RESERVE_QUEUE_MAX`); the
    /// next one is refused, retryable, instead of the queue growing without bound.
    pub reserve_queue_max: usize,
}

impl Default for InventoryConfig {
    fn default() -> Self {
        Self { sweep_interval_secs: 5, sweep_batch: 500, low_stock_threshold: 5, reserve_batch_max: 32, reserve_queue_max: 4096 }
    }
}

impl InventoryConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let d = Self::default();
        Ok(Self {
            sweep_interval_secs: env.number("RESERVATION_SWEEP_INTERVAL_SECS", d.sweep_interval_secs, 0..=86_400)?,
            sweep_batch: env.number("RESERVATION_SWEEP_BATCH", d.sweep_batch, 1..=10_000)?,
            low_stock_threshold: env.number("LOW_STOCK_THRESHOLD", d.low_stock_threshold, 0..=1_000_000)?,
            reserve_batch_max: env.number("RESERVE_BATCH_MAX", d.reserve_batch_max, 1..=1000)?,
            reserve_queue_max: env.number("RESERVE_QUEUE_MAX", d.reserve_queue_max, 1..=1_000_000)?,
        })
    }

    /// For the start-up summary.
    pub fn summary(&self) -> String {
        format!(
            "inventory(sweep={}, batch={}, low_stock<={}, reserve_batch<={}, reserve_queue<={})",
            every(self.sweep_interval_secs),
            self.sweep_batch,
            self.low_stock_threshold,
            self.reserve_batch_max,
            self.reserve_queue_max
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_overrides_and_bad_values() {
        assert_eq!(InventoryConfig::from_env(&Env::from_pairs(&[])).unwrap(), InventoryConfig::default());
        let c = InventoryConfig::from_env(&Env::from_pairs(&[
            ("RESERVATION_SWEEP_INTERVAL_SECS", "0"),
            ("RESERVATION_SWEEP_BATCH", "50"),
            ("LOW_STOCK_THRESHOLD", "3"),
            ("RESERVE_BATCH_MAX", "1"),
            ("RESERVE_QUEUE_MAX", "10"),
        ]))
        .unwrap();
        assert_eq!(
            c,
            InventoryConfig {
                sweep_interval_secs: 0,
                sweep_batch: 50,
                low_stock_threshold: 3,
                reserve_batch_max: 1,
                reserve_queue_max: 10
            }
        );
        assert_eq!(c.summary(), "inventory(sweep=off, batch=50, low_stock<=3, reserve_batch<=1, reserve_queue<=10)");
        for (k, v) in [
            ("RESERVATION_SWEEP_INTERVAL_SECS", "soon"),
            ("RESERVATION_SWEEP_BATCH", "0"),
            ("LOW_STOCK_THRESHOLD", "-1"),
            ("RESERVE_BATCH_MAX", "0"),
            ("RESERVE_QUEUE_MAX", "many"),
        ] {
            assert_eq!(InventoryConfig::from_env(&Env::from_pairs(&[(k, v)])).unwrap_err().var, k);
        }
    }
}
