//! Inventory settings: the reservation sweeper, the low-stock default, the per-SKU gate.

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
    /// Most reservation transactions per SKU one instance lets into the database at
    /// once (`RESERVE_CONCURRENCY_PER_SKU`); the rest queue in-process (hot-SKU
    /// throughput). 0 switches the gate off.
    pub reserve_concurrency_per_sku: usize,
}

impl Default for InventoryConfig {
    fn default() -> Self {
        Self { sweep_interval_secs: 5, sweep_batch: 500, low_stock_threshold: 5, reserve_concurrency_per_sku: 2 }
    }
}

impl InventoryConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let d = Self::default();
        Ok(Self {
            sweep_interval_secs: env.number("RESERVATION_SWEEP_INTERVAL_SECS", d.sweep_interval_secs, 0..=86_400)?,
            sweep_batch: env.number("RESERVATION_SWEEP_BATCH", d.sweep_batch, 1..=10_000)?,
            low_stock_threshold: env.number("LOW_STOCK_THRESHOLD", d.low_stock_threshold, 0..=1_000_000)?,
            reserve_concurrency_per_sku: env.number("RESERVE_CONCURRENCY_PER_SKU", d.reserve_concurrency_per_sku, 0..=1000)?,
        })
    }

    /// For the start-up summary.
    pub fn summary(&self) -> String {
        format!(
            "inventory(sweep={}, batch={}, low_stock<={}, reserve_per_sku={})",
            every(self.sweep_interval_secs),
            self.sweep_batch,
            self.low_stock_threshold,
            self.reserve_concurrency_per_sku
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
            ("RESERVE_CONCURRENCY_PER_SKU", "0"),
        ]))
        .unwrap();
        assert_eq!(c, InventoryConfig { sweep_interval_secs: 0, sweep_batch: 50, low_stock_threshold: 3, reserve_concurrency_per_sku: 0 });
        assert_eq!(c.summary(), "inventory(sweep=off, batch=50, low_stock<=3, reserve_per_sku=0)");
        for (k, v) in [
            ("RESERVATION_SWEEP_INTERVAL_SECS", "soon"),
            ("RESERVATION_SWEEP_BATCH", "0"),
            ("LOW_STOCK_THRESHOLD", "-1"),
            ("RESERVE_CONCURRENCY_PER_SKU", "many"),
        ] {
            assert_eq!(InventoryConfig::from_env(&Env::from_pairs(&[(k, v)])).unwrap_err().var, k);
        }
    }
}
