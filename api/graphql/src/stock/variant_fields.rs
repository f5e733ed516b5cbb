//! The stock fields of `Variant` (declared on the catalog's `Variant` type, resolved
//! here): each is one batched load per wave of variants.

use std::collections::HashMap;

use async_graphql::{Context, ContextBase, Result};

use super::loader;
use super::loaders::{AvailableOfVariant, LevelsOfVariant, ThresholdOfVariant};
use super::types::LowStockThreshold;
use crate::error::ResultExt;
use crate::int::int;

/// Units customers can buy now: on hand minus reserved, summed over all locations.
pub(crate) async fn available_quantity(ctx: &Context<'_>, variant_id: i64) -> Result<i32> {
    record_read(ctx, variant_id);
    let available = loader(ctx).load_one(AvailableOfVariant(variant_id)).await.gql()?.unwrap_or(0);
    Ok(int(available.max(0)))
}

/// Units available per variant of `variant_ids`, in one load (for a list of variants
/// whose stock is selected).
pub(crate) async fn available_of(ctx: &Context<'_>, variant_ids: &[i64]) -> Result<HashMap<i64, i64>> {
    let found = loader(ctx).load_many(variant_ids.iter().map(|&id| AvailableOfVariant(id))).await.gql()?;
    Ok(found.into_iter().map(|(k, n)| (k.0, n)).collect())
}

/// A variant's available units as [`available_of`] loaded them, shown.
pub(crate) fn loaded_available<T>(ctx: &ContextBase<'_, T>, variant_id: i64, available: i64) -> i32 {
    record_read(ctx, variant_id);
    int(available.max(0))
}

/// A cached answer showing a variant's stock must be dropped when that stock changes.
fn record_read<T>(ctx: &ContextBase<'_, T>, variant_id: i64) {
    if let Some(reads) = ctx.data_opt::<std::sync::Arc<crate::cache::StockReads>>() {
        reads.record(variant_id);
    }
}

/// Per-location stock levels, best location first.
pub(crate) async fn stock_levels(ctx: &Context<'_>, variant_id: i64) -> Result<Vec<stockade_domain::inventory::StockLevel>> {
    Ok(loader(ctx).load_one(LevelsOfVariant(variant_id)).await.gql()?.unwrap_or_default())
}

/// The low-stock threshold in force.
pub(crate) async fn low_stock_threshold(ctx: &Context<'_>, variant_id: i64) -> Result<LowStockThreshold> {
    let found = loader(ctx).load_one(ThresholdOfVariant(variant_id)).await.gql()?;
    let threshold = found.unwrap_or(stockade_domain::inventory::LowStockThreshold {
        value: super::service(ctx).settings().default_low_stock_threshold,
        is_default: true,
    });
    Ok(threshold.into())
}
