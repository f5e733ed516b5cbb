//! Staff inventory queries: the inventory list, the ledger and the locations.

use crate::connection::{Counted, CountedConnection, counted, page_request};
use async_graphql::{Context, ID, InputObject, Object, Result};

use super::item::InventoryItem;
use super::movement::StockMovement;
use super::service;
use crate::access::allow;
use crate::catalog::page_cost;
use crate::error::ResultExt;
use crate::ids::{NodeType, decode_as};
use crate::stock::StockLocation;
use stockade_domain::inventory::InventoryFilter;

/// Narrows the inventory list. All given conditions must hold.
#[derive(InputObject, Default)]
#[graphql(name = "InventoryFilter")]
pub struct InventoryFilterInput {
    /// Case-insensitive part of the SKU or the product name.
    pub search: Option<String>,
    /// Count stock at this location only (variants not stocked there show zeros).
    pub location_id: Option<ID>,
    /// True: only variants at or below their low-stock threshold (sold out included);
    /// false: only the others.
    pub low_stock: Option<bool>,
}

pub type InventoryConnection = CountedConnection<InventoryItem>;
pub type StockMovementConnection = CountedConnection<StockMovement>;

/// Staff inventory reads: `inventory`, `stockMovements`, `stockLocations`.
#[derive(Default)]
pub struct InventoryQuery;

#[Object]
impl InventoryQuery {
    /// Staff: every variant with its stock, in SKU order (Relay connection).
    #[graphql(guard = "allow(\"Query.inventory\")", complexity = "page_cost(first, last, child_complexity)")]
    async fn inventory(
        &self,
        ctx: &Context<'_>,
        filter: Option<InventoryFilterInput>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<InventoryConnection> {
        let page = page_request(ctx, first, after, last, before)?;
        let input = filter.unwrap_or_default();
        let location_id = input.location_id.as_ref().map(|id| decode_as(id, NodeType::StockLocation, "locationId")).transpose().gql()?;
        let filter = InventoryFilter { search: input.search, location_id, low_stock: input.low_stock, variant_id: None };
        let inventory = service(ctx).clone();
        let found = inventory.inventory(&filter, &page).await.gql()?;
        let total = Counted::new(move || {
            let (inventory, filter) = (inventory.clone(), filter.clone());
            async move { inventory.count_inventory(&filter).await }
        });
        Ok(counted(found, |item| InventoryItem { item, location_id }, total))
    }

    /// Staff: the stock ledger of a variant (at one location, or all), newest first.
    #[graphql(guard = "allow(\"Query.stockMovements\")", complexity = "page_cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn stock_movements(
        &self,
        ctx: &Context<'_>,
        variant_id: ID,
        location_id: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<StockMovementConnection> {
        let page = page_request(ctx, first, after, last, before)?;
        let variant_id = decode_as(&variant_id, NodeType::Variant, "variantId").gql()?;
        let location_id = location_id.as_ref().map(|id| decode_as(id, NodeType::StockLocation, "locationId")).transpose().gql()?;
        let inventory = service(ctx).clone();
        let found = inventory.movements(variant_id, location_id, &page).await.gql()?;
        let total = Counted::new(move || {
            let inventory = inventory.clone();
            async move { inventory.count_movements(variant_id, location_id).await }
        });
        Ok(counted(found, StockMovement, total))
    }

    /// Staff: all stock locations, preferred (lowest priority number) first.
    #[graphql(guard = "allow(\"Query.stockLocations\")")]
    async fn stock_locations(&self, ctx: &Context<'_>) -> Result<Vec<StockLocation>> {
        let locations = service(ctx).locations().await.gql()?;
        Ok(locations.into_iter().map(StockLocation).collect())
    }
}
