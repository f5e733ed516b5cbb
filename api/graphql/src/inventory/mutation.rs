//! Staff stock changes. Expected failures come back in `userErrors` and change nothing;
//! a stale `expectedVersion` gets VERSION_CONFLICT with the level as it is now in the
//! payload. Every successful change wakes the outbox publisher, so subscribers see it
//! at once.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};

use super::item::InventoryItem;
use super::{service, staff_actor};
use crate::access::allow;
use crate::catalog::types::StockLevel;
use crate::catalog::types::Variant;
use crate::error::{ResultExt, UserError, failed, user_error, with_user_errors};
use crate::ids::{NodeType, row_id};
use crate::stock::LowStockThreshold;
use stockade_domain::error::Error;
use stockade_domain::events::OutboxNotify;
use stockade_domain::inventory::{Adjustment, MovementReason, StockChange};

/// Why staff change a stock count by hand.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum AdjustmentReason {
    /// A correction: stock take, damage, loss, found units.
    Adjustment,
    /// Goods received.
    Restock,
    /// Goods returned by a customer.
    Return,
}

impl From<AdjustmentReason> for MovementReason {
    fn from(r: AdjustmentReason) -> Self {
        match r {
            AdjustmentReason::Adjustment => MovementReason::Adjustment,
            AdjustmentReason::Restock => MovementReason::Restock,
            AdjustmentReason::Return => MovementReason::Return,
        }
    }
}

/// Give exactly one of `delta` and `setOnHand`.
#[derive(InputObject)]
pub struct InventoryAdjustInput {
    pub variant_id: ID,
    pub location_id: ID,
    /// Add (positive) or remove (negative) units on hand.
    pub delta: Option<i32>,
    /// Set the units on hand to this count (e.g. after a stock take).
    pub set_on_hand: Option<i32>,
    #[graphql(default_with = "AdjustmentReason::Adjustment")]
    pub reason: AdjustmentReason,
    /// The level's `version` you last saw (0 if it was never stocked there).
    pub expected_version: i32,
    #[graphql(default)]
    pub note: String,
}

#[derive(InputObject)]
pub struct InventoryTransferInput {
    pub variant_id: ID,
    pub from_location_id: ID,
    pub to_location_id: ID,
    /// Unreserved units to move.
    pub quantity: i32,
    #[graphql(default)]
    pub note: String,
}

#[derive(SimpleObject, Default)]
pub struct InventoryAdjustPayload {
    /// The level after the change; with VERSION_CONFLICT, as it is now.
    pub stock_level: Option<StockLevel>,
    /// The inventory list's rows of the variant after the change: over all locations
    /// and at the location changed (as a list filtered by it shows it), so a client
    /// cache updates the cached list rows by their ids. Empty when nothing changed.
    pub inventory_items: Vec<InventoryItem>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject, Default)]
pub struct InventoryTransferPayload {
    /// The source level after the transfer.
    pub from: Option<StockLevel>,
    /// The destination level after the transfer.
    pub to: Option<StockLevel>,
    /// Shared by the transfer's two ledger rows.
    pub reference: Option<String>,
    /// The inventory list's rows of the variant after the transfer: over all locations,
    /// at the source and at the destination (see `InventoryAdjustPayload`).
    pub inventory_items: Vec<InventoryItem>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject, Default)]
pub struct LowStockThresholdPayload {
    pub variant: Option<Variant>,
    /// The threshold now in force.
    pub low_stock_threshold: Option<LowStockThreshold>,
    pub user_errors: Vec<UserError>,
}

with_user_errors!(InventoryAdjustPayload, InventoryTransferPayload, LowStockThresholdPayload);

/// The variant's inventory rows over all locations and at each of `locations`.
async fn items(ctx: &Context<'_>, variant_id: i64, locations: &[i64]) -> Result<Vec<InventoryItem>> {
    let mut out = Vec::new();
    for location_id in std::iter::once(None).chain(locations.iter().copied().map(Some)) {
        if let Some(item) = service(ctx).inventory_item(variant_id, location_id).await.gql()? {
            out.push(InventoryItem { item, location_id });
        }
    }
    Ok(out)
}

fn committed(ctx: &Context<'_>) {
    ctx.data_unchecked::<OutboxNotify>().notify();
}

