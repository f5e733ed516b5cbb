//! Inventory types as staff clients see them: locations, stock levels, the inventory
//! list's items and low-stock thresholds.

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::loaders::LocationById;
use super::{int, loader};
use crate::graphql::catalog::loaders::{ProductById, VariantById};
use crate::graphql::catalog::types::{Product, Variant, loader as catalog_loader};
use crate::graphql::error::{ApiError, ResultExt};
use crate::graphql::ids::{NodeType, composite_id};
use crate::inventory;

/// A warehouse or store that holds stock.
pub struct StockLocation(pub inventory::StockLocation);

#[Object]
impl StockLocation {
    /// Opaque global id.
    async fn id(&self) -> ID {
        NodeType::StockLocation.id(self.0.id)
    }
    /// Short stable code, e.g. `main`.
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Lower is preferred when reservations are allocated.
    async fn priority(&self) -> i32 {
        self.0.priority
    }
}

/// The stock location with `id`; an internal error if it is gone (locations are never
/// deleted, so that is a bug, not a client mistake).
pub(super) async fn location(ctx: &Context<'_>, id: i64) -> Result<StockLocation> {
    let found = loader(ctx).load_one(LocationById(id)).await.gql()?;
    found.map(StockLocation).ok_or_else(|| missing("stock location", id))
}

/// The variant with `id`, as the viewer may see it.
pub(super) async fn variant(ctx: &Context<'_>, id: i64) -> Result<Option<Variant>> {
    Ok(catalog_loader(ctx).load_one(VariantById(id)).await.gql()?.map(Variant))
}

fn missing(what: &str, id: i64) -> async_graphql::Error {
    async_graphql::ErrorExtensions::extend(&ApiError(crate::error::Error::Internal(anyhow::anyhow!("{what} {id} vanished"))))
}

/// Stock of one variant at one location. `available = onHand - reserved`.
pub struct StockLevel(pub inventory::StockLevel);

#[Object]
impl StockLevel {
    /// Opaque id of this (variant, location) pair: the same for every read of the
    /// level, so a client cache updates a cached level from a mutation's answer.
    async fn id(&self) -> ID {
        composite_id("StockLevel", &[self.0.variant_id, self.0.location_id])
    }
    async fn location(&self, ctx: &Context<'_>) -> Result<StockLocation> {
        location(ctx, self.0.location_id).await
    }
    async fn variant(&self, ctx: &Context<'_>) -> Result<Option<Variant>> {
        variant(ctx, self.0.variant_id).await
    }
    /// Units physically there.
    async fn on_hand(&self) -> i32 {
        int(self.0.on_hand)
    }
    /// Units held by carts, checkouts and unfulfilled orders.
    async fn reserved(&self) -> i32 {
        int(self.0.reserved)
    }
    /// Units that can still be reserved.
    async fn available(&self) -> i32 {
        int(self.0.available())
    }
    /// Incremented on every change; send it as `expectedVersion` to `inventoryAdjust`.
    /// 0: never stocked here.
    async fn version(&self) -> i32 {
        int(self.0.version)
    }
    /// Null if never stocked here.
    async fn updated_at(&self) -> Option<DateTime<Utc>> {
        self.0.updated_at
    }
}

/// A variant's low-stock threshold: its own, or the shop default.
///
/// A value, not an entity: it has no id, and a client cache keeps it inside the object
/// that holds it (see `schema.cache-config.json`).
#[derive(SimpleObject, Clone, Copy)]
pub struct LowStockThreshold {
    /// At or below this many available units, the variant counts as low on stock.
    pub value: i32,
    /// True when the variant has no threshold of its own and the default applies.
    pub is_default: bool,
}

impl From<inventory::LowStockThreshold> for LowStockThreshold {
    fn from(t: inventory::LowStockThreshold) -> Self {
        LowStockThreshold { value: int(t.value), is_default: t.is_default }
    }
}

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
    async fn id(&self) -> ID {
        match self.location_id {
            None => composite_id("InventoryItem", &[self.item.variant_id]),
            Some(l) => composite_id("InventoryItem", &[self.item.variant_id, l]),
        }
    }
    async fn variant(&self, ctx: &Context<'_>) -> Result<Variant> {
        variant(ctx, self.item.variant_id).await?.ok_or_else(|| missing("variant", self.item.variant_id))
    }
    async fn product(&self, ctx: &Context<'_>) -> Result<Product> {
        let found = catalog_loader(ctx).load_one(ProductById(self.item.product_id)).await.gql()?;
        found.map(Product).ok_or_else(|| missing("product", self.item.product_id))
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
        super::variant_fields::stock_levels(ctx, self.item.variant_id).await
    }
}
