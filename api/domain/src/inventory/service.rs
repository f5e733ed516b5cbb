//! The [`InventoryService`] handle and what its operations share: existence checks and
//! the clock. The operations themselves live in the modules named after them.

use std::sync::Arc;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::combine::{CombineLimits, Combiner};
use super::settings::InventoryConfig;
use crate::db::Database;
use crate::entity::{stock_location, variant};
use crate::error::{Error, Result};

/// Settings of the inventory service (from [`InventoryConfig`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InventorySettings {
    /// Low-stock threshold of variants that have none of their own.
    pub default_low_stock_threshold: i64,
    /// Sizes of the per-SKU group commit (see `combine`).
    pub combine: CombineLimits,
}

impl Default for InventorySettings {
    fn default() -> Self {
        Self::from_config(&InventoryConfig::default())
    }
}

impl InventorySettings {
    pub fn from_config(config: &InventoryConfig) -> Self {
        InventorySettings {
            default_low_stock_threshold: config.low_stock_threshold,
            combine: CombineLimits { max_batch: config.reserve_batch_max, max_queue: config.reserve_queue_max },
        }
    }
}

/// Stock levels, reservations and the stock ledger. Cheap to clone.
///
/// Every change to a stock level is one guarded statement, recorded in the ledger and
/// the outbox in the same transaction; see the module docs of [`crate::inventory`].
#[derive(Clone)]
pub struct InventoryService {
    pub(super) db: Database,
    pub(super) settings: InventorySettings,
    pub(super) combiner: Arc<Combiner>,
}

impl InventoryService {
    pub fn new(db: Database, settings: InventorySettings) -> Self {
        let combiner = Combiner::new(db.clone(), settings.combine);
        Self { db, settings, combiner }
    }

    pub fn settings(&self) -> InventorySettings {
        self.settings
    }

    pub fn database(&self) -> &Database {
        &self.db
    }
}

/// `NotFound` naming `variantId` unless the variant exists.
pub(super) async fn ensure_variant<C: ConnectionTrait>(conn: &C, variant_id: i64) -> Result<()> {
    let n = variant::Entity::find().filter(variant::Column::Id.eq(variant_id)).count(conn).await?;
    if n == 0 { Err(Error::not_found("variant", "variantId")) } else { Ok(()) }
}

/// `NotFound` naming `field` unless every location in `ids` exists.
pub(super) async fn ensure_locations<C: ConnectionTrait>(conn: &C, ids: &[i64], field: &str) -> Result<()> {
    let mut unique = ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    if unique.is_empty() {
        return Ok(());
    }
    let n = stock_location::Entity::find().filter(stock_location::Column::Id.is_in(unique.iter().copied())).count(conn).await?;
    if n < unique.len() as u64 { Err(Error::not_found("stock location", field)) } else { Ok(()) }
}
