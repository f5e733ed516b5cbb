//! The staff inventory list's rows.

use async_graphql::{Context, ID, Object, Result};

use crate::catalog::loaders::ProductById;
use crate::catalog::types::{Product, StockLevel, Variant, loader as catalog_loader, variant};
use crate::error::{ResultExt, vanished};
use crate::ids::CompositeType;
use crate::int::int;
use stockade_domain::inventory;

/// One variant in the staff inventory list, with stock summed over the locations
/// counted (all, or the one in the filter).
pub struct InventoryItem {
    pub item: inventory::InventoryItem,
    /// The location counted; `None`: all of them.
    pub location_id: Option<i64>,
}

#[Object]
impl InventoryItem {
    /// Opaque id of this row: the variant, and the location counted when the list is
    /// filtered by one (its sums differ from the all-locations row).
    pub async fn id(&self) -> ID {
        match self.location_id {
            None => CompositeType::InventoryItem.id(&[self.item.variant_id]),
            Some(l) => CompositeType::InventoryItem.id(&[self.item.variant_id, l]),
        }
    }
    async fn variant(&self, ctx: &Context<'_>) -> Result<Variant> {
        variant(ctx, self.item.variant_id).await?.ok_or_else(|| vanished("variant", self.item.variant_id))
    }
    async fn product(&self, ctx: &Context<'_>) -> Result<Product> {
        let found = catalog_loader(ctx).load_one(ProductById(self.item.product_id)).await.gql()?;
        found.map(Product::new).ok_or_else(|| vanished("product", self.item.product_id))
    }
    async fn sku(&self) -> &str {
        &self.item.sku
    }
    async fn on_hand(&self) -> i32 {
        int(self.item.on_hand)
    }
    async fn reserved(&self) -> i32 {
        int(self.item.reserved)
    }
    async fn available(&self) -> i32 {
        int(self.item.available)
    }
    /// The threshold in force (the variant's own or the default).
    async fn low_stock_threshold(&self) -> i32 {
        int(self.item.low_stock_threshold)
    }
    /// `available <= lowStockThreshold` (sold out included).
    async fn low_stock(&self) -> bool {
        self.item.is_low_stock()
    }
    /// Per-location levels (all locations where the variant is stocked).
    #[graphql(complexity = "5 * child_complexity")]
    async fn levels(&self, ctx: &Context<'_>) -> Result<Vec<StockLevel>> {
        Ok(crate::stock::variant_fields::stock_levels(ctx, self.item.variant_id).await?.into_iter().map(StockLevel).collect())
    }
}
