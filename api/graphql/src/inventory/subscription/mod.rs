//! Inventory subscriptions. Both read the event bus through a bounded per-subscriber
//! buffer: a subscriber that stops reading never slows the others or holds memory; when
//! it reads again it is resynced (see [`stock`] and [`feed`]).
//!
//! Errors found before streaming starts (bad ids, access) come back as a clean GraphQL
//! error on the subscription; an error while streaming is sent as one error message,
//! after which the subscription completes.

mod feed;
mod stock;

use std::collections::HashSet;
use std::sync::Arc;

use async_graphql::{Context, ErrorExtensions, ID, Result, Subscription};
use futures::stream::{BoxStream, StreamExt};

use crate::access::allow;
use crate::error::{ApiError, ResultExt, code};
use crate::ids::{NodeType, decode_as};
use crate::inventory::{StockMovement, service};
use crate::settings::GraphqlLimits;
use feed::Feed;
use stock::{Live, StockAvailability, StockUpdateKind as Kind, Tracker};
use stockade_domain::catalog::{CatalogService, VariantStatus};
use stockade_domain::events::EventBus;
use stockade_domain::inventory::InventoryService;

/// `stockChanged` (public) and `inventoryEvents` (staff).
#[derive(Default)]
pub struct InventorySubscription;

#[Subscription]
impl InventorySubscription {
    /// Live availability of variants (at most `STOCK_SUBSCRIPTION_MAX_VARIANTS`, 50 by
    /// default): first one SNAPSHOT message per variant, then a CHANGE message whenever
    /// a variant's availability changes, and RESYNC messages with fresh values if this
    /// subscription may have missed changes. Public.
    #[graphql(guard = "allow(\"Subscription.stockChanged\")")]
    async fn stock_changed(&self, ctx: &Context<'_>, variant_ids: Vec<ID>) -> Result<BoxStream<'static, Result<StockAvailability>>> {
        let ids = watched_variants(ctx, &variant_ids).await?;
        let inventory = service(ctx).clone();
        // Subscribe before reading: a change committed after the read is on the bus.
        let sub = ctx.data_unchecked::<EventBus>().subscribe();
        let levels = inventory.levels_by_variant_ids(&ids).await.gql()?;
        let mut tracker = Tracker::new(&ids);
        tracker.merge(&levels);
        let pending = tracker.all(Kind::Snapshot);
        let live = Live { sub, tracker, inventory, pending, done: false };
        Ok(futures::stream::unfold(live, Live::next).boxed())
    }

    /// Staff: every stock ledger movement as it happens (optionally at one location),
    /// with its reason, actor, deltas and the level after it.
    #[graphql(guard = "allow(\"Subscription.inventoryEvents\")")]
    async fn inventory_events(&self, ctx: &Context<'_>, location_id: Option<ID>) -> Result<BoxStream<'static, Result<StockMovement>>> {
        let location = location_id.as_ref().map(|id| decode_as(id, NodeType::StockLocation, "locationId")).transpose().gql()?;
        let inventory: InventoryService = service(ctx).clone();
        if let Some(l) = location
            && inventory.locations_by_ids(&[l]).await.gql()?.is_empty()
        {
            return Err(not_found("locationId", "unknown stock location"));
        }
        let feed = Feed::new(ctx.data_unchecked::<EventBus>().subscribe(), inventory, location);
        Ok(futures::stream::unfold(feed, Feed::next).boxed())
    }
}

/// The distinct variant ids of `raw`, in order, checked: at least one, at most the
/// configured maximum, each a variant the viewer may see.
async fn watched_variants(ctx: &Context<'_>, raw: &[ID]) -> Result<Vec<i64>> {
    let max = ctx.data_unchecked::<Arc<GraphqlLimits>>().max_stock_subscription_variants;
    if raw.is_empty() {
        return Err(ApiError::bad_input("variantIds", "`variantIds` must name at least one variant").extend());
    }
    let mut seen = HashSet::new();
    let mut ids = Vec::new();
    for id in raw {
        let id = decode_as(id, NodeType::Variant, "variantIds").gql()?;
        if seen.insert(id) {
            ids.push(id);
        }
    }
    if ids.len() > max {
        return Err(ApiError::bad_input("variantIds", format!("at most {max} variants per subscription (got {})", ids.len())).extend());
    }
    let found = ctx.data_unchecked::<CatalogService>().variants_by_ids(&ids).await.gql()?;
    let staff = crate::access::viewer(ctx).is_staff();
    let unknown: Vec<String> = ids
        .iter()
        .filter(|id| !found.get(id).is_some_and(|v| staff || v.status == VariantStatus::Active))
        .map(|&id| NodeType::Variant.id(id).0)
        .collect();
    if !unknown.is_empty() {
        return Err(not_found("variantIds", &format!("unknown variant ids: {}", unknown.join(", "))));
    }
    Ok(ids)
}

fn not_found(field: &'static str, message: &str) -> async_graphql::Error {
    async_graphql::Error::new(message).extend_with(|_, e| {
        e.set("code", code::NOT_FOUND);
        e.set("field", field);
    })
}
