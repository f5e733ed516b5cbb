//! The stock fields of `Variant` (declared on the catalog's `Variant` type, resolved
//! here): each is one batched load per wave of variants.

use std::collections::HashMap;

use std::borrow::Cow;
use std::sync::Arc;

use async_graphql::parser::types::Field;
use async_graphql::registry::Registry;
use async_graphql::{Context, ContextBase, ContextSelectionSet, OutputType, Positioned, Result, ServerResult, Value};

use super::loader;
use super::loaders::{AvailableOfVariant, LevelsOfVariant, ThresholdOfVariant};
use super::types::LowStockThreshold;
use crate::cache::{StockField, StockReads};
use crate::error::ResultExt;
use crate::int::int;

/// Units customers can buy now: on hand minus reserved, summed over all locations
/// (below 0 after an oversold correction; shown as 0).
pub(crate) async fn available_units(ctx: &Context<'_>, variant_id: i64) -> Result<i64> {
    Ok(loader(ctx).load_one(AvailableOfVariant(variant_id)).await.gql()?.unwrap_or(0))
}

/// Units available per variant of `variant_ids`, in one load (for a list of variants
/// whose stock is selected).
pub(crate) async fn available_of(ctx: &Context<'_>, variant_ids: &[i64]) -> Result<HashMap<i64, i64>> {
    let found = loader(ctx).load_many(variant_ids.iter().map(|&id| AvailableOfVariant(id))).await.gql()?;
    Ok(found.into_iter().map(|(k, n)| (k.0, n)).collect())
}

/// Units available per variant of `variant_ids` (distinct), loaded now in one call
/// rather than through a wave: for a list that preloads its variants' stock.
pub(crate) async fn available_now(ctx: &Context<'_>, variant_ids: &[i64]) -> Result<HashMap<i64, i64>> {
    let keys: Vec<AvailableOfVariant> = variant_ids.iter().map(|&id| AvailableOfVariant(id)).collect();
    let found = loader(ctx).load_all(&keys).await.gql()?;
    Ok(found.into_iter().map(|(k, n)| (k.0, n)).collect())
}

/// `field` of a variant with `available` units, as the response shows it: the value,
/// or in a response the cache may keep, a placeholder it can refill when the stock
/// changes (see [`StockReads`]).
pub(crate) fn shown<T>(ctx: &ContextBase<'_, T>, variant_id: i64, field: StockField, available: i64) -> Value {
    match ctx.data_opt::<Arc<StockReads>>() {
        Some(reads) => reads.show(variant_id, field, available),
        None => match field {
            StockField::Quantity => Value::from(int(available.max(0))),
            StockField::InStock => Value::from(available > 0),
        },
    }
}

/// `Variant.availableQuantity` (an `Int`), resolved by [`shown`].
pub(crate) struct StockQuantity {
    pub variant_id: i64,
    pub available: i64,
}

/// `Variant.inStock` (a `Boolean`), resolved by [`shown`].
pub(crate) struct StockFlag {
    pub variant_id: i64,
    pub available: i64,
}

macro_rules! shown_as {
    ($ty:ident, $scalar:ty, $field:expr) => {
        impl OutputType for $ty {
            fn type_name() -> Cow<'static, str> {
                <$scalar as OutputType>::type_name()
            }

            fn create_type_info(registry: &mut Registry) -> String {
                <$scalar as OutputType>::create_type_info(registry)
            }

            async fn resolve(&self, ctx: &ContextSelectionSet<'_>, _field: &Positioned<Field>) -> ServerResult<Value> {
                Ok(shown(ctx, self.variant_id, $field, self.available))
            }
        }
    };
}

shown_as!(StockQuantity, i32, StockField::Quantity);
shown_as!(StockFlag, bool, StockField::InStock);

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