fn adjustment(input: InventoryAdjustInput) -> Result<Adjustment, Error> {
    let change = match (input.delta, input.set_on_hand) {
        (Some(d), None) => StockChange::Delta(i64::from(d)),
        (None, Some(n)) => StockChange::SetOnHand(i64::from(n)),
        (Some(_), Some(_)) => return Err(Error::invalid("setOnHand", "give either `delta` or `setOnHand`, not both")),
        (None, None) => return Err(Error::invalid("delta", "give `delta` (units to add or remove) or `setOnHand` (the new count)")),
    };
    Ok(Adjustment {
        variant_id: row_id(&input.variant_id, NodeType::Variant, "variantId")?,
        location_id: row_id(&input.location_id, NodeType::StockLocation, "locationId")?,
        change,
        reason: input.reason.into(),
        expected_version: Some(i64::from(input.expected_version)),
        note: input.note,
    })
}

/// Staff stock changes: `inventoryAdjust`, `inventoryTransfer`, `lowStockThresholdSet`.
#[derive(Default)]
pub struct InventoryMutation;

#[Object]
impl InventoryMutation {
    /// Staff: changes the units on hand of one variant at one location, by a delta or to
    /// a count, if `expectedVersion` is the level's current version. On hand may not go
    /// below what is reserved.
    #[graphql(guard = "allow(\"Mutation.inventoryAdjust\")")]
    async fn inventory_adjust(&self, ctx: &Context<'_>, input: InventoryAdjustInput) -> Result<InventoryAdjustPayload> {
        let adjustment = match adjustment(input) {
            Ok(adjustment) => adjustment,
            Err(err) => return failed(err, Some("input")),
        };
        let result = async { service(ctx).adjust(&adjustment, staff_actor(ctx)?).await }.await;
        match result {
            Ok(level) => {
                committed(ctx);
                let inventory_items = items(ctx, level.variant_id, &[level.location_id]).await?;
                Ok(InventoryAdjustPayload { stock_level: Some(StockLevel(level)), inventory_items, user_errors: Vec::new() })
            }
            Err(conflict @ Error::VersionConflict { .. }) => {
                // The level as it is now, so staff see what changed and retry from it.
                let now = service(ctx).level(adjustment.variant_id, adjustment.location_id).await.gql()?;
                let now = Some(StockLevel(now));
                let error = user_error(conflict, Some("input"))?;
                Ok(InventoryAdjustPayload { stock_level: now, inventory_items: Vec::new(), user_errors: vec![error] })
            }
            Err(err) => failed(err, Some("input")),
        }
    }

    /// Staff: moves unreserved units of a variant from one location to another. Fewer
    /// available at the source is OUT_OF_STOCK; nothing moves then.
    #[graphql(guard = "allow(\"Mutation.inventoryTransfer\")")]
    async fn inventory_transfer(&self, ctx: &Context<'_>, input: InventoryTransferInput) -> Result<InventoryTransferPayload> {
        let result = async {
            let variant_id = row_id(&input.variant_id, NodeType::Variant, "variantId")?;
            let from = row_id(&input.from_location_id, NodeType::StockLocation, "fromLocationId")?;
            let to = row_id(&input.to_location_id, NodeType::StockLocation, "toLocationId")?;
            let actor = staff_actor(ctx)?;
            service(ctx).transfer(variant_id, from, to, i64::from(input.quantity), actor, &input.note).await
        }
        .await;
        match result {
            Ok(t) => {
                committed(ctx);
                let inventory_items = items(ctx, t.from.variant_id, &[t.from.location_id, t.to.location_id]).await?;
                Ok(InventoryTransferPayload {
                    from: Some(StockLevel(t.from)),
                    to: Some(StockLevel(t.to)),
                    reference: Some(t.reference),
                    inventory_items,
                    user_errors: Vec::new(),
                })
            }
            Err(err) => failed(err, Some("input")),
        }
    }

    /// Staff: sets a variant's low-stock threshold; null goes back to the shop default.
    #[graphql(guard = "allow(\"Mutation.lowStockThresholdSet\")")]
    async fn low_stock_threshold_set(&self, ctx: &Context<'_>, variant_id: ID, threshold: Option<i32>) -> Result<LowStockThresholdPayload> {
        let result = async {
            let variant_id = row_id(&variant_id, NodeType::Variant, "variantId")?;
            let set = service(ctx).set_low_stock_threshold(variant_id, threshold).await?;
            Ok::<_, Error>((variant_id, set))
        }
        .await;
        match result {
            Ok((variant_id, set)) => Ok(LowStockThresholdPayload {
                variant: crate::catalog::types::variant(ctx, variant_id).await?,
                low_stock_threshold: Some(set.into()),
                user_errors: Vec::new(),
            }),
            Err(err) => failed(err, None),
        }
    }
}
