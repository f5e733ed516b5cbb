//! Loaders for nested inventory fields, driven by [`Batcher`](crate::batch::Batcher):
//! each key type is one SQL statement per wave, so a listing asking every variant's
//! `availableQuantity` costs one statement whatever its length.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;

use crate::error::SharedError;
use stockade_domain::accounts::{AccountService, User};
use stockade_domain::inventory::{InventoryService, LowStockThreshold, StockLevel, StockLocation};

/// Loads every inventory key type, for one request (or one WebSocket connection).
pub struct InventoryLoader {
    pub inventory: InventoryService,
    /// For the staff user behind a ledger row.
    pub accounts: AccountService,
}

macro_rules! key {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $name(pub i64);
    };
}

key!(/// Units available to customers of a variant, across locations.
    AvailableOfVariant);
key!(/// The stock levels of a variant, best location first.
    LevelsOfVariant);
key!(/// The low-stock threshold in force for a variant.
    ThresholdOfVariant);
key!(/// A stock location by id.
    LocationById);
key!(/// A user (the actor of a ledger row) by id.
    UserById);

fn ids<K: Copy>(keys: &[K], f: impl Fn(K) -> i64) -> Vec<i64> {
    keys.iter().map(|k| f(*k)).collect()
}

impl Loader<AvailableOfVariant> for InventoryLoader {
    type Value = i64;
    type Error = SharedError;
    async fn load(&self, keys: &[AvailableOfVariant]) -> Result<HashMap<AvailableOfVariant, i64>, SharedError> {
        let found = self.inventory.available_by_variant_ids(&ids(keys, |k| k.0)).await?;
        Ok(found.into_iter().map(|(id, n)| (AvailableOfVariant(id), n)).collect())
    }
}

impl Loader<LevelsOfVariant> for InventoryLoader {
    type Value = Vec<StockLevel>;
    type Error = SharedError;
    async fn load(&self, keys: &[LevelsOfVariant]) -> Result<HashMap<LevelsOfVariant, Vec<StockLevel>>, SharedError> {
        let found = self.inventory.levels_by_variant_ids(&ids(keys, |k| k.0)).await?;
        Ok(found.into_iter().map(|(id, levels)| (LevelsOfVariant(id), levels)).collect())
    }
}

impl Loader<ThresholdOfVariant> for InventoryLoader {
    type Value = LowStockThreshold;
    type Error = SharedError;
    async fn load(&self, keys: &[ThresholdOfVariant]) -> Result<HashMap<ThresholdOfVariant, LowStockThreshold>, SharedError> {
        let found = self.inventory.low_stock_thresholds_by_variant_ids(&ids(keys, |k| k.0)).await?;
        Ok(found.into_iter().map(|(id, t)| (ThresholdOfVariant(id), t)).collect())
    }
}

impl Loader<LocationById> for InventoryLoader {
    type Value = StockLocation;
    type Error = SharedError;
    async fn load(&self, keys: &[LocationById]) -> Result<HashMap<LocationById, StockLocation>, SharedError> {
        let found = self.inventory.locations_by_ids(&ids(keys, |k| k.0)).await?;
        Ok(found.into_iter().map(|(id, l)| (LocationById(id), l)).collect())
    }
}

impl Loader<UserById> for InventoryLoader {
    type Value = User;
    type Error = SharedError;
    async fn load(&self, keys: &[UserById]) -> Result<HashMap<UserById, User>, SharedError> {
        let found = self.accounts.users_by_ids(&ids(keys, |k| k.0)).await?;
        Ok(found.into_iter().map(|(id, u)| (UserById(id), u)).collect())
    }
}
